// SPDX-License-Identifier: MIT
// select, unselect, status
#include "commands.hpp"
#include "json_writer.hpp"
#include "project_listing.hpp"
#include "table.hpp"

#include "fios/api/model.hpp"
#include "fios/engine/run_lock.hpp"
#include "fios/policy/policy.hpp"
#include "fios/store/journal.hpp"
#include "fios/watch/watch_status.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>

namespace fios::cli {
namespace {

struct SelectOptions {
    std::string project;
    std::string folder;
    bool json = false;
};

/// The folder to sync into: absolute, created when missing, symlinks resolved (so two
/// spellings of one folder are recognised as overlapping).
Result<std::filesystem::path> prepare_folder(const std::string& text) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path path = fs::absolute(fs::path(text), ec);
    if (ec)
        return Error{ErrorCode::invalid_request,
                     fmt::format("bad folder '{}': {}", text, ec.message())};
    auto status = fs::status(path, ec);
    if (fs::exists(status) && !fs::is_directory(status)) {
        return Error{ErrorCode::invalid_request,
                     fmt::format("'{}' exists and is not a folder; choose a folder for --to",
                                 path.string())};
    }
    if (!fs::exists(status)) {
        fs::create_directories(path, ec);
        if (ec) {
            return Error{ErrorCode::io, fmt::format("cannot create the folder '{}': {}",
                                                    path.string(), ec.message())};
        }
    }
    fs::path canonical = fs::canonical(path, ec);
    if (ec)
        return Error{ErrorCode::io,
                     fmt::format("cannot resolve '{}': {}", path.string(), ec.message())};
    return canonical;
}

/// Refuses a folder that overlaps another selection's folder BEFORE anything is created on
/// disk (StateDb::select checks again, on the resolved path, after the folder exists).
Status check_overlap(store::StateDb& state, const std::string& project_id,
                     const std::string& text) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path wanted = fs::weakly_canonical(fs::absolute(fs::path(text), ec), ec);
    if (ec)
        return {}; // prepare_folder reports unusable paths
    auto selections = state.selections();
    if (!selections)
        return selections.error();
    for (const auto& s : *selections) {
        if (s.project_id == project_id && s.local_path == wanted)
            continue; // re-select: no-op
        if (store::folders_overlap(s.local_path, wanted)) {
            return Error{ErrorCode::conflict,
                         fmt::format("{} overlaps the folder of {}/{} ({}): sync folders may not "
                                     "be inside one another; choose another folder",
                                     wanted.string(), s.team_name, s.project_name,
                                     s.local_path.string())};
        }
    }
    return {};
}

/// What select did with the project's journal, for people ("" when there was none).
std::string describe_binding(const store::JournalBinding& journal, const std::string& folder) {
    switch (journal.outcome) {
    case store::FolderBinding::fresh:
        return {};
    case store::FolderBinding::kept:
        if (journal.records == 0)
            return {};
        return fmt::format("The journal of {} is kept ({} entries): the next sync continues "
                           "where the last one stopped.",
                           folder, journal.records);
    case store::FolderBinding::dropped:
        return fmt::format("The journal of the previous folder {} ({} entries) does not apply to "
                           "{}, and was dropped: the next sync starts {} from nothing (files "
                           "equal to Frame.io's are adopted; nothing is overwritten or deleted, "
                           "here, in {} or on Frame.io).",
                           journal.previous_folder.value_or("?"), journal.records, folder, folder,
                           journal.previous_folder.value_or("?"));
    case store::FolderBinding::unknown:
        return fmt::format("The journal ({} entries) was written before frameio-sync recorded "
                           "its folder: the next sync keeps it if the files of {} are the ones "
                           "it describes, else starts {} from nothing.",
                           journal.records, folder, folder);
    }
    return {};
}

ExitCode run_select(Context& ctx, const SelectOptions& opt) {
    auto projects = list_all_projects(ctx, false);
    if (!projects)
        return fail(ctx, projects.error());
    std::vector<store::ProjectInfo> infos;
    for (const auto& p : *projects)
        infos.push_back(p.info);
    auto project = match_project(opt.project, infos);
    if (!project) {
        ctx.out.error(project.error().message);
        // Ambiguous: the command line must name one (usage). No match: the command failed.
        return project.error().code == ErrorCode::conflict ? ExitCode::usage : ExitCode::failed;
    }
    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    if (auto overlap = check_overlap(**state, project->id, opt.folder); !overlap) {
        ctx.out.error(overlap.error().message);
        return ExitCode::usage;
    }
    auto folder = prepare_folder(opt.folder);
    if (!folder) {
        ctx.out.error(folder.error().message);
        return folder.error().code == ErrorCode::io ? ExitCode::failed : ExitCode::usage;
    }
    store::JournalBinding journal;
    auto selection = (*state)->select(project->id, *folder, &journal);
    if (!selection) {
        ctx.out.error(selection.error().message);
        return selection.error().code == ErrorCode::conflict ? ExitCode::usage
                                                             : exit_code_for(selection.error());
    }
    if (opt.json) {
        JsonWriter j;
        j.begin_object().member("v", 1).member("event", "select");
        j.key("project").begin_object().member("id", project->id).member("name", project->name);
        j.member("team_id", project->team_id).member("team_name", project->team_name);
        j.member("api", std::string(store::to_string(selection->generation)));
        j.member("account_id", selection->account_id).end_object();
        j.member("local_path", selection->local_path.string());
        j.key("journal").begin_object();
        j.member("outcome", std::string(store::to_string(journal.outcome)));
        j.member("previous_folder", journal.previous_folder);
        j.member("records", static_cast<std::int64_t>(journal.records)).end_object();
        j.end_object();
        ctx.out.data(j.str());
    }
    ctx.out.info(
        fmt::format("Selected {} -> {}", project_label(*project), selection->local_path.string()));
    if (auto what = describe_binding(journal, selection->local_path.string()); !what.empty())
        ctx.out.info(what);
    return ExitCode::ok;
}

ExitCode run_unselect(Context& ctx, const std::string& wanted, bool json) {
    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    auto selections = (*state)->selections();
    if (!selections)
        return fail(ctx, selections.error());
    std::vector<store::ProjectInfo> infos;
    for (const auto& s : *selections)
        infos.push_back(selection_info(s));
    auto matched = match_selected(ctx, wanted, infos);
    if (auto* code = std::get_if<ExitCode>(&matched))
        return *code;
    const store::ProjectInfo* project = &std::get<store::ProjectInfo>(matched);
    auto folder = (*state)->find_selection(project->id);
    if (!folder)
        return fail(ctx, folder.error());
    // The journal stays, bound to the folder (StateDb::unselect): count what is kept.
    store::Journal journal((*state)->db());
    auto rows = journal.records(project->id);
    if (!rows)
        return fail(ctx, rows.error());
    auto removed = (*state)->unselect(project->id);
    if (!removed)
        return fail(ctx, removed.error());
    const std::string path = folder->has_value() ? (**folder).local_path.string() : std::string();
    if (json) {
        JsonWriter j;
        j.begin_object().member("v", 1).member("event", "unselect");
        j.key("project").begin_object().member("id", project->id).member("name", project->name);
        j.member("team_id", project->team_id).member("team_name", project->team_name);
        j.end_object().member("local_path", path);
        j.key("kept").begin_object().member("local_folder", true);
        j.member("frameio_project", true).member("journal", true).end_object();
        j.member("journal_records", static_cast<std::int64_t>(rows->size())).end_object();
        ctx.out.data(j.str());
    }
    ctx.out.info(fmt::format("Stopped syncing {}. Nothing was deleted: {} and its files are "
                             "kept as they are, and nothing on Frame.io changed.",
                             project_label(*project), path));
    ctx.out.info(fmt::format("Its journal ({} entries) is kept for {}: selecting the project into "
                             "{} again continues where it stopped; selecting it into another "
                             "folder starts that folder from nothing (files equal to Frame.io's "
                             "are adopted; nothing is overwritten).",
                             rows->size(), path, path));
    return ExitCode::ok;
}

/// Warns when the saved login cannot renew itself (no refresh token) and ends within a day, or
/// has ended. `status` needs no login: without one (or with FRAMEIO_TOKEN) it says nothing.
void warn_login_ending(Context& ctx) {
    if (!ctx.tokens())
        return;
    const auto& saved = ctx.saved_login();
    if (!saved)
        return;
    const auto ends = saved->login_expires_at();
    if (!ends)
        return;
    const auto now = ctx.clock().now();
    const std::string when = api::format_timestamp(*ends);
    if (*ends <= now) {
        ctx.out.warn(fmt::format("the saved login ended at {}: run `{}` before the next sync", when,
                                 saved->login_command()));
    } else if (*ends - now <= std::chrono::hours(24)) {
        ctx.out.warn(fmt::format("the saved login ends at {} and cannot renew itself (no "
                                 "refresh token): run `{}` before then",
                                 when, saved->login_command()));
    }
}

/// Warns about selections made under the other API generation: `sync` skips them.
void warn_other_generation(Context& ctx, const std::vector<store::Selection>& selections) {
    auto api = ctx.api_generation();
    if (!api)
        return;
    const auto current =
        *api == auth::ApiGeneration::v4 ? store::Generation::v4 : store::Generation::v2;
    for (const auto& s : selections) {
        if (s.generation == current)
            continue;
        ctx.out.warn(fmt::format("{} was selected on the {} API and the API in use is {}: `sync` "
                                 "skips it; sync it with `--api {}`, or unselect it and select "
                                 "the project again on {}",
                                 project_label(selection_info(s)), store::to_string(s.generation),
                                 store::to_string(current), store::to_string(s.generation),
                                 store::to_string(current)));
    }
}

/// Synced files by how they were verified (policy::verified_by): checksum, readback,
/// content-md5+size, size.
struct VerifiedCounts {
    std::uint64_t checksum = 0;
    std::uint64_t readback = 0;
    std::uint64_t content_md5_size = 0;
    std::uint64_t size = 0;
};

Result<VerifiedCounts> verified_counts(store::Journal& journal, const std::string& project_id) {
    auto rows = journal.records(project_id);
    if (!rows)
        return rows.error();
    VerifiedCounts v;
    for (const auto& [path, row] : *rows) {
        const std::string_view by = policy::verified_by(row);
        if (by == "checksum")
            ++v.checksum;
        else if (by == policy::k_verified_by_readback)
            ++v.readback;
        else if (by == "content-md5+size")
            ++v.content_md5_size;
        else if (by == "size")
            ++v.size;
    }
    return v;
}

/// A process holding the run lock now, and what a watcher published about itself.
struct RunningSync {
    std::optional<long> pid;                  ///< whoever holds the lock
    std::optional<watch::WatchState> watcher; ///< set when that is a `sync --watch`
};

RunningSync running_sync(const std::filesystem::path& state_dir) {
    RunningSync r;
    r.pid = engine::RunLock::holder(state_dir / "sync.lock");
    if (!r.pid)
        return r;
    auto w = watch::read_watch_state(watch::watch_status_path(state_dir));
    if (w && w->pid == *r.pid)
        r.watcher = std::move(*w);
    return r;
}

std::string time_or_never(const std::optional<Clock::time_point>& t) {
    return t ? api::format_timestamp(*t).substr(0, 19) + "Z" : std::string("never");
}

void write_running_json(JsonWriter& j, const RunningSync& r) {
    j.key("running_pid");
    if (r.pid)
        j.value(static_cast<std::int64_t>(*r.pid));
    else
        j.null();
    j.key("watcher");
    if (!r.watcher) {
        j.null();
        return;
    }
    const auto& w = *r.watcher;
    j.begin_object().member("pid", static_cast<std::int64_t>(w.pid));
    j.member("started_at", api::format_timestamp(w.started_at));
    j.member("state", w.state).member("activity", w.activity);
    j.key("projects").begin_array();
    for (const auto& p : w.projects) {
        j.begin_object().member("id", p.id).member("watched", p.watched);
        j.key("last_run");
        if (p.last_run)
            j.value(api::format_timestamp(*p.last_run));
        else
            j.null();
        j.key("next_check");
        if (p.next_check)
            j.value(api::format_timestamp(*p.next_check));
        else
            j.null();
        j.key("checked_whole");
        if (p.checked_whole)
            j.value(api::format_timestamp(*p.checked_whole));
        else
            j.null();
        j.end_object();
    }
    j.end_array().end_object();
}

void print_running(Context& ctx, const RunningSync& r,
                   const std::vector<store::Selection>& selections) {
    if (!r.pid)
        return;
    if (!r.watcher) {
        ctx.out.data(fmt::format("a sync is running (pid {})", *r.pid));
        return;
    }
    const auto& w = *r.watcher;
    ctx.out.data(fmt::format("sync --watch is running (pid {}) since {}: {}{}", w.pid,
                             time_or_never(w.started_at), w.state,
                             w.activity.empty() ? std::string() : ", " + w.activity));
    for (const auto& p : w.projects) {
        std::string name = p.id;
        for (const auto& s : selections) {
            if (s.project_id == p.id)
                name = project_label(selection_info(s));
        }
        ctx.out.data(fmt::format("  {}: {}, last synced {}, next check of Frame.io {}, every "
                                 "folder checked since {}",
                                 name, p.watched ? "watched" : "polled (not watched)",
                                 time_or_never(p.last_run), time_or_never(p.next_check),
                                 time_or_never(p.checked_whole)));
    }
}

ExitCode run_status(Context& ctx, bool json) {
    warn_login_ending(ctx);
    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    auto selections = (*state)->selections();
    if (!selections)
        return fail(ctx, selections.error());
    warn_other_generation(ctx, *selections);
    auto last = (*state)->last_run();
    if (!last)
        return fail(ctx, last.error());
    const RunningSync running = running_sync((*state)->path().parent_path());
    store::Journal journal((*state)->db());
    std::vector<store::StatusCounts> counts;
    std::vector<VerifiedCounts> verified;
    for (const auto& s : *selections) {
        auto c = journal.status_counts(s.project_id);
        if (!c)
            return fail(ctx, c.error());
        counts.push_back(std::move(*c));
        auto v = verified_counts(journal, s.project_id);
        if (!v)
            return fail(ctx, v.error());
        verified.push_back(*v);
    }
    if (json) {
        JsonWriter j;
        j.begin_object().member("v", 1).member("event", "status");
        j.key("projects").begin_array();
        for (std::size_t i = 0; i < selections->size(); ++i) {
            const auto& s = (*selections)[i];
            const auto& c = counts[i];
            j.begin_object().member("id", s.project_id).member("name", s.project_name);
            j.member("team_id", s.team_id).member("team_name", s.team_name);
            j.member("api", std::string(store::to_string(s.generation)));
            j.member("account_id", s.account_id);
            j.member("local_path", s.local_path.string());
            j.member("selected_at", api::format_timestamp(s.selected_at));
            j.key("counts").begin_object();
            auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
            j.member("synced", n(c.synced)).member("pending", n(c.pending));
            j.member("awaiting_verification", n(c.awaiting_verification));
            j.member("failed", n(c.failed)).member("conflicts", n(c.conflicts));
            j.member("deleted_locally", n(c.deleted_locally));
            j.member("deleted_remotely", n(c.deleted_remotely));
            j.member("changed_locally", n(c.changed_locally));
            j.member("remote_changed", n(c.remote_changed));
            j.member("skipped_names", n(c.skipped_names)).end_object();
            const auto& v = verified[i];
            j.key("verified_by").begin_object().member("checksum", n(v.checksum));
            j.member("readback", n(v.readback));
            j.member("content-md5+size", n(v.content_md5_size));
            j.member("size", n(v.size)).end_object();
            j.key("last_sync");
            if (c.last_run) {
                j.begin_object().member("run_id", static_cast<std::int64_t>(c.last_run->run_id));
                j.member("finished_at", api::format_timestamp(c.last_run->finished_at));
                j.member("result", c.last_run->result).end_object();
            } else {
                j.null();
            }
            j.end_object();
        }
        j.end_array();
        j.key("last_run");
        if (last->has_value()) {
            const auto& r = **last;
            j.begin_object().member("command", r.command);
            j.member("started_at", api::format_timestamp(r.started_at));
            if (r.finished_at) {
                j.member("finished_at", api::format_timestamp(*r.finished_at));
            } else {
                j.key("finished_at").null();
            }
            j.member("result", r.result).end_object();
        } else {
            j.null();
        }
        write_running_json(j, running);
        j.end_object();
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    if (selections->empty()) {
        ctx.out.data("No project selected. `frameio-sync projects` lists them; "
                     "`frameio-sync select PROJECT --to DIR` chooses one.");
    } else {
        std::vector<std::vector<std::string>> rows{{"PROJECT", "ID", "LOCAL FOLDER", "SYNCED",
                                                    "PENDING", "AWAITING", "FAILED", "CONFLICTS",
                                                    "DELETED", "SKIPPED", "LAST SYNC"}};
        for (std::size_t i = 0; i < selections->size(); ++i) {
            const auto& s = (*selections)[i];
            const auto& c = counts[i];
            std::string last_sync = "never";
            if (c.last_run) {
                last_sync = api::format_timestamp(c.last_run->finished_at).substr(0, 19) + " " +
                            c.last_run->result;
            }
            rows.push_back(
                {project_label(selection_info(s)), s.project_id, s.local_path.string(),
                 std::to_string(c.synced), std::to_string(c.pending),
                 std::to_string(c.awaiting_verification), std::to_string(c.failed),
                 std::to_string(c.conflicts),
                 fmt::format("{} here, {} on Frame.io", c.deleted_locally, c.deleted_remotely),
                 std::to_string(c.skipped_names), last_sync});
        }
        for (const auto& line : format_table(rows))
            ctx.out.data(line);
        for (std::size_t i = 0; i < selections->size(); ++i) {
            const auto& c = counts[i];
            const auto& v = verified[i];
            if (v.readback > 0 || v.content_md5_size > 0 || v.size > 0) {
                ctx.out.data(fmt::format("{}: files verified by checksum {}, by readback {}, by "
                                         "content-md5+size {}, by size {}",
                                         (*selections)[i].project_name, v.checksum, v.readback,
                                         v.content_md5_size, v.size));
            }
            if (c.changed_locally > 0 || c.remote_changed > 0) {
                ctx.out.data(fmt::format("{}: {} changed here (not uploaded), {} changed on "
                                         "Frame.io (not downloaded)",
                                         (*selections)[i].project_name, c.changed_locally,
                                         c.remote_changed));
            }
        }
    }
    if (last->has_value()) {
        const auto& r = **last;
        ctx.out.data(fmt::format("last run: {} started {}, {}", r.command,
                                 api::format_timestamp(r.started_at),
                                 r.result ? *r.result : std::string("did not finish")));
    } else {
        ctx.out.data("last run: never");
    }
    print_running(ctx, running, *selections);
    return ExitCode::ok;
}

} // namespace

void add_select_commands(CLI::App& app, Context& ctx, Action& action) {
    auto opt = std::make_shared<SelectOptions>();
    auto* select = app.add_subcommand("select", "Choose a project to sync into a local folder");
    select
        ->add_option("PROJECT", opt->project,
                     "Project id, `Team/Project` (V4: `Workspace/Project`), or a unique name")
        ->required();
    select->add_option("--to", opt->folder, "Local folder (created if missing)")->required();
    select->add_flag("--json", opt->json, "Print the result as a JSON object on stdout");
    select->callback(
        [&ctx, &action, opt] { action = [&ctx, opt] { return run_select(ctx, *opt); }; });

    auto unselect_project = std::make_shared<std::string>();
    auto unselect_json = std::make_shared<bool>(false);
    auto* unselect = app.add_subcommand(
        "unselect", "Stop syncing a project (deletes nothing, locally or on Frame.io)");
    unselect->add_option("PROJECT", *unselect_project, "Project id, `Team/Project`, or name")
        ->required();
    unselect->add_flag("--json", *unselect_json, "Print the result as a JSON object on stdout");
    unselect->callback([&ctx, &action, unselect_project, unselect_json] {
        action = [&ctx, unselect_project, unselect_json] {
            return run_unselect(ctx, *unselect_project, *unselect_json);
        };
    });

    auto status_json = std::make_shared<bool>(false);
    auto* status = app.add_subcommand(
        "status", "Show the selected projects, what needs attention in each, and the last run");
    status->add_flag("--json", *status_json, "Print a JSON object on stdout");
    status->callback([&ctx, &action, status_json] {
        action = [&ctx, status_json] { return run_status(ctx, *status_json); };
    });
}

} // namespace fios::cli
