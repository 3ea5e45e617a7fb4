// SPDX-License-Identifier: MIT
#include "fios/auth/token_providers.hpp"

#include <fmt/format.h>

namespace fios::auth {

namespace {

/// The client secret for a token request, or an error that says where to put it.
Result<std::string> required_secret(const SecretSource& secrets, const Credentials& c,
                                    std::string_view what) {
    std::optional<std::string> secret;
    if (secrets) {
        auto got = secrets();
        if (!got)
            return got.error();
        secret = std::move(*got);
    }
    if (!secret || secret->empty()) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("{} of client {} needs its client secret, which is never saved "
                                 "with the login: set FRAMEIO_CLIENT_SECRET, or `client_secret` "
                                 "in the config file (mode 0600)",
                                 what, c.client_id)};
    }
    return std::move(*secret);
}

} // namespace

// --- ImsUserTokenProvider -------------------------------------------------------------------

ImsUserTokenProvider::ImsUserTokenProvider(CredentialStore store, net::HttpTransport& transport,
                                           const Clock& clock, Credentials initial,
                                           SecretSource secrets,
                                           std::chrono::seconds refresh_margin)
    : RenewingTokenProvider(std::move(store), clock, std::move(initial), refresh_margin, true),
      m_client(transport), m_secrets(std::move(secrets)) {}

Result<TokenResponse> ImsUserTokenProvider::renew(const Credentials& latest) {
    ImsClientCredential client{latest.client_id, std::nullopt};
    if (latest.confidential) {
        auto secret = required_secret(m_secrets, latest, "refreshing the Adobe login");
        if (!secret)
            return secret.error();
        client.secret = std::move(*secret);
    }
    return m_client.refresh(latest.ims_url, client, *latest.refresh_token);
}

std::optional<Error> ImsUserTokenProvider::unrenewable(const Credentials& latest, bool) const {
    if (latest.refresh_token)
        return std::nullopt;
    const auto now = clock().now();
    if (latest.expires_at && now >= *latest.expires_at) {
        return Error{ErrorCode::unauthorized,
                     fmt::format("the Adobe login expired at {} (this credential gets no refresh "
                                 "token); log in again: `{}`",
                                 format_utc(*latest.expires_at), latest.login_command())};
    }
    // Still valid by the clock, yet rejected (RenewingTokenProvider uses a valid token that
    // cannot be renewed until it expires, so only a 401 leads here).
    return Error{ErrorCode::unauthorized,
                 fmt::format("Frame.io rejected the Adobe login's access token (HTTP 401) and it "
                             "cannot be refreshed (this credential gets no refresh token); log in "
                             "again: `{}`",
                             latest.login_command())};
}

// --- ImsS2sTokenProvider --------------------------------------------------------------------

ImsS2sTokenProvider::ImsS2sTokenProvider(CredentialStore store, net::HttpTransport& transport,
                                         const Clock& clock, Credentials initial,
                                         SecretSource secrets, std::chrono::seconds refresh_margin)
    : RenewingTokenProvider(std::move(store), clock, std::move(initial), refresh_margin, false),
      m_client(transport), m_secrets(std::move(secrets)) {}

Result<TokenResponse> ImsS2sTokenProvider::renew(const Credentials& latest) {
    auto secret = required_secret(m_secrets, latest, "a new server-to-server token");
    if (!secret)
        return secret.error();
    auto token = m_client.client_credentials(latest.ims_url, latest.client_id, *secret);
    if (token)
        token->refresh_token.reset(); // nothing to refresh, ever
    return token;
}

std::optional<Error> ImsS2sTokenProvider::unrenewable(const Credentials&, bool) const {
    return std::nullopt;
}

// --- factories ------------------------------------------------------------------------------

std::unique_ptr<api::TokenProvider> make_legacy_token_provider(const Credentials& credentials) {
    return std::make_unique<api::StaticTokenProvider>(
        credentials.access_token, "the saved legacy developer token",
        "the account may not accept legacy tokens (only accounts migrated to V4 do), or the "
        "token was revoked. Log in with an Adobe credential (`frameio-sync login --oauth "
        "--client-id ID`), or save a new token with `frameio-sync login --token-stdin`");
}

Result<std::unique_ptr<api::TokenProvider>> make_token_provider(const CredentialStore& store,
                                                                net::HttpTransport& transport,
                                                                const Clock& clock,
                                                                SecretSource secrets) {
    auto saved = store.load();
    if (!saved)
        return saved.error();
    if (!*saved)
        return not_logged_in(store);
    Credentials c = std::move(**saved);
    std::unique_ptr<api::TokenProvider> p;
    switch (c.kind) {
    case CredentialKind::developer_token:
        p = std::make_unique<api::StaticTokenProvider>(c.access_token);
        break;
    case CredentialKind::legacy_token:
        p = make_legacy_token_provider(c);
        break;
    case CredentialKind::oauth:
        p = std::make_unique<OAuthTokenProvider>(store, transport, clock, std::move(c));
        break;
    case CredentialKind::ims_user:
        p = std::make_unique<ImsUserTokenProvider>(store, transport, clock, std::move(c),
                                                   std::move(secrets));
        break;
    case CredentialKind::ims_s2s:
        p = std::make_unique<ImsS2sTokenProvider>(store, transport, clock, std::move(c),
                                                  std::move(secrets));
        break;
    }
    return p;
}

} // namespace fios::auth
