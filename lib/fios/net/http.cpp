// SPDX-License-Identifier: MIT
#include "fios/net/http.hpp"

#include "fios/net/url.hpp"

#include <algorithm>
#include <cctype>

namespace fios::net {

std::string_view to_string(Method m) {
    switch (m) {
    case Method::get:
        return "GET";
    case Method::post:
        return "POST";
    case Method::put:
        return "PUT";
    case Method::del:
        return "DELETE";
    }
    return "GET";
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    auto lower_equal = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() &&
               std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) ==
                          std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (const auto& [k, v] : headers) {
        if (lower_equal(k, name))
            return std::string_view(v);
    }
    return std::nullopt;
}

namespace {

/// A header value fit for a message: printable ASCII only, at most 200 characters.
std::string printable(std::string_view text) {
    constexpr std::size_t k_max = 200;
    std::string out;
    for (char c : text.substr(0, k_max)) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
    }
    if (text.size() > k_max)
        out += "...";
    return out;
}

/// True when a body looks like HTML: an HTML media type, or text starting with '<' (JSON
/// never does). An empty body (a 204) is no page, whatever its Content-Type.
bool looks_like_html(const HttpResponse& response) {
    if (response.body.empty())
        return false;
    if (auto type = response.header("content-type")) {
        std::string lower(*type);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower.starts_with("text/html") || lower.starts_with("application/xhtml"))
            return true;
    }
    auto first = response.body.find_first_not_of(" \t\r\n");
    return first != std::string::npos && response.body[first] == '<';
}

} // namespace

std::optional<Error> detour_error(const HttpResponse& response, std::string_view where,
                                  std::string_view server, std::string_view hint) {
    const int status = response.status;
    const std::string code = "(HTTP " + std::to_string(status) + ")";
    if (status >= 300 && status < 400) {
        auto location = response.header("location");
        std::string target = location ? "to " + printable(redact_url(*location))
                                      : std::string("without saying where");
        return Error{ErrorCode::network,
                     std::string(where) + ": " + std::string(server) + " redirected " + target +
                         " " + code +
                         " instead of answering: a proxy, a captive portal or a wrong URL is "
                         "in the way; " +
                         std::string(hint),
                     status};
    }
    if (status >= 200 && status < 300 && looks_like_html(response)) {
        return Error{ErrorCode::network,
                     std::string(where) + ": " + std::string(server) +
                         " answered with an HTML page instead of JSON " + code +
                         ": a captive portal or a proxy is in the way; " + std::string(hint),
                     status};
    }
    return std::nullopt;
}

} // namespace fios::net
