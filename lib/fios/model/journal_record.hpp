// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/entry.hpp"
#include "fios/model/rel_path.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fios::model {

/// Where a path stands in the journal. Stored in the journal: never renumber.
enum class JournalState : std::uint8_t {
    synced = 0,                ///< both sides agreed (files: content verified by checksum)
    awaiting_verification = 1, ///< transferred or found equal by size, remote checksum not
                               ///< yet seen equal to xxh64
    uploading = 2,             ///< an upload was started (intent recorded), not finished
    downloading = 3,           ///< a download was started (intent recorded), not finished
    failed = 4,                ///< the last transfer failed (see next_retry_at, last_error)
};

constexpr std::string_view to_string(JournalState s) noexcept {
    switch (s) {
    case JournalState::synced:
        return "synced";
    case JournalState::awaiting_verification:
        return "awaiting_verification";
    case JournalState::uploading:
        return "uploading";
    case JournalState::downloading:
        return "downloading";
    case JournalState::failed:
        return "failed";
    }
    return "synced";
}

/// Which way the last transfer of a path went. Stored in the journal: never renumber.
enum class TransferDirection : std::uint8_t { none = 0, up = 1, down = 2 };

constexpr std::string_view to_string(TransferDirection d) noexcept {
    switch (d) {
    case TransferDirection::none:
        return "none";
    case TransferDirection::up:
        return "up";
    case TransferDirection::down:
        return "down";
    }
    return "none";
}

/// The journal's row for one path: the last state both sides agreed on, plus the state of a
/// transfer in progress or failed, plus marks that `status` reports.
///
/// The local fingerprint (size, local_mtime, inode) is the file as it was when the row was
/// written; a local file "matches" the row when all three are equal. xxh64 is the XXH64 of
/// exactly those bytes (absent while unknown).
struct JournalRecord {
    RelPath path;
    EntryKind kind = EntryKind::file;
    std::string asset_id; ///< remote asset agreed on (stacks: the head at that time);
                          ///< "" while an upload's create has not answered
    std::string stack_id; ///< version stack containing it at that time, else ""
    std::uint64_t size = 0;
    TimePoint local_mtime{};
    std::uint64_t inode = 0;
    std::optional<std::string> xxh64;
    bool verified = false; ///< remote checksum seen equal to xxh64 (folders: always true)
    JournalState state = JournalState::synced;
    TransferDirection direction = TransferDirection::none; ///< of the last transfer
    std::uint32_t attempts = 0; ///< transfers tried for the current content (1-based count)
    std::optional<TimePoint> next_retry_at; ///< failed: retry from then on; absent = for good
    bool deleted_locally = false;  ///< mark: gone locally, kept on Frame.io (never propagated)
    bool deleted_remotely = false; ///< mark: gone on Frame.io, kept locally (never propagated)
    bool conflict = false;         ///< mark: the two sides disagree; the local file is kept
    std::string last_error;        ///< failed: what went wrong, for `status`

    friend bool operator==(const JournalRecord&, const JournalRecord&) = default;
};

/// When a local file that is not ready yet was first seen with its current size and mtime.
/// Persisted between runs by the engine (plan::Plan::observations) so that a file can be
/// judged "unchanged for the settle window" without sleeping.
struct LocalObservation {
    RelPath path;
    std::uint64_t size = 0;
    TimePoint mtime{};
    TimePoint first_seen{};

    friend bool operator==(const LocalObservation&, const LocalObservation&) = default;
};

/// A local file's XXH64, valid only while the file still has this fingerprint.
struct LocalHash {
    RelPath path;
    std::uint64_t size = 0;
    TimePoint mtime{};
    std::uint64_t inode = 0;
    std::string xxh64;

    friend bool operator==(const LocalHash&, const LocalHash&) = default;
};

} // namespace fios::model
