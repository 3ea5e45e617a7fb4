// SPDX-License-Identifier: MIT
#include "context.hpp"

#include "fios/auth/oauth_token_provider.hpp"
#include "fios/config/paths.hpp"
#include "fios/config/settings.hpp"
#include "fios/config/toml.hpp"

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
        net::CurlTransportOptions options;
        options.cancel = &cancel;
        options.user_agent = api::default_user_agent();
        auto t = net::CurlTransport::create(options);
        if (!t)
            return t.error();
        m_transport = std::move(*t);
    }
    return m_transport.get();
}

Result<api::TokenProvider*> Context::tokens() {
    if (m_tokens)
        return m_tokens.get();
    if (const char* env = std::getenv("FRAMEIO_TOKEN"); env != nullptr && *env != '\0') {
        m_tokens = std::make_unique<api::StaticTokenProvider>(
            env, "the token in FRAMEIO_TOKEN",
            "fix or unset FRAMEIO_TOKEN (it overrides the saved login)");
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
        return Error{ErrorCode::unauthorized,
                     "not logged in: run `frameio-sync login --token-stdin` (developer token) or "
                     "`frameio-sync login --oauth --client-id ID`, or set FRAMEIO_TOKEN"};
    }
    const auth::Credentials& creds = **saved;
    auto api = api_url();
    if (!api)
        return api.error();
    // Never send a saved token to another server than the one it was issued for.
    if (!creds.api_url.empty() && normalise_url(creds.api_url) != *api) {
        return Error{ErrorCode::unauthorized,
                     fmt::format("the saved login is for {} but the API URL in use is {}; the "
                                 "token is not sent there. Log in for this API with "
                                 "`frameio-sync login`, or use the API URL of the login",
                                 creds.api_url, *api)};
    }
    if (creds.kind == auth::CredentialKind::developer_token) {
        m_tokens = std::make_unique<api::StaticTokenProvider>(creds.access_token);
        m_token_source = TokenSource::saved_developer_token;
    } else {
        m_tokens = std::make_unique<auth::OAuthTokenProvider>(*store, **t, clock(), creds);
        m_token_source = TokenSource::saved_oauth;
    }
    return m_tokens.get();
}

api::V2ClientOptions Context::client_options(const std::string& url) const {
    api::V2ClientOptions options;
    options.api_base = url;
    options.cancel = &cancel;
    if (out.level() >= Output::Level::trace) {
        const Output* o = &out;
        options.trace = [o](const api::TraceEvent& e) {
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
    auto provider = tokens();
    if (!provider)
        return provider.error();
    auto c = client_with(**provider);
    if (!c)
        return c.error();
    m_client = std::move(*c);
    return m_client.get();
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
