// SPDX-License-Identifier: MIT
#pragma once

#include "context.hpp"
#include "exit_codes.hpp"

#include "fios/engine/sync_engine.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fios::cli {

/// `sync`'s own flags (settings such as --jobs are global flags, see Context).
struct SyncOptions {
    bool once = false;
    bool watch = false;
    bool dry_run = false;
    bool json = false;
    std::string direction = "both";
    std::vector<std::string> projects;
    std::string interval; ///< --interval as typed ("" = the watch_interval_seconds setting)
    std::string log_file; ///< --log-file ("" = none)
};

/// What a sync works on: the settings of a run and the selections of the API generation in
/// use, read at start (and by `sync --watch` again on SIGHUP).
struct SyncSetup {
    engine::RunOptions run; ///< run.projects is set only when a subset is synced
    bool v4 = false;
    /// The selections to sync (this generation's; only the --project ones when given).
    std::vector<store::Selection> selections;
    /// Project id -> V4 account (V4 routes are per account); "" on V2.
    std::map<std::string, std::string> account_of;
    std::map<std::string, std::string> labels; ///< project id -> "Team/Project"
    bool nothing_selected = false;             ///< no selection at all, of any generation
};

/// Reads the settings and selections for `opt`, printing warnings (other generations'
/// selections are skipped, with the fix). On failure the error is printed and the exit code
/// returned.
std::variant<SyncSetup, ExitCode> load_sync_setup(Context& ctx, const SyncOptions& opt);

/// Runs the engine over `run.projects` (each must be in `setup`), one backend per V4
/// account, and merges the accounts' reports (the run stops at the first account whose run
/// ends early). `lock_held`: the caller holds the run lock (sync --watch); `cache`: the
/// watch's remote views (EngineDeps::remote_cache), null for one run.
Result<engine::RunReport> run_accounts(Context& ctx, const SyncSetup& setup,
                                       const engine::RunOptions& run, engine::Observer& observer,
                                       bool lock_held, engine::RemoteCache* cache = nullptr);

/// The exit code of a run's outcome (docs/cli.md), printing its run-wide error.
ExitCode exit_code_of(Context& ctx, const Result<engine::RunReport>& report);

/// Parses a duration as `--interval` takes it: "60" (seconds), "30s", "5m", "1h".
/// Errors: invalid_config naming the text and the accepted forms.
Result<std::chrono::seconds> parse_interval(const std::string& text);

/// `sync --watch` (cmd_watch.cpp).
ExitCode run_watch(Context& ctx, const SyncOptions& opt);

} // namespace fios::cli
