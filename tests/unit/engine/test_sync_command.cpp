// SPDX-License-Identifier: MIT
// `frameio-sync sync` and `status` as a child process against frameio-emulator: the exit-code
// contract (0, 1, 2, 75), --json lines, --dry-run, and status counts.
#include "cli/cli_fixture.hpp"
#include "support/temp_dir.hpp"

#include "fios/engine/run_lock.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace fios;
using namespace fios::test;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            out.push_back(line);
    }
    return out;
}

struct SyncCli : CliFixture {
    SyncCli() : CliFixture({"--token", k_token, "--checksum-delay", "0", "--part-size", "65536"}) {
        login();
        project = create_project(first_team_id(), "Cli Sync");
        auto r = run({"select", project, "--to", folder().string()});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    std::filesystem::path folder() const { return home.path() / "Cli Sync"; }
    std::string project;
};

} // namespace

TEST_CASE("sync: without --once or --watch it is a usage error that names both", "[cli][sync]") {
    CliFixture f;
    auto r = f.run({"sync"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "sync needs --once"));
    CHECK(contains(r.err, "--watch"));
    auto bad = f.run({"sync", "--once", "--direction", "sideways"});
    CHECK(bad.exit_code == 2);
}

TEST_CASE("sync --once: json lines, then status counts, a second run is quiet", "[cli][sync]") {
    SyncCli f;
    write_file(f.folder() / "a.txt", "alpha");
    write_file(f.folder() / "Sub" / "b.txt", "beta");

    auto dry = f.run({"sync", "--once", "--dry-run", "--json", "--settle-seconds", "0"});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    std::size_t plan_lines = 0;
    bool summary = false;
    for (const auto& line : lines(dry.out)) {
        auto j = parse_json(line);
        REQUIRE(j.HasMember("v"));
        CHECK(j["v"].GetInt() == 1);
        const std::string event = j["event"].GetString();
        if (event == "plan")
            ++plan_lines;
        if (event == "summary") {
            summary = true;
            CHECK(j["dry_run"].GetBool());
        }
        CHECK(event != "item");
    }
    CHECK(plan_lines == 3); // Sub (folder), a.txt, Sub/b.txt
    CHECK(summary);

    auto r = f.run({"sync", "--once", "--json", "--settle-seconds", "0"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::size_t uploaded = 0;
    std::string result;
    for (const auto& line : lines(r.out)) {
        auto j = parse_json(line);
        CHECK(j["v"].GetInt() == 1);
        const std::string event = j["event"].GetString();
        if (event == "item" && std::string(j["action"].GetString()) == "upload" &&
            std::string(j["result"].GetString()) == "done")
            ++uploaded;
        if (event == "summary") {
            result = j["result"].GetString();
            CHECK(j["counts"]["uploaded"].GetInt() == 2);
            CHECK(j["counts"]["bytes_uploaded"].GetInt() == 9);
        }
    }
    CHECK(uploaded == 2);
    CHECK(result == "ok");
    // Human output off a terminal: one line per finished item on stderr, data on stdout only
    // with --json.
    auto again = f.run({"sync", "--once", "--settle-seconds", "0"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(again.out.empty());
    CHECK(contains(again.err, "nothing to do"));

    auto status = f.run({"status", "--json"});
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    REQUIRE(s["projects"].Size() == 1);
    const auto& p = s["projects"][0];
    CHECK(p["counts"]["synced"].GetInt() == 3);
    CHECK(p["counts"]["pending"].GetInt() == 0);
    CHECK(p["counts"]["failed"].GetInt() == 0);
    CHECK(std::string(p["last_sync"]["result"].GetString()) == "ok");
}

TEST_CASE("sync --once: exit 75 while another sync holds the lock, 1 on a conflict",
          "[cli][sync]") {
    SyncCli f;
    {
        auto lock =
            engine::RunLock::acquire(f.home.path() / "state" / "frameio-sync" / "sync.lock");
        REQUIRE(lock);
        auto r = f.run({"sync", "--once"});
        CHECK(r.exit_code == 75);
        CHECK(contains(r.err, "another frameio-sync (pid "));
    }
    // The same name with other content on both sides: a conflict (exit 1), nothing
    // overwritten.
    auto project = parse_json(f.api("GET", "/v2/projects/" + f.project).body);
    const std::string root = project["root_asset_id"].GetString();
    const std::string remote_content = "remote";
    auto created = parse_json(
        f.api("POST", "/v2/assets/" + root + "/children",
              R"({"name":"clash.txt","type":"file","filetype":"text/plain","filesize":6})")
            .body);
    REQUIRE(created["upload_urls"].Size() == 1);
    auto put = http_request("PUT", created["upload_urls"][0].GetString(), remote_content,
                            {"Content-Type: text/plain", "x-amz-acl: private"});
    REQUIRE(put.status == 200);
    write_file(f.folder() / "clash.txt", "local version");
    auto r = f.run({"sync", "--once", "--settle-seconds", "0"});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "conflict"));
    CHECK(read_file(f.folder() / "clash.txt") == "local version");
    auto status = parse_json(f.run({"status", "--json"}).out);
    CHECK(status["projects"][0]["counts"]["conflicts"].GetInt() == 1);
}
