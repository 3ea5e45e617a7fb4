// SPDX-License-Identifier: MIT
#include "fios/auth/oauth_token_provider.hpp"

#include <fmt/format.h>

namespace fios::auth {

namespace {

Error logged_out(const CredentialStore& store) {
    return Error{ErrorCode::unauthorized,
                 fmt::format("not logged in (no saved login in {}); run `frameio-sync login`",
                             store.file().string())};
}

} // namespace

OAuthTokenProvider::OAuthTokenProvider(CredentialStore store, net::HttpTransport& transport,
                                       const Clock& clock, Credentials initial,
                                       std::chrono::seconds refresh_margin)
    : m_store(std::move(store)), m_client(transport), m_clock(&clock), m_margin(refresh_margin),
      m_credentials(std::move(initial)) {}

bool OAuthTokenProvider::expiring(const Credentials& c) const {
    if (c.kind != CredentialKind::oauth || !c.expires_at)
        return false;
    return m_clock->now() + m_margin >= *c.expires_at;
}

Credentials OAuthTokenProvider::current() const {
    std::lock_guard lock(m_mutex);
    return m_credentials;
}

Result<std::string> OAuthTokenProvider::access_token() {
    std::lock_guard lock(m_mutex);
    if (!expiring(m_credentials))
        return m_credentials.access_token;
    return refresh_locked(std::nullopt);
}

Result<std::string>
OAuthTokenProvider::refresh_after_unauthorized(const std::string& rejected_token) {
    std::lock_guard lock(m_mutex);
    // Another thread refreshed since this token was handed out: use its result.
    if (m_credentials.access_token != rejected_token && !expiring(m_credentials)) {
        return m_credentials.access_token;
    }
    return refresh_locked(rejected_token);
}

Result<std::string> OAuthTokenProvider::refresh_locked(const std::optional<std::string>& rejected) {
    auto file_lock = m_store.lock();
    if (!file_lock)
        return file_lock.error();

    // Re-read under the lock: another process may have refreshed (or logged out) meanwhile.
    auto saved = m_store.load();
    if (!saved)
        return saved.error();
    if (!*saved)
        return logged_out(m_store);
    Credentials latest = std::move(**saved);

    const bool rejected_now = rejected && latest.access_token == *rejected;
    if (!rejected_now && !expiring(latest)) {
        m_credentials = std::move(latest); // someone else's fresh token
        return m_credentials.access_token;
    }
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

    const auto now = m_clock->now();
    auto response = m_client.refresh(latest.auth_url, latest.client_id, *latest.refresh_token);
    if (!response) {
        const Error& e = response.error();
        if (e.code == ErrorCode::unauthorized)
            return e; // already says to run login
        // An early refresh that failed for a passing reason: the token still works for now.
        if (!rejected && m_credentials.expires_at && now < *m_credentials.expires_at) {
            return m_credentials.access_token;
        }
        return e;
    }

    Credentials renewed = std::move(latest);
    renewed.access_token = std::move(response->access_token);
    if (response->refresh_token)
        renewed.refresh_token = std::move(response->refresh_token);
    if (response->expires_in) {
        // Saved in whole seconds: round down so the saved expiry is never later than the real.
        renewed.expires_at =
            std::chrono::time_point_cast<std::chrono::seconds>(now) + *response->expires_in;
    } else {
        renewed.expires_at.reset();
    }
    if (!response->scopes.empty())
        renewed.scopes = std::move(response->scopes);

    auto saved_status = m_store.save(renewed);
    m_credentials = std::move(renewed);
    if (!saved_status) {
        // The new token works in this process, but with rotating refresh tokens the one on disk
        // may now be spent: say so rather than fail later without explanation.
        Error e = saved_status.error();
        e.message = fmt::format("the login was refreshed but could not be saved ({}); other "
                                "frameio-sync processes may need `frameio-sync login` again",
                                e.message);
        return e;
    }
    return m_credentials.access_token;
}

Result<std::unique_ptr<api::TokenProvider>> make_token_provider(const CredentialStore& store,
                                                                net::HttpTransport& transport,
                                                                const Clock& clock) {
    auto saved = store.load();
    if (!saved)
        return saved.error();
    if (!*saved)
        return logged_out(store);
    if ((*saved)->kind == CredentialKind::developer_token) {
        return std::unique_ptr<api::TokenProvider>(
            std::make_unique<api::StaticTokenProvider>((*saved)->access_token));
    }
    return std::unique_ptr<api::TokenProvider>(
        std::make_unique<OAuthTokenProvider>(store, transport, clock, std::move(**saved)));
}

} // namespace fios::auth
