// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/entry.hpp"
#include "fios/model/journal_record.hpp"
#include "fios/model/name_issue.hpp"
#include "fios/model/rel_path.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::model {

/// Why the local scanner did not report something as an entry. Reaches `--json` output via
/// to_string(): never rename a value.
enum class LocalSkipReason : std::uint8_t {
    symlink,       ///< never followed, for reads or writes; a symlinked folder is not entered
    special_file,  ///< fifo, socket, character or block device
    invalid_name,  ///< see name_issue (e.g. not valid UTF-8); nothing below it is scanned
    own_temporary, ///< our own hidden temporary download file: expected, not a warning
    unreadable,    ///< a folder that could not be opened or listed (see detail)
    too_deep,      ///< a folder nested deeper than the scanner's limit
};

constexpr std::string_view to_string(LocalSkipReason r) noexcept {
    switch (r) {
    case LocalSkipReason::symlink:
        return "symlink";
    case LocalSkipReason::special_file:
        return "special_file";
    case LocalSkipReason::invalid_name:
        return "invalid_name";
    case LocalSkipReason::own_temporary:
        return "own_temporary";
    case LocalSkipReason::unreadable:
        return "unreadable";
    case LocalSkipReason::too_deep:
        return "too_deep";
    }
    return "unreadable";
}

/// Something under the sync folder that is not synced, and why.
struct LocalSkip {
    RelPath parent;              ///< the folder it is in (always a valid path)
    std::string name;            ///< its raw name, byte for byte (may be invalid UTF-8)
    std::optional<RelPath> path; ///< parent/name when the name itself is valid
    LocalSkipReason reason = LocalSkipReason::unreadable;
    NameIssue name_issue = NameIssue::none; ///< for invalid_name
    std::string detail;                     ///< e.g. the errno text for unreadable

    friend bool operator==(const LocalSkip&, const LocalSkip&) = default;
};

/// The local side of one sync folder at one moment.
struct LocalSnapshot {
    std::map<RelPath, LocalEntry> entries; ///< files and folders (empty folders included)
    std::vector<LocalSkip> skipped;        ///< in scan order (sorted by path by the scanner)
};

/// A remote item whose name path_map refused: reported and counted, never synced. Its
/// subtree (for a folder) is not listed at all.
struct RemoteRejected {
    RelPath parent;   ///< the folder path it was listed in
    std::string name; ///< the raw remote name
    std::string asset_id;
    EntryKind kind = EntryKind::file;
    NameIssue issue = NameIssue::none;

    friend bool operator==(const RemoteRejected&, const RemoteRejected&) = default;
};

/// The remote side of one project at one moment.
///
/// `entries` holds every listed item whose name mapped to a path, in any order; several
/// items may share one path (Frame.io allows duplicate names): reconcile picks the winner
/// ("first seen": the one the journal already follows, else a completed upload, else the
/// earliest created_at, else the smallest asset_id) and reports the others as duplicates.
/// Items of a folder that lost such a contest are reported as duplicates too; telling them
/// apart needs parent_id filled in on every entry and root_folder_id set.
struct RemoteSnapshot {
    std::string root_folder_id; ///< the project's root folder ("" = do not check parents
                                ///< of top-level entries)
    std::vector<RemoteEntry> entries;
    std::vector<RemoteRejected> rejected;

    friend bool operator==(const RemoteSnapshot&, const RemoteSnapshot&) = default;
};

/// What the journal knows for one sync folder, as reconcile needs it.
struct JournalSnapshot {
    std::map<RelPath, JournalRecord> records;
    /// First sightings of local files that were still settling in an earlier run
    /// (replace the stored set with plan::Plan::observations after each reconcile).
    std::map<RelPath, LocalObservation> observations;
    /// Local XXH64s the engine already computed (e.g. for hash_local actions). An entry is
    /// used only while the file still has the same size, mtime and inode.
    std::map<RelPath, LocalHash> hashes;
};

} // namespace fios::model
