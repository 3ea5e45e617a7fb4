// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/config/settings.hpp"
#include "fios/config/toml.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using fios::ErrorCode;
using fios::config::Environment;
using fios::config::SettingSpec;
using fios::config::SettingType;
using fios::config::Source;
using fios::config::Value;
using Flags = std::map<std::string, std::string, std::less<>>;
using Vars = std::map<std::string, std::string, std::less<>>;

namespace {

fios::config::ConfigFile file_with(std::string_view text) {
    auto f = fios::config::parse_config(text, "/home/u/.config/frameio-sync/config.toml");
    REQUIRE(f);
    return *f;
}

SettingSpec spec(std::string_view name, SettingType type) {
    SettingSpec s;
    s.name = name;
    s.type = type;
    s.description = "d";
    return s;
}

} // namespace

TEST_CASE("the registry holds the initial settings with their defaults", "[config][settings]") {
    std::set<std::string_view> names;
    for (const auto& s : fios::config::all_settings()) {
        INFO(s.name);
        CHECK(names.insert(s.name).second);
        CHECK(s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos);
        CHECK_FALSE(s.description.empty());
        if (s.default_value) {
            // Every default passes its own constraints.
            CHECK(fios::config::validate_value(s, *s.default_value, "as default"));
        }
    }
    for (const char* want :
         {"api_url", "auth_url", "client_id", "redirect_uri", "jobs", "part_jobs", "settle_seconds",
          "verify_timeout_seconds", "log_level"}) {
        INFO(want);
        CHECK(names.count(want) == 1);
    }
    auto defaults = fios::config::resolve_settings({}, Environment::from({}), nullptr);
    REQUIRE(defaults);
    CHECK(defaults->string("api_url") == "https://api.frame.io");
    CHECK(defaults->string("auth_url") == "https://applications.frame.io");
    CHECK_FALSE(defaults->optional_string("client_id").has_value());
    CHECK(defaults->string("client_id").empty());
    CHECK(defaults->string("redirect_uri") == "http://127.0.0.1:8080");
    CHECK(defaults->integer("jobs") == 4);
    CHECK(defaults->integer("part_jobs") >= 1);
    CHECK(defaults->integer("settle_seconds") == 5);
    CHECK(defaults->integer("verify_timeout_seconds") == 60);
    CHECK(defaults->string("log_level") == "info");
    for (const auto& e : defaults->all()) {
        CHECK(e.origin.source == Source::default_value);
        CHECK(e.origin.detail == "default");
    }
    CHECK(defaults->all().size() == fios::config::all_settings().size());
}

TEST_CASE("environment variable and flag names", "[config][settings]") {
    struct Row {
        const char* name;
        const char* env;
        const char* flag;
    };
    const Row rows[] = {
        {"api_url", "FRAMEIO_API_URL", "--api-url"},
        {"auth_url", "FRAMEIO_AUTH_URL", "--auth-url"},
        {"jobs", "FRAMEIO_SYNC_JOBS", "--jobs"},
        {"verify_timeout_seconds", "FRAMEIO_SYNC_VERIFY_TIMEOUT_SECONDS",
         "--verify-timeout-seconds"},
        {"client_id", "FRAMEIO_SYNC_CLIENT_ID", "--client-id"},
    };
    for (const auto& row : rows) {
        const SettingSpec* s = fios::config::find_setting(row.name);
        REQUIRE(s);
        CHECK(fios::config::env_var_for(*s) == row.env);
        CHECK(fios::config::flag_for(*s) == row.flag);
    }
    CHECK(fios::config::find_setting("nope") == nullptr);
}

TEST_CASE("docs/configuration.md documents every setting", "[config][settings]") {
    const std::string doc = fios::test::read_file(std::filesystem::path(FIOS_TEST_SOURCE_DIR) /
                                                  "docs" / "configuration.md");
    for (const auto& s : fios::config::all_settings()) {
        INFO(s.name);
        CHECK(doc.find("`" + std::string(s.name) + "`") != std::string::npos);
        CHECK(doc.find("`" + fios::config::env_var_for(s) + "`") != std::string::npos);
        CHECK(doc.find("`" + fios::config::flag_for(s)) != std::string::npos);
    }
}

TEST_CASE("precedence is flag > environment > file > default, with the source recorded",
          "[config][settings]") {
    const auto file = file_with("jobs = 2\napi_url = \"http://file:1\"\nlog_level = \"debug\"\n");
    const auto env = Environment::from(
        {{"FRAMEIO_SYNC_JOBS", "3"}, {"FRAMEIO_API_URL", "http://env:2"}, {"HOME", "/h"}});
    const Flags flags{{"jobs", "5"}};
    auto s = fios::config::resolve_settings(flags, env, &file);
    REQUIRE(s);

    struct Row {
        const char* name;
        Source source;
        const char* detail;
    };
    const Row rows[] = {
        {"jobs", Source::flag, "--jobs"},
        {"api_url", Source::environment, "FRAMEIO_API_URL"},
        {"log_level", Source::file, "/home/u/.config/frameio-sync/config.toml:3"},
        {"settle_seconds", Source::default_value, "default"},
    };
    for (const auto& row : rows) {
        INFO(row.name);
        const auto& e = s->get(row.name);
        CHECK(e.origin.source == row.source);
        CHECK(e.origin.detail == row.detail);
    }
    CHECK(s->integer("jobs") == 5);
    CHECK(s->string("api_url") == "http://env:2");
    CHECK(s->string("log_level") == "debug");
    CHECK(s->integer("settle_seconds") == 5);
    CHECK(fios::config::to_string(Source::environment) == "environment");

    // Each layer alone wins over the ones below it.
    auto env_only = fios::config::resolve_settings({}, env, &file);
    REQUIRE(env_only);
    CHECK(env_only->integer("jobs") == 3);
    auto file_only = fios::config::resolve_settings({}, Environment::from({}), &file);
    REQUIRE(file_only);
    CHECK(file_only->integer("jobs") == 2);
    CHECK(file_only->get("jobs").origin.source == Source::file);
}

TEST_CASE("an empty environment variable counts as unset", "[config][settings]") {
    auto s =
        fios::config::resolve_settings({}, Environment::from({{"FRAMEIO_SYNC_JOBS", ""}}), nullptr);
    REQUIRE(s);
    CHECK(s->integer("jobs") == 4);
    CHECK(s->get("jobs").origin.source == Source::default_value);
}

TEST_CASE("bad values from the environment or flags name their source", "[config][settings]") {
    struct Row {
        const char* name;
        Vars env;
        Flags flags;
        const char* says;
    };
    const std::vector<Row> rows = {
        {"env not an integer",
         {{"FRAMEIO_SYNC_JOBS", "many"}},
         {},
         "FRAMEIO_SYNC_JOBS='many' is not an integer"},
        {"env too small", {{"FRAMEIO_SYNC_JOBS", "0"}}, {}, "must be at least 1, not 0"},
        {"env trailing junk", {{"FRAMEIO_SYNC_PART_JOBS", "4x"}}, {}, "FRAMEIO_SYNC_PART_JOBS"},
        {"env url", {{"FRAMEIO_API_URL", "ftp://x"}}, {}, "http:// or https://"},
        {"flag url", {}, {{"auth_url", "applications.frame.io"}}, "--auth-url"},
        {"flag too big", {}, {{"jobs", "1000"}}, "at most 64"},
        {"flag choice", {}, {{"log_level", "loud"}}, "one of error, warn, info, debug, trace"},
        {"flag negative", {}, {{"settle_seconds", "-1"}}, "at least 0"},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.name) {
            auto s = fios::config::resolve_settings(row.flags, Environment::from(row.env), nullptr);
            REQUIRE_FALSE(s);
            CHECK(s.error().code == ErrorCode::invalid_config);
            INFO(s.error().message);
            CHECK(s.error().message.find(row.says) != std::string::npos);
        }
    }
    auto unknown = fios::config::resolve_settings({{"nope", "1"}}, Environment::from({}), nullptr);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == ErrorCode::internal);
}

TEST_CASE("parse_text_value handles every type", "[config][settings]") {
    const SettingSpec b = spec("flag", SettingType::boolean);
    for (const char* t : {"true", "1", "YES", "on"}) {
        auto v = fios::config::parse_text_value(b, t, "X");
        REQUIRE(v);
        CHECK(std::get<bool>(*v));
    }
    for (const char* t : {"false", "0", "no", "Off"}) {
        auto v = fios::config::parse_text_value(b, t, "X");
        REQUIRE(v);
        CHECK_FALSE(std::get<bool>(*v));
    }
    CHECK_FALSE(fios::config::parse_text_value(b, "maybe", "X"));

    const SettingSpec n = spec("ratio", SettingType::number);
    auto num = fios::config::parse_text_value(n, "1.5", "X");
    REQUIRE(num);
    CHECK(std::get<double>(*num) == 1.5);
    CHECK_FALSE(fios::config::parse_text_value(n, "inf", "X"));
    CHECK_FALSE(fios::config::parse_text_value(n, "1.5x", "X"));

    const SettingSpec l = spec("names", SettingType::string_list);
    auto list = fios::config::parse_text_value(l, " a, b ,,c ", "X");
    REQUIRE(list);
    CHECK(std::get<std::vector<std::string>>(*list) == std::vector<std::string>{"a", "b", "c"});

    const SettingSpec i = spec("count", SettingType::integer);
    auto plus = fios::config::parse_text_value(i, "+7", "X");
    REQUIRE(plus);
    CHECK(std::get<std::int64_t>(*plus) == 7);
    CHECK_FALSE(fios::config::parse_text_value(i, "", "X"));
    CHECK_FALSE(fios::config::parse_text_value(i, "99999999999999999999", "X"));
}

TEST_CASE("closest_setting suggests a near name only", "[config][settings]") {
    struct Row {
        const char* typo;
        const char* suggestion; // nullptr: none
    };
    const Row rows[] = {
        {"jbos", "jobs"},
        {"job", "jobs"},
        {"api-url", "api_url"},
        {"apiurl", "api_url"},
        {"part_job", "part_jobs"},
        {"LOG_LEVEL", "log_level"},
        {"settle_second", "settle_seconds"},
        {"colour", nullptr},
        {"x", nullptr},
        {"verbose", nullptr},
    };
    for (const auto& row : rows) {
        INFO(row.typo);
        auto s = fios::config::closest_setting(row.typo);
        if (row.suggestion) {
            REQUIRE(s.has_value());
            CHECK(*s == row.suggestion);
        } else {
            CHECK_FALSE(s.has_value());
        }
    }
}

TEST_CASE("format_value writes TOML", "[config][settings]") {
    CHECK(fios::config::format_value(Value{std::string("a\"b")}) == R"("a\"b")");
    CHECK(fios::config::format_value(Value{std::int64_t{4}}) == "4");
    CHECK(fios::config::format_value(Value{1.5}) == "1.5");
    CHECK(fios::config::format_value(Value{true}) == "true");
    CHECK(fios::config::format_value(Value{std::vector<std::string>{"a", "b"}}) == R"(["a", "b"])");
}
