// SPDX-License-Identifier: MIT
#include "fios/net/url.hpp"

namespace fios::net {
namespace {

struct UrlParts {
    std::string_view scheme_and_authority; ///< "https://host:port" (user info removed later)
    std::string_view path;                 ///< "/a/b", possibly empty
};

UrlParts split(std::string_view url) {
    // Cut at the first '?' or '#': neither may appear in what we keep.
    auto end = url.find_first_of("?#");
    if (end != std::string_view::npos)
        url = url.substr(0, end);
    auto scheme_end = url.find("://");
    std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    auto path_start = url.find('/', authority_start);
    if (path_start == std::string_view::npos)
        return {url, {}};
    return {url.substr(0, path_start), url.substr(path_start)};
}

} // namespace

std::string redact_url(std::string_view url) {
    UrlParts parts = split(url);
    std::string_view head = parts.scheme_and_authority;
    std::string out;
    auto scheme_end = head.find("://");
    std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    // user:password@host: drop everything up to the last '@' of the authority.
    auto at = head.rfind('@');
    if (at != std::string_view::npos && at >= authority_start) {
        out.append(head.substr(0, authority_start));
        out.append(head.substr(at + 1));
    } else {
        out.append(head);
    }
    out.append(parts.path);
    return out;
}

std::string url_path(std::string_view url) {
    UrlParts parts = split(url);
    if (parts.path.empty())
        return "/";
    return std::string(parts.path);
}

std::string url_encode(std::string_view component) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(component.size());
    for (char c : component) {
        auto u = static_cast<unsigned char>(c);
        bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                          (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' || u == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(k_hex[u >> 4]);
            out.push_back(k_hex[u & 0x0F]);
        }
    }
    return out;
}

} // namespace fios::net
