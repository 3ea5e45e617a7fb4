// SPDX-License-Identifier: MIT
// Download: `original` is a signed, expiring URL fetched without auth; Range gives 206 with
// Content-Range and an exact Content-Length; storage refuses an incomplete upload's original.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

using namespace fios::test;
using namespace fios::test::emu;

TEST_CASE("full and ranged downloads without an auth header", "[emulator][download]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Download");
    const std::string data = make_bytes(5000, 21);
    auto asset = upload_file(api, str(p, "root_asset_id"), "movie.mp4", data, "video/mp4");
    const auto url = str(asset, "original");
    CHECK(url.rfind(e.base_url() + "/", 0) == 0);

    auto full = fetch(url);
    INFO(full.describe());
    REQUIRE(full.status == 200);
    CHECK(full.curl_code == 0);
    CHECK(full.header("content-length") == "5000");
    CHECK(full.body == data);

    struct RangeCase {
        std::string header;
        std::size_t first;
        std::size_t last;
    };
    for (const auto& rc : std::vector<RangeCase>{{"bytes=0-99", 0, 99},
                                                 {"bytes=1000-2999", 1000, 2999},
                                                 {"bytes=4990-", 4990, 4999},
                                                 {"bytes=-10", 4990, 4999},
                                                 {"bytes=4999-4999", 4999, 4999},
                                                 {"bytes=4000-9999", 4000, 4999}}) {
        INFO(rc.header);
        auto r = fetch(url, {"Range: " + rc.header});
        INFO(r.describe());
        CHECK(r.status == 206);
        CHECK(r.header("content-range") ==
              "bytes " + std::to_string(rc.first) + "-" + std::to_string(rc.last) + "/5000");
        const auto len = rc.last - rc.first + 1;
        CHECK(r.header("content-length") == std::to_string(len));
        CHECK(r.body == data.substr(rc.first, len));
    }
    // A range entirely past the end is not satisfiable.
    auto beyond = fetch(url, {"Range: bytes=5000-5100"});
    CHECK(beyond.status == 416);

    // An Authorization header is not needed, and a wrong one does not matter either way for a
    // pre-signed URL; the signature is what counts.
    auto tampered = url;
    tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
    CHECK(fetch(tampered).status / 100 == 4);
    // With a Range, a refused URL is still refused (not a 206 slice of an error body, nor a
    // 416 that a client would take for a bad range).
    auto tampered_range = fetch(tampered, {"Range: bytes=1000-1999"});
    CHECK(tampered_range.status / 100 == 4);
    CHECK(tampered_range.status != 416);
}

TEST_CASE("an expired download or upload URL is refused - a fresh asset GET renews it",
          "[emulator][download]") {
    Emu e({"--part-size", "1024", "--url-ttl", "600"});
    Api api = e.api();
    auto p = create_project(api, "Expiry");
    const auto root = str(p, "root_asset_id");
    const std::string data = make_bytes(1500, 5);
    auto asset = upload_file(api, root, "a.bin", data);
    const auto old_url = str(asset, "original");
    auto pending = create_file(api, root, "pending.bin", 100);
    const auto old_part = upload_urls(pending)[0];

    advance_clock(api, 500);
    CHECK(fetch(old_url).status == 200);
    advance_clock(api, 101);
    auto expired = fetch(old_url);
    INFO(expired.describe());
    CHECK(expired.status / 100 == 4);
    CHECK(expired.body != data);
    auto expired_range = fetch(old_url, {"Range: bytes=100-199"});
    CHECK(expired_range.status / 100 == 4);
    CHECK(expired_range.status != 416);
    auto expired_put = put_part(old_part, make_bytes(100, 1));
    CHECK(expired_put.status / 100 == 4);
    CHECK(get_asset(api, str(pending, "id"))["upload_completed_at"].IsNull());

    auto fresh = get_asset(api, str(asset, "id"));
    auto again = fetch(str(fresh, "original"));
    CHECK(again.status == 200);
    CHECK(again.body == data);
}

TEST_CASE("only completed uploads can be downloaded", "[emulator][download]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Incomplete");
    const auto root = str(p, "root_asset_id");
    auto file = create_file(api, root, "half.bin", 3000);
    const auto id = str(file, "id");
    // Every file carries an original from its create answer on; storage refuses it until the
    // upload completed.
    CHECK(fetch(str(get_asset(api, id), "original")).status == 404);
    auto urls = upload_urls(file);
    REQUIRE(urls.size() == 3);
    REQUIRE(put_part(urls[0], make_bytes(1000, 1)).status == 200);
    auto half = get_asset(api, id);
    CHECK(fetch(str(half, "original")).status == 404);
    CHECK(is_null(half, "upload_completed_at"));
    // Folders have none (the key may be absent on folders, as on Frame.io's stacks).
    auto root_asset = get_asset(api, root);
    CHECK((!root_asset.HasMember("original") || root_asset["original"].IsNull()));
    // In a listing, the file's is refused too.
    auto children = list_children(api, root);
    REQUIRE(children.size() == 1);
    CHECK(fetch(str(children[0], "original")).status == 404);
}
