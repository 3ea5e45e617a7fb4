// SPDX-License-Identifier: MIT
#pragma once

// A deliberately small HTTP client on libcurl, independent of lib/fios: the emulator is checked
// against the contract with code that shares nothing with the client library it serves.

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fios::test::emu {

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    /// Header lines as "Name: value". "Name:" (nothing after the colon) removes a header curl
    /// would otherwise add (Content-Type on bodies, Expect).
    std::vector<std::string> headers;
    std::optional<std::string> body; ///< sent with any method when set, even an empty one
    std::chrono::milliseconds timeout{std::chrono::seconds(20)};
    /// true: send "Expect: 100-continue" before a body, as libcurl does for large uploads
    /// (false removes it, so the body follows the headers at once).
    bool expect_continue = false;
};

struct HttpResponse {
    long status = 0;                            ///< 0 when no HTTP status line came back
    std::map<std::string, std::string> headers; ///< names lower-cased; last value wins
    std::string body;
    int curl_code = 0;      ///< CURLcode; non-zero on transport errors (reset, short body, ...)
    std::string curl_error; ///< curl's message when curl_code != 0
    std::chrono::milliseconds elapsed{0};

    [[nodiscard]] bool has_header(const std::string& lower_name) const {
        return headers.count(lower_name) != 0;
    }
    /// The header's value, or "" when absent.
    [[nodiscard]] std::string header(const std::string& lower_name) const;
    /// A one-line description for assertion messages (status, curl error, start of the body).
    [[nodiscard]] std::string describe() const;
};

/// Performs one request on a fresh connection. Never throws for HTTP or transport errors: they
/// are values in the response.
HttpResponse perform(const HttpRequest& request);

/// Percent-encodes a query or form value.
std::string url_encode(const std::string& value);
/// Decodes %XX and '+' (form encoding).
std::string url_decode(const std::string& value);
/// Query parameters of a URL (after '?', before '#'), decoded.
std::map<std::string, std::string> query_params(const std::string& url);
/// The URL without its query string.
std::string strip_query(const std::string& url);

/// Parses JSON; throws std::runtime_error with the offending text on failure.
rapidjson::Document parse_json(const std::string& text);
/// Serialises a JSON value compactly.
std::string to_json(const rapidjson::Value& value);

/// Bound to one emulator and one bearer token (empty token: no Authorization header).
class Api {
public:
    Api(std::string base_url, std::string token)
        : m_base(std::move(base_url)), m_token(std::move(token)) {}

    [[nodiscard]] const std::string& base_url() const { return m_base; }
    [[nodiscard]] const std::string& token() const { return m_token; }
    void set_token(std::string token) { m_token = std::move(token); }

    /// `path` is appended to the base URL ("/v2/me").
    [[nodiscard]] HttpResponse get(const std::string& path) const;
    [[nodiscard]] HttpResponse del(const std::string& path) const;
    [[nodiscard]] HttpResponse post_json(const std::string& path, const std::string& json) const;
    [[nodiscard]] HttpResponse put_json(const std::string& path, const std::string& json) const;
    /// Any method, optional raw body with the given Content-Type.
    [[nodiscard]] HttpResponse send(const std::string& method, const std::string& path,
                                    const std::optional<std::string>& body = std::nullopt,
                                    const std::string& content_type = "application/json",
                                    std::vector<std::string> extra_headers = {}) const;

private:
    std::string m_base;
    std::string m_token;
};

} // namespace fios::test::emu
