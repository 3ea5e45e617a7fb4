// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fioemu {

/// Microseconds since the Unix epoch, in emulator time.
using Micros = std::int64_t;

constexpr Micros k_micros_per_second = 1'000'000;

/// Emulator time: real time plus an offset that only moves forward (POST /_emulator/clock).
/// Everything time-based (token and URL expiry, checksum delay, rate-limit windows,
/// timestamps) reads this clock, so tests advance it instead of sleeping.
class Clock {
public:
    [[nodiscard]] Micros now() const;
    [[nodiscard]] Micros offset() const { return m_offset.load(); }
    void set_offset(Micros offset) { m_offset.store(offset); }
    /// Moves the clock forward by `delta` (>= 0); returns the new offset.
    Micros advance(Micros delta) { return m_offset.fetch_add(delta) + delta; }

private:
    std::atomic<Micros> m_offset{0};
};

/// "2022-06-10T15:32:06.228191Z": ISO-8601 UTC with microseconds, as Frame.io writes it.
std::string format_timestamp(Micros t);

/// Parses an ISO-8601 timestamp ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]").
/// A timestamp without a zone is taken as UTC. nullopt when malformed.
std::optional<Micros> parse_timestamp(std::string_view text);

} // namespace fioemu
