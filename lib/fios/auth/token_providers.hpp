// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/token_provider.hpp"
#include "fios/auth/credentials.hpp"
#include "fios/auth/ims.hpp"
#include "fios/auth/oauth_token_provider.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <memory>

namespace fios::auth {

/// A saved V4 Adobe IMS user login (ims_user). Renews with its refresh token (rotating: the
/// new one is saved at once; see RenewingTokenProvider for the cross-process rules). A
/// confidential (Web App) credential asks `secrets` for its client secret at each refresh.
/// Without a refresh token (public credentials get none by default) the access token is used
/// until it expires; then, or when the API rejects it, ErrorCode::unauthorized says when the
/// login expired and which command to run (`frameio-sync login --oauth --client-id ID`).
class ImsUserTokenProvider final : public RenewingTokenProvider {
public:
    ImsUserTokenProvider(CredentialStore store, net::HttpTransport& transport, const Clock& clock,
                         Credentials initial, SecretSource secrets,
                         std::chrono::seconds refresh_margin = std::chrono::seconds(60));

private:
    Result<TokenResponse> renew(const Credentials& latest) override;
    [[nodiscard]] std::optional<Error> unrenewable(const Credentials& latest,
                                                   bool rejected) const override;

    ImsClient m_client;
    SecretSource m_secrets;
};

/// A saved V4 server-to-server login (ims_s2s): a new client_credentials token is requested
/// (with the secret from `secrets`) `refresh_margin` before expiry, or when the API rejects the
/// token, and saved for the other processes. Nothing to refresh, so it never needs a login
/// again unless the credential itself changes.
class ImsS2sTokenProvider final : public RenewingTokenProvider {
public:
    ImsS2sTokenProvider(CredentialStore store, net::HttpTransport& transport, const Clock& clock,
                        Credentials initial, SecretSource secrets,
                        std::chrono::seconds refresh_margin = std::chrono::seconds(300));

private:
    Result<TokenResponse> renew(const Credentials& latest) override;
    [[nodiscard]] std::optional<Error> unrenewable(const Credentials& latest,
                                                   bool rejected) const override;

    ImsClient m_client;
    SecretSource m_secrets;
};

/// The provider of a V4 legacy developer token (static; the V4 client must set
/// V4ClientOptions::legacy_token_auth, see Credentials::legacy_token_auth()). A 401 says the
/// account may not accept legacy tokens and how to log in instead.
std::unique_ptr<api::TokenProvider> make_legacy_token_provider(const Credentials& credentials);

/// The provider for the saved login, by kind: StaticTokenProvider (V2 developer token, V4
/// legacy token), OAuthTokenProvider (V2 OAuth), ImsUserTokenProvider, ImsS2sTokenProvider.
/// `secrets` serves confidential IMS credentials (an empty function: no secret configured).
/// (FRAMEIO_TOKEN, which overrides a saved login, is the CLI's business.)
/// Errors: unauthorized "not logged in; run `frameio-sync login`" when nothing is saved; the
/// errors of CredentialStore::load otherwise.
Result<std::unique_ptr<api::TokenProvider>> make_token_provider(const CredentialStore& store,
                                                                net::HttpTransport& transport,
                                                                const Clock& clock,
                                                                SecretSource secrets = {});

} // namespace fios::auth
