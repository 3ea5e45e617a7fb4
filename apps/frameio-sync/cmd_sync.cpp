// SPDX-License-Identifier: MIT
// sync --once: thin wiring of settings, client and state database into engine::SyncEngine,
// plus the three output forms (terminal progress, one line per item, --json lines).
#include "commands.hpp"
#include "json_writer.hpp"
#include "project_listing.hpp"

#include "fios/engine/project_directory.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/remote/v2_remote.hpp"
#include "fios/remote/v4_remote.hpp"
#include "fios/scan/path_map.hpp"

#include <fmt/core.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>

namespace fios::cli {
namespace {

struct SyncOptions {
    bool once = false;
    bool watch = false;
    bool dry_run = false;
    bool json = false;
    std::string direction = "both";
    std::vector<std::string> projects;
};

std::string human_size(std::uint64_t bytes) {
    return human_bytes(static_cast<std::int64_t>(bytes));
}

std::string human_duration(double seconds) {
    if (seconds < 0 || seconds > 1e7)
        return "?";
    const auto s = static_cast<long long>(seconds + 0.5);
    if (s < 60)
        return fmt::format("{}s", s);
    if (s < 3600)
        return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

std::string_view verb_of(const engine::ItemEvent& e) {
    using plan::ActionKind;
    switch (e.action) {
    case ActionKind::upload:
    case ActionKind::reupload:
    case ActionKind::resume_upload:
        return "upload";
    case ActionKind::download:
    case ActionKind::resume_download:
        return "download";
    case ActionKind::create_remote_folder:
        return "create folder on Frame.io";
    case ActionKind::create_local_folder:
        return "create folder";
    default:
        return plan::to_string(e.action);
    }
}

void write_error(JsonWriter& j, const std::optional<Error>& e) {
    j.key("error");
    if (!e) {
        j.null();
        return;
    }
    j.begin_object().member("code", std::string(to_string(e->code)));
    j.member("message", e->message).end_object();
}

void write_counts(JsonWriter& j, const engine::Counts& c) {
    j.key("counts").begin_object();
    engine::for_each_count(c, [&](std::string_view name, std::uint64_t v) {
        j.member(name, static_cast<std::int64_t>(v));
    });
    j.end_object();
}

/// Prints engine events. Every call comes from the engine's run() thread.
class CliObserver final : public engine::Observer {
public:
    CliObserver(Context& ctx, bool json, bool dry_run)
        : m_ctx(ctx), m_json(json), m_dry_run(dry_run),
          m_tty(::isatty(STDERR_FILENO) == 1 && ctx.out.level() >= Output::Level::normal) {}

    void on_phase(const std::string& project_id, std::string_view phase) override {
        if (phase == "unchanged") {
            m_ctx.out.verbose(fmt::format("{}: unchanged since the last run; not listed again",
                                          label(project_id)));
        } else {
            m_ctx.out.verbose(fmt::format("{}: {}", label(project_id), phase));
        }
    }

    void on_plan(const std::string& project_id, const plan::Plan& plan) override {
        if (!m_dry_run)
            return;
        if (m_json) {
            for (const auto& a : plan.actions) {
                JsonWriter j;
                j.begin_object().member("v", 1).member("event", "plan");
                j.member("project", project_id);
                j.member("action", std::string(plan::to_string(a.kind)));
                j.key("skip");
                if (a.kind == plan::ActionKind::skip)
                    j.value(std::string(plan::to_string(a.skip)));
                else
                    j.null();
                j.member("path", a.path.str());
                if (!a.name.empty())
                    j.member("name", scan::escape_name(a.name));
                j.member("kind", std::string(model::to_string(a.entry_kind)));
                j.member("reason", a.reason);
                if (!a.asset_id.empty())
                    j.member("asset_id", a.asset_id);
                std::uint64_t bytes = 0;
                if (a.local &&
                    (a.kind == plan::ActionKind::upload || a.kind == plan::ActionKind::reupload ||
                     a.kind == plan::ActionKind::resume_upload))
                    bytes = a.local->size;
                if (a.remote && (a.kind == plan::ActionKind::download ||
                                 a.kind == plan::ActionKind::resume_download))
                    bytes = a.remote->filesize;
                j.member("bytes", static_cast<std::int64_t>(bytes));
                j.end_object();
                m_ctx.out.data(j.str());
            }
            return;
        }
        m_ctx.out.data(fmt::format("# {} ({})", label(project_id), project_id));
        std::string text = plan::render(plan);
        while (!text.empty() && text.back() == '\n')
            text.pop_back();
        m_ctx.out.data(text);
    }

    void on_item(const engine::ItemEvent& e) override {
        if (m_json) {
            JsonWriter j;
            j.begin_object().member("v", 1).member("event", "item");
            j.member("project", e.project_id).member("path", e.path.str());
            if (!e.name.empty())
                j.member("name", scan::escape_name(e.name));
            j.member("kind", std::string(model::to_string(e.kind)));
            j.member("action", std::string(plan::to_string(e.action)));
            j.key("skip");
            if (e.skip != plan::SkipReason::none)
                j.value(std::string(plan::to_string(e.skip)));
            else
                j.null();
            j.member("result", std::string(engine::to_string(e.result)));
            j.member("bytes", static_cast<std::int64_t>(e.bytes));
            j.member("attempt", static_cast<std::int64_t>(e.attempt));
            j.member("reason", e.reason);
            j.key("verified_by");
            if (!e.verified_by.empty())
                j.value(e.verified_by);
            else
                j.null();
            write_error(j, e.error);
            j.end_object();
            m_ctx.out.data(j.str());
            return;
        }
        // Human lines: every action that did something or needs attention; quiet skips
        // (settling, deleted, duplicates, ...) only with -v, and always in the summary.
        const bool transfer_or_change = e.action != plan::ActionKind::skip;
        const bool attention = e.result == engine::ItemResult::failed ||
                               e.result == engine::ItemResult::conflict ||
                               e.skip == plan::SkipReason::backoff;
        if (!transfer_or_change && !attention && m_ctx.out.level() < Output::Level::verbose)
            return;
        const std::string path = "\"" + scan::escape_name(e.path.str()) + "\"";
        std::string line;
        switch (e.result) {
        case engine::ItemResult::done:
            line = fmt::format("{}: {}{}", verb_of(e), path,
                               e.bytes > 0 ? " (" + human_size(e.bytes) + ")" : "");
            break;
        case engine::ItemResult::awaiting_verification:
            line = fmt::format("{}: {} (awaiting Frame.io's checksum)", verb_of(e), path);
            break;
        case engine::ItemResult::skipped:
            line = fmt::format("skip:{} {}: {}", plan::to_string(e.skip), path,
                               e.error ? e.error->message : e.reason);
            break;
        case engine::ItemResult::conflict:
            line = fmt::format("conflict: {}: {}", path, e.error ? e.error->message : e.reason);
            break;
        case engine::ItemResult::failed:
            line = fmt::format("failed: {} {}: {}", verb_of(e), path,
                               e.error ? e.error->message : e.reason);
            break;
        case engine::ItemResult::cancelled:
            line = fmt::format("interrupted: {} {}", verb_of(e), path);
            break;
        }
        clear_progress();
        if (e.result == engine::ItemResult::failed || e.result == engine::ItemResult::conflict)
            m_ctx.out.warn(line);
        else
            m_ctx.out.info(line);
        redraw_progress();
    }

    void on_warning(const engine::Warning& w) override {
        if (m_json) {
            JsonWriter j;
            j.begin_object().member("v", 1).member("event", "warning");
            j.member("kind", std::string(engine::to_string(w.kind)));
            j.member("project", w.project_id).member("path", w.path);
            if (!w.asset_id.empty())
                j.member("asset_id", w.asset_id);
            j.member("message", w.message).end_object();
            m_ctx.out.data(j.str());
            return;
        }
        clear_progress();
        m_ctx.out.warn(w.message);
        redraw_progress();
    }

    void on_progress(const engine::Progress& p) override {
        if (m_json || !m_tty)
            return;
        std::string line = fmt::format("{}/{} files, {} / {}", p.files_done, p.files_total,
                                       human_size(p.bytes_done), human_size(p.bytes_total));
        if (p.bytes_per_second > 0) {
            line +=
                fmt::format(", {}/s", human_size(static_cast<std::uint64_t>(p.bytes_per_second)));
            if (p.bytes_total > p.bytes_done) {
                line +=
                    ", ETA " + human_duration(static_cast<double>(p.bytes_total - p.bytes_done) /
                                              p.bytes_per_second);
            }
        }
        m_progress = line;
        redraw_progress();
    }

    void on_summary(const engine::RunReport& r) override {
        clear_progress();
        m_progress.clear();
        if (m_json) {
            JsonWriter j;
            j.begin_object().member("v", 1).member("event", "summary");
            j.member("result", std::string(engine::to_string(r.result)));
            j.member("dry_run", m_dry_run);
            j.member("run_id", static_cast<std::int64_t>(r.run_id));
            j.member("elapsed_ms", static_cast<std::int64_t>(r.elapsed.count()));
            write_counts(j, r.totals);
            j.key("projects").begin_array();
            for (const auto& p : r.projects) {
                j.begin_object().member("id", p.project_id).member("name", p.name);
                j.member("team_name", p.team_name).member("local_path", p.local_path.string());
                j.member("discovered", p.discovered);
                write_counts(j, p.counts);
                write_error(j, p.error);
                j.end_object();
            }
            j.end_array();
            j.key("new_projects").begin_array();
            for (const auto& id : r.new_projects)
                j.value(id);
            j.end_array();
            write_error(j, r.error);
            j.end_object();
            m_ctx.out.data(j.str());
            return;
        }
        for (const auto& id : r.new_projects)
            m_ctx.out.info(
                fmt::format("new project on Frame.io: {} (not synced until selected)", id));
        const auto& c = r.totals;
        std::vector<std::string> parts;
        auto add = [&](std::uint64_t n, std::string_view what) {
            if (n > 0)
                parts.push_back(fmt::format("{} {}", n, what));
        };
        const char* would = m_dry_run ? "to " : "";
        add(c.uploaded, std::string(would) + "upload");
        add(c.downloaded, std::string(would) + "download");
        add(c.folders_created, m_dry_run ? "folders to create" : "folders created");
        add(c.adopted, "already equal");
        add(c.verified, "verified");
        add(c.awaiting_verification, "awaiting checksum");
        add(c.settling, "settling");
        add(c.remote_incomplete, "incomplete on Frame.io");
        add(c.deleted_locally, "deleted here (kept on Frame.io)");
        add(c.deleted_remotely, "deleted on Frame.io (kept here)");
        add(c.changed_locally, "changed here (not uploaded)");
        add(c.remote_changed, "changed on Frame.io (not downloaded)");
        add(c.duplicates, "duplicate names on Frame.io");
        add(c.hostile_names, "unusable names skipped");
        add(c.skipped_local, "local items skipped");
        add(c.direction_excluded, "excluded by --direction");
        add(c.conflicts, "in conflict");
        add(c.failed, "failed");
        add(c.backoff, "waiting to retry after a failure");
        add(c.cancelled, "interrupted");
        std::string list;
        for (const auto& p : parts)
            list += (list.empty() ? "" : ", ") + p;
        if (list.empty())
            list =
                r.result == engine::RunResult::failed ? "nothing was transferred" : "nothing to do";
        std::string bytes;
        if (c.bytes_uploaded > 0 || c.bytes_downloaded > 0) {
            bytes = fmt::format(" ({} up, {} down)", human_size(c.bytes_uploaded),
                                human_size(c.bytes_downloaded));
        }
        m_ctx.out.info(fmt::format(
            "{}{}: {}{} in {}", m_dry_run ? "dry run, " : "", engine::to_string(r.result), list,
            bytes, human_duration(static_cast<double>(r.elapsed.count()) / 1000.0)));
        for (const auto& p : r.projects) {
            if (p.error)
                m_ctx.out.warn(fmt::format("{}: {}", p.name, p.error->message));
        }
        if (r.result == engine::RunResult::partial)
            m_ctx.out.info("`frameio-sync status` lists what needs attention.");
    }

    void set_labels(std::map<std::string, std::string> labels) { m_labels = std::move(labels); }

private:
    std::string label(const std::string& id) const {
        auto it = m_labels.find(id);
        return it == m_labels.end() ? id : it->second;
    }
    void clear_progress() {
        if (m_tty && m_progress_shown) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
            m_progress_shown = false;
        }
    }
    void redraw_progress() {
        if (!m_tty || m_progress.empty())
            return;
        std::fputs("\r\033[K", stderr);
        std::fputs(m_progress.c_str(), stderr);
        std::fflush(stderr);
        m_progress_shown = true;
    }

    Context& m_ctx;
    bool m_json;
    bool m_dry_run;
    bool m_tty;
    bool m_progress_shown = false;
    std::string m_progress;
    std::map<std::string, std::string> m_labels;
};

Result<std::int64_t> integer_setting(Context& ctx, const char* name) {
    auto settings = ctx.settings();
    if (!settings)
        return settings.error();
    return (*settings)->integer(name);
}

/// One engine run over `remote` and `directory` (one generation, on V4 one account).
ExitCode run_engine(Context& ctx, store::StateDb* state, remote::Remote& remote,
                    engine::ProjectDirectory& directory, const engine::RunOptions& run,
                    CliObserver& observer) {
    engine::EngineDeps deps;
    deps.state = state;
    deps.remote = &remote;
    deps.projects = &directory;
    deps.clock = &ctx.clock();
    deps.cancel = &ctx.cancel;
    engine::SyncEngine engine(deps);
    auto report = engine.run(run, &observer);
    if (!report) {
        ctx.out.error(report.error().message);
        if (engine::is_lock_held(report.error()))
            return ExitCode::temporary;
        return exit_code_for(report.error());
    }
    switch (report->result) {
    case engine::RunResult::ok:
        return ExitCode::ok;
    case engine::RunResult::partial:
        return ExitCode::failed;
    case engine::RunResult::interrupted:
        return ExitCode::interrupted;
    case engine::RunResult::failed:
        if (report->error) {
            ctx.out.error(report->error->message);
            return exit_code_for(*report->error);
        }
        return ExitCode::failed;
    }
    return ExitCode::failed;
}

ExitCode run_sync(Context& ctx, const SyncOptions& opt) {
    if (opt.watch) {
        ctx.out.error("sync --watch is not available yet; run `frameio-sync sync --once` "
                      "(e.g. from cron or a systemd timer)");
        return ExitCode::usage;
    }
    if (!opt.once) {
        ctx.out.error(
            "sync needs --once: --watch is not available yet (continuous syncing comes later)");
        return ExitCode::usage;
    }
    ctx.out.set_json(opt.json);

    engine::RunOptions run;
    run.dry_run = opt.dry_run;
    run.direction = opt.direction == "up"     ? policy::Direction::up
                    : opt.direction == "down" ? policy::Direction::down
                                              : policy::Direction::both;
    run.command = opt.dry_run ? "sync --once --dry-run" : "sync --once";
    for (const char* name : {"jobs", "part_jobs", "settle_seconds", "verify_timeout_seconds",
                             "free_space_margin_mb"}) {
        auto v = integer_setting(ctx, name);
        if (!v)
            return fail(ctx, v.error());
        const std::string n = name;
        if (n == "jobs")
            run.jobs = static_cast<std::size_t>(std::max<std::int64_t>(*v, 1));
        else if (n == "part_jobs")
            run.part_jobs = static_cast<std::size_t>(std::max<std::int64_t>(*v, 1));
        else if (n == "settle_seconds")
            run.settle = std::chrono::seconds{std::max<std::int64_t>(*v, 0)};
        else if (n == "free_space_margin_mb")
            run.free_space_margin = static_cast<std::uint64_t>(std::max<std::int64_t>(*v, 0))
                                    << 20U;
        else
            run.verify_timeout = std::chrono::seconds{std::max<std::int64_t>(*v, 0)};
    }

    {
        // `--verify readback` (V4 only; V2 compares Frame.io's checksum).
        auto settings = ctx.settings();
        if (!settings)
            return fail(ctx, settings.error());
        run.readback = (*settings)->string("verify") == "readback";
    }

    auto api = ctx.api_generation();
    if (!api)
        return fail(ctx, api.error());
    const bool v4 = *api == auth::ApiGeneration::v4;
    const auto current = v4 ? store::Generation::v4 : store::Generation::v2;

    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    auto selections = (*state)->selections();
    if (!selections)
        return fail(ctx, selections.error());
    std::vector<store::ProjectInfo> selected;
    std::map<std::string, std::string> labels;
    for (const auto& s : *selections) {
        store::ProjectInfo info;
        info.id = s.project_id;
        info.name = s.project_name;
        info.team_id = s.team_id;
        info.team_name = s.team_name;
        info.generation = s.generation;
        info.account_id = s.account_id;
        selected.push_back(info);
        labels[s.project_id] = project_label(info);
    }
    // --project names are matched among this generation's selections first, so that a name
    // selected on both generations is not ambiguous; then among all (to warn about the other).
    std::vector<store::ProjectInfo> current_selected;
    std::copy_if(selected.begin(), selected.end(), std::back_inserter(current_selected),
                 [&](const store::ProjectInfo& p) { return p.generation == current; });
    std::vector<store::ProjectInfo> wanted_projects;
    for (const auto& wanted : opt.projects) {
        auto p = match_project(wanted, current_selected);
        if (!p && p.error().code == ErrorCode::not_found)
            p = match_project(wanted, selected);
        if (!p) {
            ctx.out.error(p.error().code == ErrorCode::not_found
                              ? fmt::format("'{}' is not a selected project (`frameio-sync "
                                            "status` lists them)",
                                            wanted)
                              : p.error().message);
            return p.error().code == ErrorCode::not_found ? ExitCode::failed : ExitCode::usage;
        }
        wanted_projects.push_back(*p);
    }
    if (selections->empty()) {
        ctx.out.info("No project selected: `frameio-sync projects` lists them, "
                     "`frameio-sync select PROJECT --to DIR` chooses one.");
    }
    // A selection belongs to the generation it was made under: the other one's are skipped.
    const auto& candidates = opt.projects.empty() ? selected : wanted_projects;
    std::map<std::string, std::vector<std::string>> by_account; // V2: one group, key ""
    std::size_t skipped = 0;
    for (const auto& p : candidates) {
        if (p.generation != current) {
            ++skipped;
            ctx.out.warn(fmt::format(
                "skipping {}: it was selected on the {} API and the API in use is {}; sync it "
                "with `--api {}`, or unselect it and select the project again on {}",
                project_label(p), store::to_string(p.generation), store::to_string(current),
                store::to_string(p.generation), store::to_string(current)));
            continue;
        }
        by_account[v4 ? p.account_id : std::string()].push_back(p.id);
    }
    if (by_account.empty() && skipped > 0) {
        ctx.out.error(fmt::format("nothing to sync on {}: every selected project belongs to the "
                                  "other API generation (see the warnings above)",
                                  store::to_string(current)));
        return ExitCode::config;
    }

    CliObserver observer(ctx, opt.json, opt.dry_run);
    observer.set_labels(std::move(labels));
    if (!v4) {
        auto client = ctx.client();
        if (!client)
            return fail(ctx, client.error());
        remote::V2Remote remote(**client);
        engine::V2ProjectDirectory directory(**client);
        if (skipped > 0 || !opt.projects.empty())
            run.projects = by_account[""];
        return run_engine(ctx, *state, remote, directory, run, observer);
    }

    auto client = ctx.v4_client();
    if (!client)
        return fail(ctx, client.error());
    if (by_account.empty()) {
        // Nothing selected: list (and record) the projects, as a V2 run does; a dry run writes
        // nothing.
        if (!opt.dry_run) {
            auto listed = list_all_projects(ctx, true);
            if (!listed)
                return fail(ctx, listed.error());
        }
        return ExitCode::ok;
    }
    // V4 routes are per account: one run per account of the selected projects, each with its
    // own backend; the worst exit code wins.
    ExitCode worst = ExitCode::ok;
    for (const auto& [account, ids] : by_account) {
        remote::V4Remote remote(**client, account);
        engine::V4ProjectDirectory directory(**client, account);
        run.projects = ids;
        const ExitCode code = run_engine(ctx, *state, remote, directory, run, observer);
        if (static_cast<int>(code) > static_cast<int>(worst))
            worst = code;
        if (code == ExitCode::interrupted || code == ExitCode::temporary || code == ExitCode::auth)
            return code;
    }
    return worst;
}

} // namespace

void add_sync_command(CLI::App& app, Context& ctx, Action& action) {
    auto opt = std::make_shared<SyncOptions>();
    auto* sync = app.add_subcommand(
        "sync", "Bring the selected projects and their local folders into agreement");
    sync->add_flag("--once", opt->once, "Sync once and exit (required for now)");
    sync->add_flag("--watch", opt->watch, "Keep syncing (not available yet)")
        ->group(""); // hidden until it exists
    sync->add_flag("--dry-run", opt->dry_run,
                   "Print the plan (each action with its reason) and change nothing anywhere");
    sync->add_option("--direction", opt->direction,
                     "both (default), up (only write to Frame.io) or down (only write locally)")
        ->check(CLI::IsMember({"both", "up", "down"}));
    sync->add_option("--project", opt->projects,
                     "Only this selected project (id, Team/Project (V4: Workspace/Project) or "
                     "name); repeatable");
    sync->add_flag("--json", opt->json,
                   "One JSON object per line on stdout (items, warnings, plan, summary)");
    sync->footer("Also: --jobs N (files at once), --part-jobs N, --settle-seconds S, "
                 "--verify-timeout-seconds S, --verify size|readback (see `frameio-sync config`).\n"
                 "Exit codes: 0 nothing needs attention; 1 some items failed or are in "
                 "conflict; 2 usage; 75 temporary (Frame.io unreachable, another sync running); "
                 "77 login needed; 78 configuration; 130 interrupted.");
    sync->callback([&ctx, &action, opt] { action = [&ctx, opt] { return run_sync(ctx, *opt); }; });
}

} // namespace fios::cli
