// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>

namespace fios {

/// Set once (by a signal handler or a test) to ask every long operation to stop at its next
/// safe point. Reading and setting are lock-free and async-signal-safe.
class CancelToken {
public:
    void cancel() noexcept { m_cancelled.store(true, std::memory_order_relaxed); }
    [[nodiscard]] bool cancelled() const noexcept {
        return m_cancelled.load(std::memory_order_relaxed);
    }

private:
    std::atomic<bool> m_cancelled{false};
};

} // namespace fios
