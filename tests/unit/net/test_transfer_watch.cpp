// SPDX-License-Identifier: MIT
// TransferWatch's rules on a synthetic timeline (the transport tests cover real sockets).
#include "fios/net/transfer_watch.hpp"

#include <catch2/catch.hpp>

using namespace fios::net;
using Millis = std::chrono::milliseconds;

namespace {

const TransferWatch::Clock::time_point t0{};

TransferWatch::Clock::time_point at(long ms) {
    return t0 + Millis(ms);
}

TransferWatch::Limits limits(long first_byte_ms, std::uint64_t rate, long window_ms) {
    return {Millis(first_byte_ms), rate, Millis(window_ms)};
}

} // namespace

TEST_CASE("describe_duration", "[net][deadline]") {
    CHECK(describe_duration(Millis(250)) == "250 ms");
    CHECK(describe_duration(Millis(30'000)) == "30 s");
    CHECK(describe_duration(Millis(2'345)) == "2.3 s");
}

TEST_CASE("a trickle of one byte a second fails one window after the answer began",
          "[net][deadline]") {
    TransferWatch w(limits(30'000, 1024, 30'000), t0);
    std::uint64_t bytes = 300; // the request
    CHECK_FALSE(w.overdue(at(10), true, false, bytes));
    CHECK_FALSE(w.overdue(at(1'000), true, true, bytes)); // the answer begins at 1 s
    std::optional<std::string> late;
    long now = 1'000;
    while (!late && now < 100'000) {
        now += 1'000;
        bytes += 1;
        late = w.overdue(at(now), true, true, bytes);
    }
    REQUIRE(late);
    CHECK(now >= 31'000);
    CHECK(now <= 35'000);
    CHECK(late->find("too slow") != std::string::npos);
}

TEST_CASE("bursts now and then do not keep a transfer alive: the rate is an average",
          "[net][deadline]") {
    // 20 KiB every 29 s averages about 700 bytes/s: each burst would reset an instantaneous
    // low-speed check, but the average over 30 s stays below 1 KiB/s.
    TransferWatch w(limits(30'000, 1024, 30'000), t0);
    std::uint64_t bytes = 0;
    CHECK_FALSE(w.overdue(at(0), true, true, bytes));
    std::optional<std::string> late;
    long now = 0;
    while (!late && now < 200'000) {
        now += 500;
        if (now % 29'000 == 0)
            bytes += 20 * 1024;
        late = w.overdue(at(now), true, true, bytes);
    }
    REQUIRE(late);
    CHECK(now < 70'000);
}

TEST_CASE("a slow but real link never fails", "[net][deadline]") {
    // 1.5 KiB/s for ten minutes, sampled every 100 ms.
    TransferWatch w(limits(30'000, 1024, 30'000), t0);
    std::uint64_t bytes = 0;
    for (long now = 0; now <= 600'000; now += 100) {
        bytes += 150;
        auto late = w.overdue(at(now), true, true, bytes);
        INFO(now);
        REQUIRE_FALSE(late);
    }
}

TEST_CASE("the first byte of the answer must come within the first-byte deadline",
          "[net][deadline]") {
    TransferWatch w(limits(5'000, 1024, 30'000), t0);
    CHECK_FALSE(w.overdue(at(0), false, false, 0));
    CHECK_FALSE(w.overdue(at(2'000), true, false, 400)); // sent after 2 s (connect, body)
    CHECK_FALSE(w.overdue(at(6'900), true, false, 400));
    auto late = w.overdue(at(7'000), true, false, 400);
    REQUIRE(late);
    CHECK(late->find("no answer within 5 s") != std::string::npos);
}

TEST_CASE("waiting for the answer is not held against the rate of its body", "[net][deadline]") {
    // The answer starts after 29 s of thought, then flows at 2 KiB/s: the window starts
    // with the answer, so the idle wait does not count.
    TransferWatch w(limits(30'000, 1024, 30'000), t0);
    CHECK_FALSE(w.overdue(at(0), true, false, 300));
    CHECK_FALSE(w.overdue(at(29'000), true, true, 300));
    std::uint64_t bytes = 300;
    for (long now = 29'000; now <= 120'000; now += 250) {
        bytes += 512;
        INFO(now);
        REQUIRE_FALSE(w.overdue(at(now), true, true, bytes));
    }
}

TEST_CASE("an upload that stops moving fails by the rate while it is sent", "[net][deadline]") {
    TransferWatch w(limits(30'000, 1024, 10'000), t0);
    CHECK_FALSE(w.overdue(at(0), false, false, 0));
    CHECK_FALSE(w.overdue(at(1'000), false, false, 100'000)); // a fast start, then nothing
    std::optional<std::string> late;
    long now = 1'000;
    while (!late && now < 60'000) {
        now += 100;
        late = w.overdue(at(now), false, false, 100'000);
    }
    REQUIRE(late);
    CHECK(now <= 12'500);
}

TEST_CASE("without a first-byte deadline the rate rule covers the wait", "[net][deadline]") {
    TransferWatch w(limits(0, 100, 1'000), t0);
    CHECK_FALSE(w.overdue(at(0), true, false, 300));
    CHECK_FALSE(w.overdue(at(500), true, false, 300));
    CHECK(w.overdue(at(1'200), true, false, 300));
}

TEST_CASE("zero limits disable both rules", "[net][deadline]") {
    TransferWatch w(limits(0, 0, 0), t0);
    CHECK_FALSE(w.overdue(at(0), true, false, 0));
    CHECK_FALSE(w.overdue(at(10'000'000), true, false, 0));
}
