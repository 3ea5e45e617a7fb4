// SPDX-License-Identifier: MIT
// The pipeline of one project's run (engine_run.hpp): discover, scan, journal, reconcile,
// execute, record.
#include "fios/engine/engine_run.hpp"
#include "fios/engine/local_fs.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/hash/xxh64.hpp"
#include "fios/plan/reconcile.hpp"
#include "fios/remote/remote.hpp"
#include "fios/scan/local_scanner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace fios::engine::detail {
namespace {

using model::RelPath;

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
    if (e.retryable()) // network, no answer, 5xx, 429: every other project would meet it too
        return true;
    switch (e.code) {
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
    case ErrorCode::cancelled:
    case ErrorCode::disk_full:
    case ErrorCode::db:
        return true;
    default:
        return false;
    }
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

} // namespace

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

struct Run::ProjectState {
    const store::Selection& sel;
    ProjectReport& rep;
    /// From this run's project listing, when there is one (root_folder_of).
    const store::ProjectInfo* listed = nullptr;
    std::string root_id{};
    RemoteCache* cache = nullptr;
    DiscoverRequest request{};
};

struct Run::LocalState {
    model::LocalSnapshot local;
    /// scan::digest(local), for the change counters' shortcut only (has_change_counters;
    /// empty without them: a V4 run does not hash its scan twice).
    std::string digest;
    /// The journal's rows were recorded for another folder (bind_journal): this run plans
    /// from an empty journal and lists the whole project.
    bool foreign = false;
    model::JournalSnapshot journal;
};

struct Run::Planned {
    plan::Plan plan;
    /// The whole plan, before covered_part, asks for nothing.
    bool nothing_to_do = false;
    /// ... or at least nothing outside what the listings cover: then everything the local
    /// scan saw is acted on or in agreement, and the scan may stand for the folder after the
    /// run.
    bool nothing_uncovered = false;
};

void Run::project_failed(ProjectState& st, Error e) {
    warn(WarningKind::project, st.sel.project_id, describe_project(st.sel) + ": " + e.message);
    st.rep.error = std::move(e);
    if (!m_options.dry_run)
        (void)record_project_run(st.rep, "failed");
}

void Run::fail(ProjectState& st, const Error& e) {
    if (ends_run(e))
        set_fatal(e);
    else
        project_failed(st, e);
}

std::optional<Run::ProjectState> Run::begin_project(const store::Selection& sel,
                                                    ProjectReport& rep) {
    ProjectState st{sel, rep};
    const std::string& pid = sel.project_id;
    // A missing folder (an unmounted disk, a typo) must never look like "everything was
    // deleted locally": the project is not synced at all.
    if (!detail::is_folder(sel.local_path)) {
        project_failed(
            st, Error{ErrorCode::io, fmt::format("the local folder {} does not exist or is not a "
                                                 "folder; create it (or mount its disk), or "
                                                 "`frameio-sync unselect` the project",
                                                 sel.local_path.string())});
        return std::nullopt;
    }
    auto root_folder = root_folder_of(sel, st.listed);
    if (!root_folder) {
        project_failed(st, root_folder.error());
        return std::nullopt;
    }
    st.root_id = std::move(*root_folder);
    st.cache = m_options.dry_run ? nullptr : m_deps.remote_cache;
    const std::set<RelPath>* scope_folders = nullptr;
    if (auto it = m_options.scope.find(pid); it != m_options.scope.end() && !it->second.empty())
        scope_folders = &it->second;
    st.request = DiscoverRequest{
        pid, st.root_id, sel.local_path, scope_folders, m_options.jobs, m_deps.cancel, {}};
    if (m_options.give_way)
        st.request.give_way = [this, &pid] { return m_options.give_way(pid); };
    return st;
}

Result<Discovered> Run::discover(ProjectState& st, const LocalSides* sides) {
    phase(st.sel.project_id, "discover");
    return discover_remote(*m_deps.remote, st.cache, st.request, sides, m_deps.clock->now());
}

bool Run::settled_by_listings(ProjectState& st, std::optional<Discovered>& listed) {
    const std::string& pid = st.sel.project_id;
    if (st.cache == nullptr || st.request.scope == nullptr ||
        m_options.local_unchanged.count(pid) == 0 ||
        !st.cache->agreed(pid, st.root_id, st.sel.local_path))
        return false;
    auto d = discover(st, nullptr);
    if (!d) {
        fail(st, d.error());
        return true;
    }
    st.rep.gave_way = d->gave_way;
    if (!d->news) {
        record_unchanged(pid, st.rep);
        return true;
    }
    listed = std::move(*d);
    return false;
}

std::optional<Run::LocalState> Run::read_local(ProjectState& st) {
    const std::string& pid = st.sel.project_id;
    const std::filesystem::path& root = st.sel.local_path;
    // 3. local scan (cheap: no hashing)
    phase(pid, "scan");
    scan::LocalScanOptions lopt;
    lopt.cancel = m_deps.cancel;
    auto local = scan::scan_local(root, lopt);
    if (!local) {
        fail(st, local.error().with_context("scanning " + root.string()));
        return std::nullopt;
    }
    LocalState out;
    if (has_change_counters())
        out.digest = scan::digest(*local);

    // Whose journal: rows recorded for another folder never apply to this one.
    auto foreign = bind_journal(st.sel, *local);
    if (!foreign) {
        set_fatal(foreign.error());
        return std::nullopt;
    }
    out.foreign = *foreign;

    // Unchanged since the last fully agreed run: not listed again.
    // Only a directory whose counters move with every change can prove it (V2, not V4).
    if (st.listed != nullptr && has_change_counters() && !out.foreign) {
        auto same = counters_unchanged(*st.listed, root, out.digest);
        if (!same) {
            set_fatal(same.error());
            return std::nullopt;
        }
        if (*same) {
            record_unchanged(pid, st.rep);
            return std::nullopt;
        }
    }

    // 4. journal (a dry run over rows of another folder plans from nothing, as the run would)
    auto journal = out.foreign ? Result<model::JournalSnapshot>(model::JournalSnapshot{})
                               : m_journal.snapshot(pid);
    if (!journal) {
        set_fatal(journal.error());
        return std::nullopt;
    }
    out.local = std::move(*local);
    out.journal = std::move(*journal);
    return out;
}

std::optional<Run::Planned> Run::plan_project(ProjectState& st, LocalState& local,
                                              const Discovered& discovered) {
    const std::string& pid = st.sel.project_id;
    const std::optional<Coverage>& coverage = discovered.coverage;
    Planned out;
    const auto reconcile = [&](TimePoint at) {
        plan::Plan p =
            plan::reconcile(discovered.snapshot, local.local, local.journal, m_policy, at);
        out.nothing_to_do = asks_nothing(p);
        out.nothing_uncovered =
            !coverage || std::all_of(p.actions.begin(), p.actions.end(), [&](const auto& a) {
                return coverage->covers(a) || steady(a);
            });
        return coverage ? covered_part(std::move(p), *coverage) : p;
    };

    // 5. reconcile (twice when local hashes are needed)
    phase(pid, "reconcile");
    out.plan = reconcile(m_deps.clock->now());
    if (out.plan.needs_hashes()) {
        phase(pid, "hash");
        auto hashes = hash_files(st.sel.local_path, out.plan, m_options.jobs, m_deps.cancel);
        if (!hashes) {
            set_fatal(hashes.error());
            return std::nullopt;
        }
        for (auto& h : *hashes) {
            if (!m_options.dry_run) {
                if (auto s = m_journal.put_hash(pid, h); !s) {
                    set_fatal(s.error());
                    return std::nullopt;
                }
            }
            auto path = h.path;
            local.journal.hashes[path] = std::move(h);
        }
        out.plan = reconcile(m_deps.clock->now());
    }
    if (m_observer != nullptr)
        m_observer->on_plan(pid, out.plan);
    return out;
}

void Run::execute_and_record(ProjectState& st, const LocalState& local,
                             const Discovered& discovered, const Planned& planned) {
    const std::string& pid = st.sel.project_id;
    const std::filesystem::path& root = st.sel.local_path;
    ProjectReport& rep = st.rep;
    // 6. execute and record
    if (auto s = m_journal.replace_observations(pid, planned.plan.observations); !s) {
        set_fatal(s.error());
        return;
    }
    phase(pid, "execute");
    detail::ProjectScope scope{
        pid,
        root,
        st.root_id,
        std::max<std::size_t>(64, 8 * std::max<std::size_t>(m_options.jobs, 1)),
        m_options.free_space_margin,
        m_options.meanwhile};
    detail::PlanRunner runner(scope, m_journal, *m_deps.remote, executor(), m_policy, *m_deps.clock,
                              m_deps.cancel, m_observer, m_progress, rep.counts);
    auto executed = runner.execute(planned.plan);
    if (!executed)
        set_fatal(executed.error());
    else if (!planned.plan.writes_local() && planned.nothing_uncovered)
        rep.local_folders = scan::folder_digests(local.local);
    // Both sides agree with nothing pending (a partial run: on the paths it looked at).
    const bool agreed = executed && runner.settled() && !rep.counts.needs_attention();
    if (st.cache != nullptr) {
        note_changed_folders(pid, planned.plan);
        st.cache->set_agreed(pid, agreed && planned.nothing_to_do);
    }
    prune_journal(pid, root, local.local);
    const bool whole = !discovered.coverage;
    record_counters(
        pid, st.listed != nullptr && has_change_counters() && agreed && whole ? st.listed : nullptr,
        root, local.digest);
    const std::string result =
        !executed ? (executed.error().code == ErrorCode::cancelled ? "interrupted" : "failed")
        : rep.counts.needs_attention() ? "partial"
                                       : "ok";
    if (auto s = record_project_run(rep, result); !s)
        set_fatal(s.error());
}

void Run::project(const store::Selection& sel, ProjectReport& rep) {
    std::optional<ProjectState> st = begin_project(sel, rep);
    if (!st)
        return;
    const std::string& pid = sel.project_id;

    // Nothing changed here since a run that left everything agreed (a watch's remote check):
    // the scoped listings alone say whether there is anything to do.
    std::optional<Discovered> listed_first;
    if (settled_by_listings(*st, listed_first))
        return;
    if (st->cache != nullptr)
        st->cache->set_agreed(pid, false); // until this run ends with everything agreed

    std::optional<LocalState> local = read_local(*st);
    if (!local)
        return;

    // 2. remote: the whole tree, or the folders of a partial run laid over the last view
    if (local->foreign)
        st->request.scope = nullptr;
    const LocalSides sides{local->local, local->journal};
    auto discovered = listed_first && !local->foreign ? Result<Discovered>(std::move(*listed_first))
                                                      : discover(*st, &sides);
    if (!discovered) {
        fail(*st, discovered.error());
        return;
    }
    rep.gave_way = discovered->gave_way;

    std::optional<Planned> planned = plan_project(*st, *local, *discovered);
    if (!planned)
        return;
    if (m_options.dry_run) {
        count_plan(planned->plan, rep.counts);
        emit_warnings(pid, planned->plan);
        return;
    }
    execute_and_record(*st, *local, *discovered, *planned);
}
} // namespace fios::engine::detail
