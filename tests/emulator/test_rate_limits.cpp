// SPDX-License-Identifier: MIT
// Rate limits: x-ratelimit-* on every response, a leaky bucket per user and route class that
// answers 429 when it overflows and refills with the emulator's clock, --no-rate-limit.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

// The route class of /v2/me, /v2/teams, ... as the emulator names it for
// --rate-limit CLASS=N/WINDOW_MS (the issue leaves the class names to the emulator).
const std::string k_read_class = "hierarchy-read";

std::int64_t header_int(const HttpResponse& r, const std::string& name) {
    auto v = r.header(name);
    if (v.empty())
        throw std::runtime_error("missing header " + name + ": " + r.describe());
    return std::stoll(v);
}

bool has_rate_headers(const HttpResponse& r) {
    return r.has_header("x-ratelimit-limit") && r.has_header("x-ratelimit-remaining") &&
           r.has_header("x-ratelimit-window");
}

} // namespace

TEST_CASE("every API response carries the three x-ratelimit headers", "[emulator][rate_limits]") {
    Emu e(EmuOptions{{}, true});
    Api api = e.api();
    auto p = create_project(api, "Headers");
    const auto root = str(p, "root_asset_id");
    std::vector<HttpResponse> responses{
        api.get("/v2/me"),
        api.get("/v2/teams"),
        api.get("/v2/assets/" + root + "/children"),
        api.post_json("/v2/assets/" + root + "/children", R"({"type":"folder","name":"x"})"),
        api.get("/v2/assets/0b1f7c1e-6a52-4c7e-9a4e-2d3c4b5a6f70"),
        api.post_json("/v2/assets/" + root + "/children", "{broken"),
    };
    for (const auto& r : responses) {
        INFO(r.describe());
        CHECK(has_rate_headers(r));
        if (has_rate_headers(r)) {
            CHECK(header_int(r, "x-ratelimit-limit") > 0);
            CHECK(header_int(r, "x-ratelimit-window") > 0);
            CHECK(header_int(r, "x-ratelimit-remaining") >= 0);
            CHECK(header_int(r, "x-ratelimit-remaining") < header_int(r, "x-ratelimit-limit"));
        }
    }
    // Remaining goes down call by call within one class.
    auto a = api.get("/v2/assets/" + root + "/children");
    auto b = api.get("/v2/assets/" + root + "/children");
    CHECK(header_int(b, "x-ratelimit-remaining") == header_int(a, "x-ratelimit-remaining") - 1);
}

TEST_CASE("a burst over a low limit gets 429 - the clock refills the bucket",
          "[emulator][rate_limits]") {
    Emu e(EmuOptions{{"--rate-limit", k_read_class + "=5/60000"}, true});
    Api api = e.api();
    const auto me = "/v2/me";
    for (int i = 0; i < 5; ++i) {
        auto r = api.get(me);
        INFO("call " << i << " " << r.describe());
        REQUIRE(r.status == 200);
        CHECK(header_int(r, "x-ratelimit-limit") == 5);
        CHECK(header_int(r, "x-ratelimit-window") == 60000);
        CHECK(header_int(r, "x-ratelimit-remaining") == 4 - i);
    }
    auto over = api.get(me);
    CHECK(http_error_problem(over, 429) == "");
    CHECK(has_rate_headers(over));
    CHECK(header_int(over, "x-ratelimit-remaining") == 0);
    CHECK(api.get(me).status == 429);

    // Leaky bucket: one request's worth drips back every 12 s (60000 ms / 5).
    advance_clock(api, 13);
    CHECK(api.get(me).status == 200);
    CHECK(api.get(me).status == 429);
    // A whole window refills it all.
    advance_clock(api, 61);
    for (int i = 0; i < 5; ++i)
        CHECK(api.get(me).status == 200);
    CHECK(api.get(me).status == 429);
}

TEST_CASE("the bucket is per user across tokens and per route class", "[emulator][rate_limits]") {
    Emu e(EmuOptions{
        {"--token", "second-token-same-user", "--rate-limit", k_read_class + "=3/60000"}, true});
    Api one = e.api();
    Api two = e.api("second-token-same-user");
    // Set up before the bucket is drained (creates are another class).
    auto team = first_team_id(one);
    advance_clock(one, 61);
    for (int i = 0; i < 3; ++i)
        REQUIRE(one.get("/v2/me").status == 200);
    CHECK(two.get("/v2/me").status == 429);
    // A create is another class and still goes through.
    auto r = two.post_json("/v2/teams/" + team + "/projects", R"({"name":"other class"})");
    INFO(r.describe());
    CHECK(r.status / 100 == 2);
}

TEST_CASE("no-rate-limit lifts every limit and admin calls are never limited",
          "[emulator][rate_limits]") {
    {
        Emu e(EmuOptions{{"--rate-limit", k_read_class + "=2/60000"}, false});
        Api api = e.api();
        for (int i = 0; i < 50; ++i) {
            auto r = api.get("/v2/me");
            REQUIRE(r.status == 200);
            // The headers are still there for pacing clients.
            REQUIRE(has_rate_headers(r));
        }
    }
    Emu limited(EmuOptions{{"--rate-limit", k_read_class + "=2/60000"}, true});
    Api api = limited.api();
    for (int i = 0; i < 30; ++i) {
        REQUIRE(api.get("/_emulator/stats").status == 200);
    }
    CHECK(api.get("/v2/me").status == 200);
    CHECK(api.get("/v2/me").status == 200);
    CHECK(api.get("/v2/me").status == 429);
}
