// SPDX-License-Identifier: MIT
// plan::reconcile and the Reconciler's inputs, per-path dispatch and folders (rows 1-20).
// Files are in reconcile_files.cpp and reconcile_transfer_states.cpp (reconcile_detail.hpp).
#include "fios/plan/reconcile.hpp"

#include "fios/plan/reconcile_detail.hpp"
#include "fios/scan/path_map.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace fios::plan {
namespace detail {

using model::JournalState;
using model::LocalSkipReason;

namespace {

std::string quoted(const RelPath& p) {
    return "\"" + scan::escape_name(p.str()) + "\"";
}

std::string settle_text(std::chrono::milliseconds settle) {
    const auto ms = settle.count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + " s";
    return std::to_string(ms) + " ms";
}

bool is_complete(const RemoteEntry& r) {
    return r.kind == EntryKind::folder || r.upload_completed;
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

} // namespace

bool has_marks(const JournalRecord& j) {
    return j.deleted_locally || j.deleted_remotely || j.conflict;
}

JournalRecord without_marks(JournalRecord j) {
    j.deleted_locally = false;
    j.deleted_remotely = false;
    j.conflict = false;
    return j;
}

bool local_matches(const LocalEntry& l, const JournalRecord& j) {
    return l.kind == EntryKind::file && l.size == j.size && l.mtime == j.local_mtime &&
           l.inode == j.inode;
}

bool remote_matches(const RemoteEntry& r, const JournalRecord& j) {
    return !j.asset_id.empty() && r.asset_id == j.asset_id;
}

Plan Reconciler::run() {
    collect();
    for (auto& [path, slot] : m_slots)
        process(path, slot);
    names();
    order();
    return std::move(m_plan);
}

// ---- inputs --------------------------------------------------------------------------

void Reconciler::collect() {
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

void Reconciler::names() {
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

void Reconciler::order() {
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

Action Reconciler::make(ActionKind kind, const RelPath& path, EntryKind ek, std::string reason) {
    Action a;
    a.kind = kind;
    a.path = path;
    a.entry_kind = ek;
    a.reason = std::move(reason);
    return a;
}

Action Reconciler::skip(SkipReason why, const RelPath& path, EntryKind ek, std::string reason) {
    Action a = make(ActionKind::skip, path, ek, std::move(reason));
    a.skip = why;
    return a;
}

const model::LocalObservation* Reconciler::observation(const RelPath& p) const {
    const auto it = m_journal.observations.find(p);
    return it == m_journal.observations.end() ? nullptr : &it->second;
}

bool Reconciler::settled(const LocalEntry& l) const {
    return policy::is_settled(m_policy, l, observation(l.path), m_now);
}

std::optional<std::string> Reconciler::known_hash(const LocalEntry& l,
                                                  const JournalRecord* j) const {
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

std::string Reconciler::settling_text() const {
    return "changed within the last " + settle_text(m_policy.settle) +
           "; picked up once it stays unchanged that long";
}

JournalRecord Reconciler::synced_record(const LocalEntry& l, const RemoteEntry& r,
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

std::optional<RelPath> Reconciler::occupied_ancestor(const RelPath& p) const {
    for (RelPath a = p.parent(); !a.is_root(); a = a.parent()) {
        if (m_occupied.contains(a))
            return a;
    }
    return std::nullopt;
}

bool Reconciler::parent_ok(const RemoteEntry& r) const {
    const RelPath pp = r.path.parent();
    if (pp.is_root())
        return m_remote.root_folder_id.empty() || r.parent_id == m_remote.root_folder_id;
    const auto it = m_remote_folder.find(pp);
    return it != m_remote_folder.end() && !it->second.empty() && it->second == r.parent_id;
}

bool Reconciler::journal_follows(const RemoteEntry& r, const JournalRecord* j) {
    if (j == nullptr)
        return false;
    if (!j->asset_id.empty() && r.asset_id == j->asset_id)
        return true;
    return !j->stack_id.empty() && r.version_stack && r.version_stack->stack_id == j->stack_id;
}

void Reconciler::process(const RelPath& p, const Slot& s) {
    const bool remote_file = std::any_of(s.remote.begin(), s.remote.end(),
                                         [](const auto* r) { return r->kind == EntryKind::file; });
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
            Action a = skip(SkipReason::duplicate, p, r->kind,
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

void Reconciler::emit(Action a, const Slot& s) {
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
        m_plan.observations.push_back(policy::observe(*s.local, observation(s.local->path), m_now));
    }
    m_plan.actions.push_back(std::move(a));
}

Action Reconciler::occupied(const RelPath& p, const LocalSkip& o, const RemoteEntry* r) const {
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

Action Reconciler::gate(Action a) const {
    const RelPath pp = a.path.parent();
    if (writes_local_path(a.kind)) {
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

std::optional<Action> Reconciler::decide(const RelPath& p, const LocalEntry* l,
                                         const RemoteEntry* r, const JournalRecord* j) const {
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

std::optional<Action> Reconciler::folder(const RelPath& p, const LocalEntry* l,
                                         const RemoteEntry* r, const JournalRecord* j) const {
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
            return skip(SkipReason::deleted_remotely, p, ek,
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

} // namespace detail

Plan reconcile(const model::RemoteSnapshot& remote, const model::LocalSnapshot& local,
               const model::JournalSnapshot& journal, const policy::Policy& policy,
               model::TimePoint now) {
    return detail::Reconciler(remote, local, journal, policy, now).run();
}

} // namespace fios::plan
