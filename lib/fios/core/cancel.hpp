// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace fios {

/// A process-wide count of cancellations, so that a waiter can sleep for its whole duration
/// and still wake at once when any token is cancelled (no polling: a watch that idles must
/// not wake 20 times a second). Read the epoch, check the tokens, then wait on the epoch read:
/// a cancellation between the check and the wait changes the epoch and the wait returns.
namespace cancel_epoch {
/// The current epoch.
[[nodiscard]] std::uint32_t current() noexcept;
/// Advances the epoch and wakes every waiter. Async-signal-safe (an atomic add and one futex
/// syscall).
void advance() noexcept;
/// Waits until the epoch differs from `seen` or `timeout` has passed (spurious wake-ups are
/// possible: callers re-check their own condition).
void wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept;
} // namespace cancel_epoch

/// Set once (by a signal handler or a test) to ask every long operation to stop at its next
/// safe point. Reading and setting are lock-free and async-signal-safe; setting also wakes
/// every cancel_epoch::wait.
class CancelToken {
public:
    void cancel() noexcept {
        m_cancelled.store(true, std::memory_order_relaxed);
        cancel_epoch::advance();
    }
    [[nodiscard]] bool cancelled() const noexcept {
        return m_cancelled.load(std::memory_order_relaxed);
    }

private:
    std::atomic<bool> m_cancelled{false};
};

} // namespace fios
