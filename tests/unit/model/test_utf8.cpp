// SPDX-License-Identifier: MIT
#include "fios/model/utf8.hpp"

#include <catch2/catch.hpp>

#include <string>

using fios::model::decode_utf8;
using fios::model::is_valid_utf8;

TEST_CASE("UTF-8 validation is strict", "[model]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("\xC3\xA9"));         // é
    CHECK(is_valid_utf8("\xE2\x82\xAC"));     // €
    CHECK(is_valid_utf8("\xF0\x9F\x8E\xAC")); // 🎬
    CHECK(is_valid_utf8("\xEF\xBF\xBF"));     // U+FFFF is a valid scalar value
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF")); // U+10FFFF

    CHECK_FALSE(is_valid_utf8("\x80"));             // lone continuation byte
    CHECK_FALSE(is_valid_utf8("\xC3"));             // truncated
    CHECK_FALSE(is_valid_utf8("\xE2\x82"));         // truncated
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));     // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF")); // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // U+110000
    CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("ok\xC3(")); // bad continuation
}

TEST_CASE("decode_utf8 returns code points and advances", "[model]") {
    const std::string s = "a\xC3\xA9\xF0\x9F\x8E\xAC";
    std::size_t pos = 0;
    CHECK(decode_utf8(s, pos) == U'a');
    CHECK(pos == 1);
    CHECK(decode_utf8(s, pos) == U'\u00E9');
    CHECK(pos == 3);
    CHECK(decode_utf8(s, pos) == U'\U0001F3AC');
    CHECK(pos == 7);
    CHECK_FALSE(decode_utf8(s, pos));
    std::size_t bad = 0;
    CHECK_FALSE(decode_utf8("\xC3", bad));
    CHECK(bad == 0);
}
