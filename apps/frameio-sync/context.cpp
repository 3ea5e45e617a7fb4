// SPDX-License-Identifier: MIT
#include "context.hpp"

#include "fios/auth/token_providers.hpp"
#include "fios/config/paths.hpp"
#include "fios/config/settings.hpp"
#include "fios/config/toml.hpp"
#include "fios/net/transfer_watch.hpp"

#include <fmt/core.h>

#include <cctype>
#include <cstdlib>
#include <map>

extern char** environ;

namespace fios::cli {

std::string_view describe(TokenSource source) {
    switch (source) {
    case TokenSource::environment:
        return "environment (FRAMEIO_TOKEN)";
    case TokenSource::saved_developer_token:
        return "saved developer token";
    case TokenSource::saved_oauth:
        return "saved OAuth login";
    case TokenSource::saved_ims_user:
        return "saved Adobe login";
    case TokenSource::saved_ims_s2s:
        return "saved server-to-server login";
    case TokenSource::saved_legacy_token:
        return "saved legacy developer token";
    }
    return "unknown";
}

struct Context::SettingsCache {
    config::Settings settings;
};

Context::Context() = default;
Context::~Context() = default;

void Context::apply_verbosity() {
    // -q/-v win; otherwise the log_level setting (flag, env, config file) decides. A bad
    // setting is reported by the command itself when it resolves the settings.
    if (!global.quiet && global.verbose == 0) {
        if (load_settings()) {
            const std::string level = m_settings->settings.string("log_level");
            if (level == "error" || level == "warn") {
                out.set_level(Output::Level::quiet);
            } else if (level == "debug") {
                out.set_level(Output::Level::verbose);
            } else if (level == "trace") {
                out.set_level(Output::Level::trace);
            }
        }
        return;
    }
    if (global.quiet) {
        out.set_level(Output::Level::quiet);
    } else if (global.verbose >= 2) {
        out.set_level(Output::Level::trace);
    } else if (global.verbose == 1) {
        out.set_level(Output::Level::verbose);
    }
}

void Context::warn_unknown_environment() const {
    // A typo in a variable name would otherwise be ignored without a word (a typo in
    // config.toml is an error; the environment is shared with other programs, so warn).
    constexpr std::string_view prefix = "FRAMEIO_SYNC_";
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        if (!kv.starts_with(prefix))
            continue;
        std::string name(kv.substr(prefix.size(), kv.find('=') - prefix.size()));
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (config::find_setting(name) != nullptr)
            continue;
        auto close = config::closest_setting(name);
        out.warn(fmt::format("ignoring {}{}: no such setting{}", prefix,
                             kv.substr(prefix.size(), kv.find('=') - prefix.size()),
                             close ? fmt::format(" (did you mean {}?)",
                                                 config::env_var_for(*config::find_setting(*close)))
                                   : std::string()));
    }
}

Status Context::load_settings() {
    if (m_settings)
        return {};
    const auto& flags = global.setting_flags;
    warn_unknown_environment();

    std::filesystem::path file_path;
    if (global.config_file) {
        file_path = *global.config_file;
    } else {
        auto p = config::config_file();
        if (!p)
            return p.error();
        file_path = *p;
    }
    auto file = config::load_config_file(file_path);
    if (!file)
        return file.error();
    // An explicitly named file must exist; the default one is optional.
    if (global.config_file && !file->has_value()) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the configuration file {} given with --config does not exist",
                                 file_path.string())};
    }
    auto resolved = config::resolve_settings(flags, config::Environment::process(),
                                             file->has_value() ? &**file : nullptr);
    if (!resolved)
        return resolved.error();
    m_settings = std::make_unique<SettingsCache>(SettingsCache{std::move(*resolved)});
    return {};
}

Status Context::reload_settings() {
    auto kept = std::move(m_settings);
    if (auto s = load_settings(); !s) {
        m_settings = std::move(kept);
        return s;
    }
    return {};
}

Result<std::optional<std::string>> Context::setting(const std::string& name) {
    if (auto s = load_settings(); !s)
        return s.error();
    return m_settings->settings.optional_string(name);
}

Result<const config::Settings*> Context::settings() {
    if (auto s = load_settings(); !s)
        return s.error();
    return &m_settings->settings;
}

std::string normalise_url(std::string url) {
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    return url;
}

namespace {
Result<std::string> base_url_setting(const config::Settings& settings, std::string_view name) {
    std::string url = normalise_url(settings.string(name));
    if (url.ends_with("/v2") || url.ends_with("/v4") || url.ends_with("/oauth2")) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("{} '{}' (from {}) must be the server's base URL without the "
                                 "API path, e.g. https://api.frame.io",
                                 name, url, settings.get(name).origin.detail)};
    }
    return url;
}
} // namespace

Result<std::string> Context::api_url() {
    if (auto s = load_settings(); !s)
        return s.error();
    return base_url_setting(m_settings->settings, "api_url");
}

Result<std::string> Context::auth_url() {
    if (auto s = load_settings(); !s)
        return s.error();
    return base_url_setting(m_settings->settings, "auth_url");
}

Result<std::string> Context::ims_url() {
    if (auto s = load_settings(); !s)
        return s.error();
    return base_url_setting(m_settings->settings, "ims_url");
}

Result<auth::ApiGeneration> Context::api_generation() {
    if (auto s = load_settings(); !s)
        return s.error();
    // The resolver allows only the choices v4 and v2.
    return m_settings->settings.string("api") == "v2" ? auth::ApiGeneration::v2
                                                      : auth::ApiGeneration::v4;
}

Result<std::optional<std::string>> Context::client_secret() {
    if (auto s = load_settings(); !s)
        return s.error();
    return m_settings->settings.secret("client_secret");
}

auth::SecretSource Context::secret_source() {
    return [this] { return client_secret(); };
}

Status Context::require_generation(auth::ApiGeneration wanted) {
    auto api = api_generation();
    if (!api)
        return api.error();
    if (*api == wanted)
        return {};
    const auto& origin = m_settings->settings.get("api").origin;
    if (wanted == auth::ApiGeneration::v2) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("this command speaks only the V2 API so far, but the API in use "
                                 "is v4 (setting api, from {}): run it with `--api v2` (or "
                                 "FRAMEIO_SYNC_API=v2) and a V2 login",
                                 origin.detail)};
    }
    return Error{ErrorCode::invalid_config,
                 fmt::format("this needs the V4 API, but the API in use is v2 (setting api, from "
                             "{}): use `--api v4`",
                             origin.detail)};
}

Result<std::filesystem::path> Context::config_dir() {
    return config::config_dir();
}

Result<auth::CredentialStore> Context::credential_store() {
    auto dir = config::config_dir();
    if (!dir)
        return dir.error();
    return auth::CredentialStore(*dir);
}

Result<net::HttpTransport*> Context::transport() {
    if (!m_transport) {
        auto settings = this->settings();
        if (!settings)
            return settings.error();
        net::CurlTransportOptions options;
        options.cancel = &cancel;
        options.user_agent = api::default_user_agent();
        options.first_byte_timeout =
            std::chrono::seconds((*settings)->integer("response_timeout_seconds"));
        auto t = net::CurlTransport::create(options);
        if (!t)
            return t.error();
        m_transport = std::move(*t);
    }
    return m_transport.get();
}

namespace {

/// The commands that log in for `api`, for messages.
std::string login_commands(auth::ApiGeneration api) {
    if (api == auth::ApiGeneration::v2) {
        return "`frameio-sync login --api v2 --token-stdin` (developer token) or "
               "`frameio-sync login --api v2 --oauth --client-id ID`";
    }
    return "`frameio-sync login --oauth --client-id ID` (Adobe login), "
           "`frameio-sync login --s2s --client-id ID` (server-to-server) or "
           "`frameio-sync login --token-stdin` (legacy developer token)";
}

/// Refuses a saved login that belongs to another generation or server than the one in use:
/// its tokens are sent only where they were issued.
Status check_saved_login(const auth::Credentials& creds, auth::ApiGeneration api,
                         const config::Origin& api_origin, const std::string& api_url,
                         const std::string& ims_url) {
    if (creds.api != api) {
        return Error{
            ErrorCode::unauthorized,
            fmt::format("the saved login is a {} login ({}) but the API in use is {} (setting "
                        "api, from {}); it is not used. Log in for {} with {}, or use `--api {}` "
                        "(FRAMEIO_SYNC_API={}) to keep using the saved login",
                        auth::to_string(creds.api), auth::to_string(creds.kind),
                        auth::to_string(api), api_origin.detail, auth::to_string(api),
                        login_commands(api), auth::to_string(creds.api),
                        auth::to_string(creds.api))};
    }
    if (!creds.api_url.empty() && normalise_url(creds.api_url) != api_url) {
        return Error{ErrorCode::unauthorized,
                     fmt::format("the saved login is for {} but the API URL in use is {}; the "
                                 "token is not sent there. Log in for this API with "
                                 "`frameio-sync login`, or use the API URL of the login",
                                 creds.api_url, api_url)};
    }
    if (!creds.ims_url.empty() && normalise_url(creds.ims_url) != ims_url) {
        return Error{
            ErrorCode::unauthorized,
            fmt::format("the saved login is from the Adobe IMS at {} but the IMS URL in "
                        "use is {}; its tokens are not sent there. Log in again with `{}`, "
                        "or use the IMS URL of the login (--ims-url, FRAMEIO_IMS_URL)",
                        creds.ims_url, ims_url, creds.login_command())};
    }
    return {};
}

TokenSource source_of(auth::CredentialKind kind) {
    switch (kind) {
    case auth::CredentialKind::developer_token:
        return TokenSource::saved_developer_token;
    case auth::CredentialKind::oauth:
        return TokenSource::saved_oauth;
    case auth::CredentialKind::ims_user:
        return TokenSource::saved_ims_user;
    case auth::CredentialKind::ims_s2s:
        return TokenSource::saved_ims_s2s;
    case auth::CredentialKind::legacy_token:
        return TokenSource::saved_legacy_token;
    }
    return TokenSource::saved_developer_token;
}

} // namespace

Result<api::TokenProvider*> Context::tokens() {
    if (m_tokens)
        return m_tokens.get();
    auto api = api_generation();
    if (!api)
        return api.error();
    const bool v4 = *api == auth::ApiGeneration::v4;
    if (const char* env = std::getenv("FRAMEIO_TOKEN"); env != nullptr && *env != '\0') {
        if (v4) {
            m_tokens = std::make_unique<api::StaticTokenProvider>(
                env, "the legacy developer token in FRAMEIO_TOKEN",
                "on V4, FRAMEIO_TOKEN must be a legacy developer token of an account that "
                "accepts them (migrated from V2). Fix or unset FRAMEIO_TOKEN (it overrides the "
                "saved login), or use `--api v2` for a V2 developer token");
            m_legacy_token_auth = true;
        } else {
            m_tokens = std::make_unique<api::StaticTokenProvider>(
                env, "the token in FRAMEIO_TOKEN",
                "fix or unset FRAMEIO_TOKEN (it overrides the saved login)");
        }
        m_token_source = TokenSource::environment;
        return m_tokens.get();
    }
    auto store = credential_store();
    if (!store)
        return store.error();
    auto t = transport();
    if (!t)
        return t.error();
    auto saved = store->load();
    if (!saved)
        return saved.error();
    if (!saved->has_value()) {
        return Error{
            ErrorCode::unauthorized,
            fmt::format("not logged in: run {}, or set FRAMEIO_TOKEN", login_commands(*api))};
    }
    auto api_base = api_url();
    if (!api_base)
        return api_base.error();
    auto ims = ims_url();
    if (!ims)
        return ims.error();
    if (auto s = check_saved_login(**saved, *api, m_settings->settings.get("api").origin, *api_base,
                                   *ims);
        !s) {
        return s.error();
    }
    auto provider = auth::make_token_provider(*store, **t, clock(), secret_source());
    if (!provider)
        return provider.error();
    m_tokens = std::move(*provider);
    m_token_source = source_of((**saved).kind);
    m_legacy_token_auth = (**saved).legacy_token_auth();
    m_saved = std::move(**saved);
    return m_tokens.get();
}

api::TraceCallback Context::trace_callback() const {
    if (out.level() < Output::Level::trace)
        return {};
    const Output* o = &out;
    return [o](const api::TraceEvent& e) {
        if (e.status != 0) {
            o->verbose(fmt::format("http: {} {} -> {} ({} ms, attempt {})", e.method, e.path,
                                   e.status, e.duration.count(), e.attempt));
        } else {
            o->verbose(fmt::format("http: {} {} -> {} ({} ms, attempt {})", e.method, e.path,
                                   e.error ? to_string(*e.error) : "error", e.duration.count(),
                                   e.attempt));
        }
    };
}

api::RetryCallback Context::retry_callback() const {
    const Output* o = &out;
    return [o](const api::RetryEvent& e) {
        std::string line = fmt::format("retrying {} in {} (attempt {} of {}) after: {}", e.what,
                                       net::describe_duration(e.delay), e.next_attempt,
                                       e.max_attempts, e.cause.message);
        // Waiting out a rate limit is routine; anything else is worth a warning.
        if (e.cause.code == ErrorCode::rate_limited)
            o->info(line);
        else
            o->warn(line);
    };
}

api::V2ClientOptions Context::client_options(const std::string& url) const {
    api::V2ClientOptions options;
    options.api_base = url;
    options.cancel = &cancel;
    options.trace = trace_callback();
    options.on_retry = retry_callback();
    return options;
}

Result<std::unique_ptr<api::V2Client>> Context::client_with(api::TokenProvider& provider) {
    auto t = transport();
    if (!t)
        return t.error();
    auto url = api_url();
    if (!url)
        return url.error();
    return std::make_unique<api::V2Client>(**t, provider, clock(), net::RealSleeper::instance(),
                                           client_options(*url));
}

Result<api::V2Client*> Context::client() {
    if (m_client)
        return m_client.get();
    if (auto s = require_generation(auth::ApiGeneration::v2); !s)
        return s.error();
    auto provider = tokens();
    if (!provider)
        return provider.error();
    auto c = client_with(**provider);
    if (!c)
        return c.error();
    m_client = std::move(*c);
    return m_client.get();
}

Result<std::unique_ptr<api::V4Client>> Context::v4_client_with(api::TokenProvider& provider,
                                                               bool legacy_token_auth) {
    auto t = transport();
    if (!t)
        return t.error();
    auto url = api_url();
    if (!url)
        return url.error();
    api::V4ClientOptions options;
    options.rest.api_base = *url;
    options.rest.cancel = &cancel;
    options.rest.trace = trace_callback();
    options.rest.on_retry = retry_callback();
    options.legacy_token_auth = legacy_token_auth;
    return std::make_unique<api::V4Client>(**t, provider, clock(), net::RealSleeper::instance(),
                                           std::move(options));
}

Result<api::V4Client*> Context::v4_client() {
    if (m_v4_client)
        return m_v4_client.get();
    if (auto s = require_generation(auth::ApiGeneration::v4); !s)
        return s.error();
    auto provider = tokens();
    if (!provider)
        return provider.error();
    auto c = v4_client_with(**provider, m_legacy_token_auth);
    if (!c)
        return c.error();
    m_v4_client = std::move(*c);
    return m_v4_client.get();
}

Result<store::StateDb*> Context::state() {
    if (m_state)
        return m_state.get();
    auto path = config::state_database_path();
    if (!path)
        return path.error();
    auto db = store::StateDb::open(*path, clock());
    if (!db)
        return db.error();
    m_state = std::make_unique<store::StateDb>(std::move(*db));
    return m_state.get();
}

} // namespace fios::cli
