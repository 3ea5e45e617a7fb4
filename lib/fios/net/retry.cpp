// SPDX-License-Identifier: MIT
#include "fios/net/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace fios::net {
namespace {

bool any_cancelled(const CancelToken* a, const CancelToken* b) {
    return (a && a->cancelled()) || (b && b->cancelled());
}

Error cancelled_error() {
    return Error{ErrorCode::cancelled, "cancelled while waiting to retry"};
}

} // namespace

Status RealSleeper::sleep_for(Millis duration, const CancelToken* cancel, const CancelToken* also) {
    const auto end = std::chrono::steady_clock::now() + duration;
    while (true) {
        const auto epoch = cancel_epoch::current();
        if (any_cancelled(cancel, also))
            return cancelled_error();
        auto left = std::chrono::ceil<Millis>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return {};
        cancel_epoch::wait(epoch, std::min(left, m_slice));
    }
}

RealSleeper& RealSleeper::instance() {
    static RealSleeper sleeper;
    return sleeper;
}

Status FakeSleeper::sleep_for(Millis duration, const CancelToken* cancel, const CancelToken* also) {
    if (any_cancelled(cancel, also))
        return cancelled_error();
    if (duration.count() <= 0)
        return {};
    {
        std::lock_guard lock(m_mutex);
        m_sleeps.push_back(duration);
    }
    m_clock.advance(duration);
    return {};
}

std::vector<Millis> FakeSleeper::sleeps() const {
    std::lock_guard lock(m_mutex);
    return m_sleeps;
}

Millis FakeSleeper::total() const {
    std::lock_guard lock(m_mutex);
    Millis sum{0};
    for (auto d : m_sleeps)
        sum += d;
    return sum;
}

void FakeSleeper::clear() {
    std::lock_guard lock(m_mutex);
    m_sleeps.clear();
}

Jitter::Jitter() : m_rng(std::random_device{}()) {}

Millis Jitter::uniform(Millis bound) {
    if (bound.count() <= 0)
        return Millis{0};
    std::uniform_int_distribution<Millis::rep> dist(0, bound.count());
    std::lock_guard lock(m_mutex);
    return Millis{dist(m_rng)};
}

Millis backoff_delay(const RetryPolicy& policy, int retry, Jitter& jitter) {
    // initial * 2^retry, computed without overflow: stop doubling at the cap.
    Millis bound = std::max(policy.initial_delay, Millis{0});
    for (int i = 0; i < retry && bound < policy.max_delay; ++i)
        bound *= 2;
    bound = std::min(bound, policy.max_delay);
    return std::max(jitter.uniform(bound), policy.min_delay);
}

std::optional<Millis> parse_retry_after(std::string_view value, Clock::time_point now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty())
        return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::int64_t seconds = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc{} || ptr != value.data() + value.size()) {
            // More digits than fit: "a very long time".
            return Millis{std::chrono::hours(24 * 365)};
        }
        if (seconds > 365LL * 24 * 3600)
            seconds = 365LL * 24 * 3600;
        return std::chrono::duration_cast<Millis>(std::chrono::seconds(seconds));
    }
    // An HTTP-date. libcurl's parser accepts the three forms RFC 9110 requires recipients
    // to read; it returns -1 for anything else.
    std::string text(value);
    time_t when = curl_getdate(text.c_str(), nullptr);
    if (when < 0)
        return std::nullopt;
    auto at = std::chrono::system_clock::from_time_t(when);
    if (at <= now)
        return Millis{0};
    return std::chrono::duration_cast<Millis>(at - now);
}

Retrier::Retrier(const RetryPolicy& policy, const Clock& clock, Sleeper& sleeper, Jitter& jitter,
                 const CancelToken* cancel, const CancelToken* also)
    : m_policy(policy), m_clock(clock), m_sleeper(sleeper), m_jitter(jitter), m_cancel(cancel),
      m_also(also), m_start(clock.now()) {}

Result<bool> Retrier::wait_before_retry(std::optional<Millis> server_delay, const Notice& notice) {
    if (any_cancelled(m_cancel, m_also))
        return cancelled_error();
    if (m_attempts >= m_policy.max_attempts)
        return false;
    Millis delay{0};
    if (server_delay) {
        if (*server_delay > m_policy.max_retry_after)
            return false;
        delay = std::max(*server_delay, m_policy.min_delay);
    } else {
        delay = backoff_delay(m_policy, m_attempts - 1, m_jitter);
    }
    auto spent = std::chrono::duration_cast<Millis>(m_clock.now() - m_start);
    if (spent + delay > m_policy.max_total)
        return false;
    if (notice)
        notice(delay, m_attempts + 1);
    auto slept = m_sleeper.sleep_for(delay, m_cancel, m_also);
    if (!slept)
        return slept.error();
    ++m_attempts;
    return true;
}

} // namespace fios::net
