// SPDX-License-Identifier: MIT
#include "fios/auth/pkce.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace fios::auth;

TEST_CASE("S256 challenge matches the RFC 7636 appendix B vector", "[auth][pkce]") {
    // RFC 7636 appendix B; also what Python's base64.urlsafe_b64encode(sha256(v)) gives.
    CHECK(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("base64url has no padding and uses - and _", "[auth][pkce]") {
    // RFC 4648 test vectors, base64url alphabet, padding stripped.
    CHECK(base64url_encode(std::string_view("")) == "");
    CHECK(base64url_encode(std::string_view("f")) == "Zg");
    CHECK(base64url_encode(std::string_view("fo")) == "Zm8");
    CHECK(base64url_encode(std::string_view("foo")) == "Zm9v");
    CHECK(base64url_encode(std::string_view("foob")) == "Zm9vYg");
    CHECK(base64url_encode(std::string_view("fooba")) == "Zm9vYmE");
    CHECK(base64url_encode(std::string_view("foobar")) == "Zm9vYmFy");
    const unsigned char high[] = {0xfb, 0xff, 0xbf};
    CHECK(base64url_encode(high) == "-_-_");
    // RFC 7636 appendix B: the octets of the verifier's random bytes.
    const unsigned char octets[] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                    125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                    191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
    CHECK(base64url_encode(octets) == "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

TEST_CASE("code verifiers are 43..128 unreserved characters and differ every time",
          "[auth][pkce]") {
    for (std::size_t len : {std::size_t{43}, std::size_t{64}, std::size_t{128}}) {
        auto v = make_code_verifier(len);
        REQUIRE(v);
        CHECK(v->size() == len);
        CHECK(is_valid_code_verifier(*v));
    }
    CHECK_FALSE(make_code_verifier(42));
    CHECK_FALSE(make_code_verifier(129));
    CHECK_FALSE(is_valid_code_verifier(std::string(43, '+')));
    CHECK_FALSE(is_valid_code_verifier(std::string(42, 'a')));

    std::set<std::string> seen;
    std::set<char> chars;
    for (int i = 0; i < 50; ++i) {
        auto v = make_code_verifier();
        REQUIRE(v);
        seen.insert(*v);
        chars.insert(v->begin(), v->end());
    }
    CHECK(seen.size() == 50);
    // 50 * 64 draws from 66 symbols: every symbol shows up (the chance one is missing is
    // about 66 * (65/66)^3200, below 1e-19).
    CHECK(chars.size() == 66);
}

TEST_CASE("state values are random base64url strings", "[auth][pkce]") {
    auto a = make_state();
    auto b = make_state();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->size() == 43);
    CHECK(*a != *b);
    CHECK(
        a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
}

TEST_CASE("a PKCE session's challenge belongs to its verifier", "[auth][pkce]") {
    auto s = make_pkce_session();
    REQUIRE(s);
    CHECK(is_valid_code_verifier(s->verifier));
    CHECK(s->challenge == code_challenge_s256(s->verifier));
    CHECK(s->challenge.size() == 43);
    CHECK_FALSE(s->state.empty());
}
