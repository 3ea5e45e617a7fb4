// SPDX-License-Identifier: MIT
// TokenProviders of V4 logins (IMS user, server-to-server, legacy token) over a real
// credentials file, a fake clock and a scripted IMS token endpoint.
#include "support/temp_dir.hpp"
#include "unit/auth/fake_transport.hpp"

#include "fios/auth/credentials.hpp"
#include "fios/auth/token_providers.hpp"
#include "fios/auth/url.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <string>

using fios::ErrorCode;
using fios::FakeClock;
using fios::Result;
using fios::auth::ApiGeneration;
using fios::auth::CredentialKind;
using fios::auth::Credentials;
using fios::auth::CredentialStore;
using fios::auth::ImsS2sTokenProvider;
using fios::auth::ImsUserTokenProvider;
using fios::auth::SecretSource;
using fios::net::HttpRequest;
using fios::net::HttpResponse;
using fios::test::FakeTransport;
using fios::test::json_response;
using fios::test::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string k_secret = "client-SECRET-web";

std::map<std::string, std::string> form_of(const HttpRequest& r) {
    auto pairs = fios::auth::parse_query(r.body);
    REQUIRE(pairs);
    return {pairs->begin(), pairs->end()};
}

/// An IMS token endpoint: refresh_token grants rotate (generation N+1; a spent refresh token
/// gets invalid_grant), client_credentials grants issue a new access token.
class ImsServer {
public:
    bool rotate = true;
    std::optional<Result<HttpResponse>> failure;

    Result<HttpResponse> handle(const HttpRequest& r) {
        std::lock_guard lock(m_mutex);
        if (failure)
            return *failure;
        auto form = form_of(r);
        if (form["grant_type"] == "client_credentials") {
            ++m_generation;
            return json_response(200, R"({"access_token":")" + access_token() +
                                          R"(","token_type":"bearer","expires_in":86399})");
        }
        if (form["grant_type"] != "refresh_token" || form["refresh_token"] != refresh_token())
            return json_response(400, R"j({"error":"invalid_grant","error_description":"the )j"
                                      R"j(refresh token was already used (revoked)"})j");
        ++m_generation;
        std::string body = R"({"access_token":")" + access_token() +
                           R"(","token_type":"bearer","expires_in":86399)";
        if (rotate)
            body += R"(,"refresh_token":")" + refresh_token() + "\"";
        else
            m_fixed_refresh = true;
        return json_response(200, body + "}");
    }
    [[nodiscard]] std::string access_token() const {
        return "access-SECRET-" + std::to_string(m_generation);
    }
    [[nodiscard]] std::string refresh_token() const {
        return m_fixed_refresh ? "refresh-SECRET-1"
                               : "refresh-SECRET-" + std::to_string(m_generation);
    }

private:
    std::mutex m_mutex;
    int m_generation = 1;
    bool m_fixed_refresh = false;
};

struct Fixture {
    TempDir dir;
    FakeClock clock;
    CredentialStore store{dir.path() / "config" / "frameio-sync"};
    ImsServer server;
    FakeTransport transport{[this](const HttpRequest& r) { return server.handle(r); }};
    int secret_reads = 0;
    SecretSource secrets = [this]() -> Result<std::optional<std::string>> {
        ++secret_reads;
        return std::optional<std::string>(k_secret);
    };

    Credentials user(bool confidential, bool with_refresh, std::chrono::seconds valid_for) {
        Credentials c;
        c.api = ApiGeneration::v4;
        c.kind = CredentialKind::ims_user;
        c.access_token = "access-SECRET-1";
        if (with_refresh)
            c.refresh_token = "refresh-SECRET-1";
        c.expires_at = clock.now() + valid_for;
        c.client_id = confidential ? "web1" : "spa1";
        c.confidential = confidential;
        c.ims_url = "http://127.0.0.1:9";
        c.api_url = "http://127.0.0.1:8";
        REQUIRE(store.save(c));
        return c;
    }
    Credentials s2s(std::chrono::seconds valid_for) {
        Credentials c;
        c.api = ApiGeneration::v4;
        c.kind = CredentialKind::ims_s2s;
        c.access_token = "access-SECRET-1";
        c.expires_at = clock.now() + valid_for;
        c.client_id = "s2s1";
        c.confidential = true;
        c.ims_url = "http://127.0.0.1:9";
        REQUIRE(store.save(c));
        return c;
    }
    Credentials saved() {
        auto r = store.load();
        REQUIRE(r);
        REQUIRE(r->has_value());
        return **r;
    }
};

void check_no_secret(const std::string& message) {
    INFO(message);
    CHECK(message.find("-SECRET") == std::string::npos); // not FRAMEIO_CLIENT_SECRET
}

} // namespace

TEST_CASE("an IMS user refresh stores the rotated refresh token at once", "[auth][ims]") {
    Fixture f;
    ImsUserTokenProvider p(f.store, f.transport, f.clock, f.user(true, true, 30s), f.secrets);
    auto t = p.access_token(); // 30 s left: inside the 60 s margin
    REQUIRE(t);
    CHECK(*t == "access-SECRET-2");
    REQUIRE(f.transport.count() == 1);
    const auto req = f.transport.requests()[0];
    CHECK(form_of(req)["refresh_token"] == "refresh-SECRET-1");
    CHECK(form_of(req).count("client_id") == 0); // Basic for a Web App credential
    CHECK(f.secret_reads == 1);
    const auto saved = f.saved();
    CHECK(saved.access_token == "access-SECRET-2");
    CHECK(saved.refresh_token == std::optional<std::string>("refresh-SECRET-2"));
    CHECK(saved.expires_at == f.clock.now() + 86399s);
    CHECK(saved.kind == CredentialKind::ims_user);
    CHECK(p.expires_at() == saved.expires_at);
    // Valid now: no further request.
    REQUIRE(p.access_token());
    CHECK(f.transport.count() == 1);
}

TEST_CASE("an IMS refresh answer without a refresh token keeps the old one", "[auth][ims]") {
    Fixture f;
    f.server.rotate = false;
    ImsUserTokenProvider p(f.store, f.transport, f.clock, f.user(false, true, 10s), f.secrets);
    REQUIRE(p.access_token());
    CHECK(form_of(f.transport.requests().at(0))["client_id"] == "spa1");
    CHECK(f.secret_reads == 0); // a public credential has no secret
    CHECK(f.saved().refresh_token == std::optional<std::string>("refresh-SECRET-1"));
}

TEST_CASE("a second provider adopts the rotated token instead of spending the old one",
          "[auth][ims]") {
    Fixture f;
    const auto initial = f.user(true, true, 30s);
    // Two "processes" loaded the same login; the first refreshes (rotating the refresh token).
    ImsUserTokenProvider first(f.store, f.transport, f.clock, initial, f.secrets);
    ImsUserTokenProvider second(f.store, f.transport, f.clock, initial, f.secrets);
    auto a = first.access_token();
    REQUIRE(a);
    auto b = second.access_token();
    REQUIRE(b);
    CHECK(*b == *a);
    CHECK(f.transport.count() == 1); // the spent refresh-SECRET-1 was never sent again
    // The second also adopts after a 401 on its stale token.
    ImsUserTokenProvider third(f.store, f.transport, f.clock, initial, f.secrets);
    auto c = third.refresh_after_unauthorized("access-SECRET-1");
    REQUIRE(c);
    CHECK(*c == *a);
    CHECK(f.transport.count() == 1);
}

TEST_CASE("a revoked refresh token says to log in again", "[auth][ims]") {
    Fixture f;
    auto c = f.user(true, true, 30s);
    c.refresh_token = "refresh-SECRET-spent";
    REQUIRE(f.store.save(c));
    ImsUserTokenProvider p(f.store, f.transport, f.clock, c, f.secrets);
    auto t = p.refresh_after_unauthorized("access-SECRET-1");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK_THAT(t.error().message, Catch::Contains("frameio-sync login --oauth --client-id web1"));
    check_no_secret(t.error().message);
}

TEST_CASE("a Web App refresh without a configured secret says where to put it", "[auth][ims]") {
    Fixture f;
    SecretSource none = []() -> Result<std::optional<std::string>> { return std::nullopt; };
    ImsUserTokenProvider p(f.store, f.transport, f.clock, f.user(true, true, 0s), none);
    auto t = p.access_token();
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::invalid_config);
    CHECK_THAT(t.error().message, Catch::Contains("FRAMEIO_CLIENT_SECRET"));
    CHECK(f.transport.count() == 0);
}

TEST_CASE("a login without refresh token is used until it expires, then says when", "[auth][ims]") {
    Fixture f;
    const auto c = f.user(false, false, 30s);
    const auto expiry = *c.expires_at;
    CHECK(c.login_expires_at() == std::optional<fios::Clock::time_point>(expiry));
    ImsUserTokenProvider p(f.store, f.transport, f.clock, c, f.secrets);
    CHECK(p.expires_at() == std::optional<fios::Clock::time_point>(expiry));
    auto t = p.access_token(); // inside the margin, still valid: used as is
    REQUIRE(t);
    CHECK(*t == "access-SECRET-1");
    f.clock.advance(31s);
    auto expired = p.access_token();
    REQUIRE_FALSE(expired);
    CHECK(expired.error().code == ErrorCode::unauthorized);
    CHECK_THAT(expired.error().message,
               Catch::Contains("expired at " + fios::auth::format_utc(expiry)));
    CHECK_THAT(expired.error().message,
               Catch::Contains("frameio-sync login --oauth --client-id spa1"));
    CHECK(f.transport.count() == 0);

    SECTION("a new login by another process is adopted") {
        auto fresh = f.user(false, false, 3600s);
        fresh.access_token = "access-SECRET-new";
        REQUIRE(f.store.save(fresh));
        auto again = p.access_token();
        REQUIRE(again);
        CHECK(*again == "access-SECRET-new");
    }
}

TEST_CASE("a rejected token that cannot be refreshed says to log in", "[auth][ims]") {
    Fixture f;
    ImsUserTokenProvider p(f.store, f.transport, f.clock, f.user(false, false, 3600s), f.secrets);
    auto t = p.refresh_after_unauthorized("access-SECRET-1");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK_THAT(t.error().message, Catch::Contains("rejected"));
    CHECK_THAT(t.error().message, Catch::Contains("--client-id spa1"));
    CHECK(f.transport.count() == 0);
}

TEST_CASE("a login replaced by another kind is not adopted", "[auth][ims]") {
    Fixture f;
    ImsUserTokenProvider p(f.store, f.transport, f.clock, f.user(true, true, 10s), f.secrets);
    REQUIRE(f.store.save(fios::auth::legacy_token_credentials("legacy-SECRET", "http://x")));
    auto t = p.access_token();
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK_THAT(t.error().message, Catch::Contains("replaced by a legacy_token login"));
    CHECK(f.transport.count() == 0);
}

TEST_CASE("an S2S token is fetched again before it expires and shared", "[auth][ims]") {
    Fixture f;
    const auto c = f.s2s(3600s);
    ImsS2sTokenProvider p(f.store, f.transport, f.clock, c, f.secrets);
    REQUIRE(p.access_token());
    CHECK(f.transport.count() == 0);
    f.clock.advance(3400s); // 200 s left: inside the 5 minute margin
    auto t = p.access_token();
    REQUIRE(t);
    CHECK(*t == "access-SECRET-2");
    REQUIRE(f.transport.count() == 1);
    CHECK(form_of(f.transport.requests()[0])["grant_type"] == "client_credentials");
    const auto saved = f.saved();
    CHECK(saved.access_token == "access-SECRET-2");
    CHECK_FALSE(saved.refresh_token);
    CHECK(saved.expires_at == f.clock.now() + 86399s);
    // Another process with the old token adopts the saved one.
    ImsS2sTokenProvider other(f.store, f.transport, f.clock, c, f.secrets);
    auto o = other.access_token();
    REQUIRE(o);
    CHECK(*o == "access-SECRET-2");
    CHECK(f.transport.count() == 1);
    // A 401 gets a new token.
    auto r = p.refresh_after_unauthorized("access-SECRET-2");
    REQUIRE(r);
    CHECK(*r == "access-SECRET-3");
}

TEST_CASE("an S2S outage keeps the still-valid token", "[auth][ims]") {
    Fixture f;
    f.server.failure = Result<HttpResponse>(json_response(503, R"({"error":"server_error"})"));
    ImsS2sTokenProvider p(f.store, f.transport, f.clock, f.s2s(100s), f.secrets);
    auto t = p.access_token();
    REQUIRE(t);
    CHECK(*t == "access-SECRET-1");
    f.clock.advance(101s);
    auto gone = p.access_token();
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == ErrorCode::server);
    check_no_secret(gone.error().message);
}

TEST_CASE("make_token_provider serves every V4 kind", "[auth][ims]") {
    Fixture f;
    REQUIRE(f.store.save(fios::auth::legacy_token_credentials("legacy-SECRET", "http://x")));
    auto legacy = fios::auth::make_token_provider(f.store, f.transport, f.clock, f.secrets);
    REQUIRE(legacy);
    CHECK((*legacy)->access_token().value() == "legacy-SECRET");
    auto refused = (*legacy)->refresh_after_unauthorized("legacy-SECRET");
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::Contains("may not accept legacy tokens"));

    f.user(true, true, 10s);
    auto user = fios::auth::make_token_provider(f.store, f.transport, f.clock, f.secrets);
    REQUIRE(user);
    CHECK(dynamic_cast<ImsUserTokenProvider*>(user->get()) != nullptr);
    CHECK((*user)->access_token().value() == "access-SECRET-2");

    f.s2s(10s);
    auto s2s = fios::auth::make_token_provider(f.store, f.transport, f.clock, f.secrets);
    REQUIRE(s2s);
    CHECK(dynamic_cast<ImsS2sTokenProvider*>(s2s->get()) != nullptr);
}
