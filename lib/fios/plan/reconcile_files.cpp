// SPDX-License-Identifier: MIT
// Reconciler members for a file without a journal row or with a synced one (docs/sync-policy.md
// rows 21-43, 72): file, upload, reupload, download, fresh, compare, synced, local_change,
// remote_change.
#include "fios/plan/reconcile_detail.hpp"

#include <utility>

namespace fios::plan::detail {

using model::JournalState;
using model::TransferDirection;

// ---- files -----------------------------------------------------------------------------

std::optional<Action> Reconciler::file(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                       const JournalRecord* j, const JournalRecord* any) const {
    if (j == nullptr)
        return fresh(p, l, r, any);
    switch (j->state) {
    case JournalState::synced:
        return synced(p, l, r, *j);
    case JournalState::awaiting_verification:
        return awaiting(p, l, r, *j);
    case JournalState::uploading:
        return uploading(p, l, r, *j);
    case JournalState::downloading:
        return downloading(p, l, r, *j);
    case JournalState::failed:
        return failed(p, l, r, *j);
    }
    return fresh(p, l, r, any);
}

Action Reconciler::upload(const LocalEntry& l, std::uint32_t attempt, std::string why) const {
    // Row 10 before row 22: a file that will not be uploaded anyway is not "settling".
    if (!policy::allows_upload(m_policy)) {
        return skip(SkipReason::direction_excluded, l.path, EntryKind::file,
                    "--direction down: nothing is written to Frame.io (would upload)");
    }
    if (!settled(l))
        return skip(SkipReason::settling, l.path, EntryKind::file, settling_text());
    if (l.size == 0 && !m_policy.uploads_empty_files) { // row 79
        return skip(SkipReason::unsupported_type, l.path, EntryKind::file,
                    "an empty file: Frame.io V4 accepts no file of 0 bytes; kept here, not "
                    "uploaded");
    }
    Action a = make(ActionKind::upload, l.path, EntryKind::file, std::move(why));
    a.local = l;
    a.attempt = attempt;
    JournalRecord intent;
    intent.path = l.path;
    intent.kind = EntryKind::file;
    intent.size = l.size;
    intent.local_mtime = l.mtime;
    intent.inode = l.inode;
    intent.state = JournalState::uploading;
    intent.direction = TransferDirection::up;
    intent.attempts = attempt;
    a.record = std::move(intent);
    return a;
}

Action Reconciler::reupload(const LocalEntry& l, const RemoteEntry* old, std::uint32_t attempt,
                            std::string why) const {
    Action a = upload(l, attempt, std::move(why));
    if (a.kind != ActionKind::upload)
        return a; // settling
    a.kind = ActionKind::reupload;
    if (old != nullptr) {
        a.asset_id = old->asset_id;
        a.remote = *old;
        a.record->asset_id = old->asset_id; // until it is deleted: a crash must not lose it
    }
    return a;
}

Action Reconciler::download(const RemoteEntry& r, const LocalEntry* replace, std::uint32_t attempt,
                            std::string why) const {
    Action a = make(ActionKind::download, r.path, EntryKind::file, std::move(why));
    a.remote = r;
    a.asset_id = r.asset_id;
    if (replace != nullptr)
        a.local = *replace;
    a.attempt = attempt;
    JournalRecord intent;
    intent.path = r.path;
    intent.kind = EntryKind::file;
    intent.asset_id = r.asset_id;
    intent.stack_id = r.version_stack ? r.version_stack->stack_id : std::string();
    intent.size = r.filesize; // the size expected: a resume needs it unchanged
    intent.state = JournalState::downloading;
    intent.direction = TransferDirection::down;
    intent.attempts = attempt;
    a.record = std::move(intent);
    return a;
}

std::optional<Action> Reconciler::fresh(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                        const JournalRecord* any) const {
    if (r == nullptr)
        return upload(*l, 1, "new local file"); // rows 21-22
    if (l == nullptr) {
        if (!r->upload_completed) { // row 24
            return skip(SkipReason::remote_incomplete, p, EntryKind::file,
                        "on Frame.io, but its upload is not complete yet");
        }
        return download(*r, nullptr, 1, "new on Frame.io"); // row 23
    }
    return compare(*l, *r, any, "");
}

Action Reconciler::compare(const LocalEntry& l, const RemoteEntry& r, const JournalRecord* j,
                           const std::string& context) const {
    const RelPath& p = l.path;
    if (!r.upload_completed) { // row 25
        return skip(SkipReason::remote_incomplete, p, EntryKind::file,
                    context + "on Frame.io too, but its upload is not complete yet");
    }
    if (!settled(l))
        return skip(SkipReason::settling, p, EntryKind::file, settling_text()); // 26
    if (l.size != r.filesize) {                                                 // row 27
        return skip(SkipReason::conflict, p, EntryKind::file,
                    context + "different size here (" + std::to_string(l.size) +
                        " bytes) and on Frame.io (" + std::to_string(r.filesize) +
                        " bytes); the local file is kept, nothing is written over it");
    }
    if (by_size()) { // row 73
        return skip(SkipReason::conflict, p, EntryKind::file,
                    context + "same size here and on Frame.io, but Frame.io keeps no content "
                              "checksum to prove them equal; the local file is kept, nothing "
                              "is written over it");
    }
    if (!r.checksum) { // row 28
        return skip(SkipReason::awaiting_verification, p, EntryKind::file,
                    context + "same size on both sides; waiting for Frame.io's checksum to "
                              "compare the content");
    }
    const auto h = known_hash(l, j);
    if (!h) { // row 29
        Action a = make(ActionKind::hash_local, p, EntryKind::file,
                        context + "same size on both sides; hash the local file to compare "
                                  "with Frame.io's checksum");
        a.local = l;
        a.remote = r;
        return a;
    }
    if (*h == *r.checksum) { // row 30
        Action a = make(ActionKind::adopt, p, EntryKind::file,
                        context + "same content on both sides (XXH64 " + *h + ")");
        a.local = l;
        a.remote = r;
        a.asset_id = r.asset_id;
        a.record = synced_record(l, r, h);
        return a;
    }
    return skip(SkipReason::conflict, p, EntryKind::file, // row 31
                context + "different content here and on Frame.io (same size, other "
                          "checksum); the local file is kept, nothing is written over it");
}

std::optional<Action> Reconciler::synced(const RelPath& p, const LocalEntry* l,
                                         const RemoteEntry* r, const JournalRecord& j) const {
    const EntryKind ek = EntryKind::file;
    if (l == nullptr) { // row 34
        return skip(SkipReason::deleted_locally, p, ek,
                    "deleted here after it was synced; kept on Frame.io, not downloaded again");
    }
    if (r == nullptr) { // row 35
        return skip(SkipReason::deleted_remotely, p, ek,
                    std::string("deleted on Frame.io after it was synced") +
                        (local_matches(*l, j) ? "" : ", and changed here since") +
                        "; kept here, not uploaded again");
    }
    const bool lm = local_matches(*l, j);
    const bool rm = remote_matches(*r, j);
    if (lm && rm && by_size() && r->upload_completed && r->filesize != j.size) { // row 74
        return skip(SkipReason::remote_changed, p, ek,
                    "Frame.io now reports " + std::to_string(r->filesize) +
                        " bytes for the synced asset (" + std::to_string(j.size) +
                        " when synced); not downloaded over the local file");
    }
    if (lm && rm) {
        if (!has_marks(j))
            return std::nullopt;                                                        // row 32
        Action a = make(ActionKind::adopt, p, ek, "in sync again; clearing its marks"); // 33
        a.local = *l;
        a.remote = *r;
        a.asset_id = r->asset_id;
        a.record = without_marks(j);
        return a;
    }
    if (!lm && rm)
        return local_change(*l, *r, j); // rows 36-40
    if (lm)
        return remote_change(*l, *r, j);                                       // rows 41-42
    return compare(*l, *r, &j, "changed on both sides since it was synced: "); // row 43
}

Action Reconciler::local_change(const LocalEntry& l, const RemoteEntry& r,
                                const JournalRecord& j) const {
    const RelPath& p = l.path;
    const std::string changed =
        "changed here after it was synced; not uploaded again (uploading changes as new "
        "versions comes later)";
    if (l.size != j.size || !j.xxh64) { // row 36
        return skip(SkipReason::changed_locally, p, EntryKind::file, changed);
    }
    if (!settled(l))
        return skip(SkipReason::settling, p, EntryKind::file, settling_text()); // 37
    const auto h = known_hash(l, &j);
    if (!h) { // row 38
        Action a = make(ActionKind::hash_local, p, EntryKind::file,
                        "timestamp or inode changed but not the size: hash it to see whether "
                        "the content changed");
        a.local = l;
        a.remote = r;
        return a;
    }
    if (*h == *j.xxh64) { // row 39
        Action a = make(ActionKind::adopt, p, EntryKind::file,
                        "content unchanged (only its timestamp or inode changed)");
        JournalRecord rec = without_marks(j);
        rec.size = l.size;
        rec.local_mtime = l.mtime;
        rec.inode = l.inode;
        a.record = std::move(rec);
        a.local = l;
        a.remote = r;
        a.asset_id = r.asset_id;
        return a;
    }
    return skip(SkipReason::changed_locally, p, EntryKind::file, changed); // row 40
}

Action Reconciler::remote_change(const LocalEntry& l, const RemoteEntry& r,
                                 const JournalRecord& j) const {
    if (r.upload_completed && r.checksum && j.xxh64 && *r.checksum == *j.xxh64 &&
        r.filesize == j.size) { // row 41
        Action a = make(ActionKind::adopt, l.path, EntryKind::file,
                        "same content on Frame.io under a new asset id" +
                            std::string(r.version_stack ? " (new version-stack head)" : ""));
        JournalRecord rec = without_marks(j);
        rec.asset_id = r.asset_id;
        rec.stack_id = r.version_stack ? r.version_stack->stack_id : std::string();
        a.record = std::move(rec);
        a.local = l;
        a.remote = r;
        a.asset_id = r.asset_id;
        return a;
    }
    return skip(SkipReason::remote_changed, l.path, EntryKind::file, // row 42
                std::string("changed on Frame.io after it was synced (") +
                    (r.version_stack ? "new version-stack head" : "replaced by another asset") +
                    "); not downloaded over the local file");
}

} // namespace fios::plan::detail
