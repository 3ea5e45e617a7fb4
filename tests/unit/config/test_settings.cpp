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
         {"api", "api_url", "ims_url", "auth_url", "client_id", "client_secret", "redirect_uri",
          "jobs", "part_jobs", "settle_seconds", "verify", "verify_timeout_seconds", "log_level"}) {
        INFO(want);
        CHECK(names.count(want) == 1);
    }
    auto defaults = fios::config::resolve_settings({}, Environment::from({}), nullptr);
    REQUIRE(defaults);
    CHECK(defaults->string("api") == "v4");
    CHECK(defaults->string("api_url") == "https://api.frame.io");
    CHECK(defaults->string("ims_url") == "https://ims-na1.adobelogin.com");
    CHECK_FALSE(defaults->secret("client_secret").has_value());
    CHECK_FALSE(defaults->get("client_secret").value.has_value());
    CHECK(defaults->string("verify") == "size");
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
        {"api", "FRAMEIO_SYNC_API", "--api"},
        {"ims_url", "FRAMEIO_IMS_URL", "--ims-url"},
        {"verify", "FRAMEIO_SYNC_VERIFY", "--verify"},
        {"client_secret", "FRAMEIO_CLIENT_SECRET", "--client-secret"},
    };
    for (const auto& row : rows) {
        const SettingSpec* s = fios::config::find_setting(row.name);
        REQUIRE(s);
        CHECK(fios::config::env_var_for(*s) == row.env);
        CHECK(fios::config::flag_for(*s) == row.flag);
    }
    CHECK(fios::config::find_setting("nope") == nullptr);
    // Only the client secret is secret, and only it has no flag.
    for (const auto& s : fios::config::all_settings()) {
        INFO(s.name);
        CHECK(s.secret == (s.name == "client_secret"));
        CHECK(s.flag == !s.secret);
    }
}

TEST_CASE("docs/configuration.md documents every setting", "[config][settings]") {
    const std::string doc = fios::test::read_file(std::filesystem::path(FIOS_TEST_SOURCE_DIR) /
                                                  "docs" / "configuration.md");
    for (const auto& s : fios::config::all_settings()) {
        INFO(s.name);
        CHECK(doc.find("`" + std::string(s.name) + "`") != std::string::npos);
        CHECK(doc.find("`" + fios::config::env_var_for(s) + "`") != std::string::npos);
        if (s.flag) {
            CHECK(doc.find("`" + fios::config::flag_for(s)) != std::string::npos);
        }
    }
    // The page says which setting is never a flag and that secrets print as (set).
    CHECK(doc.find("| `client_secret` |") != std::string::npos);
    CHECK(doc.find("`(set)`") != std::string::npos);
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
        {"env api",
         {{"FRAMEIO_SYNC_API", "v3"}},
         {},
         "setting 'api' from FRAMEIO_SYNC_API must be one of v4, v2, not 'v3'"},
        {"flag api", {}, {{"api", "V4"}}, "setting 'api' from --api must be one of v4, v2"},
        {"env verify", {{"FRAMEIO_SYNC_VERIFY", "hash"}}, {}, "one of size, readback, not 'hash'"},
        {"env ims url",
         {{"FRAMEIO_IMS_URL", "ims-na1.adobelogin.com"}},
         {},
         "setting 'ims_url' from FRAMEIO_IMS_URL must be a URL"},
        {"flag ims url", {}, {{"ims_url", "https:///ims"}}, "is not a valid URL"},
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

// Found by tests/fuzz/fuzz_config (corpus/config/escapes): a value read from an escape such as
// "\t" or "\u001b" was printed raw, so `config` wrote text config.toml refuses (and sent the
// control character to the terminal).
TEST_CASE("format_value escapes control characters so that its text reads back",
          "[config][settings]") {
    const std::string value = "tab\there\nnew \x1b[2J del\x7f \"q\" \\ caf\xc3\xa9";
    const std::string text = fios::config::format_value(Value{value});
    CHECK(text == R"("tab\there\nnew \u001B[2J del\u007F \"q\" \\ café")");
    auto file = fios::config::parse_config("client_id = " + text + "\n", "/c.toml");
    REQUIRE(file);
    REQUIRE(file->entries.size() == 1);
    CHECK(std::get<std::string>(file->entries[0].value) == value);
}

TEST_CASE("api, ims_url and verify come from every layer", "[config][settings]") {
    const auto file = file_with("api = \"v2\"\nverify = \"readback\"\n"
                                "ims_url = \"http://127.0.0.1:9000\"\n");
    auto from_file = fios::config::resolve_settings({}, Environment::from({}), &file);
    REQUIRE(from_file);
    CHECK(from_file->string("api") == "v2");
    CHECK(from_file->string("verify") == "readback");
    CHECK(from_file->string("ims_url") == "http://127.0.0.1:9000");
    CHECK(from_file->get("ims_url").origin.detail == "/home/u/.config/frameio-sync/config.toml:3");

    auto env = fios::config::resolve_settings(
        {},
        Environment::from({{"FRAMEIO_SYNC_API", "v4"}, {"FRAMEIO_IMS_URL", "https://ims.test"}}),
        &file);
    REQUIRE(env);
    CHECK(env->string("api") == "v4");
    CHECK(env->get("api").origin.detail == "FRAMEIO_SYNC_API");
    CHECK(env->string("ims_url") == "https://ims.test");

    auto flag =
        fios::config::resolve_settings({{"api", "v2"}, {"verify", "size"}},
                                       Environment::from({{"FRAMEIO_SYNC_API", "v4"}}), &file);
    REQUIRE(flag);
    CHECK(flag->string("api") == "v2");
    CHECK(flag->get("api").origin.detail == "--api");
    CHECK(flag->string("verify") == "size");
    CHECK(flag->get("verify").origin.source == Source::flag);
}

TEST_CASE("a secret setting is redacted wherever settings are shown", "[config][settings]") {
    const std::string secret = "p8e-S3cr3t-value";
    const auto file = file_with("client_secret = \"" + secret + "\"\n");

    auto from_file = fios::config::resolve_settings({}, Environment::from({}), &file);
    REQUIRE(from_file);
    CHECK(from_file->secret("client_secret") == secret);
    const auto& e = from_file->get("client_secret");
    CHECK(e.origin.source == Source::file);
    CHECK(e.origin.detail == "/home/u/.config/frameio-sync/config.toml:1");
    REQUIRE(e.value.has_value());
    // What `config` and `config --json` print: the placeholder, never the value.
    CHECK(std::get<std::string>(*e.value) == "(set)");
    for (const auto& any : from_file->all()) {
        if (any.value) {
            CHECK(fios::config::format_value(*any.value).find(secret) == std::string::npos);
        }
        CHECK(any.origin.detail.find(secret) == std::string::npos);
    }

    // The environment wins over the file, and is named as the source.
    auto from_env = fios::config::resolve_settings(
        {}, Environment::from({{"FRAMEIO_CLIENT_SECRET", "from-env"}}), &file);
    REQUIRE(from_env);
    CHECK(from_env->secret("client_secret") == "from-env");
    CHECK(from_env->get("client_secret").origin.detail == "FRAMEIO_CLIENT_SECRET");
    CHECK(std::get<std::string>(*from_env->get("client_secret").value) == "(set)");
}

TEST_CASE("a secret is never taken from a flag and never quoted in errors", "[config][settings]") {
    auto flag = fios::config::resolve_settings({{"client_secret", "on-the-command-line"}},
                                               Environment::from({}), nullptr);
    REQUIRE_FALSE(flag);
    CHECK(flag.error().code == ErrorCode::invalid_config);
    INFO(flag.error().message);
    CHECK(flag.error().message.find("on-the-command-line") == std::string::npos);
    CHECK(flag.error().message.find("cannot be given on the command line") != std::string::npos);
    CHECK(flag.error().message.find("FRAMEIO_CLIENT_SECRET") != std::string::npos);

    auto empty = fios::config::parse_config("client_secret = \"\"\n", "/c.toml");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message.find("must not be empty") != std::string::npos);

    // Unquoted, a secret that starts with a digit reaches the number parser: not echoed.
    auto unquoted = fios::config::parse_config("client_secret = 12ab34cd\n", "/c.toml");
    REQUIRE_FALSE(unquoted);
    INFO(unquoted.error().message);
    CHECK(unquoted.error().message.find("12ab34cd") == std::string::npos);
    CHECK(unquoted.error().message.find("/c.toml line 1") != std::string::npos);

    // A rule a secret breaks never quotes it (here a made-up secret URL setting).
    SettingSpec s = spec("token_url", SettingType::string);
    s.secret = true;
    s.url = true;
    auto bad = fios::config::parse_text_value(s, "not-a-url-secret", "X");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("not-a-url-secret") == std::string::npos);
}
