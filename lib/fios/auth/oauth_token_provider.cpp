// SPDX-License-Identifier: MIT
#include "fios/auth/oauth_token_provider.hpp"

#include <fmt/format.h>

namespace fios::auth {

Error not_logged_in(const CredentialStore& store) {
    return Error{ErrorCode::unauthorized,
                 fmt::format("not logged in (no saved login in {}); run `frameio-sync login`",
                             store.file().string())};
}

// --- RenewingTokenProvider ------------------------------------------------------------------

RenewingTokenProvider::RenewingTokenProvider(CredentialStore store, const Clock& clock,
                                             Credentials initial,
                                             std::chrono::seconds refresh_margin,
                                             bool use_until_expiry)
    : m_store(std::move(store)), m_clock(&clock), m_margin(refresh_margin),
      m_use_until_expiry(use_until_expiry), m_credentials(std::move(initial)) {}

bool RenewingTokenProvider::expiring(const Credentials& c) const {
    if (!c.expires_at)
        return false;
    const bool early = !m_use_until_expiry || !unrenewable(c, false);
    return m_clock->now() + (early ? m_margin : std::chrono::seconds(0)) >= *c.expires_at;
}

Credentials RenewingTokenProvider::current() const {
    std::lock_guard lock(m_mutex);
    return m_credentials;
}

std::optional<Clock::time_point> RenewingTokenProvider::expires_at() const {
    std::lock_guard lock(m_mutex);
    return m_credentials.expires_at;
}

Result<std::string> RenewingTokenProvider::access_token() {
    std::lock_guard lock(m_mutex);
    if (!expiring(m_credentials))
        return m_credentials.access_token;
    return refresh_locked(std::nullopt);
}

Result<std::string>
RenewingTokenProvider::refresh_after_unauthorized(const std::string& rejected_token) {
    std::lock_guard lock(m_mutex);
    // Another thread refreshed since this token was handed out: use its result.
    if (m_credentials.access_token != rejected_token && !expiring(m_credentials)) {
        return m_credentials.access_token;
    }
    return refresh_locked(rejected_token);
}

Result<std::string>
RenewingTokenProvider::refresh_locked(const std::optional<std::string>& rejected) {
    auto file_lock = m_store.lock();
    if (!file_lock)
        return file_lock.error();

    // Re-read under the lock: another process may have refreshed (or logged out) meanwhile.
    auto saved = m_store.load();
    if (!saved)
        return saved.error();
    if (!*saved)
        return not_logged_in(m_store);
    Credentials latest = std::move(**saved);
    const bool both_v2 = generation_of(latest.kind) == ApiGeneration::v2 &&
                         generation_of(m_credentials.kind) == ApiGeneration::v2;
    if (latest.kind != m_credentials.kind && !both_v2) {
        return Error{ErrorCode::unauthorized,
                     fmt::format("the saved login was replaced by a {} login (another "
                                 "`frameio-sync login` ran meanwhile); run the command again",
                                 to_string(latest.kind))};
    }

    const auto now = m_clock->now();
    const bool rejected_now = rejected && latest.access_token == *rejected;
    if (!rejected_now && !expiring(latest)) {
        m_credentials = std::move(latest); // someone else's fresh token
        return m_credentials.access_token;
    }
    if (auto why = unrenewable(latest, rejected_now)) {
        if (m_use_until_expiry && !rejected_now && latest.expires_at && now < *latest.expires_at) {
            m_credentials = std::move(latest);
            return m_credentials.access_token;
        }
        return *why;
    }

    auto response = renew(latest);
    if (!response) {
        const Error& e = response.error();
        if (e.code == ErrorCode::unauthorized || e.code == ErrorCode::invalid_config)
            return e; // already says what to run or to fix
        // An early renewal that failed for a passing reason: the token still works for now.
        if (!rejected && m_credentials.expires_at && now < *m_credentials.expires_at) {
            return m_credentials.access_token;
        }
        return e;
    }
    return save_renewed(std::move(latest), std::move(*response), now);
}

Result<std::string> RenewingTokenProvider::save_renewed(Credentials renewed, TokenResponse response,
                                                        Clock::time_point now) {
    renewed.access_token = std::move(response.access_token);
    if (response.refresh_token)
        renewed.refresh_token = std::move(response.refresh_token);
    if (response.expires_in) {
        // Saved in whole seconds: round down so the saved expiry is never later than the real.
        renewed.expires_at =
            std::chrono::time_point_cast<std::chrono::seconds>(now) + *response.expires_in;
    } else {
        renewed.expires_at.reset();
    }
    if (!response.scopes.empty())
        renewed.scopes = std::move(response.scopes);

    auto saved_status = m_store.save(renewed);
    m_credentials = std::move(renewed);
    if (!saved_status) {
        // The new token works in this process, but with rotating refresh tokens the one on disk
        // may now be spent: say so rather than fail later without explanation.
        Error e = saved_status.error();
        e.message = fmt::format("the login was refreshed but could not be saved ({}); other "
                                "frameio-sync processes may need `{}` again",
                                e.message, m_credentials.login_command());
        return e;
    }
    return m_credentials.access_token;
}

// --- OAuthTokenProvider (V2) ----------------------------------------------------------------

OAuthTokenProvider::OAuthTokenProvider(CredentialStore store, net::HttpTransport& transport,
                                       const Clock& clock, Credentials initial,
                                       std::chrono::seconds refresh_margin)
    : RenewingTokenProvider(std::move(store), clock, std::move(initial), refresh_margin, false),
      m_client(transport) {}

Result<TokenResponse> OAuthTokenProvider::renew(const Credentials& latest) {
    return m_client.refresh(latest.auth_url, latest.client_id, *latest.refresh_token);
}

std::optional<Error> OAuthTokenProvider::unrenewable(const Credentials& latest, bool) const {
    if (latest.kind != CredentialKind::oauth) {
        return Error{ErrorCode::unauthorized,
                     "the API rejected the saved developer token (HTTP 401): it is invalid or "
                     "revoked; run `frameio-sync login` again"};
    }
    if (!latest.refresh_token) {
        return Error{ErrorCode::unauthorized,
                     "the access token expired and the saved login has no refresh token (the "
                     "`offline` scope was not granted); run `frameio-sync login` again"};
    }
    return std::nullopt;
}

} // namespace fios::auth
