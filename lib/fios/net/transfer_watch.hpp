// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace fios::net {

/// The deadlines of one HTTP exchange, apart from connecting (CURLOPT_CONNECTTIMEOUT) and the
/// request's total_timeout. Pure bookkeeping: the transport feeds it what it observes and asks
/// whether the exchange is overdue. Not thread-safe: one watch per transfer.
///
/// An exchange goes through three phases, each with its own rule:
/// - sending (until the request, body included, has gone out): at least `min_rate` bytes/s on
///   average over the last `rate_window`, once the phase has lasted that long;
/// - waiting (sent, no byte of the answer yet): the first byte must arrive within
///   `first_byte_timeout` (a server or proxy that accepts a connection and never answers);
///   with no first-byte deadline the rate rule goes on applying instead;
/// - receiving (from the answer's first byte): the rate rule again, over a window that starts
///   with the answer, so a long wait for the first byte is not held against the body.
///
/// The rate is an average over a sliding window, not libcurl's instantaneous low-speed check:
/// a trickle of one byte a second, or a burst now and then, cannot keep a transfer alive, while
/// a slow but real link (above `min_rate` on average) never fails.
class TransferWatch {
public:
    using Clock = std::chrono::steady_clock;
    struct Limits {
        std::chrono::milliseconds first_byte_timeout{0}; ///< zero: no first-byte deadline
        std::uint64_t min_rate = 0;                      ///< bytes/s; zero: no rate rule
        std::chrono::milliseconds rate_window{0};        ///< zero: no rate rule
    };

    TransferWatch(Limits limits, Clock::time_point start);

    /// `request_sent`: the whole request has gone out; `answered`: a byte of the answer came;
    /// `bytes`: everything moved so far in both directions (monotonic). Returns why the
    /// exchange is overdue ("no answer within 30 s ...", "too slow: ..."), or nullopt.
    std::optional<std::string> overdue(Clock::time_point now, bool request_sent, bool answered,
                                       std::uint64_t bytes);

private:
    enum class Phase { sending, waiting, receiving };
    struct Sample {
        Clock::time_point at;
        std::uint64_t bytes = 0;
    };
    void enter(Phase phase, Clock::time_point now, std::uint64_t bytes);
    std::optional<std::string> rate_check(Clock::time_point now, std::uint64_t bytes);

    Limits m_limits;
    Phase m_phase = Phase::sending;
    Clock::time_point m_phase_start;
    /// Samples of the current phase, oldest first; the front is the newest one at or before
    /// now - rate_window once the phase is that old. At most about 10 are kept.
    std::deque<Sample> m_samples;
};

/// "30 s", "1.5 s", "250 ms": a duration for messages.
std::string describe_duration(std::chrono::milliseconds d);

} // namespace fios::net
