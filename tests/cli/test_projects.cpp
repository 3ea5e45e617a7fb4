// SPDX-License-Identifier: MIT
// teams, projects --json, select (by id, Team/Project, name; ambiguous), unselect, status.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using namespace fios::test;

TEST_CASE("projects --json lists projects created through the API with their fields",
          "[cli][projects]") {
    CliFixture f({"--token", k_token, "--team", "Post House"});
    f.login();
    auto teams = f.team_ids();
    REQUIRE(teams.size() == 2);
    std::string a = f.create_project(teams[0], "Alpha");
    std::string b = f.create_project(teams[1], "Beta Cut");

    auto r = f.run({"projects", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto d = parse_json(r.out);
    REQUIRE(d.IsArray());
    std::set<std::string> ids;
    for (const auto& p : d.GetArray()) {
        ids.insert(p["id"].GetString());
        for (const char* key :
             {"id", "name", "team_id", "team_name", "root_asset_id", "updated_at"}) {
            INFO(key);
            CHECK(p[key].IsString());
        }
        for (const char* key : {"file_count", "folder_count", "storage"}) {
            INFO(key);
            CHECK(p[key].IsInt64());
        }
        CHECK(p["shared"].IsBool());
        CHECK(p["local_path"].IsNull());
        CHECK_FALSE(std::string(p["root_asset_id"].GetString()).empty());
    }
    CHECK(ids.count(a) == 1);
    CHECK(ids.count(b) == 1);
    CHECK_FALSE(contains(r.out + r.err, k_token));

    auto human = f.run({"projects"});
    REQUIRE(human.exit_code == 0);
    CHECK(contains(human.out, "Beta Cut"));
    CHECK(contains(human.out, "Post House"));

    auto t = f.run({"teams", "--json"});
    REQUIRE(t.exit_code == 0);
    CHECK(parse_json(t.out).GetArray().Size() == 2);
}

TEST_CASE("select by id, by Team/Project and by unique name, then status and unselect",
          "[cli][select]") {
    CliFixture f;
    f.login();
    std::string team = f.first_team_id();
    std::string alpha = f.create_project(team, "Alpha");
    std::string beta = f.create_project(team, "Beta");
    std::string gamma = f.create_project(team, "Gamma");
    auto folder = [&](const std::string& name) { return (f.home.path() / "sync" / name).string(); };

    auto by_id = f.run({"select", alpha, "--to", folder("alpha"), "--json"});
    INFO(by_id.err);
    REQUIRE(by_id.exit_code == 0);
    CHECK(std::filesystem::is_directory(folder("alpha")));
    auto j = parse_json(by_id.out);
    CHECK(std::string(j["project"]["id"].GetString()) == alpha);

    auto teams = f.run({"teams", "--json"});
    std::string team_name = parse_json(teams.out)[0]["name"].GetString();
    auto by_path = f.run({"select", team_name + "/Beta", "--to", folder("beta")});
    INFO(by_path.err);
    CHECK(by_path.exit_code == 0);
    auto by_name = f.run({"select", "Gamma", "--to", folder("gamma")});
    INFO(by_name.err);
    CHECK(by_name.exit_code == 0);

    auto status = f.run({"status", "--json"});
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    REQUIRE(s["projects"].Size() == 3);
    std::set<std::string> selected;
    for (const auto& p : s["projects"].GetArray())
        selected.insert(p["id"].GetString());
    CHECK(selected == std::set<std::string>{alpha, beta, gamma});

    // A folder inside another selection's folder is refused.
    std::string delta = f.create_project(team, "Delta");
    auto nested = f.run({"select", delta, "--to", folder("alpha") + "/inner"});
    CHECK(nested.exit_code == 2);
    CHECK(contains(nested.err, "Alpha"));
    CHECK_FALSE(std::filesystem::exists(folder("alpha") + "/inner")); // refused before mkdir

    // unselect deletes nothing and works offline.
    write_file(std::filesystem::path(folder("beta")) / "keep.txt", "footage");
    auto un = f.run({"unselect", "Beta"}, {}, {{"FRAMEIO_API_URL", "http://127.0.0.1:9"}});
    INFO(un.err);
    CHECK(un.exit_code == 0);
    CHECK(std::filesystem::exists(std::filesystem::path(folder("beta")) / "keep.txt"));
    auto after = parse_json(f.run({"status", "--json"}).out);
    CHECK(after["projects"].Size() == 2);
    auto missing = f.run({"unselect", "Beta"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("'Beta' is not selected (`frameio-sync status` lists the selected "
                           "projects)") != std::string::npos);
    // `sync --project` names an unselected project the same way, and syncs nothing.
    auto sync = f.run({"sync", "--once", "--project", "Beta"});
    CHECK(sync.exit_code == 1);
    CHECK(sync.err.find("'Beta' is not selected") != std::string::npos);
}

TEST_CASE("an ambiguous project name is refused with the candidates listed", "[cli][select]") {
    CliFixture f({"--token", k_token, "--team", "Second Team"});
    f.login();
    auto teams = f.team_ids();
    REQUIRE(teams.size() == 2);
    std::string one = f.create_project(teams[0], "Dailies");
    std::string two = f.create_project(teams[1], "Dailies");
    auto r = f.run({"select", "Dailies", "--to", (f.home.path() / "d").string()});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "ambiguous"));
    CHECK(contains(r.err, one));
    CHECK(contains(r.err, two));
    CHECK(contains(r.err, "Second Team/Dailies"));
    auto none = f.run({"select", "No Such Project", "--to", (f.home.path() / "n").string()});
    CHECK(none.exit_code == 1);
    CHECK(contains(none.err, "no project matches"));
}
