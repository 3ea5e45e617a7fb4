// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

namespace fios::net {

using Millis = std::chrono::milliseconds;

/// How often and how long to retry one operation. Delays grow exponentially with "full
/// jitter" (a uniform draw in [0, min(max_delay, initial_delay * 2^n)], the AWS scheme) so
/// that many threads or processes hitting the same failure do not retry in lockstep.
struct RetryPolicy {
    int max_attempts = 5;            ///< attempts in total, the first included (>= 1)
    Millis initial_delay{500};       ///< upper bound of the first jittered delay
    Millis max_delay{30'000};        ///< cap of the exponential bound
    Millis min_delay{0};             ///< floor under the jittered draw (429: do not hammer)
    Millis max_total{120'000};       ///< give up rather than wait past this since the start
    Millis max_retry_after{300'000}; ///< a server's Retry-After above this is not waited for
};

/// Waits. Injected wherever code backs off, so that tests advance a FakeClock instead of
/// sleeping. Implementations are thread-safe.
class Sleeper {
public:
    virtual ~Sleeper() = default;
    /// Waits `duration`, waking early when either token (each may be null) is cancelled.
    /// Returns ErrorCode::cancelled when woken by a token (also when one is already set).
    virtual Status sleep_for(Millis duration, const CancelToken* cancel,
                             const CancelToken* also = nullptr) = 0;
};

/// The real sleeper: waits on a steady clock and wakes at once when a token is cancelled
/// (CancelToken::cancel advances cancel_epoch, on which it waits: no polling). `slice` caps a
/// single wait, a safety net only.
class RealSleeper final : public Sleeper {
public:
    explicit RealSleeper(Millis slice = Millis{1000}) : m_slice(slice) {}
    Status sleep_for(Millis duration, const CancelToken* cancel,
                     const CancelToken* also = nullptr) override;
    /// A shared instance for production wiring.
    static RealSleeper& instance();

private:
    Millis m_slice;
};

/// The test sleeper: never blocks; advances the FakeClock by each duration and records it.
class FakeSleeper final : public Sleeper {
public:
    explicit FakeSleeper(FakeClock& clock) : m_clock(clock) {}
    Status sleep_for(Millis duration, const CancelToken* cancel,
                     const CancelToken* also = nullptr) override;
    /// Every duration asked for, in order (zero-length waits are not recorded).
    [[nodiscard]] std::vector<Millis> sleeps() const;
    [[nodiscard]] Millis total() const;
    void clear();

private:
    FakeClock& m_clock;
    mutable std::mutex m_mutex;
    std::vector<Millis> m_sleeps;
};

/// A thread-safe source of jitter. Seeded explicitly in tests; from std::random_device by
/// default.
class Jitter {
public:
    Jitter();
    explicit Jitter(std::uint64_t seed) : m_rng(seed) {}
    /// Uniform in [0, bound].
    Millis uniform(Millis bound);

private:
    std::mutex m_mutex;
    std::mt19937_64 m_rng;
};

/// The jittered delay before retry number `retry` (0 for the first retry) under `policy`.
Millis backoff_delay(const RetryPolicy& policy, int retry, Jitter& jitter);

/// Parses a Retry-After value: delay-seconds ("120") or an HTTP-date (IMF-fixdate, RFC 850
/// or asctime form), relative to `now`. A date in the past gives zero; garbage gives nullopt.
std::optional<Millis> parse_retry_after(std::string_view value, Clock::time_point now);

/// Retry bookkeeping for one operation: counts attempts and time spent against a policy and
/// performs the (cancellable) waits. Not thread-safe: one Retrier per operation.
class Retrier {
public:
    Retrier(const RetryPolicy& policy, const Clock& clock, Sleeper& sleeper, Jitter& jitter,
            const CancelToken* cancel = nullptr, const CancelToken* also = nullptr);

    /// Told, just before a wait, how long it is and the number of the attempt after it.
    using Notice = std::function<void(Millis delay, int next_attempt)>;

    /// Called after a failed attempt that may be retried. Waits `server_delay` when the
    /// server said how long (Retry-After), else the jittered backoff, and returns true: try
    /// again. Returns false without waiting when the attempts or the total time are used up
    /// (or the server's delay exceeds max_retry_after); ErrorCode::cancelled when a token
    /// fired before or during the wait. `notice` (optional) hears of each wait before it.
    Result<bool> wait_before_retry(std::optional<Millis> server_delay = std::nullopt,
                                   const Notice& notice = {});

    /// Attempts made so far, as counted by wait_before_retry (1 before the first retry).
    [[nodiscard]] int attempts() const { return m_attempts; }
    [[nodiscard]] int max_attempts() const { return m_policy.max_attempts; }

private:
    const RetryPolicy& m_policy;
    const Clock& m_clock;
    Sleeper& m_sleeper;
    Jitter& m_jitter;
    const CancelToken* m_cancel;
    const CancelToken* m_also;
    Clock::time_point m_start;
    int m_attempts = 1;
};

/// Runs `attempt` (returning Result<T>) until it succeeds, fails with an error that is not
/// retryable(), or the policy is exhausted; honours Error::retry_after. Only for operations
/// that are safe to repeat (idempotent ones): the caller decides that.
template <class F>
auto retry_idempotent(const RetryPolicy& policy, const Clock& clock, Sleeper& sleeper,
                      Jitter& jitter, const CancelToken* cancel, F&& attempt)
    -> decltype(attempt()) {
    Retrier retrier(policy, clock, sleeper, jitter, cancel);
    while (true) {
        auto result = attempt();
        if (result.has_value() || !result.error().retryable())
            return result;
        auto again = retrier.wait_before_retry(result.error().retry_after);
        if (!again)
            return again.error();
        if (!*again)
            return result;
    }
}

} // namespace fios::net
