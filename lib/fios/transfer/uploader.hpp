// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/model/rel_path.hpp"
#include "fios/remote/remote.hpp"
#include "fios/transfer/common.hpp"
#include "fios/transfer/part_pool.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fios::transfer {

/// One local file to upload as a new asset (or to finish uploading: `resume`).
struct UploadRequest {
    /// The sync folder (opened as given: the user chose it) and the file below it. Every
    /// folder level and the file are opened with O_NOFOLLOW: a symlink anywhere below
    /// `root` is refused (ErrorCode::io), never followed.
    std::filesystem::path root;
    model::RelPath path;
    std::string parent_id; ///< the remote folder to create the asset in
    std::string name;      ///< the remote name ("" = path.name())
    /// The file as the plan saw it. When set and the file differs at the start, nothing is
    /// created and the result is UploadStatus::local_changed.
    std::optional<LocalFingerprint> expected;
    /// Resume this session instead of creating an asset (the journal's copy). Only parts
    /// not listed in done_parts are sent.
    std::optional<remote::UploadSession> resume;
    std::vector<std::size_t> done_parts; ///< indices into resume->parts
};

/// Called on worker threads; must be thread-safe, quick and non-blocking (the executor
/// turns them into events for the engine's thread).
struct UploadCallbacks {
    /// A new asset was created (not called when resuming). Persist it: from now on a crash
    /// can resume with the missing parts. Called before any part is sent.
    std::function<void(const remote::UploadSession&)> on_session;
    /// Part `index` of the session was stored by the server. Persist it for resume.
    std::function<void(std::size_t index)> on_part_done;
    ProgressFn on_progress;
};

enum class UploadStatus : std::uint8_t {
    /// Every part is stored. The remote checksum comes later: verify (verify.hpp) with
    /// UploadResult::xxh64 before calling the file synced.
    uploaded,
    /// The local file changed (size, mtime, inode) or vanished before or during the upload:
    /// nothing is accepted. If asset_id is set, that asset holds an unknown mix of bytes:
    /// delete it (it is ours and unverified). Try again once the file has settled.
    local_changed,
    /// The resumed session cannot be continued (its URLs expired or were refused, the asset
    /// is gone, or its size is not the file's): delete asset_id (if it still exists) and
    /// upload again without `resume`.
    session_invalid,
};

std::string_view to_string(UploadStatus status) noexcept;

struct UploadResult {
    UploadStatus status = UploadStatus::uploaded;
    std::string asset_id;         ///< the asset (created or resumed), "" if none was created
    std::string xxh64;            ///< uploaded: XXH64 of the file, the bytes sent
    LocalFingerprint fingerprint; ///< uploaded: the file as it was, unchanged throughout
    std::uint64_t bytes_sent = 0; ///< part bytes stored by this call (resumed parts excluded)
    std::size_t parts_sent = 0;   ///< parts stored by this call
    std::string detail;           ///< local_changed / session_invalid: what happened
};

struct UploaderOptions {
    /// Block size of the hashing pass (one buffer per upload in flight).
    std::size_t hash_block = 1024 * 1024;
    /// How often a waiting upload checks its cancel token.
    std::chrono::milliseconds cancel_poll{50};
};

/// Uploads files through a Remote, parts on the shared PartPool.
///
/// Per file: open (O_NOFOLLOW at every level) and fstat; create the asset (or take the
/// resumed session, after checking with one item() request that the asset still exists
/// and is incomplete); queue the missing parts on the pool, each streamed from disk with
/// pread through a rewindable BodySource (no part is ever held in memory); meanwhile this
/// thread hashes the file sequentially with XXH64 (docs/transfer.md, "Hashing": the part
/// readers just pulled those pages into the page cache, or the hasher pulls them first);
/// wait for the parts; fstat the open file and lstat the path again. Any difference from
/// the first fstat is local_changed. The first part that fails for good stops the others.
///
/// Errors: create_file errors as returned by the Remote (check remote::is_outcome_unknown:
/// the asset may exist; the engine resolves with find_by_name / discard_lost_creates);
/// part errors (retryable ones after the client's own retries); ErrorCode::io for local
/// read errors and symlinks; ErrorCode::cancelled. Parts already stored stay reported via
/// on_part_done, so a later resume skips them.
class Uploader {
public:
    Uploader(remote::Remote& remote, PartPool& parts, UploaderOptions options = {});

    /// Thread-safe: many file workers call it at once. Either token (each may be null)
    /// cancels: the upload stops at its next safe point with ErrorCode::cancelled.
    Result<UploadResult> upload(const UploadRequest& request, const UploadCallbacks& callbacks = {},
                                const CancelToken* cancel = nullptr,
                                const CancelToken* also = nullptr);

private:
    remote::Remote& m_remote;
    PartPool& m_parts;
    UploaderOptions m_options;
};

/// Resolves a create_file whose outcome was unknown (crash or lost answer between the POST
/// and its response): V2 never re-issues upload URLs, so an incomplete asset we created
/// cannot be adopted; it is deleted so that the next upload does not leave a duplicate.
/// Deletes every item in `parent_id` named `name` that is an incomplete file of exactly
/// `filesize` bytes created at or after `not_before` (when given; pass the time the intent
/// was recorded, minus a clock-skew allowance). Returns how many were deleted. A completed
/// file of that name is left alone (it is someone's finished upload: reconcile decides).
Result<std::size_t> discard_lost_creates(remote::Remote& remote, const std::string& parent_id,
                                         const std::string& name, std::uint64_t filesize,
                                         std::optional<model::TimePoint> not_before = {});

} // namespace fios::transfer
