// SPDX-License-Identifier: MIT
// sync: its flags, and --once (one engine pass); --watch is in cmd_watch.cpp, what both share
// in sync_setup.cpp, the output forms in sync_output.cpp.
#include "commands.hpp"
#include "project_listing.hpp"
#include "sync_output.hpp"
#include "sync_setup.hpp"

#include <fmt/core.h>

#include <memory>
#include <variant>

namespace fios::cli {
namespace {

ExitCode run_once(Context& ctx, const SyncOptions& opt) {
    ctx.out.set_json(opt.json);
    auto loaded = load_sync_setup(ctx, opt);
    if (auto* code = std::get_if<ExitCode>(&loaded))
        return *code;
    const SyncSetup& setup = std::get<SyncSetup>(loaded);
    auto output = make_sync_output(ctx, SyncOutputMode{opt.json, opt.dry_run, false});
    output->set_labels(setup.labels);
    if (setup.v4 && setup.selections.empty()) {
        // Nothing selected: list (and record) the projects, as a V2 run does; a dry run writes
        // nothing.
        if (!opt.dry_run) {
            auto listed = list_all_projects(ctx, true);
            if (!listed)
                return fail(ctx, listed.error());
        }
        return ExitCode::ok;
    }
    return exit_code_of(ctx, run_accounts(ctx, setup, setup.run, *output, false));
}

ExitCode run_sync(Context& ctx, const SyncOptions& opt) {
    if (opt.once == opt.watch) {
        ctx.out.error(opt.once ? "sync takes --once or --watch, not both"
                               : "sync needs --once (one pass, then exit: for cron and scripts) "
                                 "or --watch (keep syncing until stopped)");
        return ExitCode::usage;
    }
    if (opt.watch)
        return run_watch(ctx, opt);
    if (!opt.interval.empty() || !opt.log_file.empty()) {
        ctx.out.error(fmt::format("{} applies to sync --watch only",
                                  opt.interval.empty() ? "--log-file" : "--interval"));
        return ExitCode::usage;
    }
    return run_once(ctx, opt);
}
} // namespace

void add_sync_command(CLI::App& app, Context& ctx, Action& action) {
    auto opt = std::make_shared<SyncOptions>();
    auto* sync = app.add_subcommand(
        "sync", "Bring the selected projects and their local folders into agreement");
    sync->add_flag("--once", opt->once, "Sync once and exit (cron, scripts)");
    sync->add_flag("--watch", opt->watch,
                   "Keep syncing until stopped: local changes at once, Frame.io every --interval");
    sync->add_option("--interval", opt->interval,
                     "--watch: how often Frame.io is checked: 60 (seconds), 30s, 5m, 1h "
                     "(default: setting watch_interval_seconds, 60)");
    sync->add_option("--log-file", opt->log_file,
                     "--watch: also append every message, time-stamped, to this file");
    sync->add_flag("--dry-run", opt->dry_run,
                   "Print the plan (each action with its reason) and change nothing anywhere");
    sync->add_option("--direction", opt->direction,
                     "both (default), up (only write to Frame.io) or down (only write locally)")
        ->check(CLI::IsMember({"both", "up", "down"}));
    sync->add_option("--project", opt->projects,
                     "Only this selected project (id, Team/Project (V4: Workspace/Project) or "
                     "name); repeatable");
    sync->add_flag("--json", opt->json,
                   "One JSON object per line on stdout (items, warnings, plan, summary)");
    sync->footer("Also: --jobs N (files at once), --part-jobs N, --settle-seconds S, "
                 "--verify-timeout-seconds S, --verify size|readback (see `frameio-sync config`).\n"
                 "Exit codes: 0 nothing needs attention; 1 some items failed or are in "
                 "conflict; 2 usage; 75 temporary (Frame.io unreachable, another sync running); "
                 "77 login needed; 78 configuration; 130 interrupted (--watch: 0 when stopped "
                 "by SIGINT/SIGTERM).");
    sync->callback([&ctx, &action, opt] { action = [&ctx, opt] { return run_sync(ctx, *opt); }; });
}

} // namespace fios::cli
