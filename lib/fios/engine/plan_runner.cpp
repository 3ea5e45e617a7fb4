// SPDX-License-Identifier: MIT
// PlanRunner: journal batching, reporting, the plan's order (execute), the transfer window
// and its events (start_transfer, handle), and how a transfer ends (fail_transfer,
// finish_job). The synchronous actions are in plan_runner_actions.cpp, uploads in
// plan_runner_upload.cpp, downloads in plan_runner_download.cpp, `--verify readback` of a
// later run in plan_runner_readback.cpp.
#include "fios/engine/plan_runner.hpp"

#include "fios/scan/path_map.hpp"
#include "fios/transfer/common.hpp"

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
/// Journal writes per transaction before an intermediate commit.
constexpr std::size_t k_batch_writes = 512;
/// Transfers failing in a row for network reasons before the API counts as unreachable.
constexpr std::size_t k_unreachable_streak = 3;

bool is_network(const Error& e) {
    return e.code == ErrorCode::network || e.code == ErrorCode::timeout ||
           e.code == ErrorCode::server || e.code == ErrorCode::rate_limited;
}

transfer::LocalFingerprint fingerprint(const model::LocalEntry& l) {
    return transfer::LocalFingerprint{l.size, l.mtime, l.inode, l.device};
}

} // namespace

bool is_run_wide(const Error& e) {
    return transfer::scope_of(e) == transfer::ErrorScope::run;
}

std::string quoted(const RelPath& p) {
    return "\"" + scan::escape_name(p.str()) + "\"";
}

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
    // One turn: the transfers' events handled (waiting up to `wait` for the first), the
    // journal committed (refill flushes), the window refilled.
    const auto turn = [&](std::chrono::milliseconds wait) {
        if (!cancel_sent && stopping()) {
            m_executor.cancel();
            cancel_sent = true;
        }
        auto ev = m_executor.next_event(wait);
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
    };
    // For a caller that stays long in meanwhile (another run beside this one): this run's
    // transfers go on being recorded and started. Never calls meanwhile itself.
    const std::function<void()> keep_going = [&] { turn(std::chrono::milliseconds{0}); };
    while (!m_executor.idle() || !m_pending_submits.empty() ||
           (next < transfers.size() && !stopping())) {
        turn(std::chrono::milliseconds{200});
        // Committed: the caller may use the database on this thread.
        if (m_scope.meanwhile && !stopping())
            m_scope.meanwhile(keep_going);
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

void PlanRunner::end_transfer(Job& job, const Error& error) {
    if (error.code == ErrorCode::cancelled) {
        ++m_counts.cancelled;
        finish_job(job, ItemResult::cancelled, job.bytes, error);
        return;
    }
    if (is_run_wide(error)) {
        run_scope_error(error);
        ++m_counts.failed;
        m_settled = false;
        finish_job(job, ItemResult::failed, job.bytes, error);
        return;
    }
    fail_transfer(job, error);
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
