// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/entry.hpp"
#include "fios/model/journal_record.hpp"

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

/// Every knob of the sync policy, with its default, in one place; and the small pure
/// predicates that judge one item against it. No I/O, no clock: `now` is always a parameter.
namespace fios::policy {

/// Which way content may flow (`--direction`). Folders follow the same rule.
enum class Direction : std::uint8_t { both, up, down };

constexpr std::string_view to_string(Direction d) noexcept {
    switch (d) {
    case Direction::both:
        return "both";
    case Direction::up:
        return "up";
    case Direction::down:
        return "down";
    }
    return "both";
}

/// What a deletion on one side does to the other. Only one rule exists: deletions never
/// propagate, and a deleted item is not brought back either (issue 4, rule 5).
enum class DeletionRule : std::uint8_t { never_propagate };

/// Which of several remote items with the same path is synced. Only one rule exists:
/// the first seen wins (the one the journal already follows; else a completed upload; else
/// the earliest created; else the smallest asset id), the others are reported as duplicates.
enum class DuplicateRule : std::uint8_t { first_seen_wins };

/// What happens to a synced local file that changes afterwards. Only one rule exists now:
/// it is reported as "changed locally" and not uploaded again (issue 4, rule 9). The next
/// issue adds the opt-in to upload it as a new version.
enum class ChangedLocallyRule : std::uint8_t { report_only };

/// How content equality can be proven on the backend in use: what reconcile and the engine
/// may count as "verified". Set by the engine from remote::Capabilities::has_content_checksum,
/// never by the user. docs/sync-policy.md, "Without a content checksum".
enum class Verification : std::uint8_t {
    checksum, ///< the backend reports an XXH64 per file (V2): equal checksums prove equality
    size,     ///< no checksum (V4): a transfer counts when the backend reports it complete with
              ///< our size; two unrelated files are never called equal
};

constexpr std::string_view to_string(Verification v) noexcept {
    return v == Verification::size ? "size" : "checksum";
}

struct Policy {
    /// A local file is ready once its size and mtime have not changed for this long
    /// (`--settle`). See is_settled().
    std::chrono::milliseconds settle{std::chrono::seconds{5}};
    /// Uploads of one content in all (the first and the re-uploads after a checksum mismatch).
    std::uint32_t max_upload_attempts = 3;
    /// Downloads of one asset in all (the first and the retries after a checksum mismatch).
    std::uint32_t max_download_attempts = 3;
    /// How long a run waits for a fresh upload's checksum before leaving the item "awaiting
    /// verification" for a later run (`--verify-timeout`). Used by the engine, not by plan.
    std::chrono::seconds verify_timeout{60};
    Direction direction = Direction::both;
    /// What the backend allows (see Verification); the engine sets it before reconciling.
    Verification verification = Verification::checksum;
    /// `--verify readback`: an upload verified by Content-MD5 + size (Verification::size) is
    /// downloaded again and its XXH64 compared with the bytes sent; a difference is a
    /// mismatch of our own upload (rows 49 / 51). Ignored with Verification::checksum (V2:
    /// Frame.io's checksum already proves the content). Used by the engine, not by plan.
    bool readback = false;
    /// The backend accepts files of 0 bytes (remote::Capabilities::uploads_empty_files). When
    /// false, an empty local file that would be uploaded is skipped as unsupported (row 79).
    bool uploads_empty_files = true;
    DeletionRule deletions = DeletionRule::never_propagate;
    DuplicateRule duplicates = DuplicateRule::first_seen_wins;
    ChangedLocallyRule changed_locally = ChangedLocallyRule::report_only;
    /// Waits before retrying a failed item: the n-th failure in a row waits backoff[n-1];
    /// failures beyond the list wait its last element.
    std::vector<std::chrono::seconds> backoff{std::chrono::minutes{1}, std::chrono::minutes{5},
                                              std::chrono::minutes{30}, std::chrono::hours{2},
                                              std::chrono::hours{6}};
};

/// True when content may be written to Frame.io under `policy` (uploads, remote folders).
[[nodiscard]] constexpr bool allows_upload(const Policy& policy) noexcept {
    return policy.direction != Direction::down;
}
/// True when content may be written locally under `policy` (downloads, local folders).
[[nodiscard]] constexpr bool allows_download(const Policy& policy) noexcept {
    return policy.direction != Direction::up;
}

/// Whether a local file may be read for upload or comparison now, i.e. its size and mtime
/// have not changed for `policy.settle`. Ready when either
///   (a) its mtime is at least `settle` before `now` (nothing has written to it since; this
///       also makes a file that was never seen before ready at once, so that a first run
///       over an existing folder does not wait), or
///   (b) `previous` saw the same size and mtime at least `settle` before `now` (covers
///       mtimes in the future or set by tools: the file has provably stayed the same).
/// A file never seen before with a recent (or future) mtime is settling.
/// `previous` is ignored unless it is for the same path.
[[nodiscard]] bool is_settled(const Policy& policy, const model::LocalEntry& entry,
                              const model::LocalObservation* previous, model::TimePoint now);

/// The observation to keep for a file that is not settled yet: `previous` unchanged when
/// it saw the same size and mtime, else a new one first seen `now`.
[[nodiscard]] model::LocalObservation observe(const model::LocalEntry& entry,
                                              const model::LocalObservation* previous,
                                              model::TimePoint now);

/// The verification kind of a file read back after its upload (`--verify readback`).
inline constexpr std::string_view k_verified_by_readback = "readback";

/// How a journal row's file was verified, for `status` and `--json`: "checksum" (the remote
/// XXH64 equalled ours), "readback" (our upload downloaded again and its XXH64 equalled the
/// bytes sent), "content-md5+size" (our upload, every part checked by storage with
/// Content-MD5, complete with our size), "size" (our download, or a download found in place,
/// whose size equalled the backend's), or "" (not a synced file). Derived without a column:
/// a checksum-verified row has `verified = true` and no direction; a read-back one
/// `verified = true` and direction up (the strongest proof, so `verified`); rows verified by
/// size keep `verified = false` and the direction of their transfer.
[[nodiscard]] std::string_view verified_by(const model::JournalRecord& record) noexcept;

/// When to retry an item that has now failed `failures` times in a row (1 = first failure).
[[nodiscard]] model::TimePoint next_retry_at(const Policy& policy, std::uint32_t failures,
                                             model::TimePoint now);

/// True while a failed item's retry time has not come.
[[nodiscard]] bool in_backoff(const model::JournalRecord& record, model::TimePoint now) noexcept;

} // namespace fios::policy
