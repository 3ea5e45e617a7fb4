// SPDX-License-Identifier: MIT
#pragma once

#include "fios/auth/credentials.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/auth/pkce.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fios::auth {

/// Adobe IMS, the login of Frame.io V4: authorization code with PKCE for a user (Web App or
/// public credential), client_credentials for server-to-server, and their error messages.

inline constexpr std::string_view k_default_ims_url = "https://ims-na1.adobelogin.com";
/// The scopes an interactive V4 login asks for. `additional_info.roles` is required by /v4;
/// `offline_access` makes IMS issue a refresh token (Web App credentials only, by default).
inline constexpr std::string_view k_ims_user_scopes =
    "openid,AdobeID,email,profile,offline_access,additional_info.roles";
/// The scopes of a server-to-server token.
inline constexpr std::string_view k_ims_s2s_scopes = "openid,AdobeID,frame.s2s.all";

/// Where the client secret of a confidential credential comes from when a token is requested
/// (FRAMEIO_CLIENT_SECRET, then `client_secret` in the 0600 config file: the CLI's business).
/// std::nullopt when none is configured; an error (an unreadable config file) is passed on.
using SecretSource = std::function<Result<std::optional<std::string>>()>;

/// The client that authenticates at the IMS token endpoint.
struct ImsClientCredential {
    std::string client_id;
    /// Set for a Web App or server-to-server credential (HTTP Basic); std::nullopt for a public
    /// credential (client_id in the body, PKCE verifier as proof).
    std::optional<std::string> secret;
};

/// `{ims_url}/ims/authorize/v2?client_id=..&redirect_uri=..&scope=..&response_type=code
/// &state=..&code_challenge=..&code_challenge_method=S256`, values percent-encoded; a trailing
/// '/' on ims_url is ignored.
std::string ims_authorize_url(std::string_view ims_url, std::string_view client_id,
                              std::string_view redirect_uri, std::string_view state,
                              std::string_view code_challenge,
                              std::string_view scopes = k_ims_user_scopes);

/// `{ims_url}/ims/token/v3`.
std::string ims_token_url(std::string_view ims_url);

/// The authorization code from what the user pasted: the whole address the browser was sent
/// to (its `state` must equal `expected_state`), or the bare code. Whitespace around is
/// ignored. Errors: unauthorized for an `error=` redirect (denied, invalid_scope, ...: the
/// message names cause and fix), a missing or different state (a stale or foreign address);
/// invalid_request when there is nothing usable. The code never appears in a message.
/// `client_id` goes into the login command the messages suggest.
Result<std::string> ims_code_from_paste(std::string_view pasted, std::string_view expected_state,
                                        std::string_view client_id = "ID");

/// The Adobe IMS token endpoint. Thread-safe when the transport is.
///
/// Refusals (400/401) are ErrorCode::unauthorized, or invalid_config for a wrong client id or
/// secret, with a message that names the cause and the fix from the OAuth error code:
/// invalid_client (wrong client id or secret), invalid_grant (code expired or used, refresh
/// token revoked: log in again), invalid_scope (the Frame.io API is missing on the
/// credential), a redirect URI mismatch (register it in the Adobe Developer Console). 5xx,
/// 429 and transport errors keep their retryable codes. Never a raw body, never a secret.
class ImsClient {
public:
    explicit ImsClient(net::HttpTransport& transport,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60))
        : m_transport(&transport), m_timeout(timeout) {}

    /// grant_type=authorization_code with code, redirect_uri and code_verifier. A confidential
    /// client authenticates with HTTP Basic (id and secret form-urlencoded, RFC 6749 2.3.1), a
    /// public one sends client_id in the body. No scope is sent: a narrower list would
    /// drop `additional_info.roles` from the grant.
    Result<TokenResponse> exchange_code(std::string_view ims_url, const ImsClientCredential& client,
                                        std::string_view code, std::string_view redirect_uri,
                                        std::string_view code_verifier);

    /// grant_type=refresh_token (same client authentication). The answer may carry a new
    /// refresh token, which replaces the old one at once (the old one is then revoked).
    Result<TokenResponse> refresh(std::string_view ims_url, const ImsClientCredential& client,
                                  std::string_view refresh_token);

    /// grant_type=client_credentials with k_ims_s2s_scopes (HTTP Basic). No refresh token.
    Result<TokenResponse> client_credentials(std::string_view ims_url, std::string_view client_id,
                                             std::string_view client_secret);

private:
    enum class Grant { authorization_code, refresh_token, client_credentials };
    Result<TokenResponse> post(Grant grant, std::string_view ims_url,
                               const ImsClientCredential& client,
                               std::vector<std::pair<std::string, std::string>> form,
                               std::vector<std::string_view> secrets,
                               std::string_view redirect_uri = {});

    net::HttpTransport* m_transport;
    std::chrono::milliseconds m_timeout;
};

/// One interactive login attempt: open `authorize_url`, then finish with what the user pastes.
struct ImsLoginAttempt {
    std::string ims_url;
    std::string client_id;
    std::string redirect_uri;
    PkceSession pkce; ///< verifier, S256 challenge and state (secret until the exchange)
    std::string authorize_url;
};

/// Makes a fresh PKCE verifier and state and the authorize URL for them.
Result<ImsLoginAttempt> start_ims_login(std::string_view ims_url, std::string_view client_id,
                                        std::string_view redirect_uri);

/// Parses `pasted` (ims_code_from_paste), exchanges the code, and returns the ims_user
/// credentials to save: tokens, expiry (whole seconds, by `clock`), scopes (granted, or the
/// ones asked), client id, confidential = secret given, ims_url and api_url. The caller adds
/// user and account (GET /v4/me) before saving.
Result<Credentials> finish_ims_login(ImsClient& client, const ImsLoginAttempt& attempt,
                                     std::string_view pasted,
                                     const std::optional<std::string>& secret,
                                     std::string_view api_url, const Clock& clock);

/// `login --s2s`: a client_credentials token as ims_s2s credentials (confidential; the secret is
/// not kept).
Result<Credentials> ims_s2s_login(ImsClient& client, std::string_view ims_url,
                                  std::string_view client_id, std::string_view client_secret,
                                  std::string_view api_url, const Clock& clock);

/// `login --token-stdin` on V4: a static legacy developer token (legacy_token_auth() is true).
Credentials legacy_token_credentials(std::string token, std::string api_url);

/// "2026-12-07 18:50 UTC", for expiry messages.
std::string format_utc(Clock::time_point t);

} // namespace fios::auth
