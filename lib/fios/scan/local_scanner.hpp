// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/model/snapshot.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>

/// Phase "scan local" of a sync run: walks one sync folder on the real file system and
/// returns what is there (size, mtime to the nanosecond, inode, device; no hashing), plus
/// everything it did not report and why. Reads only; never writes.
///
/// - Symlinks are never followed (lstat / O_NOFOLLOW at every level, and an opened folder
///   must be the very folder that was lstat'ed): a symlink, to a file or a folder, is
///   reported as skipped (symlink) and a symlinked folder is not entered. The root itself
///   is opened as given (the user chose that path).
/// - Fifos, sockets and devices are skipped (special_file).
/// - Names starting with scan::k_temp_prefix are our temporary files: skipped
///   (own_temporary, not a warning), whatever their type.
/// - Names path_map refuses (e.g. not valid UTF-8) are skipped (invalid_name) and, for a
///   folder, not entered.
/// - A folder that cannot be opened or listed is skipped (unreadable) and not reported as an
///   entry, so that nothing below it looks deleted; same for folders deeper than max_depth.
/// - Empty folders are entries. Entries that vanish during the scan are simply absent.
namespace fios::scan {

struct LocalScanOptions {
    /// Folders nested deeper than this are skipped (too_deep). One file descriptor is held
    /// per level while scanning.
    std::size_t max_depth = 256;
    const CancelToken* cancel = nullptr; ///< checked once per folder
};

/// Scans the folder at `root`. Fails (ErrorCode::io) only when the root cannot be opened as
/// a folder or the process runs out of file descriptors or memory; ErrorCode::cancelled
/// when cancelled. Per-entry problems become LocalSnapshot::skipped, sorted by path.
[[nodiscard]] Result<model::LocalSnapshot> scan_local(const std::filesystem::path& root,
                                                      const LocalScanOptions& options = {});

/// A digest of everything a scan saw (paths, kinds, sizes, mtimes, inodes, skipped entries):
/// equal digests mean "the local folder is unchanged" (the unchanged-project shortcut, and
/// `sync --watch`'s polling of folders it cannot watch).
[[nodiscard]] std::string digest(const model::LocalSnapshot& local);

/// Each folder's digest of what a scan saw directly in it (its entries' names, kinds, sizes,
/// mtimes and inodes; a subfolder by name and inode only, its mtime moving with what is in
/// it; its skipped names but our own download temporaries), by folder; the root ("") is
/// always there. Two
/// scans' maps differ exactly at the folders where something was added, removed or changed:
/// what `sync --watch` compares when it polls a folder or rescans it (only those folders are
/// then looked at on Frame.io).
using FolderDigests = std::map<model::RelPath, std::uint64_t>;
[[nodiscard]] FolderDigests folder_digests(const model::LocalSnapshot& local);

/// The folders whose digests differ between `before` and `after`, or that only one holds (a
/// new folder, a folder gone; its parent differs too).
[[nodiscard]] std::set<model::RelPath> changed_folders(const FolderDigests& before,
                                                       const FolderDigests& after);

} // namespace fios::scan
