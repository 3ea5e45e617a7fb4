// SPDX-License-Identifier: MIT
#include "fios/engine/sync_engine.hpp"

#include "fios/engine/discover_remote.hpp"
#include "fios/engine/local_fs.hpp"
#include "fios/engine/plan_runner.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/engine/run_lock.hpp"
#include "fios/hash/xxh64.hpp"
#include "fios/plan/reconcile.hpp"
#include "fios/remote/remote.hpp"
#include "fios/scan/local_scanner.hpp"
#include "fios/scan/remote_scanner.hpp"
#include "fios/store/journal.hpp"
#include "fios/store/state_db.hpp"
#include "fios/transfer/executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

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

namespace {

using model::RelPath;

std::string describe_project(const store::Selection& s) {
    return s.team_name.empty() ? s.project_name : s.team_name + "/" + s.project_name;
}

/// Hashes the files of hash_local actions, `jobs` at a time, off the journal thread.
/// Returns the hashes that still describe the scanned file (a file that changed while it was
/// hashed is left out: reconcile asks again and the engine skips it this run).
Result<std::vector<model::LocalHash>> hash_files(const std::filesystem::path& root,
                                                 const plan::Plan& plan, std::size_t jobs,
                                                 const CancelToken* cancel) {
    std::vector<const plan::Action*> todo;
    for (const auto& a : plan.actions) {
        if (a.kind == plan::ActionKind::hash_local && a.local)
            todo.push_back(&a);
    }
    std::vector<std::optional<model::LocalHash>> results(todo.size());
    std::atomic<std::size_t> next{0};
    std::mutex error_mutex;
    std::optional<Error> fatal;
    auto worker = [&] {
        while (true) {
            const std::size_t i = next.fetch_add(1);
            if (i >= todo.size())
                return;
            const model::LocalEntry& l = *todo[i]->local;
            auto h = hash::hash_file(root / l.path.str(), cancel);
            if (!h) {
                if (h.error().code == ErrorCode::cancelled) {
                    std::lock_guard lock(error_mutex);
                    if (!fatal)
                        fatal = h.error();
                }
                continue; // changed or unreadable: skipped this run
            }
            if (h->size != l.size || h->mtime != l.mtime || h->inode != l.inode)
                continue;
            results[i] = model::LocalHash{l.path, l.size, l.mtime, l.inode, h->xxh64};
        }
    };
    const std::size_t n = std::clamp<std::size_t>(jobs, 1, std::max<std::size_t>(todo.size(), 1));
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < n; ++i)
        threads.emplace_back(worker);
    worker();
    for (auto& t : threads)
        t.join();
    if (fatal)
        return *fatal;
    std::vector<model::LocalHash> out;
    for (auto& r : results) {
        if (r)
            out.push_back(std::move(*r));
    }
    return out;
}

/// Counts what a plan would do (dry runs: nothing is executed).
void count_plan(const plan::Plan& plan, Counts& c) {
    using plan::ActionKind;
    for (const auto& a : plan.actions) {
        switch (a.kind) {
        case ActionKind::create_remote_folder:
        case ActionKind::create_local_folder:
            ++c.folders_created;
            break;
        case ActionKind::upload:
        case ActionKind::reupload:
        case ActionKind::resume_upload:
            ++c.uploaded;
            if (a.local)
                c.bytes_uploaded += a.local->size;
            break;
        case ActionKind::download:
        case ActionKind::resume_download:
            ++c.downloaded;
            if (a.remote)
                c.bytes_downloaded += a.remote->filesize;
            break;
        case ActionKind::adopt:
            ++c.adopted;
            break;
        case ActionKind::verify:
            ++c.verified;
            break;
        case ActionKind::hash_local:
            ++c.settling;
            break;
        case ActionKind::mark_failed:
            ++c.failed;
            break;
        case ActionKind::forget:
            ++c.forgotten;
            break;
        case ActionKind::skip:
            switch (a.skip) {
            case plan::SkipReason::none:
                break;
            case plan::SkipReason::settling:
                ++c.settling;
                break;
            case plan::SkipReason::remote_incomplete:
                ++c.remote_incomplete;
                break;
            case plan::SkipReason::awaiting_verification:
                ++c.awaiting_verification;
                break;
            case plan::SkipReason::duplicate:
                ++c.duplicates;
                break;
            case plan::SkipReason::deleted_locally:
                ++c.deleted_locally;
                break;
            case plan::SkipReason::deleted_remotely:
                ++c.deleted_remotely;
                break;
            case plan::SkipReason::changed_locally:
                ++c.changed_locally;
                break;
            case plan::SkipReason::remote_changed:
                ++c.remote_changed;
                break;
            case plan::SkipReason::conflict:
                ++c.conflicts;
                break;
            case plan::SkipReason::backoff:
                ++c.backoff;
                break;
            case plan::SkipReason::failed:
                ++c.failed;
                break;
            case plan::SkipReason::hostile_name:
                ++c.hostile_names;
                break;
            case plan::SkipReason::unsupported_type:
            case plan::SkipReason::local_unreadable:
            case plan::SkipReason::parent_skipped:
                ++c.skipped_local;
                break;
            case plan::SkipReason::direction_excluded:
                ++c.direction_excluded;
                break;
            }
            break;
        }
    }
}

/// True when the action leaves both sides as they are and waits for nothing: a skip for a
/// reason that stays until one side changes (not settling, backoff, awaiting a checksum, an
/// incomplete upload, a failure).
bool steady(const plan::Action& a) {
    using plan::SkipReason;
    if (a.kind != plan::ActionKind::skip)
        return false;
    switch (a.skip) {
    case SkipReason::none:
    case SkipReason::duplicate:
    case SkipReason::hostile_name:
    case SkipReason::unsupported_type:
    case SkipReason::direction_excluded:
    case SkipReason::deleted_locally:
    case SkipReason::deleted_remotely:
    case SkipReason::changed_locally:
    case SkipReason::remote_changed:
        return true;
    default:
        return false;
    }
}

/// True when every action of the plan is steady().
bool asks_nothing(const plan::Plan& plan) {
    return std::all_of(plan.actions.begin(), plan.actions.end(), steady);
}

/// True for errors after which no other project can do better: the run ends.
bool ends_run(const Error& e) {
    switch (e.code) {
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
    case ErrorCode::cancelled:
    case ErrorCode::disk_full:
    case ErrorCode::db:
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::server:
    case ErrorCode::rate_limited:
        return true;
    default:
        return false;
    }
}

class Run {
public:
    Run(const EngineDeps& deps, const RunOptions& options, Observer* observer)
        : m_deps(deps), m_options(options), m_observer(observer), m_journal(deps.state->db()) {
        m_policy.settle = options.settle;
        m_policy.verify_timeout = options.verify_timeout;
        m_policy.direction = options.direction;
        m_policy.readback = options.readback;
        if (!options.backoff.empty())
            m_policy.backoff = options.backoff;
        // What counts as verified, and what can be uploaded, is the backend's to say (rows
        // 73-77 without a checksum, row 79 without empty files).
        if (deps.remote != nullptr) {
            const remote::Capabilities caps = deps.remote->capabilities();
            if (!caps.has_content_checksum)
                m_policy.verification = policy::Verification::size;
            m_policy.uploads_empty_files = caps.uploads_empty_files;
        }
    }

    Result<RunReport> run();

private:
    void project(const store::Selection& sel, ProjectReport& rep);
    Result<bool> bind_journal(const store::Selection& sel, const model::LocalSnapshot& local);
    void warn(WarningKind kind, const std::string& project_id, const std::string& message) {
        if (m_observer == nullptr)
            return;
        Warning w;
        w.kind = kind;
        w.project_id = project_id;
        w.message = message;
        m_observer->on_warning(w);
    }
    void phase(const std::string& project_id, std::string_view name) {
        if (m_observer != nullptr)
            m_observer->on_phase(project_id, name);
    }
    void emit_warnings(const std::string& project_id, const plan::Plan& plan);
    transfer::Executor& executor();
    [[nodiscard]] bool cancelled() const {
        return m_deps.cancel != nullptr && m_deps.cancel->cancelled();
    }
    void set_fatal(const Error& e) {
        if (!m_fatal)
            m_fatal = e;
    }
    void note_changed_folders(const std::string& project_id, const plan::Plan& plan);
    Status record_project_run(const ProjectReport& rep, const std::string& result);
    void record_unchanged(const std::string& project_id, ProjectReport& rep);
    void prune_journal(const std::string& project_id, const std::filesystem::path& root,
                       const model::LocalSnapshot& local);
    void record_counters(const std::string& project_id, const store::ProjectInfo* agreed,
                         const std::filesystem::path& root, const std::string& digest);
    Result<std::string> root_folder_of(const store::Selection& sel,
                                       const store::ProjectInfo*& listed) const;
    Result<bool> counters_unchanged(const store::ProjectInfo& listed,
                                    const std::filesystem::path& root, const std::string& digest);

    const EngineDeps& m_deps;
    const RunOptions& m_options;
    Observer* m_observer;
    store::Journal m_journal;
    policy::Policy m_policy;
    std::optional<std::vector<store::ProjectInfo>> m_listing;
    std::optional<Error> m_fatal;
    std::int64_t m_run_id = 0;
    std::unique_ptr<transfer::Executor> m_executor;
    detail::RunProgress m_progress;
};

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

void Run::emit_warnings(const std::string& project_id, const plan::Plan& plan) {
    if (m_observer == nullptr)
        return;
    for (const auto& a : plan.actions) {
        if (a.kind != plan::ActionKind::skip)
            continue;
        std::optional<WarningKind> kind;
        switch (a.skip) {
        case plan::SkipReason::hostile_name:
            kind = WarningKind::hostile_name;
            break;
        case plan::SkipReason::unsupported_type:
            kind = WarningKind::unsupported_type;
            break;
        case plan::SkipReason::local_unreadable:
            kind = WarningKind::local_unreadable;
            break;
        case plan::SkipReason::duplicate:
            kind = WarningKind::duplicate;
            break;
        default:
            break;
        }
        if (!kind)
            continue;
        Warning w;
        w.kind = *kind;
        w.project_id = project_id;
        w.path = plan::display_path(a);
        w.asset_id = a.asset_id;
        w.message = w.path + ": " + a.reason;
        m_observer->on_warning(w);
    }
}

/// The folders where this plan acted are looked at again first in a watch's next remote check:
/// the view does not hold what the run did there.
void Run::note_changed_folders(const std::string& project_id, const plan::Plan& plan) {
    std::set<RelPath> folders;
    for (const auto& a : plan.actions) {
        if (a.kind != plan::ActionKind::skip && !a.path.is_root())
            folders.insert(a.path.parent());
    }
    m_deps.remote_cache->mark_changed(project_id, folders, m_deps.clock->now());
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

/// The project's root folder on Frame.io: from this run's project listing when there is one
/// (`listed` then points at the project's entry), else from its selection.
Result<std::string> Run::root_folder_of(const store::Selection& sel,
                                        const store::ProjectInfo*& listed) const {
    listed = nullptr;
    if (m_listing) {
        auto it = std::find_if(m_listing->begin(), m_listing->end(),
                               [&](const store::ProjectInfo& p) { return p.id == sel.project_id; });
        if (it == m_listing->end()) {
            return Error{ErrorCode::not_found,
                         "the project is no longer listed on Frame.io (deleted, or access was "
                         "removed); nothing was changed"};
        }
        listed = &*it;
    }
    std::string root_id = listed != nullptr ? listed->root_asset_id : sel.root_asset_id;
    if (root_id.empty()) {
        return Error{ErrorCode::not_found, "the project's root folder is not known; run "
                                           "`frameio-sync projects` and try again"};
    }
    return root_id;
}

/// True when the project's counters on Frame.io and the local folder's digest are those of the
/// last fully agreed run (a backend whose counters move with every change: V2).
Result<bool> Run::counters_unchanged(const store::ProjectInfo& listed,
                                     const std::filesystem::path& root, const std::string& digest) {
    auto disc = m_journal.discovery(listed.id);
    if (!disc)
        return disc.error();
    return *disc && (*disc)->file_count == listed.file_count &&
           (*disc)->folder_count == listed.folder_count &&
           (*disc)->updated_at == listed.updated_at && (*disc)->local_path == root.string() &&
           (*disc)->local_digest == digest;
}

/// Housekeeping after a run: transfer state of paths no longer in transfer, hashes of vanished
/// files.
void Run::prune_journal(const std::string& project_id, const std::filesystem::path& root,
                        const model::LocalSnapshot& local) {
    if (auto stale = m_journal.prune_transfers(project_id)) {
        for (const auto& t : *stale)
            (void)transfer::remove_temp(root, t.path, t.asset_id);
    }
    std::vector<RelPath> keep;
    for (const auto& [path, e] : local.entries) {
        if (e.kind == model::EntryKind::file)
            keep.push_back(path);
    }
    (void)m_journal.prune_hashes(project_id, keep);
}

/// Remembers the project's counters (`agreed`: its listing entry) when the run left both sides
/// agreeing with nothing pending, so that a later run with the same counters and local folder
/// has nothing to do; forgets them otherwise (`agreed` null).
void Run::record_counters(const std::string& project_id, const store::ProjectInfo* agreed,
                          const std::filesystem::path& root, const std::string& digest) {
    if (agreed == nullptr) {
        if (auto s = m_journal.clear_discovery(project_id); !s)
            set_fatal(s.error());
        return;
    }
    store::DiscoveryState d;
    d.project_id = project_id;
    d.local_path = root.string();
    d.file_count = agreed->file_count;
    d.folder_count = agreed->folder_count;
    d.updated_at = agreed->updated_at;
    d.local_digest = digest;
    d.agreed_at = m_deps.clock->now();
    if (auto s = m_journal.put_discovery(d); !s)
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

/// True when the row is a file that `local` still holds with exactly the row's fingerprint
/// (size, mtime to the nanosecond, inode): the row was recorded in this folder.
bool recorded_here(const model::JournalRecord& row, const model::LocalSnapshot& local) {
    if (row.kind != model::EntryKind::file || row.inode == 0)
        return false;
    auto it = local.entries.find(row.path);
    return it != local.entries.end() && it->second.kind == model::EntryKind::file &&
           it->second.size == row.size && it->second.mtime == row.local_mtime &&
           it->second.inode == row.inode;
}

/// Whose journal is it? A project's rows describe what ONE folder and Frame.io agreed on;
/// applied to another folder every file would look deleted there and nothing would come down
/// (issue 9). StateDb::select binds the journal to the selected folder; this is the same rule
/// where the journal is read, so no run applies rows to a folder they were not recorded for:
/// rows bound to another folder are dropped (Journal::reset_folder), and rows from before schema
/// version 5 (no folder recorded) are kept only when some file here still has a row's exact
/// fingerprint. Returns true when the rows do not apply to this folder and were left in place
/// (a dry run writes nothing: it plans from an empty journal instead).
Result<bool> Run::bind_journal(const store::Selection& sel, const model::LocalSnapshot& local) {
    const std::string& pid = sel.project_id;
    const std::string folder = sel.local_path.string();
    auto bound = m_journal.folder(pid);
    if (!bound)
        return bound.error();
    if (*bound && **bound == folder)
        return false;
    bool here = false;
    if (!*bound) {
        auto rows = m_journal.records(pid);
        if (!rows)
            return rows.error();
        here = rows->empty() || std::any_of(rows->begin(), rows->end(), [&](const auto& row) {
                   return recorded_here(row.second, local);
               });
    }
    if (m_options.dry_run)
        return !here;
    auto tx = m_journal.transaction();
    if (!tx)
        return tx.error();
    if (here) {
        if (auto s = m_journal.adopt_folder(pid, folder); !s)
            return s.error();
        if (auto s = tx->commit(); !s)
            return s.error();
        return false;
    }
    auto dropped = m_journal.reset_folder(pid, folder);
    if (!dropped)
        return dropped.error();
    if (auto s = tx->commit(); !s)
        return s.error();
    warn(WarningKind::project, pid,
         fmt::format("{}: the journal ({} rows) was recorded for {}, not for {}: this folder "
                     "starts from nothing (files equal to Frame.io's are adopted; nothing is "
                     "overwritten or deleted, here or on Frame.io)",
                     describe_project(sel), *dropped,
                     *bound ? **bound : std::string("a folder not recorded"), folder));
    return false;
}

void Run::project(const store::Selection& sel, ProjectReport& rep) {
    const std::string& pid = sel.project_id;
    const std::filesystem::path root = sel.local_path;
    auto project_error = [&](Error e) {
        warn(WarningKind::project, pid, describe_project(sel) + ": " + e.message);
        rep.error = std::move(e);
        if (!m_options.dry_run)
            (void)record_project_run(rep, "failed");
    };

    // A missing folder (an unmounted disk, a typo) must never look like "everything was
    // deleted locally": the project is not synced at all.
    if (!detail::is_folder(root)) {
        project_error(Error{ErrorCode::io,
                            fmt::format("the local folder {} does not exist or is not a folder; "
                                        "create it (or mount its disk), or `frameio-sync "
                                        "unselect` the project",
                                        root.string())});
        return;
    }
    const store::ProjectInfo* listed = nullptr;
    auto root_folder = root_folder_of(sel, listed);
    if (!root_folder) {
        project_error(root_folder.error());
        return;
    }
    const std::string& root_id = *root_folder;

    RemoteCache* const cache = m_options.dry_run ? nullptr : m_deps.remote_cache;
    const std::set<RelPath>* scope_folders = nullptr;
    if (auto it = m_options.scope.find(pid); it != m_options.scope.end() && !it->second.empty())
        scope_folders = &it->second;
    DiscoverRequest request{pid, root_id, root, scope_folders, m_options.jobs, m_deps.cancel, {}};
    if (m_options.give_way)
        request.give_way = [this, &pid] { return m_options.give_way(pid); };
    const auto discover = [&](const LocalSides* sides) {
        phase(pid, "discover");
        return discover_remote(*m_deps.remote, cache, request, sides, m_deps.clock->now());
    };
    // An error that no other project can do better on ends the run; any other, this project.
    const auto fail_project = [&](const Error& e) {
        if (ends_run(e))
            set_fatal(e);
        else
            project_error(e);
    };

    // Nothing changed here since a run that left everything agreed (a watch's remote check):
    // the scoped listings alone say whether there is anything to do.
    std::optional<Discovered> listed_first;
    if (cache != nullptr && scope_folders != nullptr && m_options.local_unchanged.count(pid) > 0 &&
        cache->agreed(pid, root_id, root)) {
        auto d = discover(nullptr);
        if (!d) {
            fail_project(d.error());
            return;
        }
        if (!d->news) {
            record_unchanged(pid, rep);
            return;
        }
        listed_first = std::move(*d);
    }
    if (cache != nullptr)
        cache->set_agreed(pid, false); // until this run ends with everything agreed

    // 3. local scan (cheap: no hashing)
    phase(pid, "scan");
    scan::LocalScanOptions lopt;
    lopt.cancel = m_deps.cancel;
    auto local = scan::scan_local(root, lopt);
    if (!local) {
        fail_project(local.error().with_context("scanning " + root.string()));
        return;
    }
    const std::string digest = scan::digest(*local);

    // Whose journal: rows recorded for another folder never apply to this one.
    auto foreign = bind_journal(sel, *local);
    if (!foreign) {
        set_fatal(foreign.error());
        return;
    }

    // Unchanged since the last fully agreed run: not listed again.
    // Only a directory whose counters move with every change can prove it (V2, not V4).
    const bool counters = m_deps.projects != nullptr && m_deps.projects->has_change_counters();
    if (listed != nullptr && counters && !*foreign) {
        auto same = counters_unchanged(*listed, root, digest);
        if (!same) {
            set_fatal(same.error());
            return;
        }
        if (*same) {
            record_unchanged(pid, rep);
            return;
        }
    }

    // 4. journal (a dry run over rows of another folder plans from nothing, as the run would)
    auto journal = *foreign ? Result<model::JournalSnapshot>(model::JournalSnapshot{})
                            : m_journal.snapshot(pid);
    if (!journal) {
        set_fatal(journal.error());
        return;
    }

    // 2. remote: the whole tree, or the folders of a partial run laid over the last view
    if (*foreign)
        request.scope = nullptr;
    const LocalSides sides{*local, *journal};
    auto discovered =
        listed_first && !*foreign ? Result<Discovered>(std::move(*listed_first)) : discover(&sides);
    if (!discovered) {
        fail_project(discovered.error());
        return;
    }
    const model::RemoteSnapshot& remote_side = discovered->snapshot;
    const std::optional<Coverage>& coverage = discovered->coverage;
    bool nothing_to_do = false; // the whole plan, before covered_part, asks for nothing
    // ... or at least nothing outside what the listings cover: then everything the local scan
    // saw is acted on or in agreement, and the scan may stand for the folder after the run.
    bool nothing_uncovered = false;
    const auto reconcile = [&](TimePoint at) {
        plan::Plan p = plan::reconcile(remote_side, *local, *journal, m_policy, at);
        nothing_to_do = asks_nothing(p);
        nothing_uncovered =
            !coverage || std::all_of(p.actions.begin(), p.actions.end(), [&](const auto& a) {
                return coverage->covers(a) || steady(a);
            });
        return coverage ? covered_part(std::move(p), *coverage) : p;
    };

    // 5. reconcile (twice when local hashes are needed)
    phase(pid, "reconcile");
    plan::Plan plan = reconcile(m_deps.clock->now());
    if (plan.needs_hashes()) {
        phase(pid, "hash");
        auto hashes = hash_files(root, plan, m_options.jobs, m_deps.cancel);
        if (!hashes) {
            set_fatal(hashes.error());
            return;
        }
        for (auto& h : *hashes) {
            if (!m_options.dry_run) {
                if (auto s = m_journal.put_hash(pid, h); !s) {
                    set_fatal(s.error());
                    return;
                }
            }
            auto path = h.path;
            journal->hashes[path] = std::move(h);
        }
        plan = reconcile(m_deps.clock->now());
    }
    if (m_observer != nullptr)
        m_observer->on_plan(pid, plan);

    if (m_options.dry_run) {
        count_plan(plan, rep.counts);
        emit_warnings(pid, plan);
        return;
    }

    // 6. execute and record
    if (auto s = m_journal.replace_observations(pid, plan.observations); !s) {
        set_fatal(s.error());
        return;
    }
    phase(pid, "execute");
    detail::ProjectScope scope{
        pid, root, root_id, std::max<std::size_t>(64, 8 * std::max<std::size_t>(m_options.jobs, 1)),
        m_options.free_space_margin};
    detail::PlanRunner runner(scope, m_journal, *m_deps.remote, executor(), m_policy, *m_deps.clock,
                              m_deps.cancel, m_observer, m_progress, rep.counts);
    auto executed = runner.execute(plan);
    if (!executed)
        set_fatal(executed.error());
    else if (!plan.writes_local() && nothing_uncovered)
        rep.local_digest = digest;
    // Both sides agree with nothing pending (a partial run: on the paths it looked at).
    const bool agreed = executed && runner.settled() && !rep.counts.needs_attention();
    if (cache != nullptr) {
        note_changed_folders(pid, plan);
        cache->set_agreed(pid, agreed && nothing_to_do);
    }
    prune_journal(pid, root, *local);
    record_counters(pid, listed != nullptr && counters && agreed && !coverage ? listed : nullptr,
                    root, digest);
    const std::string result =
        !executed ? (executed.error().code == ErrorCode::cancelled ? "interrupted" : "failed")
        : rep.counts.needs_attention() ? "partial"
                                       : "ok";
    if (auto s = record_project_run(rep, result); !s)
        set_fatal(s.error());
}

} // namespace

SyncEngine::SyncEngine(EngineDeps deps) : m_deps(std::move(deps)) {}
SyncEngine::~SyncEngine() = default;

Result<RunReport> SyncEngine::run(const RunOptions& options, Observer* observer) {
    if (m_deps.state == nullptr || m_deps.remote == nullptr || m_deps.clock == nullptr)
        return Error{ErrorCode::internal,
                     "SyncEngine needs a state database, a remote and a clock"};
    Run run(m_deps, options, observer);
    return run.run();
}

} // namespace fios::engine
