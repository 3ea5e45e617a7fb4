// SPDX-License-Identifier: MIT
// `--verify readback` of an upload verified by size in a later run (docs/sync-policy.md,
// "Without a content checksum"). The run that uploads a file reads it back in
// PlanRunner::read_back (plan_runner_upload.cpp).
#include "fios/engine/plan_runner.hpp"
#include "fios/engine/readback.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace fios::engine::detail {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using model::TransferDirection;
using plan::Action;
using plan::ActionKind;

namespace {

/// A verify action that `--verify readback` applies to: our own upload (row 75), with the
/// hash of the bytes sent, on a backend without checksums.
bool reads_back(const policy::Policy& policy, const Action& a) {
    return policy.readback && policy.verification == policy::Verification::size && a.record &&
           a.record->kind == EntryKind::file && a.record->direction == TransferDirection::up &&
           !a.record->verified && a.record->xxh64 && !a.record->asset_id.empty();
}

} // namespace

const Action* PlanRunner::do_verify(const Action& a) {
    if (!reads_back(m_policy, a)) {
        do_write_record(a);
        return nullptr;
    }
    const JournalRecord& row = *a.record;
    auto got = read_back_xxh64(m_remote, row.asset_id, row.size, m_cancel);
    if (!got) {
        // Not a failure of the upload: the row stays as it is and is read back next run.
        if (is_run_wide(got.error()))
            run_scope_error(got.error());
        ++m_counts.awaiting_verification;
        m_settled = false;
        item(a, ItemResult::awaiting_verification, 0, got.error());
        return nullptr;
    }
    if (*got == *row.xxh64) {
        Action read_back = a; // recorded as read back: verified, direction up (policy.hpp)
        read_back.record->verified = true;
        read_back.record->direction = TransferDirection::up;
        do_write_record(read_back, policy::k_verified_by_readback);
        return nullptr;
    }
    // Our own upload holds other bytes than we sent: the checksum mismatch of rows 49-51.
    // The action's record is the synced row to write (attempts reset): the attempts so far
    // are the journal's.
    auto stored = m_journal.record(m_scope.project_id, a.path);
    if (!stored) {
        write(Status{stored.error()});
        ++m_counts.failed;
        item(a, ItemResult::failed, 0, stored.error());
        return nullptr;
    }
    const std::uint32_t attempts = *stored ? std::max<std::uint32_t>((*stored)->attempts, 1) : 1;
    const std::string detail =
        fmt::format("reading it back gave XXH64 {}, {} was sent, after {} {}", *got, *row.xxh64,
                    attempts, attempts == 1 ? "attempt" : "attempts");
    const bool same_file =
        a.local && a.local->size == row.size && a.local->mtime == row.local_mtime;
    const bool stacked = a.remote && a.remote->version_stack;
    if (!a.local || stacked || (same_file && attempts >= m_policy.max_upload_attempts)) {
        // Row 51 (and no local file to send again): failed for good, never accepted.
        JournalRecord rec = row;
        rec.state = JournalState::failed;
        rec.attempts = attempts;
        rec.next_retry_at.reset();
        rec.last_error = detail + "; not uploaded again";
        put_record(rec);
        ensure_tx();
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0, Error{ErrorCode::conflict, rec.last_error});
        return nullptr;
    }
    if (!policy::allows_upload(m_policy) ||
        !policy::is_settled(m_policy, *a.local, nullptr, now())) {
        // Rows 10 and 50: not sent now; the row stays and is read back again next run.
        ++m_counts.awaiting_verification;
        m_settled = false;
        item(a, ItemResult::awaiting_verification, 0,
             Error{ErrorCode::conflict, detail + (policy::allows_upload(m_policy)
                                                      ? "; sent again once the file stays unchanged"
                                                      : "; --direction down: not sent again")});
        return nullptr;
    }
    // Row 49: our asset is replaced by attempt n+1 (attempt 1 when the file changed since).
    Action& again = m_readback_reuploads.emplace_back(a);
    again.kind = ActionKind::reupload;
    again.asset_id = row.asset_id;
    again.parent_asset_id = a.remote ? a.remote->parent_id : std::string{};
    again.attempt = same_file ? attempts + 1 : 1;
    again.reason = detail + "; sent again";
    JournalRecord& intent = *again.record;
    intent.state = JournalState::uploading;
    intent.direction = TransferDirection::up;
    intent.verified = false;
    intent.xxh64.reset(); // the hash of the new attempt's bytes is recorded when they are sent
    intent.size = a.local->size;
    intent.local_mtime = a.local->mtime;
    intent.inode = a.local->inode;
    intent.attempts = again.attempt;
    intent.last_error = detail;
    return &again;
}

} // namespace fios::engine::detail
