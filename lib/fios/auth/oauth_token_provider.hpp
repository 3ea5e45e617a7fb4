// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/token_provider.hpp"
#include "fios/auth/credentials.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace fios::auth {

/// Supplies the access token of a saved OAuth login and keeps it fresh.
///
/// - access_token() returns the current token, refreshing it first when it expires within
///   `refresh_margin` (by the injected clock). If that early refresh fails for a retryable
///   reason (network, 5xx, 429) while the token is still valid, the still-valid token is
///   returned and the refresh is tried again on the next call.
/// - refresh_after_unauthorized(rejected) refreshes unless the token has already changed since
///   `rejected` was handed out (another thread or process refreshed it).
///
/// Every refresh runs under the credentials file lock (CredentialStore::lock) and re-reads the
/// file first: when another process has saved a newer usable token meanwhile, that token is
/// adopted and no request is sent, so rotating refresh tokens never log the two processes out.
/// New tokens are saved atomically (the old refresh token is kept when the server sends none).
///
/// Thread-safe: one refresh at a time per provider; threads that wait for it reuse its result.
/// Errors: ErrorCode::unauthorized when the login is gone or cannot be refreshed (the message
/// says to run `frameio-sync login`); retryable codes when the token endpoint is unreachable;
/// invalid_config / io from the credentials file. Tokens never appear in messages.
class OAuthTokenProvider final : public api::TokenProvider {
public:
    OAuthTokenProvider(CredentialStore store, net::HttpTransport& transport, const Clock& clock,
                       Credentials initial,
                       std::chrono::seconds refresh_margin = std::chrono::seconds(60));

    Result<std::string> access_token() override;
    Result<std::string> refresh_after_unauthorized(const std::string& rejected_token) override;

    /// A copy of the credentials in use (for whoami: user, scopes, expiry). Holds secrets.
    [[nodiscard]] Credentials current() const;

private:
    [[nodiscard]] bool expiring(const Credentials& c) const;
    Result<std::string> refresh_locked(const std::optional<std::string>& rejected);

    CredentialStore m_store;
    OAuthClient m_client;
    const Clock* m_clock;
    std::chrono::seconds m_margin;
    mutable std::mutex m_mutex;
    Credentials m_credentials; // guarded by m_mutex
};

/// The provider for a saved login: a StaticTokenProvider for a developer token, an
/// OAuthTokenProvider for OAuth. (FRAMEIO_TOKEN, which overrides a saved login, is the CLI's
/// business: it builds a StaticTokenProvider itself.)
/// Errors: unauthorized "not logged in; run `frameio-sync login`" when nothing is saved; the
/// errors of CredentialStore::load otherwise.
Result<std::unique_ptr<api::TokenProvider>> make_token_provider(const CredentialStore& store,
                                                                net::HttpTransport& transport,
                                                                const Clock& clock);

} // namespace fios::auth
