// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"
#include "fios/model/entry.hpp"
#include "fios/model/rel_path.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>

/// Private to engine/: the few local file system operations the engine does itself, all
/// relative to the sync folder and never following a symlink below it.
namespace fios::engine::detail {

/// What lstat says about a path below the root (nullopt: nothing there).
struct LocalStat {
    bool is_dir = false;
    bool is_regular = false;
    std::uint64_t size = 0;
    model::TimePoint mtime{};
    std::uint64_t inode = 0;
    std::uint64_t device = 0;
};

/// lstat of `path` below `root`, reached folder by folder with O_NOFOLLOW.
Result<std::optional<LocalStat>> stat_below(const std::filesystem::path& root,
                                            const model::RelPath& path);

/// mkdirat below the parent folder (reached with O_NOFOLLOW). Fails (ErrorCode::conflict)
/// when anything exists at the path. Returns the new folder's lstat.
Result<LocalStat> make_folder_below(const std::filesystem::path& root, const model::RelPath& path);

/// Bytes available to us in the file system holding `path`'s parent folder (statvfs).
Result<std::uint64_t> free_bytes_below(const std::filesystem::path& root,
                                       const model::RelPath& path);

/// Fails when nothing can be written into `path`'s parent folder: a read-only file system
/// (ErrorCode::io, "mounted read-only") or a folder this user may not write to. Checked before
/// free space, so that a read-only folder is never reported as a full one.
Status check_writable_below(const std::filesystem::path& root, const model::RelPath& path);

/// True when `root` is an existing folder (following a symlink at the root itself: the
/// user chose that path).
bool is_folder(const std::filesystem::path& root);

} // namespace fios::engine::detail
