// SPDX-License-Identifier: MIT
#include "fios/auth/ims.hpp"

#include "fios/auth/url.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cctype>
#include <ctime>

namespace fios::auth {

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

std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 section 2.3.1).
std::string basic_authorization(std::string_view id, std::string_view secret) {
    return "Basic " + base64(percent_encode(id) + ":" + percent_encode(secret));
}

std::string user_login_command(std::string_view client_id) {
    return fmt::format("frameio-sync login --oauth --client-id {}", client_id);
}

std::string s2s_login_command(std::string_view client_id) {
    return fmt::format("frameio-sync login --s2s --client-id {}", client_id);
}

bool contains(std::string_view text, std::string_view word) {
    return text.find(word) != std::string_view::npos;
}

/// The step that IMS refused.
enum class Step { code, refresh, s2s };

/// What the user sees for an OAuth error code from IMS (the token endpoint's body or an
/// `error=` redirect).
Error ims_refusal(Step step, std::string_view client_id, bool confidential,
                  std::string_view redirect_uri, const OAuthErrorBody& body) {
    const bool s2s = step == Step::s2s;
    const std::string command = s2s ? s2s_login_command(client_id) : user_login_command(client_id);
    std::string detail = body.error.empty() ? std::string("no OAuth error code") : body.error;
    if (!body.description.empty())
        detail += ": " + body.description;
    const std::string& e = body.error;

    if (contains(e, "redirect") || contains(body.description, "redirect_uri")) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("Adobe IMS refused the redirect URI {} for client {} ({}): "
                                 "register it in the Adobe Developer Console (the credential's "
                                 "redirect URI pattern), or pass --redirect-uri with one that is "
                                 "registered, then run `{}` again",
                                 redirect_uri, client_id, detail, command)};
    }
    if (e == "invalid_client") {
        std::string fix =
            s2s ? "check the client id and client secret of the OAuth Server-to-Server "
                  "credential in the Adobe Developer Console (the secret comes from "
                  "FRAMEIO_CLIENT_SECRET, the config file's `client_secret`, or standard input)"
            : confidential
                ? "check both against the Web App credential in the Adobe Developer Console "
                  "(the secret comes from FRAMEIO_CLIENT_SECRET or the config file's "
                  "`client_secret`)"
                : "check the client id in the Adobe Developer Console; a Web App credential "
                  "also needs its client secret: set FRAMEIO_CLIENT_SECRET or `client_secret` "
                  "in the config file (mode 0600)";
        return Error{ErrorCode::invalid_config,
                     fmt::format("Adobe IMS refused the client id {}{} ({}): {}", client_id,
                                 confidential || s2s ? " or its client secret" : "", detail, fix)};
    }
    if (e == "invalid_grant") {
        if (step == Step::refresh) {
            return Error{ErrorCode::unauthorized,
                         fmt::format("the Adobe login can no longer be refreshed ({}): the "
                                     "refresh token expired (14 days after login) or was revoked "
                                     "(each one works once; a stale copy revokes the login); log "
                                     "in again: `{}`",
                                     detail, command)};
        }
        return Error{ErrorCode::unauthorized,
                     fmt::format("Adobe IMS refused the authorization code ({}): it expired "
                                 "(codes last 5 minutes), was already used, or belongs to "
                                 "another login attempt; run `{}` again and paste the new "
                                 "address promptly",
                                 detail, command)};
    }
    if (e == "invalid_scope") {
        return Error{ErrorCode::unauthorized,
                     fmt::format("Adobe IMS refused the scopes asked ({}) for client {}: add the "
                                 "Frame.io API to this credential's project in the Adobe "
                                 "Developer Console (it must allow {}), then run `{}` again",
                                 detail, client_id, s2s ? k_ims_s2s_scopes : k_ims_user_scopes,
                                 command)};
    }
    if (e == "unauthorized_client" || e == "unsupported_grant_type") {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credential {} may not log in this way ({}): use {} "
                                 "credential from the Adobe Developer Console",
                                 client_id, detail,
                                 s2s ? "an OAuth Server-to-Server"
                                     : "an OAuth Web App or a public (SPA/Native)")};
    }
    if (e == "access_denied") {
        return Error{ErrorCode::unauthorized,
                     fmt::format("access was denied in the browser ({}); run `{}` again and "
                                 "allow access",
                                 detail, command)};
    }
    return Error{ErrorCode::unauthorized,
                 fmt::format("Adobe IMS refused the login ({}); run `{}` again", detail, command)};
}

} // namespace

std::string ims_authorize_url(std::string_view ims_url, std::string_view client_id,
                              std::string_view redirect_uri, std::string_view state,
                              std::string_view code_challenge, std::string_view scopes) {
    return fmt::format("{}/ims/authorize/v2?{}", without_trailing_slash(ims_url),
                       form_encode({{"client_id", std::string(client_id)},
                                    {"redirect_uri", std::string(redirect_uri)},
                                    {"scope", std::string(scopes)},
                                    {"response_type", "code"},
                                    {"state", std::string(state)},
                                    {"code_challenge", std::string(code_challenge)},
                                    {"code_challenge_method", "S256"}}));
}

std::string ims_token_url(std::string_view ims_url) {
    return fmt::format("{}/ims/token/v3", without_trailing_slash(ims_url));
}

Result<std::string> ims_code_from_paste(std::string_view pasted, std::string_view expected_state,
                                        std::string_view client_id) {
    std::string_view text = trim(pasted);
    const std::string_view how = "paste the whole address the browser was sent to after you "
                                 "signed in (it starts with the redirect URI and contains "
                                 "`code=`), or just the code";
    if (text.empty())
        return Error{ErrorCode::invalid_request, fmt::format("nothing was pasted; {}", how)};
    const bool address = text.find_first_of("?=&/") != std::string_view::npos;
    if (!address) {
        for (char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u >= 0x7f) {
                return Error{ErrorCode::invalid_request,
                             fmt::format("the pasted text is not an authorization code; {}", how)};
            }
        }
        return std::string(text);
    }
    if (auto hash = text.find('#'); hash != std::string_view::npos)
        text = text.substr(0, hash);
    if (auto q = text.find('?'); q != std::string_view::npos)
        text = text.substr(q + 1);
    else if (text.find("://") != std::string_view::npos)
        text = {};
    auto pairs = parse_query(text);
    if (!pairs) {
        return Error{ErrorCode::invalid_request,
                     fmt::format("the pasted address has a malformed %-escape; {}", how)};
    }
    auto get = [&](std::string_view key) -> std::optional<std::string> {
        for (const auto& [k, v] : *pairs) {
            if (k == key)
                return v;
        }
        return std::nullopt;
    };
    if (auto error = get("error")) {
        OAuthErrorBody body{printable(*error), printable(get("error_description").value_or(""))};
        return ims_refusal(Step::code, client_id, false, "", body);
    }
    auto code = get("code");
    if (!code || code->empty()) {
        return Error{ErrorCode::invalid_request,
                     fmt::format("the pasted address has no `code` parameter; {}", how)};
    }
    auto state = get("state");
    if (!state || *state != expected_state) {
        return Error{ErrorCode::unauthorized,
                     fmt::format("the pasted address {} this login attempt (a stale or foreign "
                                 "redirect); nothing was saved. Use the address of the newest "
                                 "authorization URL, or paste just the code",
                                 state ? "has a `state` that does not match"
                                       : "has no `state`, so it cannot be checked against")};
    }
    return std::move(*code);
}

Result<TokenResponse> ImsClient::exchange_code(std::string_view ims_url,
                                               const ImsClientCredential& client,
                                               std::string_view code, std::string_view redirect_uri,
                                               std::string_view code_verifier) {
    return post(Grant::authorization_code, ims_url, client,
                {{"grant_type", "authorization_code"},
                 {"code", std::string(code)},
                 {"redirect_uri", std::string(redirect_uri)},
                 {"code_verifier", std::string(code_verifier)}},
                {code, code_verifier}, redirect_uri);
}

Result<TokenResponse> ImsClient::refresh(std::string_view ims_url,
                                         const ImsClientCredential& client,
                                         std::string_view refresh_token) {
    return post(Grant::refresh_token, ims_url, client,
                {{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}},
                {refresh_token});
}

Result<TokenResponse> ImsClient::client_credentials(std::string_view ims_url,
                                                    std::string_view client_id,
                                                    std::string_view client_secret) {
    return post(Grant::client_credentials, ims_url,
                ImsClientCredential{std::string(client_id), std::string(client_secret)},
                {{"grant_type", "client_credentials"}, {"scope", std::string(k_ims_s2s_scopes)}},
                {});
}

Result<TokenResponse> ImsClient::post(Grant grant, std::string_view ims_url,
                                      const ImsClientCredential& client,
                                      std::vector<std::pair<std::string, std::string>> form,
                                      std::vector<std::string_view> secrets,
                                      std::string_view redirect_uri) {
    TokenRequest request;
    request.url = ims_token_url(ims_url);
    request.form = std::move(form);
    request.secrets = std::move(secrets);
    if (client.secret) {
        request.authorization = basic_authorization(client.client_id, *client.secret);
        request.secrets.emplace_back(*client.secret);
    } else {
        request.form.emplace_back("client_id", client.client_id);
    }
    const Step step = grant == Grant::refresh_token        ? Step::refresh
                      : grant == Grant::client_credentials ? Step::s2s
                                                           : Step::code;
    request.what = grant == Grant::refresh_token        ? "refreshing the Adobe login"
                   : grant == Grant::client_credentials ? "requesting a server-to-server token"
                                                        : "exchanging the authorization code";
    request.not_found_hint = "check the IMS URL (--ims-url / FRAMEIO_IMS_URL)";
    request.timeout = m_timeout;
    const bool confidential = client.secret.has_value();
    return post_token_request(*m_transport, request, [&](int, const OAuthErrorBody& body) {
        return ims_refusal(step, client.client_id, confidential, redirect_uri, body);
    });
}

Result<ImsLoginAttempt> start_ims_login(std::string_view ims_url, std::string_view client_id,
                                        std::string_view redirect_uri) {
    auto pkce = make_pkce_session();
    if (!pkce)
        return pkce.error();
    ImsLoginAttempt a;
    a.ims_url = std::string(without_trailing_slash(ims_url));
    a.client_id = std::string(client_id);
    a.redirect_uri = std::string(redirect_uri);
    a.pkce = std::move(*pkce);
    a.authorize_url =
        ims_authorize_url(a.ims_url, a.client_id, a.redirect_uri, a.pkce.state, a.pkce.challenge);
    return a;
}

namespace {

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= text.size()) {
        const auto end = std::min(text.find_first_of(", ", i), text.size());
        if (end > i)
            out.emplace_back(text.substr(i, end - i));
        i = end + 1;
    }
    return out;
}

void apply_token(Credentials& c, TokenResponse&& t, std::string_view asked, const Clock& clock) {
    c.access_token = std::move(t.access_token);
    c.refresh_token = std::move(t.refresh_token);
    if (t.expires_in) {
        // Whole seconds, rounded down: the saved expiry is never later than the real one.
        c.expires_at =
            std::chrono::time_point_cast<std::chrono::seconds>(clock.now()) + *t.expires_in;
    }
    c.scopes = t.scopes.empty() ? split_commas(asked) : std::move(t.scopes);
}

} // namespace

Result<Credentials> finish_ims_login(ImsClient& client, const ImsLoginAttempt& attempt,
                                     std::string_view pasted,
                                     const std::optional<std::string>& secret,
                                     std::string_view api_url, const Clock& clock) {
    auto code = ims_code_from_paste(pasted, attempt.pkce.state, attempt.client_id);
    if (!code)
        return code.error();
    auto token = client.exchange_code(attempt.ims_url, {attempt.client_id, secret}, *code,
                                      attempt.redirect_uri, attempt.pkce.verifier);
    if (!token)
        return token.error();
    Credentials c;
    c.api = ApiGeneration::v4;
    c.kind = CredentialKind::ims_user;
    c.client_id = attempt.client_id;
    c.confidential = secret.has_value();
    c.ims_url = attempt.ims_url;
    c.api_url = std::string(api_url);
    apply_token(c, std::move(*token), k_ims_user_scopes, clock);
    return c;
}

Result<Credentials> ims_s2s_login(ImsClient& client, std::string_view ims_url,
                                  std::string_view client_id, std::string_view client_secret,
                                  std::string_view api_url, const Clock& clock) {
    auto token = client.client_credentials(ims_url, client_id, client_secret);
    if (!token)
        return token.error();
    Credentials c;
    c.api = ApiGeneration::v4;
    c.kind = CredentialKind::ims_s2s;
    c.client_id = std::string(client_id);
    c.confidential = true;
    c.ims_url = std::string(without_trailing_slash(ims_url));
    c.api_url = std::string(api_url);
    apply_token(c, std::move(*token), k_ims_s2s_scopes, clock);
    c.refresh_token.reset(); // client_credentials: a new token is requested, never refreshed
    return c;
}

Credentials legacy_token_credentials(std::string token, std::string api_url) {
    Credentials c;
    c.api = ApiGeneration::v4;
    c.kind = CredentialKind::legacy_token;
    c.access_token = std::move(token);
    c.api_url = std::move(api_url);
    return c;
}

std::string format_utc(Clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return std::string(buf, n);
}

} // namespace fios::auth
