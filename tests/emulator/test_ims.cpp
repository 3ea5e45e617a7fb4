// SPDX-License-Identifier: MIT
// The Adobe IMS stand-in: GET /ims/authorize/v2 and POST /ims/token/v3 with web, spa, native
// and server-to-server credentials (Adobe's IMS API reference, docs/frameio-api-v4.md §1), and
// how its tokens are accepted on /v4 and refused on /v2.
#include "emulator/v4_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <memory>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

const std::string k_verifier = "ims-contract-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
const std::string k_redirect = "https://localhost:8443/callback";
const std::string k_scope = "openid,AdobeID,email,profile,offline_access,additional_info.roles";
/// A V4 route every V4 login may call.
const std::string k_v4_path = "/v4/accounts";

struct Authorize {
    std::string client_id = "contract-tests";
    std::string redirect_uri = k_redirect;
    std::string scope = k_scope;
    std::string state = "st4te";
    std::string challenge;
    std::string method;
};

HttpResponse authorize(const std::string& base_url, const Authorize& a) {
    std::string url = base_url + "/ims/authorize/v2?response_type=code";
    const auto add = [&](const char* key, const std::string& value) {
        if (!value.empty())
            url += std::string("&") + key + "=" + url_encode(value);
    };
    add("client_id", a.client_id);
    add("redirect_uri", a.redirect_uri);
    add("scope", a.scope);
    add("state", a.state);
    add("code_challenge", a.challenge);
    add("code_challenge_method", a.method);
    HttpRequest req;
    req.url = url;
    return perform(req);
}

/// The code of a successful authorize redirect; throws otherwise.
std::string code_of(const HttpResponse& r) {
    const auto code = query_params(r.header("location"))["code"];
    if (r.status != 302 || code.empty())
        throw std::runtime_error("authorize gave no code: " + r.describe());
    return code;
}

HttpResponse token(const std::string& base_url,
                   const std::vector<std::pair<std::string, std::string>>& fields,
                   std::vector<std::string> headers = {}) {
    std::string form;
    for (const auto& [k, v] : fields)
        form += (form.empty() ? "" : "&") + url_encode(k) + "=" + url_encode(v);
    HttpRequest req;
    req.method = "POST";
    req.url = base_url + "/ims/token/v3";
    req.body = form;
    req.headers = std::move(headers);
    req.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
    return perform(req);
}

std::string basic_header(const std::string& id, const std::string& secret) {
    const std::string raw = id + ":" + secret;
    std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(raw.data()),
                                  static_cast<int>(raw.size()));
    b64.resize(static_cast<std::size_t>(n));
    return "Authorization: Basic " + b64;
}

/// The OAuth error code of a failed token request ("" when the body has none).
std::string error_of(const HttpResponse& r) {
    const auto doc = parse_json(r.body);
    return doc.IsObject() && doc.HasMember("error") ? str(doc, "error") : std::string();
}

/// Exchanges `code` as a public client with `verifier` (open mode or spa/native).
HttpResponse exchange(const std::string& base_url, const std::string& code,
                      const std::string& verifier, const std::string& client_id = "contract-tests",
                      const std::string& redirect_uri = k_redirect) {
    return token(base_url, {{"grant_type", "authorization_code"},
                            {"code", code},
                            {"client_id", client_id},
                            {"code_verifier", verifier},
                            {"redirect_uri", redirect_uri}});
}

/// Open-mode PKCE login; returns the token response.
rapidjson::Document login(const std::string& base_url, const std::string& scope = k_scope) {
    Authorize a;
    a.scope = scope;
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    return expect_json(exchange(base_url, code_of(authorize(base_url, a)), k_verifier), 200);
}

HttpResponse refresh(const std::string& base_url, const std::string& refresh_token,
                     const std::string& client_id = "contract-tests") {
    return token(base_url, {{"grant_type", "refresh_token"},
                            {"refresh_token", refresh_token},
                            {"client_id", client_id}});
}

long v4_status(const std::string& base_url, const std::string& access_token) {
    return V4Api(base_url, access_token, false).get(k_v4_path).status;
}

bool has(const rapidjson::Value& doc, const char* key) {
    return doc.HasMember(key);
}

/// GET /ims/authorize/v2 with a query string sent as is (for repeated or odd parameters).
HttpResponse authorize_raw(const std::string& base_url, const std::string& query) {
    HttpRequest req;
    req.url = base_url + "/ims/authorize/v2?" + query;
    return perform(req);
}

/// POST /ims/token/v3 with a body and headers sent as they are.
HttpResponse token_raw(const std::string& base_url, const std::string& body,
                       std::vector<std::string> headers) {
    HttpRequest req;
    req.method = "POST";
    req.url = base_url + "/ims/token/v3";
    req.body = body;
    req.headers = std::move(headers);
    return perform(req);
}

/// The authorize answer for `redirect_uri` is the 400 error page: no redirect, no code.
void check_refused(const HttpResponse& r, const std::string& redirect_uri) {
    INFO("redirect_uri: " << url_encode(redirect_uri) << " -> " << r.describe() << " "
                          << r.header("location"));
    CHECK(r.status == 400);
    CHECK_FALSE(r.has_header("location"));
    CHECK(r.header("content-type").rfind("text/html", 0) == 0);
}

} // namespace

TEST_CASE("IMS open mode login gives V4 access and the Adobe token response", "[ims]") {
    V4Emu emu;
    const auto doc = login(emu.base_url());
    CHECK(str(doc, "token_type") == "bearer");
    CHECK(int64(doc, "expires_in") == 86399);
    CHECK_FALSE(str(doc, "refresh_token").empty());
    CHECK_FALSE(str(doc, "id_token").empty());
    CHECK_FALSE(str(doc, "sub").empty());
    const std::string access = str(doc, "access_token");
    CHECK(v4_status(emu.base_url(), access) == 200);
    // `sub` is the user the token acts as.
    const auto me = v4_data(V4Api(emu.base_url(), access, false).get("/v4/me"));
    CHECK(str(member(me, "data"), "id") == str(doc, "sub"));
    // An IMS token is unknown to V2, and the V2 developer token unknown to V4.
    CHECK(Api(emu.base_url(), access).get("/v2/me").status == 401);
    CHECK(v4_status(emu.base_url(), k_token) == 401);
    CHECK(V4Api(emu.base_url(), k_token, true).get(k_v4_path).status == 401);
    // The shared fixture helper logs in the same way.
    CHECK(v4_status(emu.base_url(), ims_login(emu.base_url())) == 200);
}

TEST_CASE("IMS authorize redirects with code and state and never to an unregistered URI", "[ims]") {
    V4Emu emu({"--ims-client", "web1:s3cret,type=web,redirect=https://app.example.com/cb?x=*",
               "--ims-client", "web2:other,type=web"});
    Authorize a;
    a.client_id = "web1";
    a.redirect_uri = "https://app.example.com/cb?x=1";
    a.scope = "openid AdobeID additional_info.roles"; // spaces work as well as commas
    const auto ok = authorize(emu.base_url(), a);
    REQUIRE(ok.status == 302);
    const auto location = ok.header("location");
    CHECK(location.rfind("https://app.example.com/cb?x=1&code=", 0) == 0);
    CHECK(query_params(location)["state"] == "st4te");

    SECTION("an unknown client gets an error page") {
        a.client_id = "nobody";
        const auto r = authorize(emu.base_url(), a);
        CHECK(r.status == 400);
        CHECK_FALSE(r.has_header("location"));
        CHECK(r.header("content-type").rfind("text/html", 0) == 0);
    }
    SECTION("a redirect outside the pattern gets an error page") {
        a.redirect_uri = "https://evil.example.com/cb";
        const auto r = authorize(emu.base_url(), a);
        CHECK(r.status == 400);
        CHECK_FALSE(r.has_header("location"));
    }
    SECTION("http is refused for a registered web credential even on loopback") {
        a.client_id = "web2";
        a.redirect_uri = "http://127.0.0.1:53682/cb";
        const auto r = authorize(emu.base_url(), a);
        CHECK(r.status == 400);
        CHECK_FALSE(r.has_header("location"));
        a.redirect_uri = "https://127.0.0.1:53682/cb";
        CHECK(authorize(emu.base_url(), a).status == 302);
    }
    SECTION("an unknown scope is redirected back as invalid_scope") {
        a.scope = "openid,frameio.all";
        auto params = query_params(authorize(emu.base_url(), a).header("location"));
        CHECK(params["error"] == "invalid_scope");
        CHECK(params["state"] == "st4te");
        CHECK(params.count("code") == 0);
    }
    SECTION("a state over 4096 characters is refused") {
        a.state = std::string(4097, 's');
        auto params = query_params(authorize(emu.base_url(), a).header("location"));
        CHECK(params["error"] == "invalid_request");
        CHECK(params.count("code") == 0);
    }
}

TEST_CASE("IMS web credentials authenticate with Basic or client_secret in the body", "[ims]") {
    V4Emu emu({"--ims-client", "web1:s3cret,type=web,redirect=https://app.example.com/cb"});
    Authorize a;
    a.client_id = "web1";
    a.redirect_uri = "https://app.example.com/cb";
    const auto fields = [&](const std::string& code) {
        return std::vector<std::pair<std::string, std::string>>{
            {"grant_type", "authorization_code"}, {"code", code}};
    };
    const auto basic = token(emu.base_url(), fields(code_of(authorize(emu.base_url(), a))),
                             {basic_header("web1", "s3cret")});
    const auto basic_doc = expect_json(basic, 200);
    CHECK(v4_status(emu.base_url(), str(basic_doc, "access_token")) == 200);
    CHECK_FALSE(str(basic_doc, "refresh_token").empty());

    auto body_fields = fields(code_of(authorize(emu.base_url(), a)));
    body_fields.emplace_back("client_id", "web1");
    body_fields.emplace_back("client_secret", "s3cret");
    CHECK(token(emu.base_url(), body_fields).status == 200);

    auto wrong = fields(code_of(authorize(emu.base_url(), a)));
    const auto bad = token(emu.base_url(), wrong, {basic_header("web1", "guess-s3cret")});
    CHECK(bad.status == 401);
    CHECK(error_of(bad) == "invalid_client");
    CHECK(bad.body.find("guess-s3cret") == std::string::npos);
    wrong.emplace_back("client_id", "web1");
    const auto missing = token(emu.base_url(), wrong);
    CHECK(missing.status == 401);
    CHECK(error_of(missing) == "invalid_client");
    // The refresh grant authenticates the same way.
    const auto r =
        token(emu.base_url(),
              {{"grant_type", "refresh_token"}, {"refresh_token", str(basic_doc, "refresh_token")}},
              {basic_header("web1", "s3cret")});
    CHECK(r.status == 200);
}

TEST_CASE("IMS spa and native credentials need a matching PKCE verifier", "[ims]") {
    V4Emu emu({"--ims-client", "spa1,type=spa,redirect=https://spa.example.com/*", "--ims-client",
               "native1,type=native,redirect=adobe+4f2a://callback"});
    Authorize spa;
    spa.client_id = "spa1";
    spa.redirect_uri = "https://spa.example.com/done";
    spa.challenge = pkce_s256(k_verifier);
    spa.method = "S256";
    Authorize native;
    native.client_id = "native1";
    native.redirect_uri = "adobe+4f2a://callback";
    native.challenge = k_verifier; // method omitted: plain

    SECTION("S256 and plain succeed; no refresh token for public clients by default") {
        const auto s = expect_json(exchange(emu.base_url(), code_of(authorize(emu.base_url(), spa)),
                                            k_verifier, "spa1", spa.redirect_uri),
                                   200);
        CHECK_FALSE(has(s, "refresh_token"));
        CHECK(v4_status(emu.base_url(), str(s, "access_token")) == 200);
        const auto n =
            expect_json(exchange(emu.base_url(), code_of(authorize(emu.base_url(), native)),
                                 k_verifier, "native1", native.redirect_uri),
                        200);
        CHECK_FALSE(has(n, "refresh_token"));
        CHECK(v4_status(emu.base_url(), str(n, "access_token")) == 200);
    }
    SECTION("a wrong, short or missing verifier fails") {
        const std::string other = k_verifier.substr(1) + "X";
        auto r = exchange(emu.base_url(), code_of(authorize(emu.base_url(), spa)), other, "spa1");
        CHECK(r.status == 400);
        CHECK(error_of(r) == "invalid_grant");
        r = exchange(emu.base_url(), code_of(authorize(emu.base_url(), native)),
                     k_verifier.substr(0, 42), "native1", native.redirect_uri);
        CHECK(r.status == 400);
        r = token(emu.base_url(), {{"grant_type", "authorization_code"},
                                   {"code", code_of(authorize(emu.base_url(), spa))},
                                   {"client_id", "spa1"}});
        CHECK(r.status == 400);
        CHECK(error_of(r) == "invalid_request");
    }
    SECTION("a public client must send a code_challenge") {
        spa.challenge.clear();
        spa.method.clear();
        auto params = query_params(authorize(emu.base_url(), spa).header("location"));
        CHECK(params["error"] == "invalid_request");
        CHECK(params.count("code") == 0);
    }
    SECTION("a native credential redirects only to its adobe+ scheme") {
        native.redirect_uri = "https://localhost/callback";
        CHECK(authorize(emu.base_url(), native).status == 400);
    }
}

TEST_CASE("IMS --ims-refresh-for-public gives spa credentials a refresh token", "[ims]") {
    V4Emu emu({"--ims-client", "spa1,type=spa", "--ims-refresh-for-public"});
    Authorize a;
    a.client_id = "spa1";
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    const auto doc = expect_json(
        exchange(emu.base_url(), code_of(authorize(emu.base_url(), a)), k_verifier, "spa1"), 200);
    const std::string rt = str(doc, "refresh_token");
    CHECK(expect_json(refresh(emu.base_url(), rt, "spa1"), 200).HasMember("access_token"));
}

TEST_CASE("IMS code replay fails and revokes the tokens issued from it", "[ims]") {
    V4Emu emu;
    Authorize a;
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    const std::string code = code_of(authorize(emu.base_url(), a));
    const auto doc = expect_json(exchange(emu.base_url(), code, k_verifier), 200);
    const std::string access = str(doc, "access_token");
    REQUIRE(v4_status(emu.base_url(), access) == 200);
    const auto replay = exchange(emu.base_url(), code, k_verifier);
    CHECK(replay.status == 400);
    CHECK(error_of(replay) == "invalid_grant");
    CHECK(v4_status(emu.base_url(), access) == 401);
    CHECK(error_of(refresh(emu.base_url(), str(doc, "refresh_token"))) == "invalid_grant");
}

TEST_CASE("IMS codes expire after five minutes and bind their redirect_uri", "[ims]") {
    V4Emu emu;
    Authorize a;
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    const std::string late = code_of(authorize(emu.base_url(), a));
    const std::string moved = code_of(authorize(emu.base_url(), a));
    const auto r = exchange(emu.base_url(), moved, k_verifier, "contract-tests",
                            "https://localhost:8443/other");
    CHECK(r.status == 400);
    CHECK(error_of(r) == "invalid_grant");
    advance_clock(emu.v2_api(), 301);
    const auto expired = exchange(emu.base_url(), late, k_verifier);
    CHECK(expired.status == 400);
    CHECK(error_of(expired) == "invalid_grant");
}

TEST_CASE("IMS refresh rotates and the old refresh token is revoked", "[ims]") {
    V4Emu emu;
    const auto first = login(emu.base_url());
    const std::string rt1 = str(first, "refresh_token");
    const auto second = expect_json(refresh(emu.base_url(), rt1), 200);
    const std::string rt2 = str(second, "refresh_token");
    CHECK(rt2 != rt1);
    CHECK(int64(second, "expires_in") == 86399);
    CHECK(v4_status(emu.base_url(), str(second, "access_token")) == 200);
    const auto reused = refresh(emu.base_url(), rt1);
    CHECK(reused.status == 400);
    CHECK(error_of(reused) == "invalid_grant");
    CHECK(reused.body.find(rt1) == std::string::npos);
}

TEST_CASE("IMS --ims-no-rotation keeps the refresh token valid", "[ims]") {
    V4Emu emu({"--ims-no-rotation"});
    const std::string rt = str(login(emu.base_url()), "refresh_token");
    CHECK(refresh(emu.base_url(), rt).status == 200);
    const auto again = expect_json(refresh(emu.base_url(), rt), 200);
    CHECK(v4_status(emu.base_url(), str(again, "access_token")) == 200);
}

TEST_CASE("IMS issues no refresh token without offline_access", "[ims]") {
    V4Emu emu;
    const auto doc = login(emu.base_url(), "openid,AdobeID,additional_info.roles");
    CHECK_FALSE(has(doc, "refresh_token"));
    const auto no_openid = login(emu.base_url(), "AdobeID,additional_info.roles");
    CHECK_FALSE(has(no_openid, "id_token"));
}

TEST_CASE("IMS client_credentials for server-to-server credentials", "[ims]") {
    V4Emu emu({"--ims-s2s", "s2s1:topsecret"});
    const auto grant = [&](const std::string& secret, const std::string& scope) {
        return token(emu.base_url(), {{"grant_type", "client_credentials"},
                                      {"client_id", "s2s1"},
                                      {"client_secret", secret},
                                      {"scope", scope}});
    };
    const auto ok = grant("topsecret", "openid,AdobeID,frame.s2s.all");
    const auto doc = expect_json(ok, 200);
    CHECK(str(doc, "token_type") == "bearer");
    CHECK(int64(doc, "expires_in") == 86399);
    CHECK_FALSE(has(doc, "refresh_token"));
    CHECK(Api(emu.base_url(), str(doc, "access_token")).get("/v2/me").status == 401);
    const auto wrong = grant("not-it", "openid,AdobeID,frame.s2s.all");
    CHECK(wrong.status == 401);
    CHECK(error_of(wrong) == "invalid_client");
    CHECK(error_of(grant("topsecret", "openid,offline_access")) == "invalid_scope");
    CHECK(error_of(grant("topsecret", "openid,frame.all")) == "invalid_scope");
}

TEST_CASE("IMS access tokens expire with --token-ttl", "[ims]") {
    V4Emu emu({"--token-ttl", "60"});
    const auto doc = login(emu.base_url());
    CHECK(int64(doc, "expires_in") == 60);
    const std::string access = str(doc, "access_token");
    const V4Api api(emu.base_url(), access, false);
    CHECK(api.get("/v4/me").status == 200);
    advance_clock(emu.v2_api(), 61);
    CHECK(api.get("/v4/me").status == 401);
    // The refresh token outlives it.
    CHECK(refresh(emu.base_url(), str(doc, "refresh_token")).status == 200);
}

TEST_CASE("IMS tokens without additional_info.roles get 401 on V4", "[ims]") {
    V4Emu emu;
    const auto doc = login(emu.base_url(), "openid,AdobeID,email,profile,offline_access");
    CHECK(v4_status(emu.base_url(), str(doc, "access_token")) == 401);
    // Narrowing the scope at the exchange drops the role claim too.
    Authorize a;
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    const auto narrowed = token(emu.base_url(), {{"grant_type", "authorization_code"},
                                                 {"code", code_of(authorize(emu.base_url(), a))},
                                                 {"client_id", "contract-tests"},
                                                 {"code_verifier", k_verifier},
                                                 {"scope", "openid,AdobeID"}});
    CHECK(v4_status(emu.base_url(), str(expect_json(narrowed, 200), "access_token")) == 401);
}

TEST_CASE("IMS token route is counted and honours fail-next", "[ims]") {
    V4Emu emu;
    const auto admin = emu.v2_api();
    const auto set = admin.post_json("/_emulator/fail-next",
                                     R"({"route":"POST /ims/token/v3","count":1,"status":429})");
    REQUIRE(set.status / 100 == 2);
    Authorize a;
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    const std::string code = code_of(authorize(emu.base_url(), a));
    const auto failed = exchange(emu.base_url(), code, k_verifier);
    CHECK(failed.status == 429);
    CHECK(error_of(failed) == "temporarily_unavailable");
    // Failed before the exchange: the code is still good.
    CHECK(exchange(emu.base_url(), code, k_verifier).status == 200);
    const auto stats = expect_json(admin.get("/_emulator/stats"));
    CHECK(int64(member(stats, "requests"), "POST /ims/token/v3") == 2);
    CHECK(int64(member(stats, "requests"), "GET /ims/authorize/v2") == 1);
}

TEST_CASE("IMS tokens survive kill -9 and a restart with --data", "[ims]") {
    TempDir data("fios-emu-ims");
    const EmuOptions options = v4_options({"--data", data.path().string()});
    auto first = std::make_unique<EmulatorProcess>(emulator_args(options));
    const auto doc = login(first->base_url());
    const std::string access = str(doc, "access_token");
    REQUIRE(v4_status(first->base_url(), access) == 200);
    first->kill_hard();
    first.reset();

    EmulatorProcess second(emulator_args(options));
    CHECK(v4_status(second.base_url(), access) == 200);
    const auto refreshed = expect_json(refresh(second.base_url(), str(doc, "refresh_token")), 200);
    CHECK(v4_status(second.base_url(), str(refreshed, "access_token")) == 200);
}

TEST_CASE("IMS redirect wildcards never let the host port path or query escape", "[ims]") {
    V4Emu emu({"--ims-client", "wild:wsec,type=web,redirect=https://*.example.com/cb",
               "--ims-client", "port:psec,type=web,redirect=https://localhost:*/cb", "--ims-client",
               "path:qsec,type=web,redirect=https://app.example.com/cb/*"});
    const auto attempt = [&](const std::string& client, const std::string& uri) {
        Authorize a;
        a.client_id = client;
        a.redirect_uri = uri;
        return authorize(emu.base_url(), a);
    };
    for (const auto& [client, uri] : std::vector<std::pair<std::string, std::string>>{
             {"wild", "https://app.example.com/cb"},
             {"wild", "https://A-1.Example.COM/cb"}, // hosts compare case-insensitively
             {"port", "https://localhost:8443/cb"},
             {"path", "https://app.example.com/cb/done"},
             {"path", "https://app.example.com/cb/"}}) {
        const auto r = attempt(client, uri);
        INFO(uri);
        CHECK(r.header("location").rfind(uri + "?code=", 0) == 0);
    }
    for (const auto& [client, uri] : std::vector<std::pair<std::string, std::string>>{
             {"wild", "https://evil.com/.example.com/cb"},
             {"wild", "https://evil.com?.example.com/cb"},
             {"wild", "https://evil.com\\.example.com/cb"},
             {"wild", "https://evil.com%3F.example.com/cb"},
             {"wild", "https://evil.com#.example.com/cb"},
             {"wild", "https://evil.com@a.example.com/cb"},
             {"wild", "https://a.b.example.com/cb"}, // `*` is one DNS label
             {"wild", "https://.example.com/cb"},
             {"wild", "https://app.example.com/CB"},
             {"wild", "https://app.example.com/cb?x=1"},
             {"wild", "https://app.example.com:443/cb"},
             {"port", "https://localhost:.evil.example/cb"},
             {"port", "https://localhost:1%2F%2Fevil.example/cb"},
             {"port", "https://localhost:1/x/../../cb"},
             {"port", "https://localhost:1/./cb"},
             {"port", "https://localhost:1/evil/cb"},
             {"port", "https://localhost:99999/cb"},
             {"port", "https://localhost:/cb"},
             {"path", "https://app.example.com/cb/a/b"},
             {"path", "https://app.example.com/cb/%2E%2E"},
             {"path", "https://app.example.com/cb/a%2Fb"},
             {"path", "https://app.example.com/cb/a%5Cb"},
             {"path", "https://app.example.com/cb/.."},
             {"path", "https://app.example.com/cb/x?y=1"},
             {"path", "https://app.example.com/cb/a@b"}}) {
        INFO("client " << client);
        check_refused(attempt(client, uri), uri);
    }
}

TEST_CASE("IMS control characters in redirect_uri or state give the error page", "[ims]") {
    V4Emu emu({"--ims-client", "wild:wsec,type=web,redirect=https://*.example.com/cb",
               "--ims-client", "port:psec,type=web,redirect=https://localhost:*/cb"});
    Authorize a;
    a.client_id = "wild";
    for (const std::string& uri : {std::string("https://evil.com\0.example.com/cb", 32),
                                   std::string("https://a.example.com/c b"),
                                   std::string("https://a.example.com/cb\r\nSet-Cookie: a=b"),
                                   std::string("https://a.example.com/cb\x7f")}) {
        a.redirect_uri = uri;
        check_refused(authorize(emu.base_url(), a), uri);
    }
    a.client_id = "port";
    for (const std::string& uri : {std::string("https://localhost:1/\0/cb", 24),
                                   std::string("https://localhost:1/x\r\nSet-Cookie: a=b/cb")}) {
        a.redirect_uri = uri;
        check_refused(authorize(emu.base_url(), a), uri);
    }
    a.redirect_uri = "https://localhost:1/cb";
    a.state = "st\r\nSet-Cookie: a=b";
    check_refused(authorize(emu.base_url(), a), a.redirect_uri);
    a.state = std::string("st\0te", 5);
    check_refused(authorize(emu.base_url(), a), a.redirect_uri);

    V4Emu open;
    Authorize o;
    o.redirect_uri = "https://a.example/cb\r\nSet-Cookie: a=b";
    check_refused(authorize(open.base_url(), o), o.redirect_uri);
}

TEST_CASE("IMS user logins cannot be granted frame.s2s.all", "[ims]") {
    V4Emu emu;
    Authorize a;
    a.scope = "AdobeID frame.s2s.all";
    const auto params = query_params(authorize(emu.base_url(), a).header("location"));
    CHECK(params.at("error") == "invalid_scope");
    CHECK(params.count("code") == 0);
    // Nor by narrowing at the exchange or on refresh.
    a.scope = k_scope;
    a.challenge = pkce_s256(k_verifier);
    a.method = "S256";
    const auto narrowed = token(emu.base_url(), {{"grant_type", "authorization_code"},
                                                 {"code", code_of(authorize(emu.base_url(), a))},
                                                 {"client_id", "contract-tests"},
                                                 {"code_verifier", k_verifier},
                                                 {"scope", "AdobeID,frame.s2s.all"}});
    CHECK(narrowed.status == 400);
    CHECK(error_of(narrowed) == "invalid_scope");
    const auto doc = login(emu.base_url());
    const auto refreshed = token(emu.base_url(), {{"grant_type", "refresh_token"},
                                                  {"refresh_token", str(doc, "refresh_token")},
                                                  {"client_id", "contract-tests"},
                                                  {"scope", "AdobeID frame.s2s.all"}});
    CHECK(refreshed.status == 400);
    CHECK(error_of(refreshed) == "invalid_scope");
}

TEST_CASE("IMS open mode allows plain http only to 127.0.0.1 and ::1 and localhost", "[ims]") {
    V4Emu emu;
    Authorize a;
    for (const std::string uri :
         {"http://127.0.0.1:53682/cb", "http://[::1]:53682/cb", "http://LocalHost/cb"}) {
        a.redirect_uri = uri;
        INFO(uri);
        CHECK(authorize(emu.base_url(), a).header("location").rfind(uri + "?code=", 0) == 0);
    }
    for (const std::string uri :
         {"http://127.evil.example/cb", "http://127.0.0.1.nip.io/cb", "http://127.0.0.2/cb",
          "http://localhost.evil.example/cb", "http://[::2]/cb"}) {
        a.redirect_uri = uri;
        check_refused(authorize(emu.base_url(), a), uri);
    }
}

TEST_CASE("IMS native redirects must be adobe+hash scheme URIs", "[ims]") {
    V4Emu emu({"--ims-client", "natany,type=native"});
    Authorize a;
    a.client_id = "natany";
    a.challenge = k_verifier;
    a.redirect_uri = "adobe+4f2a.b-c://adobeid/natany";
    CHECK(authorize(emu.base_url(), a).header("location").rfind(a.redirect_uri + "?code=", 0) == 0);
    for (const std::string uri : {"adobe+", "adobe+://cb", "adobe+x:javascript:alert(1)",
                                  "adobe+ABC://cb", "adobe+abc://", "adobe+abc_1://cb"}) {
        a.redirect_uri = uri;
        check_refused(authorize(emu.base_url(), a), uri);
    }
}

TEST_CASE("IMS refuses repeated parameters at authorize and token", "[ims]") {
    V4Emu emu({"--ims-client", "web1:s3cret,type=web,redirect=https://app.example.com/cb"});
    const std::string ok = "client_id=web1&scope=AdobeID&state=s1&redirect_uri=" +
                           url_encode("https://app.example.com/cb");
    REQUIRE(code_of(authorize_raw(emu.base_url(), ok)).size() > 0);
    // Not yet trusted: the error page.
    check_refused(
        authorize_raw(emu.base_url(), ok + "&redirect_uri=" + url_encode("https://evil.example/")),
        "repeated redirect_uri");
    check_refused(authorize_raw(emu.base_url(), ok + "&client_id=web1"), "repeated client_id");
    // Trusted: redirected back with invalid_request, and no code.
    const auto params =
        query_params(authorize_raw(emu.base_url(), ok + "&scope=openid").header("location"));
    CHECK(params.at("error") == "invalid_request");
    CHECK(params.at("state") == "s1");
    CHECK(params.count("code") == 0);

    const std::string basic = basic_header("web1", "s3cret");
    const std::string form = "Content-Type: application/x-www-form-urlencoded";
    const auto code = [&] { return code_of(authorize_raw(emu.base_url(), ok)); };
    const auto twice =
        token_raw(emu.base_url(),
                  "grant_type=authorization_code&grant_type=client_credentials&code=" + code(),
                  {basic, form});
    CHECK(twice.status == 400);
    CHECK(error_of(twice) == "invalid_request");
    const auto codes = token_raw(emu.base_url(),
                                 "grant_type=authorization_code&code=" + code() + "&code=" + code(),
                                 {basic, form});
    CHECK(error_of(codes) == "invalid_request");
    // A body parameter repeated in the query string counts too.
    HttpRequest req;
    req.method = "POST";
    req.url = emu.base_url() + "/ims/token/v3?code=" + code();
    req.body = "grant_type=authorization_code&code=" + code();
    req.headers = {basic, form};
    CHECK(error_of(perform(req)) == "invalid_request");
}

TEST_CASE("IMS token request details of RFC 6749", "[ims]") {
    V4Emu emu({"--ims-s2s", "s2s1:s3:cr+et", "--ims-client", "web1:s3cret,type=web"});
    const std::string grant = "grant_type=client_credentials&scope=AdobeID";
    const std::string form = "Content-Type: application/x-www-form-urlencoded";
    SECTION("Basic credentials are form-urlencoded before base64 (2.3.1)") {
        CHECK(
            token_raw(emu.base_url(), grant, {basic_header("s2s1", "s3%3Acr%2Bet"), form}).status ==
            200);
        CHECK(
            token_raw(emu.base_url(), grant, {basic_header("s2s%31", "s3:cr%2Bet"), form}).status ==
            200);
        // Undecoded, '+' is a space: not the secret.
        const auto raw = token_raw(emu.base_url(), grant, {basic_header("s2s1", "s3:cr+et"), form});
        CHECK(raw.status == 401);
        CHECK(error_of(raw) == "invalid_client");
        const auto bad = token_raw(emu.base_url(), grant, {basic_header("s2s1", "s3%zz"), form});
        CHECK(error_of(bad) == "invalid_client");
    }
    const std::string basic = basic_header("s2s1", "s3%3Acr%2Bet");
    SECTION("a missing grant_type is invalid_request") {
        const auto r = token_raw(emu.base_url(), "scope=AdobeID", {basic, form});
        CHECK(r.status == 400);
        CHECK(error_of(r) == "invalid_request");
    }
    SECTION("the media type is case-insensitive and may carry parameters") {
        for (const char* type :
             {"Content-Type: Application/X-WWW-Form-Urlencoded",
              "Content-Type: application/x-www-form-urlencoded ; charset=UTF-8"}) {
            INFO(type);
            CHECK(token_raw(emu.base_url(), grant, {basic, type}).status == 200);
        }
        const auto json =
            token_raw(emu.base_url(), "{}", {basic, "Content-Type: application/json"});
        CHECK(error_of(json) == "invalid_request");
    }
    SECTION("a form body over 8192 bytes answers an OAuth error") {
        const std::string pad = "&pad=" + std::string(8200, 'a');
        for (const char* type : {"Content-Type: application/x-www-form-urlencoded",
                                 "Content-Type: Application/X-WWW-Form-Urlencoded"}) {
            INFO(type);
            const auto r = token_raw(emu.base_url(), grant + pad, {basic, type});
            CHECK(r.status == 413);
            CHECK(error_of(r) == "invalid_request");
        }
    }
}

TEST_CASE("IMS option errors never print a secret", "[ims]") {
    for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
             {"--ims-client", "myid:TOPSECRET,type=wbe"},
             {"--ims-client", "myid:TOPSECRET,type=spa"},
             {"--ims-client", "myid:TOPSECRET,type=web,redirect=http://x.example/cb"},
             {"--ims-s2s", "TOPSECRET"}}) {
        std::vector<std::string> argv{emulator_binary(), "--port", "0"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        RunOptions opts;
        opts.deadline = std::chrono::seconds(20);
        const auto r = run_process(argv, opts);
        INFO(extra[1] << " -> " << r.err);
        CHECK(r.exit_code != 0);
        CHECK(r.exit_code < 128);
        CHECK_FALSE(r.err.empty());
        CHECK((r.out + r.err).find("TOPSECRET") == std::string::npos);
        if (extra[0] == "--ims-client")
            CHECK(r.err.find("myid:***") != std::string::npos);
    }
}
