// SPDX-License-Identifier: MIT
#include "fios/net/transfer_watch.hpp"

#include <algorithm>

namespace fios::net {
namespace {

using Millis = std::chrono::milliseconds;

/// Samples per window: the window's start is known to within window / k_samples.
constexpr int k_samples = 8;

Millis since(TransferWatch::Clock::time_point from, TransferWatch::Clock::time_point to) {
    return std::chrono::duration_cast<Millis>(to - from);
}

} // namespace

std::string describe_duration(Millis d) {
    const auto ms = d.count();
    if (ms < 1000)
        return std::to_string(ms) + " ms";
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + " s";
    // One decimal, rounded down: "2.3 s".
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

TransferWatch::TransferWatch(Limits limits, Clock::time_point start) : m_limits(limits) {
    enter(Phase::sending, start, 0);
}

void TransferWatch::enter(Phase phase, Clock::time_point now, std::uint64_t bytes) {
    m_phase = phase;
    m_phase_start = now;
    m_samples.clear();
    m_samples.push_back({now, bytes});
}

std::optional<std::string> TransferWatch::overdue(Clock::time_point now, bool request_sent,
                                                  bool answered, std::uint64_t bytes) {
    if (answered && m_phase != Phase::receiving) {
        enter(Phase::receiving, now, bytes);
    } else if (request_sent && m_phase == Phase::sending) {
        enter(Phase::waiting, now, bytes);
    }
    if (m_phase == Phase::waiting && m_limits.first_byte_timeout.count() > 0) {
        if (since(m_phase_start, now) >= m_limits.first_byte_timeout) {
            return "no answer within " + describe_duration(m_limits.first_byte_timeout) +
                   " of sending the request: the server, or a proxy on the way, accepted the "
                   "connection but does not respond";
        }
        return std::nullopt;
    }
    return rate_check(now, bytes);
}

std::optional<std::string> TransferWatch::rate_check(Clock::time_point now, std::uint64_t bytes) {
    const Millis window = m_limits.rate_window;
    if (m_limits.min_rate == 0 || window.count() <= 0)
        return std::nullopt;
    const Millis step = std::max(Millis{1}, window / k_samples);
    if (since(m_samples.back().at, now) >= step)
        m_samples.push_back({now, bytes});
    if (since(m_phase_start, now) < window)
        return std::nullopt;
    // Keep exactly one sample at or before the window's start: the front.
    while (m_samples.size() >= 2 && since(m_samples[1].at, now) >= window)
        m_samples.pop_front();
    const Sample& base = m_samples.front();
    const Millis span = since(base.at, now); // window <= span < window + step
    const std::uint64_t moved = bytes - base.bytes;
    // moved / span < min_rate, without division: moved * 1000 < min_rate * span_ms.
    const auto span_ms = static_cast<std::uint64_t>(span.count());
    if (moved * 1000 >= m_limits.min_rate * span_ms)
        return std::nullopt;
    return "too slow: " + std::to_string(moved) + " bytes in the last " + describe_duration(span) +
           ", below the minimum of " + std::to_string(m_limits.min_rate) +
           " bytes/s on average; the connection stalled or the server sends a trickle";
}

} // namespace fios::net
