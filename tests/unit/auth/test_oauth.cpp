// SPDX-License-Identifier: MIT
#include "unit/auth/fake_transport.hpp"

#include "fios/auth/oauth.hpp"
#include "fios/auth/url.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

using fios::ErrorCode;
using fios::Result;
using fios::net::HttpRequest;
using fios::net::HttpResponse;
using fios::test::FakeTransport;
using fios::test::json_response;
using namespace fios::auth;

namespace {

const std::string k_refresh = "refresh-SECRET-r1";
const std::string k_code = "code-SECRET-c1";
const std::string k_verifier = "verifier-SECRET-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

std::map<std::string, std::string> form_of(const HttpRequest& r) {
    auto pairs = parse_query(r.body);
    REQUIRE(pairs);
    std::map<std::string, std::string> out;
    for (auto& [k, v] : *pairs) {
        REQUIRE(out.count(k) == 0);
        out[k] = v;
    }
    return out;
}

bool has_header(const HttpRequest& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(),
                       [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
            return true;
        }
    }
    return false;
}

void check_no_secret(const std::string& message) {
    INFO(message);
    CHECK(message.find("SECRET") == std::string::npos);
}

} // namespace

TEST_CASE("percent encoding and form bodies", "[auth][url]") {
    CHECK(percent_encode("aZ09-._~") == "aZ09-._~");
    CHECK(percent_encode("a b+c/d:e?f=g&h") == "a%20b%2Bc%2Fd%3Ae%3Ff%3Dg%26h");
    CHECK(percent_encode("\xC3\xA9") == "%C3%A9");
    CHECK(percent_decode("a%20b+c") == std::optional<std::string>("a b c"));
    CHECK(percent_decode("a+b", false) == std::optional<std::string>("a+b"));
    CHECK_FALSE(percent_decode("%2").has_value());
    CHECK_FALSE(percent_decode("%zz").has_value());
    CHECK(form_encode({{"a", "1 2"}, {"b&", "="}}) == "a=1%202&b%26=%3D");
    auto q = parse_query("a=1&&b=x%2By&c");
    REQUIRE(q);
    REQUIRE(q->size() == 3);
    CHECK((*q)[1] == std::pair<std::string, std::string>("b", "x+y"));
    CHECK((*q)[2] == std::pair<std::string, std::string>("c", ""));
}

TEST_CASE("authorize_url carries every PKCE parameter, percent-encoded", "[auth][oauth]") {
    const std::vector<std::string> scopes{"offline", "asset.read"};
    const auto url = authorize_url("https://applications.frame.io/", "my client",
                                   "http://127.0.0.1:8080", scopes, "st/ate", "chal");
    CHECK(url == "https://applications.frame.io/oauth2/auth?response_type=code"
                 "&client_id=my%20client&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080"
                 "&scope=offline%20asset.read&state=st%2Fate&code_challenge=chal"
                 "&code_challenge_method=S256");
}

TEST_CASE("the default scopes are the original's plus asset.update", "[auth][oauth]") {
    const auto s = default_scopes();
    for (const char* want : {"project.read", "asset.create", "offline", "asset.read", "team.read",
                             "account.read", "asset.delete", "asset.update"}) {
        INFO(want);
        CHECK(std::find(s.begin(), s.end(), want) != s.end());
    }
    CHECK(s.size() == 8);
    CHECK(split_scopes("  a  b ") == std::vector<std::string>{"a", "b"});
    CHECK(join_scopes(s) == k_default_scopes);
}

TEST_CASE("parse_redirect extracts code and state from what the user pastes", "[auth][oauth]") {
    struct Row {
        const char* pasted;
        const char* code;
        const char* state;
    };
    const Row rows[] = {
        {"http://127.0.0.1:8080/?code=abc&state=xyz", "abc", "xyz"},
        {"  http://127.0.0.1:8080/callback?state=xyz&code=abc&scope=a+b  \n", "abc", "xyz"},
        {"code=abc&state=xyz", "abc", "xyz"},
        {"?code=a%2Fb%3D&state=x%20y", "a/b=", "x y"},
        {"http://localhost:1/?code=abc&state=xyz#fragment", "abc", "xyz"},
    };
    for (const auto& row : rows) {
        INFO(row.pasted);
        auto r = parse_redirect(row.pasted);
        REQUIRE(r);
        CHECK(r->code == row.code);
        CHECK(r->state == row.state);
    }
    auto scoped = parse_redirect("http://h/?code=c&state=s&scope=offline%20asset.read");
    REQUIRE(scoped);
    CHECK(scoped->scopes == std::vector<std::string>{"offline", "asset.read"});
}

TEST_CASE("parse_redirect reports error redirects and incomplete URLs", "[auth][oauth]") {
    auto denied = parse_redirect(
        "http://127.0.0.1:8080/?error=access_denied&error_description=The+user+said+no&state=s");
    REQUIRE_FALSE(denied);
    CHECK(denied.error().code == ErrorCode::unauthorized);
    CHECK(denied.error().message.find("access_denied") != std::string::npos);
    CHECK(denied.error().message.find("The user said no") != std::string::npos);
    CHECK(denied.error().message.find("frameio-sync login") != std::string::npos);

    for (const char* bad : {"http://127.0.0.1:8080/", "http://127.0.0.1:8080/?state=s",
                            "http://h/?code=SECRET&state=", "", "state=s&code=%zz"}) {
        INFO(bad);
        auto r = parse_redirect(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::invalid_request);
        check_no_secret(r.error().message);
    }
}

TEST_CASE("code_from_redirect refuses a state that does not match", "[auth][oauth]") {
    auto ok = code_from_redirect("http://h/?code=" + k_code + "&state=s1", "s1");
    REQUIRE(ok);
    CHECK(*ok == k_code);
    auto bad = code_from_redirect("http://h/?code=" + k_code + "&state=s2", "s1");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::unauthorized);
    CHECK(bad.error().message.find("state") != std::string::npos);
    check_no_secret(bad.error().message);
}

TEST_CASE("exchange_code posts a PKCE form without a secret and parses the tokens",
          "[auth][oauth]") {
    FakeTransport transport([](const HttpRequest&) -> Result<HttpResponse> {
        return json_response(200, R"({"access_token":"at-1","expires_in":3600,)"
                                  R"("refresh_token":"rt-1","scope":"offline asset.read",)"
                                  R"("token_type":"bearer"})");
    });
    OAuthClient client(transport);
    auto r = client.exchange_code("http://127.0.0.1:9/", "cid", k_code, "http://127.0.0.1:8080",
                                  k_verifier);
    REQUIRE(r);
    CHECK(r->access_token == "at-1");
    CHECK(r->refresh_token == std::optional<std::string>("rt-1"));
    CHECK(r->expires_in == std::optional(std::chrono::seconds(3600)));
    CHECK(r->scopes == std::vector<std::string>{"offline", "asset.read"});

    const auto reqs = transport.requests();
    REQUIRE(reqs.size() == 1);
    const auto& req = reqs[0];
    CHECK(req.method == fios::net::Method::post);
    CHECK(req.url == "http://127.0.0.1:9/oauth2/token");
    CHECK_FALSE(has_header(req, "Authorization"));
    const auto form = form_of(req);
    CHECK(form.at("grant_type") == "authorization_code");
    CHECK(form.at("code") == k_code);
    CHECK(form.at("redirect_uri") == "http://127.0.0.1:8080");
    CHECK(form.at("client_id") == "cid");
    CHECK(form.at("code_verifier") == k_verifier);
    CHECK(form.count("client_secret") == 0);
    bool form_type = false;
    for (const auto& [k, v] : req.headers) {
        if (k == "Content-Type")
            form_type = v == "application/x-www-form-urlencoded";
    }
    CHECK(form_type);
}

TEST_CASE("refresh posts the refresh token and client id, and a missing new one stays absent",
          "[auth][oauth]") {
    FakeTransport transport([](const HttpRequest&) -> Result<HttpResponse> {
        return json_response(200, R"({"access_token":"at-2","expires_in":60})");
    });
    OAuthClient client(transport);
    auto r = client.refresh("http://auth", "cid", k_refresh);
    REQUIRE(r);
    CHECK(r->access_token == "at-2");
    CHECK_FALSE(r->refresh_token.has_value());
    const auto form = form_of(transport.requests().at(0));
    CHECK(form.at("grant_type") == "refresh_token");
    CHECK(form.at("refresh_token") == k_refresh);
    CHECK(form.at("client_id") == "cid");
    CHECK(form.size() == 3);
}

TEST_CASE("token endpoint failures map to error codes without leaking secrets", "[auth][oauth]") {
    struct Row {
        const char* name;
        int status; // 0: transport error
        std::string body;
        ErrorCode code;
        bool retryable;
        const char* says;
    };
    const std::vector<Row> rows = {
        {"invalid_grant echoing the request", 400,
         R"({"error":"invalid_grant","error_description":"bad request {BODY}"})",
         ErrorCode::unauthorized, false, "frameio-sync login"},
        {"401", 401, R"({"error":"invalid_client"})", ErrorCode::unauthorized, false,
         "frameio-sync login"},
        {"400 not json", 400, "<html>bad</html>", ErrorCode::unauthorized, false,
         "frameio-sync login"},
        {"500", 500, "oops", ErrorCode::server, true, "HTTP 500"},
        {"503", 503, R"({"error":"temporarily_unavailable"})", ErrorCode::server, true,
         "temporarily_unavailable"},
        {"429", 429, "", ErrorCode::rate_limited, true, "HTTP 429"},
        {"404", 404, "", ErrorCode::not_found, false, "--auth-url"},
        {"network", 0, "", ErrorCode::network, true, "connection refused"},
        {"not json", 200, "{", ErrorCode::parse, false, "not a JSON object"},
        {"no access_token", 200, R"({"expires_in":3600})", ErrorCode::parse, false,
         "'access_token' is missing"},
        {"access_token number", 200, R"({"access_token":5})", ErrorCode::parse, false,
         "'access_token'"},
        {"token_type", 200, R"({"access_token":"refresh-SECRET-x","token_type":"mac"})",
         ErrorCode::parse, false, "'token_type'"},
        {"expires_in string", 200, R"({"access_token":"a","expires_in":"soon"})", ErrorCode::parse,
         false, "'expires_in'"},
        {"refresh_token number", 200, R"({"access_token":"a","refresh_token":1})", ErrorCode::parse,
         false, "'refresh_token'"},
        // Found by tests/fuzz/fuzz_token_response: now + expires_in overflowed the clock.
        {"expires_in beyond a century", 200,
         R"({"access_token":"a","expires_in":9223372036854775807})", ErrorCode::parse, false,
         "'expires_in'"},
        {"expires_in 1e11 seconds", 200, R"({"access_token":"a","expires_in":1e11})",
         ErrorCode::parse, false, "'expires_in'"},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.name) {
            FakeTransport transport([&](const HttpRequest& req) -> Result<HttpResponse> {
                if (row.status == 0) {
                    // A careless transport that echoes the body: the client must redact it.
                    return fios::Error{ErrorCode::network,
                                       "connection refused (body " + req.body + ")"};
                }
                std::string body = row.body;
                // A careless server that echoes the request: the client must redact it.
                if (auto at = body.find("{BODY}"); at != std::string::npos) {
                    body.replace(at, 6, req.body);
                }
                auto resp = json_response(row.status, body);
                if (row.status == 429)
                    resp.headers.emplace_back("retry-after", "7");
                return resp;
            });
            OAuthClient client(transport);
            auto r = client.refresh("http://auth", "cid", k_refresh);
            REQUIRE_FALSE(r);
            const auto& e = r.error();
            INFO(e.message);
            CHECK(e.code == row.code);
            CHECK(e.retryable() == row.retryable);
            CHECK(e.message.find(row.says) != std::string::npos);
            check_no_secret(e.message);
            if (row.status == 429) {
                CHECK(e.retry_after == std::optional(std::chrono::milliseconds(7000)));
            }
            // The same failure during a code exchange never shows the code or verifier.
            auto x = client.exchange_code("http://auth", "cid", k_code, "http://r", k_verifier);
            REQUIRE_FALSE(x);
            check_no_secret(x.error().message);
        }
    }
}

TEST_CASE("redact replaces every occurrence of every secret", "[auth][oauth]") {
    CHECK(redact("a-s1-b-s1-s2", {"s1", "s2", ""}) == "a-***-b-***-***");
}
