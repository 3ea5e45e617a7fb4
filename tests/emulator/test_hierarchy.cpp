// SPDX-License-Identifier: MIT
// Account, user, teams and projects; project counters kept true as assets change.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

std::set<std::string> ids_of(const rapidjson::Value& array) {
    std::set<std::string> out;
    for (const auto& v : array.GetArray())
        out.insert(str(v, "id"));
    return out;
}

void check_list_headers(const HttpResponse& r) {
    INFO(r.describe());
    CHECK(r.has_header("page-number"));
    CHECK(r.has_header("per-page"));
    CHECK(r.has_header("total"));
    CHECK(r.has_header("total-pages"));
}

} // namespace

TEST_CASE("me, accounts and account: one seeded user in one account", "[emulator][hierarchy]") {
    Emu e;
    Api api = e.api();
    auto me = expect_json(api.get("/v2/me"));
    CHECK(str(me, "_type") == "user");
    CHECK(looks_like_uuid(str(me, "id")));
    CHECK_FALSE(str(me, "email").empty());
    CHECK_FALSE(str(me, "name").empty());
    const auto account_id = str(me, "account_id");
    CHECK(looks_like_uuid(account_id));

    auto accounts_r = api.get("/v2/accounts");
    auto accounts = expect_json(accounts_r);
    REQUIRE(accounts.IsArray());
    CHECK(accounts.Size() == 1);
    CHECK(ids_of(accounts).count(account_id) == 1);

    auto account = expect_json(api.get("/v2/accounts/" + account_id));
    CHECK(str(account, "id") == account_id);
    CHECK(str(account, "_type") == "account");
}

TEST_CASE("teams: account teams, all teams and one team agree - --team adds teams",
          "[emulator][hierarchy]") {
    Emu e({"--team", "Second Team", "--team", "Third Team"});
    Api api = e.api();
    const auto account_id = str(expect_json(api.get("/v2/me")), "account_id");

    auto all_r = api.get("/v2/teams");
    auto all = expect_json(all_r);
    REQUIRE(all.IsArray());
    CHECK(all.Size() == 3);
    check_list_headers(all_r);
    std::set<std::string> names;
    for (const auto& t : all.GetArray())
        names.insert(str(t, "name"));
    CHECK(names.count("Second Team") == 1);
    CHECK(names.count("Third Team") == 1);

    auto in_account_r = api.get("/v2/accounts/" + account_id + "/teams");
    auto in_account = expect_json(in_account_r);
    REQUIRE(in_account.IsArray());
    check_list_headers(in_account_r);
    CHECK(ids_of(in_account) == ids_of(all));

    for (const auto& t : all.GetArray()) {
        auto one = expect_json(api.get("/v2/teams/" + str(t, "id")));
        CHECK(str(one, "id") == str(t, "id"));
        CHECK(str(one, "name") == str(t, "name"));
        CHECK(str(one, "_type") == "team");
        CHECK(str(one, "account_id") == account_id);
    }
}

TEST_CASE("projects: create, list, get, update, delete, shared", "[emulator][hierarchy]") {
    Emu e;
    Api api = e.api();
    const auto team = first_team_id(api);
    auto before = expect_json(api.get("/v2/teams/" + team + "/projects"));
    REQUIRE(before.IsArray());

    auto created_r = api.post_json("/v2/teams/" + team + "/projects",
                                   R"({"name":"Contract Project","private":false})");
    REQUIRE((created_r.status == 200 || created_r.status == 201));
    auto p = parse_json(created_r.body);
    const auto id = str(p, "id");
    CHECK(looks_like_uuid(id));
    CHECK(str(p, "_type") == "project");
    CHECK(str(p, "name") == "Contract Project");
    CHECK(str(p, "team_id") == team);
    CHECK(looks_like_uuid(str(p, "root_asset_id")));
    CHECK(int64(p, "file_count") == 0);
    CHECK(int64(p, "storage") == 0);
    CHECK(member(p, "private").IsFalse());
    CHECK(looks_like_timestamp(str(p, "updated_at")));
    CHECK(is_null(p, "deleted_at"));

    auto listed_r = api.get("/v2/teams/" + team + "/projects");
    auto listed = expect_json(listed_r);
    check_list_headers(listed_r);
    CHECK(listed.Size() == before.Size() + 1);
    CHECK(ids_of(listed).count(id) == 1);

    auto got = expect_json(api.get("/v2/projects/" + id));
    CHECK(str(got, "root_asset_id") == str(p, "root_asset_id"));
    CHECK(str(got, "name") == "Contract Project");
    // The root asset exists and is empty.
    auto root = get_asset(api, str(p, "root_asset_id"));
    CHECK(str(root, "project_id") == id);
    CHECK(child_ids(api, str(p, "root_asset_id")).empty());

    auto updated = expect_json(api.put_json("/v2/projects/" + id, R"({"name":"Renamed"})"));
    CHECK(str(updated, "name") == "Renamed");
    CHECK(str(expect_json(api.get("/v2/projects/" + id)), "name") == "Renamed");

    auto shared_r = api.get("/v2/projects/shared");
    auto shared = expect_json(shared_r);
    CHECK(shared.IsArray());

    auto del = api.del("/v2/projects/" + id);
    CHECK(del.status / 100 == 2);
    auto after = expect_json(api.get("/v2/teams/" + team + "/projects"));
    CHECK(ids_of(after).count(id) == 0);
    auto gone = api.get("/v2/projects/" + id);
    if (gone.status == 200) {
        CHECK_FALSE(is_null(parse_json(gone.body), "deleted_at"));
    } else {
        CHECK(gone.status == 404);
    }
}

TEST_CASE("project counters follow folder, file and delete changes", "[emulator][hierarchy]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Counters");
    const auto pid = str(p, "id");
    const auto root = str(p, "root_asset_id");
    auto project = [&] { return expect_json(api.get("/v2/projects/" + pid)); };
    auto p0 = project();
    const auto folders0 = int64(p0, "folder_count");
    const auto files0 = int64(p0, "file_count");
    const auto storage0 = int64(p0, "storage");
    CHECK(files0 == 0);
    CHECK(storage0 == 0);

    advance_clock(api, 10);
    auto folder = create_folder(api, root, "sub");
    auto inner = create_folder(api, str(folder, "id"), "inner");
    auto p1 = project();
    CHECK(int64(p1, "folder_count") == folders0 + 2);
    CHECK(str(p1, "updated_at") > str(p0, "updated_at"));

    advance_clock(api, 10);
    auto a = upload_file(api, str(folder, "id"), "a.bin", make_bytes(3000, 1));
    auto b = upload_file(api, str(inner, "id"), "b.bin", make_bytes(500, 2));
    auto p2 = project();
    CHECK(int64(p2, "file_count") == files0 + 2);
    CHECK(int64(p2, "storage") == storage0 + 3500);
    CHECK(str(p2, "updated_at") > str(p1, "updated_at"));

    advance_clock(api, 10);
    REQUIRE(api.del("/v2/assets/" + str(b, "id")).status / 100 == 2);
    auto p3 = project();
    CHECK(int64(p3, "file_count") == files0 + 1);
    CHECK(int64(p3, "storage") == storage0 + 3000);
    CHECK(str(p3, "updated_at") > str(p2, "updated_at"));

    // Deleting a folder takes its whole subtree out of the counts.
    REQUIRE(api.del("/v2/assets/" + str(folder, "id")).status / 100 == 2);
    auto p4 = project();
    CHECK(int64(p4, "file_count") == files0);
    CHECK(int64(p4, "folder_count") == folders0);
    CHECK(int64(p4, "storage") == storage0);
    (void)a;
}
