// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/entry.hpp"
#include "fios/model/snapshot.hpp"
#include "fios/plan/plan.hpp"
#include "fios/policy/policy.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

/// Private to plan/: the Reconciler behind plan::reconcile (reconcile.hpp). Its members are
/// split by the rows of docs/sync-policy.md they implement: reconcile.cpp (inputs, per path,
/// folders), reconcile_files.cpp (files without a row or with a synced row, rows 21-43),
/// reconcile_transfer_states.cpp (rows whose journal state is awaiting verification,
/// uploading, downloading or failed, rows 44-71 and 77-78).
namespace fios::plan::detail {

using model::EntryKind;
using model::JournalRecord;
using model::LocalEntry;
using model::LocalSkip;
using model::RelPath;
using model::RemoteEntry;
using model::TimePoint;

/// The row carries a mark: deleted locally, deleted remotely or conflict.
bool has_marks(const JournalRecord& j);

/// `j` with those marks cleared.
JournalRecord without_marks(JournalRecord j);

/// A local file "matches" a journal row when it is still the file the row describes.
bool local_matches(const LocalEntry& l, const JournalRecord& j);

/// The remote item is the very asset the row agreed on.
bool remote_matches(const RemoteEntry& r, const JournalRecord& j);

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

    Plan run();

private:
    // ---- inputs --------------------------------------------------------------------------

    void collect();

    // Rows 1-3: names that are not paths. Reported under their parent folder.
    void names();

    /// Folder actions first, then the rest, each by path; parents always before children.
    /// A folder action below a path whose own action is not a folder action (e.g. a
    /// file/folder conflict) goes with the rest, so that it still follows its parent.
    void order();

    // ---- helpers ---------------------------------------------------------------------------

    static Action make(ActionKind kind, const RelPath& path, EntryKind ek, std::string reason);

    static Action skip(SkipReason why, const RelPath& path, EntryKind ek, std::string reason);

    const model::LocalObservation* observation(const RelPath& p) const;

    /// The backend reports no content checksum: rows 73-77 replace the checksum rows.
    bool by_size() const { return m_policy.verification == policy::Verification::size; }

    bool settled(const LocalEntry& l) const;

    std::optional<std::string> known_hash(const LocalEntry& l, const JournalRecord* j) const;

    std::string settling_text() const;

    static JournalRecord synced_record(const LocalEntry& l, const RemoteEntry& r,
                                       std::optional<std::string> hash);

    // ---- per path ------------------------------------------------------------------------

    std::optional<RelPath> occupied_ancestor(const RelPath& p) const;

    bool parent_ok(const RemoteEntry& r) const;

    static bool journal_follows(const RemoteEntry& r, const JournalRecord* j);

    void process(const RelPath& p, const Slot& s);

    /// Adds journal marks to skips and remembers settling files, then appends.
    void emit(Action a, const Slot& s);

    // Rows 4-5.
    Action occupied(const RelPath& p, const LocalSkip& o, const RemoteEntry* r) const;

    // Rows 9-10: the side written to must allow it and have the containing folder.
    Action gate(Action a) const;

    std::optional<Action> decide(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord* j) const;

    // ---- folders: rows 14-20 --------------------------------------------------------------

    std::optional<Action> folder(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord* j) const;

    // ---- files -----------------------------------------------------------------------------

    /// `j` is the row when it describes a file here, `any` the row whatever its kind.
    /// Row 72: a version stack arrives as a file entry carrying its head's content, so every
    /// file row applies to it unchanged; a new head is a new asset id (rows 41-42).
    std::optional<Action> file(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                               const JournalRecord* j, const JournalRecord* any) const;

    Action upload(const LocalEntry& l, std::uint32_t attempt, std::string why) const;

    /// Replaces our own asset `old` (nullptr = an interrupted create whose asset is not
    /// known) with a new upload.
    Action reupload(const LocalEntry& l, const RemoteEntry* old, std::uint32_t attempt,
                    std::string why) const;

    Action download(const RemoteEntry& r, const LocalEntry* replace, std::uint32_t attempt,
                    std::string why) const;

    // Rows 21-31: no journal row for a file at this path.
    std::optional<Action> fresh(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                const JournalRecord* any) const;

    // Rows 25-31: a local and a remote file with nothing agreed between them.
    Action compare(const LocalEntry& l, const RemoteEntry& r, const JournalRecord* j,
                   const std::string& context) const;

    // Rows 32-43: a file both sides agreed on.
    std::optional<Action> synced(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord& j) const;

    // Rows 36-40.
    Action local_change(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const;

    // Rows 41-42: the local file is as synced, the remote item is another asset now.
    Action remote_change(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const;

    // Rows 44-54: transferred, Frame.io's checksum not yet compared.
    std::optional<Action> awaiting(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                   const JournalRecord& j) const;

    /// Rows 47-54: `r` is the asset of row `j`, whose xxh64 is the hash of what was sent or
    /// received.
    /// Without a checksum (rows 75-76) the same rows run on the size: complete with the size
    /// sent or received verifies, another size is a mismatch.
    Action check(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j) const;

    /// Row 78: Frame.io gave up on our upload (V4 `upload_failed`): it can never complete, so
    /// waiting for it (rows 47, 59) would wait forever. Our asset is replaced by a new upload;
    /// past the attempt limit the runner records a failure with backoff (row 67), since the
    /// cause is on Frame.io's side.
    Action resend_failed_upload(const LocalEntry& l, const RemoteEntry& r,
                                const JournalRecord& j) const;

    Action failed_for_good(const LocalEntry& l, const RemoteEntry& r, const JournalRecord& j,
                           std::string why) const;

    // Rows 55-61: an upload was started and not finished.
    std::optional<Action> uploading(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                    const JournalRecord& j) const;

    // Rows 62-66: a download was started and not finished.
    std::optional<Action> downloading(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                      const JournalRecord& j) const;

    // Row 77: without a checksum, our interrupted download of this very asset is in place
    // with its size (renamed before the row was written): hash it, record it verified by size.
    Action found_download(const LocalEntry& l, const RemoteEntry& r) const;

    // Rows 67-71.
    std::optional<Action> failed(const RelPath& p, const LocalEntry* l, const RemoteEntry* r,
                                 const JournalRecord& j) const;

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

} // namespace fios::plan::detail
