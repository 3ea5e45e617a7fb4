// SPDX-License-Identifier: MIT
#include "fios/watch/watch_loop.hpp"

#include "fios/engine/run_lock.hpp"
#include "fios/plan/plan.hpp"
#include "fios/scan/local_scanner.hpp"
#include "fios/watch/watch_status.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>

namespace fios::watch {
namespace {

using namespace std::chrono_literals;

/// The longest single wait: a missed wake-up (no eventfd) costs at most this.
constexpr auto k_max_wait = 60s;
constexpr auto k_max_wait_without_wakeup = 1s;

/// Forwards a run's events to the caller's observer, remembers the local paths the run
/// plans to write and wrote (so their inotify events do not start another run), and hands
/// each progress line to `on_progress` (the status file; the loop also reads inotify there).
class RunTee final : public engine::Observer {
public:
    /// `on_progress` is called on the run's thread, about every 250 ms while a plan executes.
    using ProgressFn = std::function<void(const RunTee& tee, const std::string& activity)>;
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
        m_on_progress(*this, fmt::format("{}/{} files, {}/{} bytes", p.files_done, p.files_total,
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
        /// Paths the run plans to write, with when their events came: a change once the run
        /// is over unless it wrote them (after_run).
        std::map<std::string, std::map<std::string, TimePoint>> held;
        /// Adds a change of `path` (relative to the project's folder) seen at `t`.
        void add(const std::string& project_id, const std::string& path, TimePoint t);
    };
    /// Reads inotify's events into the schedule and the changed folders; adds what it noted
    /// to `noted` when given (events read while `tee`'s run goes on).
    void read_local_events(const RunTee* tee, Noted* noted = nullptr);
    void note_again(const Noted& noted);
    /// After a run's outcome is recorded: what was read while it went on is noted again (the
    /// held paths it did not write with it), and lost events are recovered.
    void after_run(const RunTee& tee, Noted& mid_run);
    /// The kernel dropped events (at `t`): every tree is watched again, and each project is
    /// scanned against its baseline at once (what changed is then run), or run whole when it
    /// has none.
    void recover_from_overflow(TimePoint t);
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
    /// Runs the due projects; an error when the watch must end.
    std::optional<Error> run_projects(const DueWork& due);
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
    std::chrono::steady_clock::time_point m_last_publish{};
};

Status Loop::configure() {
    auto config = m_hooks.configure();
    if (!config)
        return config.error();
    m_config = std::move(*config);
    m_schedule.set_options(m_config.schedule);
    if (!m_watcher && !m_watcher_error) { // once, with the first configuration's limits
        auto watcher = LocalWatcher::create(m_config.watcher);
        if (watcher)
            m_watcher = std::move(*watcher);
        else
            m_watcher_error = watcher.error();
    }
    std::map<std::string, store::Selection> next;
    std::vector<std::string> ids;
    for (const auto& s : m_config.selections) {
        next[s.project_id] = s;
        ids.push_back(s.project_id);
    }
    for (const auto& [id, old] : m_selections) {
        auto it = next.find(id);
        if (it == next.end() || it->second.local_path != old.local_path) {
            if (m_watcher)
                m_watcher->unwatch_tree(id);
            m_polled.erase(id);
            m_baselines.erase(id);
            m_cache.forget(id);
            m_changed.erase(id);
            m_whole.erase(id);
            m_check_started.erase(id);
        }
    }
    m_schedule.set_projects(ids, now());
    for (const auto& [id, sel] : next) {
        auto old = m_selections.find(id);
        if (old == m_selections.end() || old->second.local_path != sel.local_path)
            watch_project(sel);
    }
    m_selections = std::move(next);
    return {};
}

void Loop::watch_project(const store::Selection& sel) {
    TreeWatch tree;
    if (m_watcher)
        tree = m_watcher->watch_tree(sel.project_id, sel.local_path);
    else
        tree.incomplete = m_watcher_error;
    const bool watched = !tree.incomplete;
    if (watched)
        m_polled.erase(sel.project_id);
    else
        m_polled.insert(sel.project_id);
    m_schedule.set_watched(sel.project_id, watched, now());
    if (m_deps.events != nullptr)
        m_deps.events->on_watching(sel, tree);
}

void Loop::read_local_events(const RunTee* tee, Noted* noted) {
    if (!m_watcher)
        return;
    LocalChanges changes = m_watcher->read();
    const TimePoint t = now();
    Noted here;
    if (changes.overflow) {
        // Rewatching and scanning walk every tree: not while a check's listing threads wait
        // for us. The run's caller recovers after the run's outcome is recorded.
        if (noted == nullptr)
            recover_from_overflow(t);
        else if (!noted->overflow)
            noted->overflow = t;
    }
    for (const auto& [id, why] : changes.fell_back) {
        auto sel = m_selections.find(id);
        if (sel == m_selections.end())
            continue;
        m_polled.insert(id);
        here.whole.insert(id);
        m_schedule.set_watched(id, false, t);
        if (m_deps.events != nullptr) {
            TreeWatch tree;
            tree.incomplete = why;
            m_deps.events->on_watching(sel->second, tree);
        }
    }
    for (const auto& [id, paths] : changes.paths) {
        for (const auto& path : paths) {
            if (tee != nullptr && tee->wrote(id, path))
                continue; // the run's own download or folder: not a change to sync
            if (noted != nullptr && tee != nullptr && tee->plans_to_write(id, path)) {
                noted->held[id].emplace(path, t); // the run has yet to say it wrote it
                continue;
            }
            here.add(id, path, t);
        }
    }
    note_again(here);
    if (noted != nullptr) {
        for (const auto& [id, when] : here.changed) {
            auto [it, first] = noted->changed.emplace(id, when);
            if (!first)
                it->second.second = when.second;
        }
        for (auto& [id, folders] : here.folders)
            noted->folders[id].merge(folders);
        noted->whole.merge(here.whole);
    }
}

void Loop::Noted::add(const std::string& project_id, const std::string& path, TimePoint t) {
    auto [when, first] = changed.emplace(project_id, std::pair{t, t});
    if (!first) {
        when->second.first = std::min(when->second.first, t);
        when->second.second = std::max(when->second.second, t);
    }
    auto rel = model::RelPath::parse(path);
    if (rel && !rel->is_root())
        folders[project_id].insert(rel->parent());
    else
        whole.insert(project_id); // the root itself, or a name that is no path
}

void Loop::after_run(const RunTee& tee, Noted& mid_run) {
    for (const auto& [id, paths] : mid_run.held) {
        for (const auto& [path, t] : paths) {
            if (!tee.wrote(id, path))
                mid_run.add(id, path, t); // planned, but what changed there was not the run
        }
    }
    note_again(mid_run);
    if (mid_run.overflow)
        recover_from_overflow(*mid_run.overflow);
}

void Loop::recover_from_overflow(TimePoint t) {
    if (m_deps.events != nullptr)
        m_deps.events->on_overflow();
    std::vector<std::string> with_baseline;
    for (const auto& [id, sel] : m_selections) {
        watch_project(sel); // folders created while events were lost get their watches
        // A scan against the baseline finds what the lost events were about, folder by
        // folder; with no baseline, the whole project is run.
        if (m_baselines.count(id) > 0) {
            with_baseline.push_back(id);
        } else {
            m_whole.insert(id);
            m_schedule.local_change(id, t);
        }
    }
    scan(with_baseline);
}

void Loop::note_again(const Noted& noted) {
    for (const auto& [id, when] : noted.changed) {
        m_schedule.local_change(id, when.first);  // a burst's first change is kept...
        m_schedule.local_change(id, when.second); // ... and its last one moves on
    }
    for (const auto& [id, folders] : noted.folders) {
        if (m_selections.count(id) > 0)
            m_changed[id].insert(folders.begin(), folders.end());
    }
    for (const auto& id : noted.whole) {
        if (m_selections.count(id) > 0)
            m_whole.insert(id);
    }
}

void Loop::scan(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        auto sel = m_selections.find(id);
        if (sel == m_selections.end())
            continue;
        scan::LocalScanOptions options;
        options.cancel = m_deps.cancel;
        auto snapshot = scan::scan_local(sel->second.local_path, options);
        // An unreadable or missing folder counts as a change (the run reports it) until it
        // is found so again.
        scan::FolderDigests digests =
            snapshot ? scan::folder_digests(*snapshot) : scan::FolderDigests{};
        auto old = m_baselines.find(id);
        // What changed since the baseline, folder by folder; with no baseline to compare
        // with (or an unreadable folder either side), the whole project.
        const bool whole = old == m_baselines.end() || old->second.empty() || digests.empty();
        std::set<model::RelPath> folders;
        if (!whole) {
            // A folder gone here is looked at from its parent (changed too), which lists what
            // no longer agrees below it: listing the gone folder itself would fail when it is
            // gone on Frame.io as well, and turn the run into a whole one.
            for (auto& f : scan::changed_folders(old->second, digests)) {
                if (digests.count(f) > 0)
                    folders.insert(f);
            }
        }
        const bool changed =
            whole ? old == m_baselines.end() || old->second != digests : !folders.empty();
        if (changed) {
            m_schedule.local_change(id, now());
            if (whole)
                m_whole.insert(id);
            else
                m_changed[id].insert(folders.begin(), folders.end());
        }
        if (m_deps.events != nullptr)
            m_deps.events->on_scanned(sel->second, changed, whole ? 0 : folders.size());
        m_baselines[id] = std::move(digests);
        // A watched folder that was unwatchable (root back, limit raised) is watched again.
        if (m_polled.count(id) > 0 && m_watcher && snapshot) {
            TreeWatch tree = m_watcher->watch_tree(id, sel->second.local_path);
            if (!tree.incomplete)
                watch_project(sel->second);
        }
    }
    m_schedule.scanned(ids, now());
}

std::optional<Error> Loop::run_projects(const DueWork& due) {
    engine::RunOptions options = m_config.run;
    options.projects = due.run;
    options.list_projects = due.list_projects;
    options.command = "sync --watch";
    scope_runs(due, options);
    const Answered answered = answered_by(due, options);
    publish("syncing", fmt::format("syncing {} project(s)", due.run.size()));
    Noted mid_run;
    RunTee tee(m_deps.observer, [this, &mid_run](const RunTee& self, const std::string& activity) {
        // Read while the plan executes: a download's temporary gets an event per write, and
        // a few parallel downloads would otherwise overflow the kernel's queue (16,384 events
        // by default) before the run ends. Those events are dropped as they are read.
        if (events_waiting())
            read_local_events(&self, &mid_run);
        const auto t = std::chrono::steady_clock::now();
        if (t - m_last_publish >= 1s) {
            m_last_publish = t;
            publish("syncing", activity);
        }
    });
    // A remote check gives way to local work that falls due while it lists (the listing
    // threads ask; the loop itself waits in run() meanwhile), and to lost events: the scan
    // that finds what they were about waits for the check.
    // Whether a check did give way, the engine reports (ProjectReport::gave_way): one that
    // then fell back to listing the whole tree has finished.
    if (!due.remote_check.empty()) {
        options.give_way = [this, &tee, &mid_run](const std::string& /*project_id*/) {
            if (events_waiting())
                read_local_events(&tee, &mid_run);
            return mid_run.overflow.has_value() || m_schedule.local_work_due(now());
        };
    }
    auto report = m_hooks.run(options, tee, m_cache);
    const TimePoint t = now();
    std::optional<Error> run_wide;
    if (!report) {
        run_wide = report.error();
        after_run(tee, mid_run);
        if (run_wide->code == ErrorCode::not_found) {
            // A project was unselected meanwhile: read the selections again.
            if (auto s = configure(); !s)
                return s.error();
            return std::nullopt;
        }
    } else {
        std::map<std::string, ProjectOutcome> outcomes;
        for (const auto& p : report->projects) {
            ProjectOutcome& o = outcomes[p.project_id];
            o.settling = p.counts.settling > 0;
            o.whole = options.scope.count(p.project_id) == 0;
            o.gave_way = p.gave_way;
            o.failed = p.error.has_value() || report->error.has_value();
            if (o.whole || (!due.remote_check.empty() && !o.gave_way))
                m_check_started.erase(p.project_id); // its check is finished
            keep_local_baseline(p);
        }
        m_schedule.ran(due, due.list_projects && !report->error, outcomes, t);
        if (!report->error)
            forget_changes(*report, answered);
        // Read while the run went on: not answered by it. After the run's own baseline
        // (keep_local_baseline), which an overflow's scan compares with.
        after_run(tee, mid_run);
        if (report->result == engine::RunResult::interrupted)
            return std::nullopt; // the loop sees the cancel
        if (report->error)
            run_wide = report->error;
    }
    if (run_wide) {
        if (ends_watch(*run_wide))
            return run_wide;
        const TimePoint next = m_schedule.failed(t);
        if (m_deps.events != nullptr)
            m_deps.events->on_retry_later(*run_wide, next);
    } else {
        m_schedule.recovered();
    }
    read_local_events(&tee);
    return std::nullopt;
}

void Loop::scope_runs(const DueWork& due, engine::RunOptions& options) {
    const std::size_t budget =
        remote_check_budget(m_config.schedule.remote_interval, m_config.folder_listings_per_second);
    const TimePoint t = now();
    const bool remote_check = !due.remote_check.empty();
    for (const auto& id : due.run) {
        if (m_whole.count(id) > 0)
            continue;
        if (remote_check && budget == 0)
            continue;
        auto changed = m_changed.find(id);
        if (changed == m_changed.end() && m_polled.count(id) == 0) {
            // inotify saw nothing here since the last run (events during a run are read after
            // it, or by a remote check that gives way): the engine may trust its view of this
            // folder.
            options.local_unchanged.insert(id);
        }
        std::set<model::RelPath> folders;
        if (!remote_check) {
            if (changed != m_changed.end()) {
                folders = changed->second;
                m_cache.mark_changed(id, folders, t); // checked sooner on Frame.io as well
            }
        } else {
            // A check that gave way goes on with what it has not listed yet.
            auto started = m_check_started.find(id);
            std::optional<TimePoint> going_on;
            if (started != m_check_started.end())
                going_on = started->second;
            else
                m_check_started[id] = t;
            for (auto& f : m_cache.folders_to_check(id, budget, t, going_on))
                folders.insert(std::move(f));
        }
        if (!folders.empty())
            options.scope[id] = std::move(folders);
    }
}

Loop::Answered Loop::answered_by(const DueWork& due, const engine::RunOptions& options) const {
    Answered answered;
    for (const auto& id : due.run) {
        // A run for local work lists the changed folders; a whole run looks at everything. A
        // remote check's listings answer for no local change.
        if (!due.remote_check.empty() && options.scope.count(id) > 0)
            continue;
        if (auto changed = m_changed.find(id); changed != m_changed.end())
            answered.folders[id] = changed->second;
        if (m_whole.count(id) > 0)
            answered.whole.insert(id);
    }
    return answered;
}

void Loop::forget_changes(const engine::RunReport& report, const Answered& answered) {
    for (const auto& p : report.projects) {
        // Kept while a file there is still settling, or the project could not be synced (its
        // next run brings the same folders). A failed item or a conflict is in the journal and
        // comes back whenever its folder is listed: the engine marks the folders it acted in
        // as changed, so remote checks list them first for a while.
        if (p.error || p.counts.settling > 0)
            continue;
        if (answered.whole.count(p.project_id) > 0)
            m_whole.erase(p.project_id);
        auto done = answered.folders.find(p.project_id);
        auto changed = m_changed.find(p.project_id);
        if (done == answered.folders.end() || changed == m_changed.end())
            continue;
        for (const auto& folder : done->second)
            changed->second.erase(folder);
        if (changed->second.empty())
            m_changed.erase(changed);
    }
}

void Loop::keep_local_baseline(const engine::ProjectReport& report) {
    if (report.error)
        return;
    if (report.local_folders)
        m_baselines[report.project_id] = *report.local_folders;
    else if (report.discovered)
        m_baselines.erase(report.project_id);
}

bool Loop::events_waiting() const {
    if (!m_watcher)
        return false;
    pollfd fd{m_watcher->fd(), POLLIN, 0};
    return ::poll(&fd, 1, 0) > 0;
}

void Loop::wait_for_work() {
    const auto next = m_schedule.next_due();
    const auto cap = m_deps.wakeup != nullptr && m_deps.wakeup->fd() >= 0
                         ? std::chrono::milliseconds{k_max_wait}
                         : std::chrono::milliseconds{k_max_wait_without_wakeup};
    auto wait = cap;
    if (next) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now());
        wait = std::clamp(left + 1ms, 0ms, cap);
    }
    std::vector<pollfd> fds;
    if (m_watcher)
        fds.push_back(pollfd{m_watcher->fd(), POLLIN, 0});
    if (m_deps.wakeup != nullptr && m_deps.wakeup->fd() >= 0)
        fds.push_back(pollfd{m_deps.wakeup->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (m_deps.wakeup != nullptr)
        m_deps.wakeup->drain();
}

void Loop::publish(std::string_view state, const std::string& activity) {
    if (m_deps.status_file.empty())
        return;
    WatchState s;
    s.pid = static_cast<long>(::getpid());
    s.started_at = m_started;
    s.state = std::string(state);
    s.activity = activity;
    for (const auto& [id, sel] : m_selections) {
        s.projects.push_back(WatchedProject{id, m_polled.count(id) == 0, m_schedule.last_run(id),
                                            m_schedule.next_remote_check(id),
                                            m_cache.complete_as_of(id)});
    }
    // The status file is informational: a failure to write it never stops the watch.
    (void)write_watch_state(m_deps.status_file, s);
}

Status Loop::run() {
    if (auto s = configure(); !s)
        return s;
    while (!cancelled()) {
        if (m_deps.reload_requested != nullptr && m_deps.reload_requested->exchange(false)) {
            auto s = configure();
            if (m_deps.events != nullptr)
                m_deps.events->on_reload(s ? std::nullopt : std::optional<Error>(s.error()));
        }
        read_local_events(nullptr);
        DueWork due = m_schedule.due(now());
        if (!due.scan.empty()) {
            scan(due.scan);
            due = m_schedule.due(now());
        }
        if (!due.run.empty()) {
            if (auto fatal = run_projects(due))
                return *fatal;
            continue;
        }
        const auto backoff = m_schedule.backoff_until();
        publish(backoff && *backoff > now() ? "waiting" : "idle");
        wait_for_work();
    }
    publish("stopping");
    return {};
}

} // namespace

bool ends_watch(const Error& error) {
    switch (error.code) {
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
    case ErrorCode::invalid_config:
    case ErrorCode::db:
        return true;
    default:
        return false;
    }
}

Status run_watch(const WatchDeps& deps, const WatchHooks& hooks) {
    auto file =
        deps.lock_file.empty() ? deps.state->path().parent_path() / "sync.lock" : deps.lock_file;
    auto lock = engine::RunLock::acquire(file);
    if (!lock)
        return lock.error();
    Loop loop(deps, hooks);
    auto result = loop.run();
    std::error_code ignored; // a stale status file is harmless: status checks the lock
    if (!deps.status_file.empty())
        std::filesystem::remove(deps.status_file, ignored);
    return result;
}

} // namespace fios::watch
