// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/config/toml.hpp"

#include <catch2/catch.hpp>

#include <string>

using fios::ErrorCode;
using fios::config::SettingType;
using fios::config::Value;

namespace {
const std::filesystem::path k_path = "/home/u/.config/frameio-sync/config.toml";
}

TEST_CASE("the TOML subset parses every supported value", "[config][toml]") {
    const std::string text = "\xEF\xBB\xBF# a comment\n"
                             "\n"
                             "  a = \"basic \\\"q\\\" \\\\ \\t \\u00e9 \\U0001F600\"  # trailing\n"
                             "b = 'C:\\literal\\path'\n"
                             "\"quoted key\" = 1_000\n"
                             "c = -42\r\n"
                             "d = +7\n"
                             "e = 3.25\n"
                             "f = 1e3\n"
                             "g = -2.5E-1\n"
                             "h = true\n"
                             "i = false\n"
                             "j = []\n"
                             "k = [\"x\", 'y',]\n"
                             "l = [  # a list over lines\n"
                             "  \"one\",\n"
                             "  # a comment inside\n"
                             "  \"two\"\n"
                             "]\n"
                             "m = 0\n"
                             "n = 0.5\n"
                             "o = \"\"";
    auto r = fios::config::parse_toml(text, k_path);
    REQUIRE(r);
    struct Want {
        const char* key;
        Value value;
        SettingType type;
        int line;
    };
    const std::vector<Want> want = {
        {"a", Value{std::string("basic \"q\" \\ \t \xC3\xA9 \xF0\x9F\x98\x80")},
         SettingType::string, 3},
        {"b", Value{std::string("C:\\literal\\path")}, SettingType::string, 4},
        {"quoted key", Value{std::int64_t{1000}}, SettingType::integer, 5},
        {"c", Value{std::int64_t{-42}}, SettingType::integer, 6},
        {"d", Value{std::int64_t{7}}, SettingType::integer, 7},
        {"e", Value{3.25}, SettingType::number, 8},
        {"f", Value{1000.0}, SettingType::number, 9},
        {"g", Value{-0.25}, SettingType::number, 10},
        {"h", Value{true}, SettingType::boolean, 11},
        {"i", Value{false}, SettingType::boolean, 12},
        {"j", Value{std::vector<std::string>{}}, SettingType::string_list, 13},
        {"k", Value{std::vector<std::string>{"x", "y"}}, SettingType::string_list, 14},
        {"l", Value{std::vector<std::string>{"one", "two"}}, SettingType::string_list, 15},
        {"m", Value{std::int64_t{0}}, SettingType::integer, 20},
        {"n", Value{0.5}, SettingType::number, 21},
        {"o", Value{std::string()}, SettingType::string, 22},
    };
    REQUIRE(r->size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO(want[i].key);
        CHECK((*r)[i].key == want[i].key);
        CHECK((*r)[i].value == want[i].value);
        CHECK((*r)[i].type == want[i].type);
        CHECK((*r)[i].line == want[i].line);
    }
}

TEST_CASE("syntax errors name the file, the line and the fix", "[config][toml]") {
    struct Row {
        const char* text;
        int line;
        const char* says;
    };
    const Row rows[] = {
        {"[sync]\njobs = 4\n", 1, "sections ([name] headers) are not supported"},
        {"jobs = 4\n[[x]]\n", 2, "sections"},
        {"a.b = 1\n", 1, "dotted keys"},
        {"jobs 4\n", 1, "expected '=' after 'jobs'"},
        {"jobs =\n", 1, "has no value"},
        {"jobs = # nothing\n", 1, "has no value"},
        {"= 4\n", 1, "expected a setting name"},
        {"api_url = https://x\n", 1, "text values need quotes"},
        {"log_level = info\n", 1, "`log_level = \"text\"`"},
        {"a = \"open\n", 1, "missing its closing \""},
        {"a = 'open\n", 1, "missing its closing '"},
        {"a = \"\"\"multi\"\"\"\n", 1, "multi-line strings"},
        {"a = \"bad \\q escape\"\n", 1, "unknown escape '\\q'"},
        {"a = \"\\uD800\"\n", 1, "invalid \\u escape"},
        {"a = \"\\u12\"\n", 1, "escape"},
        {"a = 1 2\n", 1, "unexpected text after the value of 'a'"},
        {"a = \"x\" \"y\"\n", 1, "one setting per line"},
        {"a = {x = 1}\n", 1, "inline tables"},
        {"\n\na = [1, 2]\n", 3, "may hold only strings"},
        {"a = [\"x\" \"y\"]\n", 1, "expected ',' or ']'"},
        {"a = [\"x\",\n", 1, "missing its ']'"},
        {"a = [[\"x\"]]\n", 1, "lists inside lists"},
        {"a = 0x1F\n", 1, "write integers in decimal"},
        {"a = 007\n", 1, "leading zero"},
        {"a = 1__0\n", 1, "misplaced '_'"},
        {"a = _1\n", 1, "not a \"string\""},
        {"a = 1_\n", 1, "misplaced '_'"},
        {"a = 1.\n", 1, "not a valid number"},
        {"a = .5\n", 1, "not a \"string\""},
        {"a = inf\n", 1, "finite"},
        {"a = -nan\n", 1, "finite"},
        {"a = 1979-05-27\n", 1, "date"},
        {"a = 07:32:00\n", 1, "date"},
        {"a = 99999999999999999999\n", 1, "too large"},
        {"a = 1e999\n", 1, "not a valid number"},
        {"a = 4abc\n", 1, "text values need quotes"},
        {"a = truex\n", 1, "not a \"string\""},
        {"a = \"tab\tok\" # ctl \x01\n", 1, "control character"},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.text) {
            auto r = fios::config::parse_toml(row.text, k_path);
            REQUIRE_FALSE(r);
            CHECK(r.error().code == ErrorCode::invalid_config);
            const auto& m = r.error().message;
            INFO(m);
            CHECK(m.find(k_path.string() + " line " + std::to_string(row.line) + ":") == 0);
            CHECK(m.find(row.says) != std::string::npos);
        }
    }
}

TEST_CASE("config.toml keys are checked against the registry", "[config][toml]") {
    struct Row {
        const char* text;
        const char* says; // nullptr: accepted
    };
    const Row rows[] = {
        {"jobs = 8\napi_url = \"http://127.0.0.1:9\"\nclient_id = 'abc'\n", nullptr},
        {"# only comments\n\n", nullptr},
        {"", nullptr},
        {"\n\njbos = 3\n", "unknown setting 'jbos' in /home/u/.config/frameio-sync/config.toml "
                           "line 3; did you mean 'jobs'?"},
        {"colour = \"red\"\n", "unknown setting 'colour'"},
        {"jobs = \"4\"\n", "setting 'jobs' in /home/u/.config/frameio-sync/config.toml line 1 "
                           "must be an integer, for example `jobs = 4`, not a string"},
        {"jobs = 4.5\n", "must be an integer"},
        {"api_url = 5\n", "must be a string, for example `api_url = \"https://api.frame.io\"`"},
        {"client_id = true\n", "must be a string, for example `client_id = \"...\"`"},
        {"log_level = [\"info\"]\n", "not a list of strings"},
        {"jobs = 0\n", "setting 'jobs' in /home/u/.config/frameio-sync/config.toml line 1 must be "
                       "at least 1, not 0"},
        {"api_url = \"api.frame.io\"\n", "http:// or https://"},
        {"redirect_uri = \"127.0.0.1:8080\"\n", "http:// or https://"},
        {"log_level = \"chatty\"\n", "one of error, warn, info, debug, trace"},
        {"jobs = 2\njobs = 3\n", "set twice"},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.text) {
            auto r = fios::config::parse_config(row.text, k_path);
            if (!row.says) {
                REQUIRE(r);
                continue;
            }
            REQUIRE_FALSE(r);
            CHECK(r.error().code == ErrorCode::invalid_config);
            INFO(r.error().message);
            CHECK(r.error().message.find(row.says) != std::string::npos);
        }
    }
}

TEST_CASE("an accepted file keeps values and lines", "[config][toml]") {
    auto r = fios::config::parse_config("# c\njobs = 8\n\napi_url = \"http://x:1\"\n", k_path);
    REQUIRE(r);
    CHECK(r->path == k_path);
    REQUIRE(r->entries.size() == 2);
    CHECK(r->entries[0].key == "jobs");
    CHECK(r->entries[0].value == Value{std::int64_t{8}});
    CHECK(r->entries[0].line == 2);
    CHECK(r->entries[1].key == "api_url");
    CHECK(r->entries[1].line == 4);
}

TEST_CASE("load_config_file: missing is fine, present is parsed, a folder is refused",
          "[config][toml]") {
    fios::test::TempDir dir;
    auto missing = fios::config::load_config_file(dir / "config.toml");
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());

    fios::test::write_file(dir / "config.toml", "jobs = 6\n");
    auto present = fios::config::load_config_file(dir / "config.toml");
    REQUIRE(present);
    REQUIRE(present->has_value());
    CHECK((*present)->entries.at(0).value == Value{std::int64_t{6}});

    fios::test::write_file(dir / "bad.toml", "jbos = 6\n");
    auto bad = fios::config::load_config_file(dir / "bad.toml");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find((dir / "bad.toml").string() + " line 1") != std::string::npos);

    std::filesystem::create_directories(dir / "folder.toml");
    auto folder = fios::config::load_config_file(dir / "folder.toml");
    REQUIRE_FALSE(folder);
    CHECK(folder.error().code == ErrorCode::invalid_config);
}

TEST_CASE("load_config_file refuses a client secret in a file others can read", "[config][toml]") {
    fios::test::TempDir dir;
    const auto path = dir / "config.toml";
    fios::test::write_file(path, "client_secret = \"p8e-very-secret\"\njobs = 2\n");
    for (auto mode : {std::filesystem::perms(0644), std::filesystem::perms(0640),
                      std::filesystem::perms(0620), std::filesystem::perms(0604)}) {
        INFO(static_cast<int>(mode));
        std::filesystem::permissions(path, mode);
        auto r = fios::config::load_config_file(path);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::invalid_config);
        INFO(r.error().message);
        CHECK(r.error().message.find("`chmod 600 " + path.string() + "`") != std::string::npos);
        CHECK(r.error().message.find("client_secret") != std::string::npos);
        CHECK(r.error().message.find("p8e-very-secret") == std::string::npos);
    }
    std::filesystem::permissions(path, std::filesystem::perms(0600));
    auto ok = fios::config::load_config_file(path);
    REQUIRE(ok);
    REQUIRE(ok->has_value());
    CHECK((*ok)->entries.size() == 2);

    // Without a secret, the file may stay readable by others, as before.
    fios::test::write_file(dir / "plain.toml", "api = \"v2\"\n");
    std::filesystem::permissions(dir / "plain.toml", std::filesystem::perms(0644));
    auto plain = fios::config::load_config_file(dir / "plain.toml");
    REQUIRE(plain);
    CHECK(plain->has_value());
}

TEST_CASE("config.toml typos of the new settings get a suggestion", "[config][toml]") {
    struct Row {
        const char* text;
        const char* says;
    };
    const Row rows[] = {
        {"apii = \"v4\"\n", "did you mean 'api'?"},
        {"ims_ulr = \"https://x\"\n", "did you mean 'ims_url'?"},
        {"client_secrte = \"x\"\n", "did you mean 'client_secret'?"},
        {"verfy = \"size\"\n", "did you mean 'verify'?"},
        {"api = \"v3\"\n", "setting 'api' in /c.toml line 1 must be one of v4, v2, not 'v3'"},
        {"verify = \"hash\"\n", "must be one of size, readback, not 'hash'"},
        {"api = 4\n",
         "setting 'api' in /c.toml line 1 must be a string, for example `api = \"v4\"`"},
        {"ims_url = \"ims-na1.adobelogin.com\"\n",
         "must be a URL starting with http:// or https://"},
    };
    for (const auto& row : rows) {
        INFO(row.text);
        auto r = fios::config::parse_config(row.text, "/c.toml");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::invalid_config);
        INFO(r.error().message);
        CHECK(r.error().message.find(row.says) != std::string::npos);
    }
}
