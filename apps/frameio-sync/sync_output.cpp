// SPDX-License-Identifier: MIT
// The three output forms of `sync`: terminal progress, one line per item, --json lines.
#include "sync_output.hpp"

#include "json_writer.hpp"
#include "project_listing.hpp"

#include "fios/scan/path_map.hpp"

#include <fmt/core.h>

#include <unistd.h>

#include <cstdio>
#include <vector>

namespace fios::cli {
namespace {

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
class CliObserver final : public SyncOutput {
public:
    CliObserver(Context& ctx, SyncOutputMode mode)
        : m_ctx(ctx), m_json(mode.json), m_dry_run(mode.dry_run), m_watch(mode.watch),
          m_tty(::isatty(STDERR_FILENO) == 1 && ctx.out.level() >= Output::Level::normal) {}

    void on_phase(const std::string& project_id, std::string_view phase) override {
        if (phase == "unchanged") {
            m_ctx.out.verbose(
                fmt::format("{}: nothing changed since the last run", label(project_id)));
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
        const std::string line = fmt::format(
            "{}{}: {}{} in {}", m_dry_run ? "dry run, " : "", engine::to_string(r.result), list,
            bytes, human_duration(static_cast<double>(r.elapsed.count()) / 1000.0));
        // A watch's run that changed nothing (only states such as settling or awaiting a
        // checksum) is shown with -v only: it repeats every interval.
        const bool changed = c.uploaded + c.downloaded + c.folders_created + c.adopted +
                                 c.verified + c.failed + c.conflicts + c.cancelled >
                             0;
        if (m_watch && !changed && r.result == engine::RunResult::ok)
            m_ctx.out.verbose(line);
        else
            m_ctx.out.info(line);
        for (const auto& p : r.projects) {
            if (p.error)
                m_ctx.out.warn(fmt::format("{}: {}", p.name, p.error->message));
        }
        if (r.result == engine::RunResult::partial)
            m_ctx.out.info("`frameio-sync status` lists what needs attention.");
    }

    void set_labels(std::map<std::string, std::string> labels) override {
        m_labels = std::move(labels);
    }

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
    bool m_watch;
    bool m_tty;
    bool m_progress_shown = false;
    std::string m_progress;
    std::map<std::string, std::string> m_labels;
};

} // namespace

std::unique_ptr<SyncOutput> make_sync_output(Context& ctx, SyncOutputMode mode) {
    return std::make_unique<CliObserver>(ctx, mode);
}

} // namespace fios::cli
