// SPDX-License-Identifier: MIT
#pragma once

#include "core/clock.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fioemu {

/// A rate-limit class: `limit` requests per `window_ms`, as a leaky bucket of capacity `limit`
/// that drains continuously at limit/window.
struct RateClass {
    std::string name;
    std::int64_t limit = 0;
    std::int64_t window_ms = 0;
};

/// The classes and their defaults (docs/emulator.md explains each number).
const std::vector<RateClass>& default_rate_classes();
bool is_rate_class(std::string_view name);

struct RateDecision {
    bool allowed = true;
    std::int64_t limit = 0;
    std::int64_t remaining = 0;
    std::int64_t window_ms = 0;
    std::int64_t retry_after_s = 0; ///< seconds until one request fits again (when refused)
};

/// Per (user, class) leaky buckets on the emulator clock. Thread-safe.
class RateLimiter {
public:
    /// `overrides` replace the defaults of their class; `enabled` false never refuses and reports
    /// a generous limit (so that a pacing client does not slow itself down for nothing).
    RateLimiter(const std::vector<RateClass>& overrides, bool enabled);

    /// Counts one request of `user` in class `cls`; refuses when the bucket is full or when
    /// `force_refuse` (a forced 429 burst).
    RateDecision take(const std::string& user, std::string_view cls, Micros now, bool force_refuse);
    /// The headers for a request that cannot be attributed to a user (401).
    RateDecision describe(std::string_view cls) const;
    void reset();
    [[nodiscard]] const std::vector<RateClass>& classes() const { return m_classes; }
    [[nodiscard]] bool enabled() const { return m_enabled; }

private:
    struct Bucket {
        double level = 0;
        Micros last = 0;
    };
    const RateClass& find(std::string_view cls) const;

    std::vector<RateClass> m_classes;
    bool m_enabled;
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, std::string>, Bucket> m_buckets;
};

} // namespace fioemu
