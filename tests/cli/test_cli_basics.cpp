// SPDX-License-Identifier: MIT
// Usage errors, --version, configuration errors, config provenance.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

using namespace fios::test;

TEST_CASE("usage errors exit 2 with a hint, never CLI11's own codes", "[cli]") {
    auto r = run_process({cli_binary(), "projects", "--no-such-flag"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--help"));
    CHECK(run_process({cli_binary()}).exit_code == 2);
    CHECK(run_process({cli_binary(), "select"}).exit_code == 2);
    auto help = run_process({cli_binary(), "--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "Exit codes"));
    auto version = run_process({cli_binary(), "--version"});
    CHECK(version.exit_code == 0);
    CHECK(contains(version.out, "frameio-sync "));
}

TEST_CASE("a typo in config.toml exits 78 naming the file, line and the likely key",
          "[cli][config]") {
    TempDir home;
    write_file(home.path() / "config" / "frameio-sync" / "config.toml",
               "# settings\njobs = 4\njbos = 8\n");
    RunOptions o;
    o.env = {{"HOME", home.path().string()},
             {"XDG_CONFIG_HOME", (home.path() / "config").string()},
             {"XDG_STATE_HOME", (home.path() / "state").string()}};
    auto r = run_process({cli_binary(), "config"}, o);
    CHECK(r.exit_code == 78);
    CHECK(contains(r.err, "jbos"));
    CHECK(contains(r.err, "line 3"));
    CHECK(contains(r.err, "jobs"));
}

TEST_CASE("config shows flag > environment > file > default with origins", "[cli][config]") {
    TempDir home;
    write_file(home.path() / "config" / "frameio-sync" / "config.toml",
               "jobs = 3\nsettle_seconds = 9\n");
    RunOptions o;
    o.env = {{"HOME", home.path().string()},
             {"XDG_CONFIG_HOME", (home.path() / "config").string()},
             {"XDG_STATE_HOME", (home.path() / "state").string()},
             {"FRAMEIO_SYNC_JOBS", "6"},
             {"FRAMEIO_API_URL", std::nullopt}};
    auto r = run_process({cli_binary(), "config", "--json", "--settle-seconds", "11"}, o);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto d = parse_json(r.out);
    bool saw_jobs = false, saw_settle = false, saw_api = false;
    for (const auto& s : d.GetArray()) {
        std::string name = s["name"].GetString();
        if (name == "jobs") {
            saw_jobs = true;
            CHECK(s["value"].GetInt64() == 6);
            CHECK(std::string(s["source"].GetString()) == "environment");
        } else if (name == "settle_seconds") {
            saw_settle = true;
            CHECK(s["value"].GetInt64() == 11);
            CHECK(std::string(s["source"].GetString()) == "flag");
        } else if (name == "api_url") {
            saw_api = true;
            CHECK(std::string(s["value"].GetString()) == "https://api.frame.io");
            CHECK(std::string(s["source"].GetString()) == "default");
        }
    }
    CHECK((saw_jobs && saw_settle && saw_api));
}

TEST_CASE("the API unreachable is a temporary failure (75)", "[cli]") {
    TempDir home;
    RunOptions o;
    o.env = {{"HOME", home.path().string()},
             {"XDG_CONFIG_HOME", (home.path() / "config").string()},
             {"XDG_STATE_HOME", (home.path() / "state").string()},
             {"FRAMEIO_TOKEN", "x"},
             {"FRAMEIO_API_URL", "http://127.0.0.1:9"}}; // discard port: connection refused
    o.deadline = std::chrono::seconds(300);
    auto r = run_process({cli_binary(), "whoami"}, o);
    CHECK(r.exit_code == 75);
}

TEST_CASE("an unknown FRAMEIO_SYNC_ variable is warned about with the likely name",
          "[cli][config]") {
    TempDir home;
    RunOptions o;
    o.env = {{"HOME", home.path().string()},
             {"XDG_CONFIG_HOME", (home.path() / "config").string()},
             {"XDG_STATE_HOME", (home.path() / "state").string()},
             {"FRAMEIO_SYNC_JBOS", "3"}};
    auto r = run_process({cli_binary(), "config"}, o);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "FRAMEIO_SYNC_JBOS"));
    CHECK(contains(r.err, "FRAMEIO_SYNC_JOBS"));
    auto unknown = run_process({cli_binary(), "frobnicate"}, o);
    CHECK(unknown.exit_code == 2);
    CHECK(contains(unknown.err, "frobnicate"));
}

TEST_CASE("sync --once with the API unreachable exits 75 and names the cause", "[cli][sync]") {
    TempDir home;
    RunOptions o;
    o.env = {{"HOME", home.path().string()},
             {"XDG_CONFIG_HOME", (home.path() / "config").string()},
             {"XDG_STATE_HOME", (home.path() / "state").string()},
             {"FRAMEIO_TOKEN", "x"},
             {"FRAMEIO_SYNC_API", "v2"},
             {"FRAMEIO_API_URL", "http://127.0.0.1:9"}};
    o.deadline = std::chrono::seconds(300);
    auto r = run_process({cli_binary(), "sync", "--once"}, o);
    CHECK(r.exit_code == 75);
    CHECK(contains(r.err, "cannot connect"));
    CHECK_FALSE(contains(r.err, "nothing to do"));
}

TEST_CASE("a client secret is never a flag and config shows it only as set", "[cli][config]") {
    TempDir home;
    RunOptions o;
    o.env = {{"HOME", home.path().string()},
             {"XDG_CONFIG_HOME", (home.path() / "config").string()},
             {"XDG_STATE_HOME", (home.path() / "state").string()},
             {"FRAMEIO_CLIENT_SECRET", "very-secret-value"}};
    // argv is readable by every user: there is no such option to put a secret in.
    auto flag = run_process({cli_binary(), "config", "--client-secret", "x"}, o);
    CHECK(flag.exit_code == 2);
    auto shown = run_process({cli_binary(), "config"}, o);
    CHECK(shown.exit_code == 0);
    CHECK(contains(shown.out, "client_secret"));
    CHECK_FALSE(contains(shown.out + shown.err, "very-secret-value"));
    auto json = run_process({cli_binary(), "config", "--json"}, o);
    CHECK(json.exit_code == 0);
    CHECK_FALSE(contains(json.out + json.err, "very-secret-value"));
}
