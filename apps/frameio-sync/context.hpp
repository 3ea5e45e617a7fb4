// SPDX-License-Identifier: MIT
#pragma once

#include "output.hpp"

#include "fios/api/client.hpp"
#include "fios/auth/credentials.hpp"
#include "fios/config/settings.hpp"
#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/net/retry.hpp"
#include "fios/store/state_db.hpp"

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

/// Where the token in use came from, for `whoami` and messages.
enum class TokenSource { environment, saved_developer_token, saved_oauth };
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

    /// Applies -v/-q; call once after parsing.
    void apply_verbosity();

    // Effective settings (flag > environment > config file > default).
    Result<std::string> api_url();
    Result<std::string> auth_url();
    Result<std::optional<std::string>> setting(const std::string& name);
    /// Every effective setting with its origin (for `frameio-sync config`).
    Result<const config::Settings*> settings();

    Result<std::filesystem::path> config_dir();
    Result<auth::CredentialStore> credential_store();

    Result<net::HttpTransport*> transport();
    /// The token provider: FRAMEIO_TOKEN when set, else the saved login.
    /// Errors: unauthorized "not logged in; run `frameio-sync login`".
    Result<api::TokenProvider*> tokens();
    [[nodiscard]] std::optional<TokenSource> token_source() const { return m_token_source; }
    /// A client using tokens().
    Result<api::V2Client*> client();
    /// A client using exactly `provider` (login: checking a token before saving it).
    Result<std::unique_ptr<api::V2Client>> client_with(api::TokenProvider& provider);

    Result<store::StateDb*> state();

    const Clock& clock() const { return SystemClock::instance(); }

private:
    Status load_settings();
    void warn_unknown_environment() const;
    api::V2ClientOptions client_options(const std::string& api_url) const;

    struct SettingsCache;
    std::unique_ptr<SettingsCache> m_settings;
    std::unique_ptr<net::CurlTransport> m_transport;
    std::unique_ptr<api::TokenProvider> m_tokens;
    std::optional<TokenSource> m_token_source;
    std::unique_ptr<api::V2Client> m_client;
    std::unique_ptr<store::StateDb> m_state;
};

} // namespace fios::cli
