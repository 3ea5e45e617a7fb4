// SPDX-License-Identifier: MIT
#include "support/process.hpp"

#include "fios/net/retry.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace fios;
using namespace fios::net;
using namespace std::chrono_literals;

namespace {

// 2015-10-21T07:27:00Z
Clock::time_point at_0727() {
    return Clock::time_point{std::chrono::seconds{1445412420}};
}

} // namespace

TEST_CASE("backoff delays are full-jitter draws under a doubling, capped bound", "[net][retry]") {
    RetryPolicy p;
    p.initial_delay = 100ms;
    p.max_delay = 1000ms;
    p.min_delay = 0ms;
    Jitter jitter(42);
    const Millis bounds[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms};
    for (int retry = 0; retry < 6; ++retry) {
        Millis biggest{0};
        for (int i = 0; i < 200; ++i) {
            Millis d = backoff_delay(p, retry, jitter);
            REQUIRE(d >= 0ms);
            REQUIRE(d <= bounds[retry]);
            biggest = std::max(biggest, d);
        }
        // 200 uniform draws: the largest is close to the bound (fixed seed: deterministic).
        CHECK(biggest > bounds[retry] * 3 / 4);
    }
    p.min_delay = 250ms;
    for (int i = 0; i < 50; ++i)
        CHECK(backoff_delay(p, 0, jitter) == 250ms);
}

TEST_CASE("backoff bound does not overflow after many retries", "[net][retry]") {
    RetryPolicy p;
    p.initial_delay = 1000ms;
    p.max_delay = 64'000ms;
    Jitter jitter(1);
    CHECK(backoff_delay(p, 1'000'000, jitter) <= 64'000ms);
}

TEST_CASE("Retry-After: delay-seconds and the three HTTP-date forms", "[net][retry]") {
    const auto now = at_0727();
    CHECK(parse_retry_after("120", now) == Millis{120'000});
    CHECK(parse_retry_after(" 5 ", now) == Millis{5'000});
    CHECK(parse_retry_after("0", now) == Millis{0});
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == Millis{60'000});
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now) == Millis{60'000});
    CHECK(parse_retry_after("Wed Oct 21 07:28:00 2015", now) == Millis{60'000});
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == Millis{0}); // past
    CHECK_FALSE(parse_retry_after("", now));
    CHECK_FALSE(parse_retry_after("soon", now));
    CHECK_FALSE(parse_retry_after("-5", now));
    CHECK(parse_retry_after("99999999999999999999999", now) > Millis{0});
}

TEST_CASE("Retrier stops after max_attempts and sleeps through the fake clock", "[net][retry]") {
    FakeClock clock;
    FakeSleeper sleeper(clock);
    Jitter jitter(7);
    RetryPolicy p;
    p.max_attempts = 3;
    p.initial_delay = 1000ms;
    p.min_delay = 10ms;
    const auto start = clock.now();
    Retrier r(p, clock, sleeper, jitter);
    CHECK(r.wait_before_retry().value() == true);
    CHECK(r.wait_before_retry().value() == true);
    CHECK(r.wait_before_retry().value() == false);
    CHECK(r.attempts() == 3);
    REQUIRE(sleeper.sleeps().size() == 2);
    CHECK(clock.now() - start == sleeper.total());
}

TEST_CASE("Retrier respects the total time budget", "[net][retry]") {
    FakeClock clock;
    FakeSleeper sleeper(clock);
    Jitter jitter(7);
    RetryPolicy p;
    p.max_attempts = 100;
    p.initial_delay = 800ms;
    p.max_delay = 800ms;
    p.min_delay = 800ms;
    p.max_total = 1000ms;
    Retrier r(p, clock, sleeper, jitter);
    CHECK(r.wait_before_retry().value() == true);
    CHECK(r.wait_before_retry().value() == false); // 800 + 800 > 1000
    CHECK(sleeper.sleeps() == std::vector<Millis>{800ms});
}

TEST_CASE("Retrier waits exactly the server's Retry-After, up to a limit", "[net][retry]") {
    FakeClock clock;
    FakeSleeper sleeper(clock);
    Jitter jitter(7);
    RetryPolicy p;
    p.max_retry_after = 10'000ms;
    Retrier r(p, clock, sleeper, jitter);
    CHECK(r.wait_before_retry(3000ms).value() == true);
    CHECK(sleeper.sleeps() == std::vector<Millis>{3000ms});
    CHECK(r.wait_before_retry(20'000ms).value() == false); // longer than we are willing to wait
    CHECK(sleeper.sleeps().size() == 1);
}

TEST_CASE("a cancelled token stops the Retrier without sleeping", "[net][retry]") {
    FakeClock clock;
    FakeSleeper sleeper(clock);
    Jitter jitter(7);
    RetryPolicy p;
    CancelToken token;
    token.cancel();
    Retrier r(p, clock, sleeper, jitter, nullptr, &token);
    auto result = r.wait_before_retry();
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::cancelled);
    CHECK(sleeper.sleeps().empty());
}

TEST_CASE("RealSleeper wakes at once when either token is cancelled, without polling",
          "[net][retry]") {
    // A slice of an hour: only the cancellation's wake-up can end the wait in time.
    RealSleeper sleeper(std::chrono::hours(1));
    CancelToken token;
    CancelToken other;
    const bool cancel_also = GENERATE(false, true);
    std::atomic<bool> started{false};
    std::atomic<bool> done{false};
    Status outcome;
    std::thread t([&] {
        started = true;
        outcome = sleeper.sleep_for(std::chrono::hours(1), &token, &other);
        done = true;
    });
    REQUIRE(fios::test::wait_until([&] { return started.load(); }, std::chrono::seconds(10)));
    (cancel_also ? other : token).cancel();
    bool woke = fios::test::wait_until([&] { return done.load(); }, std::chrono::seconds(10));
    if (!woke)
        std::abort(); // would otherwise hang the test for an hour
    t.join();
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::cancelled);
}

TEST_CASE("RealSleeper sleeps its whole duration when nothing is cancelled", "[net][retry]") {
    RealSleeper sleeper(Millis{20});
    CancelToken token;
    CancelToken unrelated;
    std::thread t([&] { unrelated.cancel(); }); // wakes the sleeper, which must sleep on
    const auto start = std::chrono::steady_clock::now();
    auto outcome = sleeper.sleep_for(Millis{120}, &token);
    const auto slept = std::chrono::steady_clock::now() - start;
    t.join();
    REQUIRE(outcome);
    CHECK(slept >= Millis{120});
}

TEST_CASE("retry_idempotent retries retryable errors only", "[net][retry]") {
    FakeClock clock;
    FakeSleeper sleeper(clock);
    Jitter jitter(3);
    RetryPolicy p;
    int calls = 0;
    auto flaky = [&]() -> Result<int> {
        if (++calls < 3)
            return Error{ErrorCode::network, "reset"};
        return 42;
    };
    auto r = retry_idempotent(p, clock, sleeper, jitter, nullptr, flaky);
    REQUIRE(r);
    CHECK(*r == 42);
    CHECK(calls == 3);

    calls = 0;
    auto broken = [&]() -> Result<int> {
        ++calls;
        return Error{ErrorCode::forbidden, "no"};
    };
    auto r2 = retry_idempotent(p, clock, sleeper, jitter, nullptr, broken);
    REQUIRE_FALSE(r2);
    CHECK(calls == 1);
}
