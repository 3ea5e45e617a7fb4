// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"
#include "fios/model/entry.hpp"

#include <cstdint>
#include <functional>
#include <string_view>

/// Types shared by the uploader, the downloader and the executor.
namespace fios::transfer {

/// A local file's identity as lstat/fstat see it. Two fingerprints are equal when the file
/// was neither replaced (inode, device) nor written (size, mtime to the nanosecond).
struct LocalFingerprint {
    std::uint64_t size = 0;
    model::TimePoint mtime{};
    std::uint64_t inode = 0;
    std::uint64_t device = 0;
    friend bool operator==(const LocalFingerprint&, const LocalFingerprint&) = default;
};

/// How far a failure reaches, for the engine's "one item fails, the run goes on" rule.
enum class ErrorScope : std::uint8_t {
    item_retryable, ///< this item failed; trying it again later can help (network, 5xx, 429)
    item_permanent, ///< this item failed; retrying as is will not help (4xx, local io, parse)
    run,            ///< the whole run must stop: disk_full, unauthorized, cancelled, db
};

/// The scope of an Error coming out of transfer/ or remote/.
ErrorScope scope_of(const Error& error) noexcept;
std::string_view to_string(ErrorScope scope) noexcept;

/// Progress: called with the number of *new* bytes moved (never negative: bytes re-sent by
/// a retry are not counted twice). Called on worker threads, often: keep it cheap and
/// thread-safe.
using ProgressFn = std::function<void(std::uint64_t delta_bytes)>;

} // namespace fios::transfer
