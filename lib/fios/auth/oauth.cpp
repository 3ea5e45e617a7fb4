// SPDX-License-Identifier: MIT
#include "fios/auth/oauth.hpp"

#include "fios/auth/url.hpp"
#include "fios/core/json_bounds.hpp"
#include "fios/net/url.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace fios::auth {

std::string redact(std::string text, const std::vector<std::string_view>& secrets) {
    for (auto secret : secrets) {
        if (secret.empty())
            continue;
        std::size_t pos = 0;
        while ((pos = text.find(secret, pos)) != std::string::npos) {
            text.replace(pos, secret.size(), "***");
            pos += 3;
        }
    }
    return text;
}

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (out.size() >= 200) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return out;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::string_view without_trailing_slash(std::string_view url) {
    while (!url.empty() && url.back() == '/')
        url.remove_suffix(1);
    return url;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::chrono::milliseconds> parse_retry_after(const net::HttpResponse& response) {
    auto value = response.header("retry-after");
    if (!value)
        return std::nullopt;
    const auto text = trim(*value);
    long long seconds = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || ptr != text.data() + text.size() || seconds < 0)
        return std::nullopt;
    return std::chrono::seconds(std::min<long long>(seconds, 3600));
}

} // namespace

// Secrets are redacted before the text is shortened, so a cut can never leave part of one.
OAuthErrorBody parse_error_body(std::string_view body,
                                const std::vector<std::string_view>& secrets) {
    OAuthErrorBody out;
    rapidjson::Document doc;
    if (!check_json_bounds(body))
        return out;
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return out;
    if (auto it = doc.FindMember("error"); it != doc.MemberEnd() && it->value.IsString()) {
        out.error = printable(redact(it->value.GetString(), secrets));
    }
    for (const char* key : {"error_description", "message"}) {
        if (auto it = doc.FindMember(key); it != doc.MemberEnd() && it->value.IsString()) {
            out.description = printable(redact(it->value.GetString(), secrets));
            break;
        }
    }
    return out;
}

Result<TokenResponse> parse_token_body(std::string_view body, const std::string& url) {
    auto field_error = [&](std::string_view field, std::string_view what) {
        return Error{ErrorCode::parse, fmt::format("token endpoint {}: the response field '{}' {}",
                                                   url, field, what)};
    };
    if (auto bounded = check_json_bounds(body); !bounded)
        return Error{ErrorCode::parse,
                     fmt::format("token endpoint {}: {}", url, bounded.error().message)};
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        return Error{ErrorCode::parse,
                     fmt::format("token endpoint {}: the response is not a JSON object", url)};
    }
    TokenResponse out;
    auto at = doc.FindMember("access_token");
    if (at == doc.MemberEnd())
        return field_error("access_token", "is missing");
    if (!at->value.IsString() || at->value.GetStringLength() == 0) {
        return field_error("access_token", "is not a non-empty string");
    }
    out.access_token.assign(at->value.GetString(), at->value.GetStringLength());

    if (auto it = doc.FindMember("token_type"); it != doc.MemberEnd()) {
        if (!it->value.IsString())
            return field_error("token_type", "is not a string");
        out.token_type = it->value.GetString();
        if (!iequals(out.token_type, "bearer")) {
            return field_error("token_type",
                               fmt::format("is '{}', not 'bearer'", printable(out.token_type)));
        }
    }
    if (auto it = doc.FindMember("refresh_token"); it != doc.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsString())
            return field_error("refresh_token", "is not a string");
        if (it->value.GetStringLength() > 0) {
            out.refresh_token = std::string(it->value.GetString(), it->value.GetStringLength());
        }
    }
    if (auto it = doc.FindMember("expires_in"); it != doc.MemberEnd() && !it->value.IsNull()) {
        // Every caller adds it to now(): more than k_max_expires_in could overflow the clock
        // (nanoseconds in 64 bits end in 2262), and no real token lives that long.
        const auto max = static_cast<double>(k_max_expires_in.count());
        if (it->value.IsInt64() && it->value.GetInt64() > 0 &&
            it->value.GetInt64() <= k_max_expires_in.count()) {
            out.expires_in = std::chrono::seconds(it->value.GetInt64());
        } else if (it->value.IsDouble() && it->value.GetDouble() >= 1 &&
                   it->value.GetDouble() <= max) {
            out.expires_in = std::chrono::seconds(static_cast<std::int64_t>(it->value.GetDouble()));
        } else {
            return field_error("expires_in",
                               "is not a positive number of seconds of at most a century");
        }
    }
    if (auto it = doc.FindMember("scope"); it != doc.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsString())
            return field_error("scope", "is not a string");
        out.scopes = split_scopes(it->value.GetString());
    }
    return out;
}

std::vector<std::string> split_scopes(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        const auto end = std::min(text.find(' ', i), text.size());
        if (end > i)
            out.emplace_back(text.substr(i, end - i));
        i = end;
    }
    return out;
}

std::string join_scopes(std::span<const std::string> scopes) {
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty())
            out += ' ';
        out += s;
    }
    return out;
}

std::vector<std::string> default_scopes() {
    return split_scopes(k_default_scopes);
}

std::string authorize_url(std::string_view auth_url, std::string_view client_id,
                          std::string_view redirect_uri, std::span<const std::string> scopes,
                          std::string_view state, std::string_view code_challenge) {
    return fmt::format("{}/oauth2/auth?{}", without_trailing_slash(auth_url),
                       form_encode({{"response_type", "code"},
                                    {"client_id", std::string(client_id)},
                                    {"redirect_uri", std::string(redirect_uri)},
                                    {"scope", join_scopes(scopes)},
                                    {"state", std::string(state)},
                                    {"code_challenge", std::string(code_challenge)},
                                    {"code_challenge_method", "S256"}}));
}

Result<AuthorizationRedirect> parse_redirect(std::string_view pasted) {
    std::string_view text = trim(pasted);
    // Accept the whole URL or just its query; drop any fragment.
    if (auto hash = text.find('#'); hash != std::string_view::npos)
        text = text.substr(0, hash);
    if (auto q = text.find('?'); q != std::string_view::npos) {
        text = text.substr(q + 1);
    } else if (text.find("://") != std::string_view::npos) {
        text = {};
    }
    auto pairs = parse_query(text);
    if (!pairs) {
        return Error{ErrorCode::invalid_request,
                     "the redirected URL has a malformed %-escape; paste the whole address the "
                     "browser was sent to"};
    }
    auto get = [&](std::string_view key) -> std::optional<std::string> {
        for (const auto& [k, v] : *pairs) {
            if (k == key)
                return v;
        }
        return std::nullopt;
    };
    if (auto error = get("error")) {
        std::string message =
            fmt::format("the authorization server refused the login: {}", printable(*error));
        if (auto desc = get("error_description"); desc && !desc->empty()) {
            message += fmt::format(" ({})", printable(*desc));
        }
        if (*error == "access_denied")
            message += "; access was denied in the browser";
        message += "; run `frameio-sync login` again";
        return Error{ErrorCode::unauthorized, message};
    }
    AuthorizationRedirect out;
    auto code = get("code");
    if (!code || code->empty()) {
        return Error{ErrorCode::invalid_request,
                     "the redirected URL has no `code` parameter; paste the whole address the "
                     "browser was sent to after you allowed access (it starts with the redirect "
                     "URI, e.g. http://127.0.0.1:8080/?code=...)"};
    }
    auto state = get("state");
    if (!state || state->empty()) {
        return Error{ErrorCode::invalid_request,
                     "the redirected URL has no `state` parameter; paste the whole address the "
                     "browser was sent to"};
    }
    out.code = std::move(*code);
    out.state = std::move(*state);
    if (auto scope = get("scope"))
        out.scopes = split_scopes(*scope);
    return out;
}

Result<std::string> code_from_redirect(std::string_view pasted, std::string_view expected_state) {
    auto redirect = parse_redirect(pasted);
    if (!redirect)
        return redirect.error();
    if (redirect->state != expected_state) {
        return Error{ErrorCode::unauthorized,
                     "the redirect's `state` does not match this login attempt (a stale or "
                     "forged redirect); nothing was saved. Run `frameio-sync login` again and use "
                     "the newest authorization URL"};
    }
    return std::move(redirect->code);
}

std::string OAuthClient::token_url(std::string_view auth_url) {
    return fmt::format("{}/oauth2/token", without_trailing_slash(auth_url));
}

Result<TokenResponse> OAuthClient::exchange_code(std::string_view auth_url,
                                                 std::string_view client_id, std::string_view code,
                                                 std::string_view redirect_uri,
                                                 std::string_view code_verifier) {
    return post(Grant::authorization_code, auth_url,
                {{"grant_type", "authorization_code"},
                 {"code", std::string(code)},
                 {"redirect_uri", std::string(redirect_uri)},
                 {"client_id", std::string(client_id)},
                 {"code_verifier", std::string(code_verifier)}},
                {code, code_verifier});
}

Result<TokenResponse> OAuthClient::refresh(std::string_view auth_url, std::string_view client_id,
                                           std::string_view refresh_token) {
    return post(Grant::refresh_token, auth_url,
                {{"grant_type", "refresh_token"},
                 {"refresh_token", std::string(refresh_token)},
                 {"client_id", std::string(client_id)}},
                {refresh_token});
}

Result<TokenResponse> OAuthClient::post(Grant grant, std::string_view auth_url,
                                        std::vector<std::pair<std::string, std::string>> form,
                                        std::vector<std::string_view> secrets) {
    TokenRequest request;
    request.url = token_url(auth_url);
    request.form = std::move(form);
    request.secrets = std::move(secrets);
    request.what = grant == Grant::refresh_token ? "refreshing the login"
                                                 : "exchanging the authorization code";
    request.not_found_hint = "check the auth URL (--auth-url / FRAMEIO_AUTH_URL)";
    request.timeout = m_timeout;
    return post_token_request(
        *m_transport, request, [grant](int status, const OAuthErrorBody& body) {
            std::string detail = fmt::format("HTTP {}", status);
            if (!body.error.empty())
                detail += " " + body.error;
            if (!body.description.empty())
                detail += ": " + body.description;
            std::string message =
                grant == Grant::refresh_token
                    ? fmt::format("the authorization server refused to refresh the login ({}): "
                                  "it expired or was revoked; run `frameio-sync login`",
                                  detail)
                    : fmt::format("the authorization server refused the authorization code "
                                  "({}); run `frameio-sync login` again",
                                  detail);
            return Error{ErrorCode::unauthorized, std::move(message), status};
        });
}

Result<TokenResponse> post_token_request(net::HttpTransport& transport,
                                         const TokenRequest& token_request,
                                         const TokenRefusal& refuse) {
    const auto& secrets = token_request.secrets;
    net::HttpRequest request;
    request.method = net::Method::post;
    request.url = token_request.url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    if (token_request.authorization)
        request.headers.emplace_back("Authorization", *token_request.authorization);
    request.body = form_encode(token_request.form);
    request.total_timeout = token_request.timeout;
    // A token endpoint that redirects is something in the way (see net::detour_error).
    request.follow_redirects = false;

    auto response = transport.send(request);
    if (!response) {
        Error e = std::move(response).error();
        e.message = redact(fmt::format("{} at {}: {}", token_request.what, request.url, e.message),
                           secrets);
        return e;
    }
    const int status = response->status;
    const std::string hint =
        "if the network has a login page, sign in with a browser; else check the proxy settings "
        "(https_proxy, no_proxy) and " +
        (token_request.not_found_hint.empty() ? std::string("the server's URL")
                                              : token_request.not_found_hint);
    if (auto detour =
            net::detour_error(*response, token_request.what,
                              "the token endpoint " + net::redact_url(request.url), hint)) {
        detour->message = redact(std::move(detour->message), secrets);
        return *detour;
    }
    if (status >= 200 && status < 300)
        return parse_token_body(response->body, request.url);

    const OAuthErrorBody body = parse_error_body(response->body, secrets);
    if (status == 400 || status == 401) {
        Error e = refuse(status, body);
        e.message = redact(std::move(e.message), secrets);
        e.http_status = status;
        return e;
    }
    std::string detail = fmt::format("HTTP {}", status);
    if (!body.error.empty())
        detail += " " + body.error;
    if (!body.description.empty())
        detail += ": " + body.description;
    Error e{error_code_for_http_status(status),
            redact(fmt::format("{} at {}: {}", token_request.what, request.url, detail), secrets),
            status};
    if (status == 429)
        e.retry_after = parse_retry_after(*response);
    if ((status == 404 || status == 405) && !token_request.not_found_hint.empty())
        e.message += "; " + token_request.not_found_hint;
    return e;
}

} // namespace fios::auth
