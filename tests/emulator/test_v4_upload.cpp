// SPDX-License-Identifier: MIT
// V4 local upload: files.create_local_upload and its part rule, the S3-like part PUT checks,
// completion, files.show_file_upload_status, status transitions on the emulator clock, the
// upload_failed fault, media links (download and inline, Range, expiry at the next UTC noon or
// midnight), faults on parts and downloads, the --seed-demo V4 project and persistence.
#include "emulator/v4_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

/// A fresh V4 project of the legacy token's account.
struct V4Place {
    std::string account;
    std::string root; ///< the project's root folder
};

V4Place make_project(const V4Api& api, const std::string& name) {
    V4Place p;
    p.account = v4_account_id(api);
    const auto ws = v4_workspace_id(api, p.account);
    auto doc = v4_data(api.post("/v4/accounts/" + p.account + "/workspaces/" + ws + "/projects",
                                R"({"data":{"name":")" + name + R"("}})"),
                       201);
    p.root = str(member(doc, "data"), "root_folder_id");
    return p;
}

HttpResponse post_local_upload(const V4Api& api, const V4Place& p, const std::string& body,
                               const std::string& folder = "") {
    return api.post("/v4/accounts/" + p.account + "/folders/" + (folder.empty() ? p.root : folder) +
                        "/files/local_upload",
                    body);
}

/// POST local_upload for `name` of `size` bytes; returns the `data` object's document.
rapidjson::Document local_upload(const V4Api& api, const V4Place& p, const std::string& name,
                                 std::size_t size, const std::string& folder = "") {
    auto doc = v4_data(post_local_upload(api, p,
                                         R"({"data":{"name":")" + name + R"(","file_size":)" +
                                             std::to_string(size) + "}}",
                                         folder),
                       201);
    rapidjson::Document data;
    data.CopyFrom(member(doc, "data"), data.GetAllocator());
    return data;
}

struct Part {
    std::size_t size = 0;
    std::string url;
};

std::vector<Part> parts_of(const rapidjson::Value& file) {
    std::vector<Part> out;
    const auto& urls = member(file, "upload_urls");
    REQUIRE(urls.IsArray());
    for (const auto& u : urls.GetArray())
        out.push_back({static_cast<std::size_t>(int64(u, "size")), str(u, "url")});
    return out;
}

HttpResponse put_v4_part(const std::string& url, const std::string& bytes,
                         const std::string& content_type, std::vector<std::string> extra = {}) {
    HttpRequest req;
    req.method = "PUT";
    req.url = url;
    req.body = bytes;
    req.headers = {"Content-Type: " + content_type, "x-amz-acl: private"};
    req.headers.insert(req.headers.end(), extra.begin(), extra.end());
    return perform(req);
}

/// PUTs every part of `data` in order; each must answer 200.
void upload_parts(const rapidjson::Value& file, const std::string& data) {
    std::size_t offset = 0;
    for (const auto& part : parts_of(file)) {
        auto r = put_v4_part(part.url, data.substr(offset, part.size), str(file, "media_type"));
        INFO(r.describe());
        REQUIRE(r.status == 200);
        offset += part.size;
    }
    REQUIRE(offset == data.size());
}

rapidjson::Document upload_status(const V4Api& api, const V4Place& p, const std::string& id) {
    auto doc = v4_data(api.get("/v4/accounts/" + p.account + "/files/" + id + "/status"));
    rapidjson::Document data;
    data.CopyFrom(member(doc, "data"), data.GetAllocator());
    return data;
}

/// GET files.show with include=media_links.original; returns `data`.
rapidjson::Document show_file(const V4Api& api, const V4Place& p, const std::string& id) {
    auto doc = v4_data(
        api.get("/v4/accounts/" + p.account + "/files/" + id + "?include=media_links.original"));
    rapidjson::Document data;
    data.CopyFrom(member(doc, "data"), data.GetAllocator());
    return data;
}

const rapidjson::Value& original_link(const rapidjson::Value& file) {
    return member(member(file, "media_links"), "original");
}

std::string md5_base64(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
    unsigned char out[64];
    const int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

/// The emulator clock, seconds since the epoch.
std::int64_t emulator_now(const Api& admin) {
    auto doc = expect_json(admin.get("/_emulator/clock"));
    const std::string now = str(doc, "now");
    std::tm tm{};
    REQUIRE(std::sscanf(now.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(::timegm(&tm));
}

std::int64_t expires_of(const std::string& url) {
    return std::stoll(query_params(url).at("Expires"));
}

void fail_next(const Api& admin, const std::string& route, int status) {
    auto r = admin.post_json("/_emulator/fail-next", R"({"route":")" + route +
                                                         R"(","count":1,"status":)" +
                                                         std::to_string(status) + "}");
    INFO(r.describe());
    REQUIRE(r.status / 100 == 2);
}

bool has_s3_code(const HttpResponse& r, const std::string& code) {
    return r.body.find("<Code>" + code + "</Code>") != std::string::npos;
}

const rapidjson::Value& first_error(const rapidjson::Document& doc) {
    const auto& errors = member(doc, "errors");
    REQUIRE(errors.IsArray());
    REQUIRE(errors.Size() >= 1);
    return errors[0];
}

} // namespace

TEST_CASE("V4 local_upload answers 201 with upload_urls by the part rule", "[v4][upload]") {
    V4Emu emu;
    const auto api = emu.api();
    const auto p = make_project(api, "Upload shape");

    // The guide's example: 50,645,990 bytes -> 3 parts, the last one the remainder.
    auto file = local_upload(api, p, "interview.mov", 50'645'990);
    CHECK(str(file, "status") == "created");
    CHECK(str(file, "type") == "file");
    CHECK(str(file, "name") == "interview.mov");
    CHECK(str(file, "media_type") == "video/quicktime");
    CHECK(int64(file, "file_size") == 50'645'990);
    CHECK(str(file, "parent_id") == p.root);
    CHECK_FALSE(file.HasMember("checksums"));
    const auto parts = parts_of(file);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].size == 16'881'997);
    CHECK(parts[1].size == 16'881'997);
    CHECK(parts[2].size == 16'881'996);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        INFO(parts[i].url);
        CHECK(parts[i].url.rfind(emu.base_url() + "/parts/" + str(file, "id") + "/", 0) == 0);
        CHECK(query_params(parts[i].url).count("Expires") == 1);
        CHECK(query_params(parts[i].url).count("Signature") == 1);
    }

    // At most P = 20,000,000 bytes per part.
    CHECK(parts_of(local_upload(api, p, "exact.mp4", 20'000'000)).size() == 1);
    const auto two = parts_of(local_upload(api, p, "over.mp4", 20'000'001));
    REQUIRE(two.size() == 2);
    CHECK(two[0].size == 10'000'001);
    CHECK(two[1].size == 10'000'000);
    CHECK(parts_of(local_upload(api, p, "one.bin", 1)).size() == 1);

    const std::vector<std::pair<std::string, std::string>> types = {
        {"a.mp4", "video/mp4"},
        {"b.mxf", "application/mxf"},
        {"c.wav", "audio/wav"},
        {"d.JPG", "image/jpeg"},
        {"e.jpeg", "image/jpeg"},
        {"f.png", "image/png"},
        {"g.tiff", "image/tiff"},
        {"h.tif", "image/tiff"},
        {"i.pdf", "application/pdf"},
        {"j.txt", "text/plain"},
        {"k.xyz", "application/octet-stream"},
        {"noext", "application/octet-stream"}};
    for (const auto& [name, type] : types) {
        INFO(name);
        CHECK(str(local_upload(api, p, name, 10), "media_type") == type);
    }
}

TEST_CASE("V4 local_upload validates its body and folder strictly", "[v4][upload]") {
    V4Emu emu;
    const auto api = emu.api();
    const auto p = make_project(api, "Strict");

    auto r =
        post_local_upload(api, p, R"({"data":{"name":"a.mov","file_size":10,"filetype":"x"}})");
    REQUIRE(r.status == 422);
    CHECK(str(member(first_error(parse_json(r.body)), "source"), "pointer") == "/data/filetype");

    r = post_local_upload(api, p, R"({"data":{"name":"a.mov"}})");
    REQUIRE(r.status == 422);
    CHECK(str(member(first_error(parse_json(r.body)), "source"), "pointer") == "/data/file_size");

    r = post_local_upload(api, p, R"({"data":{"file_size":10}})");
    REQUIRE(r.status == 422);
    CHECK(str(member(first_error(parse_json(r.body)), "source"), "pointer") == "/data/name");

    for (const std::string& bad :
         {std::string(R"({"data":{"name":"a","file_size":0}})"),
          std::string(R"({"data":{"name":"a","file_size":-5}})"),
          std::string(R"({"data":{"name":"a","file_size":1.5}})"),
          std::string(R"({"data":{"name":"a","file_size":"10"}})"),
          std::string(R"({"data":{"name":"a","file_size":5000000000001}})"),
          std::string(R"({"data":{"name":"","file_size":1}})"),
          R"({"data":{"name":")" + std::string(256, 'n') + R"(","file_size":1}})",
          std::string(R"({"name":"a","file_size":1})")}) {
        INFO(bad);
        CHECK(post_local_upload(api, p, bad).status == 422);
    }

    // Unknown folder, a file as the folder, and a V2 account's folder: 404.
    const std::string body = R"({"data":{"name":"a.mov","file_size":10}})";
    CHECK(post_local_upload(api, p, body, "00000000-0000-4000-8000-000000000000").status == 404);
    const auto file = local_upload(api, p, "x.mov", 10);
    CHECK(post_local_upload(api, p, body, str(file, "id")).status == 404);
    const auto v2_project = create_project(emu.v2_api(), "V2 side");
    CHECK(post_local_upload(api, p, body, str(v2_project, "root_asset_id")).status == 404);
}

TEST_CASE("V4 part PUTs are checked like S3 checks them", "[v4][upload]") {
    V4Emu emu({"--v4-part-size", "1000"});
    const auto api = emu.api();
    const auto p = make_project(api, "Parts");
    const std::string data = make_bytes(2500, 11);
    auto file = local_upload(api, p, "clip.mov", data.size());
    const auto parts = parts_of(file);
    REQUIRE(parts.size() == 3);
    const std::string part = data.substr(0, parts[0].size);
    REQUIRE(part.size() == 834); // 2,500 bytes at P = 1,000: 834 + 834 + 832
    const std::string type = "video/quicktime";

    HttpRequest no_acl;
    no_acl.method = "PUT";
    no_acl.url = parts[0].url;
    no_acl.body = part;
    no_acl.headers = {"Content-Type: " + type};
    auto r = perform(no_acl);
    CHECK(r.status == 403);

    r = put_v4_part(parts[0].url, part, "application/octet-stream");
    CHECK(r.status == 403);
    CHECK(has_s3_code(r, "SignatureDoesNotMatch"));

    r = put_v4_part(parts[0].url, part, type, {"Authorization: Bearer " + std::string(k_v4_token)});
    CHECK(r.status == 400);
    CHECK(has_s3_code(r, "InvalidArgument"));
    CHECK(r.body.find("Only one auth mechanism allowed") != std::string::npos);

    r = put_v4_part(parts[0].url, part, type, {"Host: uploads.example.com"});
    CHECK(r.status == 403);
    CHECK(has_s3_code(r, "SignatureDoesNotMatch"));

    r = put_v4_part(parts[0].url, part.substr(0, 833), type);
    CHECK(r.status == 400);

    r = put_v4_part(parts[0].url, part, type, {"Content-MD5: not-base64!"});
    CHECK(r.status == 400);
    CHECK(has_s3_code(r, "InvalidDigest"));
    r = put_v4_part(parts[0].url, part, type, {"Content-MD5: " + md5_base64("short")});
    CHECK(r.status == 400);
    CHECK(has_s3_code(r, "BadDigest"));

    // Nothing was stored by the refused PUTs.
    auto status = upload_status(api, p, str(file, "id"));
    CHECK(is_null(status, "uploaded_at"));

    r = put_v4_part(parts[0].url, part, type, {"Content-MD5: " + md5_base64(part)});
    CHECK(r.status == 200);
    status = upload_status(api, p, str(file, "id"));
    CHECK_FALSE(is_null(status, "uploaded_at"));
    CHECK_FALSE(member(status, "upload_complete").GetBool());

    // A tampered URL fails its signature.
    CHECK(put_v4_part(parts[1].url + "0", data.substr(834, 834), type).status == 403);
}

TEST_CASE("V4 part URLs expire after --url-ttl on the emulator clock", "[v4][upload]") {
    V4Emu emu({"--v4-part-size", "1000", "--url-ttl", "3600"});
    const auto api = emu.api();
    const auto p = make_project(api, "Expiry");
    auto file = local_upload(api, p, "clip.mov", 1500);
    const auto parts = parts_of(file);
    REQUIRE(parts.size() == 2);
    advance_clock(emu.v2_api(), 3601);
    auto r = put_v4_part(parts[0].url, make_bytes(750, 1), "video/quicktime");
    CHECK(r.status == 403);
    CHECK(has_s3_code(r, "AccessDenied"));
}

TEST_CASE("V4 parts in any order and repeated complete the upload once", "[v4][upload]") {
    V4Emu emu({"--v4-part-size", "1000"});
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Order");
    const std::string data = make_bytes(2900, 5);
    auto file = local_upload(api, p, "clip.mp4", data.size());
    const auto id = str(file, "id");
    const auto parts = parts_of(file);
    REQUIRE(parts.size() == 3);
    const std::string type = str(file, "media_type");

    auto status = upload_status(api, p, id);
    CHECK(str(status, "id") == id);
    CHECK(str(status, "filetype") == "video/mp4");
    CHECK(is_null(status, "uploaded_at"));
    CHECK(is_null(status, "upload_completed_at"));
    CHECK_FALSE(member(status, "upload_complete").GetBool());
    CHECK_FALSE(member(status, "upload_failed").GetBool());

    REQUIRE(put_v4_part(parts[2].url, data.substr(1934), type).status == 200);
    REQUIRE(put_v4_part(parts[0].url, make_bytes(967, 99), type).status == 200); // replaced below
    REQUIRE(put_v4_part(parts[0].url, data.substr(0, 967), type).status == 200);
    status = upload_status(api, p, id);
    const std::string first_part_at = str(status, "uploaded_at");
    CHECK(looks_like_timestamp(first_part_at));
    CHECK_FALSE(member(status, "upload_complete").GetBool());
    CHECK(str(show_file(api, p, id), "status") == "created");

    advance_clock(admin, 10);
    REQUIRE(put_v4_part(parts[1].url, data.substr(967, 967), type).status == 200);
    status = upload_status(api, p, id);
    CHECK(member(status, "upload_complete").GetBool());
    CHECK(str(status, "uploaded_at") == first_part_at);
    CHECK(str(status, "upload_completed_at") > first_part_at);
    CHECK(str(show_file(api, p, id), "status") == "uploaded");

    // Once complete, the object no longer takes parts (S3 NoSuchUpload).
    CHECK(put_v4_part(parts[1].url, data.substr(967, 967), type).status == 404);
    const auto link = str(original_link(show_file(api, p, id)), "download_url");
    auto download = fetch(link);
    REQUIRE(download.status == 200);
    CHECK(download.body == data);
}

TEST_CASE("V4 file status moves created uploaded transcoded on the emulator clock",
          "[v4][upload]") {
    V4Emu emu({"--transcode-delay", "30"});
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Transcode");
    auto video = local_upload(api, p, "v.mov", 3000);
    auto text = local_upload(api, p, "notes.txt", 200);
    CHECK(str(show_file(api, p, str(video, "id")), "status") == "created");
    upload_parts(video, make_bytes(3000, 1));
    upload_parts(text, make_bytes(200, 2));
    CHECK(str(show_file(api, p, str(video, "id")), "status") == "uploaded");
    CHECK(str(show_file(api, p, str(text, "id")), "status") == "uploaded");
    advance_clock(admin, 28);
    CHECK(str(show_file(api, p, str(video, "id")), "status") == "uploaded");
    advance_clock(admin, 3);
    CHECK(str(show_file(api, p, str(video, "id")), "status") == "transcoded");
    advance_clock(admin, 600);
    CHECK(str(show_file(api, p, str(text, "id")), "status") == "uploaded");
    CHECK(member(upload_status(api, p, str(text, "id")), "upload_complete").GetBool());
}

TEST_CASE("V4 --v4-complete-delay: an upload shows complete only after the delay", "[v4][upload]") {
    V4Emu emu({"--v4-complete-delay", "30", "--transcode-delay", "10", "--v4-part-size", "1000"});
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Stitching");
    const std::string data = make_bytes(1800, 6);
    auto file = local_upload(api, p, "clip.mov", data.size());
    const auto id = str(file, "id");
    upload_parts(file, data);
    // Every part is stored, yet nothing says complete and nothing can be downloaded.
    auto status = upload_status(api, p, id);
    CHECK_FALSE(member(status, "upload_complete").GetBool());
    CHECK_FALSE(member(status, "upload_failed").GetBool());
    CHECK(is_null(status, "upload_completed_at"));
    CHECK_FALSE(is_null(status, "uploaded_at"));
    auto shown = show_file(api, p, id);
    CHECK(str(shown, "status") == "created");
    CHECK(is_null(original_link(shown), "download_url"));
    advance_clock(admin, 29);
    CHECK_FALSE(member(upload_status(api, p, id), "upload_complete").GetBool());
    advance_clock(admin, 2);
    status = upload_status(api, p, id);
    CHECK(member(status, "upload_complete").GetBool());
    CHECK_FALSE(is_null(status, "upload_completed_at"));
    shown = show_file(api, p, id);
    CHECK(str(shown, "status") == "uploaded");
    const auto r = fetch(str(original_link(shown), "download_url"));
    REQUIRE(r.status == 200);
    CHECK(r.body == data);
    // Transcoding starts once the upload shows complete.
    advance_clock(admin, 11);
    CHECK(str(show_file(api, p, id), "status") == "transcoded");
}

TEST_CASE("V4 upload_failed fault marks the completed upload failed", "[v4][upload]") {
    V4Emu emu({"--faults", "upload_failed=1,seed=3", "--v4-part-size", "1000"});
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Failing");
    const std::string data = make_bytes(1800, 4);
    auto file = local_upload(api, p, "clip.mov", data.size());
    const auto id = str(file, "id");
    upload_parts(file, data);
    auto status = upload_status(api, p, id);
    CHECK(member(status, "upload_failed").GetBool());
    CHECK_FALSE(member(status, "upload_complete").GetBool());
    CHECK(is_null(status, "upload_completed_at"));
    CHECK_FALSE(is_null(status, "uploaded_at"));
    advance_clock(admin, 60);
    auto shown = show_file(api, p, id);
    CHECK(str(shown, "status") == "created");
    CHECK(is_null(original_link(shown), "download_url"));
    CHECK(is_null(original_link(shown), "inline_url"));
    // The bucket still takes a re-sent part; the failed upload stays failed.
    CHECK(put_v4_part(parts_of(file)[0].url, data.substr(0, 900), "video/quicktime").status == 200);
    CHECK(member(upload_status(api, p, id), "upload_failed").GetBool());
}

TEST_CASE("V4 media links download the original with Range and inline disposition",
          "[v4][upload]") {
    V4Emu emu({"--v4-part-size", "1000"});
    const auto api = emu.api();
    const auto p = make_project(api, "Links");
    const std::string data = make_bytes(2600, 8);
    auto file = local_upload(api, p, "frame one.png", data.size());
    const auto id = str(file, "id");
    auto before = show_file(api, p, id);
    CHECK(is_null(original_link(before), "download_url"));
    CHECK(is_null(original_link(before), "inline_url"));
    upload_parts(file, data);

    const auto shown = show_file(api, p, id);
    const auto download_url = str(original_link(shown), "download_url");
    const auto inline_url = str(original_link(shown), "inline_url");
    CHECK(download_url != inline_url);
    auto r = fetch(download_url);
    REQUIRE(r.status == 200);
    CHECK(r.body == data);
    CHECK(r.header("content-length") == "2600");
    CHECK(r.header("content-type") == "image/png");
    CHECK(r.header("content-disposition").rfind("attachment", 0) == 0);

    r = fetch(download_url, {"Range: bytes=100-1199"});
    REQUIRE(r.status == 206);
    CHECK(r.header("content-length") == "1100");
    CHECK(r.header("content-range") == "bytes 100-1199/2600");
    CHECK(r.body == data.substr(100, 1100));

    r = fetch(inline_url);
    REQUIRE(r.status == 200);
    CHECK(r.body == data);
    CHECK(r.header("content-disposition").rfind("inline", 0) == 0);
    CHECK(r.header("content-disposition").find("frame%20one.png") != std::string::npos);

    // Each link is signed over its own path: one cannot be turned into the other.
    const auto q = download_url.find('?');
    auto forged = fetch(download_url.substr(0, q) + "/inline" + download_url.substr(q));
    CHECK(forged.status == 403);
    CHECK(has_s3_code(forged, "AccessDenied"));
}

TEST_CASE("V4 media links expire at the next UTC noon or midnight", "[v4][upload]") {
    V4Emu emu;
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Link expiry");
    const std::string data = make_bytes(500, 9);
    auto file = local_upload(api, p, "a.jpg", data.size());
    upload_parts(file, data);
    const auto id = str(file, "id");

    const auto url = str(original_link(show_file(api, p, id)), "download_url");
    const std::int64_t now = emulator_now(admin);
    const std::int64_t expires = expires_of(url);
    CHECK(expires % 43'200 == 0);
    CHECK(expires > now);
    CHECK(expires - now <= 43'200);
    CHECK(expires_of(str(original_link(show_file(api, p, id)), "inline_url")) == expires);

    if (expires - now > 3)
        advance_clock(admin, expires - now - 3);
    CHECK(fetch(url).status == 200);
    advance_clock(admin, 4);
    auto r = fetch(url);
    CHECK(r.status == 403);
    CHECK(has_s3_code(r, "AccessDenied"));

    // A link fetched again lives until the following half-day boundary.
    const auto fresh = str(original_link(show_file(api, p, id)), "download_url");
    CHECK(expires_of(fresh) == expires + 43'200);
    r = fetch(fresh);
    CHECK(r.status == 200);
    CHECK(r.body == data);
}

TEST_CASE("V4 --v4-link-ttl sets the media link lifetime", "[v4][upload]") {
    V4Emu emu({"--v4-link-ttl", "600"});
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Link ttl");
    auto file = local_upload(api, p, "a.txt", 100);
    upload_parts(file, make_bytes(100, 1));
    const auto url = str(original_link(show_file(api, p, str(file, "id"))), "download_url");
    const std::int64_t lifetime = expires_of(url) - emulator_now(admin);
    CHECK(lifetime >= 598);
    CHECK(lifetime <= 600);
    CHECK(fetch(url).status == 200);
    advance_clock(admin, 601);
    CHECK(fetch(url).status == 403);
}

TEST_CASE("V4 faults reach part PUTs and media link downloads", "[v4][upload]") {
    V4Emu emu;
    const auto api = emu.api();
    const auto admin = emu.v2_api();
    const auto p = make_project(api, "Faults");
    const std::string data = make_bytes(700, 3);
    auto file = local_upload(api, p, "a.wav", data.size());
    const auto part = parts_of(file).at(0);

    fail_next(admin, "PUT /parts", 503);
    auto r = put_v4_part(part.url, data, "audio/wav");
    CHECK(r.status == 503);
    CHECK(has_s3_code(r, "SlowDown"));
    CHECK(is_null(upload_status(api, p, str(file, "id")), "uploaded_at"));
    REQUIRE(put_v4_part(part.url, data, "audio/wav").status == 200);

    const auto shown = show_file(api, p, str(file, "id"));
    const auto download_url = str(original_link(shown), "download_url");
    const auto inline_url = str(original_link(shown), "inline_url");
    fail_next(admin, "GET /originals", 500);
    CHECK(fetch(download_url).status == 500);
    CHECK(fetch(download_url).body == data);
    fail_next(admin, "GET /originals", 503);
    CHECK(fetch(inline_url).status == 503);
    CHECK(fetch(inline_url).body == data);
}

TEST_CASE("V4 --seed-demo creates the Demo Project with a multi-part file and a version stack",
          "[v4][upload]") {
    V4Emu emu({"--seed-demo"});
    const auto api = emu.api();
    V4Place p;
    p.account = v4_account_id(api);
    std::string root;
    for (const auto& project : v4_list_all(api, "/v4/accounts/" + p.account + "/projects")) {
        if (str(project, "name") == "Demo Project")
            root = str(project, "root_folder_id");
    }
    REQUIRE_FALSE(root.empty());
    const auto child = [&](const std::string& folder, const std::string& kind,
                           const std::string& name) {
        for (const auto& item :
             v4_list_all(api, "/v4/accounts/" + p.account + "/folders/" + folder + "/" + kind)) {
            if (str(item, "name") == name)
                return str(item, "id");
        }
        FAIL("no " << kind << " named " << name << " in " << folder);
        return std::string();
    };
    const auto day1 = child(child(root, "folders", "Footage"), "folders", "Day 1");
    const auto big = child(day1, "files", "A001_C001_0101.mov");
    auto shown = show_file(api, p, big);
    CHECK(int64(shown, "file_size") == 45'000'000);
    CHECK(str(shown, "media_type") == "video/quicktime");
    CHECK(member(upload_status(api, p, big), "upload_complete").GetBool());
    auto tail = fetch(str(original_link(shown), "download_url"), {"Range: bytes=-10"});
    CHECK(tail.status == 206);
    CHECK(tail.header("content-range") == "bytes 44999990-44999999/45000000");
    CHECK(tail.body.size() == 10);

    const auto exports = child(root, "folders", "Exports");
    const auto stack = child(exports, "version_stacks", "Spot_v3.mp4");
    auto versions =
        v4_list_all(api, "/v4/accounts/" + p.account + "/version_stacks/" + stack + "/children");
    CHECK(versions.size() == 3);
}

TEST_CASE("V4 file stays downloadable with valid links after kill -9 and restart", "[v4][upload]") {
    TempDir dir("fios-emu-v4-persist");
    const auto options = v4_options({"--data", dir.path().string(), "--v4-part-size", "1000"});
    const std::string data = make_bytes(2200, 21);
    auto first = std::make_unique<EmulatorProcess>(emulator_args(options));
    const int port = first->port();
    V4Api api(first->base_url(), k_v4_token, true);
    const auto p = make_project(api, "Persistent V4");
    auto file = local_upload(api, p, "keep.mov", data.size());
    const auto id = str(file, "id");
    upload_parts(file, data);
    const auto shown = show_file(api, p, id);
    const auto download_url = str(original_link(shown), "download_url");
    const auto inline_url = str(original_link(shown), "inline_url");
    first->kill_hard();
    first.reset();

    auto args = emulator_args(options);
    args.emplace_back("--port");
    args.emplace_back(std::to_string(port));
    EmulatorProcess second(args);
    REQUIRE(second.port() == port);
    V4Api api2(second.base_url(), k_v4_token, true);
    CHECK(member(upload_status(api2, p, id), "upload_complete").GetBool());
    auto r = fetch(download_url);
    REQUIRE(r.status == 200);
    CHECK(r.body == data);
    CHECK(fetch(inline_url).body == data);
    CHECK(fetch(str(original_link(show_file(api2, p, id)), "download_url")).body == data);
}
