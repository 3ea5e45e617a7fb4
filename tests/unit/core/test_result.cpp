// SPDX-License-Identifier: MIT
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"

#include <catch2/catch.hpp>

#include <string>

using fios::Error;
using fios::ErrorCode;
using fios::Result;

namespace {
Result<int> parse_positive(int v) {
    if (v <= 0) return Error{ErrorCode::invalid_request, "not positive"};
    return v;
}
Result<std::string> describe(int v) {
    auto r = parse_positive(v);
    if (!r) return r.error();
    return std::to_string(*r);
}
} // namespace

TEST_CASE("Result carries a value or an error and forwards errors across types", "[core]") {
    auto ok = describe(7);
    REQUIRE(ok.has_value());
    CHECK(*ok == "7");
    auto bad = describe(-1);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::invalid_request);
    CHECK(bad.error().message == "not positive");
    CHECK(bad.value_or("x") == "x");
}

TEST_CASE("Result<void> is success by default", "[core]") {
    fios::Status s;
    CHECK(s.has_value());
    fios::Status f = Error{ErrorCode::io, "disk"};
    CHECK_FALSE(f);
    CHECK(f.error().with_context("writing a").message == "writing a: disk");
}

TEST_CASE("retryable errors are network, timeout, 5xx and 429 only", "[core]") {
    CHECK(Error{fios::error_code_for_http_status(503), ""}.retryable());
    CHECK(Error{fios::error_code_for_http_status(429), ""}.retryable());
    CHECK(Error{ErrorCode::network, ""}.retryable());
    CHECK(Error{ErrorCode::timeout, ""}.retryable());
    CHECK_FALSE(Error{fios::error_code_for_http_status(401), ""}.retryable());
    CHECK_FALSE(Error{fios::error_code_for_http_status(403), ""}.retryable());
    CHECK_FALSE(Error{fios::error_code_for_http_status(404), ""}.retryable());
    CHECK_FALSE(Error{fios::error_code_for_http_status(422), ""}.retryable());
    CHECK_FALSE(Error{ErrorCode::parse, ""}.retryable());
    CHECK(fios::error_code_for_http_status(401) == ErrorCode::unauthorized);
    CHECK(fios::error_code_for_http_status(403) == ErrorCode::forbidden);
    CHECK(fios::error_code_for_http_status(404) == ErrorCode::not_found);
}

TEST_CASE("FakeClock moves only when advanced", "[core]") {
    fios::FakeClock clock;
    auto t0 = clock.now();
    CHECK(clock.now() == t0);
    clock.advance(std::chrono::seconds(5));
    CHECK(clock.now() - t0 == std::chrono::seconds(5));
}
