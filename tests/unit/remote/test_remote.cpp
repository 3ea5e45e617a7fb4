// SPDX-License-Identifier: MIT
#include "fios/remote/remote.hpp"

#include <catch2/catch.hpp>

using namespace fios;
using namespace fios::remote;

namespace {

UploadSession sample() {
    UploadSession s;
    s.asset_id = "a-1";
    s.parent_id = "p-1";
    s.name = "clip one.mov";
    s.filesize = 25;
    s.content_type = "video/quicktime";
    s.parts = {{0, 9, "https://up.test/1?sig=A&x=1"},
               {9, 9, "https://up.test/2?sig=B"},
               {18, 7, "https://up.test/3?sig=C"}};
    return s;
}

} // namespace

TEST_CASE("upload sessions survive their text form", "[remote]") {
    const UploadSession s = sample();
    auto back = decode_session(encode_session(s));
    REQUIRE(back);
    CHECK(*back == s);

    UploadSession empty = sample();
    empty.filesize = 0;
    empty.parts = {{0, 0, "https://up.test/only"}};
    auto e = decode_session(encode_session(empty));
    REQUIRE(e);
    CHECK(*e == empty);
}

TEST_CASE("malformed stored sessions are refused", "[remote]") {
    const std::string good = encode_session(sample());
    CHECK_FALSE(decode_session(""));
    CHECK_FALSE(decode_session("garbage\n"));
    CHECK_FALSE(decode_session(good.substr(0, good.size() - 5)));
    CHECK_FALSE(decode_session(good + "extra\n"));
    std::string gap = good;
    gap.replace(gap.find("9 9 "), 4, "10 9 "); // part 2 does not start where part 1 ends
    CHECK_FALSE(decode_session(gap));
    auto err = decode_session("x");
    REQUIRE_FALSE(err);
    CHECK(err.error().code == ErrorCode::parse);
    CHECK(err.error().message.find("sig=") == std::string::npos);
}

TEST_CASE("content types come from the extension", "[remote]") {
    CHECK(guess_content_type("clip.MOV") == "video/quicktime");
    CHECK(guess_content_type("a.b.mp4") == "video/mp4");
    CHECK(guess_content_type("photo.jpeg") == "image/jpeg");
    CHECK(guess_content_type("README") == "application/octet-stream");
    CHECK(guess_content_type("trailing.") == "application/octet-stream");
    CHECK(guess_content_type("x.unknownext") == "application/octet-stream");
}

TEST_CASE("a stack's content is its head", "[remote]") {
    Item f;
    f.id = "file";
    CHECK(f.content_id() == "file");
    Item s;
    s.id = "stack";
    s.kind = ItemKind::version_stack;
    s.head_asset_id = "head";
    CHECK(s.content_id() == "head");
    CHECK(to_string(ItemKind::version_stack) == "version_stack");
}
