// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/core/wakeup.hpp"
#include "fios/engine/remote_cache.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/store/state_db.hpp"
#include "fios/watch/local_watcher.hpp"
#include "fios/watch/schedule.hpp"

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

/// `sync --watch`: one long-lived loop that holds the run lock for its whole life, watches
/// every selected folder with inotify, and runs the same engine as `sync --once` for the
/// projects the schedule (watch/schedule.hpp) says are due. See docs/cli.md, "sync --watch".
namespace fios::watch {

/// What the watch reads from its configuration, at start and again on SIGHUP.
struct WatchConfig {
    /// The template of every run (jobs, settle, direction, ...). The loop sets `projects`,
    /// `list_projects` and `command` ("sync --watch") for each run.
    engine::RunOptions run;
    ScheduleOptions schedule;
    WatcherOptions watcher;
    /// The selections this watch syncs (the caller leaves out other generations' ones).
    std::vector<store::Selection> selections;
    /// How many folders the API lets us list per second (V4: remote::V4Remote's figure).
    /// Non-zero: a remote check lists its budget of folders (remote_check_budget), changed
    /// ones first and then the longest unlisted, instead of the whole project. 0 (V2, whose
    /// project counters make an unchanged project cost one request): the whole project.
    double folder_listings_per_second = 0;
};

/// What the loop reports besides the runs' own events (which go to the engine Observer).
class WatchEvents {
public:
    virtual ~WatchEvents() = default;
    /// A project's folder is watched (`tree.incomplete` unset) or polled (set: why).
    virtual void on_watching(const store::Selection& selection, const TreeWatch& tree) {
        (void)selection;
        (void)tree;
    }
    /// The project's folder was scanned (polled, or the safety-net rescan): `changed` when
    /// it differs from the last scan or run that looked at it. The project is then synced:
    /// the `folders` that changed, or the whole project when `folders` is 0 (nothing to
    /// compare with).
    virtual void on_scanned(const store::Selection& selection, bool changed, std::size_t folders) {
        (void)selection;
        (void)changed;
        (void)folders;
    }
    /// A run could not finish for a temporary reason; the next attempt is at `next`.
    virtual void on_retry_later(const Error& error, TimePoint next) {
        (void)error;
        (void)next;
    }
    /// The kernel dropped events: every project is synced again.
    virtual void on_overflow() {}
    /// SIGHUP: the configuration and selections were read again (or could not be: `error`).
    virtual void on_reload(const std::optional<Error>& error) { (void)error; }
};

struct WatchDeps {
    store::StateDb* state = nullptr;
    const Clock* clock = &SystemClock::instance();
    /// Set by SIGINT/SIGTERM: the loop stops at the run's next safe point (what finished is
    /// recorded, an interrupted upload resumes next time) and returns.
    const CancelToken* cancel = nullptr;
    /// Notified by signal handlers so the loop wakes at once; may be null (then the loop
    /// notices a signal within its longest wait, one second).
    const Wakeup* wakeup = nullptr;
    /// Set by SIGHUP: read the configuration and selections again.
    std::atomic<bool>* reload_requested = nullptr;
    /// Gets every run's events (items, warnings, progress, summaries).
    engine::Observer* observer = nullptr;
    WatchEvents* events = nullptr;
    /// The run lock; empty = "sync.lock" beside the state database.
    std::filesystem::path lock_file;
    /// Where the loop publishes its state for `status` (watch/watch_status.hpp); empty = no
    /// file.
    std::filesystem::path status_file;
};

struct WatchHooks {
    /// Reads the configuration and selections (at start, and on SIGHUP).
    std::function<Result<WatchConfig>()> configure;
    /// Runs one sync of `options.projects` (never empty) with the lock already held
    /// (EngineDeps::lock_held) and `cache` as EngineDeps::remote_cache, sending the run's
    /// events to `observer`. Re-entrant: it is called again, for another project, from within
    /// a run's RunOptions::meanwhile (a run beside it), on the same thread; configure() is
    /// never called while a run goes on.
    std::function<Result<engine::RunReport>(const engine::RunOptions& options,
                                            engine::Observer& observer, engine::RemoteCache& cache)>
        run;
};

/// True for run-wide errors after which watching on cannot help: the login is gone or lacks
/// rights (exit 77), the configuration is wrong (78), the state database fails. Every other
/// run-wide error (network, 5xx, 429, disk full) is retried with a backoff.
[[nodiscard]] bool ends_watch(const Error& error);

/// Watches until cancelled (returns ok) or until an error that ends_watch() (returns it).
/// Errors before the first run: the lock is held by another process (engine::is_lock_held),
/// configure() failed.
Status run_watch(const WatchDeps& deps, const WatchHooks& hooks);

} // namespace fios::watch
