// SPDX-License-Identifier: MIT
// V4 logins against frameio-emulator's Adobe IMS on loopback, with the real CurlTransport,
// credentials file and V4Client: Web App (secret, rotating refresh), public (PKCE, no refresh:
// the expiry path), rotation shared by two providers, server-to-server, legacy token, and a
// token without `additional_info.roles`. The authorize step is one GET whose redirect is not
// followed: the code is read from its Location.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/api/v4_client.hpp"
#include "fios/auth/ims.hpp"
#include "fios/auth/token_providers.hpp"
#include "fios/net/curl_transport.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace fios;
using namespace fios::auth;
using namespace std::chrono_literals;
using fios::test::http_request;

namespace {

const std::string k_redirect = "https://localhost:8443/cb";
const std::string k_web_secret = "s3cret";
const std::string k_s2s_secret = "s2ssecret";

SecretSource secret_of(std::string secret) {
    return [secret]() -> Result<std::optional<std::string>> {
        return std::optional<std::string>(secret);
    };
}

struct Ims {
    fios::test::EmulatorProcess emulator{
        {"--ims-client", "web1:s3cret,type=web,redirect=" + k_redirect, "--ims-client",
         "spa1,type=spa,redirect=" + k_redirect, "--ims-s2s", "s2s1:s2ssecret", "--v4-legacy-token",
         "legacy1", "--quiet"}};
    fios::test::TempDir dir;
    CredentialStore store{dir.path() / "config"};
    std::unique_ptr<net::CurlTransport> transport;
    // Provider clocks start at the real time, as the emulator's does; both move together.
    FakeClock clock{SystemClock::instance().now()};

    Ims() {
        net::CurlTransportOptions t;
        t.proxy = "";
        auto created = net::CurlTransport::create(std::move(t));
        REQUIRE(created);
        transport = std::move(*created);
    }
    [[nodiscard]] const std::string& base() const { return emulator.base_url(); }

    /// Both clocks forward: the emulator's (token expiry) and the providers'.
    void advance(std::chrono::seconds by) {
        fios::test::advance_emulator_clock(base(), static_cast<long>(by.count()));
        clock.advance(by);
    }
    long token_requests() const {
        return fios::test::emulator_request_count(base(), "POST /ims/token/v3");
    }

    /// The authorize GET, as a browser would send it; returns the Location it was sent to.
    std::string authorize(const std::string& url) {
        auto reply = http_request("GET", url);
        INFO(reply.body);
        REQUIRE(reply.status == 302);
        REQUIRE(reply.headers.count("location") == 1);
        return reply.headers["location"];
    }

    Result<Credentials> login(const std::string& client_id, std::optional<std::string> secret) {
        auto attempt = start_ims_login(base(), client_id, k_redirect);
        REQUIRE(attempt);
        const std::string location = authorize(attempt->authorize_url);
        CHECK(location.rfind(k_redirect + "?", 0) == 0);
        ImsClient ims(*transport);
        return finish_ims_login(ims, *attempt, location, secret, base(), clock);
    }

    Result<api::v4::Profile> me(api::TokenProvider& tokens, bool legacy = false) {
        api::V4ClientOptions o;
        o.rest.api_base = base();
        o.rest.transient_retry.max_attempts = 1;
        o.legacy_token_auth = legacy;
        api::V4Client client(*transport, tokens, SystemClock::instance(),
                             net::RealSleeper::instance(), o);
        return client.me();
    }

    /// GET /v4/me with `token` and nothing else: the status.
    long me_status(const std::string& token) {
        return http_request("GET", base() + "/v4/me", {}, {"Authorization: Bearer " + token})
            .status;
    }
};

void check_no_secret(const std::string& message, const std::vector<std::string>& secrets) {
    INFO(message);
    for (const auto& s : secrets)
        CHECK(message.find(s) == std::string::npos);
}

} // namespace

TEST_CASE("IMS Web App login: secret, /v4 access, rotating refresh", "[integration][ims]") {
    Ims f;
    auto creds = f.login("web1", k_web_secret);
    INFO((creds ? "" : creds.error().message));
    REQUIRE(creds);
    CHECK(creds->kind == CredentialKind::ims_user);
    CHECK(creds->confidential);
    REQUIRE(creds->refresh_token);
    CHECK_FALSE(creds->login_expires_at());
    REQUIRE(f.store.save(*creds));
    const std::string first_refresh = *creds->refresh_token;

    ImsUserTokenProvider p(f.store, *f.transport, f.clock, *creds, secret_of(k_web_secret));
    auto me = f.me(p);
    INFO((me ? "" : me.error().message));
    REQUIRE(me);
    CHECK_FALSE(me->id.empty());

    // A forced refresh rotates the refresh token, saved at once.
    auto renewed = p.refresh_after_unauthorized(creds->access_token);
    INFO((renewed ? "" : renewed.error().message));
    REQUIRE(renewed);
    CHECK(*renewed != creds->access_token);
    auto saved = f.store.load();
    REQUIRE(saved);
    REQUIRE(saved->has_value());
    REQUIRE((*saved)->refresh_token);
    CHECK(*(*saved)->refresh_token != first_refresh);
    CHECK((*saved)->access_token == *renewed);
    CHECK(f.me_status(*renewed) == 200);

    // The old refresh token is refused afterwards (and its reuse ends the login).
    ImsClient ims(*f.transport);
    auto replay = ims.refresh(f.base(), {"web1", k_web_secret}, first_refresh);
    REQUIRE_FALSE(replay);
    CHECK(replay.error().code == ErrorCode::unauthorized);
    CHECK_THAT(replay.error().message, Catch::Contains("can no longer be refreshed"));
    CHECK_THAT(replay.error().message,
               Catch::Contains("frameio-sync login --oauth --client-id web1"));
    check_no_secret(replay.error().message, {first_refresh, k_web_secret});
}

TEST_CASE("IMS login failures name cause and fix", "[integration][ims]") {
    Ims f;
    SECTION("a wrong client secret") {
        auto r = f.login("web1", std::string("wrong-secret"));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::invalid_config);
        CHECK_THAT(r.error().message, Catch::Contains("client id web1 or its client secret"));
        check_no_secret(r.error().message, {"wrong-secret"});
    }
    SECTION("a Web App credential without its secret") {
        auto r = f.login("web1", std::nullopt);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("FRAMEIO_CLIENT_SECRET"));
    }
    SECTION("a code exchanged twice") {
        auto attempt = start_ims_login(f.base(), "spa1", k_redirect);
        REQUIRE(attempt);
        const std::string location = f.authorize(attempt->authorize_url);
        ImsClient ims(*f.transport);
        REQUIRE(finish_ims_login(ims, *attempt, location, std::nullopt, f.base(), f.clock));
        auto again = finish_ims_login(ims, *attempt, location, std::nullopt, f.base(), f.clock);
        REQUIRE_FALSE(again);
        CHECK(again.error().code == ErrorCode::unauthorized);
        CHECK_THAT(again.error().message, Catch::Contains("already used"));
    }
    SECTION("a redirect URI other than the authorized one") {
        auto attempt = start_ims_login(f.base(), "spa1", k_redirect);
        REQUIRE(attempt);
        const std::string location = f.authorize(attempt->authorize_url);
        auto code = ims_code_from_paste(location, attempt->pkce.state);
        REQUIRE(code);
        ImsClient ims(*f.transport);
        auto r = ims.exchange_code(f.base(), {"spa1", std::nullopt}, *code,
                                   "https://localhost:8443/other", attempt->pkce.verifier);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::invalid_config);
        CHECK_THAT(r.error().message, Catch::Contains("Adobe Developer Console"));
    }
}

TEST_CASE("IMS public login: PKCE, no refresh token, the expiry path", "[integration][ims]") {
    Ims f;
    auto creds = f.login("spa1", std::nullopt);
    INFO((creds ? "" : creds.error().message));
    REQUIRE(creds);
    CHECK_FALSE(creds->confidential);
    CHECK_FALSE(creds->refresh_token);
    REQUIRE(creds->login_expires_at());
    REQUIRE(f.store.save(*creds));

    ImsUserTokenProvider p(f.store, *f.transport, f.clock, *creds, {});
    CHECK(p.expires_at() == creds->expires_at);
    REQUIRE(f.me(p));
    const long before = f.token_requests();

    f.advance(std::chrono::duration_cast<std::chrono::seconds>(*creds->expires_at - f.clock.now()) +
              1s);
    CHECK(f.me_status(creds->access_token) == 401); // IMS's expiry is real
    auto t = p.access_token();
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK_THAT(t.error().message, Catch::Contains("expired at " + format_utc(*creds->expires_at)));
    CHECK_THAT(t.error().message, Catch::Contains("frameio-sync login --oauth --client-id spa1"));
    auto through_client = f.me(p);
    REQUIRE_FALSE(through_client);
    CHECK(through_client.error().code == ErrorCode::unauthorized);
    CHECK(f.token_requests() == before); // nothing to refresh with
}

TEST_CASE("two providers on one login share the rotated refresh token", "[integration][ims]") {
    Ims f;
    auto creds = f.login("web1", k_web_secret);
    REQUIRE(creds);
    REQUIRE(f.store.save(*creds));
    // Two processes loaded the same login.
    ImsUserTokenProvider first(CredentialStore(f.store.dir()), *f.transport, f.clock, *creds,
                               secret_of(k_web_secret));
    ImsUserTokenProvider second(CredentialStore(f.store.dir()), *f.transport, f.clock, *creds,
                                secret_of(k_web_secret));
    const long before = f.token_requests();
    // Close to expiry by the providers' clock: both renew before their next request.
    f.clock.advance(
        std::chrono::duration_cast<std::chrono::seconds>(*creds->expires_at - f.clock.now()) - 30s);
    auto a = first.access_token();
    INFO((a ? "" : a.error().message));
    REQUIRE(a);
    CHECK(*a != creds->access_token);
    auto b = second.access_token();
    REQUIRE(b);
    CHECK(*b == *a); // adopted, not refreshed with the spent token
    CHECK(f.token_requests() == before + 1);
    // Had the second spent the old refresh token, IMS would have revoked the whole login.
    REQUIRE(f.me(first));
    REQUIRE(f.me(second));
}

TEST_CASE("IMS server-to-server: a new token before expiry", "[integration][ims]") {
    Ims f;
    ImsClient ims(*f.transport);
    SECTION("a wrong secret") {
        auto r = ims_s2s_login(ims, f.base(), "s2s1", "nope-secret", f.base(), f.clock);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::invalid_config);
        CHECK_THAT(r.error().message, Catch::Contains("OAuth Server-to-Server"));
        check_no_secret(r.error().message, {"nope-secret"});
    }
    SECTION("login, use, renewal") {
        auto creds = ims_s2s_login(ims, f.base(), "s2s1", k_s2s_secret, f.base(), f.clock);
        INFO((creds ? "" : creds.error().message));
        REQUIRE(creds);
        CHECK_FALSE(creds->refresh_token);
        REQUIRE(creds->expires_at);
        REQUIRE(f.store.save(*creds));
        ImsS2sTokenProvider p(f.store, *f.transport, f.clock, *creds, secret_of(k_s2s_secret));
        auto me = f.me(p);
        INFO((me ? "" : me.error().message));
        REQUIRE(me);
        CHECK_THAT(me->name, Catch::StartsWith("Service Account User"));
        const long before = f.token_requests();
        f.advance(
            std::chrono::duration_cast<std::chrono::seconds>(*creds->expires_at - f.clock.now()) -
            60s);
        auto again = f.me(p);
        INFO((again ? "" : again.error().message));
        REQUIRE(again);
        CHECK(again->id == me->id);
        CHECK(f.token_requests() == before + 1);
        auto saved = f.store.load();
        REQUIRE(saved);
        CHECK((*saved)->access_token != creds->access_token);
    }
}

TEST_CASE("a V4 legacy token needs its header", "[integration][ims]") {
    Ims f;
    const auto creds = legacy_token_credentials("legacy1", f.base());
    auto p = make_legacy_token_provider(creds);
    REQUIRE(f.me(*p, creds.legacy_token_auth()));
    auto without = f.me(*p, false);
    REQUIRE_FALSE(without);
    CHECK(without.error().code == ErrorCode::unauthorized);
    CHECK_THAT(without.error().message, Catch::Contains("may not accept legacy tokens"));
}

TEST_CASE("a token without additional_info.roles is refused by /v4", "[integration][ims]") {
    Ims f;
    auto attempt = start_ims_login(f.base(), "web1", k_redirect);
    REQUIRE(attempt);
    const std::string location =
        f.authorize(ims_authorize_url(f.base(), "web1", k_redirect, attempt->pkce.state,
                                      attempt->pkce.challenge, "openid,AdobeID,offline_access"));
    ImsClient ims(*f.transport);
    auto creds = finish_ims_login(ims, *attempt, location, k_web_secret, f.base(), f.clock);
    REQUIRE(creds);
    CHECK(f.me_status(creds->access_token) == 401);
}
