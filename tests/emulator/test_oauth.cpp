// SPDX-License-Identifier: MIT
// OAuth2 like applications.frame.io: /oauth2/auth redirects with code and state, /oauth2/token
// with PKCE S256, refresh only with `offline`, --token-ttl, --oauth-client registrations.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

const std::string k_verifier = "pkce-verifier-for-contract-tests-0123456789-ABCDEFGHIJKLMNOP";
const std::string k_redirect = "http://127.0.0.1:53682/callback";

struct Authorized {
    std::string code;
    std::string location;
};

// Runs /oauth2/auth and returns the code from the redirect (REQUIREs a proper redirect).
Authorized authorize(const std::string& base, const std::string& client,
                     const std::string& redirect, const std::string& scope,
                     const std::string& state = "state-123") {
    auto r = oauth_authorize(base, client, redirect, scope, state, pkce_s256(k_verifier));
    INFO(r.describe());
    REQUIRE(r.status >= 300);
    REQUIRE(r.status <= 399);
    Authorized a;
    a.location = r.header("location");
    INFO("Location: " << a.location);
    REQUIRE(a.location.rfind(redirect, 0) == 0);
    auto params = query_params(a.location);
    CHECK(params["state"] == state);
    CHECK(params.count("error") == 0);
    a.code = params["code"];
    REQUIRE_FALSE(a.code.empty());
    return a;
}

HttpResponse exchange(const std::string& base, const std::string& code, const std::string& client,
                      const std::string& redirect, const std::string& verifier) {
    std::vector<std::pair<std::string, std::string>> form{
        {"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect}};
    if (!client.empty())
        form.emplace_back("client_id", client);
    if (!verifier.empty())
        form.emplace_back("code_verifier", verifier);
    return oauth_token(base, form);
}

bool refused(const HttpResponse& r) {
    return r.status >= 400 && r.status < 500 && r.body.find("access_token") == std::string::npos;
}

// True when the authorize response did not hand out a code to `redirect`: a 4xx, or an error
// redirect that carries error= and no code.
bool authorize_refused(const HttpResponse& r, const std::string& redirect) {
    if (r.status >= 400 && r.status < 500)
        return true;
    if (r.status >= 300 && r.status < 400) {
        auto loc = r.header("location");
        auto params = query_params(loc);
        if (params.count("code"))
            return false;
        // Never an open redirect to an unregistered URI.
        if (loc.rfind(redirect, 0) == 0 && !params.count("error"))
            return false;
        return params.count("error") != 0;
    }
    return false;
}

} // namespace

TEST_CASE("PKCE S256 code flow: redirect with code and state, token works as bearer",
          "[emulator][oauth]") {
    Emu e;
    auto a = authorize(e.base_url(), "any-client", k_redirect, "offline account.read asset.read",
                       "csrf-state-42");
    auto r = exchange(e.base_url(), a.code, "any-client", k_redirect, k_verifier);
    auto doc = expect_json(r);
    const auto access = str(doc, "access_token");
    CHECK_FALSE(access.empty());
    CHECK(int64(doc, "expires_in") == 3600);
    std::string type = str(doc, "token_type");
    for (auto& c : type)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(type == "bearer");
    CHECK(str(doc, "scope").find("account.read") != std::string::npos);
    CHECK(str(doc, "refresh_token").size() > 0);
    auto me = e.api(access).get("/v2/me");
    CHECK(me.status == 200);
    // The token carries only the granted scopes: account.read and asset.read, not asset.create.
    auto project = create_project(e.api(), "OAuth scopes");
    auto create =
        e.api(access).post_json("/v2/assets/" + str(project, "root_asset_id") + "/children",
                                R"({"type":"folder","name":"no"})");
    CHECK(create.status == 403);
}

TEST_CASE("PKCE: a wrong or missing verifier is refused", "[emulator][oauth]") {
    Emu e;
    {
        auto a = authorize(e.base_url(), "cli", k_redirect, "account.read");
        auto r = exchange(e.base_url(), a.code, "cli", k_redirect, k_verifier + "x");
        INFO(r.describe());
        CHECK(refused(r));
    }
    {
        auto a = authorize(e.base_url(), "cli", k_redirect, "account.read");
        auto r = exchange(e.base_url(), a.code, "cli", k_redirect, "");
        INFO(r.describe());
        CHECK(refused(r));
    }
    {
        // An unknown code.
        auto r = exchange(e.base_url(), "no-such-code", "cli", k_redirect, k_verifier);
        INFO(r.describe());
        CHECK(refused(r));
    }
}

TEST_CASE("PKCE: client_id is required and must be the authorizing client", "[emulator][oauth]") {
    Emu e;
    {
        auto a = authorize(e.base_url(), "cli", k_redirect, "account.read");
        auto r = exchange(e.base_url(), a.code, "", k_redirect, k_verifier);
        INFO(r.describe());
        CHECK(refused(r));
    }
    {
        auto a = authorize(e.base_url(), "cli", k_redirect, "account.read");
        auto r = exchange(e.base_url(), a.code, "another-client", k_redirect, k_verifier);
        INFO(r.describe());
        CHECK(refused(r));
    }
}

TEST_CASE("a refresh token only with `offline` - refresh gives a working access token",
          "[emulator][oauth]") {
    Emu e({"--token-ttl", "600"});
    {
        auto a = authorize(e.base_url(), "cli", k_redirect, "account.read asset.read");
        auto doc = expect_json(exchange(e.base_url(), a.code, "cli", k_redirect, k_verifier));
        CHECK((!doc.HasMember("refresh_token") || doc["refresh_token"].IsNull()));
    }
    auto a = authorize(e.base_url(), "cli", k_redirect, "offline account.read asset.read");
    auto doc = expect_json(exchange(e.base_url(), a.code, "cli", k_redirect, k_verifier));
    const auto access = str(doc, "access_token");
    const auto refresh = str(doc, "refresh_token");
    CHECK(int64(doc, "expires_in") == 600);

    // Past the access token's lifetime: 401 for it, and the refresh token still works.
    advance_clock(e.api(), 601);
    CHECK(e.api(access).get("/v2/me").status == 401);
    auto r = oauth_token(
        e.base_url(),
        {{"grant_type", "refresh_token"}, {"refresh_token", refresh}, {"client_id", "cli"}});
    auto refreshed = expect_json(r);
    const auto access2 = str(refreshed, "access_token");
    CHECK(access2 != access);
    CHECK(int64(refreshed, "expires_in") == 600);
    CHECK(e.api(access2).get("/v2/me").status == 200);
    // A refresh token that was never issued is refused.
    CHECK(refused(oauth_token(
        e.base_url(),
        {{"grant_type", "refresh_token"}, {"refresh_token", "forged"}, {"client_id", "cli"}})));
    // Refresh tokens last 30 days: the newest one still works after 29 days, none after 31.
    std::string latest = refresh;
    if (refreshed.HasMember("refresh_token") && refreshed["refresh_token"].IsString()) {
        latest = refreshed["refresh_token"].GetString();
    }
    advance_clock(e.api(), 29LL * 24 * 3600);
    auto r29 = oauth_token(
        e.base_url(),
        {{"grant_type", "refresh_token"}, {"refresh_token", latest}, {"client_id", "cli"}});
    INFO(r29.describe());
    auto doc29 = expect_json(r29);
    if (doc29.HasMember("refresh_token") && doc29["refresh_token"].IsString()) {
        latest = doc29["refresh_token"].GetString();
    }
    // A refresh may issue a new 30-day refresh token: go well past any such lifetime.
    advance_clock(e.api(), 31LL * 24 * 3600);
    CHECK(refused(oauth_token(
        e.base_url(),
        {{"grant_type", "refresh_token"}, {"refresh_token", latest}, {"client_id", "cli"}})));
}

TEST_CASE("without --oauth-client any client id and any loopback redirect are accepted",
          "[emulator][oauth]") {
    Emu e;
    for (const std::string redirect :
         {"http://127.0.0.1:1234/cb", "http://127.0.0.1:65000/other/path"}) {
        for (const std::string client : {"client-a", "b"}) {
            auto a = authorize(e.base_url(), client, redirect, "account.read");
            auto r = exchange(e.base_url(), a.code, client, redirect, k_verifier);
            INFO(redirect << " " << client << " " << r.describe());
            CHECK(r.status == 200);
        }
    }
}

TEST_CASE("registered oauth clients are the only ones and loopback redirects may change port",
          "[emulator][oauth]") {
    Emu e({"--oauth-client", "registered=http://127.0.0.1:8400/callback"});
    // Registered client and its exact redirect.
    {
        auto a =
            authorize(e.base_url(), "registered", "http://127.0.0.1:8400/callback", "account.read");
        auto r = exchange(e.base_url(), a.code, "registered", "http://127.0.0.1:8400/callback",
                          k_verifier);
        CHECK(r.status == 200);
    }
    // Same loopback redirect on another port (RFC 8252 7.3).
    {
        auto a = authorize(e.base_url(), "registered", "http://127.0.0.1:51515/callback",
                           "account.read");
        auto r = exchange(e.base_url(), a.code, "registered", "http://127.0.0.1:51515/callback",
                          k_verifier);
        CHECK(r.status == 200);
    }
    // Another redirect host is refused, without redirecting there.
    {
        const std::string evil = "http://attacker.example.com:8400/callback";
        auto r = oauth_authorize(e.base_url(), "registered", evil, "account.read", "s",
                                 pkce_s256(k_verifier));
        INFO(r.describe() << " Location: " << r.header("location"));
        CHECK(authorize_refused(r, evil));
        CHECK(r.header("location").rfind(evil, 0) != 0);
    }
    // Another path on the loopback host is not the registered redirect either.
    {
        const std::string other = "http://127.0.0.1:8400/elsewhere";
        auto r = oauth_authorize(e.base_url(), "registered", other, "account.read", "s",
                                 pkce_s256(k_verifier));
        INFO(r.describe() << " Location: " << r.header("location"));
        CHECK(authorize_refused(r, other));
    }
    // An unregistered client is refused.
    {
        auto r = oauth_authorize(e.base_url(), "stranger", "http://127.0.0.1:8400/callback",
                                 "account.read", "s", pkce_s256(k_verifier));
        INFO(r.describe() << " Location: " << r.header("location"));
        CHECK(authorize_refused(r, "http://127.0.0.1:8400/callback"));
    }
}

TEST_CASE("an authorization code works once and only with its redirect_uri", "[emulator][oauth]") {
    Emu e;
    // RFC 6749 4.1.2 and 4.1.3: a code is single-use and bound to the redirect_uri it was
    // issued for.
    auto a = authorize(e.base_url(), "cli", k_redirect, "account.read");
    auto first = exchange(e.base_url(), a.code, "cli", k_redirect, k_verifier);
    CHECK(first.status == 200);
    auto again = exchange(e.base_url(), a.code, "cli", k_redirect, k_verifier);
    INFO(again.describe());
    CHECK(refused(again));

    auto b = authorize(e.base_url(), "cli", k_redirect, "account.read");
    auto other_redirect =
        exchange(e.base_url(), b.code, "cli", "http://127.0.0.1:53682/other", k_verifier);
    INFO(other_redirect.describe());
    CHECK(refused(other_redirect));
}
