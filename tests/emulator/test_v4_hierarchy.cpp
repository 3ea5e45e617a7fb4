// SPDX-License-Identifier: MIT
// V4 /me, accounts, workspaces and projects: shapes, CRUD, account scoping, strict queries and
// bodies, cursor paging, per-operation rate limits and stats keys.
#include "emulator/v4_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

void check_error(const HttpResponse& r, long status, const std::string& pointer = "") {
    INFO(r.describe());
    REQUIRE(r.status == status);
    auto doc = parse_json(r.body);
    const auto& errors = member(doc, "errors");
    REQUIRE(errors.Size() == 1);
    CHECK_FALSE(str(errors[0], "detail").empty());
    if (!pointer.empty())
        CHECK(str(member(errors[0], "source"), "pointer") == pointer);
}

std::string create_v4_project(const V4Api& api, const std::string& acc, const std::string& ws,
                              const std::string& name) {
    auto doc = v4_data(api.post("/v4/accounts/" + acc + "/workspaces/" + ws + "/projects",
                                R"({"data":{"name":")" + name + R"("}})"),
                       201);
    return str(member(doc, "data"), "id");
}

} // namespace

TEST_CASE("V4 me accounts and workspaces answer the schema shapes", "[emulator][v4][hierarchy]") {
    V4Emu e;
    const V4Api api = e.api();
    auto me = v4_data(api.get("/v4/me"));
    const auto& profile = member(me, "data");
    CHECK(looks_like_uuid(str(profile, "id")));
    CHECK_FALSE(str(profile, "email").empty());
    CHECK(is_null(profile, "avatar_url"));
    CHECK_FALSE(profile.HasMember("account_id"));

    auto accounts = v4_data(api.get("/v4/accounts"));
    const auto& list = member(accounts, "data");
    REQUIRE(list.Size() == 1);
    CHECK(member(list[0], "roles").IsArray());
    CHECK(is_null(list[0], "storage_limit"));
    CHECK(int64(list[0], "storage_usage") == 0);
    CHECK(looks_like_timestamp(str(list[0], "created_at")));
    CHECK(member(member(accounts, "links"), "next").IsNull());
    CHECK_FALSE(accounts.HasMember("total_count"));

    const std::string acc = str(list[0], "id");
    auto workspaces = v4_data(api.get("/v4/accounts/" + acc + "/workspaces?include=creator"));
    const auto& ws = member(workspaces, "data")[0];
    CHECK(str(ws, "account_id") == acc);
    CHECK(member(ws, "creator").IsObject());
    auto shown = v4_data(api.get("/v4/accounts/" + acc + "/workspaces/" + str(ws, "id")));
    CHECK(str(member(shown, "data"), "name") == str(ws, "name"));
    CHECK_FALSE(member(shown, "data").HasMember("creator"));
    check_error(api.get("/v4/accounts/" + acc + "/workspaces/0b1f7c1e-6a52-4c7e-9a4e-2d3c4b5a6f70"),
                404);
    check_error(api.get("/v4/accounts/0b1f7c1e-6a52-4c7e-9a4e-2d3c4b5a6f70/workspaces"), 404);
}

TEST_CASE("V4 projects are created updated and deleted and then 404", "[emulator][v4][hierarchy]") {
    V4Emu e;
    const V4Api api = e.api();
    const std::string acc = v4_account_id(api);
    const std::string ws = v4_workspace_id(api, acc);
    const std::string base = "/v4/accounts/" + acc;

    auto created = v4_data(api.post(base + "/workspaces/" + ws + "/projects",
                                    R"({"data":{"name":"P1","restricted":true}})"),
                           201);
    const auto& p = member(created, "data");
    const std::string id = str(p, "id");
    CHECK(str(p, "status") == "active");
    CHECK(member(p, "restricted").GetBool());
    CHECK(int64(p, "storage") == 0);
    CHECK(str(p, "workspace_id") == ws);
    CHECK(str(p, "view_url").rfind("https://next.frame.io/project/" + id, 0) == 0);
    const std::string root = str(p, "root_folder_id");
    CHECK_FALSE(p.HasMember("description"));

    auto shown = v4_data(api.get(base + "/projects/" + id + "?include=owner"));
    CHECK(is_null(member(shown, "data"), "description"));
    CHECK(member(member(shown, "data"), "owner").IsObject());
    auto root_folder = v4_data(api.get(base + "/folders/" + root));
    CHECK(is_null(member(root_folder, "data"), "parent_id"));

    auto updated =
        v4_data(api.patch(base + "/projects/" + id,
                          R"({"data":{"name":"P2","status":"inactive","restricted":false}})"));
    CHECK(str(member(updated, "data"), "name") == "P2");
    CHECK(str(member(updated, "data"), "status") == "inactive");
    check_error(api.patch(base + "/projects/" + id, R"({"data":{"status":"archived"}})"), 422,
                "/data/status");
    check_error(api.patch(base + "/projects/" + id, R"({"data":{"owner":"x"}})"), 422,
                "/data/owner");
    check_error(api.post(base + "/workspaces/" + ws + "/projects", R"({"data":{}})"), 422,
                "/data/name");
    check_error(api.post(base + "/workspaces/" + ws + "/projects", R"({"data":{"name":""}})"), 422,
                "/data/name");

    auto in_ws = v4_list_all(api, base + "/workspaces/" + ws + "/projects");
    auto everywhere = v4_list_all(api, base + "/projects");
    REQUIRE(in_ws.size() == 1);
    REQUIRE(everywhere.size() == 1);

    const auto del = api.del(base + "/projects/" + id);
    CHECK(del.status == 204);
    CHECK(del.body.empty());
    check_error(api.get(base + "/projects/" + id), 404);
    check_error(api.get(base + "/folders/" + root), 404);
    check_error(api.del(base + "/projects/" + id), 404);
    CHECK(v4_list_all(api, base + "/projects").empty());
}

TEST_CASE("V4 refuses V2 credentials and V2 ids and V2 refuses V4 ids",
          "[emulator][v4][hierarchy]") {
    V4Emu e;
    const V4Api api = e.api();
    const std::string acc = v4_account_id(api);
    const std::string ws = v4_workspace_id(api, acc);
    const std::string v4_project = create_v4_project(api, acc, ws, "V4 only");

    CHECK(V4Api(e.base_url(), k_token, true).get("/v4/me").status == 401);
    CHECK(V4Api(e.base_url(), k_v4_token, false).get("/v4/me").status == 401);

    const Api v2 = e.v2_api();
    auto v2_project = create_project(v2, "V2 only");
    check_error(api.get("/v4/accounts/" + acc + "/projects/" + str(v2_project, "id")), 404);
    check_error(api.get("/v4/accounts/" + acc + "/folders/" + str(v2_project, "root_asset_id")),
                404);
    CHECK(v2.get("/v2/projects/" + v4_project).status == 404);
}

TEST_CASE("V4 project lists page with opaque cursors while projects come and go",
          "[emulator][v4][hierarchy]") {
    V4Emu e;
    const V4Api api = e.api();
    const std::string acc = v4_account_id(api);
    const std::string ws = v4_workspace_id(api, acc);
    const std::string list = "/v4/accounts/" + acc + "/projects";
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i)
        ids.push_back(create_v4_project(api, acc, ws, "p" + std::to_string(i)));

    auto first = v4_data(api.get(list + "?sort=name_asc&page_size=3&include_total_count=true"));
    CHECK(int64(first, "total_count") == 7);
    const std::string next = str(member(first, "links"), "next");
    CHECK(next.rfind(list + "?after=", 0) == 0);
    std::vector<std::string> seen;
    for (const auto& item : member(first, "data").GetArray())
        seen.push_back(str(item, "id"));
    CHECK(seen == std::vector<std::string>(ids.begin(), ids.begin() + 3));

    // Changes between pages: one seen and one unseen project go, a new one comes.
    REQUIRE(api.del(list + "/" + ids[1]).status == 204);
    REQUIRE(api.del(list + "/" + ids[4]).status == 204);
    create_v4_project(api, acc, ws, "p35");

    // The client follows links.next as is: the cursor carries the sort.
    std::string url = next;
    while (true) {
        auto page = v4_data(api.get(url + "&page_size=3"));
        CHECK_FALSE(page.HasMember("total_count"));
        for (const auto& item : member(page, "data").GetArray())
            seen.push_back(str(item, "id"));
        const auto& n = member(member(page, "links"), "next");
        if (n.IsNull())
            break;
        url = n.GetString();
    }
    for (const std::size_t i : {0U, 2U, 3U, 5U, 6U})
        CHECK(std::count(seen.begin(), seen.end(), ids[i]) == 1);
    CHECK(std::count(seen.begin(), seen.end(), ids[4]) == 0);

    // A cursor contradicting the request's sort, and bad page sizes.
    check_error(api.get(next + "&sort=name_desc"), 422);
    check_error(api.get(list + "?page_size=0"), 422);
    check_error(api.get(list + "?page_size=101"), 422);
    check_error(api.get(list + "?page=2"), 422);
    check_error(api.get(list + "?sort=size"), 422);
}

TEST_CASE("V4 page size clamp and lenient query options", "[emulator][v4][hierarchy]") {
    V4Emu e({"--v4-page-size-policy", "clamp", "--v4-lenient-query"});
    const V4Api api = e.api();
    const std::string acc = v4_account_id(api);
    CHECK(api.get("/v4/accounts?page_size=0").status == 200);
    CHECK(api.get("/v4/accounts?page_size=501").status == 200);
    CHECK(api.get("/v4/accounts?page=2&per_page=9").status == 200);
}

TEST_CASE("V4 rate limits are per operation and stats use the document's paths",
          "[emulator][v4][hierarchy]") {
    V4Emu e({"--rate-limit", "v4:folders.create=2/60000"}, true);
    const V4Api api = e.api();
    const std::string acc = v4_account_id(api);
    const std::string ws = v4_workspace_id(api, acc);
    const std::string project = create_v4_project(api, acc, ws, "Limits");
    auto p = v4_data(api.get("/v4/accounts/" + acc + "/projects/" + project));
    const std::string root = str(member(p, "data"), "root_folder_id");
    const std::string create = "/v4/accounts/" + acc + "/folders/" + root + "/folders";
    REQUIRE(api.post(create, R"({"data":{"name":"a"}})").status == 201);
    REQUIRE(api.post(create, R"({"data":{"name":"b"}})").status == 201);
    const auto limited = api.post(create, R"({"data":{"name":"c"}})");
    check_error(limited, 429);
    CHECK(limited.header("x-ratelimit-limit") == "2");
    CHECK(limited.header("x-ratelimit-remaining") == "0");
    CHECK(limited.header("x-ratelimit-window") == "60000");
    CHECK(api.get("/v4/accounts/" + acc + "/folders/" + root).status == 200);

    auto stats = expect_json(e.v2_api().get("/_emulator/stats"));
    const auto& requests = member(stats, "requests");
    CHECK(requests.HasMember("POST /v4/accounts/{account_id}/folders/{folder_id}/folders"));
    CHECK(requests.HasMember("GET /v4/accounts/{account_id}/folders/{folder_id}"));
    CHECK(requests.HasMember("POST /v4/accounts/{account_id}/workspaces/{workspace_id}/projects"));
}
