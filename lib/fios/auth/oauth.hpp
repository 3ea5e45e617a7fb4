// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fios::auth {

/// The scopes `login --oauth` asks for: the original tool's set plus asset.update (renames and
/// versions). `offline` is what makes the server issue a refresh token.
inline constexpr std::string_view k_default_scopes =
    "project.read asset.create offline asset.read team.read account.read asset.delete "
    "asset.update";

/// k_default_scopes split on spaces.
std::vector<std::string> default_scopes();

/// Splits a space-delimited scope string ("a b  c") into its scopes.
std::vector<std::string> split_scopes(std::string_view text);
std::string join_scopes(std::span<const std::string> scopes);

/// `{auth_url}/oauth2/auth?response_type=code&client_id=..&redirect_uri=..&scope=..&state=..
/// &code_challenge=..&code_challenge_method=S256`, every value percent-encoded. A trailing '/'
/// on auth_url is ignored.
std::string authorize_url(std::string_view auth_url, std::string_view client_id,
                          std::string_view redirect_uri, std::span<const std::string> scopes,
                          std::string_view state, std::string_view code_challenge);

/// What the authorization server sent back to the redirect URI.
struct AuthorizationRedirect {
    std::string code;
    std::string state;
    std::vector<std::string> scopes; ///< the `scope` parameter when present
};

/// Extracts code and state from a redirected URL as the user pastes it
/// (`http://127.0.0.1:8080/?code=..&state=..`), or from its bare query (`code=..&state=..`).
/// Surrounding whitespace is ignored. Errors:
///  - unauthorized for an `error=` redirect (the user denied access, or the server refused the
///    request), with the server's error code and description;
///  - invalid_request when there is no `code` or no `state`, or the escapes are malformed.
/// The code never appears in an error message.
Result<AuthorizationRedirect> parse_redirect(std::string_view pasted);

/// parse_redirect, then checks the state: a mismatch is refused (ErrorCode::unauthorized)
/// because the redirect does not belong to this login attempt. Returns the code.
Result<std::string> code_from_redirect(std::string_view pasted, std::string_view expected_state);

/// A successful token endpoint answer.
struct TokenResponse {
    std::string access_token;
    /// Present when the server issued one (it may rotate on every refresh; when absent the
    /// caller keeps the old one).
    std::optional<std::string> refresh_token;
    std::optional<std::chrono::seconds> expires_in;
    std::vector<std::string> scopes; ///< granted scopes (`scope`), empty when not sent
    std::string token_type;          ///< "bearer" when sent
};

/// The OAuth 2 error fields of a token endpoint's refusal (RFC 6749 section 5.2): printable
/// ASCII, at most ~200 characters each, every secret of the request redacted. Empty when the
/// body is not such JSON (an HTML gateway page, say), which is then never shown.
struct OAuthErrorBody {
    std::string error;
    std::string description;
};

/// The longest `expires_in` accepted: a century (callers add it to the clock's now()).
inline constexpr std::chrono::seconds k_max_expires_in{100LL * 365 * 24 * 3600};

/// A 2xx token endpoint body (RFC 6749 section 5.1): `access_token` required and non-empty;
/// `token_type` "bearer" (any case) when sent; `refresh_token`, `expires_in` (1 second up to
/// k_max_expires_in) and `scope` optional. Errors are ErrorCode::parse, start with "token endpoint
/// {url}" and name the field; they never quote a token. post_token_request uses it; exposed
/// for the unit tests and the fuzz target (tests/fuzz/fuzz_token_response.cpp).
Result<TokenResponse> parse_token_body(std::string_view body, const std::string& url);

/// The OAuth error fields of a refusal's body (see OAuthErrorBody), every one of `secrets`
/// redacted; empty fields when the body is not such JSON.
OAuthErrorBody parse_error_body(std::string_view body,
                                const std::vector<std::string_view>& secrets);

/// One POST to a token endpoint (application/x-www-form-urlencoded).
struct TokenRequest {
    std::string url;
    std::vector<std::pair<std::string, std::string>> form;
    /// The Authorization header value, when the client authenticates with HTTP Basic.
    std::optional<std::string> authorization;
    /// Redacted from every message (codes, verifiers, tokens, client secrets).
    std::vector<std::string_view> secrets;
    /// What the request does, for messages ("refreshing the login").
    std::string what;
    /// Appended to the message of a 404 or 405 (which setting names the server).
    std::string not_found_hint;
    std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

/// Builds the error for a 400 or 401 answer (the server refused the grant or the client).
using TokenRefusal = std::function<Error(int status, const OAuthErrorBody& body)>;

/// Sends `request`. A 2xx answer is parsed (ErrorCode::parse names a bad field); 400/401 gives
/// refuse(status, body) with http_status set; other statuses give
/// error_code_for_http_status (429 with retry_after from Retry-After) with "{what} at {url}:
/// HTTP n error: description"; transport errors keep their code, prefixed the same way.
/// Redirects are not followed: a 3xx, or an HTML page instead of JSON, is something in the way
/// (net::detour_error, ErrorCode::network). Secrets never appear in a message. Thread-safe
/// when the transport is.
Result<TokenResponse> post_token_request(net::HttpTransport& transport, const TokenRequest& request,
                                         const TokenRefusal& refuse);

/// The OAuth 2 token endpoint for a public (PKCE) client: no client secret, client_id in the
/// form body. Thread-safe when the transport is.
///
/// Errors: ErrorCode::unauthorized for HTTP 400/401 (invalid_grant and friends), with the
/// advice to run `frameio-sync login`; rate_limited for 429 (retry_after from Retry-After);
/// server for 5xx and the transport's own errors (network, timeout) unchanged: retryable;
/// parse when a 2xx body is not the documented JSON (the message names the field).
/// Token, refresh token, code and verifier never appear in an error message.
class OAuthClient {
public:
    explicit OAuthClient(net::HttpTransport& transport,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60))
        : m_transport(&transport), m_timeout(timeout) {}

    /// grant_type=authorization_code with code, redirect_uri, client_id and code_verifier.
    Result<TokenResponse> exchange_code(std::string_view auth_url, std::string_view client_id,
                                        std::string_view code, std::string_view redirect_uri,
                                        std::string_view code_verifier);

    /// grant_type=refresh_token with refresh_token and client_id.
    Result<TokenResponse> refresh(std::string_view auth_url, std::string_view client_id,
                                  std::string_view refresh_token);

    /// `{auth_url}/oauth2/token`.
    static std::string token_url(std::string_view auth_url);

private:
    enum class Grant { authorization_code, refresh_token };
    Result<TokenResponse> post(Grant grant, std::string_view auth_url,
                               std::vector<std::pair<std::string, std::string>> form,
                               std::vector<std::string_view> secrets);

    net::HttpTransport* m_transport;
    std::chrono::milliseconds m_timeout;
};

/// Keeps only printable ASCII, at most 200 characters (then "..."): server text shown to the
/// user.
std::string printable(std::string_view s);

/// Replaces every occurrence of each non-empty secret in `text` with "***".
std::string redact(std::string text, const std::vector<std::string_view>& secrets);

} // namespace fios::auth
