// SPDX-License-Identifier: MIT
// login, logout, whoami
#include "commands.hpp"
#include "json_writer.hpp"
#include "loopback_listener.hpp"

#include "fios/auth/credentials.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/auth/pkce.hpp"

#include <fmt/core.h>

#include <fcntl.h>
#include <spawn.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

extern char** environ;

namespace fios::cli {
namespace {

struct LoginOptions {
    bool token_stdin = false;
    bool oauth = false;
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

/// Reads the token from stdin; on a terminal, without echo and up to the first newline.
Result<std::string> read_token_from_stdin(const Output& out) {
    std::string token;
    if (::isatty(STDIN_FILENO) == 1) {
        out.info("Paste the developer token and press Enter (it is not shown):");
        termios old_attr{};
        const bool have_attr = ::tcgetattr(STDIN_FILENO, &old_attr) == 0;
        if (have_attr) {
            termios quiet = old_attr;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        std::getline(std::cin, token);
        if (have_attr)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_attr);
    } else {
        token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    token = trim(std::move(token));
    if (token.empty()) {
        return Error{ErrorCode::invalid_request, "no token on standard input: pipe it in, e.g. "
                                                 "`frameio-sync login --token-stdin < token.txt`"};
    }
    if (token.find_first_of(" \t\r\n") != std::string::npos) {
        return Error{ErrorCode::invalid_request,
                     "standard input holds more than one word; it must contain only the token"};
    }
    return token;
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
        j.member("api_url", creds.api_url);
        j.member("credentials_file", store->file().string());
        j.end_object();
        ctx.out.data(j.str());
    }
    ctx.out.info(fmt::format("Logged in to {} as {} <{}> ({}); saved to {}", creds.api_url,
                             creds.user.name, creds.user.email, method, store->file().string()));
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

void open_browser(const Output& out, const std::string& url) {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!display || !*display) && (!wayland || !*wayland))
        return; // headless: paste flow
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string prog = "xdg-open";
    std::string arg = url;
    char* argv[] = {prog.data(), arg.data(), nullptr};
    pid_t pid = 0;
    if (posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ) == 0) {
        out.verbose("opened the authorization URL with xdg-open");
    }
    posix_spawn_file_actions_destroy(&actions);
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

ExitCode run_whoami(Context& ctx, bool json) {
    auto client = ctx.client();
    if (!client)
        return fail(ctx, client.error());
    auto me = (*client)->me();
    if (!me)
        return fail(ctx, me.error());
    auto api_url = ctx.api_url();
    const TokenSource source = ctx.token_source().value_or(TokenSource::environment);
    std::optional<std::string> expires;
    if (source == TokenSource::saved_oauth) {
        if (auto store = ctx.credential_store()) {
            if (auto saved = store->load(); saved && saved->has_value() && (**saved).expires_at) {
                expires = api::format_timestamp(*(**saved).expires_at);
            }
        }
    }
    if (json) {
        JsonWriter j;
        j.begin_object();
        j.key("user").begin_object();
        j.member("id", me->id).member("name", me->name).member("email", me->email);
        j.member("account_id", me->account_id).end_object();
        j.member("token_source", describe(source));
        j.member("api_url", api_url ? *api_url : std::string());
        j.member("expires_at", expires);
        j.end_object();
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    ctx.out.data(fmt::format("user:     {} <{}>", me->name.value_or(""), me->email.value_or("")));
    ctx.out.data(fmt::format("user id:  {}", me->id));
    ctx.out.data(fmt::format("account:  {}", me->account_id));
    ctx.out.data(fmt::format("api:      {}", api_url ? *api_url : std::string("?")));
    ctx.out.data(fmt::format("token:    {}{}", describe(source),
                             expires ? fmt::format(", access token expires {}", *expires) : ""));
    return ExitCode::ok;
}

} // namespace

void add_login_commands(CLI::App& app, Context& ctx, Action& action) {
    auto opt = std::make_shared<LoginOptions>();
    auto* login = app.add_subcommand(
        "login", "Log in with a developer token (--token-stdin) or OAuth 2 with PKCE (--oauth)");
    auto* token_flag = login->add_flag(
        "--token-stdin", opt->token_stdin,
        "Read a developer token from standard input (never pass tokens as arguments)");
    auto* oauth_flag =
        login->add_flag("--oauth", opt->oauth, "Log in through the browser with OAuth 2 + PKCE");
    token_flag->excludes(oauth_flag);
    // --client-id and --redirect-uri are settings (global flags, env, config.toml).
    login->add_flag("--no-browser", opt->no_browser, "Print the URL only; do not open a browser")
        ->needs(oauth_flag);
    login->add_option("--timeout", opt->timeout_seconds, "Seconds to wait for the OAuth redirect")
        ->check(CLI::Range(1, 3600))
        ->needs(oauth_flag);
    login->add_flag("--json", opt->json, "Print the result as a JSON object on stdout");
    login->callback([&ctx, &action, opt, login] {
        action = [&ctx, opt]() -> ExitCode {
            if (opt->oauth)
                return login_with_oauth(ctx, *opt);
            if (opt->token_stdin)
                return login_with_token(ctx, *opt);
            ctx.out.error("choose a login method: --token-stdin (developer token) or --oauth");
            return ExitCode::usage;
        };
        (void)login;
    });

    auto logout_json = std::make_shared<bool>(false);
    auto* logout = app.add_subcommand("logout", "Remove the saved login (nothing else is deleted)");
    logout->add_flag("--json", *logout_json, "Print the result as a JSON object on stdout");
    logout->callback([&ctx, &action, logout_json] {
        action = [&ctx, logout_json] { return run_logout(ctx, *logout_json); };
    });

    auto whoami_json = std::make_shared<bool>(false);
    auto* whoami = app.add_subcommand("whoami", "Show the logged-in user and the token in use");
    whoami->add_flag("--json", *whoami_json, "Print a JSON object on stdout");
    whoami->callback([&ctx, &action, whoami_json] {
        action = [&ctx, whoami_json] { return run_whoami(ctx, *whoami_json); };
    });
}

} // namespace fios::cli
