// SPDX-License-Identifier: MIT
#include "fios/core/cancel.hpp"

#include <climits>

#include <unistd.h>

#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>

namespace fios::cancel_epoch {
namespace {

// A futex word must be a naturally aligned 32-bit integer; std::atomic<uint32_t> is one
// (checked below) and lock-free, so a signal handler may advance it.
std::atomic<std::uint32_t> g_epoch{0};
static_assert(sizeof(g_epoch) == sizeof(std::uint32_t) && decltype(g_epoch)::is_always_lock_free);

std::uint32_t* futex_word() noexcept {
    return reinterpret_cast<std::uint32_t*>(&g_epoch);
}

} // namespace

std::uint32_t current() noexcept {
    return g_epoch.load(std::memory_order_acquire);
}

void advance() noexcept {
    g_epoch.fetch_add(1, std::memory_order_acq_rel);
    ::syscall(SYS_futex, futex_word(), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept {
    if (timeout.count() <= 0)
        return;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    timespec relative{};
    relative.tv_sec = static_cast<time_t>(seconds.count());
    relative.tv_nsec = static_cast<long>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(timeout - seconds).count());
    // Returns at once with EAGAIN when the epoch already moved; EINTR and ETIMEDOUT are
    // ordinary ends of the wait.
    ::syscall(SYS_futex, futex_word(), FUTEX_WAIT_PRIVATE, seen, &relative, nullptr, 0);
}

} // namespace fios::cancel_epoch
