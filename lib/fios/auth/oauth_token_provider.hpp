// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/token_provider.hpp"
#include "fios/auth/credentials.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace fios::auth {

/// Supplies the access token of a saved login and renews it at a token endpoint (a refresh
/// token, or client_credentials for server-to-server). Subclasses say how (renew) and when it
/// is impossible (unrenewable).
///
/// - access_token() returns the current token, renewing it first when it expires within
///   `refresh_margin` (by the injected clock). If that early renewal fails for a retryable
///   reason (network, 5xx, 429) while the token is still valid, the still-valid token is
///   returned and the renewal is tried again on the next call.
/// - refresh_after_unauthorized(rejected) renews unless the token has already changed since
///   `rejected` was handed out (another thread or process renewed it).
///
/// Every renewal runs under the credentials file lock (CredentialStore::lock) and re-reads the
/// file first: when another process has saved a newer usable token meanwhile, that token is
/// adopted and no request is sent, so rotating refresh tokens never log two processes out.
/// New tokens are saved atomically at once (the old refresh token is kept only when the
/// answer has none). A saved login of another kind (a new `login` meanwhile; V2 logins of
/// either kind excepted) is not adopted: the caller gets unauthorized and runs again.
///
/// Thread-safe: one renewal at a time per provider; threads that wait for it reuse its result.
/// Errors: ErrorCode::unauthorized when the login is gone or cannot be renewed (the message
/// says which command to run); retryable codes when the token endpoint is unreachable;
/// invalid_config / io from the credentials file. Tokens never appear in messages.
class RenewingTokenProvider : public api::TokenProvider {
public:
    Result<std::string> access_token() final;
    Result<std::string> refresh_after_unauthorized(const std::string& rejected_token) final;

    /// A copy of the credentials in use (for whoami: user, scopes, expiry). Holds secrets.
    [[nodiscard]] Credentials current() const;
    /// When the access token in use expires (std::nullopt: unknown or never). For a login
    /// that cannot renew it (Credentials::login_expires_at), this is when the login ends.
    [[nodiscard]] std::optional<Clock::time_point> expires_at() const;

protected:
    RenewingTokenProvider(CredentialStore store, const Clock& clock, Credentials initial,
                          std::chrono::seconds refresh_margin, bool use_until_expiry);

    /// Asks the token endpoint for a new token for `latest` (just re-read under the lock).
    virtual Result<TokenResponse> renew(const Credentials& latest) = 0;
    /// Why `latest` cannot be renewed at all, or std::nullopt when it can. `rejected`: the API
    /// answered 401 to its token.
    [[nodiscard]] virtual std::optional<Error> unrenewable(const Credentials& latest,
                                                           bool rejected) const = 0;
    [[nodiscard]] const Clock& clock() const { return *m_clock; }

private:
    [[nodiscard]] bool expiring(const Credentials& c) const;
    Result<std::string> refresh_locked(const std::optional<std::string>& rejected);
    Result<std::string> save_renewed(Credentials renewed, TokenResponse response,
                                     Clock::time_point now);

    CredentialStore m_store;
    const Clock* m_clock;
    std::chrono::seconds m_margin;
    /// A token that cannot be renewed is used until its very expiry rather than failing
    /// `m_margin` early (IMS public logins: nothing would be gained by failing early).
    bool m_use_until_expiry;
    mutable std::mutex m_mutex;
    Credentials m_credentials; // guarded by m_mutex
};

/// A saved V2 OAuth login (refresh_token grant at `{auth_url}/oauth2/token`, public client). A
/// saved developer token is adopted when another process replaced the login with one.
class OAuthTokenProvider final : public RenewingTokenProvider {
public:
    OAuthTokenProvider(CredentialStore store, net::HttpTransport& transport, const Clock& clock,
                       Credentials initial,
                       std::chrono::seconds refresh_margin = std::chrono::seconds(60));

private:
    Result<TokenResponse> renew(const Credentials& latest) override;
    [[nodiscard]] std::optional<Error> unrenewable(const Credentials& latest,
                                                   bool rejected) const override;

    OAuthClient m_client;
};

/// Not logged in: unauthorized, naming the file and the login commands.
Error not_logged_in(const CredentialStore& store);

} // namespace fios::auth
