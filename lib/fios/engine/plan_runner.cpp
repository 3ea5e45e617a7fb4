// SPDX-License-Identifier: MIT
#include "fios/engine/plan_runner.hpp"

#include "fios/engine/local_fs.hpp"
#include "fios/engine/readback.hpp"
#include "fios/scan/path_map.hpp"
#include "fios/transfer/common.hpp"
#include "fios/transfer/downloader.hpp"
#include "fios/transfer/uploader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace fios::engine::detail {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using model::RelPath;
using model::TransferDirection;
using plan::Action;
using plan::ActionKind;
using plan::SkipReason;

namespace {

/// Pre-signed part URLs are valid for about a day (docs/frameio-api.md); resume only well
/// within that, so that a resumed upload does not spend its parts on refused URLs.
constexpr auto k_url_lifetime = std::chrono::hours{20};
/// Clock skew allowed when looking for the asset of a create whose answer was lost.
constexpr auto k_create_skew = std::chrono::minutes{10};
/// How long later runs keep looking for a lost create that lands late (a request still in
/// flight when its process died): well beyond any request timeout.
constexpr auto k_lost_create_watch = std::chrono::hours{1};
/// Free space a download must leave (the downloader checks again with its own margin).
/// Journal writes per transaction before an intermediate commit.
constexpr std::size_t k_batch_writes = 512;
/// Transfers failing in a row for network reasons before the API counts as unreachable.
constexpr std::size_t k_unreachable_streak = 3;

bool is_network(const Error& e) {
    return e.code == ErrorCode::network || e.code == ErrorCode::timeout ||
           e.code == ErrorCode::server || e.code == ErrorCode::rate_limited;
}

std::string quoted(const RelPath& p) {
    return "\"" + scan::escape_name(p.str()) + "\"";
}

transfer::LocalFingerprint fingerprint(const model::LocalEntry& l) {
    return transfer::LocalFingerprint{l.size, l.mtime, l.inode, l.device};
}

remote::UploadSession to_remote(const store::UploadSession& s) {
    remote::UploadSession r;
    r.asset_id = s.asset_id;
    r.parent_id = s.parent_id;
    r.name = s.name;
    r.filesize = s.filesize;
    r.content_type = s.filetype;
    for (const auto& p : s.parts)
        r.parts.push_back(remote::UploadPart{p.offset, p.length, p.url});
    return r;
}

} // namespace

bool is_run_wide(const Error& e) {
    return transfer::scope_of(e) == transfer::ErrorScope::run;
}

struct PlanRunner::Job {
    Action action;
    JournalRecord record; ///< the row as last written for this job
    std::uint32_t attempt = 1;
    std::string parent_id; ///< uploads: the remote folder
    std::optional<transfer::LocalFingerprint> expected;
    std::uint64_t size = 0;
    bool fresh_retry_done = false; ///< a resumed session was refused once already
    std::uint64_t reserved = 0;    ///< downloads: free space reserved
    std::uint64_t bytes = 0;       ///< bytes moved so far for this item
    bool verifying = false;        ///< waiting for Frame.io's checksum (not a transfer)
    bool read_back = false;        ///< `--verify readback` found the content we sent
};

PlanRunner::PlanRunner(const ProjectScope& scope, store::Journal& journal, remote::Remote& remote,
                       transfer::Executor& executor, const policy::Policy& policy,
                       const Clock& clock, const CancelToken* cancel, Observer* observer,
                       RunProgress& progress, Counts& counts)
    : m_scope(scope), m_journal(journal), m_remote(remote), m_executor(executor), m_policy(policy),
      m_clock(clock), m_cancel(cancel), m_observer(observer), m_progress(progress),
      m_counts(counts), m_window(scope.window) {}

PlanRunner::~PlanRunner() = default;

// ---- journal batching ---------------------------------------------------------------------

void PlanRunner::write(const Status& status) {
    if (!status && !m_fatal) {
        m_fatal = status.error().with_context("writing the journal");
        m_executor.cancel();
    }
    ++m_tx_writes;
}

void PlanRunner::ensure_tx() {
    if (m_tx || m_fatal)
        return;
    auto tx = m_journal.transaction();
    if (!tx) {
        write(tx.error());
        return;
    }
    m_tx.emplace(std::move(*tx));
}

void PlanRunner::put_record(const JournalRecord& record) {
    ensure_tx();
    write(m_journal.put_record(m_scope.project_id, record));
}

Status PlanRunner::flush() {
    if (m_tx) {
        auto s = m_tx->commit();
        m_tx.reset();
        m_tx_writes = 0;
        if (!s) {
            write(s);
            return s;
        }
    }
    submit_pending();
    if (m_fatal)
        return *m_fatal;
    return {};
}

void PlanRunner::submit_pending() {
    auto pending = std::move(m_pending_submits);
    m_pending_submits.clear();
    for (auto& p : pending) {
        if (m_fatal) {
            // Not started: its intent stays in the journal for the next run.
            auto it = m_jobs.find(p.id);
            if (it != m_jobs.end()) {
                Job job = std::move(it->second);
                m_jobs.erase(it);
                ++m_counts.cancelled;
                finish_job(job, ItemResult::cancelled, job.bytes, *m_fatal);
            }
            continue;
        }
        if (p.upload)
            m_executor.submit_upload(p.id, std::move(*p.upload));
        else if (p.download)
            m_executor.submit_download(p.id, std::move(*p.download));
        else if (p.verify)
            m_executor.submit_verify(p.id, std::move(*p.verify));
    }
}

// ---- reporting -----------------------------------------------------------------------------

void PlanRunner::item(const Action& a, ItemResult result, std::uint64_t bytes,
                      std::optional<Error> error, std::string_view verified_by) {
    if (m_observer == nullptr)
        return;
    ItemEvent e;
    e.project_id = m_scope.project_id;
    e.path = a.path;
    e.name = a.name;
    e.kind = a.entry_kind;
    e.action = a.kind;
    e.skip = a.skip;
    e.result = result;
    e.bytes = bytes;
    e.attempt = a.attempt;
    e.reason = a.reason;
    e.error = std::move(error);
    if (result == ItemResult::done && a.record)
        e.verified_by = verified_by.empty() ? policy::verified_by(*a.record) : verified_by;
    m_observer->on_item(e);
}

void PlanRunner::count_skip(SkipReason reason) {
    switch (reason) {
    case SkipReason::none:
        break;
    case SkipReason::settling:
        ++m_counts.settling;
        m_settled = false;
        break;
    case SkipReason::remote_incomplete:
        ++m_counts.remote_incomplete;
        m_settled = false;
        break;
    case SkipReason::awaiting_verification:
        ++m_counts.awaiting_verification;
        m_settled = false;
        break;
    case SkipReason::duplicate:
        ++m_counts.duplicates;
        break;
    case SkipReason::deleted_locally:
        ++m_counts.deleted_locally;
        break;
    case SkipReason::deleted_remotely:
        ++m_counts.deleted_remotely;
        break;
    case SkipReason::changed_locally:
        ++m_counts.changed_locally;
        break;
    case SkipReason::remote_changed:
        ++m_counts.remote_changed;
        break;
    case SkipReason::conflict:
        ++m_counts.conflicts;
        break;
    case SkipReason::backoff:
        ++m_counts.backoff;
        m_settled = false;
        break;
    case SkipReason::failed:
        ++m_counts.failed;
        break;
    case SkipReason::hostile_name:
        ++m_counts.hostile_names;
        break;
    case SkipReason::unsupported_type:
    case SkipReason::local_unreadable:
    case SkipReason::parent_skipped:
        ++m_counts.skipped_local;
        break;
    case SkipReason::direction_excluded:
        ++m_counts.direction_excluded;
        m_settled = false;
        break;
    }
}

void PlanRunner::emit_progress(bool force) {
    if (m_observer == nullptr)
        return;
    const auto t = now();
    if (!force && t - m_last_progress < std::chrono::milliseconds{250})
        return;
    m_last_progress = t;
    const auto p = m_executor.progress();
    Progress out;
    out.files_done = m_progress.files_done;
    out.files_total = m_progress.files_total;
    out.bytes_done = p.bytes_up + p.bytes_down;
    out.bytes_total = std::max(m_progress.bytes_total, out.bytes_done);
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(t - m_progress.started);
    if (out.elapsed.count() > 0) {
        out.bytes_per_second =
            static_cast<double>(out.bytes_done) * 1000.0 / static_cast<double>(out.elapsed.count());
    }
    m_observer->on_progress(out);
}

bool PlanRunner::stopping() const {
    return m_fatal.has_value() || (m_cancel != nullptr && m_cancel->cancelled());
}

void PlanRunner::run_scope_error(const Error& error) {
    if (!m_fatal) {
        m_fatal = error;
        m_executor.cancel();
    }
}

// ---- the plan ------------------------------------------------------------------------------

Status PlanRunner::execute(const plan::Plan& plan) {
    if (auto lost = m_journal.lost_creates(m_scope.project_id); lost) {
        for (auto& l : *lost)
            m_lost[l.path] = l;
    } else {
        write(lost.error());
    }
    std::vector<const Action*> transfers;
    for (const Action& a : plan.actions) {
        if (stopping()) {
            if (a.kind != ActionKind::skip)
                ++m_counts.cancelled;
            continue;
        }
        switch (a.kind) {
        case ActionKind::create_remote_folder:
            do_create_remote_folder(a);
            break;
        case ActionKind::create_local_folder:
            do_create_local_folder(a);
            break;
        case ActionKind::adopt:
        case ActionKind::mark_failed:
            do_write_record(a);
            break;
        case ActionKind::verify:
            if (const Action* again = do_verify(a))
                transfers.push_back(again);
            break;
        case ActionKind::forget:
            do_forget(a);
            break;
        case ActionKind::skip:
            do_skip(a);
            break;
        case ActionKind::hash_local:
            // Left over after the second reconcile: the file changed while it was hashed.
            ++m_counts.settling;
            m_settled = false;
            item(a, ItemResult::skipped);
            break;
        case ActionKind::upload:
        case ActionKind::reupload:
        case ActionKind::resume_upload:
        case ActionKind::download:
        case ActionKind::resume_download:
            transfers.push_back(&a);
            break;
        }
        if (m_tx_writes >= k_batch_writes)
            (void)flush();
    }
    // Folders exist now (created above in plan order). Transfers start in plan order, at most
    // a window of them in flight (memory stays bounded however many files there are), and
    // every event is written to the journal on this thread.
    for (const Action* a : transfers) {
        m_progress.files_total += 1;
        if (a->local && (a->kind == ActionKind::upload || a->kind == ActionKind::reupload ||
                         a->kind == ActionKind::resume_upload))
            m_progress.bytes_total += a->local->size;
        else if (a->remote)
            m_progress.bytes_total += a->remote->filesize;
    }
    const std::size_t window = std::max<std::size_t>(m_window, 1);
    std::size_t next = 0;
    // Verifications waiting for a checksum do not count: they hold no worker and must not
    // hold back other files either.
    auto in_flight = [&] {
        return static_cast<std::size_t>(std::count_if(
            m_jobs.begin(), m_jobs.end(), [](const auto& j) { return !j.second.verifying; }));
    };
    auto refill = [&] {
        while (next < transfers.size() && !stopping() && in_flight() < window) {
            start_transfer(*transfers[next++]);
            if (m_tx_writes >= k_batch_writes)
                (void)flush();
        }
        (void)flush();
    };
    refill();
    emit_progress(true);

    bool cancel_sent = false;
    while (!m_executor.idle() || !m_pending_submits.empty() ||
           (next < transfers.size() && !stopping())) {
        if (!cancel_sent && stopping()) {
            m_executor.cancel();
            cancel_sent = true;
        }
        auto ev = m_executor.next_event(std::chrono::milliseconds{200});
        if (ev) {
            handle(*ev);
            for (int i = 0; i < 256; ++i) {
                auto more = m_executor.next_event(std::chrono::milliseconds{0});
                if (!more)
                    break;
                handle(*more);
            }
        }
        (void)flush();
        refill();
        emit_progress(false);
    }
    // Not started because the run is stopping: their rows are untouched.
    for (; next < transfers.size(); ++next) {
        ++m_counts.cancelled;
        ++m_progress.files_done;
    }
    if (!stopping() && !m_lost.empty())
        sweep_lost_creates();
    (void)flush();
    emit_progress(true);
    if (m_fatal)
        return *m_fatal;
    if (m_cancel != nullptr && m_cancel->cancelled())
        return Error{ErrorCode::cancelled, "interrupted"};
    return {};
}

std::optional<std::string> PlanRunner::remote_parent(const Action& a) {
    if (!a.parent_asset_id.empty())
        return a.parent_asset_id;
    const RelPath pp = a.path.parent();
    if (pp.is_root())
        return m_scope.root_folder_id.empty() ? std::nullopt
                                              : std::optional<std::string>(m_scope.root_folder_id);
    if (auto it = m_created_remote.find(pp); it != m_created_remote.end())
        return it->second;
    return std::nullopt;
}

void PlanRunner::do_create_remote_folder(const Action& a) {
    const auto parent = remote_parent(a);
    if (!parent) {
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0,
             Error{ErrorCode::conflict,
                   "its containing folder could not be created on Frame.io this run"});
        return;
    }
    if (auto s = flush(); !s)
        return;
    const std::string name(a.path.name());
    auto created = m_remote.create_folder(*parent, name);
    if (!created && remote::is_outcome_unknown(created.error())) {
        // The folder may exist: look before creating again (never make a duplicate).
        auto found = m_remote.find_by_name(*parent, name);
        if (found) {
            auto it = std::find_if(found->begin(), found->end(), [](const remote::Item& i) {
                return i.kind == remote::ItemKind::folder && !i.deleted;
            });
            if (it != found->end())
                created = *it;
            else
                created = m_remote.create_folder(*parent, name);
        }
    }
    if (!created) {
        const Error e =
            created.error().with_context("creating folder " + quoted(a.path) + " on Frame.io");
        if (is_run_wide(e))
            run_scope_error(e);
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0, e);
        return;
    }
    m_created_remote[a.path] = created->id;
    JournalRecord r;
    r.path = a.path;
    r.kind = EntryKind::folder;
    r.asset_id = created->id;
    if (a.local) {
        r.local_mtime = a.local->mtime;
        r.inode = a.local->inode;
    }
    r.verified = true;
    r.state = JournalState::synced;
    put_record(r);
    ++m_counts.folders_created;
    m_settled = false; // the project's counters change: list it again next time
    item(a, ItemResult::done);
}

void PlanRunner::do_create_local_folder(const Action& a) {
    auto made = make_folder_below(m_scope.root, a.path);
    if (!made) {
        const Error& e = made.error();
        if (e.code == ErrorCode::disk_full)
            run_scope_error(e);
        if (e.code == ErrorCode::conflict) {
            // Something appeared there since the scan: nothing is written over it; the
            // next run compares both sides again.
            ++m_counts.conflicts;
            m_settled = false;
            item(a, ItemResult::conflict, 0, e);
            return;
        }
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0, e);
        return;
    }
    JournalRecord r;
    r.path = a.path;
    r.kind = EntryKind::folder;
    r.asset_id = a.remote ? a.remote->asset_id : a.asset_id;
    r.local_mtime = made->mtime;
    r.inode = made->inode;
    r.verified = true;
    r.state = JournalState::synced;
    put_record(r);
    ++m_counts.folders_created;
    m_settled = false;
    item(a, ItemResult::done);
}

void PlanRunner::do_write_record(const Action& a, std::string_view verified_by) {
    if (!a.record) {
        item(a, ItemResult::failed, 0, Error{ErrorCode::internal, "the plan gave no record"});
        ++m_counts.failed;
        return;
    }
    put_record(*a.record);
    ensure_tx();
    if (a.kind == ActionKind::mark_failed) {
        ++m_counts.failed;
        item(a, ItemResult::failed, 0, Error{ErrorCode::conflict, a.record->last_error});
        return;
    }
    write(m_journal.clear_failures(m_scope.project_id, a.path));
    if (a.kind == ActionKind::adopt)
        ++m_counts.adopted;
    else
        ++m_counts.verified;
    item(a, ItemResult::done, 0, std::nullopt, verified_by);
}

void PlanRunner::do_forget(const Action& a) {
    ensure_tx();
    auto temp = m_journal.download_temp(m_scope.project_id, a.path);
    if (temp && *temp)
        (void)transfer::remove_temp(m_scope.root, a.path, (*temp)->asset_id);
    auto gone = m_journal.forget(m_scope.project_id, a.path);
    if (!gone)
        write(gone.error());
    else
        write(Status{});
    ++m_counts.forgotten;
    item(a, ItemResult::done);
}

void PlanRunner::do_skip(const Action& a) {
    if (a.record)
        put_record(*a.record);
    count_skip(a.skip);
    if (m_observer != nullptr) {
        std::optional<WarningKind> kind;
        switch (a.skip) {
        case SkipReason::hostile_name:
            kind = WarningKind::hostile_name;
            break;
        case SkipReason::unsupported_type:
            kind = WarningKind::unsupported_type;
            break;
        case SkipReason::local_unreadable:
            kind = WarningKind::local_unreadable;
            break;
        case SkipReason::duplicate:
            kind = WarningKind::duplicate;
            break;
        default:
            break;
        }
        if (kind) {
            Warning w;
            w.kind = *kind;
            w.project_id = m_scope.project_id;
            w.path = plan::display_path(a);
            w.asset_id = a.asset_id;
            w.message = plan::display_path(a) + ": " + a.reason;
            m_observer->on_warning(w);
        }
    }
    const ItemResult result = a.skip == SkipReason::conflict ? ItemResult::conflict
                              : a.skip == SkipReason::failed ? ItemResult::failed
                                                             : ItemResult::skipped;
    item(a, result);
}

// ---- transfers -----------------------------------------------------------------------------

void PlanRunner::start_transfer(const Action& a) {
    Job job;
    job.action = a;
    job.attempt = std::max<std::uint32_t>(a.attempt, 1);
    if (a.record)
        job.record = *a.record;
    switch (a.kind) {
    case ActionKind::upload:
    case ActionKind::reupload:
    case ActionKind::resume_upload: {
        if (!a.local || !a.record) {
            finish_job(job, ItemResult::failed, 0,
                       Error{ErrorCode::internal, "the plan gave no local file or record"});
            return;
        }
        job.size = a.local->size;
        job.expected = fingerprint(*a.local);
        const auto parent = remote_parent(a);
        if (!parent) {
            finish_job(job, ItemResult::failed, 0,
                       Error{ErrorCode::conflict,
                             "its containing folder could not be created on Frame.io this run"});
            return;
        }
        job.parent_id = *parent;
        if (a.kind == ActionKind::upload) {
            start_fresh_upload(std::move(job));
            return;
        }
        if (a.kind == ActionKind::reupload) {
            // The intent still names the asset being replaced: a crash right after the
            // delete must not lose track of it.
            put_record(job.record);
            if (!flush()) {
                ++m_counts.cancelled;
                finish_job(job, ItemResult::cancelled, 0, m_fatal);
                return;
            }
            if (!a.asset_id.empty()) {
                if (auto s = delete_our_asset(a.asset_id, a.path); !s) {
                    fail_transfer(job, s.error());
                    return;
                }
            } else if (auto s = discard_lost_create(a.path, job.record.size, job.parent_id); !s) {
                fail_transfer(job, s.error());
                return;
            }
            start_fresh_upload(std::move(job));
            return;
        }
        // resume_upload
        if (job.record.asset_id.empty()) {
            // Row 56: the create was sent, its answer lost.
            if (auto s = discard_lost_create(a.path, job.record.size, job.parent_id); !s) {
                fail_transfer(job, s.error());
                return;
            }
            start_fresh_upload(std::move(job));
            return;
        }
        start_upload(std::move(job), true);
        return;
    }
    case ActionKind::download:
    case ActionKind::resume_download:
        if (!a.remote || !a.record) {
            finish_job(job, ItemResult::failed, 0,
                       Error{ErrorCode::internal, "the plan gave no remote file or record"});
            return;
        }
        job.size = a.remote->filesize;
        start_download(std::move(job));
        return;
    default:
        finish_job(job, ItemResult::failed, 0, Error{ErrorCode::internal, "not a transfer action"});
        return;
    }
}

Status PlanRunner::delete_our_asset(const std::string& asset_id, const RelPath& path) {
    if (auto s = flush(); !s)
        return s;
    auto s = m_remote.delete_asset(asset_id);
    if (!s && s.error().code != ErrorCode::not_found) {
        return s.error().with_context("deleting our unverified upload " + asset_id + " of " +
                                      quoted(path) + " to upload it again");
    }
    return {};
}

Status PlanRunner::discard_lost_create(const RelPath& path, std::uint64_t fallback_size,
                                       const std::string& fallback_parent) {
    ensure_tx();
    auto stub = m_journal.upload_session(m_scope.project_id, path);
    if (!stub)
        return stub.error();
    std::string parent = fallback_parent;
    std::string name(path.name());
    std::uint64_t size = fallback_size;
    std::optional<model::TimePoint> not_before;
    if (*stub && (*stub)->asset_id.empty()) {
        parent = (*stub)->parent_id;
        name = (*stub)->name;
        size = (*stub)->filesize;
        not_before = (*stub)->created_at - k_create_skew;
    } else {
        // Without the intent's time we cannot tell our lost create from someone else's
        // upload in progress: leave the folder alone.
        return {};
    }
    // Remembered first: the create may still land after this look (its process died with
    // the request in flight); later looks delete it then.
    store::LostCreate lost{path, parent, name, size, *not_before};
    write(m_journal.put_lost_create(m_scope.project_id, lost));
    m_lost[path] = lost;
    if (auto s = flush(); !s)
        return s;
    auto n = transfer::discard_lost_creates(m_remote, parent, name, size, not_before);
    if (!n) {
        return n.error().with_context("resolving the interrupted upload of " + quoted(path));
    }
    return {};
}

Status PlanRunner::sweep_lost_create(const store::LostCreate& lost, const std::string& keep_asset) {
    auto found = m_remote.find_by_name(lost.parent_id, lost.name);
    if (!found)
        return found.error();
    for (const auto& item : *found) {
        // Only an incomplete file of exactly this name and size, created after our intent,
        // and not the asset we follow: a create of ours that landed late.
        if (item.kind != remote::ItemKind::file || item.upload_completed ||
            item.filesize != lost.filesize || item.created_at < lost.since || item.id == keep_asset)
            continue;
        auto s = m_remote.delete_asset(item.id);
        if (!s && s.error().code != ErrorCode::not_found)
            return s.error();
    }
    return {};
}

void PlanRunner::sweep_lost_creates() {
    ensure_tx();
    auto all = m_journal.lost_creates(m_scope.project_id);
    if (!all) {
        write(all.error());
        return;
    }
    for (const auto& lost : *all) {
        if (stopping())
            return;
        auto rec = m_journal.record(m_scope.project_id, lost.path);
        if (!rec) {
            write(rec.error());
            return;
        }
        const std::string keep = *rec ? (*rec)->asset_id : std::string();
        if (!flush())
            return;
        auto s = sweep_lost_create(lost, keep);
        if (!s) {
            if (is_run_wide(s.error()))
                run_scope_error(s.error());
            continue; // looked for again next run
        }
        if (now() - lost.since > k_lost_create_watch) {
            ensure_tx();
            write(m_journal.delete_lost_create(m_scope.project_id, lost.path));
        }
    }
}

void PlanRunner::start_fresh_upload(Job job) {
    job.verifying = false;
    // The intent, before the create: state uploading, no asset id, plus the stub that
    // remembers where and when the create was sent (to resolve a lost answer).
    job.record.state = JournalState::uploading;
    job.record.direction = TransferDirection::up;
    job.record.asset_id.clear();
    job.record.attempts = job.attempt;
    if (job.expected) {
        job.record.size = job.expected->size;
        job.record.local_mtime = job.expected->mtime;
        job.record.inode = job.expected->inode;
    }
    put_record(job.record);
    store::UploadSession stub;
    stub.path = job.action.path;
    stub.parent_id = job.parent_id;
    stub.name = std::string(job.action.path.name());
    stub.filetype = remote::guess_content_type(stub.name);
    stub.filesize = job.size;
    if (job.expected) {
        stub.local_mtime = job.expected->mtime;
        stub.inode = job.expected->inode;
    }
    stub.created_at = now();
    ensure_tx();
    write(m_journal.put_upload_session(m_scope.project_id, stub));

    transfer::UploadRequest req;
    req.root = m_scope.root;
    req.path = job.action.path;
    req.parent_id = job.parent_id;
    req.name = stub.name;
    req.expected = job.expected;
    const transfer::JobId id = m_next_id++;
    m_jobs.emplace(id, std::move(job));
    m_pending_submits.push_back(Submit{id, std::move(req), std::nullopt, std::nullopt});
}

void PlanRunner::start_upload(Job job, bool resume_session) {
    if (!resume_session) {
        start_fresh_upload(std::move(job));
        return;
    }
    ensure_tx();
    auto stored = m_journal.upload_session(m_scope.project_id, job.action.path);
    if (!stored) {
        write(stored.error());
        return;
    }
    const auto t = now();
    const bool usable = *stored && (*stored)->asset_id == job.record.asset_id &&
                        (*stored)->filesize == job.size && !(*stored)->parts.empty() &&
                        (!(*stored)->urls_expire_at || t < *(*stored)->urls_expire_at);
    if (!usable) {
        // The parts cannot be sent any more: replace our incomplete asset.
        if (auto s = delete_our_asset(job.record.asset_id, job.action.path); !s) {
            fail_transfer(job, s.error());
            return;
        }
        job.fresh_retry_done = true;
        start_fresh_upload(std::move(job));
        return;
    }
    transfer::UploadRequest req;
    req.root = m_scope.root;
    req.path = job.action.path;
    req.parent_id = (*stored)->parent_id;
    req.name = (*stored)->name;
    req.expected = job.expected;
    req.resume = to_remote(**stored);
    for (const auto& p : (*stored)->parts) {
        if (p.done)
            req.done_parts.push_back(p.index);
    }
    job.parent_id = (*stored)->parent_id;
    const transfer::JobId id = m_next_id++;
    m_jobs.emplace(id, std::move(job));
    m_pending_submits.push_back(Submit{id, std::move(req), std::nullopt, std::nullopt});
}

void PlanRunner::start_download(Job job) {
    const Action& a = job.action;
    // Replacing our own unverified copy: only while it is exactly as we left it.
    bool replace = false;
    if (a.local) {
        auto st = stat_below(m_scope.root, a.path);
        if (!st || !*st || !(*st)->is_regular || (*st)->size != a.local->size ||
            (*st)->mtime != a.local->mtime || (*st)->inode != a.local->inode) {
            JournalRecord r = job.record;
            if (auto cur = m_journal.record(m_scope.project_id, a.path); cur && *cur)
                r = **cur;
            r.conflict = true;
            put_record(r);
            finish_job(job, ItemResult::conflict, 0,
                       Error{ErrorCode::conflict, "the local file changed since it was "
                                                  "downloaded unverified; it is kept"});
            return;
        }
        replace = true;
    }
    // A folder nothing can be written to is said so, not reported as full.
    if (auto writable = check_writable_below(m_scope.root, a.path); !writable) {
        fail_transfer(job, writable.error());
        return;
    }
    // Free space, before anything is written (in-flight downloads reserve theirs).
    auto free = free_bytes_below(m_scope.root, a.path);
    if (!free) {
        fail_transfer(job, free.error());
        return;
    }
    std::uint64_t reserved = 0;
    for (const auto& [id, j] : m_jobs)
        reserved += j.reserved;
    const std::uint64_t need = job.size + m_scope.free_space_margin;
    if (*free < reserved || *free - reserved < need) {
        fail_transfer(job, Error{ErrorCode::io,
                                 fmt::format("not downloaded: it needs {} bytes plus the free "
                                             "space margin of {} MiB, and only {} are free; free "
                                             "some space or lower the setting "
                                             "free_space_margin_mb",
                                             job.size, m_scope.free_space_margin >> 20,
                                             *free > reserved ? *free - reserved : 0)});
        return;
    }
    job.reserved = job.size;

    // Row 65: a temporary file of an earlier download of another asset is discarded.
    ensure_tx();
    if (auto old = m_journal.download_temp(m_scope.project_id, a.path); !old) {
        write(old.error());
    } else if (*old && (*old)->asset_id != a.remote->asset_id) {
        (void)transfer::remove_temp(m_scope.root, a.path, (*old)->asset_id);
    }

    job.record.state = JournalState::downloading;
    job.record.direction = TransferDirection::down;
    job.record.attempts = job.attempt;
    put_record(job.record);
    store::DownloadTemp temp;
    temp.path = a.path;
    temp.temp_name = transfer::temp_name(a.remote->asset_id);
    temp.asset_id = a.remote->asset_id;
    temp.size = job.size;
    temp.started_at = now();
    ensure_tx();
    write(m_journal.put_download_temp(m_scope.project_id, temp));

    transfer::DownloadRequest req;
    req.root = m_scope.root;
    req.path = a.path;
    req.asset_id = a.remote->asset_id;
    req.size = job.size;
    req.replace_existing = replace;
    const transfer::JobId id = m_next_id++;
    m_jobs.emplace(id, std::move(job));
    m_pending_submits.push_back(Submit{id, std::nullopt, std::move(req), std::nullopt});
}

void PlanRunner::handle(transfer::Event& ev) {
    auto it = m_jobs.find(ev.id);
    if (it == m_jobs.end())
        return; // not ours (cannot happen: one runner per executor drain)
    Job& job = it->second;
    switch (ev.kind) {
    case transfer::EventKind::session_created: {
        if (!ev.session)
            return;
        // The fact: the asset exists. From now on a crash resumes with the missing parts.
        job.record.asset_id = ev.session->asset_id;
        put_record(job.record);
        store::UploadSession s;
        s.path = job.action.path;
        s.asset_id = ev.session->asset_id;
        s.parent_id = ev.session->parent_id;
        s.name = ev.session->name;
        s.filetype = ev.session->content_type;
        s.filesize = ev.session->filesize;
        if (job.expected) {
            s.local_mtime = job.expected->mtime;
            s.inode = job.expected->inode;
        }
        s.created_at = now();
        s.urls_expire_at = s.created_at + k_url_lifetime;
        for (std::size_t i = 0; i < ev.session->parts.size(); ++i) {
            const auto& p = ev.session->parts[i];
            s.parts.push_back(
                store::UploadPart{static_cast<std::uint32_t>(i), p.offset, p.length, p.url, false});
        }
        ensure_tx();
        write(m_journal.put_upload_session(m_scope.project_id, s));
        return;
    }
    case transfer::EventKind::part_done:
        ensure_tx();
        write(m_journal.mark_part_done(m_scope.project_id, job.action.path,
                                       static_cast<std::uint32_t>(ev.part_index)));
        return;
    case transfer::EventKind::finished:
        break;
    }
    Job done = std::move(job);
    m_jobs.erase(it);
    if (ev.upload)
        on_upload_finished(done, *ev.upload);
    else if (ev.download)
        on_download_finished(done, *ev.download);
    else if (ev.verify)
        on_verify_finished(done, *ev.verify);
}

void PlanRunner::on_upload_finished(Job& job, Result<transfer::UploadResult>& result) {
    if (!result) {
        const Error& e = result.error();
        if (e.code == ErrorCode::cancelled) {
            // The intent (and any session and parts) stay: the next run resumes.
            ++m_counts.cancelled;
            finish_job(job, ItemResult::cancelled, job.bytes, e);
            return;
        }
        if (remote::is_outcome_unknown(e) && job.record.asset_id.empty()) {
            // The create may have made an asset: find it and delete it before retrying, or
            // leave the intent for the next run (row 56) if that fails too.
            if (auto s = discard_lost_create(job.action.path, job.size, job.parent_id); !s) {
                if (is_run_wide(s.error()))
                    run_scope_error(s.error());
                ++m_counts.failed;
                m_settled = false;
                finish_job(job, ItemResult::failed, 0, e);
                return;
            }
        }
        if (is_run_wide(e)) {
            run_scope_error(e);
            ++m_counts.failed;
            m_settled = false;
            finish_job(job, ItemResult::failed, job.bytes, e);
            return;
        }
        fail_transfer(job, e);
        return;
    }
    transfer::UploadResult& r = *result;
    job.bytes += r.bytes_sent;
    switch (r.status) {
    case transfer::UploadStatus::uploaded: {
        job.record.asset_id = r.asset_id;
        job.record.state = JournalState::awaiting_verification;
        job.record.direction = TransferDirection::up;
        job.record.xxh64 = r.xxh64;
        job.record.verified = false;
        job.record.size = r.fingerprint.size;
        job.record.local_mtime = r.fingerprint.mtime;
        job.record.inode = r.fingerprint.inode;
        job.record.attempts = job.attempt;
        job.record.next_retry_at.reset();
        job.record.last_error.clear();
        job.record.conflict = job.record.deleted_locally = job.record.deleted_remotely = false;
        put_record(job.record);
        ensure_tx();
        write(m_journal.delete_upload_session(m_scope.project_id, job.action.path));
        if (auto lost = m_lost.find(job.action.path); lost != m_lost.end()) {
            // Our replacement exists now: a lost create that landed meanwhile goes.
            if (flush()) {
                if (auto s = sweep_lost_create(lost->second, r.asset_id);
                    !s && is_run_wide(s.error()))
                    run_scope_error(s.error());
            }
        }
        transfer::VerifyRequest v;
        v.asset_id = r.asset_id;
        v.size = r.fingerprint.size;
        v.xxh64 = r.xxh64;
        job.verifying = true;
        const transfer::JobId id = m_next_id++;
        m_jobs.emplace(id, std::move(job));
        m_pending_submits.push_back(Submit{id, std::nullopt, std::nullopt, std::move(v)});
        return;
    }
    case transfer::UploadStatus::local_changed: {
        // Nothing is accepted. An asset already created holds an unknown mix of bytes: it
        // is ours and unverified, so it goes; the file is uploaded once it settles.
        bool row_dropped = false;
        if (!r.asset_id.empty()) {
            job.record.asset_id = r.asset_id;
            put_record(job.record);
            if (auto s = delete_our_asset(r.asset_id, job.action.path); s) {
                ensure_tx();
                auto f = m_journal.forget(m_scope.project_id, job.action.path);
                write(f ? Status{} : Status{f.error()});
                row_dropped = true;
            } else if (is_run_wide(s.error())) {
                run_scope_error(s.error());
            }
        } else {
            ensure_tx();
            auto f = m_journal.forget(m_scope.project_id, job.action.path);
            write(f ? Status{} : Status{f.error()});
            row_dropped = true;
        }
        (void)row_dropped;
        ++m_counts.settling;
        m_settled = false;
        Error why{ErrorCode::conflict, "changed while it was being uploaded (" + r.detail +
                                           "); uploaded once it stays unchanged"};
        finish_job(job, ItemResult::skipped, job.bytes, why, SkipReason::settling);
        return;
    }
    case transfer::UploadStatus::session_invalid: {
        const std::string old = r.asset_id.empty() ? job.record.asset_id : r.asset_id;
        if (job.fresh_retry_done) {
            fail_transfer(
                job, Error{ErrorCode::conflict, "the upload could not be continued: " + r.detail});
            return;
        }
        if (!old.empty()) {
            if (auto s = delete_our_asset(old, job.action.path); !s) {
                if (is_run_wide(s.error()))
                    run_scope_error(s.error());
                fail_transfer(job, s.error());
                return;
            }
        }
        job.fresh_retry_done = true;
        start_fresh_upload(std::move(job));
        return;
    }
    }
}

void PlanRunner::on_verify_finished(Job& job, Result<transfer::VerifyResult>& result) {
    if (!result) {
        const Error& e = result.error();
        if (e.code == ErrorCode::cancelled) {
            ++m_counts.awaiting_verification;
            m_settled = false;
            finish_job(job, ItemResult::awaiting_verification, job.bytes);
            return;
        }
        if (is_run_wide(e))
            run_scope_error(e);
        // Not a failure of the upload: the row stays awaiting verification (row 47/48).
        ++m_counts.awaiting_verification;
        m_settled = false;
        finish_job(job, ItemResult::awaiting_verification, job.bytes, e);
        return;
    }
    const transfer::VerifyResult& v = *result;
    switch (v.state) {
    case transfer::VerifyState::verified:
    case transfer::VerifyState::verified_by_size: {
        if (v.state == transfer::VerifyState::verified_by_size && m_policy.readback &&
            !read_back(job))
            return;
        job.record.state = JournalState::synced;
        job.record.verified = v.state == transfer::VerifyState::verified || job.read_back;
        // Verified by size (row 75) or read back: the direction stays `up`, so that
        // policy::verified_by says "content-md5+size" or "readback".
        job.record.direction = v.state == transfer::VerifyState::verified ? TransferDirection::none
                                                                          : TransferDirection::up;
        job.record.attempts = 0;
        job.record.next_retry_at.reset();
        job.record.last_error.clear();
        put_record(job.record);
        ensure_tx();
        write(m_journal.clear_failures(m_scope.project_id, job.action.path));
        ++m_counts.uploaded;
        m_counts.bytes_uploaded += job.bytes;
        m_settled = false;
        finish_job(job, ItemResult::done, job.bytes);
        return;
    }
    case transfer::VerifyState::mismatch: {
        const std::string attempts =
            fmt::format("after {} {}", job.attempt, job.attempt == 1 ? "attempt" : "attempts");
        if (v.item.upload_failed) {
            retry_failed_upload(std::move(job), attempts);
            return;
        }
        const std::string detail =
            v.item.checksum
                ? fmt::format("Frame.io's checksum {} differs from {} {}", *v.item.checksum,
                              job.record.xxh64.value_or("?"), attempts)
                : fmt::format("Frame.io reports {} bytes, {} were sent {}", v.item.filesize,
                              job.record.size, attempts);
        if (v.item.kind == remote::ItemKind::version_stack ||
            job.attempt >= m_policy.max_upload_attempts) {
            mark_failed_for_good(job, detail + "; not uploaded again");
            return;
        }
        reupload_after_mismatch(std::move(job), detail);
        return;
    }
    case transfer::VerifyState::awaiting_checksum:
    case transfer::VerifyState::awaiting_upload:
        // Re-checked by later runs (row 47); never accepted without the checksum.
        ++m_counts.awaiting_verification;
        m_counts.bytes_uploaded += job.bytes;
        m_settled = false;
        finish_job(job, ItemResult::awaiting_verification, job.bytes);
        return;
    case transfer::VerifyState::gone:
        ++m_counts.deleted_remotely;
        m_settled = false;
        finish_job(
            job, ItemResult::skipped, job.bytes,
            Error{ErrorCode::not_found, "deleted on Frame.io right after the upload; kept here"},
            SkipReason::deleted_remotely);
        return;
    }
}

bool PlanRunner::read_back(Job& job) {
    auto got = read_back_xxh64(m_remote, job.record.asset_id, job.record.size, m_cancel);
    if (!got) {
        // Not a failure of the upload: the row stays awaiting verification; a later run
        // reads it back (row 75, PlanRunner::do_verify).
        if (is_run_wide(got.error()))
            run_scope_error(got.error());
        ++m_counts.awaiting_verification;
        m_counts.bytes_uploaded += job.bytes;
        m_settled = false;
        finish_job(job, ItemResult::awaiting_verification, job.bytes, got.error());
        return false;
    }
    const std::string sent = job.record.xxh64.value_or("");
    if (*got == sent) {
        job.read_back = true;
        return true;
    }
    // Our own upload holds other bytes than we sent: the checksum mismatch of rows 49 / 51.
    const std::string detail =
        fmt::format("reading it back gave XXH64 {}, {} was sent, after {} {}", *got, sent,
                    job.attempt, job.attempt == 1 ? "attempt" : "attempts");
    if (job.attempt >= m_policy.max_upload_attempts)
        mark_failed_for_good(job, detail + "; not uploaded again");
    else
        reupload_after_mismatch(std::move(job), detail);
    return false;
}

void PlanRunner::retry_failed_upload(Job job, const std::string& attempts) {
    // Frame.io gave up on our upload (V4 upload_failed): its bytes can never complete, so the
    // placeholder goes and the same content is sent again, up to max_upload_attempts in this
    // run. Then a failure with backoff (row 67), not "failed for good": the cause is on
    // Frame.io's side, and row 70 uploads it again once the retry is due.
    const std::string detail = "Frame.io marked the upload failed " + attempts;
    if (job.attempt < m_policy.max_upload_attempts) {
        reupload_after_mismatch(std::move(job), detail);
        return;
    }
    if (auto s = delete_our_asset(job.record.asset_id, job.action.path); !s) {
        if (is_run_wide(s.error()))
            run_scope_error(s.error());
        fail_transfer(job, s.error());
        return;
    }
    job.record.asset_id.clear();
    fail_transfer(job, Error{ErrorCode::server, detail + "; its placeholder was deleted, the "
                                                         "upload is retried after a pause"});
}

void PlanRunner::reupload_after_mismatch(Job job, const std::string& detail) {
    // Row 49: the intent names our bad asset, which is deleted, then attempt n+1.
    const std::string bad = job.record.asset_id;
    job.attempt += 1;
    job.record.state = JournalState::uploading;
    job.record.attempts = job.attempt;
    job.record.last_error = detail;
    put_record(job.record);
    if (auto s = delete_our_asset(bad, job.action.path); !s) {
        if (is_run_wide(s.error()))
            run_scope_error(s.error());
        fail_transfer(job, s.error());
        return;
    }
    job.action.attempt = job.attempt;
    start_fresh_upload(std::move(job));
}

void PlanRunner::on_download_finished(Job& job, Result<transfer::DownloadResult>& result) {
    job.reserved = 0;
    if (!result) {
        const Error& e = result.error();
        if (e.code == ErrorCode::cancelled) {
            ++m_counts.cancelled;
            finish_job(job, ItemResult::cancelled, job.bytes, e);
            return;
        }
        if (is_run_wide(e)) {
            run_scope_error(e);
            ++m_counts.failed;
            m_settled = false;
            finish_job(job, ItemResult::failed, job.bytes, e);
            return;
        }
        fail_transfer(job, e);
        return;
    }
    transfer::DownloadResult& r = *result;
    job.bytes += r.bytes_transferred;
    m_counts.bytes_downloaded += r.bytes_transferred;
    const Action& a = job.action;
    switch (r.status) {
    case transfer::DownloadStatus::verified:
    case transfer::DownloadStatus::unverified: {
        const bool verified = r.status == transfer::DownloadStatus::verified;
        // Without a checksum (V4) a download of the asset's exact size is verified by size
        // (docs/sync-policy.md row 76): synced, `verified` false, direction down kept so that
        // policy::verified_by says "size".
        const bool by_size = !verified && m_policy.verification == policy::Verification::size &&
                             r.fingerprint.size == a.remote->filesize;
        const bool done = verified || by_size;
        JournalRecord rec = job.record;
        rec.kind = EntryKind::file;
        rec.asset_id = a.remote->asset_id;
        rec.stack_id = a.remote->version_stack ? a.remote->version_stack->stack_id : "";
        rec.size = r.fingerprint.size;
        rec.local_mtime = r.fingerprint.mtime;
        rec.inode = r.fingerprint.inode;
        rec.xxh64 = r.xxh64;
        rec.verified = verified;
        rec.state = done ? JournalState::synced : JournalState::awaiting_verification;
        rec.direction = verified ? TransferDirection::none : TransferDirection::down;
        rec.attempts = done ? 0 : job.attempt;
        rec.next_retry_at.reset();
        rec.last_error.clear();
        rec.conflict = rec.deleted_locally = rec.deleted_remotely = false;
        job.record = rec;
        put_record(rec);
        ensure_tx();
        write(m_journal.delete_download_temp(m_scope.project_id, a.path));
        write(m_journal.clear_failures(m_scope.project_id, a.path));
        ++m_counts.downloaded;
        m_settled = false;
        if (!done)
            ++m_counts.awaiting_verification;
        finish_job(job, done ? ItemResult::done : ItemResult::awaiting_verification, job.bytes);
        return;
    }
    case transfer::DownloadStatus::checksum_mismatch: {
        const std::string detail =
            fmt::format("the downloaded bytes' XXH64 {} differs from Frame.io's checksum {} "
                        "after {} {}",
                        r.xxh64, r.remote_checksum.value_or("(none)"), job.attempt,
                        job.attempt == 1 ? "attempt" : "attempts");
        if (job.attempt >= m_policy.max_download_attempts) {
            mark_failed_for_good(job, detail + "; not downloaded again");
            return;
        }
        job.attempt += 1;
        job.action.attempt = job.attempt;
        job.record.last_error = detail;
        start_download(std::move(job));
        return;
    }
    case transfer::DownloadStatus::target_exists: {
        // Someone put a file there meanwhile: it is kept; the next run compares the two.
        job.record.conflict = true;
        put_record(job.record);
        ++m_counts.conflicts;
        m_settled = false;
        finish_job(job, ItemResult::conflict, job.bytes,
                   Error{ErrorCode::conflict,
                         "a local file appeared at this path during the download; it is kept"});
        return;
    }
    case transfer::DownloadStatus::remote_changed:
        (void)transfer::remove_temp(m_scope.root, a.path, a.remote->asset_id);
        ensure_tx();
        write(m_journal.delete_download_temp(m_scope.project_id, a.path));
        ++m_counts.remote_changed;
        m_settled = false;
        finish_job(job, ItemResult::skipped, job.bytes,
                   Error{ErrorCode::conflict,
                         "changed on Frame.io during the download; looked at again next run"},
                   SkipReason::remote_changed);
        return;
    case transfer::DownloadStatus::remote_not_ready:
        ++m_counts.remote_incomplete;
        m_settled = false;
        finish_job(job, ItemResult::skipped, job.bytes, std::nullopt,
                   SkipReason::remote_incomplete);
        return;
    case transfer::DownloadStatus::not_downloadable:
        fail_transfer(job, Error{ErrorCode::forbidden,
                                 "Frame.io offers no original to download (permissions or "
                                 "watermarking)"});
        return;
    }
}

void PlanRunner::fail_transfer(Job& job, const Error& error) {
    if (is_run_wide(error) && error.code != ErrorCode::cancelled) {
        run_scope_error(error);
        ++m_counts.failed;
        m_settled = false;
        finish_job(job, ItemResult::failed, job.bytes, error);
        return;
    }
    ensure_tx();
    auto n = m_journal.add_failure(m_scope.project_id, job.action.path, error.message, now());
    if (!n) {
        write(n.error());
    }
    const std::uint32_t failures = n ? *n : 1;
    JournalRecord rec = job.record;
    rec.path = job.action.path;
    rec.kind = EntryKind::file;
    rec.state = JournalState::failed;
    rec.attempts = job.attempt;
    rec.next_retry_at = policy::next_retry_at(m_policy, failures, now());
    rec.last_error = error.message;
    if (rec.direction == TransferDirection::none) {
        const bool up = job.action.kind == ActionKind::upload ||
                        job.action.kind == ActionKind::reupload ||
                        job.action.kind == ActionKind::resume_upload;
        rec.direction = up ? TransferDirection::up : TransferDirection::down;
    }
    job.record = rec;
    put_record(rec);
    ++m_counts.failed;
    m_settled = false;
    finish_job(job, ItemResult::failed, job.bytes, error);
    // Each transfer already used the client's whole retry budget: several in a row failing
    // for network reasons means Frame.io is unreachable, not that these files are special.
    if (is_network(error) && ++m_network_streak >= k_unreachable_streak) {
        run_scope_error(error.with_context(
            "Frame.io is unreachable (several transfers in a row failed after every retry)"));
    }
}

void PlanRunner::mark_failed_for_good(Job& job, const std::string& why) {
    JournalRecord rec = job.record;
    rec.state = JournalState::failed;
    rec.attempts = job.attempt;
    rec.next_retry_at.reset();
    rec.last_error = why;
    put_record(rec);
    ++m_counts.failed;
    m_settled = false;
    finish_job(job, ItemResult::failed, job.bytes, Error{ErrorCode::conflict, why});
}

void PlanRunner::finish_job(Job& job, ItemResult result, std::uint64_t bytes,
                            std::optional<Error> error, SkipReason skip) {
    ++m_progress.files_done;
    if (result == ItemResult::done || result == ItemResult::awaiting_verification)
        m_network_streak = 0;
    Action shown = job.action;
    shown.attempt = job.attempt;
    if (skip != SkipReason::none)
        shown.skip = skip;
    if (m_observer != nullptr) {
        ItemEvent e;
        e.project_id = m_scope.project_id;
        e.path = shown.path;
        e.kind = shown.entry_kind;
        e.action = shown.kind;
        e.skip = shown.skip;
        e.result = result;
        e.bytes = bytes;
        e.attempt = shown.attempt;
        e.reason = shown.reason;
        e.error = std::move(error);
        if (result == ItemResult::done)
            e.verified_by = job.read_back ? std::string(policy::k_verified_by_readback)
                                          : std::string(policy::verified_by(job.record));
        m_observer->on_item(e);
    }
    emit_progress(true);
}

} // namespace fios::engine::detail
