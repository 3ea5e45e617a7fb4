// SPDX-License-Identifier: MIT
#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fioemu {

const std::vector<RateClass>& default_rate_classes() {
    // Sources: docs/frameio-api.md section 6.1. See docs/emulator.md "Rate limits".
    static const std::vector<RateClass> k_classes = {
        {"asset-read", 5, 1000},        // per-resource table: assets read 5 / 1000 ms
        {"asset-list", 40, 60000},      // the documented header example on .../children
        {"asset-create", 5, 1000},      // per-resource table: assets create 5 / 1000 ms
        {"asset-update", 10, 1000},     // per-resource table: assets update 10 / 1000 ms
        {"asset-delete", 10, 1000},     // not in the table: same as update
        {"search", 10, 60000},          // the documented floor, 10 / minute
        {"hierarchy-read", 100, 60000}, // me, accounts, teams, projects
        {"project-write", 100, 60000},  // "creating paths <= ~100 calls/min"
    };
    return k_classes;
}

bool is_rate_class(std::string_view name) {
    const auto& c = default_rate_classes();
    return std::any_of(c.begin(), c.end(), [&](const RateClass& r) { return r.name == name; });
}

RateLimiter::RateLimiter(const std::vector<RateClass>& overrides, bool enabled)
    : m_classes(default_rate_classes()), m_enabled(enabled) {
    for (const auto& o : overrides) {
        for (auto& c : m_classes) {
            if (c.name == o.name)
                c = o;
        }
    }
}

const RateClass& RateLimiter::find(std::string_view cls) const {
    for (const auto& c : m_classes) {
        if (c.name == cls)
            return c;
    }
    throw std::logic_error("unknown rate class");
}

RateDecision RateLimiter::describe(std::string_view cls) const {
    RateDecision d;
    if (!m_enabled) {
        d.limit = d.remaining = 1'000'000;
        d.window_ms = 1000;
        return d;
    }
    const RateClass& c = find(cls);
    d.limit = d.remaining = c.limit;
    d.window_ms = c.window_ms;
    return d;
}

RateDecision RateLimiter::take(const std::string& user, std::string_view cls, Micros now,
                               bool force_refuse) {
    if (!m_enabled) {
        RateDecision d = describe(cls);
        if (force_refuse) {
            d.allowed = false;
            d.remaining = 0;
            d.retry_after_s = 1;
        }
        return d;
    }
    const RateClass& c = find(cls);
    RateDecision d;
    d.limit = c.limit;
    d.window_ms = c.window_ms;
    std::lock_guard lock(m_mutex);
    Bucket& b = m_buckets[{user, c.name}];
    const double window_us = static_cast<double>(c.window_ms) * 1000.0;
    const double rate = static_cast<double>(c.limit) / window_us; // requests drained per µs
    if (b.last != 0) {
        const double elapsed = static_cast<double>(std::max<Micros>(0, now - b.last));
        b.level = std::max(0.0, b.level - elapsed * rate);
    }
    b.last = std::max(b.last, now);
    const double capacity = static_cast<double>(c.limit);
    if (!force_refuse && b.level + 1.0 <= capacity + 1e-9) {
        b.level += 1.0;
        d.allowed = true;
    } else {
        d.allowed = false;
        const double need = std::max(0.0, b.level + 1.0 - capacity);
        d.retry_after_s = std::max<std::int64_t>(
            1, static_cast<std::int64_t>(std::ceil(need / rate / 1'000'000.0)));
    }
    d.remaining =
        std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(capacity - b.level + 1e-9)));
    if (!d.allowed)
        d.remaining = 0;
    return d;
}

void RateLimiter::reset() {
    std::lock_guard lock(m_mutex);
    m_buckets.clear();
}

} // namespace fioemu
