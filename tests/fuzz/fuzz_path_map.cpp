// SPDX-License-Identifier: MIT
// Fuzz target: remote and local names to paths (lib/fios/scan/path_map.cpp). After the first
// byte, the input is a chain of names separated by the byte 0xFF (never valid UTF-8, so never
// part of a usable name): each name is mapped under the path the previous usable ones built, with
// small PathLimits chosen by the first byte so that the length rules are reached too.
// Checks, for every name:
//   - an accepted path is parent/name, parses back as a RelPath, and none of its segments is
//     empty, "." or "..", holds '/' or NUL, or fails check_name (no absolute path, no escape);
//     it fits the limits (name_max, path_max with the root);
//   - a refusal carries an issue, the one check_name gives (or path_too_long);
//   - remote and local names follow the same rules (map_remote_name == map_local_name);
//   - escape_name gives one printable line of valid UTF-8 that leaves usable names without
//     '"' or '\' unchanged.
#include "fuzz_check.hpp"

#include "fios/model/utf8.hpp"
#include "fios/scan/path_map.hpp"

#include <string>
#include <vector>

namespace {

using namespace fios;
using namespace fios::fuzz;
using model::NameIssue;
using model::RelPath;

void check_escaped(std::string_view name, NameIssue issue) {
    const std::string escaped = scan::escape_name(name);
    FUZZ_CHECK(model::is_valid_utf8(escaped), escaped);
    FUZZ_CHECK(has_no_control(escaped), escaped);
    std::size_t pos = 0;
    while (pos < escaped.size()) {
        const auto cp = model::decode_utf8(escaped, pos);
        FUZZ_CHECK(cp && !(*cp >= 0x80 && *cp <= 0x9F) && !(*cp >= 0x202A && *cp <= 0x202E) &&
                       !(*cp >= 0x2066 && *cp <= 0x2069),
                   escaped);
    }
    if (issue == NameIssue::none && name.find_first_of("\"\\") == std::string_view::npos)
        FUZZ_CHECK(escaped == name, escaped);
}

void check_path(const RelPath& parent, std::string_view name, const RelPath& path,
                const scan::PathLimits& limits) {
    FUZZ_CHECK(path.parent() == parent && path.name() == name, path.str());
    FUZZ_CHECK(!path.str().empty() && path.str().front() != '/', path.str());
    FUZZ_CHECK(path.str().find('\0') == std::string::npos, path.str());
    auto reparsed = RelPath::parse(path.str());
    FUZZ_CHECK(reparsed && *reparsed == path, path.str());
    for (std::string_view segment : path.segments()) {
        FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..", path.str());
        FUZZ_CHECK(segment.find('/') == std::string_view::npos, path.str());
        FUZZ_CHECK(scan::check_name(segment, limits) == NameIssue::none, path.str());
    }
    const std::size_t local =
        (limits.root_bytes > 0 ? limits.root_bytes + 1 : 0) + path.str().size();
    FUZZ_CHECK(local + 1 <= limits.path_max, path.str());
    FUZZ_CHECK(name.size() <= limits.name_max, path.str());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    scan::PathLimits limits;
    // Low bits: real limits or small ones (so path_too_long and name_too_long are reached).
    if (data[0] & 1U) {
        limits.name_max = 1 + (data[0] >> 1U) % 32;
        limits.path_max = 2 + (data[0] >> 3U) % 128;
        limits.root_bytes = (data[0] >> 5U) % 4;
    }
    const std::string_view input = as_text(data + 1, size - 1);

    RelPath parent;
    std::size_t start = 0;
    while (start <= input.size()) {
        std::size_t end = input.find('\xFF', start);
        if (end == std::string_view::npos)
            end = input.size();
        const std::string_view name = input.substr(start, end - start);
        start = end + 1;

        const NameIssue issue = scan::check_name(name, limits);
        FUZZ_CHECK(scan::validate_local_name(name, limits) == issue, std::string(name));
        const scan::MappedPath remote = scan::map_remote_name(parent, name, limits);
        const scan::MappedPath local = scan::map_local_name(parent, name, limits);
        FUZZ_CHECK(remote.path == local.path && remote.issue == local.issue, std::string(name));
        check_escaped(name, issue);
        if (!remote) {
            FUZZ_CHECK(remote.issue != NameIssue::none, std::string(name));
            FUZZ_CHECK(remote.issue == issue ||
                           (issue == NameIssue::none && remote.issue == NameIssue::path_too_long),
                       std::string(name));
            // A structural refusal is one that RelPath itself would refuse too.
            if (model::is_structural(issue))
                FUZZ_CHECK(!RelPath::is_valid_segment(name), std::string(name));
            continue;
        }
        FUZZ_CHECK(remote.issue == NameIssue::none && issue == NameIssue::none, std::string(name));
        check_path(parent, name, *remote.path, limits);
        parent = *remote.path;
    }
    return 0;
}
