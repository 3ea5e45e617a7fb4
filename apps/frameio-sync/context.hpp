// SPDX-License-Identifier: MIT
#pragma once

#include "output.hpp"

#include "fios/api/client.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/auth/credentials.hpp"
#include "fios/auth/ims.hpp"
#include "fios/config/settings.hpp"
#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/core/wakeup.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/net/retry.hpp"
#include "fios/store/state_db.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace fios::cli {

/// Options every subcommand accepts (set on the root app, usable after the subcommand).
struct GlobalOptions {
    /// Settings given as flags (--api-url, --jobs, ...): setting name -> text as typed.
    std::map<std::string, std::string, std::less<>> setting_flags;
    std::optional<std::string> config_file;
    int verbose = 0;
    bool quiet = false;
};

/// `url` without trailing slashes: how API and auth URLs are compared and stored.
std::string normalise_url(std::string url);

/// Where the token in use came from, for `whoami` and messages. `environment` is
/// FRAMEIO_TOKEN: a V2 developer token, or on V4 a legacy developer token.
enum class TokenSource {
    environment,
    saved_developer_token, ///< V2
    saved_oauth,           ///< V2
    saved_ims_user,        ///< V4 Adobe IMS user login (login --oauth)
    saved_ims_s2s,         ///< V4 server-to-server (login --s2s)
    saved_legacy_token,    ///< V4 legacy developer token (login --token-stdin)
};
std::string_view describe(TokenSource source);

/// What one CLI invocation wires together: settings, transport, credentials, client, state
/// database. Each piece is built on first use, so `--help` or `logout` touch no network and
/// no database. Not thread-safe; the library objects it hands out are.
class Context {
public:
    Context();
    ~Context();

    Output out;
    GlobalOptions global;
    CancelToken cancel;
    /// Notified by the signal handlers, so a waiting `sync --watch` wakes at once.
    Wakeup wakeup;
    /// Set by SIGHUP: `sync --watch` reads its settings and selections again.
    std::atomic<bool> reload_requested{false};
    /// Set by a command for which SIGINT/SIGTERM is the normal way to stop (`sync --watch`):
    /// an ok exit then stays 0 instead of becoming 130.
    bool stop_by_signal_is_success = false;

    /// Applies -v/-q; call once after parsing.
    void apply_verbosity();

    // Effective settings (flag > environment > config file > default).
    Result<std::string> api_url();
    Result<std::string> auth_url();
    /// The Adobe IMS base URL (setting ims_url, env FRAMEIO_IMS_URL): V4 logins.
    Result<std::string> ims_url();
    /// The API generation in use (setting `api`: --api, FRAMEIO_SYNC_API, config; default v4).
    Result<auth::ApiGeneration> api_generation();
    /// The client secret of a confidential Adobe credential: FRAMEIO_CLIENT_SECRET, else
    /// `client_secret` in the (0600) config file; std::nullopt when neither is set.
    Result<std::optional<std::string>> client_secret();
    /// client_secret() for the token providers (which ask at each renewal).
    auth::SecretSource secret_source();
    Result<std::optional<std::string>> setting(const std::string& name);
    /// Every effective setting with its origin (for `frameio-sync config`).
    Result<const config::Settings*> settings();
    /// Reads the settings again (environment and config file; flags stay): SIGHUP under
    /// `sync --watch`. On an error the settings in use are kept.
    Status reload_settings();

    Result<std::filesystem::path> config_dir();
    Result<auth::CredentialStore> credential_store();

    Result<net::HttpTransport*> transport();
    /// The token provider of the generation in use: FRAMEIO_TOKEN when set (on V4 a legacy
    /// developer token), else the saved login (auth::make_token_provider by kind). The saved
    /// login must belong to this generation, API URL and (V4) IMS URL: its tokens are never
    /// sent anywhere else.
    /// Errors: unauthorized "not logged in" or a login of the other generation or server, with
    /// the command that fixes it.
    Result<api::TokenProvider*> tokens();
    [[nodiscard]] std::optional<TokenSource> token_source() const { return m_token_source; }
    /// The saved login tokens() uses (std::nullopt with FRAMEIO_TOKEN); set by tokens().
    [[nodiscard]] const std::optional<auth::Credentials>& saved_login() const { return m_saved; }
    /// A V2 client using tokens(). Errors: invalid_config when `api` is not v2 (the commands
    /// that use it speak V2 only).
    Result<api::V2Client*> client();
    /// A V2 client using exactly `provider` (login: checking a token before saving it).
    Result<std::unique_ptr<api::V2Client>> client_with(api::TokenProvider& provider);
    /// A V4 client using tokens(), sending `x-frameio-legacy-token-auth: true` for a legacy
    /// token. Errors: invalid_config when `api` is not v4.
    Result<api::V4Client*> v4_client();
    /// A V4 client using exactly `provider` (login: GET /v4/me before saving).
    Result<std::unique_ptr<api::V4Client>> v4_client_with(api::TokenProvider& provider,
                                                          bool legacy_token_auth);

    Result<store::StateDb*> state();

    const Clock& clock() const { return SystemClock::instance(); }

private:
    Status load_settings();
    void warn_unknown_environment() const;
    api::V2ClientOptions client_options(const std::string& api_url) const;
    api::TraceCallback trace_callback() const;
    /// Prints each retry on stderr: what, why, and when the next attempt is.
    api::RetryCallback retry_callback() const;
    Status require_generation(auth::ApiGeneration wanted);

    struct SettingsCache;
    std::unique_ptr<SettingsCache> m_settings;
    std::unique_ptr<net::CurlTransport> m_transport;
    std::unique_ptr<api::TokenProvider> m_tokens;
    std::optional<TokenSource> m_token_source;
    std::optional<auth::Credentials> m_saved;
    bool m_legacy_token_auth = false;
    std::unique_ptr<api::V2Client> m_client;
    std::unique_ptr<api::V4Client> m_v4_client;
    std::unique_ptr<store::StateDb> m_state;
};

} // namespace fios::cli
