// SPDX-License-Identifier: MIT
#include "fios/api/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace fios;
using namespace fios::api;
using namespace std::chrono_literals;

TEST_CASE("rate-limit headers are read only when complete and sane", "[api][rate]") {
    net::HttpResponse r;
    r.headers = {{"x-ratelimit-limit", "40"},
                 {"x-ratelimit-remaining", "39"},
                 {"x-ratelimit-window", "60000"}};
    auto info = read_rate_limit(r);
    REQUIRE(info);
    CHECK(info->limit == 40);
    CHECK(info->remaining == 39);
    CHECK(info->window == 60'000ms);
    r.headers[2].second = "soon";
    CHECK_FALSE(read_rate_limit(r));
    r.headers[2].second = "0";
    CHECK_FALSE(read_rate_limit(r));
    r.headers.pop_back();
    CHECK_FALSE(read_rate_limit(r));
}

namespace {
/// One request that the server answered with these limits.
void observe(RateLimiter& limiter, const std::string& route, RateLimitInfo info,
             Clock::time_point now) {
    (void)limiter.reserve(route, now);
    limiter.complete(route, info, now);
}
} // namespace

TEST_CASE("unknown routes are not paced", "[api][rate]") {
    RateLimiter limiter;
    FakeClock clock;
    for (int i = 0; i < 100; ++i)
        CHECK(limiter.reserve("GET /v2/me", clock.now()) == 0ms);
    CHECK_FALSE(limiter.estimate("GET /v2/me", clock.now()));
}

TEST_CASE("requests still in flight count against the server's remaining", "[api][rate]") {
    RateLimiter limiter;
    FakeClock clock;
    observe(limiter, "r", RateLimitInfo{100, 100, 1000ms}, clock.now());
    for (int i = 0; i < 4; ++i)
        CHECK(limiter.reserve("r", clock.now()) == 0ms);
    // The first answer says 50 left; three others are still on their way.
    limiter.complete("r", RateLimitInfo{100, 50, 1000ms}, clock.now());
    CHECK(*limiter.estimate("r", clock.now()) == Approx(47.0));
    limiter.complete("r", std::nullopt, clock.now()); // a transport error: no headers
    limiter.complete("r", RateLimitInfo{100, 49, 1000ms}, clock.now());
    // 49 - 1 in flight = 48 is more than the estimate: an answer only ever lowers it (answers
    // arrive out of order), so the request lost without headers costs one token until the
    // bucket refills.
    CHECK(*limiter.estimate("r", clock.now()) == Approx(47.0));
    limiter.complete("r", RateLimitInfo{100, 45, 1000ms}, clock.now());
    CHECK(*limiter.estimate("r", clock.now()) == Approx(45.0));
}

TEST_CASE("plenty of tokens: no waiting, few: one request per refill interval", "[api][rate]") {
    RateLimiter limiter(0.2);
    FakeClock clock;
    const std::string route = "GET /v2/assets/{id}/children";
    // 10 requests per second, 9 left: 7 go at once (down to the low-water mark of 2),
    // the next one takes the first paced slot (now)...
    observe(limiter, route, RateLimitInfo{10, 9, 1000ms}, clock.now());
    int immediate = 0;
    while (limiter.reserve(route, clock.now()) == 0ms)
        ++immediate;
    CHECK(immediate == 8);
    // ...and the rest are spread at 80 % of the refill rate, 125 ms apart (the loop's last
    // call already took the +125 ms slot).
    CHECK(limiter.reserve(route, clock.now()) == 250ms);
    CHECK(limiter.reserve(route, clock.now()) == 375ms);
    // After a full window the bucket is full again.
    clock.advance(2000ms);
    observe(limiter, route, RateLimitInfo{10, 10, 1000ms}, clock.now());
    CHECK(limiter.reserve(route, clock.now()) == 0ms);
}

TEST_CASE("a 429 empties the estimate", "[api][rate]") {
    RateLimiter limiter;
    FakeClock clock;
    observe(limiter, "r", RateLimitInfo{100, 100, 1000ms}, clock.now());
    limiter.refused("r", clock.now());
    auto e = limiter.estimate("r", clock.now());
    REQUIRE(e);
    CHECK(*e <= 0.0);
    CHECK(limiter.reserve("r", clock.now()) >= 0ms);
    CHECK(limiter.reserve("r", clock.now()) == 13ms); // 10 ms / 0.8, rounded up
}

TEST_CASE("the estimate refills continuously", "[api][rate]") {
    RateLimiter limiter;
    FakeClock clock;
    observe(limiter, "r", RateLimitInfo{40, 0, 60'000ms}, clock.now());
    clock.advance(15'000ms);
    auto e = limiter.estimate("r", clock.now());
    REQUIRE(e);
    CHECK(*e == Approx(10.0));
    clock.advance(600'000ms);
    CHECK(*limiter.estimate("r", clock.now()) == Approx(40.0));
}

TEST_CASE("a route with a documented limit is paced from its first request, the server's "
          "headers replace the documented limit",
          "[api][rate]") {
    RateLimiter limiter; // low water 20 %
    FakeClock clock;
    const RateLimitInfo documented{5, 5, 1000ms};
    // 5 per second, bucket assumed full: the first 5 go at once (the last one below the low
    // water), then one every 250 ms (80 % of the rate): the server's bucket never runs dry.
    std::vector<std::chrono::milliseconds> waits;
    for (int i = 0; i < 8; ++i)
        waits.push_back(limiter.reserve("GET /folders", clock.now(), documented));
    CHECK(waits[0] == 0ms);
    CHECK(waits[1] == 0ms);
    CHECK(waits[2] == 0ms);
    CHECK(waits[3] == 0ms);
    CHECK(waits[4] == 0ms);
    CHECK(waits[5] == 250ms);
    CHECK(waits[7] == 750ms);
    // Without a documented limit the same burst is not paced.
    for (int i = 0; i < 8; ++i)
        CHECK(limiter.reserve("GET /other", clock.now()) == 0ms);
    // The server says 100 per second with plenty left: no more waiting.
    RateLimiter fresh;
    (void)fresh.reserve("GET /folders", clock.now(), documented);
    fresh.complete("GET /folders", RateLimitInfo{100, 99, 1000ms}, clock.now());
    for (int i = 0; i < 20; ++i)
        CHECK(fresh.reserve("GET /folders", clock.now(), documented) == 0ms);
}

TEST_CASE("answers to concurrent requests that arrive out of order never raise the estimate",
          "[api][rate]") {
    RateLimiter limiter(0.2);
    FakeClock clock;
    const std::string route = "GET /folders";
    observe(limiter, route, RateLimitInfo{5, 5, 1000ms}, clock.now());
    // Five requests at once; the server answers them remaining 4, 3, 2, 1, 0, but the answers
    // come back in the opposite order (the one that says 4 last).
    for (int i = 0; i < 5; ++i)
        (void)limiter.reserve(route, clock.now());
    for (int remaining = 0; remaining <= 4; ++remaining)
        limiter.complete(route, RateLimitInfo{5, remaining, 1000ms}, clock.now());
    auto e = limiter.estimate(route, clock.now());
    REQUIRE(e);
    CHECK(*e < 1.0);
    CHECK(limiter.reserve(route, clock.now()) > 0ms); // the sixth waits for the refill
}
