// SPDX-License-Identifier: MIT
#pragma once
// Strict parsing and matching of OAuth redirect URIs for the IMS stand-in (docs/emulator.md,
// "Adobe IMS", redirect URIs). Header-only: used by ims_routes.cpp alone.

#include "core/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fioemu::ims_uri {

inline int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// A redirect URI split strictly (docs/emulator.md, "Redirect URIs"). In a pattern, `*` may
/// stand in the host, port, path and query.
struct RedirectParts {
    std::string scheme;
    std::string host; ///< as written; IPv6 literals keep their brackets
    std::optional<std::string> port;
    std::string path;
    std::optional<std::string> query;
};

inline bool is_unreserved(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}
inline bool is_label_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}
inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
/// RFC 3986 pchar without '%' (escapes are checked apart).
inline bool is_pchar(char c) {
    return is_unreserved(c) || std::string_view("!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

/// Checks the %-escapes of a path or query: well formed, and never an encoded control
/// character, or (in a path) an encoded '/', '\' or '.' that a server might decode into a
/// different path.
inline bool escapes_ok(std::string_view text, bool in_path) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%')
            continue;
        if (i + 2 >= text.size() || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0)
            return false;
        const int c = hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]);
        if (c < 0x20 || c == 0x7f || (in_path && (c == '/' || c == '\\' || c == '.')))
            return false;
        i += 2;
    }
    return true;
}

/// Splits `uri`; nullopt with the reason in `why` when it is not acceptable. `pattern` admits
/// `*` in the host, port, path and query.
inline std::optional<RedirectParts> parse_redirect(std::string_view uri, bool pattern,
                                                   std::string& why) {
    const auto fail = [&](const char* reason) {
        why = reason;
        return std::nullopt;
    };
    for (const char c : uri) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return fail("redirect_uri must not contain spaces, control or non-ASCII characters");
        if (c == '\\')
            return fail("redirect_uri must not contain a backslash");
        if (c == '#')
            return fail("redirect_uri must not contain a fragment");
    }
    const auto sep = uri.find("://");
    if (sep == std::string_view::npos || sep == 0)
        return fail("redirect_uri is not an absolute URI (scheme://...)");
    RedirectParts out;
    out.scheme = std::string(uri.substr(0, sep));
    if (!std::isalpha(static_cast<unsigned char>(out.scheme[0])) ||
        !std::all_of(out.scheme.begin(), out.scheme.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
        })) {
        return fail("redirect_uri has a malformed scheme");
    }
    std::string_view rest = uri.substr(sep + 3);
    const auto authority_end = std::min(rest.find_first_of("/?"), rest.size());
    std::string_view authority = rest.substr(0, authority_end);
    rest.remove_prefix(authority_end);
    if (authority.find('@') != std::string_view::npos)
        return fail("redirect_uri must not contain user information (@)");
    std::string_view port;
    bool has_port = false;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close == 1)
            return fail("redirect_uri has a malformed IPv6 host");
        const auto inside = authority.substr(1, close - 1);
        if (!std::all_of(inside.begin(), inside.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
            })) {
            return fail("redirect_uri has a malformed IPv6 host");
        }
        out.host = std::string(authority.substr(0, close + 1));
        if (close + 1 < authority.size() && authority[close + 1] != ':')
            return fail("redirect_uri has a malformed IPv6 host");
        has_port = close + 1 < authority.size();
        port = has_port ? authority.substr(close + 2) : std::string_view();
    } else {
        const auto colon = std::min(authority.find(':'), authority.size());
        out.host = std::string(authority.substr(0, colon));
        has_port = colon < authority.size();
        port = has_port ? authority.substr(colon + 1) : std::string_view();
        std::size_t label_start = 0;
        for (std::size_t i = 0; i <= out.host.size() && !out.host.empty(); ++i) {
            if (i < out.host.size() && out.host[i] != '.') {
                if (!is_label_char(out.host[i]) && !(pattern && out.host[i] == '*'))
                    return fail("redirect_uri has a malformed host");
                continue;
            }
            if (i == label_start)
                return fail("redirect_uri has an empty host label");
            label_start = i + 1;
        }
    }
    if (has_port) {
        const bool digits =
            !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [&](char c) {
                return is_digit(c) || (pattern && c == '*');
            });
        if (!digits || (!pattern && std::stoi(std::string(port)) > 65535))
            return fail("redirect_uri has a malformed port");
        out.port = std::string(port);
    }
    const auto query_at = std::min(rest.find('?'), rest.size());
    out.path = std::string(rest.substr(0, query_at));
    if (query_at < rest.size())
        out.query = std::string(rest.substr(query_at + 1));
    if (!std::all_of(out.path.begin(), out.path.end(),
                     [](char c) { return is_pchar(c) || c == '/' || c == '%'; }) ||
        !escapes_ok(out.path, true)) {
        return fail("redirect_uri has a malformed path");
    }
    for (std::size_t pos = 0; pos < out.path.size();) {
        const auto end = std::min(out.path.find('/', pos + 1), out.path.size());
        const std::string_view segment = std::string_view(out.path).substr(pos + 1, end - pos - 1);
        if (segment == "." || segment == "..")
            return fail("redirect_uri must not contain dot segments (/./ or /../)");
        pos = end;
    }
    if (out.query && (!std::all_of(out.query->begin(), out.query->end(), [](char c) {
            return is_pchar(c) || c == '/' || c == '?' || c == '%';
        }) || !escapes_ok(*out.query, false))) {
        return fail("redirect_uri has a malformed query");
    }
    return out;
}

/// `*` in `pattern` matches a run of `allowed` characters (at least `min_star`); every other
/// character matches itself (ASCII case-folded with `fold_case`).
inline bool star_match(std::string_view pattern, std::string_view text, bool (*allowed)(char),
                       std::size_t min_star, bool fold_case) {
    // reach[j]: the pattern read so far matches text[0, j).
    std::vector<char> reach(text.size() + 1, 0), next(text.size() + 1, 0);
    reach[0] = 1;
    for (const char p : pattern) {
        std::fill(next.begin(), next.end(), 0);
        if (p == '*') {
            bool open = false; // some k < j with reach[k] and text[k, j) all allowed
            for (std::size_t j = 0; j <= text.size(); ++j) {
                if (j > 0)
                    open = (open || reach[j - 1]) && allowed(text[j - 1]);
                next[j] = open || (min_star == 0 && reach[j]);
            }
        } else {
            for (std::size_t j = 0; j < text.size(); ++j) {
                const bool same = fold_case ? std::tolower(static_cast<unsigned char>(p)) ==
                                                  std::tolower(static_cast<unsigned char>(text[j]))
                                            : p == text[j];
                next[j + 1] = reach[j] && same;
            }
        }
        reach.swap(next);
    }
    return reach[text.size()] != 0;
}

/// Component by component: `*` never crosses into another component, a host `*` stands for
/// one DNS label's characters, a port `*` for digits, a path or query `*` for unreserved
/// characters.
inline bool redirect_matches(const RedirectParts& pattern, const RedirectParts& uri) {
    if (pattern.scheme != uri.scheme || pattern.port.has_value() != uri.port.has_value() ||
        pattern.query.has_value() != uri.query.has_value()) {
        return false;
    }
    return star_match(pattern.host, uri.host, is_label_char, 1, true) &&
           (!pattern.port || star_match(*pattern.port, *uri.port, is_digit, 1, false)) &&
           star_match(pattern.path, uri.path, is_unreserved, 0, false) &&
           (!pattern.query || star_match(*pattern.query, *uri.query, is_unreserved, 0, false));
}

/// Open mode's one exception to https: plain http to this machine.
inline bool is_loopback_host(const std::string& host) {
    const std::string h = ascii_lower(host);
    return h == "127.0.0.1" || h == "[::1]" || h == "localhost";
}

/// adobe+<one or more of [a-z0-9.+-]>: the custom scheme Adobe assigns a native credential.
inline bool is_native_scheme(const std::string& scheme) {
    return scheme.size() > 6 && scheme.rfind("adobe+", 0) == 0 &&
           std::all_of(scheme.begin() + 6, scheme.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '+' || c == '-';
           });
}

} // namespace fioemu::ims_uri
