// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <mutex>

namespace fios {

/// Wall-clock time as the library sees it. Injected everywhere a decision depends on time
/// (settle windows, backoff, token expiry) so that tests advance time instead of sleeping.
/// Implementations are thread-safe.
class Clock {
public:
    using time_point = std::chrono::system_clock::time_point;
    virtual ~Clock() = default;
    [[nodiscard]] virtual time_point now() const = 0;
};

/// The real clock.
class SystemClock final : public Clock {
public:
    [[nodiscard]] time_point now() const override { return std::chrono::system_clock::now(); }
    /// A shared instance for production wiring.
    static const SystemClock& instance();
};

/// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
public:
    explicit FakeClock(time_point start = time_point{std::chrono::seconds{1'700'000'000}})
        : m_now(start) {}
    [[nodiscard]] time_point now() const override {
        std::lock_guard lock(m_mutex);
        return m_now;
    }
    void advance(std::chrono::milliseconds by) {
        std::lock_guard lock(m_mutex);
        m_now += by;
    }
    void set(time_point t) {
        std::lock_guard lock(m_mutex);
        m_now = t;
    }

private:
    mutable std::mutex m_mutex;
    time_point m_now;
};

} // namespace fios
