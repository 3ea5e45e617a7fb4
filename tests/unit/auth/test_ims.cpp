// SPDX-License-Identifier: MIT
// Adobe IMS (V4 login): authorize URL, what the user pastes, token requests per client type,
// and the messages for IMS refusals. The transport is scripted (FakeTransport).
#include "unit/auth/fake_transport.hpp"

#include "fios/auth/ims.hpp"
#include "fios/auth/pkce.hpp"
#include "fios/auth/url.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <map>
#include <string>

using fios::ErrorCode;
using fios::FakeClock;
using fios::Result;
using fios::net::HttpRequest;
using fios::net::HttpResponse;
using fios::test::FakeTransport;
using fios::test::json_response;
using namespace fios::auth;
using namespace std::chrono_literals;

namespace {

const std::string k_ims = "https://ims.example.test";
const std::string k_redirect = "https://localhost:8443/cb";
const std::string k_code = "code-SECRET-c1";
const std::string k_verifier = "verifier-SECRET-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string k_secret = "client-SECRET-s3";

std::map<std::string, std::string> query_map(std::string_view query) {
    auto pairs = parse_query(query);
    REQUIRE(pairs);
    std::map<std::string, std::string> out;
    for (auto& [k, v] : *pairs) {
        REQUIRE(out.count(k) == 0);
        out[k] = v;
    }
    return out;
}

std::string header_of(const HttpRequest& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name)
            return v;
    }
    return {};
}

std::string base64_decode(const std::string& text) {
    std::string out(text.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '\0') // padding decoded as zero bytes
        out.pop_back();
    return out;
}

void check_no_secret(const std::string& message) {
    INFO(message);
    CHECK(message.find("-SECRET") == std::string::npos); // not FRAMEIO_CLIENT_SECRET
}

const char* k_tokens =
    R"({"access_token":"access-SECRET-1","refresh_token":"refresh-SECRET-1","sub":"u",)"
    R"("id_token":"x.y.z","token_type":"bearer","expires_in":86399})";

} // namespace

TEST_CASE("the IMS authorize URL carries every parameter of the PKCE flow", "[auth][ims]") {
    const std::string url =
        ims_authorize_url(k_ims + "/", "web1", k_redirect, "st-1", "challenge-abc");
    const std::string prefix = k_ims + "/ims/authorize/v2?";
    REQUIRE(url.rfind(prefix, 0) == 0);
    auto q = query_map(url.substr(prefix.size()));
    CHECK(q == std::map<std::string, std::string>{
                   {"client_id", "web1"},
                   {"redirect_uri", k_redirect},
                   {"scope", "openid,AdobeID,email,profile,offline_access,additional_info.roles"},
                   {"response_type", "code"},
                   {"state", "st-1"},
                   {"code_challenge", "challenge-abc"},
                   {"code_challenge_method", "S256"}});
    CHECK(ims_token_url(k_ims + "//") == k_ims + "/ims/token/v3");
}

TEST_CASE("start_ims_login makes a fresh verifier, S256 challenge and state", "[auth][ims]") {
    auto a = start_ims_login(k_ims, "spa1", k_redirect);
    REQUIRE(a);
    CHECK(is_valid_code_verifier(a->pkce.verifier));
    CHECK(a->pkce.challenge == code_challenge_s256(a->pkce.verifier));
    auto q = query_map(a->authorize_url.substr(a->authorize_url.find('?') + 1));
    CHECK(q["state"] == a->pkce.state);
    CHECK(q["code_challenge"] == a->pkce.challenge);
    auto b = start_ims_login(k_ims, "spa1", k_redirect);
    REQUIRE(b);
    CHECK(b->pkce.state != a->pkce.state);
    CHECK(b->pkce.verifier != a->pkce.verifier);
}

TEST_CASE("a pasted address or a bare code gives the code", "[auth][ims]") {
    SECTION("the whole address, state checked") {
        auto c =
            ims_code_from_paste("  " + k_redirect + "?code=" + k_code + "&state=st-1\n", "st-1");
        REQUIRE(c);
        CHECK(*c == k_code);
    }
    SECTION("an address with a fragment and escapes") {
        auto c = ims_code_from_paste(k_redirect + "?state=st%2F1&code=a%2Bb#frag", "st/1");
        REQUIRE(c);
        CHECK(*c == "a+b");
    }
    SECTION("just the query") {
        auto c = ims_code_from_paste("code=" + k_code + "&state=st-1", "st-1");
        REQUIRE(c);
        CHECK(*c == k_code);
    }
    SECTION("just the code: no state to check") {
        auto c = ims_code_from_paste("\t" + k_code + " \n", "st-1");
        REQUIRE(c);
        CHECK(*c == k_code);
    }
}

TEST_CASE("pasted text that is not this login's answer is refused", "[auth][ims]") {
    struct Case {
        std::string pasted;
        ErrorCode code;
        std::string says;
    };
    const std::vector<Case> cases = {
        {k_redirect + "?code=" + k_code + "&state=other", ErrorCode::unauthorized,
         "does not match"},
        {k_redirect + "?code=" + k_code, ErrorCode::unauthorized, "has no `state`"},
        {k_redirect + "?state=st-1", ErrorCode::invalid_request, "no `code`"},
        {k_redirect, ErrorCode::invalid_request, "no `code`"},
        {"   ", ErrorCode::invalid_request, "nothing was pasted"},
        {"two words", ErrorCode::invalid_request, "not an authorization code"},
        {k_redirect + "?code=%zz&state=st-1", ErrorCode::invalid_request, "malformed"},
        {k_redirect + "?error=access_denied&state=st-1", ErrorCode::unauthorized,
         "denied in the browser"},
        {k_redirect + "?error=invalid_scope&error_description=scope+x+unknown&state=st-1",
         ErrorCode::unauthorized, "add the Frame.io API"},
    };
    for (const auto& c : cases) {
        INFO(c.pasted);
        auto r = ims_code_from_paste(c.pasted, "st-1", "web1");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == c.code);
        CHECK_THAT(r.error().message, Catch::Contains(c.says));
        check_no_secret(r.error().message);
    }
    auto scope =
        ims_code_from_paste(k_redirect + "?error=invalid_scope&state=st-1", "st-1", "web1");
    REQUIRE_FALSE(scope);
    CHECK_THAT(scope.error().message,
               Catch::Contains("frameio-sync login --oauth --client-id web1"));
}

TEST_CASE("a Web App exchange authenticates with Basic and sends no scope", "[auth][ims]") {
    FakeTransport t([](const HttpRequest&) { return json_response(200, k_tokens); });
    ImsClient ims(t);
    auto r = ims.exchange_code(k_ims, {"web 1", "s3:cr/et"}, k_code, k_redirect, k_verifier);
    REQUIRE(r);
    CHECK(r->access_token == "access-SECRET-1");
    CHECK(r->refresh_token == std::optional<std::string>("refresh-SECRET-1"));
    CHECK(r->expires_in == std::optional<std::chrono::seconds>(86399s));
    REQUIRE(t.count() == 1);
    const auto req = t.requests()[0];
    CHECK(req.method == fios::net::Method::post);
    CHECK(req.url == k_ims + "/ims/token/v3");
    CHECK(header_of(req, "Content-Type") == "application/x-www-form-urlencoded");
    const std::string auth = header_of(req, "Authorization");
    REQUIRE(auth.rfind("Basic ", 0) == 0);
    // RFC 6749 2.3.1: id and secret are form-urlencoded before Base64.
    CHECK(base64_decode(auth.substr(6)) == "web%201:s3%3Acr%2Fet");
    CHECK(query_map(req.body) ==
          std::map<std::string, std::string>{{"grant_type", "authorization_code"},
                                             {"code", k_code},
                                             {"redirect_uri", k_redirect},
                                             {"code_verifier", k_verifier}});
}

TEST_CASE("a public exchange sends client_id and the verifier, no Authorization", "[auth][ims]") {
    FakeTransport t([](const HttpRequest&) {
        return json_response(200, R"({"access_token":"a","token_type":"bearer","expires_in":60})");
    });
    ImsClient ims(t);
    auto r = ims.exchange_code(k_ims, {"spa1", std::nullopt}, k_code, k_redirect, k_verifier);
    REQUIRE(r);
    CHECK_FALSE(r->refresh_token);
    const auto req = t.requests().at(0);
    CHECK(header_of(req, "Authorization").empty());
    CHECK(query_map(req.body) ==
          std::map<std::string, std::string>{{"grant_type", "authorization_code"},
                                             {"code", k_code},
                                             {"redirect_uri", k_redirect},
                                             {"code_verifier", k_verifier},
                                             {"client_id", "spa1"}});
}

TEST_CASE("refresh and client_credentials bodies", "[auth][ims]") {
    FakeTransport t([](const HttpRequest&) { return json_response(200, k_tokens); });
    ImsClient ims(t);
    REQUIRE(ims.refresh(k_ims, {"spa1", std::nullopt}, "refresh-SECRET-1"));
    REQUIRE(ims.refresh(k_ims, {"web1", k_secret}, "refresh-SECRET-1"));
    REQUIRE(ims.client_credentials(k_ims, "s2s1", k_secret));
    const auto reqs = t.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(query_map(reqs[0].body) ==
          std::map<std::string, std::string>{{"grant_type", "refresh_token"},
                                             {"refresh_token", "refresh-SECRET-1"},
                                             {"client_id", "spa1"}});
    CHECK(query_map(reqs[1].body) ==
          std::map<std::string, std::string>{{"grant_type", "refresh_token"},
                                             {"refresh_token", "refresh-SECRET-1"}});
    CHECK(base64_decode(header_of(reqs[1], "Authorization").substr(6)) == "web1:" + k_secret);
    CHECK(query_map(reqs[2].body) ==
          std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                             {"scope", "openid,AdobeID,frame.s2s.all"}});
    CHECK(base64_decode(header_of(reqs[2], "Authorization").substr(6)) == "s2s1:" + k_secret);
}

TEST_CASE("IMS refusals name the cause and the fix, never a secret", "[auth][ims]") {
    struct Case {
        int status;
        std::string body;
        bool refresh;
        std::optional<std::string> secret;
        ErrorCode code;
        std::vector<std::string> says;
    };
    const std::vector<Case> cases = {
        {401,
         R"({"error":"invalid_client","error_description":"invalid client credentials"})",
         false,
         k_secret,
         ErrorCode::invalid_config,
         {"client id web1 or its client secret", "FRAMEIO_CLIENT_SECRET", "Developer Console"}},
        {401,
         R"({"error":"invalid_client","error_description":"unknown client_id"})",
         false,
         std::nullopt,
         ErrorCode::invalid_config,
         {"refused the client id web1", "Web App credential also needs its client secret"}},
        {400,
         R"({"error":"invalid_grant","error_description":"the authorization code expired"})",
         false,
         std::nullopt,
         ErrorCode::unauthorized,
         {"code expired", "codes last 5 minutes", "frameio-sync login --oauth --client-id web1"}},
        {400,
         R"j({"error":"invalid_grant","error_description":"the refresh token was already used (revoked)"})j",
         true,
         std::nullopt,
         ErrorCode::unauthorized,
         {"can no longer be refreshed", "log in again", "--client-id web1"}},
        {400,
         R"({"error":"invalid_scope","error_description":"scope x was not authorized"})",
         false,
         std::nullopt,
         ErrorCode::unauthorized,
         {"refused the scopes", "additional_info.roles"}},
        {400,
         R"({"error":"invalid_grant","error_description":"redirect_uri differs from the one of the authorization request"})",
         false,
         std::nullopt,
         ErrorCode::invalid_config,
         {"redirect URI https://localhost:8443/cb", "register it in the Adobe Developer Console"}},
        {400,
         R"({"error":"unsupported_grant_type"})",
         false,
         std::nullopt,
         ErrorCode::invalid_config,
         {"may not log in this way"}},
        {400,
         "<html>x-SECRET-y bad request</html>",
         false,
         std::nullopt,
         ErrorCode::unauthorized,
         {"no OAuth error code"}},
        // The server echoing a secret must not leak it.
        {400,
         R"({"error":"invalid_request","error_description":"bad code code-SECRET-c1"})",
         false,
         std::nullopt,
         ErrorCode::unauthorized,
         {"invalid_request", "bad code ***"}},
    };
    for (const auto& c : cases) {
        INFO(c.body);
        FakeTransport t([&](const HttpRequest&) { return json_response(c.status, c.body); });
        ImsClient ims(t);
        auto r = c.refresh
                     ? ims.refresh(k_ims, {"web1", c.secret}, "refresh-SECRET-1")
                     : ims.exchange_code(k_ims, {"web1", c.secret}, k_code, k_redirect, k_verifier);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == c.code);
        CHECK(r.error().http_status == c.status);
        for (const auto& s : c.says)
            CHECK_THAT(r.error().message, Catch::Contains(s));
        check_no_secret(r.error().message);
        CHECK(r.error().message.find("<html>") == std::string::npos);
    }
}

TEST_CASE("server-to-server refusals point at the S2S credential", "[auth][ims]") {
    FakeTransport t(
        [](const HttpRequest&) { return json_response(401, R"({"error":"invalid_client"})"); });
    ImsClient ims(t);
    auto r = ims.client_credentials(k_ims, "s2s1", k_secret);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid_config);
    CHECK_THAT(r.error().message, Catch::Contains("OAuth Server-to-Server"));
    check_no_secret(r.error().message);
}

TEST_CASE("IMS outages stay retryable and name the IMS URL setting", "[auth][ims]") {
    SECTION("a gateway page") {
        FakeTransport t([](const HttpRequest&) {
            HttpResponse r;
            r.status = 502;
            r.body = "<html><body>Bad Gateway x-SECRET-y</body></html>";
            return Result<HttpResponse>(r);
        });
        auto r = ImsClient(t).refresh(k_ims, {"web1", k_secret}, "refresh-SECRET-1");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::server);
        CHECK(r.error().message.find("html") == std::string::npos);
        check_no_secret(r.error().message);
    }
    SECTION("a wrong IMS URL") {
        FakeTransport t([](const HttpRequest&) { return json_response(404, "{}"); });
        auto r = ImsClient(t).client_credentials(k_ims, "s2s1", k_secret);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("FRAMEIO_IMS_URL"));
    }
    SECTION("the network") {
        FakeTransport t([](const HttpRequest&) -> Result<HttpResponse> {
            return fios::Error{ErrorCode::network, "connection refused"};
        });
        auto r = ImsClient(t).exchange_code(k_ims, {"spa1", std::nullopt}, k_code, k_redirect,
                                            k_verifier);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::network);
        CHECK_THAT(r.error().message, Catch::Contains("exchanging the authorization code"));
    }
}

TEST_CASE("finish_ims_login builds the credentials to save", "[auth][ims]") {
    FakeClock clock;
    FakeTransport t([](const HttpRequest&) { return json_response(200, k_tokens); });
    ImsClient ims(t);
    auto a = start_ims_login(k_ims, "web1", k_redirect);
    REQUIRE(a);
    SECTION("web: confidential, with refresh token") {
        auto c =
            finish_ims_login(ims, *a, k_redirect + "?code=" + k_code + "&state=" + a->pkce.state,
                             k_secret, "https://api.example.test", clock);
        REQUIRE(c);
        CHECK(c->api == ApiGeneration::v4);
        CHECK(c->kind == CredentialKind::ims_user);
        CHECK(c->confidential);
        CHECK(c->client_id == "web1");
        CHECK(c->ims_url == k_ims);
        CHECK(c->api_url == "https://api.example.test");
        CHECK(c->refresh_token == std::optional<std::string>("refresh-SECRET-1"));
        CHECK(c->expires_at == clock.now() + 86399s);
        CHECK(c->scopes.size() == 6);
        CHECK_FALSE(c->login_expires_at());
        CHECK_FALSE(c->legacy_token_auth());
        CHECK(query_map(t.requests().at(0).body)["code_verifier"] == a->pkce.verifier);
    }
    SECTION("a wrong state sends nothing") {
        auto c = finish_ims_login(ims, *a, k_redirect + "?code=" + k_code + "&state=x",
                                  std::nullopt, "https://api.example.test", clock);
        REQUIRE_FALSE(c);
        CHECK(t.count() == 0);
    }
}

TEST_CASE("S2S and legacy-token credentials", "[auth][ims]") {
    FakeClock clock;
    FakeTransport t([](const HttpRequest&) { return json_response(200, k_tokens); });
    ImsClient ims(t);
    auto s = ims_s2s_login(ims, k_ims, "s2s1", k_secret, "https://api.example.test", clock);
    REQUIRE(s);
    CHECK(s->kind == CredentialKind::ims_s2s);
    CHECK(s->confidential);
    CHECK_FALSE(s->refresh_token);
    CHECK(s->login_command() == "frameio-sync login --s2s --client-id s2s1");
    const auto l = legacy_token_credentials("tok", "https://api.example.test");
    CHECK(l.api == ApiGeneration::v4);
    CHECK(l.legacy_token_auth());
    CHECK_FALSE(l.expires_at);
}

TEST_CASE("format_utc", "[auth][ims]") {
    CHECK(format_utc(fios::Clock::time_point(std::chrono::seconds(1'700'000'000))) ==
          "2023-11-14 22:13 UTC");
}
