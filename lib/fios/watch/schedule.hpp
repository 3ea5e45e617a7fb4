// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/clock.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fios::watch {

using TimePoint = Clock::time_point;

/// The timings of `sync --watch` (docs/cli.md, "sync --watch"). Defaults are the documented
/// ones.
struct ScheduleOptions {
    /// A local change is acted on once no other change came for this long and for the
    /// settle time (+ 200 ms): a run before the changed file has settled would only find it
    /// settling...
    std::chrono::milliseconds debounce{500};
    /// ...but never later than this (or the quiet time, if longer) after the first change of
    /// a burst: a folder that never stops changing still has its settled files synced.
    std::chrono::milliseconds max_debounce{std::chrono::seconds{10}};
    /// Every selected project is checked on Frame.io this often (`--interval`).
    std::chrono::seconds remote_interval{60};
    /// The settle time: a run that left files settling runs again this much later.
    std::chrono::seconds settle{5};
    /// A project whose folder cannot be watched (inotify limit) is scanned this often.
    std::chrono::seconds poll_interval{30};
    /// Every folder is rescanned this often even when watched (a safety net for events the
    /// kernel could not deliver, e.g. on network filesystems).
    std::chrono::seconds rescan_interval{std::chrono::minutes{10}};
    /// A run that failed for a temporary reason (network, 5xx, 429, disk full) is tried
    /// again after 5 s, doubling up to this.
    std::chrono::seconds max_backoff{std::chrono::minutes{5}};
};

/// What one finished run said about one project, for the schedule.
struct ProjectOutcome {
    bool settling = false; ///< files are still settling: run again after the settle time
    /// The run looked at the whole project on both sides: it counts as a remote check too.
    bool whole = false;
    /// The remote check gave way to local work before it listed all its folders
    /// (engine::RunOptions::give_way): it is still due and goes on after that work.
    bool gave_way = false;
    /// The project could not be synced (its own error, or the run ended early while at it):
    /// the local work it answered for is tried again a poll interval later.
    bool failed = false;
};

/// What is due now: either local work or remote checks, never both in one run, so that a
/// local change never waits for a long remote check (local work goes first).
struct DueWork {
    /// Projects to sync now (discover both sides, reconcile, transfer).
    std::vector<std::string> run;
    /// True when this run also lists teams and projects (new projects are recorded): at most
    /// once per remote interval, and only with remote checks.
    bool list_projects = false;
    /// `run` when it is a run of remote checks (their interval is up), else empty: the run is
    /// for local changes or settle re-runs.
    std::vector<std::string> remote_check;
    /// Projects whose folders must be scanned to learn whether they changed (not watched, or
    /// the safety-net rescan): the caller compares scan digests and calls local_change().
    std::vector<std::string> scan;
    [[nodiscard]] bool empty() const noexcept { return run.empty() && scan.empty(); }
};

/// The share of an API's folder-listing rate that remote checks may spend; the rest is
/// headroom for runs that local changes start, and for transfers.
constexpr double k_remote_check_share = 0.5;

/// How many folders one remote check of a project may list: its share of `listings_per_second`
/// over one interval (at least 1). 0 when `listings_per_second` is 0 (no budget: a remote check
/// lists the whole project). Every folder is then listed at least once every
/// ceil(folders / (budget - budget / 2)) intervals (engine::RemoteCache::folders_to_check).
[[nodiscard]] std::size_t remote_check_budget(std::chrono::seconds interval,
                                              double listings_per_second);

/// When each selected project is synced while watching: pure (no clock, no I/O), every
/// decision of the watch loop's timing in one place, tested with made-up times.
///
/// A project is run for *local work* when (a) a local change is debounced and settled, or (b)
/// a run left files settling and the settle time has passed; and for a *remote check* when
/// (c) its remote interval is up. Local work goes first: while any is due, no remote check
/// starts, and a running remote check gives way to it (local_work_due). A remote check's
/// interval restarts only when a check (or a run of the whole project) has finished, so
/// local activity never starves remote checks. A run-wide temporary failure holds every run
/// back with an exponential backoff.
class WatchSchedule {
public:
    WatchSchedule(ScheduleOptions options, TimePoint now);

    [[nodiscard]] const ScheduleOptions& options() const noexcept { return m_options; }
    void set_options(const ScheduleOptions& options) { m_options = options; }

    /// The selected projects now: new ones are due at once, removed ones forgotten.
    void set_projects(const std::vector<std::string>& ids, TimePoint now);
    /// The project's folder is (true) or is no longer (false) watched by inotify; an
    /// unwatched folder is scanned every poll interval.
    void set_watched(const std::string& id, bool watched, TimePoint now);
    /// Something changed in the project's folder at `now`.
    void local_change(const std::string& id, TimePoint now);
    /// Every project must be looked at now (event overflow, SIGHUP).
    void everything_due(TimePoint now);
    /// The caller scanned these projects (DueWork::scan) at `now`.
    void scanned(const std::vector<std::string>& ids, TimePoint now);
    /// The run of `work` (from due()) ended at `now`; `outcomes` has an entry for each project
    /// the run got to (a project missing from it stays due). `listed_projects`: the run listed
    /// teams and projects without a run-wide error. A run for local work, or a whole run,
    /// answers the project's changes seen before it (a failed one: tried again a poll interval
    /// later); a finished check, or a whole run, restarts the remote interval.
    void ran(const DueWork& work, bool listed_projects,
             const std::map<std::string, ProjectOutcome>& outcomes, TimePoint now);
    /// A run ended early for a temporary reason: hold every run back (exponential backoff:
    /// 5 s, doubling per failure in a row, at most max_backoff). Returns the next attempt.
    TimePoint failed(TimePoint now);
    /// A run ended without a run-wide error: the backoff starts from 5 s again.
    void recovered();

    /// What is due at `now`, leaving out the `busy` projects (those of a run still going on,
    /// when the loop looks for work to run beside it).
    [[nodiscard]] DueWork due(TimePoint now, const std::set<std::string>& busy = {}) const;
    /// Some project outside `busy` has local work due (what due() would run before any remote
    /// check): a running remote check asks this to give way.
    [[nodiscard]] bool local_work_due(TimePoint now, const std::set<std::string>& busy = {}) const;
    /// When something is next due (std::nullopt: nothing selected). May be in the past.
    [[nodiscard]] std::optional<TimePoint> next_due() const;

    /// The last time each project was synced (both sides checked), for status.
    [[nodiscard]] std::optional<TimePoint> last_run(const std::string& id) const;
    [[nodiscard]] std::optional<TimePoint> next_remote_check(const std::string& id) const;
    /// Set while runs are held back after a failure.
    [[nodiscard]] std::optional<TimePoint> backoff_until() const { return m_backoff_until; }

private:
    struct Project {
        std::optional<TimePoint> change_first; ///< first local change not yet acted on
        std::optional<TimePoint> change_last;  ///< last local change not yet acted on
        std::optional<TimePoint> settle_due;   ///< a run left files settling
        TimePoint remote_due;
        TimePoint scan_due;
        bool watched = true;
        std::optional<TimePoint> last_run;
    };
    /// When the project's local work is due (none: nothing local pending).
    [[nodiscard]] std::optional<TimePoint> local_due(const Project& p) const;
    [[nodiscard]] bool held_back(TimePoint now) const {
        return m_backoff_until && now < *m_backoff_until;
    }

    ScheduleOptions m_options;
    std::map<std::string, Project> m_projects;
    TimePoint m_listing_due;
    std::optional<TimePoint> m_backoff_until;
    std::uint32_t m_failures = 0;
};

} // namespace fios::watch
