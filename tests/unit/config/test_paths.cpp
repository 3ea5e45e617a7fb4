// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/config/paths.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <string>

using fios::ErrorCode;
using fios::config::Environment;

TEST_CASE("config and state folders follow XDG, with HOME as the fallback", "[config][paths]") {
    using Vars = std::map<std::string, std::string, std::less<>>;
    struct Row {
        const char* name;
        Vars vars;
        const char* config; // nullptr: error
        const char* state;  // nullptr: error
    };
    const std::vector<Row> rows = {
        {"HOME only",
         {{"HOME", "/home/u"}},
         "/home/u/.config/frameio-sync",
         "/home/u/.local/state/frameio-sync"},
        {"HOME with trailing slash",
         {{"HOME", "/home/u/"}},
         "/home/u/.config/frameio-sync",
         "/home/u/.local/state/frameio-sync"},
        {"XDG set",
         {{"HOME", "/home/u"}, {"XDG_CONFIG_HOME", "/cfg"}, {"XDG_STATE_HOME", "/st/"}},
         "/cfg/frameio-sync",
         "/st/frameio-sync"},
        {"XDG without HOME",
         {{"XDG_CONFIG_HOME", "/cfg"}, {"XDG_STATE_HOME", "/st"}},
         "/cfg/frameio-sync",
         "/st/frameio-sync"},
        {"relative XDG is ignored",
         {{"HOME", "/home/u"}, {"XDG_CONFIG_HOME", "rel/cfg"}, {"XDG_STATE_HOME", "st"}},
         "/home/u/.config/frameio-sync",
         "/home/u/.local/state/frameio-sync"},
        {"empty XDG is unset",
         {{"HOME", "/home/u"}, {"XDG_CONFIG_HOME", ""}, {"XDG_STATE_HOME", ""}},
         "/home/u/.config/frameio-sync",
         "/home/u/.local/state/frameio-sync"},
        {"nothing set", {}, nullptr, nullptr},
        {"empty HOME", {{"HOME", ""}}, nullptr, nullptr},
        {"relative HOME", {{"HOME", "home"}}, nullptr, nullptr},
        {"only config XDG", {{"XDG_CONFIG_HOME", "/cfg"}}, "/cfg/frameio-sync", nullptr},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.name) {
            const auto env = Environment::from(row.vars);
            auto config = fios::config::config_dir(env);
            auto state = fios::config::state_dir(env);
            if (row.config) {
                REQUIRE(config);
                CHECK(config->string() == row.config);
                auto file = fios::config::config_file(env);
                REQUIRE(file);
                CHECK(file->string() == std::string(row.config) + "/config.toml");
            } else {
                REQUIRE_FALSE(config);
                CHECK(config.error().code == ErrorCode::invalid_config);
                CHECK(config.error().message.find("HOME") != std::string::npos);
                CHECK(config.error().message.find("XDG_CONFIG_HOME") != std::string::npos);
                CHECK_FALSE(fios::config::config_file(env));
            }
            if (row.state) {
                REQUIRE(state);
                CHECK(state->string() == row.state);
                auto db = fios::config::state_database_path(env);
                REQUIRE(db);
                CHECK(db->string() == std::string(row.state) + "/state.db");
            } else {
                REQUIRE_FALSE(state);
                CHECK(state.error().message.find("XDG_STATE_HOME") != std::string::npos);
                CHECK_FALSE(fios::config::state_database_path(env));
            }
        }
    }
}

TEST_CASE("the process environment is read at each call", "[config][paths]") {
    fios::test::TempDir dir;
    const char* old = std::getenv("XDG_CONFIG_HOME");
    const std::string saved = old ? old : "";
    ::setenv("XDG_CONFIG_HOME", dir.path().c_str(), 1);
    auto a = fios::config::config_dir();
    ::setenv("XDG_CONFIG_HOME", (dir.path() / "other").c_str(), 1);
    auto b = fios::config::config_dir();
    if (old) {
        ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_CONFIG_HOME");
    }
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == dir.path() / "frameio-sync");
    CHECK(*b == dir.path() / "other" / "frameio-sync");
}
