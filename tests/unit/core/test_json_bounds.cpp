// SPDX-License-Identifier: MIT
// Issue 9: JSON from a server is bounded before it is parsed. The scanner itself, then every
// parser that reads server or on-disk JSON, fed a deeply nested text and a huge flat list:
// each must answer an error (before the fix: a stack overflow, and std::bad_alloc from a
// reservation for every element).
#include "fios/api/json.hpp"
#include "fios/api/v4_json.hpp"
#include "fios/auth/credentials.hpp"
#include "fios/core/json_bounds.hpp"

#include <catch2/catch.hpp>

#include <string>

using fios::check_json_bounds;
using fios::ErrorCode;
using fios::JsonBounds;

namespace {

std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

/// `[0,0,...,0]` with `n` zeros: tens of MB of a list no Frame.io page holds.
std::string flat_zeros(std::size_t n) {
    std::string s = "[";
    s.reserve(2 * n + 2);
    for (std::size_t i = 0; i < n; ++i)
        s += i == 0 ? "0" : ",0";
    s += ']';
    return s;
}

} // namespace

TEST_CASE("json bounds: depth and value count, strings and escapes skipped", "[core][json]") {
    CHECK(check_json_bounds(R"({"a": [1, {"b": "c"}]})"));
    CHECK(check_json_bounds(nested(64)));
    const auto deep = check_json_bounds(nested(65));
    REQUIRE_FALSE(deep);
    CHECK(deep.error().code == ErrorCode::parse);
    CHECK(deep.error().message.find("deeper than 64") != std::string::npos);
    // Brackets, commas and escaped quotes inside strings do not count.
    CHECK(check_json_bounds("[\"" + std::string(100, '[') + "\\\",,,,\"]", JsonBounds{2, 1}));
    CHECK_FALSE(check_json_bounds("[1,2,3]", JsonBounds{64, 2}));
    CHECK(check_json_bounds("[1,2,3]", JsonBounds{64, 3}));
}

TEST_CASE("json bounds: 500,000 levels of nesting are refused by every parser - no crash",
          "[core][json]") {
    const std::string deep = nested(500'000);
    const auto v2 = fios::api::json::parse_assets(deep, "GET /v2/assets/x/children");
    REQUIRE_FALSE(v2);
    CHECK(v2.error().code == ErrorCode::parse);
    CHECK(v2.error().message.find("GET /v2/assets/x/children") != std::string::npos);
    const auto v4 = fios::api::v4json::parse_files(deep, "GET /v4/.../files");
    REQUIRE_FALSE(v4);
    CHECK(v4.error().code == ErrorCode::parse);
    const auto creds = fios::auth::parse_credentials(deep, "credentials.json");
    REQUIRE_FALSE(creds);
    CHECK(creds.error().message.find("login") != std::string::npos); // names the fix
}

TEST_CASE("json bounds: a 30 MB flat list fails on its first item - no huge reservation",
          "[core][json]") {
    // 15 million zeros: more values than the bound allows, refused before parsing.
    const auto huge = fios::api::json::parse_assets(flat_zeros(15'000'000), "GET children");
    REQUIRE_FALSE(huge);
    CHECK(huge.error().message.find("more than") != std::string::npos);
    // 1.5 million zeros pass the scan; the list is read item by item and the first is refused.
    const auto big = fios::api::json::parse_assets(flat_zeros(1'500'000), "GET children");
    REQUIRE_FALSE(big);
    CHECK(big.error().message.find("item 0") != std::string::npos);
    const auto big4 = fios::api::v4json::parse_files(
        R"({"data": )" + flat_zeros(1'500'000) + R"(, "links": {"next": null}})", "GET files");
    REQUIRE_FALSE(big4);
    CHECK(big4.error().message.find("item 0") != std::string::npos);
}
