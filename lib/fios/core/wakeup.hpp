// SPDX-License-Identifier: MIT
#pragma once

namespace fios {

/// A file descriptor that becomes readable when notify() is called: how a signal handler or
/// another thread wakes a loop that waits in poll(2) on its other descriptors (inotify).
/// notify() is async-signal-safe (one write(2) on an eventfd); drain() resets it.
class Wakeup {
public:
    Wakeup();
    ~Wakeup();
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    /// -1 when the kernel refused an eventfd (then the loop falls back to its timeouts).
    [[nodiscard]] int fd() const noexcept { return m_fd; }
    void notify() const noexcept;
    void drain() const noexcept;

private:
    int m_fd = -1;
};

} // namespace fios
