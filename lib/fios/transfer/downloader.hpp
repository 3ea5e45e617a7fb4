// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/model/rel_path.hpp"
#include "fios/remote/remote.hpp"
#include "fios/transfer/common.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fios::transfer {

/// One remote file to bring to a local path.
struct DownloadRequest {
    /// The sync folder (opened as given) and the final path below it. The parent folder
    /// must exist; it is reached with openat(O_DIRECTORY|O_NOFOLLOW) level by level, so a
    /// folder swapped for a symlink is refused (ErrorCode::io), never followed.
    std::filesystem::path root;
    model::RelPath path;
    std::string asset_id;   ///< the asset holding the bytes (remote::Item::content_id())
    std::uint64_t size = 0; ///< the size the plan saw; the asset must still have it
    /// Only replace an existing file at `path` when true (a later issue's "new head
    /// version"); by default the final rename fails if anything appeared there meanwhile
    /// (DownloadStatus::target_exists) and the user's file is left untouched.
    bool replace_existing = false;
    /// When set, the file's mtime (and atime) before the rename; nullopt keeps the time of
    /// the download (the default: see docs/transfer.md, "Modification times").
    std::optional<model::TimePoint> mtime;
};

enum class DownloadStatus : std::uint8_t {
    verified,          ///< in place, and its XXH64 equals the remote checksum
    unverified,        ///< in place; the remote has no checksum yet: verify later
    checksum_mismatch, ///< the bytes did not match the remote checksum: temp deleted, nothing
                       ///< in place; the engine retries (at most 3 times in all)
    target_exists,     ///< a file appeared at `path` meanwhile: not overwritten; the temp
                       ///< file is deleted (a conflict for the engine)
    remote_changed,    ///< the asset's size is not `size` any more (or it is gone): replan
    remote_not_ready,  ///< the asset's upload is not complete: nothing to download yet
    not_downloadable,  ///< the server offers no original (permissions, watermark)
};

std::string_view to_string(DownloadStatus status) noexcept;

struct DownloadResult {
    DownloadStatus status = DownloadStatus::verified;
    std::string xxh64; ///< XXH64 of the local bytes (verified, unverified, mismatch)
    std::optional<std::string> remote_checksum; ///< as fetched right before the transfer
    LocalFingerprint fingerprint;               ///< verified/unverified: the file now at `path`
    std::uint64_t bytes_transferred = 0;        ///< received over the network by this call
    std::uint64_t resumed_from = 0;             ///< bytes reused from an earlier temporary file
};

struct DownloaderOptions {
    /// Free space that must remain after the download (statvfs f_bavail * f_frsize).
    std::uint64_t free_space_margin = 64ull * 1024 * 1024;
    /// Transfers that broke after some bytes arrived are resumed with a Range this many
    /// times within one download() call (each time with a fresh URL).
    int max_resumes = 8;
    /// Free bytes available in the folder `dirfd`. Unset: fstatvfs. Injected by tests.
    std::function<Result<std::uint64_t>(int dirfd)> free_space;
};

/// Downloads into a hidden temporary file in the target folder, then renames it into place.
///
/// 1. Open the parent folder (O_NOFOLLOW at every level below root).
/// 2. If `<k_temp_prefix><asset_id>.part` exists (regular file, not longer than `size`):
///    resume from it: hash its bytes first, then fetch the rest with Range. Otherwise
///    create it (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644 & ~umask).
/// 3. Check free space for the remaining bytes plus the margin: ErrorCode::disk_full
///    before anything is fetched.
/// 4. Stream to the file with pwrite, hashing each byte as it arrives (fixed buffers: memory
///    does not grow with the file). ENOSPC/EDQUOT -> ErrorCode::disk_full. A transfer that
///    breaks mid-body is resumed with Range (fresh URL each time).
/// 5. Compare with the remote checksum (when there is one), fsync the file, set the mtime
///    if asked, rename into place (renameat2 RENAME_NOREPLACE unless replace_existing; a
///    link+unlink fallback where the file system lacks it), fsync the folder.
///
/// No partial file is ever visible under the real name. On cancellation and on retryable
/// errors the temporary file is kept for the next attempt (same asset id and size: resume).
/// Errors: the Remote's; ErrorCode::io for local failures; disk_full; cancelled.
class Downloader {
public:
    explicit Downloader(remote::Remote& remote, DownloaderOptions options = {});

    /// Thread-safe: many file workers call it at once (for different paths). Either token
    /// (each may be null) cancels at the next buffer.
    Result<DownloadResult> download(const DownloadRequest& request, const ProgressFn& progress = {},
                                    const CancelToken* cancel = nullptr,
                                    const CancelToken* also = nullptr);

private:
    remote::Remote& m_remote;
    DownloaderOptions m_options;
};

/// The temporary file name for an asset: k_temp_prefix + asset_id + ".part". Asset ids
/// with characters other than [A-Za-z0-9._-] (or too long) are replaced by their XXH64, so
/// a hostile id cannot form a path.
std::string temp_name(std::string_view asset_id);

/// Removes our temporary file for `asset_id` next to `path` (a download abandoned for
/// good: the asset changed or was deleted). Missing is success.
Status remove_temp(const std::filesystem::path& root, const model::RelPath& path,
                   std::string_view asset_id);

} // namespace fios::transfer
