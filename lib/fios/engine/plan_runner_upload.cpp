// SPDX-License-Identifier: MIT
// Uploads of PlanRunner: starting one (start_fresh_upload, start_upload), its end
// (on_upload_finished), its verification (on_verify_finished, read_back), the re-uploads after
// a mismatch or a failure on Frame.io (reupload_after_mismatch, retry_failed_upload), and the
// creates whose answer was lost (delete_our_asset, discard_lost_create, sweep_lost_create,
// sweep_lost_creates). A later run's `--verify readback` is in plan_runner_readback.cpp.
#include "fios/engine/plan_runner.hpp"
#include "fios/engine/readback.hpp"
#include "fios/transfer/common.hpp"
#include "fios/transfer/uploader.hpp"

#include <fmt/format.h>

#include <utility>

namespace fios::engine::detail {

using model::JournalState;
using model::RelPath;
using model::TransferDirection;
using plan::SkipReason;

namespace {

/// Clock skew allowed when looking for the asset of a create whose answer was lost.
constexpr auto k_create_skew = std::chrono::minutes{10};
/// How long later runs keep looking for a lost create that lands late (a request still in
/// flight when its process died): well beyond any request timeout.
constexpr auto k_lost_create_watch = std::chrono::hours{1};

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

void PlanRunner::on_upload_finished(Job& job, Result<transfer::UploadResult>& result) {
    if (!result) {
        const Error& e = result.error();
        if (e.code != ErrorCode::cancelled && remote::is_outcome_unknown(e) &&
            job.record.asset_id.empty()) {
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
        // Cancelled: the intent (and any session and parts) stay, the next run resumes.
        end_transfer(job, e);
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

} // namespace fios::engine::detail
