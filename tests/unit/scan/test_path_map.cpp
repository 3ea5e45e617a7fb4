// SPDX-License-Identifier: MIT
#include "fios/scan/path_map.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using fios::model::NameIssue;
using fios::model::RelPath;
using fios::scan::check_name;
using fios::scan::escape_name;
using fios::scan::map_local_name;
using fios::scan::map_remote_name;
using fios::scan::PathLimits;
using fios::scan::validate_local_name;

namespace {

struct Row {
    const char* label;
    std::string name;
    NameIssue expected;
};

std::string s(const char* bytes, std::size_t n) {
    return std::string(bytes, n);
}

// Every rule, and the hostile names that test it. One row per name.
const std::vector<Row>& table() {
    static const std::vector<Row> rows = {
        // fine
        {"plain", "clip.mov", NameIssue::none},
        {"spaces inside", "My Clip v2.mov", NameIssue::none},
        {"dot file", ".DS_Store", NameIssue::none},
        {"three dots", "...", NameIssue::none},
        {"leading dash", "-rf", NameIssue::none},
        {"backslash", "a\\b", NameIssue::none},
        {"colon and star", "a:b*c?", NameIssue::none},
        {"accents NFC", "\xC3\xA9t\xC3\xA9.mov", NameIssue::none},
        {"accents NFD", "e\xCC\x81t\xC3\xA9.mov", NameIssue::none},
        {"emoji", "\xF0\x9F\x8E\xAC take 1", NameIssue::none},
        {"CJK", "\xE6\x98\xA0\xE5\x83\x8F", NameIssue::none},
        {"right-to-left text", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", NameIssue::none},
        {"trailing dot", "name.", NameIssue::none},
        {"fios without dash", ".fios", NameIssue::none},
        {"prefix not at start", "x.fios-1", NameIssue::none},
        {"255 bytes", std::string(255, 'a'), NameIssue::none},
        {"255 bytes multibyte",
         std::string(85 * 1, 'a') +
             [] {
                 std::string e;
                 for (int i = 0; i < 85; ++i)
                     e += "\xC3\xA9";
                 return e;
             }(),
         NameIssue::none},
        // structural: would escape the folder or cannot exist
        {"empty", "", NameIssue::empty},
        {"dot", ".", NameIssue::dot},
        {"dot dot", "..", NameIssue::dot_dot},
        {"slash", "a/b", NameIssue::contains_slash},
        {"slash only", "/", NameIssue::contains_slash},
        {"escape", "../etc/passwd", NameIssue::contains_slash},
        {"absolute", "/etc/passwd", NameIssue::contains_slash},
        {"trailing slash", "a/", NameIssue::contains_slash},
        {"NUL", s("a\0b", 3), NameIssue::contains_nul},
        {"NUL then slash", s("\0/..", 4), NameIssue::contains_nul},
        {"256 bytes", std::string(256, 'a'), NameIssue::name_too_long},
        {"long multibyte",
         [] {
             std::string e;
             for (int i = 0; i < 128; ++i)
                 e += "\xC3\xA9";
             return e;
         }(),
         NameIssue::name_too_long},
        // not valid UTF-8
        {"latin-1 byte", "caf\xE9", NameIssue::invalid_utf8},
        {"lone continuation", "\x80", NameIssue::invalid_utf8},
        {"overlong slash", "a\xC0\xAF", NameIssue::invalid_utf8},
        {"overlong dot dot", "\xC0\xAE\xC0\xAE", NameIssue::invalid_utf8},
        {"surrogate", "\xED\xA0\x80", NameIssue::invalid_utf8},
        {"truncated", "clip\xE2\x82", NameIssue::invalid_utf8},
        {"0xFF", "\xFF\xFE", NameIssue::invalid_utf8},
        // legal on Linux but dangerous: skipped, never rewritten
        {"newline", "a\nb", NameIssue::control_character},
        {"carriage return", "a\rb", NameIssue::control_character},
        {"tab", "a\tb", NameIssue::control_character},
        {"escape sequence", "\x1b[31mred", NameIssue::control_character},
        {"bell", "a\x07", NameIssue::control_character},
        {"DEL", "a\x7f", NameIssue::control_character},
        {"C1 CSI",
         "a\xC2\x9B"
         "2J",
         NameIssue::control_character},
        {"C1 NEL", "a\xC2\x85", NameIssue::control_character},
        {"RLO", "evil\xE2\x80\xAEvom.exe", NameIssue::bidi_control},
        {"LRE",
         "\xE2\x80\xAA"
         "a",
         NameIssue::bidi_control},
        {"PDI", "a\xE2\x81\xA9", NameIssue::bidi_control},
        {"leading space", " clip.mov", NameIssue::edge_space},
        {"trailing space", "clip.mov ", NameIssue::edge_space},
        {"only space", " ", NameIssue::edge_space},
        {"our temp prefix", ".fios-download.part", NameIssue::reserved_prefix},
        {"exactly the prefix", ".fios-", NameIssue::reserved_prefix},
    };
    return rows;
}

} // namespace

TEST_CASE("path_map: every name rule, one row per name", "[scan][path_map]") {
    for (const Row& row : table()) {
        SECTION(row.label) {
            INFO("name: \"" << escape_name(row.name) << "\"");
            CHECK(check_name(row.name) == row.expected);
            CHECK(validate_local_name(row.name) == row.expected);

            const auto parent = *RelPath::parse("Project/Dailies");
            const auto remote = map_remote_name(parent, row.name);
            const auto local = map_local_name(parent, row.name);
            CHECK(remote.issue == row.expected);
            CHECK(local.issue == row.expected);
            if (row.expected == NameIssue::none) {
                REQUIRE(remote);
                CHECK(remote.path->str() == "Project/Dailies/" + row.name);
                CHECK(remote.path->parent() == parent);
                CHECK(remote.path->name() == row.name);
                CHECK(local.path == remote.path);
            } else {
                CHECK_FALSE(remote);
                CHECK_FALSE(local);
                CHECK_FALSE(fios::model::describe(row.expected).empty());
            }
        }
    }
}

TEST_CASE("path_map: a mapped path never leaves the folder", "[scan][path_map]") {
    // Whatever the name, a successful mapping is exactly one new segment below the parent.
    for (const Row& row : table()) {
        for (const char* parent_text : {"", "a", "a/b"}) {
            const auto parent = *RelPath::parse(parent_text);
            const auto mapped = map_remote_name(parent, row.name);
            if (!mapped)
                continue;
            CHECK(mapped.path->parent() == parent);
            CHECK(mapped.path->depth() == parent.depth() + 1);
            CHECK(parent.is_ancestor_of(*mapped.path));
        }
    }
}

TEST_CASE("path_map: the whole local path must fit in PATH_MAX", "[scan][path_map]") {
    // Build a parent path of 4000 bytes from 200-byte segments.
    RelPath parent;
    for (int i = 0; i < 20; ++i)
        parent = *parent.join(std::string(199, 'd') + std::to_string(i % 10));
    REQUIRE(parent.str().size() == 20 * 200 + 19);
    PathLimits limits;
    limits.root_bytes = 10; // "/srv/media"
    // root(10) + '/' + parent(4019) + '/' + name + NUL must stay <= 4096: name <= 64 bytes.
    CHECK(map_remote_name(parent, std::string(64, 'n'), limits));
    const auto too_long = map_remote_name(parent, std::string(65, 'n'), limits);
    CHECK_FALSE(too_long);
    CHECK(too_long.issue == NameIssue::path_too_long);
    // Without a known root only the relative path counts.
    CHECK(map_remote_name(parent, std::string(70, 'n')));
    // A smaller limit applies to names too.
    PathLimits tiny;
    tiny.name_max = 8;
    CHECK(map_remote_name(RelPath::root(), "12345678", tiny));
    CHECK(map_remote_name(RelPath::root(), "123456789", tiny).issue == NameIssue::name_too_long);
}

TEST_CASE("escape_name makes any name printable on one line", "[scan][path_map]") {
    CHECK(escape_name("clip.mov") == "clip.mov");
    CHECK(escape_name("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");
    CHECK(escape_name("a\nb") == "a\\u{000A}b");
    CHECK(escape_name("\x1b[31m") == "\\u{001B}[31m");
    CHECK(escape_name("caf\xE9") == "caf\\xE9");
    CHECK(escape_name("say \"hi\"\\") == "say \\\"hi\\\"\\\\");
    CHECK(escape_name("evil\xE2\x80\xAEvom") == "evil\\u{202E}vom");
    CHECK(escape_name(std::string("a\0b", 3)) == "a\\u{0000}b");
    CHECK(escape_name("a\xC2\x9B") == "a\\u{009B}");
}
