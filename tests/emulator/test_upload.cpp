// SPDX-License-Identifier: MIT
// Upload: number of upload_urls, part PUT checks, parts out of order and repeated,
// upload_completed_at only once every part is in.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

bool completed(const Api& api, const std::string& id) {
    return get_asset(api, id)["upload_completed_at"].IsString();
}

// The bytes the emulator serves for a completed asset.
std::string download(const Api& api, const std::string& id) {
    auto asset = get_asset(api, id);
    auto r = fetch(str(asset, "original"));
    if (r.status != 200)
        throw std::runtime_error("download failed: " + r.describe());
    return r.body;
}

} // namespace

TEST_CASE("upload_urls: n = max(1, ceil(filesize / part size)), on the emulator itself",
          "[emulator][upload]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Parts");
    const auto root = str(p, "root_asset_id");
    const std::vector<std::pair<std::uint64_t, std::size_t>> cases{
        {0, 1}, {1, 1}, {1023, 1}, {1024, 1}, {1025, 2}, {3000, 3}, {10240, 10}, {10241, 11}};
    for (const auto& [size, n] : cases) {
        INFO("filesize " << size);
        auto file = create_file(api, root, "f" + std::to_string(size), size);
        auto urls = upload_urls(file);
        CHECK(urls.size() == n);
        std::set<std::string> distinct(urls.begin(), urls.end());
        CHECK(distinct.size() == urls.size());
        for (const auto& u : urls)
            CHECK(u.rfind(e.base_url() + "/", 0) == 0);
    }
    // A large declared size with the default part size: at least 5 MiB per part.
    Emu d;
    auto p2 = create_project(d.api(), "Default parts");
    auto big = create_file(d.api(), str(p2, "root_asset_id"), "big.mov", std::uint64_t{1} << 30,
                           "video/quicktime");
    auto n = upload_urls(big).size();
    CHECK(n >= 1);
    CHECK((std::uint64_t{1} << 30) / n >= 5u * 1024 * 1024);
    CHECK(n <= 10000);
    // Far beyond 10,000 default parts: still at most 10,000 parts of at least 5 MiB.
    const std::uint64_t huge = std::uint64_t{500} << 30;
    auto h = create_file(d.api(), str(p2, "root_asset_id"), "huge.mov", huge, "video/quicktime");
    auto hn = upload_urls(h).size();
    CHECK(hn >= 1);
    CHECK(hn <= 10000);
    CHECK(huge / hn >= 5u * 1024 * 1024);
}

TEST_CASE("a zero-byte file has one empty part and completes", "[emulator][upload]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Empty");
    auto file = create_file(api, str(p, "root_asset_id"), "empty.txt", 0, "text/plain");
    auto urls = upload_urls(file);
    REQUIRE(urls.size() == 1);
    CHECK_FALSE(completed(api, str(file, "id")));
    auto r = put_part(urls[0], "", "text/plain");
    INFO(r.describe());
    CHECK(r.status == 200);
    REQUIRE(wait_upload_completed(api, str(file, "id")));
    auto asset = get_asset(api, str(file, "id"));
    CHECK(int64(asset, "filesize") == 0);
    auto got = fetch(str(asset, "original"));
    CHECK(got.status == 200);
    CHECK(got.body.empty());
}

TEST_CASE("part PUT: Content-Type, x-amz-acl and length are checked", "[emulator][upload]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Checks");
    const std::string data = make_bytes(2500, 7); // 3 parts: 834, 834, 832
    auto file =
        create_file(api, str(p, "root_asset_id"), "clip.mov", data.size(), "video/quicktime");
    const auto id = str(file, "id");
    auto urls = upload_urls(file);
    REQUIRE(urls.size() == 3);
    auto lengths = part_lengths(data.size(), 3);
    REQUIRE(lengths == std::vector<std::size_t>{834, 834, 832});
    const std::string part0 = data.substr(0, 834);

    auto wrong_type = put_part(urls[0], part0, "application/octet-stream");
    INFO(wrong_type.describe());
    CHECK(wrong_type.status == 403);
    auto no_type = put_part(urls[0], part0, "");
    INFO(no_type.describe());
    CHECK(no_type.status == 403);
    auto no_acl = put_part(urls[0], part0, "video/quicktime", false);
    INFO(no_acl.describe());
    CHECK(no_acl.status == 403);
    HttpRequest public_acl;
    public_acl.method = "PUT";
    public_acl.url = urls[0];
    public_acl.body = part0;
    public_acl.headers = {"Content-Type: video/quicktime", "x-amz-acl: public-read"};
    CHECK(perform(public_acl).status == 403);

    for (std::size_t bad_len : {std::size_t{0}, std::size_t{833}, std::size_t{835}}) {
        INFO("length " << bad_len);
        auto r = put_part(urls[0], make_bytes(bad_len, 9), "video/quicktime");
        INFO(r.describe());
        CHECK(r.status >= 400);
        CHECK(r.status < 500);
    }
    // The last part must be the remainder, not a full chunk.
    auto long_last = put_part(urls[2], data.substr(1668) + "xx", "video/quicktime");
    CHECK(long_last.status / 100 == 4);

    // A tampered signature or a missing query is refused like a bad S3 signature.
    auto tampered = urls[1];
    tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
    CHECK(put_part(tampered, data.substr(834, 834), "video/quicktime").status / 100 == 4);
    if (strip_query(urls[1]) != urls[1]) {
        auto unsigned_put =
            put_part(strip_query(urls[1]), data.substr(834, 834), "video/quicktime");
        CHECK(unsigned_put.status / 100 == 4);
    }

    // Nothing refused counted as a part.
    for (std::size_t i = 1; i < 3; ++i) {
        auto off = i * 834;
        REQUIRE(put_part(urls[i], data.substr(off, lengths[i]), "video/quicktime").status == 200);
    }
    CHECK_FALSE(completed(api, id));
    REQUIRE(put_part(urls[0], part0, "video/quicktime").status == 200);
    REQUIRE(wait_upload_completed(api, id));
    CHECK(download(api, id) == data);
}

TEST_CASE("parts in any order and sent again - complete only when all are in",
          "[emulator][upload]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Order");
    const std::string data = make_bytes(4500, 11); // 5 parts of 900
    auto file = create_file(api, str(p, "root_asset_id"), "order.bin", data.size());
    const auto id = str(file, "id");
    auto urls = upload_urls(file);
    REQUIRE(urls.size() == 5);
    auto part = [&](std::size_t i) { return data.substr(i * 900, 900); };

    // First a wrong payload of the right length for part 3, later replaced.
    REQUIRE(put_part(urls[3], make_bytes(900, 99)).status == 200);
    for (std::size_t i : {4u, 0u, 2u}) {
        REQUIRE(put_part(urls[i], part(i)).status == 200);
        CHECK_FALSE(completed(api, id));
        CHECK(fetch(str(get_asset(api, id), "original")).status == 404);
    }
    REQUIRE(put_part(urls[0], part(0)).status == 200); // repeated, same bytes
    REQUIRE(put_part(urls[3], part(3)).status == 200); // repeated, the right bytes this time
    CHECK_FALSE(completed(api, id));
    REQUIRE(put_part(urls[1], part(1)).status == 200);
    REQUIRE(wait_upload_completed(api, id));
    auto asset = get_asset(api, id);
    CHECK(looks_like_timestamp(str(asset, "upload_completed_at")));
    CHECK(int64(asset, "filesize") == 4500);
    CHECK(download(api, id) == data);

    // A part sent again after completion does not undo the completion.
    auto again = put_part(urls[2], part(2));
    CHECK(again.status / 100 != 5);
    CHECK(completed(api, id));
    CHECK(download(api, id) == data);
}

TEST_CASE("part PUTs with Expect: 100-continue are accepted or refused before the body",
          "[emulator][upload]") {
    // libcurl, and so our client, sends Expect: 100-continue before large bodies.
    Emu e({"--part-size", "65536"});
    Api api = e.api();
    auto p = create_project(api, "Expect");
    const std::string data = make_bytes(100000, 8);
    auto file = create_file(api, str(p, "root_asset_id"), "expect.bin", data.size());
    auto urls = upload_urls(file);
    REQUIRE(urls.size() == 2);
    auto lengths = part_lengths(data.size(), 2);

    HttpRequest refused;
    refused.method = "PUT";
    refused.url = urls[0];
    refused.body = data.substr(0, lengths[0]);
    refused.headers = {"Content-Type: text/plain", "x-amz-acl: private"};
    refused.expect_continue = true;
    auto r = perform(refused);
    INFO(r.describe());
    CHECK(r.status == 403);

    for (std::size_t i = 0; i < 2; ++i) {
        HttpRequest ok;
        ok.method = "PUT";
        ok.url = urls[i];
        ok.body = data.substr(i * lengths[0], lengths[i]);
        ok.headers = {std::string("Content-Type: ") + k_octet, "x-amz-acl: private"};
        ok.expect_continue = true;
        auto put = perform(ok);
        INFO(put.describe());
        CHECK(put.status == 200);
    }
    REQUIRE(wait_upload_completed(api, str(file, "id")));
    CHECK(fetch(str(get_asset(api, str(file, "id")), "original")).body == data);
}
