// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "context.hpp"
#include "exit_codes.hpp"

#include "fios/config/settings.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>

namespace {

fios::cli::Context* g_ctx = nullptr;
std::atomic<int> g_signals{0}; // lock-free, so safe in a signal handler

// First SIGINT/SIGTERM: ask every operation to stop at its next safe point.
// Second: exit at once (130), as users expect from a second Ctrl-C.
extern "C" void on_signal(int) {
    if (g_signals.fetch_add(1) > 0)
        ::_exit(130);
    if (g_ctx != nullptr) {
        g_ctx->cancel.cancel();
        g_ctx->wakeup.notify();
    }
}

// SIGHUP: `sync --watch` reads its settings and selections again; other commands ignore it
// (a closed terminal must not kill a one-shot sync half-way: it finishes, as under nohup).
extern "C" void on_hangup(int) {
    if (g_ctx != nullptr) {
        g_ctx->reload_requested.store(true);
        g_ctx->wakeup.notify();
    }
}

void install_signal_handlers(fios::cli::Context& ctx) {
    g_ctx = &ctx;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    struct sigaction hup {};
    hup.sa_handler = on_hangup;
    sigemptyset(&hup.sa_mask);
    hup.sa_flags = SA_RESTART;
    ::sigaction(SIGHUP, &hup, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

const char* k_exit_codes_help = R"(Exit codes:
  0    success: nothing needs attention
  1    failed: the command, or some items, failed (details on stderr)
  2    usage: bad command line
  75   temporary: Frame.io unreachable for the whole retry budget, or another sync holds the lock
  77   authentication: not logged in, token rejected or lacking a scope; run `frameio-sync login`
  78   configuration: bad setting, config file or environment variable
  130  interrupted by SIGINT or SIGTERM
Documentation: docs/cli.md)";

} // namespace

int main(int argc, char** argv) {
    using fios::cli::ExitCode;
    fios::cli::Context ctx;
    install_signal_handlers(ctx);

    CLI::App app{"frameio-sync: keep local folders and Frame.io projects in sync", "frameio-sync"};
    app.set_version_flag("--version", std::string("frameio-sync ") + FIOS_VERSION);
    app.require_subcommand(0, 1); // none: "no command given"; unknown: named by CLI11
    app.fallthrough();
    app.footer(k_exit_codes_help);
    app.option_defaults()->always_capture_default();

    // Every setting is also a flag (--api-url, --jobs, ...); values are validated when the
    // settings are resolved, so a flag and FRAMEIO_SYNC_* share one set of rules. Secrets
    // (client_secret) have no flag: argv is readable by every user of the machine.
    for (const auto& spec : fios::config::all_settings()) {
        if (!spec.flag)
            continue;
        const std::string name(spec.name);
        std::string help = fmt::format(
            "{} (env {}{})", spec.description, fios::config::env_var_for(spec),
            spec.default_value ? "; default " + fios::config::format_value(*spec.default_value)
                               : std::string());
        app.add_option_function<std::string>(
               fios::config::flag_for(spec),
               [&ctx, name](const std::string& v) { ctx.global.setting_flags[name] = v; }, help)
            ->group("Settings (see `frameio-sync config`)");
    }
    app.add_option("--config", ctx.global.config_file,
                   "Configuration file (default $XDG_CONFIG_HOME/frameio-sync/config.toml)");
    app.add_flag("-v,--verbose", ctx.global.verbose,
                 "More detail on stderr; -vv traces every HTTP request (never tokens)");
    app.add_flag("-q,--quiet", ctx.global.quiet, "Only warnings and errors on stderr");

    fios::cli::Action action;
    fios::cli::add_login_commands(app, ctx, action);
    fios::cli::add_project_commands(app, ctx, action);
    fios::cli::add_select_commands(app, ctx, action);
    fios::cli::add_sync_command(app, ctx, action);
    fios::cli::add_config_command(app, ctx, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" with exit code 0 in CLI11.
        if (e.get_exit_code() == 0)
            return app.exit(e);
        fmt::print(stderr, "error: {}\nRun `frameio-sync --help` for usage.\n", e.what());
        return fios::cli::to_int(ExitCode::usage);
    }
    ctx.apply_verbosity();
    if (!action) {
        fmt::print(stderr, "error: no command given\nRun `frameio-sync --help` for usage.\n");
        return fios::cli::to_int(ExitCode::usage);
    }
    try {
        ExitCode code = action();
        if (ctx.cancel.cancelled() && code == ExitCode::ok && !ctx.stop_by_signal_is_success)
            code = ExitCode::interrupted;
        return fios::cli::to_int(code);
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: internal error: {}\nPlease report this as a bug.\n", e.what());
        return fios::cli::to_int(ExitCode::failed);
    }
}
