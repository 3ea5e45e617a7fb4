// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/model/snapshot.hpp"
#include "fios/remote/remote.hpp"
#include "fios/scan/path_map.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

/// Phase "discover remote" of a sync run: walks one project's tree on Frame.io, from its root
/// folder, through remote::Remote, and returns it as a model::RemoteSnapshot. Reads only.
///
/// - Breadth-first; up to `threads` folders are listed at once (the Remote is thread-safe by
///   contract), each folder exactly once.
/// - Every name goes through scan::map_remote_name (the one function that turns names into
///   paths). A refused name becomes a RemoteRejected with its NameIssue; a refused folder's
///   subtree is not listed at all.
/// - A version stack is one file entry at its name whose content fields describe its head
///   version (asset_id = head, version_stack = {stack id, head id}). Versions inside a stack
///   are never listed, so never taken for files of the folder. A stack without a head (an
///   empty stack) has no content and is left out.
/// - Deleted items are left out (they are not asked for, and dropped if a backend sends them).
/// - Several items with one name in one folder are all kept, each with its own entry (and a
///   folder among them is listed too): reconcile picks the winner ("first seen wins").
/// - parent_id of every entry is the folder it was listed in; root_folder_id is the root.
/// - A folder that disappears between being listed and being opened (not_found) is left out
///   with its subtree, as if it had been deleted a moment earlier. Any other listing failure
///   fails the whole scan: a partial tree would make present items look deleted.
/// - The result is deterministic whatever the thread timing: entries sorted by (path,
///   asset_id, stack id), rejected items by (parent, name, asset_id).
namespace fios::scan {

struct RemoteScanOptions {
    /// Folders listed at once (>= 1; 1 lists on the calling thread).
    std::size_t threads = 4;
    /// Limits for path_map; set root_bytes to the local folder's absolute path length so
    /// that paths too long for the local file system are refused (path_too_long).
    PathLimits limits{};
    /// Do not list folders whose item_count says they are empty (saves a request per empty
    /// folder against a rate limit of a few dozen listings a minute).
    bool skip_empty_folders = true;
    /// Checked before every listing; a cancelled scan returns ErrorCode::cancelled.
    const CancelToken* cancel = nullptr;
    /// scan_folders() only: asked (on the listing threads, one call at a time) before each
    /// start it has not begun, from the second on; once it says true, the starts not begun
    /// are left unlisted (PartialScan::gave_way) while what was begun, and the folders found
    /// below, is listed as usual. So a watch's remote check can give way to local work, and
    /// still lists at least one folder each time.
    std::function<bool()> give_way{};
};

/// What one scan cost, for logs and tests.
struct RemoteScanStats {
    std::size_t folders_listed = 0;
    std::size_t items_seen = 0;
};

/// A folder a partial scan starts from: its id and its path in the project.
struct ScanStart {
    std::string folder_id;
    model::RelPath path;
};

/// Decides whether a folder met in a partial scan is listed too (path, folder id).
using ExpandFolder = std::function<bool(const model::RelPath&, const std::string&)>;

/// The tags of folder listings (remote::FolderListing::tag), by folder path: the folder's id
/// and its tag. Only listings that came with a tag are held.
using ListingTags = std::map<model::RelPath, std::pair<std::string, std::string>>;

/// What a partial scan saw: the items of the folders it listed (root_folder_id is the
/// project's root), and the paths of exactly those folders. Whatever `listed` holds, its
/// direct children are complete and fresh: in `snapshot`, or, for the folders in
/// `unchanged`, exactly as in the listing whose tag the caller gave (they are not in
/// `snapshot`, and nothing below them was listed). Nothing else is known.
struct PartialScan {
    model::RemoteSnapshot snapshot;
    std::set<model::RelPath> listed;
    std::set<model::RelPath> unchanged;
    /// Of the folders listed (unchanged ones keep theirs), except where the view a listing
    /// produced depended on more than that listing: a path listed twice (two folders with
    /// one name), a listing with a folder refused as met before, or one with a folder that
    /// was gone when it was listed in turn.
    ListingTags tags;
    /// Two folders were listed at one path and one came back unchanged: this scan cannot say
    /// what is at that path; look at the whole tree.
    bool ambiguous = false;
    /// Some starts were left unlisted (RemoteScanOptions::give_way): they are not in `listed`.
    bool gave_way = false;
};

class RemoteScanner {
public:
    /// `remote` must outlive the scanner.
    explicit RemoteScanner(remote::Remote& remote, RemoteScanOptions options = {});

    /// Scans the tree below `root_folder_id` (a project's root asset). Fails with the first
    /// listing error (with the folder's path as context), or ErrorCode::cancelled.
    [[nodiscard]] Result<model::RemoteSnapshot> scan(const std::string& root_folder_id);

    /// Lists the folders `starts` of the project whose root is `root_folder_id`, and every
    /// folder found below them for which `expand` returns true (and so on down). Each start
    /// is listed once even when given twice; a start that is not found (deleted) fails the scan
    /// with ErrorCode::not_found, a folder found below that is gone by the time it is listed
    /// is left out as in scan().
    /// `known`: tags of earlier listings of these folders (a folder whose id and tag match
    /// is asked with list_folder_since, and may come back unchanged); null lists in full.
    [[nodiscard]] Result<PartialScan> scan_folders(const std::string& root_folder_id,
                                                   const std::vector<ScanStart>& starts,
                                                   ExpandFolder expand,
                                                   const ListingTags* known = nullptr);

    /// Counters of the last scan().
    [[nodiscard]] const RemoteScanStats& stats() const noexcept { return m_stats; }
    /// The listing tags of the last scan() (every folder listed there came in full).
    [[nodiscard]] const ListingTags& tags() const noexcept { return m_tags; }

private:
    remote::Remote& m_remote;
    RemoteScanOptions m_options;
    RemoteScanStats m_stats;
    ListingTags m_tags;
};

/// Puts a snapshot in the scanner's order (entries by path, asset id, stack id; refused names
/// by parent, name, asset id), so that results never depend on timing.
void sort_remote_snapshot(model::RemoteSnapshot& snapshot);

/// Shorthand for RemoteScanner(remote, options).scan(root_folder_id).
[[nodiscard]] Result<model::RemoteSnapshot> scan_remote(remote::Remote& remote,
                                                        const std::string& root_folder_id,
                                                        const RemoteScanOptions& options = {});

} // namespace fios::scan
