// SPDX-License-Identifier: MIT
#include "fios/net/url.hpp"

#include <catch2/catch.hpp>

using namespace fios::net;

TEST_CASE("redact_url keeps scheme, host, port and path only", "[net]") {
    CHECK(redact_url("https://s3.example.com/parts/a/1?X-Amz-Signature=abc&X-Amz-Expires=1") ==
          "https://s3.example.com/parts/a/1");
    CHECK(redact_url("http://127.0.0.1:8080/v2/me") == "http://127.0.0.1:8080/v2/me");
    CHECK(redact_url("https://user:secret@host/x#frag") == "https://host/x");
    CHECK(redact_url("https://host?sig=1") == "https://host");
    CHECK(redact_url("https://host/p#a?b") == "https://host/p");
}

TEST_CASE("url_path drops the query", "[net]") {
    CHECK(url_path("https://api.frame.io/v2/assets/x/children?page=2") == "/v2/assets/x/children");
    CHECK(url_path("https://api.frame.io") == "/");
}

TEST_CASE("url_encode leaves unreserved characters alone", "[net]") {
    CHECK(url_encode("abc-DEF_1.2~") == "abc-DEF_1.2~");
    CHECK(url_encode("a b/c?d=e&f") == "a%20b%2Fc%3Fd%3De%26f");
    CHECK(url_encode("\xc3\xa9") == "%C3%A9");
}
