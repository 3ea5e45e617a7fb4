// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/rel_path.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace fios::model {

/// Wall-clock instants (mtimes, server timestamps, `now`): the same type as fios::Clock's, with
/// nanosecond resolution on libstdc++ so that st_mtim survives unchanged.
using TimePoint = std::chrono::system_clock::time_point;
static_assert(std::is_same_v<TimePoint::duration, std::chrono::nanoseconds>,
              "mtimes are compared to the nanosecond");

/// What an entry is, on either side. Locally `folder` is a directory; remotely a folder.
/// A remote version stack is a `file` (its content is the head version), see RemoteEntry.
/// Stored in the journal: never renumber.
enum class EntryKind : std::uint8_t { file = 0, folder = 1 };

constexpr std::string_view to_string(EntryKind k) noexcept {
    return k == EntryKind::file ? "file" : "folder";
}

/// One regular file or directory found under the local sync folder (never a symlink or a
/// special file: the scanner skips those). mtime/inode/device come from lstat.
struct LocalEntry {
    RelPath path;
    EntryKind kind = EntryKind::file;
    std::uint64_t size = 0; ///< bytes; 0 for folders
    TimePoint mtime{};      ///< st_mtim, to the nanosecond
    std::uint64_t inode = 0;
    std::uint64_t device = 0;

    friend bool operator==(const LocalEntry&, const LocalEntry&) = default;
};

/// A remote version stack standing at a folder path in place of a file.
struct VersionStackRef {
    std::string stack_id;      ///< the container asset that sits in the folder
    std::string head_asset_id; ///< its current head version (V2 `cover_asset_id`)

    friend bool operator==(const VersionStackRef&, const VersionStackRef&) = default;
};

/// One remote file, folder or version stack, already mapped to a local path by
/// scan/path_map. Backend-neutral: a V2 or a V4 backend fills it the same way.
///
/// For a version stack, kind is `file`, every content field (asset_id, filesize,
/// upload_completed, checksum, updated_at) describes the head version, and
/// `version_stack` says so: asset_id == version_stack->head_asset_id. Versions inside a stack
/// never appear as entries of their own.
struct RemoteEntry {
    RelPath path;
    EntryKind kind = EntryKind::file;
    std::string asset_id;  ///< the asset whose bytes this is (for a stack: its head)
    std::string parent_id; ///< the folder that contains it (for a stack: the stack's folder)
    std::uint64_t filesize = 0;
    bool upload_completed = false; ///< V2 upload_completed_at set / V4 upload_complete
    bool upload_failed = false;    ///< Frame.io gave up on this upload (V4 only; never completes)
    std::optional<std::string> checksum; ///< XXH64, 16 lowercase hex; absent until computed,
                                         ///< and always absent on backends without one (V4)
    TimePoint created_at{};              ///< breaks ties between duplicates ("first seen")
    TimePoint updated_at{};
    std::optional<VersionStackRef> version_stack;

    friend bool operator==(const RemoteEntry&, const RemoteEntry&) = default;
};

} // namespace fios::model
