// SPDX-License-Identifier: MIT
#include "fios/plan/reconcile.hpp"

#include "fios/scan/path_map.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace fios::plan {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using model::LocalEntry;
using model::LocalSkip;
using model::LocalSkipReason;
using model::RelPath;
using model::RemoteEntry;
using model::TimePoint;
using model::TransferDirection;

namespace {

std::string quoted(const RelPath& p) {
    return "\"" + scan::escape_name(p.str()) + "\"";
}

std::string duration_text(std::chrono::nanoseconds d) {
    using namespace std::chrono;
    const auto s = duration_cast<seconds>(d).count();
    if (s < 120)
        return std::to_string(s) + " s";
    if (s < 2 * 3600)
        return std::to_string(s / 60) + " min";
    return std::to_string(s / 3600) + " h";
}

std::string settle_text(std::chrono::milliseconds settle) {
    const auto ms = settle.count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + " s";
    return std::to_string(ms) + " ms";
}

bool has_marks(const JournalRecord& j) {
    return j.deleted_locally || j.deleted_remotely || j.conflict;
}

JournalRecord without_marks(JournalRecord j) {
    j.deleted_locally = false;
    j.deleted_remotely = false;
    j.conflict = false;
    return j;
}

/// A local file "matches" a journal row when it is still the file the row describes.
bool local_matches(const LocalEntry& l, const JournalRecord& j) {
    return l.kind == EntryKind::file && l.size == j.size && l.mtime == j.local_mtime &&
           l.inode == j.inode;
}

/// The remote item is the very asset the row agreed on.
bool remote_matches(const RemoteEntry& r, const JournalRecord& j) {
    return !j.asset_id.empty() && r.asset_id == j.asset_id;
}

bool is_complete(const RemoteEntry& r) {
    return r.kind == EntryKind::folder || r.upload_completed;
}

bool writes_locally(ActionKind k) {
    return k == ActionKind::create_local_folder || k == ActionKind::download ||
           k == ActionKind::resume_download;
}

bool writes_remotely(ActionKind k) {
    return k == ActionKind::create_remote_folder || k == ActionKind::upload ||
           k == ActionKind::reupload || k == ActionKind::resume_upload;
}

/// Skip reasons after which the journal's marks are recomputed (the reason proves which
/// mark applies now); other skips leave the row as it is.
bool recomputes_marks(SkipReason r) {
    return r == SkipReason::deleted_locally || r == SkipReason::deleted_remotely ||
           r == SkipReason::conflict || r == SkipReason::changed_locally ||
           r == SkipReason::remote_changed;
}

struct Slot {
    const LocalEntry* local = nullptr;
    const LocalSkip* occupied = nullptr; // symlink, special file, unreadable or too deep
    std::vector<const RemoteEntry*> remote;
    const JournalRecord* journal = nullptr;
};

class Reconciler {
public:
    Reconciler(const model::RemoteSnapshot& remote, const model::LocalSnapshot& local,
               const model::JournalSnapshot& journal, const policy::Policy& policy, TimePoint now)
        : m_remote(remote), m_local(local), m_journal(journal), m_policy(policy), m_now(now) {}

    Plan run() {
        collect();
        for (auto& [path, slot] : m_slots)
            process(path, slot);
        names();
        order();
        return std::move(m_plan);
    }

private:
    // ---- inputs --------------------------------------------------------------------------

    void collect() {
        for (const auto& [path, entry] : m_local.entries) {
            if (!path.is_root())
                m_slots[path].local = &entry;
        }
        for (const LocalSkip& s : m_local.skipped) {
            if (!s.path || s.path->is_root())
                continue;
            if (s.reason == LocalSkipReason::symlink || s.reason == LocalSkipReason::special_file ||
                s.reason == LocalSkipReason::unreadable || s.reason == LocalSkipReason::too_deep) {
                m_slots[*s.path].occupied = &s;
            }
        }
        for (const RemoteEntry& r : m_remote.entries) {
            if (!r.path.is_root())
                m_slots[r.path].remote.push_back(&r);
        }
        for (const auto& [path, record] : m_journal.records) {
            if (!path.is_root())
                m_slots[path].journal = &record;
        }
    }

    // Rows 1-3: names that are not paths. Reported under their parent folder.
    void names() {
        for (const model::RemoteRejected& r : m_remote.rejected) { // row 1
            Action a = make(ActionKind::skip, r.parent, r.kind,
                            "name refused on Frame.io (asset " + r.asset_id +
                                "): " + std::string(model::describe(r.issue)));
            a.skip = SkipReason::hostile_name;
            a.name = r.name;
            a.asset_id = r.asset_id;
            m_plan.actions.push_back(std::move(a));
        }
        for (const LocalSkip& s : m_local.skipped) { // row 2 (row 3: own_temporary, nothing)
            if (s.reason != LocalSkipReason::invalid_name)
                continue;
            Action a = make(ActionKind::skip, s.parent, EntryKind::file,
                            "local name refused: " + std::string(model::describe(s.name_issue)));
            a.skip = SkipReason::hostile_name;
            a.name = s.name;
            m_plan.actions.push_back(std::move(a));
        }
    }

    /// Folder actions first, then the rest, each by path; parents always before children.
    /// A folder action below a path whose own action is not a folder action (e.g. a
    /// file/folder conflict) goes with the rest, so that it still follows its parent.
    void order() {
        // Stable: within one path the winner's action stays before its duplicates' skips.
        std::stable_sort(m_plan.actions.begin(), m_plan.actions.end(),
                         [](const Action& a, const Action& b) {
                             return std::tie(a.path, a.name) < std::tie(b.path, b.name);
                         });
        std::set<RelPath> later; // paths with an action in the second group
        std::vector<std::pair<int, Action>> grouped;
        grouped.reserve(m_plan.actions.size());
        for (Action& a : m_plan.actions) {
            bool below_later = false;
            // A hostile name's `path` is its folder, so that folder counts as an ancestor.
            RelPath p = a.name.empty() ? a.path.parent() : a.path;
            while (true) {
                if (later.contains(p))
                    below_later = true;
                if (p.is_root())
                    break;
                p = p.parent();
            }
            const int group = a.entry_kind == EntryKind::folder && !below_later ? 0 : 1;
            if (group == 1 && a.name.empty())
                later.insert(a.path);
            grouped.emplace_back(group, std::move(a));
        }
        std::stable_sort(grouped.begin(), grouped.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        m_plan.actions.clear();
        for (auto& [group, a] : grouped)
            m_plan.actions.push_back(std::move(a));
    }

    // ---- helpers ---------------------------------------------------------------------------

    static Action make(ActionKind kind, const RelPath& path, EntryKind ek, std::string reason) {
        Action a;
        a.kind = kind;
        a.path = path;
        a.entry_kind = ek;
        a.reason = std::move(reason);
        return a;
    }

    static Action skip(SkipReason why, const RelPath& path, EntryKind ek, std::string reason) {
        Action a = make(ActionKind::skip, path, ek, std::move(reason));
        a.skip = why;
        return a;
    }

    const model::LocalObservation* observation(const RelPath& p) const {
        const auto it = m_journal.observations.find(p);
        return it == m_journal.observations.end() ? nullptr : &it->second;
    }

    /// The backend reports no content checksum: rows 73-77 replace the checksum rows.
    bool by_size() const { return m_policy.verification == policy::Verification::size; }

    bool settled(const LocalEntry& l) const {
        return policy::is_settled(m_policy, l, observation(l.path), m_now);
    }

    std::optional<std::string> known_hash(const LocalEntry& l, const JournalRecord* j) const {
        if (const auto it = m_journal.hashes.find(l.path); it != m_journal.hashes.end()) {
            const model::LocalHash& h = it->second;
            if (h.size == l.size && h.mtime == l.mtime && h.inode == l.inode)
                return h.xxh64;
        }
        if (j != nullptr && j->kind == EntryKind::file && local_matches(l, *j) && j->xxh64) {
            return j->xxh64;
        }
        return std::nullopt;
    }

    std::string settling_text() const {
        return "changed within the last " + settle_text(m_policy.settle) +
               "; picked up once it stays unchanged that long";
    }

    static JournalRecord synced_record(const LocalEntry& l, const RemoteEntry& r,
                                       std::optional<std::string> hash) {
        JournalRecord j;
        j.path = l.path;
        j.kind = l.kind;
        j.asset_id = r.asset_id;
        j.stack_id = r.version_stack ? r.version_stack->stack_id : std::string();
        j.size = l.kind == EntryKind::file ? l.size : 0;
        j.local_mtime = l.mtime;
        j.inode = l.inode;
        j.xxh64 = std::move(hash);
        j.verified = true;
        j.state = JournalState::synced;
        return j;
    }

    // ---- per path ------------------------------------------------------------------------

    std::optional<RelPath> occupied_ancestor(const RelPath& p) const {
        for (RelPath a = p.parent(); !a.is_root(); a = a.parent()) {
            if (m_occupied.contains(a))
                return a;
        }
        return std::nullopt;
    }

    bool parent_ok(const RemoteEntry& r) const {
        const RelPath pp = r.path.parent();
        if (pp.is_root())
            return m_remote.root_folder_id.empty() || r.parent_id == m_remote.root_folder_id;
        const auto it = m_remote_folder.find(pp);
        return it != m_remote_folder.end() && !it->second.empty() && it->second == r.parent_id;
    }

    static bool journal_follows(const RemoteEntry& r, const JournalRecord* j) {
        if (j == nullptr)
            return false;
        if (!j->asset_id.empty() && r.asset_id == j->asset_id)
            return true;
        return !j->stack_id.empty() && r.version_stack && r.version_stack->stack_id == j->stack_id;
    }

    void process(const RelPath& p, const Slot& s) {
        const bool remote_file = std::any_of(s.remote.begin(), s.remote.end(), [](const auto* r) {
            return r->kind == EntryKind::file;
        });
        const EntryKind shown = s.local                           ? s.local->kind
                                : s.journal                       ? s.journal->kind
                                : remote_file || s.remote.empty() ? EntryKind::file
                                                                  : EntryKind::folder;
        // Row 6: below a local symlink / special file / unreadable folder nothing is known
        // locally, so nothing is decided (in particular nothing looks deleted).
        if (const auto anc = occupied_ancestor(p)) {
            m_occupied.insert(p);
            emit(skip(SkipReason::parent_skipped, p, shown,
                      "inside " + quoted(*anc) + ", which is not synced locally"),
                 s);
            return;
        }

        // Rows 7-8: choose the remote item that is synced at this path.
        std::vector<const RemoteEntry*> valid;
        std::vector<Action> losers;
        for (const RemoteEntry* r : s.remote) {
            if (parent_ok(*r)) {
                valid.push_back(r);
            } else {
                Action a =
                    skip(SkipReason::duplicate, p, r->kind,
                         "asset " + r->asset_id +
                             " is in another folder with the same name, which is not synced");
                a.asset_id = r->asset_id;
                a.remote = *r;
                losers.push_back(std::move(a));
            }
        }
        std::sort(valid.begin(), valid.end(), [&](const RemoteEntry* a, const RemoteEntry* b) {
            return std::make_tuple(!journal_follows(*a, s.journal), !is_complete(*a), a->created_at,
                                   a->asset_id) < std::make_tuple(!journal_follows(*b, s.journal),
                                                                  !is_complete(*b), b->created_at,
                                                                  b->asset_id);
        });
        const RemoteEntry* r = valid.empty() ? nullptr : valid.front();
        for (std::size_t i = 1; i < valid.size(); ++i) {
            Action a = skip(SkipReason::duplicate, valid[i]->path, valid[i]->kind,
                            "another item with this name on Frame.io (asset " + r->asset_id +
                                ") is synced; first seen wins");
            a.asset_id = valid[i]->asset_id;
            a.remote = *valid[i];
            losers.push_back(std::move(a));
        }
        std::sort(losers.begin(), losers.end(),
                  [](const Action& x, const Action& y) { return x.asset_id < y.asset_id; });
        if (r != nullptr && r->kind == EntryKind::folder)
            m_remote_folder[p] = r->asset_id;

        std::optional<Action> a;
        if (s.occupied != nullptr) {
            a = occupied(p, *s.occupied, r); // rows 4-5
            m_occupied.insert(p);
        } else {
            a = decide(p, s.local, r, s.journal);
            if (a)
                a = gate(std::move(*a)); // rows 9-10
        }
        if (s.local != nullptr && s.local->kind == EntryKind::folder && s.occupied == nullptr) {
            m_local_ready.insert(p);
        }
        if (a && a->kind == ActionKind::create_local_folder)
            m_local_ready.insert(p);
        if (a && a->kind == ActionKind::create_remote_folder)
            m_remote_folder[p] = std::string();

        if (a)
            emit(std::move(*a), s);
        for (Action& l : losers)
            m_plan.actions.push_back(std::move(l));
    }

    /// Adds journal marks to skips and remembers settling files, then appends.
    void emit(Action a, const Slot& s) {
        if (a.kind == ActionKind::skip && !a.record && s.journal != nullptr &&
            recomputes_marks(a.skip)) {
            JournalRecord j = *s.journal;
            j.deleted_locally = a.skip == SkipReason::deleted_locally;
            j.deleted_remotely = a.skip == SkipReason::deleted_remotely;
            j.conflict = a.skip == SkipReason::conflict;
            if (j != *s.journal)
                a.record = std::move(j);
        }
        if (a.kind == ActionKind::skip && a.skip == SkipReason::settling && s.local != nullptr) {
            m_plan.observations.push_back(
                policy::observe(*s.local, observation(s.local->path), m_now));
        }
        m_plan.actions.push_back(std::move(a));
    }

    // Rows 4-5.
    Action occupied(const RelPath& p, const LocalSkip& o, const RemoteEntry* r) const {
        const EntryKind ek = r ? r->kind : EntryKind::file;
        std::string what;
        switch (o.reason) {
        case LocalSkipReason::symlink:
            what = "a symlink";
            break;
        case LocalSkipReason::special_file:
            what = "a special file (fifo, socket or device)";
            break;
        case LocalSkipReason::too_deep:
            what = "a folder nested too deep to scan";
            break;
        default:
            what = "a folder that cannot be read" + (o.detail.empty() ? "" : " (" + o.detail + ")");
        }
        const bool unreadable =
            o.reason == LocalSkipReason::unreadable || o.reason == LocalSkipReason::too_deep;
        std::string text = "locally " + what + "; never followed or written over";
        if (r != nullptr)
            text += "; Frame.io's " + std::string(model::to_string(r->kind)) + " is not synced";
        return skip(unreadable ? SkipReason::local_unreadable : SkipReason::unsupported_type, p, ek,
                    std::move(text));
    }

    // Rows 9-10: the side written to must allow it and have the containing folder.
    Action gate(Action a) const {
        const RelPath pp = a.path.parent();
        if (writes_locally(a.kind)) {
            if (!policy::allows_download(m_policy)) {
                return skip(SkipReason::direction_excluded, a.path, a.entry_kind,
                            "--direction up: nothing is written locally (would " +
                                std::string(to_string(a.kind)) + ")");
            }
            if (!pp.is_root() && !m_local_ready.contains(pp)) {
                return skip(SkipReason::parent_skipped, a.path, a.entry_kind,
                            "its folder " + quoted(pp) + " is not synced locally (would " +
                                std::string(to_string(a.kind)) + ")");
            }
        }
        if (writes_remotely(a.kind)) {
            if (!policy::allows_upload(m_policy)) {
                return skip(SkipReason::direction_excluded, a.path, a.entry_kind,
                            "--direction down: nothing is written to Frame.io (would " +
                                std::string(to_string(a.kind)) + ")");
            }
            if (!pp.is_root()) {
                const auto it = m_remote_folder.find(pp);
                if (it == m_remote_folder.end()) {
                    return skip(SkipReason::parent_skipped, a.path, a.entry_kind,
                                "its folder " + quoted(pp) + " is not synced to Frame.io (would " +
                                    std::string(to_string(a.kind)) + ")");
                }
                a.parent_asset_id = it->second;
            } else {
                a.parent_asset_id = m_remote.root_folder_id;
            }
        }
        return a;
    }

    std::optional<Action> decide(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord* j) const {
        if (l == nullptr && r == nullptr) {
            // Only duplicates of another folder's items stood here (row 8): nothing to decide.
            if (j == nullptr)
                return std::nullopt;
            // row 13
            Action a = make(ActionKind::forget, p, j->kind,
                            "gone locally and on Frame.io; the journal row is dropped");
            return a;
        }
        if (l != nullptr && r != nullptr && l->kind != r->kind) { // rows 11-12
            return skip(SkipReason::conflict, p, l->kind,
                        "a " + std::string(l->kind == EntryKind::folder ? "folder" : "file") +
                            " here, a " + std::string(model::to_string(r->kind)) +
                            " on Frame.io; the local one is kept, nothing is written over it");
        }
        const EntryKind kind = l != nullptr ? l->kind : r->kind;
        const JournalRecord* jr = (j != nullptr && j->kind == kind) ? j : nullptr;
        if (kind == EntryKind::folder)
            return folder(p, l, r, jr);
        return file(p, l, r, jr, j);
    }

    // ---- folders: rows 14-20 --------------------------------------------------------------

    std::optional<Action> folder(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord* j) const {
        const EntryKind ek = EntryKind::folder;
        if (l != nullptr && r != nullptr) {
            if (j != nullptr && j->asset_id == r->asset_id) {
                if (!has_marks(*j))
                    return std::nullopt; // row 17
                Action a = make(ActionKind::adopt, p, ek, "in sync again; clearing its marks");
                a.record = without_marks(*j); // row 18
                a.local = *l;
                a.remote = *r;
                a.asset_id = r->asset_id;
                return a;
            }
            Action a = make(ActionKind::adopt, p, ek, "the same folder exists on both sides"); // 16
            a.record = synced_record(*l, *r, std::nullopt);
            a.local = *l;
            a.remote = *r;
            a.asset_id = r->asset_id;
            return a;
        }
        if (l != nullptr) {
            if (j != nullptr) { // row 20
                return skip(
                    SkipReason::deleted_remotely, p, ek,
                    "deleted on Frame.io after it was synced; kept here, not uploaded again");
            }
            Action a = make(ActionKind::create_remote_folder, p, ek, "new local folder"); // 14
            a.local = *l;
            return a;
        }
        if (j != nullptr) { // row 19
            return skip(SkipReason::deleted_locally, p, ek,
                        "deleted here after it was synced; kept on Frame.io, not downloaded again");
        }
        Action a = make(ActionKind::create_local_folder, p, ek, "new folder on Frame.io"); // 15
        a.remote = *r;
        a.asset_id = r->asset_id;
        return a;
    }

    // ---- files -----------------------------------------------------------------------------

    /// `j` is the row when it describes a file here, `any` the row whatever its kind.
    /// Row 72: a version stack arrives as a file entry carrying its head's content, so every
    /// file row applies to it unchanged; a new head is a new asset id (rows 41-42).
    std::optional<Action> file(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
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

    Action upload(const LocalEntry& l, std::uint32_t attempt, std::string why) const {
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

    /// Replaces our own asset `old` (nullptr = an interrupted create whose asset is not
    /// known) with a new upload.
    Action reupload(const LocalEntry& l, const RemoteEntry* old, std::uint32_t attempt,
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

    Action download(const RemoteEntry& r, const LocalEntry* replace, std::uint32_t attempt,
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

    // Rows 21-31: no journal row for a file at this path.
    std::optional<Action> fresh(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
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

    // Rows 25-31: a local and a remote file with nothing agreed between them.
    Action compare(const LocalEntry& l, const RemoteEntry& r, const JournalRecord* j,
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

    // Rows 32-43: a file both sides agreed on.
    std::optional<Action> synced(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord& j) const {
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
                return std::nullopt; // row 32
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

    // Rows 36-40.
    Action local_change(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const {
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

    // Rows 41-42: the local file is as synced, the remote item is another asset now.
    Action remote_change(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const {
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

    // Rows 44-54: transferred, Frame.io's checksum not yet compared.
    std::optional<Action> awaiting(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                   const JournalRecord& j) const {
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

    /// Rows 47-54: `r` is the asset of row `j`, whose xxh64 is the hash of what was sent or
    /// received.
    /// Without a checksum (rows 75-76) the same rows run on the size: complete with the size
    /// sent or received verifies, another size is a mismatch.
    Action check(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const {
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

    /// Row 78: Frame.io gave up on our upload (V4 `upload_failed`): it can never complete, so
    /// waiting for it (rows 47, 59) would wait forever. Our asset is replaced by a new upload;
    /// past the attempt limit the runner records a failure with backoff (row 67), since the
    /// cause is on Frame.io's side.
    Action resend_failed_upload(const LocalEntry& l, const RemoteEntry& r,
                                const JournalRecord& j) const {
        return reupload(l, &r, j.attempts + 1,
                        "Frame.io marked our upload failed after " + std::to_string(j.attempts) +
                            (j.attempts == 1 ? " attempt" : " attempts") + "; sending it again");
    }

    Action failed_for_good(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j,
                           std::string why) const {
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

    // Rows 55-61: an upload was started and not finished.
    std::optional<Action> uploading(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                    const JournalRecord& j) const {
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

    // Rows 62-66: a download was started and not finished.
    std::optional<Action> downloading(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                      const JournalRecord& j) const {
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

    // Row 77: without a checksum, our interrupted download of this very asset is in place
    // with its size (renamed before the row was written): hash it, record it verified by size.
    Action found_download(const LocalEntry& l, const RemoteEntry& r) const {
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

    // Rows 67-71.
    std::optional<Action> failed(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord& j) const {
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
                return download(*r, l, attempt,
                                "retrying a failed download over our unverified copy");
            }
            return compare(*l, *r, &j, "");
        }
        if (!r->upload_completed) {
            return skip(SkipReason::remote_incomplete, p, ek,
                        "on Frame.io, but its upload is not complete yet");
        }
        return download(*r, nullptr, attempt, "retrying a failed download");
    }

    const model::RemoteSnapshot& m_remote;
    const model::LocalSnapshot& m_local;
    const model::JournalSnapshot& m_journal;
    const policy::Policy& m_policy;
    TimePoint m_now;

    std::map<RelPath, Slot> m_slots;
    std::set<RelPath> m_occupied;                   // locally unknown subtrees
    std::set<RelPath> m_local_ready;                // folders that exist or will, locally
    std::map<RelPath, std::string> m_remote_folder; // folders that exist (id) or will (""),
                                                    // remotely
    Plan m_plan;
};

} // namespace

Plan reconcile(const model::RemoteSnapshot& remote, const model::LocalSnapshot& local,
               const model::JournalSnapshot& journal, const policy::Policy& policy,
               model::TimePoint now) {
    return Reconciler(remote, local, journal, policy, now).run();
}

} // namespace fios::plan
