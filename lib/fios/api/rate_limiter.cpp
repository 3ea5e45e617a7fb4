// SPDX-License-Identifier: MIT
#include "fios/api/rate_limiter.hpp"

#include <algorithm>
#include <charconv>

namespace fios::api {
namespace {

std::optional<std::int64_t> header_int(const net::HttpResponse& r, std::string_view name) {
    auto v = r.header(name);
    if (!v)
        return std::nullopt;
    std::string_view s = *v;
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    std::int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || ptr != s.data() + s.size() || out < 0)
        return std::nullopt;
    return out;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

} // namespace

std::optional<RateLimitInfo> read_rate_limit(const net::HttpResponse& response) {
    auto limit = header_int(response, "x-ratelimit-limit");
    auto remaining = header_int(response, "x-ratelimit-remaining");
    auto window = header_int(response, "x-ratelimit-window");
    if (!limit || !remaining || !window || *limit == 0 || *window == 0)
        return std::nullopt;
    return RateLimitInfo{*limit, *remaining, std::chrono::milliseconds(*window)};
}

namespace {
/// The share of a route's refill rate that paced requests use (see reserve()).
constexpr double k_paced_share = 0.8;
} // namespace

void RateLimiter::refill(Bucket& b, Clock::time_point now) {
    double elapsed = ms_between(b.updated, now);
    if (elapsed > 0) {
        b.tokens = std::min(b.limit, b.tokens + elapsed * b.limit / b.window_ms);
        b.updated = now;
    }
}

std::chrono::milliseconds RateLimiter::reserve(const std::string& route, Clock::time_point now,
                                               const std::optional<RateLimitInfo>& documented) {
    std::lock_guard lock(m_mutex);
    Bucket& b = m_buckets[route];
    ++b.in_flight;
    if (!b.known && documented && documented->limit > 0 && documented->window.count() > 0) {
        b.known = true;
        b.limit = static_cast<double>(documented->limit);
        b.window_ms = static_cast<double>(documented->window.count());
        b.tokens = b.limit;
        b.updated = now;
    }
    if (!b.known)
        return std::chrono::milliseconds{0};
    refill(b, now);
    const double low = std::max(1.0, b.limit * m_low_water);
    if (b.tokens >= low + 1.0) {
        b.tokens -= 1.0;
        return std::chrono::milliseconds{0};
    }
    // Low: one request per refill interval stretched by k_paced_share, in the order threads
    // ask. At exactly the refill rate a request that reaches the server a little early (ours
    // left late, an earlier one was delayed on the way) finds the bucket empty; at 80 % of it
    // the bucket gains a fifth of a token per request and no skew under that draws a 429.
    const auto interval = std::chrono::duration_cast<Clock::time_point::duration>(
        std::chrono::duration<double, std::milli>(b.window_ms / b.limit / k_paced_share));
    const Clock::time_point slot = std::max(now, b.next_slot);
    b.next_slot = slot + interval;
    b.tokens -= 1.0;
    return std::chrono::ceil<std::chrono::milliseconds>(slot - now);
}

void RateLimiter::complete(const std::string& route, const std::optional<RateLimitInfo>& info,
                           Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    Bucket& b = m_buckets[route];
    if (b.in_flight > 0)
        --b.in_flight;
    if (!info)
        return;
    const bool was_known = b.from_server; // a documented limit is replaced, not merged
    if (was_known)
        refill(b, now);
    b.known = true;
    b.from_server = true;
    b.limit = static_cast<double>(info->limit);
    b.window_ms = static_cast<double>(info->window.count());
    // The others still in flight were not counted in this answer yet: assume they will be.
    const double told = std::min(b.limit, static_cast<double>(info->remaining)) - b.in_flight;
    // Answers to concurrent requests arrive in any order: an older one's `remaining` is
    // higher than the server's bucket now, so it may only lower the estimate, never raise it
    // (the estimate rises by refilling).
    b.tokens = was_known ? std::min(b.tokens, told) : told;
    b.updated = now;
}

void RateLimiter::refused(const std::string& route, Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    auto it = m_buckets.find(route);
    if (it == m_buckets.end() || !it->second.known)
        return;
    refill(it->second, now);
    it->second.tokens = std::min(it->second.tokens, 0.0);
}

std::optional<double> RateLimiter::estimate(const std::string& route, Clock::time_point now) const {
    std::lock_guard lock(m_mutex);
    auto it = m_buckets.find(route);
    if (it == m_buckets.end() || !it->second.known)
        return std::nullopt;
    Bucket b = it->second;
    refill(b, now);
    return b.tokens;
}

} // namespace fios::api
