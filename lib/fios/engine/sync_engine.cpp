// SPDX-License-Identifier: MIT
#include "fios/engine/sync_engine.hpp"

#include "fios/engine/engine_run.hpp"
#include "fios/engine/run_lock.hpp"
#include "fios/store/state_db.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

namespace fios::engine {

// ---- names --------------------------------------------------------------------------------

std::string_view to_string(ItemResult result) noexcept {
    switch (result) {
    case ItemResult::done:
        return "done";
    case ItemResult::awaiting_verification:
        return "awaiting_verification";
    case ItemResult::skipped:
        return "skipped";
    case ItemResult::conflict:
        return "conflict";
    case ItemResult::failed:
        return "failed";
    case ItemResult::cancelled:
        return "cancelled";
    }
    return "failed";
}

std::string_view to_string(WarningKind kind) noexcept {
    switch (kind) {
    case WarningKind::hostile_name:
        return "hostile_name";
    case WarningKind::unsupported_type:
        return "unsupported_type";
    case WarningKind::local_unreadable:
        return "local_unreadable";
    case WarningKind::duplicate:
        return "duplicate";
    case WarningKind::project:
        return "project";
    }
    return "project";
}

std::string_view to_string(RunResult result) noexcept {
    switch (result) {
    case RunResult::ok:
        return "ok";
    case RunResult::partial:
        return "partial";
    case RunResult::failed:
        return "failed";
    case RunResult::interrupted:
        return "interrupted";
    }
    return "failed";
}

Counts& Counts::operator+=(const Counts& o) {
    uploaded += o.uploaded;
    downloaded += o.downloaded;
    adopted += o.adopted;
    verified += o.verified;
    folders_created += o.folders_created;
    awaiting_verification += o.awaiting_verification;
    failed += o.failed;
    conflicts += o.conflicts;
    settling += o.settling;
    deleted_locally += o.deleted_locally;
    deleted_remotely += o.deleted_remotely;
    changed_locally += o.changed_locally;
    remote_changed += o.remote_changed;
    remote_incomplete += o.remote_incomplete;
    duplicates += o.duplicates;
    hostile_names += o.hostile_names;
    skipped_local += o.skipped_local;
    backoff += o.backoff;
    direction_excluded += o.direction_excluded;
    forgotten += o.forgotten;
    cancelled += o.cancelled;
    bytes_uploaded += o.bytes_uploaded;
    bytes_downloaded += o.bytes_downloaded;
    return *this;
}

std::string to_json(const Counts& counts) {
    std::string out = "{";
    bool first = true;
    for_each_count(counts, [&](std::string_view name, std::uint64_t value) {
        out += fmt::format("{}\"{}\":{}", first ? "" : ",", name, value);
        first = false;
    });
    out += "}";
    return out;
}

// ---- the run ------------------------------------------------------------------------------

namespace detail {

std::string describe_project(const store::Selection& s) {
    return s.team_name.empty() ? s.project_name : s.team_name + "/" + s.project_name;
}

transfer::Executor& Run::executor() {
    if (!m_executor) {
        transfer::ExecutorOptions o;
        o.jobs = std::max<std::size_t>(m_options.jobs, 1);
        o.part_jobs = std::max<std::size_t>(m_options.part_jobs, 1);
        o.downloader.free_space_margin = m_options.free_space_margin;
        o.verify.timeout =
            std::chrono::duration_cast<std::chrono::milliseconds>(m_options.verify_timeout);
        m_executor =
            std::make_unique<transfer::Executor>(*m_deps.remote, *m_deps.clock, o, m_deps.cancel);
    }
    return *m_executor;
}

Result<RunReport> Run::run() {
    const auto started = m_deps.clock->now();
    m_progress.started = started;

    // 0. lock (a dry run changes nothing, so it neither needs nor takes the lock)
    std::optional<RunLock> lock;
    if (!m_options.dry_run && !m_deps.lock_held) {
        auto file = m_deps.lock_file.empty() ? m_deps.state->path().parent_path() / "sync.lock"
                                             : m_deps.lock_file;
        auto l = RunLock::acquire(file);
        if (!l)
            return l.error();
        lock.emplace(std::move(*l));
    }

    // Which projects, and are their folders distinct?
    auto selections = m_deps.state->selections();
    if (!selections)
        return selections.error();
    for (std::size_t i = 0; i < selections->size(); ++i) {
        for (std::size_t j = i + 1; j < selections->size(); ++j) {
            const auto& a = (*selections)[i];
            const auto& b = (*selections)[j];
            if (store::folders_overlap(a.local_path, b.local_path)) {
                return Error{ErrorCode::invalid_config,
                             fmt::format("the folders of {} ({}) and {} ({}) overlap; a folder "
                                         "may hold one project only: `frameio-sync unselect` one",
                                         describe_project(a), a.local_path.string(),
                                         describe_project(b), b.local_path.string())};
            }
        }
    }
    std::vector<store::Selection> chosen;
    if (m_options.projects.empty()) {
        chosen = *selections;
    } else {
        for (const auto& id : m_options.projects) {
            auto it = std::find_if(selections->begin(), selections->end(),
                                   [&](const store::Selection& s) { return s.project_id == id; });
            if (it == selections->end()) {
                return Error{ErrorCode::not_found,
                             fmt::format("project {} is not selected (`frameio-sync status` "
                                         "lists the selected projects)",
                                         id)};
            }
            if (std::none_of(chosen.begin(), chosen.end(),
                             [&](const store::Selection& s) { return s.project_id == id; }))
                chosen.push_back(*it);
        }
    }

    RunReport report;
    if (!m_options.dry_run) {
        auto id = m_deps.state->begin_run(m_options.command);
        if (!id)
            return id.error();
        m_run_id = *id;
        report.run_id = m_run_id;
    }

    // 1. every run lists teams and projects and records new ones
    if (m_options.list_projects && m_deps.projects != nullptr && !cancelled()) {
        auto listing = m_deps.projects->list_projects();
        if (!listing) {
            set_fatal(listing.error());
        } else {
            if (!m_options.dry_run) {
                auto fresh = m_deps.state->record_projects(*listing);
                if (!fresh)
                    set_fatal(fresh.error());
                else
                    report.new_projects = std::move(*fresh);
            }
            m_listing = std::move(*listing);
        }
    }

    // 2..6 per project
    for (const auto& sel : chosen) {
        if (m_fatal)
            break;
        if (cancelled()) {
            set_fatal(Error{ErrorCode::cancelled, "interrupted"});
            break;
        }
        ProjectReport rep;
        rep.project_id = sel.project_id;
        rep.name = sel.project_name;
        rep.team_name = sel.team_name;
        rep.local_path = sel.local_path;
        project(sel, rep);
        report.totals += rep.counts;
        report.projects.push_back(std::move(rep));
    }
    if (!m_fatal && cancelled())
        set_fatal(Error{ErrorCode::cancelled, "interrupted"});

    // 7. record the run
    report.error = m_fatal;
    if (m_fatal) {
        report.result =
            m_fatal->code == ErrorCode::cancelled ? RunResult::interrupted : RunResult::failed;
    } else {
        const bool attention =
            report.totals.needs_attention() ||
            std::any_of(report.projects.begin(), report.projects.end(),
                        [](const ProjectReport& p) { return p.error.has_value(); });
        report.result = attention ? RunResult::partial : RunResult::ok;
    }
    report.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_deps.clock->now() - started);
    if (!m_options.dry_run) {
        if (auto s = m_deps.state->finish_run(m_run_id, to_string(report.result),
                                              to_json(report.totals));
            !s && !report.error) {
            report.error = s.error();
            report.result = RunResult::failed;
        }
    }
    m_executor.reset(); // joins the workers before the report goes out
    if (m_observer != nullptr)
        m_observer->on_summary(report);
    return report;
}

/// The project was found unchanged since its last fully agreed run: its last record stands,
/// stamped with this run.
void Run::record_unchanged(const std::string& project_id, ProjectReport& rep) {
    rep.discovered = false;
    phase(project_id, "unchanged");
    if (m_options.dry_run)
        return;
    auto prev = m_journal.project_run(project_id);
    store::ProjectRun pr = prev && *prev ? **prev : store::ProjectRun{};
    pr.project_id = project_id;
    pr.run_id = m_run_id;
    pr.finished_at = m_deps.clock->now();
    pr.result = "ok";
    if (auto s = m_journal.put_project_run(pr); !s)
        set_fatal(s.error());
}

Status Run::record_project_run(const ProjectReport& rep, const std::string& result) {
    store::ProjectRun pr;
    pr.project_id = rep.project_id;
    pr.run_id = m_run_id;
    pr.finished_at = m_deps.clock->now();
    pr.result = result;
    pr.counts_json = to_json(rep.counts);
    pr.pending = rep.counts.settling + rep.counts.remote_incomplete + rep.counts.backoff;
    pr.skipped_names = rep.counts.hostile_names;
    pr.changed_locally = rep.counts.changed_locally;
    pr.remote_changed = rep.counts.remote_changed;
    pr.conflicts = rep.counts.conflicts;
    return m_journal.put_project_run(pr);
}

} // namespace detail

SyncEngine::SyncEngine(EngineDeps deps) : m_deps(std::move(deps)) {}
SyncEngine::~SyncEngine() = default;

Result<RunReport> SyncEngine::run(const RunOptions& options, Observer* observer) {
    if (m_deps.state == nullptr || m_deps.remote == nullptr || m_deps.clock == nullptr)
        return Error{ErrorCode::internal,
                     "SyncEngine needs a state database, a remote and a clock"};
    detail::Run run(m_deps, options, observer);
    return run.run();
}

} // namespace fios::engine
