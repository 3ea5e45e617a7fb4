// SPDX-License-Identifier: MIT
// Bearer auth: 401 for a missing, unknown or expired token, 403 for a missing scope, 404, and
// the HTTPError body on each; developer tokens from --token and --token-file.
#include "emulator/emulator_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace fios::test;
using namespace fios::test::emu;

namespace {
const char* k_random_uuid = "0b1f7c1e-6a52-4c7e-9a4e-2d3c4b5a6f70";
}

TEST_CASE("a request without a token gets 401 with an HTTPError body", "[emulator][auth]") {
    Emu e;
    Api anon(e.base_url(), "");
    for (const char* path : {"/v2/me", "/v2/accounts", "/v2/teams", "/v2/projects/shared"}) {
        INFO(path);
        CHECK(http_error_problem(anon.get(path), 401) == "");
    }
    // Another scheme is not a bearer token.
    auto basic =
        anon.send("GET", "/v2/me", std::nullopt, "", {"Authorization: Basic dXNlcjpwYXNz"});
    CHECK(http_error_problem(basic, 401) == "");
    auto empty_bearer = anon.send("GET", "/v2/me", std::nullopt, "", {"Authorization: Bearer "});
    CHECK(http_error_problem(empty_bearer, 401) == "");
}

TEST_CASE("an unknown token gets 401", "[emulator][auth]") {
    Emu e;
    auto r = e.api("not-a-configured-token").get("/v2/me");
    CHECK(http_error_problem(r, 401) == "");
    // A prefix of a real token is not the token.
    auto prefix = e.api(std::string(k_token).substr(0, 5)).get("/v2/me");
    CHECK(http_error_problem(prefix, 401) == "");
    // And the unknown token did not break the known one.
    CHECK(e.api().get("/v2/me").status == 200);
}

TEST_CASE("an expired OAuth access token gets 401 - developer tokens never expire",
          "[emulator][auth]") {
    Emu e({"--token-ttl", "600"});
    auto grant = oauth_login(e.base_url(), "account.read team.read project.read asset.read");
    CHECK(grant.expires_in == 600);
    Api oauth = e.api(grant.access_token);
    REQUIRE(oauth.get("/v2/me").status == 200);
    advance_clock(e.api(), 590);
    CHECK(oauth.get("/v2/me").status == 200);
    advance_clock(e.api(), 11);
    CHECK(http_error_problem(oauth.get("/v2/me"), 401) == "");
    // A developer token still works a year and more later.
    advance_clock(e.api(), 400LL * 24 * 3600);
    CHECK(e.api().get("/v2/me").status == 200);
}

TEST_CASE("a token without the route's scope gets 403 with an HTTPError body", "[emulator][auth]") {
    Emu e({"--token", "reader:account.read,team.read,project.read,asset.read", "--token",
           "projects-only:project.read"});
    auto project = create_project(e.api(), "Scopes");
    const auto root = str(project, "root_asset_id");
    auto folder = create_folder(e.api(), root, "existing");
    const auto folder_id = str(folder, "id");
    Api reader = e.api("reader");

    // Reading is allowed.
    CHECK(reader.get("/v2/assets/" + folder_id).status == 200);
    CHECK(reader.get("/v2/assets/" + root + "/children").status == 200);
    CHECK(reader.get("/v2/me").status == 200);

    // Creating needs asset.create, deleting asset.delete, renaming asset.update.
    auto create = reader.post_json("/v2/assets/" + root + "/children",
                                   R"({"type":"folder","name":"refused"})");
    CHECK(http_error_problem(create, 403) == "");
    auto del = reader.del("/v2/assets/" + folder_id);
    CHECK(http_error_problem(del, 403) == "");
    auto rename = reader.put_json("/v2/assets/" + folder_id, R"({"name":"renamed"})");
    CHECK(http_error_problem(rename, 403) == "");
    // None of the refused calls had an effect.
    auto children = list_children(e.api(), root);
    REQUIRE(children.size() == 1);
    CHECK(str(children[0], "name") == "existing");
    CHECK(is_null(children[0], "deleted_at"));

    // Without asset.read an asset cannot be read.
    auto no_asset_read = e.api("projects-only").get("/v2/assets/" + folder_id);
    CHECK(http_error_problem(no_asset_read, 403) == "");
    CHECK(e.api("projects-only").get("/v2/projects/" + str(project, "id")).status == 200);

    // Hierarchy routes have their scopes too: account.read, team.read, project.create.
    Api projects_only = e.api("projects-only");
    CHECK(http_error_problem(projects_only.get("/v2/accounts"), 403) == "");
    CHECK(http_error_problem(projects_only.get("/v2/teams"), 403) == "");
    auto team = first_team_id(e.api());
    CHECK(http_error_problem(
              reader.post_json("/v2/teams/" + team + "/projects", R"({"name":"refused"})"), 403) ==
          "");
}

TEST_CASE("unknown ids and routes get 404 with an HTTPError body", "[emulator][auth]") {
    Emu e;
    Api api = e.api();
    const std::string id = k_random_uuid;
    CHECK(http_error_problem(api.get("/v2/assets/" + id), 404) == "");
    CHECK(http_error_problem(api.get("/v2/assets/" + id + "/children"), 404) == "");
    CHECK(http_error_problem(api.get("/v2/projects/" + id), 404) == "");
    CHECK(http_error_problem(api.get("/v2/teams/" + id), 404) == "");
    CHECK(http_error_problem(api.get("/v2/accounts/" + id), 404) == "");
    CHECK(http_error_problem(api.del("/v2/assets/" + id), 404) == "");
    CHECK(http_error_problem(api.put_json("/v2/assets/" + id, R"({"name":"x"})"), 404) == "");
    CHECK(http_error_problem(
              api.post_json("/v2/assets/" + id + "/children", R"({"type":"folder","name":"x"})"),
              404) == "");
    CHECK(http_error_problem(api.get("/v2/no-such-route"), 404) == "");
    // A project id is not an asset id: files go under root_asset_id.
    auto project = create_project(api, "Not a parent");
    auto r = api.post_json("/v2/assets/" + str(project, "id") + "/children",
                           R"({"type":"folder","name":"x"})");
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    CHECK(child_ids(api, str(project, "root_asset_id")).empty());
}

TEST_CASE("token file: lines without scopes have every scope, with scopes only those",
          "[emulator][auth]") {
    TempDir dir("fios-emu-tokens");
    write_file(dir / "tokens", "file-all-scopes\nfile-readonly:account.read,team.read,"
                               "project.read,asset.read\n");
    Emu e(EmuOptions{{"--token-file", (dir / "tokens").string()}, false, false});
    Api all = e.api("file-all-scopes");
    Api ro = e.api("file-readonly");
    REQUIRE(all.get("/v2/me").status == 200);
    REQUIRE(ro.get("/v2/me").status == 200);
    // Only tokens from the file are configured.
    CHECK(e.api(k_token).get("/v2/me").status == 401);

    auto project = create_project(all, "From token file");
    const auto root = str(project, "root_asset_id");
    auto folder = create_folder(all, root, "made with the all-scopes token");
    CHECK(ro.get("/v2/assets/" + str(folder, "id")).status == 200);
    CHECK(http_error_problem(
              ro.post_json("/v2/assets/" + root + "/children", R"({"type":"folder","name":"no"})"),
              403) == "");
    CHECK(http_error_problem(ro.del("/v2/assets/" + str(folder, "id")), 403) == "");
    CHECK(all.del("/v2/assets/" + str(folder, "id")).status / 100 == 2);

    // Both tokens are the same (the only) user.
    auto me_all = expect_json(all.get("/v2/me"));
    auto me_ro = expect_json(ro.get("/v2/me"));
    CHECK(str(me_all, "id") == str(me_ro, "id"));
}
