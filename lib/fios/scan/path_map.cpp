// SPDX-License-Identifier: MIT
#include "fios/scan/path_map.hpp"

#include "fios/model/utf8.hpp"

#include <cstdio>

namespace fios::scan {

using model::NameIssue;

namespace {

bool is_control(char32_t cp) noexcept {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

bool is_bidi_control(char32_t cp) noexcept {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

MappedPath join_checked(const model::RelPath& parent, std::string_view name,
                        const PathLimits& limits, NameIssue issue) {
    if (issue != NameIssue::none)
        return MappedPath{std::nullopt, issue};
    auto joined = parent.join(name);
    // check_name enforces a superset of RelPath's structural rules, so join cannot fail here;
    // refusing anyway keeps this function safe even if the two ever drift apart.
    if (!joined)
        return MappedPath{std::nullopt, NameIssue::invalid_utf8};
    const std::size_t local_bytes =
        (limits.root_bytes > 0 ? limits.root_bytes + 1 : 0) + joined->str().size();
    if (local_bytes + 1 > limits.path_max)
        return MappedPath{std::nullopt, NameIssue::path_too_long};
    return MappedPath{std::move(joined), NameIssue::none};
}

} // namespace

NameIssue check_name(std::string_view name, const PathLimits& limits) noexcept {
    if (name.empty())
        return NameIssue::empty;
    if (name == ".")
        return NameIssue::dot;
    if (name == "..")
        return NameIssue::dot_dot;
    if (name.find('\0') != std::string_view::npos)
        return NameIssue::contains_nul;
    if (name.find('/') != std::string_view::npos)
        return NameIssue::contains_slash;
    if (!model::is_valid_utf8(name))
        return NameIssue::invalid_utf8;
    if (name.size() > limits.name_max)
        return NameIssue::name_too_long;
    std::size_t pos = 0;
    while (pos < name.size()) {
        const auto cp = model::decode_utf8(name, pos);
        if (!cp)
            return NameIssue::invalid_utf8; // unreachable after is_valid_utf8
        if (is_control(*cp))
            return NameIssue::control_character;
        if (is_bidi_control(*cp))
            return NameIssue::bidi_control;
    }
    if (name.front() == ' ' || name.back() == ' ')
        return NameIssue::edge_space;
    if (name.starts_with(k_temp_prefix))
        return NameIssue::reserved_prefix;
    return NameIssue::none;
}

MappedPath map_remote_name(const model::RelPath& parent, std::string_view name,
                           const PathLimits& limits) {
    return join_checked(parent, name, limits, check_name(name, limits));
}

NameIssue validate_local_name(std::string_view raw_name, const PathLimits& limits) noexcept {
    return check_name(raw_name, limits);
}

MappedPath map_local_name(const model::RelPath& parent, std::string_view raw_name,
                          const PathLimits& limits) {
    return join_checked(parent, raw_name, limits, validate_local_name(raw_name, limits));
}

std::string escape_name(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    std::size_t pos = 0;
    char buf[16];
    while (pos < raw.size()) {
        const std::size_t start = pos;
        const auto cp = model::decode_utf8(raw, pos);
        if (!cp) {
            std::snprintf(buf, sizeof buf, "\\x%02X",
                          static_cast<unsigned>(static_cast<unsigned char>(raw[start])));
            out += buf;
            pos = start + 1;
            continue;
        }
        if (is_control(*cp) || is_bidi_control(*cp)) {
            std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(*cp));
            out += buf;
        } else if (*cp == '"' || *cp == '\\') {
            out += '\\';
            out += static_cast<char>(*cp);
        } else {
            out.append(raw.substr(start, pos - start));
        }
    }
    return out;
}

} // namespace fios::scan
