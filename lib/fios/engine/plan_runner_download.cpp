// SPDX-License-Identifier: MIT
// Downloads of PlanRunner: starting one (start_download: the local file as we left it, a
// writable folder, free space, the temporary file) and its end (on_download_finished).
#include "fios/engine/local_fs.hpp"
#include "fios/engine/plan_runner.hpp"
#include "fios/transfer/common.hpp"
#include "fios/transfer/downloader.hpp"

#include <fmt/format.h>

#include <utility>

namespace fios::engine::detail {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using model::TransferDirection;
using plan::Action;
using plan::SkipReason;

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

void PlanRunner::on_download_finished(Job& job, Result<transfer::DownloadResult>& result) {
    job.reserved = 0;
    if (!result) {
        end_transfer(job, result.error());
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

} // namespace fios::engine::detail
