// SPDX-License-Identifier: MIT
// Issue 9: something in the way of the API (a redirect elsewhere, a captive portal's HTML
// page) is named as such, and a retried request is announced. The real CurlTransport and
// V2Client against cpp-httplib servers on 127.0.0.1 playing the proxy, portal or server.
#include "json_builders.hpp"
#include "support/local_server.hpp"

#include "fios/api/client.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/net/curl_transport.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

using namespace fios;
using namespace fios::api;
using fios::test::Gate;
using fios::test::LocalServer;
using Millis = std::chrono::milliseconds;

namespace {

constexpr const char* k_secret = "SECRET-TOKEN-0123456789";
constexpr const char* k_portal_page =
    "<!DOCTYPE html><html><head><title>Guest Wi-Fi</title></head>"
    "<body><form action=\"/accept\">Accept the terms</form></body></html>";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A V2Client over the real transport against `api_base`, recording every retry event.
struct RealClient {
    std::unique_ptr<net::CurlTransport> transport;
    StaticTokenProvider tokens{k_secret};
    std::mutex mutex;
    std::vector<std::string> retries; ///< "what|cause code|cause message|next/max"
    std::vector<Millis> delays;
    std::unique_ptr<V2Client> client;

    explicit RealClient(const std::string& api_base, Millis first_byte = Millis(5'000)) {
        net::CurlTransportOptions t;
        t.proxy = "";
        t.cancel_poll = Millis(20);
        t.first_byte_timeout = first_byte;
        auto created = net::CurlTransport::create(t);
        REQUIRE(created);
        transport = std::move(*created);
        V2ClientOptions o;
        o.api_base = api_base;
        o.pace_requests = false;
        o.jitter_seed = 7;
        o.transient_retry.initial_delay = Millis(20);
        o.transient_retry.max_delay = Millis(40);
        o.on_retry = [this](const RetryEvent& e) {
            std::lock_guard lock(mutex);
            retries.push_back(std::string(e.what) + "|" + std::string(to_string(e.cause.code)) +
                              "|" + e.cause.message + "|" + std::to_string(e.next_attempt) + "/" +
                              std::to_string(e.max_attempts));
            delays.push_back(e.delay);
        };
        client = std::make_unique<V2Client>(*transport, tokens, SystemClock::instance(),
                                            net::RealSleeper::instance(), std::move(o));
    }
};

/// A "captive portal" on its own port, counting the requests that reach it.
struct Portal {
    LocalServer server;
    std::atomic<int> hits{0};
    Portal() {
        auto page = [this](const httplib::Request&, httplib::Response& res) {
            ++hits;
            res.set_content(k_portal_page, "text/html; charset=utf-8");
        };
        server.server().Get(".*", page);
        server.server().Post(".*", page);
        server.start();
    }
};

/// An API that redirects every request to the portal, as a captive portal or a
/// misconfigured proxy does; the query of the target must never reach a message.
void redirect_everything(LocalServer& api, const std::string& target) {
    auto redirect = [target](const httplib::Request&, httplib::Response& res) {
        res.status = 302;
        res.set_header("Location", target + "?orig=SIGNATURE-LIKE-SECRET");
        res.set_content("<html>moved</html>", "text/html");
    };
    api.server().Get(".*", redirect);
    api.server().Post(".*", redirect);
}

} // namespace

TEST_CASE("an API call redirected to another host is reported as a redirect, not followed",
          "[api][detour]") {
    Portal portal;
    LocalServer api;
    redirect_everything(api, portal.server.url("/login"));
    api.start();
    RealClient c(api.url(""));
    auto me = c.client->me();
    REQUIRE_FALSE(me);
    const Error& e = me.error();
    INFO(e.message);
    CHECK(e.code == ErrorCode::network); // a network-level failure: exit 75, not 77 or 78
    CHECK(e.retryable());
    CHECK(contains(e.message, "GET /v2/me"));
    CHECK(contains(e.message, "the API at " + api.url("")));
    CHECK(contains(e.message, "redirected to " + portal.server.url("/login") + " (HTTP 302)"));
    CHECK(contains(e.message, "captive portal"));
    CHECK(contains(e.message, "api_url"));
    CHECK_FALSE(contains(e.message, "SIGNATURE-LIKE-SECRET"));
    CHECK_FALSE(contains(e.message, k_secret));
    CHECK_FALSE(contains(e.message, "token"));
    CHECK(portal.hits == 0);  // never followed: the request is not sent elsewhere
    CHECK(c.retries.empty()); // a portal does not go away in seconds: not retried here
}

TEST_CASE("a redirect to another scheme is reported the same way", "[api][detour]") {
    LocalServer api;
    api.server().Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
        res.status = 301;
        res.set_header("Location", "https://127.0.0.1:1" + req.path);
    });
    api.start();
    RealClient c(api.url(""));
    auto me = c.client->me();
    REQUIRE_FALSE(me);
    INFO(me.error().message);
    CHECK(me.error().code == ErrorCode::network);
    CHECK(contains(me.error().message, "redirected to https://127.0.0.1:1/v2/me (HTTP 301)"));
}

TEST_CASE("an HTML page where JSON was expected names the captive portal, not malformed JSON",
          "[api][detour]") {
    LocalServer api;
    std::atomic<int> hits{0};
    api.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
        ++hits;
        res.set_content(k_portal_page, "text/html");
    });
    api.start();
    RealClient c(api.url(""));
    auto me = c.client->me();
    REQUIRE_FALSE(me);
    const Error& e = me.error();
    INFO(e.message);
    CHECK(e.code == ErrorCode::network);
    CHECK(contains(e.message, "GET /v2/me"));
    CHECK(contains(e.message, "an HTML page instead of JSON (HTTP 200)"));
    CHECK(contains(e.message, "captive portal"));
    CHECK_FALSE(contains(e.message, "malformed"));
    CHECK(hits == 1);

    SECTION("also without an HTML Content-Type") {
        LocalServer bare;
        bare.server().Get(".*", [&](const httplib::Request&, httplib::Response& res) {
            res.set_content(std::string("\n  ") + k_portal_page, "text/plain");
        });
        bare.start();
        RealClient b(bare.url(""));
        auto again = b.client->me();
        REQUIRE_FALSE(again);
        CHECK(again.error().code == ErrorCode::network);
        CHECK(contains(again.error().message, "HTML page instead of JSON"));
    }
}

TEST_CASE("a token endpoint behind a captive portal is reported as such", "[api][detour]") {
    Portal portal;
    LocalServer ims;
    redirect_everything(ims, portal.server.url("/login"));
    ims.start();
    LocalServer html;
    html.server().Post(".*", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(k_portal_page, "text/html");
    });
    html.start();
    // Created after the servers, so destroyed before them: a kept-alive connection would
    // make a server's stop() wait for its keep-alive timeout.
    auto created = net::CurlTransport::create([] {
        net::CurlTransportOptions t;
        t.proxy = "";
        return t;
    }());
    REQUIRE(created);
    auth::TokenRequest request;
    request.url = ims.url("/ims/token/v3");
    request.form = {{"grant_type", "refresh_token"}, {"refresh_token", k_secret}};
    request.secrets = {k_secret};
    request.what = "refreshing the login";
    request.not_found_hint = "check the IMS URL (--ims-url / FRAMEIO_IMS_URL)";
    auto refused = [](int status, const auth::OAuthErrorBody&) {
        return Error{ErrorCode::unauthorized, "refused", status};
    };
    auto r = auth::post_token_request(**created, request, refused);
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().code == ErrorCode::network);
    CHECK(contains(r.error().message, "refreshing the login: the token endpoint " +
                                          ims.url("/ims/token/v3") + " redirected to " +
                                          portal.server.url("/login")));
    CHECK(contains(r.error().message, "--ims-url"));
    CHECK_FALSE(contains(r.error().message, k_secret));
    CHECK(portal.hits == 0);

    request.url = html.url("/ims/token/v3");
    auto page = auth::post_token_request(**created, request, refused);
    REQUIRE_FALSE(page);
    CHECK(page.error().code == ErrorCode::network);
    CHECK(contains(page.error().message, "HTML page instead of JSON"));
}

TEST_CASE("a retried API call is announced with what, why and when, then it succeeds",
          "[api][retry]") {
    // The first GET /v2/me is accepted and never answered (a stalled server); the second is
    // answered. The first-byte deadline (300 ms) ends the first, the client retries.
    Gate gate;
    LocalServer api;
    std::atomic<int> hits{0};
    api.server().Get("/v2/me", [&](const httplib::Request&, httplib::Response& res) {
        if (++hits == 1)
            gate.wait();
        res.set_content(fios::test::user_json().render(), "application/json");
    });
    api.start();
    RealClient c(api.url(""), Millis(300));
    auto me = c.client->me();
    gate.open();
    INFO((me ? std::string("ok") : me.error().message));
    REQUIRE(me);
    CHECK(me->id == "user-1");
    REQUIRE(c.retries.size() == 1);
    INFO(c.retries[0]);
    CHECK(contains(c.retries[0], "GET /v2/me|timeout|"));
    CHECK(contains(c.retries[0], "no answer within 300 ms"));
    CHECK(contains(c.retries[0], "|2/5"));
    CHECK_FALSE(contains(c.retries[0], k_secret));
    CHECK(c.delays[0] <= Millis(40));
}

TEST_CASE("retries of 5xx and of pre-signed transfers are announced without the signature",
          "[api][retry]") {
    LocalServer storage;
    std::atomic<int> puts{0};
    storage.server().Put("/bucket/part", [&](const httplib::Request&, httplib::Response& res) {
        if (++puts == 1) {
            res.status = 503;
            res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
            return;
        }
        res.status = 200;
    });
    storage.start();
    RealClient c(storage.url(""));
    std::string data(1000, 'p');
    struct Source final : net::BodySource {
        std::string& bytes;
        std::size_t at = 0;
        explicit Source(std::string& b) : bytes(b) {}
        [[nodiscard]] std::uint64_t size() const override { return bytes.size(); }
        Result<std::size_t> read(std::span<char> buf) override {
            const std::size_t n = std::min(buf.size(), bytes.size() - at);
            std::copy_n(bytes.data() + at, n, buf.data());
            at += n;
            return n;
        }
        Status rewind() override {
            at = 0;
            return {};
        }
    } source(data);
    auto put = c.client->upload_part(storage.url("/bucket/part?X-Amz-Signature=SIGSECRET"),
                                     "video/mp4", source);
    INFO((put ? std::string("ok") : put.error().message));
    REQUIRE(put);
    REQUIRE(c.retries.size() == 1);
    INFO(c.retries[0]);
    CHECK(contains(c.retries[0], "PUT " + storage.url("/bucket/part") + "|server|"));
    CHECK(contains(c.retries[0], "HTTP 503"));
    CHECK_FALSE(contains(c.retries[0], "SIGSECRET"));
}

TEST_CASE("detour_error leaves JSON answers, empty bodies and error statuses alone",
          "[api][detour]") {
    auto answer = [](int status, std::string type, std::string body) {
        net::HttpResponse r;
        r.status = status;
        r.headers = {{"content-type", std::move(type)}};
        r.body = std::move(body);
        return r;
    };
    auto detour = [](const net::HttpResponse& r) {
        return net::detour_error(r, "GET /v2/me", "the API at https://api.test", "check it");
    };
    CHECK_FALSE(detour(answer(200, "application/json", "{\"id\":\"x\"}")));
    CHECK_FALSE(detour(answer(204, "text/html", "")));
    CHECK_FALSE(detour(answer(503, "text/html", k_portal_page))); // a gateway's 5xx page
    CHECK_FALSE(detour(answer(404, "application/json", "{}")));
    CHECK(detour(answer(200, "TEXT/HTML; charset=utf-8", "<p>hi</p>")));
    auto no_location = detour(answer(307, "", ""));
    REQUIRE(no_location);
    CHECK(contains(no_location->message, "redirected without saying where (HTTP 307)"));
}
