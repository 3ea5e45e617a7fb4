// SPDX-License-Identifier: MIT
#include "fios/core/wakeup.hpp"

#include <unistd.h>

#include <cstdint>
#include <sys/eventfd.h>

namespace fios {

Wakeup::Wakeup() : m_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Wakeup::~Wakeup() {
    if (m_fd >= 0)
        ::close(m_fd);
}

void Wakeup::notify() const noexcept {
    if (m_fd < 0)
        return;
    const std::uint64_t one = 1;
    // A full counter (2^64 - 2 pending notifications) fails with EAGAIN: still readable.
    [[maybe_unused]] const ssize_t n = ::write(m_fd, &one, sizeof one);
}

void Wakeup::drain() const noexcept {
    if (m_fd < 0)
        return;
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t n = ::read(m_fd, &count, sizeof count);
}

} // namespace fios
