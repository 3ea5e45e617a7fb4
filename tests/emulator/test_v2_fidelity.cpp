// SPDX-License-Identifier: MIT
// V2 behaviours two real V2 clients rely on (the official Python SDK frameioclient and the
// original Python sync tool): parameters in the JSON body of a GET (Phoenix merges body and
// query parameters), DELETE answering 200 with the deleted resource, filetype optional on
// create, and `original` on a file from its create answer on.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

/// Names of an array answer, in order.
std::vector<std::string> names_of(const rapidjson::Value& list) {
    std::vector<std::string> out;
    for (const auto& item : list.GetArray())
        out.push_back(str(item, "name"));
    return out;
}

/// A root with folders a, b, c (in that name order) and the project's root id.
std::string three_folders(const Api& api, const std::string& project) {
    auto p = create_project(api, project);
    const auto root = str(p, "root_asset_id");
    for (const char* name : {"c", "a", "b"})
        create_folder(api, root, name);
    return root;
}

/// A GET with a raw body of the given content type.
HttpResponse get_with_body(const Api& api, const std::string& path, const std::string& body,
                           const std::string& type = "application/json") {
    return api.send("GET", path, body, type);
}

} // namespace

TEST_CASE("GET body parameters page page_size and sort act as query parameters",
          "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    const auto root = three_folders(api, "Body params");
    const auto path = "/v2/assets/" + root + "/children";

    auto r = get_with_body(api, path, R"({"page":2,"page_size":1,"sort":"name"})");
    auto doc = expect_json(r);
    CHECK(names_of(doc) == std::vector<std::string>{"b"});
    CHECK(r.header("page-number") == "2");
    CHECK(r.header("per-page") == "1");
    CHECK(r.header("total-pages") == "3");

    // Strings work as well as numbers (a form-minded client), and so do form bodies.
    auto s = get_with_body(api, path, R"({"page":"3","page_size":"1","sort":"-name"})");
    CHECK(names_of(expect_json(s)) == std::vector<std::string>{"a"});
    auto f = get_with_body(api, path, "page=1&page_size=2&sort=name",
                           "application/x-www-form-urlencoded");
    CHECK(names_of(expect_json(f)) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("GET body parameters win over the query string as in Plug.Parsers",
          "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    const auto root = three_folders(api, "Body wins");
    auto r = get_with_body(api, "/v2/assets/" + root + "/children?page=1&page_size=1&sort=name",
                           R"({"page":3})");
    CHECK(names_of(expect_json(r)) == std::vector<std::string>{"c"});
    CHECK(r.header("page-number") == "3");
    // A null member is an absent one: the query's page=2 goes, the default page 1 applies.
    auto n = get_with_body(api, "/v2/assets/" + root + "/children?page=2&page_size=1&sort=name",
                           R"({"page":null})");
    CHECK(names_of(expect_json(n)) == std::vector<std::string>{"a"});
}

TEST_CASE("GET body parameters include and include_deleted act as query parameters",
          "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Body include");
    const auto root = str(p, "root_asset_id");
    auto folder = create_folder(api, root, "outer");
    create_folder(api, str(folder, "id"), "inner");

    auto listed = expect_json(
        get_with_body(api, "/v2/assets/" + root + "/children", R"({"include":"children"})"));
    REQUIRE(listed.Size() == 1);
    REQUIRE(listed[0].HasMember("children"));
    CHECK(names_of(listed[0]["children"]) == std::vector<std::string>{"inner"});
    // Arrays of names are a comma list, as include=children,cover_asset.
    auto listed2 = expect_json(get_with_body(api, "/v2/assets/" + root + "/children",
                                             R"({"include":["cover_asset","children"]})"));
    REQUIRE(listed2.Size() == 1);
    CHECK(listed2[0].HasMember("children"));

    const auto id = str(folder, "id");
    REQUIRE(api.del("/v2/assets/" + id).status / 100 == 2);
    CHECK(api.get("/v2/assets/" + id).status == 404);
    auto deleted = get_with_body(api, "/v2/assets/" + id, R"({"include_deleted":true})");
    CHECK(looks_like_timestamp(str(expect_json(deleted), "deleted_at")));
    CHECK(expect_json(api.get("/v2/assets/" + root + "/children")).Size() == 0);
    auto all =
        get_with_body(api, "/v2/assets/" + root + "/children", R"({"include_deleted":true})");
    CHECK(expect_json(all).Size() == 1);
}

TEST_CASE("GET body parameters are validated like query parameters", "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    const auto root = three_folders(api, "Body validation");
    const auto path = "/v2/assets/" + root + "/children";
    CHECK(http_error_problem(get_with_body(api, path, R"({"page":"two"})"), 422) == "");
    CHECK(http_error_problem(get_with_body(api, path, R"({"page_size":0})"), 422) == "");
    CHECK(http_error_problem(get_with_body(api, path, R"({"sort":"colour"})"), 422) == "");
}

TEST_CASE("a malformed JSON body of a GET is 400 and other bodies are passed over",
          "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    const auto root = three_folders(api, "Body shapes");
    const auto path = "/v2/assets/" + root + "/children";
    CHECK(http_error_problem(get_with_body(api, path, R"({"page":)"), 400) == "");
    CHECK(http_error_problem(get_with_body(api, "/v2/me", "not json"), 400) == "");
    // Valid JSON that is no object (Plug keeps it under "_json"): no parameters, 200.
    auto array = get_with_body(api, path + "?page_size=1", "[1,2]");
    CHECK(expect_json(array).Size() == 1);
    // A content type no parser handles is passed over (Phoenix's pass: ["*/*"]).
    auto text = get_with_body(api, path + "?page_size=2", R"({"page_size":1})", "text/plain");
    CHECK(expect_json(text).Size() == 2);
    // The emulator keeps answering on the same footing afterwards.
    CHECK(expect_json(api.get(path)).Size() == 3);
}

TEST_CASE("DELETE of an asset answers 200 with the deleted asset by default",
          "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Delete 200");
    const auto root = str(p, "root_asset_id");
    auto file = create_file(api, root, "gone.bin", 10);
    const auto id = str(file, "id");
    auto r = api.del("/v2/assets/" + id);
    INFO(r.describe());
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").rfind("application/json", 0) == 0);
    auto doc = parse_json(r.body);
    CHECK(str(doc, "id") == id);
    CHECK(str(doc, "_type") == "file");
    CHECK(looks_like_timestamp(str(doc, "deleted_at")));
    CHECK(looks_like_timestamp(str(doc, "hard_deleted_at")));
}

TEST_CASE("DELETE of a project answers 200 with the deleted project by default",
          "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Delete project 200");
    auto r = api.del("/v2/projects/" + str(p, "id"));
    INFO(r.describe());
    REQUIRE(r.status == 200);
    auto doc = parse_json(r.body);
    CHECK(str(doc, "id") == str(p, "id"));
    CHECK(str(doc, "_type") == "project");
    CHECK(looks_like_timestamp(str(doc, "deleted_at")));
}

TEST_CASE("the option delete-status 204 answers deletes with no body", "[emulator][v2fidelity]") {
    Emu e({"--delete-status", "204"});
    Api api = e.api();
    auto p = create_project(api, "Delete 204");
    auto folder = create_folder(api, str(p, "root_asset_id"), "gone");
    auto r = api.del("/v2/assets/" + str(folder, "id"));
    CHECK(r.status == 204);
    CHECK(r.body.empty());
    auto q = api.del("/v2/projects/" + str(p, "id"));
    CHECK(q.status == 204);
    CHECK(q.body.empty());
}

TEST_CASE("filetype is optional on create and derived from the name", "[emulator][v2fidelity]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Filetype");
    const auto path = "/v2/assets/" + str(p, "root_asset_id") + "/children";
    struct Case {
        std::string body;
        std::string filetype;
    };
    for (const auto& c : std::vector<Case>{
             {R"({"type":"file","name":"LICENSE","filetype":null,"filesize":10})",
              "application/octet-stream"},
             {R"({"type":"file","name":"clip.MOV","filesize":10})", "video/quicktime"},
             {R"({"type":"file","name":"still.jpg","filetype":"","filesize":10})", "image/jpeg"},
             {R"({"type":"file","name":"data.unknownext","filesize":10})",
              "application/octet-stream"},
             {R"({"type":"file","name":"clip.mov","filetype":"video/mp4","filesize":10})",
              "video/mp4"}}) {
        INFO(c.body);
        auto doc = expect_json(api.post_json(path, c.body));
        CHECK(str(doc, "filetype") == c.filetype);
        CHECK(str(get_asset(api, str(doc, "id")), "filetype") == c.filetype);
    }
    // A filetype of the wrong type is still refused.
    CHECK(http_error_problem(
              api.post_json(path, R"({"type":"file","name":"x.mov","filetype":5,"filesize":1})"),
              422) == "");
}

TEST_CASE("a file's original is a signed URL from its create answer on", "[emulator][v2fidelity]") {
    Emu e({"--part-size", "1024", "--url-ttl", "600"});
    Api api = e.api();
    auto p = create_project(api, "Original early");
    const auto root = str(p, "root_asset_id");
    const std::string data = make_bytes(3000, 7);
    auto file = create_file(api, root, "early.bin", data.size());
    REQUIRE(file["original"].IsString());
    const auto url = str(file, "original");
    CHECK(url.rfind(e.base_url() + "/", 0) == 0);

    // Storage refuses it (S3's XML error) until the upload completed.
    auto early = fetch(url);
    CHECK(early.status == 404);
    CHECK(early.body.find("<Code>NoSuchKey</Code>") != std::string::npos);
    // GETs and listings of the incomplete file carry one too.
    CHECK(get_asset(api, str(file, "id"))["original"].IsString());
    auto listed = list_children(api, root);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["original"].IsString());
    // Folders have none.
    CHECK(is_null(get_asset(api, root), "original"));

    upload_all(file, data);
    REQUIRE(wait_upload_completed(api, str(file, "id")));
    advance_clock(api, 590); // still within --url-ttl of the create answer
    auto later = fetch(url);
    INFO(later.describe());
    CHECK(later.status == 200);
    CHECK(later.body == data);
    advance_clock(api, 20); // past it
    auto expired = fetch(url);
    CHECK(expired.status == 403);
    CHECK(expired.body.find("<Code>AccessDenied</Code>") != std::string::npos);
}
