// SPDX-License-Identifier: MIT
#pragma once

// Internal to the watch loop (watch_loop.cpp: configuration, runs and waiting;
// local_events.cpp: inotify's events, scans and baselines); not part of the library's API.

#include "fios/engine/remote_cache.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/plan/plan.hpp"
#include "fios/scan/local_scanner.hpp"
#include "fios/watch/local_watcher.hpp"
#include "fios/watch/schedule.hpp"
#include "fios/watch/watch_loop.hpp"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fios::watch::detail {

/// Forwards a run's events to the caller's observer, remembers the local paths the run
/// plans to write and wrote (so their inotify events do not start another run), and hands
/// each progress line to `on_progress` (for the status file).
class RunTee final : public engine::Observer {
public:
    using ProgressFn = std::function<void(const std::string& activity)>;
    RunTee(engine::Observer* next, ProgressFn on_progress)
        : m_next(next), m_on_progress(std::move(on_progress)) {}

    void on_phase(const std::string& project_id, std::string_view phase) override {
        if (m_next != nullptr)
            m_next->on_phase(project_id, phase);
    }
    void on_plan(const std::string& project_id, const plan::Plan& plan) override {
        for (const auto& a : plan.actions) {
            if (plan::writes_local_path(a.kind))
                m_planned[project_id].insert(a.path.str());
        }
        if (m_next != nullptr)
            m_next->on_plan(project_id, plan);
    }
    void on_item(const engine::ItemEvent& e) override {
        if (plan::writes_local_path(e.action))
            m_written[e.project_id].insert(e.path.str());
        if (m_next != nullptr)
            m_next->on_item(e);
    }
    void on_warning(const engine::Warning& w) override {
        if (m_next != nullptr)
            m_next->on_warning(w);
    }
    void on_progress(const engine::Progress& p) override {
        m_on_progress(fmt::format("{}/{} files, {}/{} bytes", p.files_done, p.files_total,
                                  p.bytes_done, p.bytes_total));
        if (m_next != nullptr)
            m_next->on_progress(p);
    }
    void on_summary(const engine::RunReport& r) override {
        if (m_next != nullptr)
            m_next->on_summary(r);
    }

    /// True when this run wrote `path` of `project_id` (downloaded it, or created the folder).
    [[nodiscard]] bool wrote(const std::string& project_id, const std::string& path) const {
        return has(m_written, project_id, path);
    }
    /// True when this run's plan writes `path` of `project_id`: an event for it read while the
    /// run goes on is the run's own once the run reports it written (on_item).
    [[nodiscard]] bool plans_to_write(const std::string& project_id,
                                      const std::string& path) const {
        return has(m_planned, project_id, path);
    }

private:
    using PathsByProject = std::map<std::string, std::set<std::string>>;
    static bool has(const PathsByProject& paths, const std::string& project_id,
                    const std::string& path) {
        auto it = paths.find(project_id);
        return it != paths.end() && it->second.count(path) > 0;
    }

    engine::Observer* m_next;
    ProgressFn m_on_progress;
    PathsByProject m_planned;
    PathsByProject m_written;
};

/// One watch (run_watch): what it knows of each project between runs, and the steps of its
/// loop. Not thread-safe: the engine calls back into it only while the loop waits for the
/// run (progress on the run's thread; give_way from one listing thread at a time).
class Loop {
public:
    Loop(const WatchDeps& deps, const WatchHooks& hooks)
        : m_deps(deps), m_hooks(hooks), m_started(deps.clock->now()),
          m_schedule(ScheduleOptions{}, deps.clock->now()) {}

    Status run();

private:
    [[nodiscard]] TimePoint now() const { return m_deps.clock->now(); }
    [[nodiscard]] bool cancelled() const {
        return m_deps.cancel != nullptr && m_deps.cancel->cancelled();
    }
    Status configure();
    void watch_project(const store::Selection& sel);
    /// What read_local_events() noted, kept for a run that reads events while it runs (a
    /// remote check that gives way, a plan executing): the run's outcome answers only what
    /// came before it, so these are noted again after it (note_again).
    struct Noted {
        /// project -> when its changes were read first and last: a burst noted again keeps
        /// its settle time (a file still written while a check ran is not run early).
        std::map<std::string, std::pair<TimePoint, TimePoint>> changed;
        std::map<std::string, std::set<model::RelPath>> folders;
        std::set<std::string> whole;
        /// The kernel dropped events while the run went on: recovered after its outcome
        /// (recover_from_overflow).
        std::optional<TimePoint> overflow;
        /// The other projects' recovery from `overflow` was done beside the run (run_beside).
        bool recovered_beside = false;
        /// Paths the run plans to write, with when their events came: a change once the run
        /// is over unless it wrote them (after_run).
        std::map<std::string, std::map<std::string, TimePoint>> held;
        /// Adds a change of `path` (relative to the project's folder) seen at `t`.
        void add(const std::string& project_id, const std::string& path, TimePoint t);
        /// Adds what `from` noted about `projects`.
        void merge(const Noted& from, const std::set<std::string>& projects);
    };
    /// A run in progress (run_projects): the outermost one, and at most one run beside it
    /// (run_beside), each on its own projects.
    struct ActiveRun {
        const RunTee* tee = nullptr;
        Noted* noted = nullptr; ///< what was read about its projects while it went on
        std::set<std::string> projects;
        /// Its outcome is recorded (after_run): events read now are no longer kept for it,
        /// but the paths it wrote are still its own.
        bool ended = false;
        /// While a run goes on beside it: its RunOptions::meanwhile `keep_going`, which the
        /// run beside calls from its own meanwhile so that this run's transfers go on.
        const std::function<void()>* keep_going = nullptr;
    };
    /// The run going on (or ending) for `project_id`, if any.
    [[nodiscard]] const ActiveRun* running(const std::string& project_id) const;
    /// Reads inotify's events into the schedule and the changed folders. While runs go on,
    /// their own writes are dropped and what concerns their projects is kept for them too.
    void read_local_events();
    void note_again(const Noted& noted);
    /// After the innermost run's outcome is recorded: what was read while it went on is noted
    /// again (the held paths it did not write with it), and lost events are recovered.
    void after_run();
    /// From a run's RunOptions::meanwhile (on its thread, between transfers): runs what is due for
    /// other projects right away, beside it, so that one project's long transfer does not hold back
    /// another's. One level only: a run beside never starts another.
    void run_beside();
    /// The kernel dropped events (at `t`): every tree is watched again, and each project is
    /// scanned against its baseline at once (what changed is then run), or run whole when it
    /// has none.
    /// `busy`: the projects of a run still going on, left for when it ends (their scan would
    /// meet its downloads half-written); `announce`: report it (WatchEvents::on_overflow).
    void recover_from_overflow(TimePoint t, const std::set<std::string>& busy = {},
                               bool announce = true);
    void scan(const std::vector<std::string>& ids);
    /// RunOptions::scope of a run of `due`: what changed locally (a run for local work), or
    /// the remote check's budget of folders; no entry (the whole project) where that is not
    /// known. And RunOptions::local_unchanged: the watched projects with no local change
    /// pending.
    void scope_runs(const DueWork& due, engine::RunOptions& options);
    /// The local changes a run answers for (taken before it: changes read while it runs
    /// are not in it).
    struct Answered {
        std::map<std::string, std::set<model::RelPath>> folders;
        std::set<std::string> whole;
    };
    [[nodiscard]] Answered answered_by(const DueWork& due, const engine::RunOptions& options) const;
    void forget_changes(const engine::RunReport& report, const Answered& answered);
    /// A run's local scan is the baseline of the next scan() of its project (so a poll or
    /// the safety-net rescan sees only what changed since); a run that wrote in the folder
    /// leaves none.
    void keep_local_baseline(const engine::ProjectReport& report);
    /// inotify has events to read (a remote check asks between its listings).
    [[nodiscard]] bool events_waiting() const;
    /// `due` with one project only (each project runs on its own, so that one project's
    /// long transfer never holds back another's run, which goes on beside it); the others
    /// stay due and come next.
    [[nodiscard]] DueWork one_project(DueWork due) const;
    /// Runs the due projects; an error when the watch must end.
    std::optional<Error> run_projects(const DueWork& due);
    /// Records a run's outcome (schedule, changes answered, baselines, backoff); an error when
    /// the watch must end.
    std::optional<Error> record_run(const DueWork& due, const engine::RunOptions& options,
                                    const Answered& answered,
                                    const Result<engine::RunReport>& report);
    void wait_for_work();
    void publish(std::string_view state, const std::string& activity = {});

    const WatchDeps& m_deps;
    const WatchHooks& m_hooks;
    TimePoint m_started;
    WatchSchedule m_schedule;
    WatchConfig m_config;
    std::map<std::string, store::Selection> m_selections;
    std::unique_ptr<LocalWatcher> m_watcher;
    std::optional<Error> m_watcher_error; ///< why there is no watcher (every tree is polled)
    /// Each project's last local scan, folder by folder: of scan(), or of a run that left the
    /// folder as it scanned it (keep_local_baseline). Empty: the folder could not be scanned.
    std::map<std::string, scan::FolderDigests> m_baselines;
    std::set<std::string> m_polled;
    /// Each project's last remote view, for partial runs (engine::RemoteCache).
    engine::RemoteCache m_cache;
    /// Folders with local changes not yet synced without trouble, by project: a run for a
    /// local change lists these (and what is new below them), not the whole project.
    std::map<std::string, std::set<model::RelPath>> m_changed;
    /// Projects whose next run must look at everything (changes found by a scan or lost by
    /// the kernel: where is not known).
    std::set<std::string> m_whole;
    /// When each project's current remote check began, while it is not finished (it gave way
    /// to local work and goes on after it).
    std::map<std::string, TimePoint> m_check_started;
    /// Outermost first; entries point into run_projects' frames.
    std::vector<ActiveRun> m_active;
    /// An error that ends the watch, met by a run beside: returned once the run it was beside
    /// ends.
    std::optional<Error> m_fatal_beside;
    /// A run beside found a project unselected: the selections are read again once the run it
    /// was beside ends (not while that run goes on).
    bool m_reconfigure = false;
    std::chrono::steady_clock::time_point m_last_publish{};
};

} // namespace fios::watch::detail
