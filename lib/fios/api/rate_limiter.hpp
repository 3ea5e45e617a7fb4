// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/clock.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace fios::api {

/// The x-ratelimit-* headers of one response (docs/frameio-api.md section 6.1).
struct RateLimitInfo {
    std::int64_t limit = 0;              ///< requests per window for this route
    std::int64_t remaining = 0;          ///< left in the current window
    std::chrono::milliseconds window{0}; ///< x-ratelimit-window is in milliseconds
};

/// Reads x-ratelimit-limit, -remaining and -window; nullopt when any is absent or not a
/// non-negative integer, or limit or window is zero.
std::optional<RateLimitInfo> read_rate_limit(const net::HttpResponse& response);

/// Paces requests per route class so that the server does not have to refuse them.
///
/// Frame.io limits each user per route with a leaky bucket that refills continuously (limit
/// requests per window). For each route class the pacer keeps an estimate of the tokens
/// left: the last x-ratelimit-remaining less the requests still in flight (the server had
/// not counted them when it answered), refilled at limit/window since, less one per request
/// sent since. While the estimate stays above a low-water mark (`low_water` * limit, at
/// least 1) requests go at once. Below it, requests are spread at 80 % of the refill rate, one
/// every window/limit, each thread taking the next free slot, so the rest of the window is used
/// evenly instead of running into a 429. Thread-safe.
///
/// Protocol: reserve() before each request, then exactly one complete() when it is over
/// (with the response's limits when there was a response).
class RateLimiter {
public:
    explicit RateLimiter(double low_water = 0.2) : m_low_water(low_water) {}

    /// Reserves a send slot for `route` and returns how long to wait before sending
    /// (zero: send now). A route no response has told the limits of is paced by `documented`
    /// (the API reference's limit, bucket assumed full) when given, else not at all; the first
    /// response's headers replace it.
    std::chrono::milliseconds reserve(const std::string& route, Clock::time_point now,
                                      const std::optional<RateLimitInfo>& documented = {});
    /// The request reserved for `route` is over; `info` is the server's view from its
    /// response headers, when it answered with them.
    void complete(const std::string& route, const std::optional<RateLimitInfo>& info,
                  Clock::time_point now);
    /// A 429: the bucket is empty whatever the estimate said.
    void refused(const std::string& route, Clock::time_point now);

    /// Estimated tokens left for `route`, for tests and diagnostics.
    [[nodiscard]] std::optional<double> estimate(const std::string& route,
                                                 Clock::time_point now) const;

private:
    struct Bucket {
        bool known = false;       ///< a response (or the documented limit) has told the limits
        bool from_server = false; ///< a response has told them
        double limit = 0;
        double window_ms = 0;
        double tokens = 0;
        int in_flight = 0;
        Clock::time_point updated{};
        Clock::time_point next_slot{};
    };
    static void refill(Bucket& b, Clock::time_point now);

    double m_low_water;
    mutable std::mutex m_mutex;
    std::map<std::string, Bucket, std::less<>> m_buckets;
};

} // namespace fios::api
