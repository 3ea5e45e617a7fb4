// SPDX-License-Identifier: MIT
#include "fios/api/client.hpp"
#include "fios/api/model.hpp"

#include <catch2/catch.hpp>

using namespace fios;
using namespace fios::api;
using namespace std::chrono;

TEST_CASE("part ranges follow the SDK's ceil split", "[api][parts]") {
    struct Row {
        std::uint64_t size;
        std::size_t n;
        std::vector<std::uint64_t> lengths;
    };
    const Row table[] = {
        {0, 1, {0}},
        {1, 1, {1}},
        {1, 2, {1, 0}},
        {30, 3, {10, 10, 10}},
        {31, 3, {11, 11, 9}},
        {29, 3, {10, 10, 9}},
        {26'214'400, 1, {26'214'400}},
        {52'428'800, 2, {26'214'400, 26'214'400}},
        {50'645'990, 3, {16'881'997, 16'881'997, 16'881'996}}, // the V4 guide's example
        {10, 4, {3, 3, 3, 1}},
        {10, 6, {2, 2, 2, 2, 2, 0}},
    };
    for (const auto& row : table) {
        INFO("size " << row.size << " in " << row.n << " parts");
        auto parts = compute_part_ranges(row.size, row.n);
        REQUIRE(parts.size() == row.n);
        std::uint64_t offset = 0;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            CHECK(parts[i].length == row.lengths[i]);
            CHECK(parts[i].offset == std::min(offset, row.size));
            offset += parts[i].length;
        }
        CHECK(offset == row.size);
    }
    CHECK(compute_part_ranges(100, 0).empty());
}

TEST_CASE("part ranges of a 5 TiB file in 10,000 parts cover it exactly", "[api][parts]") {
    const std::uint64_t size = 5ULL * 1024 * 1024 * 1024 * 1024;
    auto parts = compute_part_ranges(size, 10'000);
    REQUIRE(parts.size() == 10'000);
    CHECK(parts.back().offset + parts.back().length == size);
    CHECK(parts.front().length == (size + 9'999) / 10'000);
}

TEST_CASE("timestamps with microseconds and Z parse exactly", "[api][time]") {
    auto t = parse_timestamp("2022-06-10T15:32:06.228191Z");
    REQUIRE(t);
    auto us = duration_cast<microseconds>(t->time_since_epoch()).count();
    CHECK(us == 1'654'875'126'228'191LL);
    CHECK(format_timestamp(*t) == "2022-06-10T15:32:06.228191Z");
}

TEST_CASE("timestamp variants: no fraction, nanoseconds, offsets", "[api][time]") {
    auto base = parse_timestamp("2022-06-10T15:32:06Z");
    REQUIRE(base);
    CHECK(duration_cast<seconds>(base->time_since_epoch()).count() == 1'654'875'126);
    auto nanos = parse_timestamp("2022-06-10T15:32:06.123456789Z");
    REQUIRE(nanos);
    CHECK((*nanos - *base) == nanoseconds(123'456'789));
    auto offset = parse_timestamp("2022-06-10T17:32:06+02:00");
    REQUIRE(offset);
    CHECK(*offset == *base);
    auto neg = parse_timestamp("2022-06-10T10:02:06-0530");
    REQUIRE(neg);
    CHECK(*neg == *base);
    auto early = parse_timestamp("1969-12-31T23:59:59.5Z");
    REQUIRE(early);
    CHECK(duration_cast<milliseconds>(early->time_since_epoch()).count() == -500);
    CHECK(format_timestamp(*early) == "1969-12-31T23:59:59.500000Z");
    auto leap = parse_timestamp("2024-02-29T00:00:00Z");
    REQUIRE(leap);
    CHECK(format_timestamp(*leap) == "2024-02-29T00:00:00.000000Z");
}

TEST_CASE("malformed timestamps are parse errors", "[api][time]") {
    for (const char* bad : {"", "2022-06-10", "2022-06-10T15:32:06", "2022-13-10T15:32:06Z",
                            "2023-02-29T00:00:00Z", "2022-06-10T25:00:00Z", "2022-06-10T15:32:06.Z",
                            "2022-06-10T15:32:06Zjunk", "yesterday", "2022-6-10T15:32:06Z"}) {
        INFO(bad);
        auto t = parse_timestamp(bad);
        REQUIRE_FALSE(t);
        CHECK(t.error().code == ErrorCode::parse);
    }
}

TEST_CASE("timestamps beyond what a time_point holds are refused", "[api][time]") {
    auto far = parse_timestamp("9999-12-31T23:59:59Z");
    REQUIRE_FALSE(far);
    CHECK(far.error().code == ErrorCode::parse);
    CHECK(parse_timestamp("2200-01-01T00:00:00Z"));
}

// Found by tests/fuzz/fuzz_v2_json (a timestamp of 1858 with nanoseconds): before 1970 a
// sub-microsecond fraction was cut toward zero, i.e. toward 1970, so the text named a later
// time than the one parsed (-500 ns printed as 1970-01-01T00:00:00).
TEST_CASE("format_timestamp rounds down before 1970 too", "[api][time]") {
    auto t = parse_timestamp("1969-12-31T23:59:59.9999995Z");
    REQUIRE(t);
    CHECK(format_timestamp(*t) == "1969-12-31T23:59:59.999999Z");
    auto old = parse_timestamp("1858-06-10T15:32:06.226819999Z");
    REQUIRE(old);
    CHECK(format_timestamp(*old) == "1858-06-10T15:32:06.226819Z");
    auto later = parse_timestamp("2022-06-10T15:32:06.228191999Z");
    REQUIRE(later);
    CHECK(format_timestamp(*later) == "2022-06-10T15:32:06.228191Z");
}

TEST_CASE("format_timestamp round-trips through parse_timestamp", "[api][time]") {
    for (std::int64_t us :
         {0LL, 1LL, 999'999LL, 1'654'875'126'228'191LL, 7'258'118'399'999'999LL}) {
        TimePoint t{duration_cast<TimePoint::duration>(microseconds(us))};
        auto back = parse_timestamp(format_timestamp(t));
        REQUIRE(back);
        CHECK(*back == t);
    }
}
