// SPDX-License-Identifier: MIT
#include "json_builders.hpp"
#include "support/temp_dir.hpp"

#include "fios/api/json.hpp"

#include <catch2/catch.hpp>

using namespace fios;
using namespace fios::api;
using fios::test::file_json;
using fios::test::folder_json;
using fios::test::JsonObject;

namespace {
const std::string k_children = "GET /v2/assets/{id}/children";

std::string fixture(const std::string& name) {
    return fios::test::read_file(std::string(FIOS_TEST_SHARED_DIR) + "/fixtures/frameio-v2/" +
                                 name);
}
} // namespace

TEST_CASE("a complete file asset parses into every field", "[api][json]") {
    auto a = json::parse_asset(file_json("a1").render(), "GET /v2/assets/{id}");
    REQUIRE(a);
    CHECK(a->id == "a1");
    CHECK(a->type == AssetType::file);
    CHECK(a->name == "clip.mov");
    CHECK(a->parent_id == "root-1");
    CHECK(a->project_id == "proj-1");
    CHECK(a->filesize == 1234);
    CHECK(a->filetype == "video/quicktime");
    CHECK(a->index == -2.0);
    CHECK(a->upload_completed_at.has_value());
    CHECK_FALSE(a->deleted_at.has_value());
    CHECK(format_timestamp(a->updated_at) == "2022-06-10T15:32:07.500000Z");
    CHECK(a->xx_hash == "0123456789abcdef");
    CHECK(a->original == "https://cdn.example/o?sig=SECRET");
    CHECK(a->status == "uploaded");
    CHECK(a->upload_urls.empty());
}

TEST_CASE("a missing field names the endpoint, the item and the field", "[api][json]") {
    auto items =
        std::vector<JsonObject>{file_json("a0"), file_json("a1"), file_json("a2"), file_json("a3")};
    items[3].remove("upload_completed_at");
    auto r = json::parse_assets(fios::test::array(items), k_children);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::parse);
    CHECK(r.error().message ==
          "GET /v2/assets/{id}/children: item 3: field 'upload_completed_at' is missing");
    CHECK_FALSE(r.error().retryable());
}

TEST_CASE("a wrong type names the type found and the type expected", "[api][json]") {
    auto items =
        std::vector<JsonObject>{file_json("a0"), file_json("a1"), file_json("a2"), file_json("a3")};
    items[3].set("filesize", "\"1234\"");
    auto r = json::parse_assets(fios::test::array(items), k_children);
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "GET /v2/assets/{id}/children: item 3: field 'filesize' is a string, expected an "
          "integer");

    auto frac = file_json("x").set("filesize", "12.5");
    auto r2 = json::parse_asset(frac.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r2);
    CHECK(r2.error().message ==
          "GET /v2/assets/{id}: field 'filesize' is a fractional number, expected an integer");

    // Issue 9: a huge whole number is named as such, not as a fraction.
    for (const char* huge : {"1e300", "18446744073709551616", "-1e300"}) {
        CAPTURE(huge);
        auto r_huge =
            json::parse_asset(file_json("x").set("filesize", huge).render(), "GET /v2/assets/{id}");
        REQUIRE_FALSE(r_huge);
        CHECK(r_huge.error().message == "GET /v2/assets/{id}: field 'filesize' is a number too "
                                        "large for 64 bits, expected an integer");
    }

    auto neg = file_json("x").set("filesize", "-1");
    auto r3 = json::parse_asset(neg.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r3);
    CHECK(r3.error().message == "GET /v2/assets/{id}: field 'filesize' is negative");

    auto nested = file_json("x").set("checksums", R"({"xx_hash": 5})");
    auto r4 = json::parse_asset(nested.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r4);
    CHECK(r4.error().message == "GET /v2/assets/{id}: field 'checksums.xx_hash' is an integer, "
                                "expected a string or null");

    auto bad_time = file_json("x").str("updated_at", "yesterday");
    auto r5 = json::parse_asset(bad_time.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r5);
    CHECK(r5.error().message.rfind("GET /v2/assets/{id}: field 'updated_at': 'yesterday' is "
                                   "not an ISO-8601 timestamp",
                                   0) == 0);

    auto name_null = file_json("x").set("name", "null");
    auto r6 = json::parse_asset(name_null.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r6);
    CHECK(r6.error().message == "GET /v2/assets/{id}: field 'name' is null, expected a string");

    auto bad_hash = file_json("x").set("checksums", R"({"xx_hash": "xyz"})");
    auto r7 = json::parse_asset(bad_hash.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r7);
    CHECK(r7.error().message.find("checksums.xx_hash") != std::string::npos);

    auto big = file_json("x").set("filesize", "18446744073709551615");
    auto r8 = json::parse_asset(big.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(r8);
    CHECK(r8.error().message.find("too large") != std::string::npos);
}

TEST_CASE("malformed JSON and a wrong root are parse errors", "[api][json]") {
    auto r = json::parse_user("{\"id\": \"u\",", "GET /v2/me");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::parse);
    CHECK(r.error().message.rfind("GET /v2/me: malformed JSON at offset ", 0) == 0);

    auto empty = json::parse_user("", "GET /v2/me");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == ErrorCode::parse);

    auto html = json::parse_assets("<html>502 Bad Gateway</html>", k_children);
    REQUIRE_FALSE(html);
    CHECK(html.error().code == ErrorCode::parse);

    auto obj = json::parse_assets("{}", k_children);
    REQUIRE_FALSE(obj);
    CHECK(obj.error().message ==
          "GET /v2/assets/{id}/children: the response is an object, expected an array");

    auto arr = json::parse_user("[]", "GET /v2/me");
    REQUIRE_FALSE(arr);
    CHECK(arr.error().message == "GET /v2/me: the response is an array, expected an object");

    auto item = json::parse_assets("[" + file_json("a").render() + ", 7]", k_children);
    REQUIRE_FALSE(item);
    CHECK(item.error().message ==
          "GET /v2/assets/{id}/children: item 1 is an integer, expected an object");
}

TEST_CASE("null is accepted where the API documents it", "[api][json]") {
    auto a = file_json("a")
                 .set("upload_completed_at", "null")
                 .set("checksums", "null")
                 .set("parent_id", "null")
                 .set("filetype", "null")
                 .set("original", "null")
                 .set("index", "null")
                 .set("status", "null");
    auto r = json::parse_asset(a.render(), "GET /v2/assets/{id}");
    REQUIRE(r);
    CHECK_FALSE(r->upload_completed_at);
    CHECK_FALSE(r->xx_hash);
    CHECK_FALSE(r->parent_id);
    CHECK_FALSE(r->filetype);
    CHECK_FALSE(r->original);
    CHECK_FALSE(r->index);
    auto deleted = file_json("d").str("deleted_at", "2023-01-01T00:00:00.000000Z");
    auto rd = json::parse_asset(deleted.render(), "GET /v2/assets/{id}");
    REQUIRE(rd);
    CHECK(rd->deleted_at);
    auto sums_null_hash = file_json("h").set("checksums", R"({"id":"c","xx_hash":null})");
    auto rh = json::parse_asset(sums_null_hash.render(), "GET /v2/assets/{id}");
    REQUIRE(rh);
    CHECK_FALSE(rh->xx_hash);
}

TEST_CASE("type-specific requirements", "[api][json]") {
    // A folder may leave out file-only fields...
    auto f = folder_json("f").remove("upload_completed_at").remove("filetype").remove("filesize");
    auto rf = json::parse_asset(f.render(), "GET /v2/assets/{id}");
    REQUIRE(rf);
    CHECK(rf->type == AssetType::folder);
    CHECK(rf->item_count == 3);
    // ...but not its item_count.
    auto f2 = folder_json("f").remove("item_count");
    auto rf2 = json::parse_asset(f2.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(rf2);
    CHECK(rf2.error().message == "GET /v2/assets/{id}: field 'item_count' is missing");
    // `_type` alone is enough; an unknown type is kept as `other`.
    auto t = file_json("t").remove("type");
    auto rt = json::parse_asset(t.render(), "GET /v2/assets/{id}");
    REQUIRE(rt);
    CHECK(rt->type == AssetType::file);
    auto b = folder_json("b").str("type", "bundle").str("_type", "bundle");
    auto rb = json::parse_asset(b.render(), "GET /v2/assets/{id}");
    REQUIRE(rb);
    CHECK(rb->type == AssetType::other);
    CHECK(rb->type_name == "bundle");
    auto none = file_json("n").remove("type").remove("_type");
    auto rn = json::parse_asset(none.render(), "GET /v2/assets/{id}");
    REQUIRE_FALSE(rn);
    CHECK(rn.error().message == "GET /v2/assets/{id}: field 'type' is missing");
}

TEST_CASE("the create-file response must carry upload_urls", "[api][json]") {
    const std::string ep = "POST /v2/assets/{id}/children";
    auto with =
        file_json("n").set("upload_urls", R"(["https://s3/p1?sig=a","https://s3/p2?sig=b"])");
    auto r = json::parse_asset(with.render(), ep, true);
    REQUIRE(r);
    CHECK(r->upload_urls.size() == 2);
    auto without = file_json("n");
    auto r2 = json::parse_asset(without.render(), ep, true);
    REQUIRE_FALSE(r2);
    CHECK(r2.error().message == ep + ": field 'upload_urls' is missing");
    auto empty = file_json("n").set("upload_urls", "[]");
    auto r3 = json::parse_asset(empty.render(), ep, true);
    REQUIRE_FALSE(r3);
    CHECK(r3.error().message == ep + ": field 'upload_urls' is empty, expected at least one URL");
    auto wrong = file_json("n").set("upload_urls", R"(["a", 3])");
    auto r4 = json::parse_asset(wrong.render(), ep, true);
    REQUIRE_FALSE(r4);
    CHECK(r4.error().message == ep + ": field 'upload_urls[1]' is an integer, expected a string");
}

TEST_CASE("users, teams and projects", "[api][json]") {
    auto u = json::parse_user(fios::test::user_json().render(), "GET /v2/me");
    REQUIRE(u);
    CHECK(u->account_id == "acct-1");
    CHECK(u->email == "ada@example.com");
    auto p = json::parse_projects(fios::test::array({fios::test::project_json("p1")}),
                                  "GET /v2/teams/{id}/projects");
    REQUIRE(p);
    REQUIRE(p->size() == 1);
    CHECK((*p)[0].root_asset_id == "root-p1");
    CHECK((*p)[0].storage == 4096);
    auto bad = fios::test::project_json("p2").remove("root_asset_id");
    auto rb = json::parse_project(bad.render(), "GET /v2/projects/{id}");
    REQUIRE_FALSE(rb);
    CHECK(rb.error().message == "GET /v2/projects/{id}: field 'root_asset_id' is missing");
    auto t = json::parse_teams(fios::test::array({fios::test::team_json("t1")}), "GET /v2/teams");
    REQUIRE(t);
    CHECK((*t)[0].account_id == "acct-1");
}

TEST_CASE("the real V2 fixtures parse", "[api][json][fixtures]") {
    auto stack = json::parse_asset(fixture("example-version-stack.json"), "GET /v2/assets/{id}");
    REQUIRE(stack);
    CHECK(stack->type == AssetType::version_stack);
    CHECK(stack->versions == 2);
    CHECK(stack->item_count == 2);
    CHECK(stack->filesize == 1'012'694'012);
    CHECK(stack->cover_asset_id == "1534a9bc-e76f-40dc-820c-d57f35ccf6d5");
    CHECK_FALSE(stack->filetype);
    CHECK(stack->index == -5.0);

    auto children = json::parse_assets(fixture("example-version-stack-children.json"), k_children);
    REQUIRE(children);
    REQUIRE(children->size() == 2);
    const Asset& head = (*children)[0];
    CHECK(head.type == AssetType::file);
    CHECK(head.filesize == 534'449'054);
    CHECK(head.filetype == "video/mp4");
    CHECK(head.parent_id == stack->id);
    REQUIRE(head.upload_completed_at);
    CHECK(format_timestamp(*head.upload_completed_at) == "2019-01-31T21:03:38.423415Z");
    CHECK(head.original.has_value());
    CHECK((*children)[1].filesize == 478'244'958);
}

TEST_CASE("error_detail reads the HTTPError body", "[api][json]") {
    CHECK(json::error_detail(R"({"code":404,"message":"Not Found","errors":[{"code":404,)"
                             R"("status":404,"title":"Not Found","detail":"no asset x"}]})") ==
          "Not Found: no asset x");
    CHECK(json::error_detail("<html>") == "");
    CHECK(json::error_detail(R"({"message":"m"})") == "m");
    CHECK(json::error_detail(std::string(R"({"message":")") + std::string(1000, 'x') + "\"}")
              .size() <= 303);
}

TEST_CASE("request bodies escape names", "[api][json]") {
    CHECK(json::folder_body("a\"b\\c\n") == R"({"type":"folder","name":"a\"b\\c\n"})");
    CHECK(json::file_body("x.mov", "video/quicktime", 50'645'990) ==
          R"({"type":"file","name":"x.mov","filetype":"video/quicktime","filesize":50645990})");
    CHECK(json::version_body("n1") == R"({"next_asset_id":"n1"})");
    json::SearchBody s;
    s.project_id = "p1";
    s.updated_since = "2022-06-10T15:32:06.228191Z";
    s.page = 2;
    s.page_size = 100;
    CHECK(json::search_body(s) ==
          R"({"page":2,"page_size":100,"filter":{"project_id":{"op":"eq","value":"p1"},)"
          R"("updated_at":{"op":"gte","value":"2022-06-10T15:32:06.228191Z"}}})");
}
