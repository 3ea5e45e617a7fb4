// SPDX-License-Identifier: MIT
// projects, teams, select, sync --once and status on V4 (the default API): the real CLI
// against the emulator's V4 account, logged in with a legacy developer token.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

using namespace fios::test;
namespace fs = std::filesystem;

namespace {

const std::string k_legacy = "legacy-token-0123456789";

/// The demo files `--seed-demo` puts in the V4 "Demo Project" (relative paths).
std::set<std::string> files_under(const fs::path& root) {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file())
            out.insert(fs::relative(e.path(), root).generic_string());
    }
    return out;
}

/// A fixture on V4, logged in with the legacy token, files settled at once.
void log_in_v4(CliFixture& f) {
    f.use_v4();
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    auto r = f.run({"login", "--token-stdin"}, k_legacy + "\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

} // namespace

TEST_CASE("V4: projects, select by Workspace/Project, sync --once both ways, status",
          "[cli][sync][v4]") {
    // No rate limits: the test reads the emulator's API directly at the end, beside the CLI's
    // paced requests (which the other cases run against the default limits).
    CliFixture f({"--v4-legacy-token", k_legacy, "--seed-demo", "--no-rate-limit"});
    log_in_v4(f);

    auto teams = f.run({"teams", "--json"});
    INFO(teams.err);
    REQUIRE(teams.exit_code == 0);
    auto ws = parse_json(teams.out);
    REQUIRE(ws.Size() == 1);
    const std::string workspace = ws[0]["name"].GetString();
    const std::string workspace_id = ws[0]["id"].GetString();

    auto listed = f.run({"projects", "--json"});
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    auto projects = parse_json(listed.out);
    REQUIRE(projects.Size() == 1);
    const auto& demo = projects[0];
    CHECK(std::string(demo["name"].GetString()) == "Demo Project");
    CHECK(std::string(demo["api"].GetString()) == "v4");
    CHECK(std::string(demo["workspace_id"].GetString()) == workspace_id);
    CHECK(std::string(demo["team_name"].GetString()) == workspace);
    CHECK_FALSE(std::string(demo["account_id"].GetString()).empty());
    CHECK(demo["local_path"].IsNull());
    const std::string project_id = demo["id"].GetString();

    auto table = f.run({"projects"});
    REQUIRE(table.exit_code == 0);
    CHECK(contains(table.out, "ACCOUNT"));
    CHECK(contains(table.out, "WORKSPACE"));
    CHECK(contains(table.out, "Demo Project"));

    const fs::path local = f.home.path() / "Demo";
    auto sel = f.run({"select", workspace + "/Demo Project", "--to", local.string(), "--json"});
    INFO(sel.err);
    REQUIRE(sel.exit_code == 0);
    CHECK(std::string(parse_json(sel.out)["project"]["id"].GetString()) == project_id);
    write_file(local / "from-here.txt", "made on this machine");

    auto first = f.run({"sync", "--once", "--json"});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    std::optional<rapidjson::Document> summary;
    for (std::size_t start = 0; start < first.out.size();) {
        auto end = first.out.find('\n', start);
        auto line = first.out.substr(start, end - start);
        start = end == std::string::npos ? first.out.size() : end + 1;
        if (contains(line, "\"event\":\"summary\""))
            summary = parse_json(line);
    }
    REQUIRE(summary.has_value());
    CHECK(std::string((*summary)["result"].GetString()) == "ok");
    CHECK((*summary)["counts"]["uploaded"].GetInt64() == 1);
    CHECK((*summary)["counts"]["downloaded"].GetInt64() >= 1);

    // The demo files came down, the local file went up.
    const auto here = files_under(local);
    CHECK(here.count("notes.txt") == 1);
    CHECK(here.count("from-here.txt") == 1);
    CHECK(read_file(local / "from-here.txt") == "made on this machine");

    auto second = f.run({"sync", "--once"});
    INFO(second.err);
    CHECK(second.exit_code == 0);
    CHECK(contains(second.err, "nothing to do"));

    auto status = f.run({"status", "--json"});
    INFO(status.err);
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    REQUIRE(s["projects"].Size() == 1);
    const auto& p = s["projects"][0];
    CHECK(std::string(p["api"].GetString()) == "v4");
    std::int64_t entries = 0; // files and folders
    for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(local))
        ++entries;
    CHECK(p["counts"]["synced"].GetInt64() == entries);
    CHECK(p["counts"]["pending"].GetInt64() == 0);
    CHECK(p["counts"]["failed"].GetInt64() == 0);
    CHECK(std::string(p["last_sync"]["result"].GetString()) == "ok");

    // The upload is on Frame.io (the emulator's V4 API, read directly).
    const std::string account = demo["account_id"].GetString();
    const std::string root = demo["root_asset_id"].GetString();
    auto files = http_request(
        "GET", f.emulator.base_url() + "/v4/accounts/" + account + "/folders/" + root + "/files",
        {}, {"Authorization: Bearer " + k_legacy, "x-frameio-legacy-token-auth: true"});
    REQUIRE(files.status == 200);
    CHECK(contains(files.body, "from-here.txt"));
}

TEST_CASE("a selection of the other API generation is skipped with the fix named",
          "[cli][sync][v4]") {
    CliFixture f({"--v4-legacy-token", k_legacy, "--token", k_token, "--seed-demo"});
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    // A V2 selection (the fixture's default API is v2).
    f.login();
    auto v2_sel = f.run({"select", "Demo Project", "--to", (f.home.path() / "v2").string()});
    INFO(v2_sel.err);
    REQUIRE(v2_sel.exit_code == 0);

    log_in_v4(f);
    auto only_v2 = f.run({"sync", "--once"});
    CHECK(only_v2.exit_code == 78);
    CHECK(contains(only_v2.err, "--api v2"));
    CHECK(contains(f.run({"status"}).err, "--api v2"));

    // With a V4 selection beside it, the V4 one syncs and the V2 one is skipped.
    auto listed = f.run({"projects", "--json"});
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    const std::string v4_id = parse_json(listed.out)[0]["id"].GetString();
    auto v4_sel = f.run({"select", v4_id, "--to", (f.home.path() / "v4").string()});
    INFO(v4_sel.err);
    REQUIRE(v4_sel.exit_code == 0);
    auto mixed = f.run({"sync", "--once"});
    INFO(mixed.err);
    CHECK(mixed.exit_code == 0);
    CHECK(contains(mixed.err, "skipping Team/Demo Project"));
    CHECK(fs::exists(f.home.path() / "v4" / "notes.txt"));
    CHECK_FALSE(fs::exists(f.home.path() / "v2" / "notes.txt"));

    // A name selected on both generations means this generation's project.
    auto by_name = f.run({"sync", "--once", "--project", "Demo Project"});
    INFO(by_name.err);
    CHECK(by_name.exit_code == 0);
    CHECK_FALSE(contains(by_name.err, "skipping"));

    // And on V2 the other way round.
    auto v2 =
        f.run({"sync", "--once"}, {}, {{"FRAMEIO_SYNC_API", "v2"}, {"FRAMEIO_TOKEN", k_token}});
    INFO(v2.err);
    CHECK(v2.exit_code == 0);
    CHECK(contains(v2.err, "--api v4"));
    CHECK(fs::exists(f.home.path() / "v2" / "notes.txt"));
}

TEST_CASE("V4 commands without a login exit 77", "[cli][sync][v4]") {
    CliFixture f({"--v4-legacy-token", k_legacy, "--seed-demo"});
    f.use_v4();
    CHECK(f.run({"projects"}).exit_code == 77);
    CHECK(f.run({"teams"}).exit_code == 77);
    CHECK(f.run({"sync", "--once"}).exit_code == 77);
    CHECK(f.run({"status"}).exit_code == 0); // status reads only the state database
    auto wrong = f.run({"projects"}, {}, {{"FRAMEIO_TOKEN", "not-a-token"}});
    CHECK(wrong.exit_code == 77);
}

TEST_CASE("status warns when the saved login cannot renew and ends within a day",
          "[cli][status][v4]") {
    const std::string redirect = "https://localhost:8443/cb";
    CliFixture f({"--ims-client", "spa1,type=spa,redirect=" + redirect});
    f.use_v4();
    SpawnedProcess cli(f.argv({"login", "--oauth", "--client-id", "spa1", "--redirect-uri",
                               redirect, "--no-browser"}),
                       f.options());
    auto url = cli.read_line(std::chrono::seconds(20));
    REQUIRE(url.has_value());
    auto reply = http_request("GET", *url);
    REQUIRE(reply.status == 302);
    cli.write_stdin(reply.headers["location"] + "\n", /*close=*/true);
    auto login = cli.wait(std::chrono::seconds(20));
    INFO(login.err);
    REQUIRE(login.exit_code == 0);

    auto status = f.run({"status"});
    INFO(status.err);
    CHECK(status.exit_code == 0);
    CHECK(contains(status.err, "cannot renew itself"));
    CHECK(contains(status.err, "login --oauth --client-id spa1"));
}

TEST_CASE("V4: sync --once --verify readback reports each upload read back, status counts "
          "how files were verified",
          "[cli][sync][v4][readback]") {
    CliFixture f({"--v4-legacy-token", k_legacy, "--seed-demo", "--no-rate-limit"});
    log_in_v4(f);
    const fs::path local = f.home.path() / "Demo";
    auto sel = f.run({"select", "Demo Project", "--to", local.string()});
    INFO(sel.err);
    REQUIRE(sel.exit_code == 0);
    write_file(local / "from-here.txt", "made on this machine");

    auto run = f.run({"sync", "--once", "--json", "--verify", "readback"});
    INFO(run.err);
    INFO(run.out);
    REQUIRE(run.exit_code == 0);
    std::map<std::string, std::string> verified_by; // path -> kind, files synced by the run
    for (std::size_t start = 0; start < run.out.size();) {
        auto end = run.out.find('\n', start);
        auto line = run.out.substr(start, end - start);
        start = end == std::string::npos ? run.out.size() : end + 1;
        if (!contains(line, "\"event\":\"item\""))
            continue;
        auto e = parse_json(line);
        REQUIRE(e.HasMember("verified_by"));
        if (e["verified_by"].IsString())
            verified_by[e["path"].GetString()] = e["verified_by"].GetString();
    }
    CHECK(verified_by["from-here.txt"] == "readback");
    CHECK(verified_by["notes.txt"] == "size"); // a download: verified by its size
    std::size_t downloads = 0;
    for (const auto& [path, kind] : verified_by)
        downloads += kind == "size" ? 1U : 0U;
    CHECK(downloads + 1 == verified_by.size());

    // The journal records a file read back as verified by readback (commit 7978c1e).
    auto status = f.run({"status", "--json"});
    INFO(status.err);
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    REQUIRE(s["projects"].Size() == 1);
    const auto& by = s["projects"][0]["verified_by"];
    CHECK(by["checksum"].GetInt64() == 0);
    CHECK(by["readback"].GetInt64() == 1);
    CHECK(by["content-md5+size"].GetInt64() == 0);
    CHECK(by["size"].GetInt64() == static_cast<std::int64_t>(downloads));

    auto text = f.run({"status"});
    REQUIRE(text.exit_code == 0);
    CHECK(contains(text.out, "by readback 1"));
}
