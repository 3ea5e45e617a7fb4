// SPDX-License-Identifier: MIT
// Issue 9: what stands between the CLI and the API (a redirecting proxy or captive portal, an
// HTML page, a server that never answers) is named, exits 75 (temporary), and a retry is
// announced on stderr. Local cpp-httplib servers play the proxy, portal and stalled server.
#include "cli_fixture.hpp"
#include "support/local_server.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace fios::test;

namespace {

constexpr const char* k_portal_page =
    "<!DOCTYPE html><html><body><h1>Welcome to Guest Wi-Fi</h1>"
    "<a href=\"/accept\">Accept the terms to continue</a></body></html>";

/// The environment that points the CLI at `api_url` with a token from the environment (no
/// saved login: that would refuse an API URL it was not made for).
std::map<std::string, std::optional<std::string>> env_for(const std::string& api_url,
                                                          const std::string& api = "v2") {
    return {{"FRAMEIO_API_URL", api_url}, {"FRAMEIO_TOKEN", k_token}, {"FRAMEIO_SYNC_API", api}};
}

} // namespace

TEST_CASE("an API redirected to another host exits 75 and names the redirect", "[cli][network]") {
    CliFixture f;
    LocalServer portal;
    std::atomic<int> portal_hits{0};
    portal.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
        ++portal_hits;
        res.set_content(k_portal_page, "text/html");
    });
    portal.start();
    LocalServer api;
    const std::string login_page = portal.url("/login");
    api.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 302;
        res.set_header("Location", login_page + "?continue=somewhere");
    });
    api.start();

    for (const std::string generation : {"v2", "v4"}) {
        INFO(generation);
        auto r = f.run({"whoami"}, {}, env_for(api.url(""), generation));
        INFO(r.err);
        CHECK(r.exit_code == 75);
        CHECK(contains(r.err, "the API at " + api.url("") + " redirected to " + login_page +
                                  " (HTTP 302)"));
        CHECK(contains(r.err, "captive portal"));
        CHECK_FALSE(contains(r.err, "token"));
        CHECK_FALSE(contains(r.err, "continue=somewhere"));
        CHECK_FALSE(contains(r.out + r.err, k_token));
    }
    CHECK(portal_hits == 0);
}

TEST_CASE("a captive portal's HTML page instead of JSON exits 75, not 1", "[cli][network]") {
    CliFixture f;
    LocalServer portal;
    portal.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(k_portal_page, "text/html; charset=utf-8");
    });
    portal.start();
    auto r = f.run({"projects"}, {}, env_for(portal.url("")));
    INFO(r.err);
    CHECK(r.exit_code == 75);
    CHECK(contains(r.err, "an HTML page instead of JSON"));
    CHECK(contains(r.err, "captive portal"));
    CHECK_FALSE(contains(r.err, "malformed"));
}

TEST_CASE("an API answer that does not come is retried with a warning on stderr",
          "[cli][network][retry]") {
    CliFixture f;
    const std::string me = f.api("GET", "/v2/me").body; // what the real answer looks like
    Gate gate;
    LocalServer api;
    std::atomic<int> hits{0};
    api.server().Get("/v2/me", [&](const httplib::Request&, httplib::Response& res) {
        if (++hits == 1)
            gate.wait(); // accepted, never answered (until the test ends)
        res.set_content(me, "application/json");
    });
    api.start();
    auto env = env_for(api.url(""));
    env["FRAMEIO_SYNC_RESPONSE_TIMEOUT_SECONDS"] = "1";
    auto r = f.run({"whoami"}, {}, env);
    gate.open();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(hits == 2);
    CHECK(contains(r.err, "warning: retrying GET /v2/me in "));
    CHECK(contains(r.err,
                   "(attempt 2 of 5) after: GET " + api.url("/v2/me") + ": no answer within 1 s"));
    CHECK_FALSE(contains(r.out + r.err, k_token));
}
