// SPDX-License-Identifier: MIT
// Reconciler members for a file whose journal row says a transfer happened or was under way
// (docs/sync-policy.md rows 44-71, 77-78): awaiting, check, resend_failed_upload,
// failed_for_good, uploading, downloading, found_download, failed.
#include "fios/plan/reconcile_detail.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace fios::plan::detail {

using model::JournalState;
using model::TransferDirection;

namespace {

std::string duration_text(std::chrono::nanoseconds d) {
    using namespace std::chrono;
    const auto s = duration_cast<seconds>(d).count();
    if (s < 120)
        return std::to_string(s) + " s";
    if (s < 2 * 3600)
        return std::to_string(s / 60) + " min";
    return std::to_string(s / 3600) + " h";
}

} // namespace

std::optional<Action> Reconciler::awaiting(const RelPath& p, const LocalEntry* l,
                                           const RemoteEntry* r, const JournalRecord& j) const {
    const EntryKind ek = EntryKind::file;
    if (l == nullptr) { // row 44
        return skip(SkipReason::deleted_locally, p, ek,
                    "deleted here before its transfer was verified; kept on Frame.io");
    }
    if (r == nullptr) { // row 45
        return skip(SkipReason::deleted_remotely, p, ek,
                    "deleted on Frame.io before its transfer was verified; kept here");
    }
    if (!remote_matches(*r, j)) { // row 46
        return skip(SkipReason::remote_changed, p, ek,
                    "replaced on Frame.io before its transfer was verified; not downloaded "
                    "over the local file");
    }
    if (!j.xxh64)
        return compare(*l, *r, &j, ""); // a row without its hash: compare afresh
    return check(*l, *r, j);
}

Action Reconciler::check(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const {
    const RelPath& p = l.path;
    const EntryKind ek = EntryKind::file;
    const bool down = j.direction == TransferDirection::down;
    if (!down && r.upload_failed)
        return resend_failed_upload(l, r, j);                 // row 78
    if (!r.upload_completed || (!by_size() && !r.checksum)) { // row 47
        Action a = skip(SkipReason::awaiting_verification, p, ek,
                        (by_size() ? "waiting for Frame.io to report the upload complete to "
                                     "verify the "
                                   : "waiting for Frame.io's checksum to verify the ") +
                            std::string(down ? "download" : "upload"));
        if (j.state != JournalState::awaiting_verification) {
            JournalRecord rec = j;
            rec.state = JournalState::awaiting_verification;
            a.record = std::move(rec);
        }
        return a;
    }
    const bool equal = by_size() ? r.filesize == j.size : *r.checksum == *j.xxh64;
    if (equal) { // row 48; without a checksum row 75 (up) or 76 (down)
        const std::string what = down ? "downloaded" : "uploaded";
        Action a =
            make(ActionKind::verify, p, ek,
                 by_size() ? "Frame.io reports the " + what + " file complete with its size (" +
                                 std::to_string(j.size) + " bytes)"
                           : "Frame.io's checksum matches the " + what + " file");
        JournalRecord rec = without_marks(j);
        rec.state = JournalState::synced;
        // Verified by size: verified stays false and the direction says how
        // (policy::verified_by).
        rec.verified = !by_size();
        rec.direction = by_size() ? (down ? TransferDirection::down : TransferDirection::up)
                                  : TransferDirection::none;
        rec.attempts = 0;
        rec.next_retry_at.reset();
        rec.last_error.clear();
        a.record = std::move(rec);
        a.local = l;
        a.remote = r;
        a.asset_id = r.asset_id;
        return a;
    }
    const std::string mismatch =
        (by_size() ? "Frame.io reports " + std::to_string(r.filesize) + " bytes, " +
                         std::to_string(j.size) + (down ? " were received" : " were sent")
                   : "Frame.io's checksum " + *r.checksum + " differs from " + *j.xxh64) +
        " after " + std::to_string(j.attempts) + (j.attempts == 1 ? " attempt" : " attempts");
    if (j.direction == TransferDirection::up) {
        if (r.version_stack) { // row 51
            if (!local_matches(l, j))
                return compare(l, r, &j, "");
            return failed_for_good(l, r, j,
                                   mismatch + "; the asset is now in a version "
                                              "stack and is not replaced");
        }
        if (!local_matches(l, j)) { // rows 49-50: other content now, a fresh start
            return reupload(l, &r, 1,
                            mismatch + ", and the local file changed since it was sent; "
                                       "replacing it with the new content");
        }
        if (j.attempts >= m_policy.max_upload_attempts) { // row 51
            return failed_for_good(l, r, j, mismatch + "; not uploaded again");
        }
        return reupload(l, &r, j.attempts + 1, // rows 49-50
                        mismatch + "; replacing it with upload attempt " +
                            std::to_string(j.attempts + 1) + " of " +
                            std::to_string(m_policy.max_upload_attempts));
    }
    if (j.direction == TransferDirection::down && local_matches(l, j)) {
        if (j.attempts >= m_policy.max_download_attempts) { // row 53
            return failed_for_good(l, r, j, mismatch + "; not downloaded again");
        }
        return download(r, &l, j.attempts + 1, // row 52
                        mismatch + "; replacing our unverified copy with download attempt " +
                            std::to_string(j.attempts + 1) + " of " +
                            std::to_string(m_policy.max_download_attempts));
    }
    return skip(SkipReason::conflict, p, ek, // row 54
                mismatch + ", and the local file changed since; the local file is kept");
}

Action Reconciler::resend_failed_upload(const LocalEntry& l, const RemoteEntry& r,
                                        const JournalRecord& j) const {
    return reupload(l, &r, j.attempts + 1,
                    "Frame.io marked our upload failed after " + std::to_string(j.attempts) +
                        (j.attempts == 1 ? " attempt" : " attempts") + "; sending it again");
}

Action Reconciler::failed_for_good(const LocalEntry& l, const RemoteEntry& r,
                                   const JournalRecord& j, std::string why) const {
    Action a = make(ActionKind::mark_failed, l.path, EntryKind::file, why);
    JournalRecord rec = j;
    rec.state = JournalState::failed;
    rec.next_retry_at.reset();
    rec.last_error = std::move(why);
    a.record = std::move(rec);
    a.local = l;
    a.remote = r;
    a.asset_id = r.asset_id;
    return a;
}

std::optional<Action> Reconciler::uploading(const RelPath& p, const LocalEntry* l,
                                            const RemoteEntry* r, const JournalRecord& j) const {
    if (l == nullptr) { // row 55
        return skip(SkipReason::deleted_locally, p, EntryKind::file,
                    "deleted here while its upload was interrupted; what was sent stays on "
                    "Frame.io");
    }
    const bool lm = local_matches(*l, j);
    const std::string changed_text = "changed since its interrupted upload began";
    if (j.asset_id.empty()) {
        if (lm) { // row 56
            Action a = make(ActionKind::resume_upload, p, EntryKind::file,
                            "interrupted before Frame.io answered the create: adopt the "
                            "incomplete asset it made, or start over");
            a.local = *l;
            a.record = j;
            a.attempt = j.attempts;
            if (r != nullptr)
                a.remote = *r;
            return a;
        }
        return reupload(*l, nullptr, j.attempts + 1, changed_text); // row 57
    }
    if (r == nullptr) { // row 58
        return upload(*l, j.attempts + 1,
                      "the asset of its interrupted upload is gone; uploading again");
    }
    if (!remote_matches(*r, j))
        return compare(*l, *r, &j, ""); // row 61
    if (!lm)
        return reupload(*l, r, j.attempts + 1, changed_text); // row 57
    if (r->upload_failed)
        return resend_failed_upload(*l, *r, j); // row 78
    if (!r->upload_completed) {                 // row 59
        Action a = make(ActionKind::resume_upload, p, EntryKind::file,
                        "continue the interrupted upload of asset " + r->asset_id);
        a.local = *l;
        a.remote = *r;
        a.asset_id = r->asset_id;
        a.record = j;
        a.attempt = j.attempts;
        return a;
    }
    // Row 60: every part arrived before the interruption: verify it like row 47-51.
    const auto h = known_hash(*l, &j);
    if (!h) {
        if (!settled(*l))
            return skip(SkipReason::settling, p, EntryKind::file, settling_text());
        Action a = make(ActionKind::hash_local, p, EntryKind::file,
                        "its interrupted upload arrived complete: hash the local file to "
                        "verify it");
        a.local = *l;
        a.remote = *r;
        return a;
    }
    JournalRecord sent = j;
    sent.xxh64 = h;
    return check(*l, *r, sent);
}

std::optional<Action> Reconciler::downloading(const RelPath& p, const LocalEntry* l,
                                              const RemoteEntry* r, const JournalRecord& j) const {
    if (r == nullptr) { // row 62
        return skip(SkipReason::deleted_remotely, p, EntryKind::file,
                    "deleted on Frame.io while its download was interrupted; the local file "
                    "is kept, not uploaded");
    }
    if (l != nullptr && by_size() && remote_matches(*r, j) && r->upload_completed &&
        l->size == j.size && r->filesize == j.size) { // row 77
        return found_download(*l, *r);
    }
    if (l != nullptr)
        return compare(*l, *r, &j, ""); // row 63
    if (!r->upload_completed) {         // row 66
        return skip(SkipReason::remote_incomplete, p, EntryKind::file,
                    "on Frame.io, but its upload is not complete yet");
    }
    if (remote_matches(*r, j) && r->filesize == j.size) { // row 64
        Action a = make(ActionKind::resume_download, p, EntryKind::file,
                        "continue the interrupted download from its temporary file");
        a.remote = *r;
        a.asset_id = r->asset_id;
        a.record = j;
        a.attempt = j.attempts;
        return a;
    }
    return download(*r, nullptr, 1, // row 65
                    "the asset changed since its interrupted download began; starting over");
}

Action Reconciler::found_download(const LocalEntry& l, const RemoteEntry& r) const {
    if (!settled(l))
        return skip(SkipReason::settling, l.path, EntryKind::file, settling_text());
    const auto h = known_hash(l, nullptr);
    if (!h) {
        Action a = make(ActionKind::hash_local, l.path, EntryKind::file,
                        "its interrupted download is in place with the asset's size: hash it "
                        "to record it");
        a.local = l;
        a.remote = r;
        return a;
    }
    Action a = make(ActionKind::adopt, l.path, EntryKind::file,
                    "its interrupted download is in place with the asset's size (" +
                        std::to_string(l.size) + " bytes)");
    JournalRecord rec = synced_record(l, r, h);
    rec.verified = false;
    rec.direction = TransferDirection::down;
    a.record = std::move(rec);
    a.local = l;
    a.remote = r;
    a.asset_id = r.asset_id;
    return a;
}

std::optional<Action> Reconciler::failed(const RelPath& p, const LocalEntry* l,
                                         const RemoteEntry* r, const JournalRecord& j) const {
    const EntryKind ek = EntryKind::file;
    const std::string history = "failed " + std::to_string(j.attempts) +
                                (j.attempts == 1 ? " time" : " times") +
                                (j.last_error.empty() ? "" : " (" + j.last_error + ")");
    if (policy::in_backoff(j, m_now)) { // row 67
        return skip(SkipReason::backoff, p, ek,
                    history + "; next retry in " + duration_text(*j.next_retry_at - m_now));
    }
    const bool up = j.direction == TransferDirection::up;
    std::uint32_t attempt = j.attempts + 1;
    if (!j.next_retry_at) {
        const bool changed = up ? (l != nullptr && !local_matches(*l, j))
                                : (r != nullptr && r->asset_id != j.asset_id);
        if (!changed) { // row 68
            return skip(SkipReason::failed, p, ek,
                        history + "; not retried until the " +
                            (up ? "local file" : "asset on Frame.io") + " changes");
        }
        attempt = 1; // row 69: new content, a fresh start
    }
    if (up) { // row 70
        if (l == nullptr) {
            return skip(SkipReason::deleted_locally, p, ek,
                        "deleted here after its upload failed; kept on Frame.io");
        }
        if (r == nullptr)
            return upload(*l, attempt, "retrying a failed upload");
        if (remote_matches(*r, j) && !r->version_stack) {
            return reupload(*l, r, attempt,
                            "retrying a failed upload, replacing its unverified asset");
        }
        return compare(*l, *r, &j, "");
    }
    // Row 71 (down, or no direction recorded).
    if (r == nullptr) {
        if (local_matches(*l, j)) {
            return skip(SkipReason::deleted_remotely, p, ek,
                        "deleted on Frame.io after its download failed; the local file is "
                        "kept, not uploaded");
        }
        return upload(*l, 1, "new local file");
    }
    if (l != nullptr) {
        if (local_matches(*l, j) && remote_matches(*r, j) && r->upload_completed) {
            return download(*r, l, attempt, "retrying a failed download over our unverified copy");
        }
        return compare(*l, *r, &j, "");
    }
    if (!r->upload_completed) {
        return skip(SkipReason::remote_incomplete, p, ek,
                    "on Frame.io, but its upload is not complete yet");
    }
    return download(*r, nullptr, attempt, "retrying a failed download");
}

} // namespace fios::plan::detail
