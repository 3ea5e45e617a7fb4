// SPDX-License-Identifier: MIT
// login, logout, whoami
#include "commands.hpp"
#include "json_writer.hpp"
#include "loopback_listener.hpp"

#include "fios/auth/credentials.hpp"
#include "fios/auth/ims.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/auth/pkce.hpp"
#include "fios/config/settings.hpp"

#include <fmt/core.h>

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace fios::cli {
namespace {

struct LoginOptions {
    bool token_stdin = false;
    bool oauth = false;
    bool s2s = false;
    bool no_browser = false;
    bool json = false;
    int timeout_seconds = 300;
};

std::string trim(std::string s) {
    const char* ws = " \t\r\n";
    s.erase(0, s.find_first_not_of(ws));
    auto end = s.find_last_not_of(ws);
    s.erase(end == std::string::npos ? 0 : end + 1);
    return s;
}

/// Reads one secret (`what`: "token", "client secret") from stdin; on a terminal, without
/// echo and up to the first newline, after `prompt`. `when_empty`: the error for no input.
Result<std::string> read_secret_from_stdin(const Output& out, std::string_view prompt,
                                           std::string_view what, std::string_view when_empty) {
    std::string secret;
    if (::isatty(STDIN_FILENO) == 1) {
        out.info(prompt);
        termios old_attr{};
        const bool have_attr = ::tcgetattr(STDIN_FILENO, &old_attr) == 0;
        if (have_attr) {
            termios quiet = old_attr;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        std::getline(std::cin, secret);
        if (have_attr)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_attr);
    } else {
        secret.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    secret = trim(std::move(secret));
    if (secret.empty()) {
        return Error{ErrorCode::invalid_request, std::string(when_empty)};
    }
    if (secret.find_first_of(" \t\r\n") != std::string::npos) {
        return Error{ErrorCode::invalid_request,
                     fmt::format("standard input holds more than one word; it must contain only "
                                 "the {}",
                                 what)};
    }
    return secret;
}

Result<std::string> read_token_from_stdin(const Output& out) {
    return read_secret_from_stdin(
        out, "Paste the developer token and press Enter (it is not shown):", "token",
        "no token on standard input: pipe it in, e.g. "
        "`frameio-sync login --token-stdin < token.txt`");
}

void user_json(JsonWriter& j, const auth::UserInfo& u, const std::string& account_id) {
    j.key("user").begin_object();
    j.member("id", u.id).member("name", u.name).member("email", u.email);
    j.member("account_id", account_id);
    j.end_object();
}

auth::UserInfo to_user_info(const api::User& me) {
    return auth::UserInfo{me.id, me.name.value_or(""), me.email.value_or("")};
}

ExitCode save_login(Context& ctx, const LoginOptions& opt, auth::Credentials creds,
                    std::string_view method) {
    auto store = ctx.credential_store();
    if (!store)
        return fail(ctx, store.error());
    if (auto s = store->save(creds); !s)
        return fail(ctx, s.error());
    if (opt.json) {
        JsonWriter j;
        j.begin_object().member("v", 1).member("event", "login").member("method", method);
        user_json(j, creds.user, creds.account_id);
        j.member("api", auth::to_string(creds.api)).member("kind", auth::to_string(creds.kind));
        j.member("api_url", creds.api_url);
        if (auto until = creds.login_expires_at())
            j.member("expires_at", api::format_timestamp(*until));
        j.member("credentials_file", store->file().string());
        j.end_object();
        ctx.out.data(j.str());
    }
    ctx.out.info(fmt::format("Logged in to {} ({}) as {} <{}> ({}); saved to {}", creds.api_url,
                             creds.api == auth::ApiGeneration::v4 ? "V4" : "V2", creds.user.name,
                             creds.user.email, method, store->file().string()));
    if (auto until = creds.login_expires_at()) {
        ctx.out.warn(fmt::format("this credential gets no refresh token: the login ends at {}; "
                                 "then run `{}` again (a Web App credential, or `login --s2s` "
                                 "on a server, lasts longer)",
                                 auth::format_utc(*until), creds.login_command()));
    }
    if (const char* env = std::getenv("FRAMEIO_TOKEN"); env && *env) {
        ctx.out.warn("FRAMEIO_TOKEN is set in this environment: it overrides the saved login "
                     "until you unset it");
    }
    return ExitCode::ok;
}

ExitCode login_with_token(Context& ctx, const LoginOptions& opt) {
    auto token = read_token_from_stdin(ctx.out);
    if (!token) {
        ctx.out.error(token.error().message);
        return ExitCode::usage;
    }
    auto api_url = ctx.api_url();
    if (!api_url)
        return fail(ctx, api_url.error());
    api::StaticTokenProvider provider(*token);
    auto client = ctx.client_with(provider);
    if (!client)
        return fail(ctx, client.error());
    auto me = (*client)->me();
    if (!me) {
        if (me.error().code == ErrorCode::unauthorized) {
            return fail(ctx,
                        Error{ErrorCode::unauthorized,
                              fmt::format("{} rejected the token (HTTP 401): check that you "
                                          "copied the whole developer token; nothing was saved",
                                          *api_url)});
        }
        return fail(ctx, me.error().with_context("checking the token with GET /v2/me"));
    }
    auth::Credentials creds;
    creds.kind = auth::CredentialKind::developer_token;
    creds.access_token = *token;
    creds.api_url = *api_url;
    creds.user = to_user_info(*me);
    creds.account_id = me->account_id;
    return save_login(ctx, opt, std::move(creds), "developer token");
}

ExitCode login_with_oauth(Context& ctx, const LoginOptions& opt) {
    auto api_url = ctx.api_url();
    if (!api_url)
        return fail(ctx, api_url.error());
    auto auth_url = ctx.auth_url();
    if (!auth_url)
        return fail(ctx, auth_url.error());
    auto client_id = ctx.setting("client_id");
    if (!client_id)
        return fail(ctx, client_id.error());
    if (!client_id->has_value() || (**client_id).empty()) {
        ctx.out.error("--oauth needs --client-id ID: the client id of your PKCE OAuth app "
                      "(developer.frame.io), or client_id in config.toml");
        return ExitCode::usage;
    }
    auto redirect_setting = ctx.setting("redirect_uri");
    if (!redirect_setting)
        return fail(ctx, redirect_setting.error());
    const std::string redirect_text = redirect_setting->value_or("http://127.0.0.1:8080");
    auto redirect = parse_redirect_uri(redirect_text);
    if (!redirect) {
        ctx.out.error(redirect.error().message);
        return ExitCode::usage;
    }

    std::optional<LoopbackListener> listener;
    std::string redirect_uri = redirect_text;
    if (redirect->loopback()) {
        auto l = LoopbackListener::bind(*redirect);
        if (!l)
            return fail(ctx, l.error());
        listener.emplace(std::move(*l));
        if (redirect->port == 0)
            redirect_uri = redirect->with_port(listener->port());
    } else if (redirect->port == 0) {
        ctx.out.error("port 0 (pick a free port) works only with an http:// loopback redirect URI "
                      "(127.0.0.1, localhost or [::1])");
        return ExitCode::usage;
    }

    auto pkce = auth::make_pkce_session();
    if (!pkce)
        return fail(ctx, pkce.error());
    const auto scopes = auth::default_scopes();
    std::string url = auth::authorize_url(*auth_url, **client_id, redirect_uri, scopes, pkce->state,
                                          pkce->challenge);
    ctx.out.data(url);
    if (listener) {
        ctx.out.info(fmt::format(
            "Open the URL above in a browser and approve access; waiting for the redirect to {} "
            "(up to {} s). On a machine without a browser, open it elsewhere and paste here "
            "the address the browser was sent to.",
            redirect_uri, opt.timeout_seconds));
    } else {
        ctx.out.info("Open the URL above in a browser and approve access, then paste here the "
                     "address the browser was sent to.");
    }
    if (!opt.no_browser)
        open_browser(ctx.out, url);

    auto redirected =
        wait_for_redirect(listener ? &*listener : nullptr, redirect->path, pkce->state,
                          STDIN_FILENO, std::chrono::seconds(opt.timeout_seconds), ctx.cancel);
    listener.reset(); // answer one redirect only, then stop listening
    if (!redirected)
        return fail(ctx, redirected.error());
    auto code = auth::code_from_redirect(*redirected, pkce->state);
    if (!code)
        return fail(ctx, code.error());

    auto transport = ctx.transport();
    if (!transport)
        return fail(ctx, transport.error());
    auth::OAuthClient oauth(**transport);
    auto tokens = oauth.exchange_code(*auth_url, **client_id, *code, redirect_uri, pkce->verifier);
    if (!tokens)
        return fail(ctx, tokens.error());

    api::StaticTokenProvider provider(tokens->access_token);
    auto client = ctx.client_with(provider);
    if (!client)
        return fail(ctx, client.error());
    auto me = (*client)->me();
    if (!me)
        return fail(ctx, me.error().with_context("checking the new login with GET /v2/me"));

    auth::Credentials creds;
    creds.kind = auth::CredentialKind::oauth;
    creds.access_token = tokens->access_token;
    creds.refresh_token = tokens->refresh_token;
    if (tokens->expires_in) {
        creds.expires_at = ctx.clock().now() + *tokens->expires_in;
    }
    creds.scopes = tokens->scopes.empty() ? scopes : tokens->scopes;
    creds.client_id = **client_id;
    creds.api_url = *api_url;
    creds.auth_url = *auth_url;
    creds.user = to_user_info(*me);
    creds.account_id = me->account_id;
    if (!creds.refresh_token) {
        ctx.out.warn("the server issued no refresh token (the `offline` scope was not granted): "
                     "log in again when the access token expires");
    }
    return save_login(ctx, opt, std::move(creds), "OAuth");
}

// --- V4 (Adobe IMS) ------------------------------------------------------------------------

/// Fills user and account of a fresh V4 login from GET /v4/me and /v4/accounts (the first
/// account is recorded; `projects` walks them all).
Status record_v4_identity(Context& ctx, auth::Credentials& creds) {
    // A fresh IMS token that /v4 refuses lacks the Frame.io API on the credential (or the
    // additional_info.roles scope); a refused legacy token is explained by the caller.
    api::StaticTokenProvider provider(
        creds.access_token, "the new access token",
        "check that the credential's project in the Adobe Developer Console has the Frame.io "
        "API and that the user has access to a Frame.io account; nothing was saved");
    auto client = ctx.v4_client_with(provider, creds.legacy_token_auth());
    if (!client)
        return client.error();
    auto me = (*client)->me();
    if (!me)
        return me.error();
    auto accounts = (*client)->accounts();
    if (!accounts)
        return accounts.error().with_context("listing the accounts with GET /v4/accounts");
    creds.user = auth::UserInfo{me->id, me->name, me->email};
    creds.account_id = accounts->empty() ? std::string() : accounts->front().id;
    if (accounts->size() > 1) {
        ctx.out.info(fmt::format("{} accounts are reachable with this login; `frameio-sync "
                                 "projects` lists the projects of each",
                                 accounts->size()));
    }
    return {};
}

/// invalid_request (a missing flag, bad input) is a usage error (exit 2); the rest map as usual.
ExitCode fail_usage(Context& ctx, const Error& error) {
    if (error.code != ErrorCode::invalid_request)
        return fail(ctx, error);
    ctx.out.error(error.message);
    return ExitCode::usage;
}

Result<std::string> required_client_id(Context& ctx, std::string_view flag) {
    auto client_id = ctx.setting("client_id");
    if (!client_id)
        return client_id.error();
    if (!client_id->has_value() || (**client_id).empty()) {
        return Error{ErrorCode::invalid_request,
                     fmt::format("{} needs --client-id ID: the client id (API key) of the "
                                 "credential in the Adobe Developer Console, or client_id in "
                                 "config.toml",
                                 flag)};
    }
    return **client_id;
}

/// The redirect URI of a V4 login: given with --redirect-uri, FRAMEIO_SYNC_REDIRECT_URI or the
/// config file. The default of the setting (a V2 loopback address) does not apply: Adobe
/// accepts only the https (or adobe+ native) redirect URIs registered on the credential.
Result<std::string> v4_redirect_uri(Context& ctx, const std::string& client_id) {
    auto settings = ctx.settings();
    if (!settings)
        return settings.error();
    const auto& effective = (*settings)->get("redirect_uri");
    if (effective.origin.source == config::Source::default_value) {
        return Error{ErrorCode::invalid_request,
                     fmt::format("--oauth needs --redirect-uri URI on V4: a redirect URI "
                                 "registered on the credential in the Adobe Developer Console "
                                 "(https://..., e.g. `frameio-sync login --oauth --client-id {} "
                                 "--redirect-uri https://localhost:8443/callback`), or "
                                 "redirect_uri in config.toml",
                                 client_id)};
    }
    return (*settings)->string("redirect_uri");
}

ExitCode login_v4_oauth(Context& ctx, const LoginOptions& opt) {
    auto client_id = required_client_id(ctx, "--oauth");
    if (!client_id)
        return fail_usage(ctx, client_id.error());
    auto redirect_text = v4_redirect_uri(ctx, *client_id);
    if (!redirect_text)
        return fail_usage(ctx, redirect_text.error());
    auto api_url = ctx.api_url();
    if (!api_url)
        return fail(ctx, api_url.error());
    auto ims_url = ctx.ims_url();
    if (!ims_url)
        return fail(ctx, ims_url.error());
    auto secret = ctx.client_secret();
    if (!secret)
        return fail(ctx, secret.error());

    // Only a loopback http redirect (the emulator, some setups) is listened on; otherwise the
    // user pastes where the browser was sent, or just the code.
    std::optional<LoopbackListener> listener;
    std::string redirect_uri = *redirect_text;
    std::string listen_path = "/";
    if (redirect_uri.starts_with("http://")) {
        auto redirect = parse_redirect_uri(redirect_uri);
        if (!redirect) {
            ctx.out.error(redirect.error().message);
            return ExitCode::usage;
        }
        if (redirect->loopback()) {
            auto l = LoopbackListener::bind(*redirect);
            if (!l)
                return fail(ctx, l.error());
            listener.emplace(std::move(*l));
            if (redirect->port == 0)
                redirect_uri = redirect->with_port(listener->port());
            listen_path = redirect->path;
        }
    }
    auto attempt = auth::start_ims_login(*ims_url, *client_id, redirect_uri);
    if (!attempt)
        return fail(ctx, attempt.error());
    ctx.out.data(attempt->authorize_url);
    if (listener) {
        ctx.out.info(fmt::format("Open the URL above in a browser and sign in with Adobe; waiting "
                                 "for the redirect to {} (up to {} s), or paste here the address "
                                 "the browser was sent to, or just the code.",
                                 redirect_uri, opt.timeout_seconds));
    } else {
        ctx.out.info(fmt::format("Open the URL above in a browser and sign in with Adobe, then "
                                 "paste here the address the browser was sent to ({}?code=...), "
                                 "or just the code (up to {} s).",
                                 redirect_uri, opt.timeout_seconds));
    }
    if (!opt.no_browser)
        open_browser(ctx.out, attempt->authorize_url);

    auto pasted = wait_for_redirect(
        listener ? &*listener : nullptr, listen_path, attempt->pkce.state, STDIN_FILENO,
        std::chrono::seconds(opt.timeout_seconds), ctx.cancel, PasteRule::url_or_code);
    listener.reset(); // answer one redirect only, then stop listening
    if (!pasted)
        return fail(ctx, pasted.error());
    auto transport = ctx.transport();
    if (!transport)
        return fail(ctx, transport.error());
    auth::ImsClient ims(**transport);
    auto creds = auth::finish_ims_login(ims, *attempt, *pasted, *secret, *api_url, ctx.clock());
    if (!creds)
        return fail(ctx, creds.error());
    if (auto s = record_v4_identity(ctx, *creds); !s)
        return fail(ctx, s.error().with_context("checking the new login with GET /v4/me"));
    return save_login(ctx, opt, std::move(*creds),
                      creds->confidential ? "Adobe login (Web App)" : "Adobe login (public)");
}

ExitCode login_v4_s2s(Context& ctx, const LoginOptions& opt) {
    auto client_id = required_client_id(ctx, "--s2s");
    if (!client_id)
        return fail_usage(ctx, client_id.error());
    auto api_url = ctx.api_url();
    if (!api_url)
        return fail(ctx, api_url.error());
    auto ims_url = ctx.ims_url();
    if (!ims_url)
        return fail(ctx, ims_url.error());
    auto configured = ctx.client_secret();
    if (!configured)
        return fail(ctx, configured.error());
    std::string secret;
    if (configured->has_value()) {
        secret = **configured;
    } else {
        auto read = read_secret_from_stdin(
            ctx.out,
            "Paste the client secret of the server-to-server credential and press Enter (it is "
            "not shown):",
            "client secret",
            "no client secret: set FRAMEIO_CLIENT_SECRET or client_secret in the config file "
            "(mode 0600), or pipe it in, e.g. "
            "`frameio-sync login --s2s --client-id ID < secret.txt`");
        if (!read) {
            ctx.out.error(read.error().message);
            return ExitCode::usage;
        }
        secret = std::move(*read);
        ctx.out.warn("the client secret is not saved: later token requests read it from "
                     "FRAMEIO_CLIENT_SECRET or client_secret in the config file (mode 0600); "
                     "set one of them before the first token expires");
    }
    auto transport = ctx.transport();
    if (!transport)
        return fail(ctx, transport.error());
    auth::ImsClient ims(**transport);
    auto creds = auth::ims_s2s_login(ims, *ims_url, *client_id, secret, *api_url, ctx.clock());
    if (!creds)
        return fail(ctx, creds.error());
    if (auto s = record_v4_identity(ctx, *creds); !s)
        return fail(ctx, s.error().with_context("checking the new login with GET /v4/me"));
    return save_login(ctx, opt, std::move(*creds), "server-to-server");
}

ExitCode login_v4_legacy_token(Context& ctx, const LoginOptions& opt) {
    auto token = read_token_from_stdin(ctx.out);
    if (!token) {
        ctx.out.error(token.error().message);
        return ExitCode::usage;
    }
    auto api_url = ctx.api_url();
    if (!api_url)
        return fail(ctx, api_url.error());
    auto creds = auth::legacy_token_credentials(std::move(*token), *api_url);
    if (auto s = record_v4_identity(ctx, creds); !s) {
        if (s.error().code == ErrorCode::unauthorized) {
            return fail(ctx, Error{ErrorCode::unauthorized,
                                   fmt::format("{} refused the legacy developer token (HTTP 401, "
                                               "sent with x-frameio-legacy-token-auth: true): "
                                               "the account does not accept legacy developer "
                                               "tokens (only some accounts migrated from V2 do), "
                                               "or the token is wrong or revoked; nothing was "
                                               "saved. Log in with an Adobe credential: "
                                               "`frameio-sync login --oauth --client-id ID`, or "
                                               "`frameio-sync login --s2s --client-id ID` on a "
                                               "server (a V2 token: add `--api v2`)",
                                               *api_url)});
        }
        return fail(ctx, s.error().with_context("checking the token with GET /v4/me"));
    }
    return save_login(ctx, opt, std::move(creds), "legacy developer token");
}

ExitCode run_logout(Context& ctx, bool json) {
    auto store = ctx.credential_store();
    if (!store)
        return fail(ctx, store.error());
    auto removed = store->remove();
    if (!removed)
        return fail(ctx, removed.error());
    if (json) {
        JsonWriter j;
        j.begin_object().member("v", 1).member("event", "logout").member("removed", *removed);
        j.member("credentials_file", store->file().string()).end_object();
        ctx.out.data(j.str());
    }
    ctx.out.info(*removed ? fmt::format("Logged out: removed {}", store->file().string())
                          : std::string("Not logged in: there was no saved login"));
    if (const char* env = std::getenv("FRAMEIO_TOKEN"); env && *env) {
        ctx.out.warn("FRAMEIO_TOKEN is still set in this environment and will be used");
    }
    return ExitCode::ok;
}

/// What `whoami` prints, for both generations.
struct WhoAmI {
    auth::ApiGeneration api = auth::ApiGeneration::v2;
    std::string kind; ///< auth::to_string(kind) of the login in use
    std::string user_id, name, email, account_id, account_name;
    std::optional<std::string> expires_at; ///< see docs/cli.md, whoami
    std::string expires_note;              ///< the human form, with what to do then
};

ExitCode print_whoami(Context& ctx, const WhoAmI& w, bool json) {
    auto api_url = ctx.api_url();
    const TokenSource source = ctx.token_source().value_or(TokenSource::environment);
    if (json) {
        JsonWriter j;
        j.begin_object();
        j.key("user").begin_object();
        j.member("id", w.user_id).member("name", w.name).member("email", w.email);
        j.member("account_id", w.account_id).end_object();
        j.member("token_source", describe(source));
        j.member("api_url", api_url ? *api_url : std::string());
        j.member("api", auth::to_string(w.api)).member("kind", w.kind);
        j.member("expires_at", w.expires_at);
        j.end_object();
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    ctx.out.data(fmt::format("user:     {} <{}>", w.name, w.email));
    ctx.out.data(fmt::format("user id:  {}", w.user_id));
    ctx.out.data(fmt::format("account:  {}{}", w.account_id,
                             w.account_name.empty() ? "" : " (" + w.account_name + ")"));
    ctx.out.data(fmt::format("api:      {} {}", auth::to_string(w.api),
                             api_url ? *api_url : std::string("?")));
    ctx.out.data(fmt::format("token:    {} ({}){}", describe(source), w.kind, w.expires_note));
    return ExitCode::ok;
}

ExitCode whoami_v2(Context& ctx, bool json) {
    auto client = ctx.client();
    if (!client)
        return fail(ctx, client.error());
    auto me = (*client)->me();
    if (!me)
        return fail(ctx, me.error());
    WhoAmI w;
    w.api = auth::ApiGeneration::v2;
    const auto& saved = ctx.saved_login();
    w.kind = auth::to_string(saved ? saved->kind : auth::CredentialKind::developer_token);
    w.user_id = me->id;
    w.name = me->name.value_or("");
    w.email = me->email.value_or("");
    w.account_id = me->account_id;
    // V2 OAuth: the access token's expiry, re-read because a refresh may just have renewed it.
    if (ctx.token_source() == TokenSource::saved_oauth) {
        if (auto store = ctx.credential_store()) {
            if (auto now = store->load(); now && now->has_value() && (**now).expires_at) {
                w.expires_at = api::format_timestamp(*(**now).expires_at);
                w.expires_note = ", access token expires " + *w.expires_at;
            }
        }
    }
    return print_whoami(ctx, w, json);
}

ExitCode whoami_v4(Context& ctx, bool json) {
    auto client = ctx.v4_client();
    if (!client)
        return fail(ctx, client.error());
    auto me = (*client)->me();
    if (!me)
        return fail(ctx, me.error());
    auto accounts = (*client)->accounts();
    if (!accounts)
        return fail(ctx, accounts.error());
    WhoAmI w;
    w.api = auth::ApiGeneration::v4;
    const auto& saved = ctx.saved_login();
    w.kind = auth::to_string(saved ? saved->kind : auth::CredentialKind::legacy_token);
    w.user_id = me->id;
    w.name = me->name;
    w.email = me->email;
    w.account_id = saved && !saved->account_id.empty() ? saved->account_id
                   : accounts->empty()                 ? std::string()
                                                       : accounts->front().id;
    for (const auto& a : *accounts) {
        if (a.id == w.account_id)
            w.account_name = a.display_name;
    }
    if (saved) {
        if (auto until = saved->login_expires_at()) {
            w.expires_at = api::format_timestamp(*until);
            w.expires_note = fmt::format(", no refresh: the login ends {}; then run `{}`",
                                         auth::format_utc(*until), saved->login_command());
        } else if (saved->kind != auth::CredentialKind::legacy_token) {
            w.expires_note = ", renewed automatically";
        }
    }
    return print_whoami(ctx, w, json);
}

ExitCode run_whoami(Context& ctx, bool json) {
    auto api = ctx.api_generation();
    if (!api)
        return fail(ctx, api.error());
    return *api == auth::ApiGeneration::v4 ? whoami_v4(ctx, json) : whoami_v2(ctx, json);
}

} // namespace

void add_login_commands(CLI::App& app, Context& ctx, Action& action) {
    auto opt = std::make_shared<LoginOptions>();
    auto* login = app.add_subcommand(
        "login", "Log in: V4 (default) with Adobe (--oauth), server-to-server (--s2s) or a legacy "
                 "developer token (--token-stdin); V2 (--api v2) with a developer token or OAuth");
    auto* token_flag = login->add_flag(
        "--token-stdin", opt->token_stdin,
        "Read a developer token (on V4: a legacy developer token) from standard input (never "
        "pass tokens as arguments)");
    auto* oauth_flag = login->add_flag(
        "--oauth", opt->oauth,
        "Log in through the browser: Adobe IMS with PKCE on V4, Frame.io OAuth 2 on V2");
    auto* s2s_flag = login->add_flag(
        "--s2s", opt->s2s,
        "V4: server-to-server login (client_credentials); the client secret comes from "
        "FRAMEIO_CLIENT_SECRET, the config file, or standard input");
    token_flag->excludes(oauth_flag);
    s2s_flag->excludes(oauth_flag)->excludes(token_flag);
    // --client-id and --redirect-uri are settings (global flags, env, config.toml).
    login->add_flag("--no-browser", opt->no_browser, "Print the URL only; do not open a browser")
        ->needs(oauth_flag);
    login
        ->add_option("--timeout", opt->timeout_seconds,
                     "Seconds to wait for the redirect or the pasted address")
        ->check(CLI::Range(1, 3600))
        ->needs(oauth_flag);
    login->add_flag("--json", opt->json, "Print the result as a JSON object on stdout");
    login->callback([&ctx, &action, opt] {
        action = [&ctx, opt]() -> ExitCode {
            auto api = ctx.api_generation();
            if (!api)
                return fail(ctx, api.error());
            if (*api == auth::ApiGeneration::v4) {
                if (opt->oauth)
                    return login_v4_oauth(ctx, *opt);
                if (opt->s2s)
                    return login_v4_s2s(ctx, *opt);
                if (opt->token_stdin)
                    return login_v4_legacy_token(ctx, *opt);
                ctx.out.error("choose a login method: --oauth --client-id ID (Adobe login), "
                              "--s2s --client-id ID (server-to-server) or --token-stdin "
                              "(legacy developer token)");
                return ExitCode::usage;
            }
            if (opt->s2s) {
                ctx.out.error("--s2s is a V4 (Adobe) login; V2 has none: drop `--api v2` "
                              "(FRAMEIO_SYNC_API, api in config.toml)");
                return ExitCode::usage;
            }
            if (opt->oauth)
                return login_with_oauth(ctx, *opt);
            if (opt->token_stdin)
                return login_with_token(ctx, *opt);
            ctx.out.error("choose a login method: --token-stdin (developer token) or --oauth");
            return ExitCode::usage;
        };
    });

    auto logout_json = std::make_shared<bool>(false);
    auto* logout = app.add_subcommand("logout", "Remove the saved login (nothing else is deleted)");
    logout->add_flag("--json", *logout_json, "Print the result as a JSON object on stdout");
    logout->callback([&ctx, &action, logout_json] {
        action = [&ctx, logout_json] { return run_logout(ctx, *logout_json); };
    });

    auto whoami_json = std::make_shared<bool>(false);
    auto* whoami = app.add_subcommand(
        "whoami", "Show the API generation, the logged-in user and account, and the login in use");
    whoami->add_flag("--json", *whoami_json, "Print a JSON object on stdout");
    whoami->callback([&ctx, &action, whoami_json] {
        action = [&ctx, whoami_json] { return run_whoami(ctx, *whoami_json); };
    });
}

} // namespace fios::cli
