// SPDX-License-Identifier: MIT
// login --token-stdin, FRAMEIO_TOKEN, whoami, logout, the credentials file's mode.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>

using namespace fios::test;

namespace {
unsigned file_mode(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777u;
}
} // namespace

TEST_CASE("login --token-stdin checks the token, saves it 0600, and whoami uses it",
          "[cli][login]") {
    CliFixture f;
    auto login = f.run({"login", "--token-stdin", "--json"}, std::string(k_token) + "\n");
    INFO(login.err);
    REQUIRE(login.exit_code == 0);
    auto j = parse_json(login.out);
    CHECK(std::string(j["event"].GetString()) == "login");
    CHECK(std::string(j["method"].GetString()) == "developer token");
    CHECK(std::string(j["user"]["id"].GetString()).size() > 0);
    CHECK(file_mode(f.credentials_path()) == 0600u);
    CHECK(file_mode(std::filesystem::path(f.credentials_path()).parent_path().string()) == 0700u);

    auto who = f.run({"whoami", "--json"});
    INFO(who.err);
    REQUIRE(who.exit_code == 0);
    auto w = parse_json(who.out);
    CHECK(std::string(w["token_source"].GetString()) == "saved developer token");
    CHECK(std::string(w["user"]["id"].GetString()) == j["user"]["id"].GetString());

    // The token appears nowhere in what the CLI printed.
    for (const auto& text : {login.out, login.err, who.out, who.err}) {
        CHECK_FALSE(contains(text, k_token));
    }
}

TEST_CASE("a rejected token is not saved and exits 77", "[cli][login]") {
    CliFixture f;
    auto r = f.run({"login", "--token-stdin"}, "not-a-valid-token\n");
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "rejected the token"));
    CHECK_FALSE(contains(r.err, "not-a-valid-token"));
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));
    auto who = f.run({"whoami"});
    CHECK(who.exit_code == 77);
    CHECK(contains(who.err, "not logged in"));
}

TEST_CASE("empty standard input is a usage error", "[cli][login]") {
    CliFixture f;
    auto r = f.run({"login", "--token-stdin"}, "");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "no token on standard input"));
}

TEST_CASE("FRAMEIO_TOKEN is honoured without login and overrides a saved login", "[cli][login]") {
    CliFixture f({"--token", k_token, "--token", "second-token-for-env"});
    auto env_only = f.run({"whoami", "--json"}, {}, {{"FRAMEIO_TOKEN", "second-token-for-env"}});
    INFO(env_only.err);
    REQUIRE(env_only.exit_code == 0);
    CHECK(std::string(parse_json(env_only.out)["token_source"].GetString()) ==
          "environment (FRAMEIO_TOKEN)");

    f.login();
    auto overridden = f.run({"whoami", "--json"}, {}, {{"FRAMEIO_TOKEN", "second-token-for-env"}});
    REQUIRE(overridden.exit_code == 0);
    CHECK(std::string(parse_json(overridden.out)["token_source"].GetString()) ==
          "environment (FRAMEIO_TOKEN)");
    // A bad FRAMEIO_TOKEN is reported as an auth failure, not silently replaced by the login.
    auto bad = f.run({"whoami"}, {}, {{"FRAMEIO_TOKEN", "wrong"}});
    CHECK(bad.exit_code == 77);
    CHECK_FALSE(contains(bad.err, "wrong"));
}

TEST_CASE("a credentials file readable by others is refused with the fix", "[cli][login]") {
    CliFixture f;
    f.login();
    REQUIRE(::chmod(f.credentials_path().c_str(), 0644) == 0);
    auto r = f.run({"whoami"});
    CHECK(r.exit_code == 78);
    CHECK(contains(r.err, "chmod 600"));
    CHECK_FALSE(contains(r.err, k_token));
}

TEST_CASE("logout removes the saved login and nothing else", "[cli][login]") {
    CliFixture f;
    f.login();
    REQUIRE(std::filesystem::exists(f.credentials_path()));
    auto r = f.run({"logout"});
    CHECK(r.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));
    auto again = f.run({"logout"});
    CHECK(again.exit_code == 0);
    CHECK(contains(again.err, "Not logged in"));
    CHECK(f.run({"whoami"}).exit_code == 77);
}

TEST_CASE("a token without a needed scope fails with the scope named", "[cli][login]") {
    // account.read only: /v2/me works, listing teams needs team.read.
    CliFixture f({"--token", std::string(k_token) + ":account.read"});
    f.login();
    auto r = f.run({"teams"});
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "team.read"));
}

TEST_CASE("verbose tracing (-vv) shows HTTP requests without tokens or signed queries",
          "[cli][login]") {
    CliFixture f;
    f.login();
    auto r = f.run({"-vv", "projects", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "http: GET /v2/teams"));
    CHECK_FALSE(contains(r.err + r.out, k_token));
    CHECK_FALSE(contains(r.err, "Bearer"));
    // The log_level setting does the same without -vv.
    auto traced = f.run({"projects"}, {}, {{"FRAMEIO_SYNC_LOG_LEVEL", "trace"}});
    CHECK(contains(traced.err, "http: GET /v2/teams"));
    auto quiet = f.run({"-q", "logout"});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.err.empty());
}

TEST_CASE("a saved token is never sent to another API URL", "[cli][login]") {
    CliFixture f;
    f.login();
    EmulatorProcess other({"--token", k_token});
    auto r = f.run({"whoami"}, {}, {{"FRAMEIO_API_URL", other.base_url()}});
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "not sent"));
    CHECK(emulator_request_count(other.base_url(), "GET /v2/me") == 0);
    // The same URL spelled with a trailing slash is the same API.
    auto same = f.run({"whoami"}, {}, {{"FRAMEIO_API_URL", f.emulator.base_url() + "/"}});
    CHECK(same.exit_code == 0);
    // An API path in the base URL is a configuration error with the fix.
    auto v2 = f.run({"whoami"}, {}, {{"FRAMEIO_API_URL", f.emulator.base_url() + "/v2"}});
    CHECK(v2.exit_code == 78);
    CHECK(contains(v2.err, "base URL"));
}

TEST_CASE("a rejected FRAMEIO_TOKEN says to fix the variable, not to log in", "[cli][login]") {
    CliFixture f;
    auto r = f.run({"whoami"}, {}, {{"FRAMEIO_TOKEN", "stale-token"}});
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "FRAMEIO_TOKEN"));
    CHECK_FALSE(contains(r.err, "stale-token"));
}
