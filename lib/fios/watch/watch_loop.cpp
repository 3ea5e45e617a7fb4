// SPDX-License-Identifier: MIT
#include "fios/watch/watch_loop.hpp"

#include "fios/engine/run_lock.hpp"
#include "fios/watch/loop_detail.hpp"
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

} // namespace

namespace detail {

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

DueWork Loop::one_project(DueWork due) const {
    if (due.run.size() > 1) {
        // The project run longest ago (or never) first: none waits on one always due.
        const auto ran_before = [this](const std::string& a, const std::string& b) {
            const auto last_a = m_schedule.last_run(a);
            const auto last_b = m_schedule.last_run(b);
            if (!last_a || !last_b)
                return !last_a && last_b;
            return *last_a < *last_b;
        };
        const std::string first = *std::min_element(due.run.begin(), due.run.end(), ran_before);
        due.run = {first};
        if (!due.remote_check.empty())
            due.remote_check = due.run;
    }
    // With change counters (V2: no folder budget) an unchanged project costs one listing of
    // the projects: every remote check gets one, not only the first of an interval.
    if (!due.remote_check.empty() && m_config.folder_listings_per_second == 0)
        due.list_projects = true;
    return due;
}

std::optional<Error> Loop::run_projects(const DueWork& due) {
    engine::RunOptions options = m_config.run;
    options.projects = due.run;
    options.list_projects = due.list_projects;
    options.command = "sync --watch";
    scope_runs(due, options);
    const Answered answered = answered_by(due, options);
    publish("syncing", fmt::format("syncing {} project(s)", due.run.size()));
    // Another run's projects (this one is beside it): their local work is not this run's to
    // give way to.
    const std::set<std::string> elsewhere =
        m_active.empty() ? std::set<std::string>{} : m_active.front().projects;
    Noted mid_run;
    RunTee tee(m_deps.observer, [this](const std::string& activity) {
        const auto t = std::chrono::steady_clock::now();
        if (t - m_last_publish >= 1s) {
            m_last_publish = t;
            publish("syncing", activity);
        }
    });
    const std::size_t depth = m_active.size(); // this run's place in m_active
    options.meanwhile = [this, depth](const std::function<void()>& keep_going) {
        // Read while the plan executes: a download's temporary gets an event per write, and
        // a few parallel downloads would otherwise overflow the kernel's queue (16,384 events
        // by default) before the run ends. Those events are dropped as they are read.
        if (events_waiting())
            read_local_events();
        if (depth == 0) {
            m_active.front().keep_going = &keep_going;
            run_beside();
            m_active.front().keep_going = nullptr;
        } else if (const auto* outer = m_active.front().keep_going) {
            (*outer)(); // the run this one is beside goes on with its transfers
        }
    };
    // A remote check gives way to local work that falls due while it lists (the listing
    // threads ask; the loop itself waits in run() meanwhile), and to lost events: the scan
    // that finds what they were about waits for the check.
    // Whether a check did give way, the engine reports (ProjectReport::gave_way): one that
    // then fell back to listing the whole tree has finished.
    if (!due.remote_check.empty()) {
        options.give_way = [this, &elsewhere](const std::string& /*project_id*/) {
            if (events_waiting())
                read_local_events();
            // Lost events are noted on the outermost run (this one, or the one it is beside).
            return m_active.front().noted->overflow.has_value() ||
                   m_schedule.local_work_due(now(), elsewhere);
        };
    }
    std::optional<Error> fatal;
    {
        // m_active points into this frame while the run goes on, and never after.
        m_active.push_back(
            ActiveRun{&tee, &mid_run, {due.run.begin(), due.run.end()}, false, nullptr});
        struct Pop {
            std::vector<ActiveRun>& runs;
            ~Pop() { runs.pop_back(); }
        } pop{m_active};
        auto report = m_hooks.run(options, tee, m_cache);
        fatal = record_run(due, options, answered, report);
        if (!fatal && !cancelled())
            read_local_events(); // what the run's end left in the queue; its own writes dropped
    }
    if (!fatal && m_active.empty() && m_fatal_beside)
        fatal = std::exchange(m_fatal_beside, std::nullopt);
    if (!fatal && m_active.empty() && std::exchange(m_reconfigure, false)) {
        if (auto s = configure(); !s)
            return s.error();
    }
    return fatal;
}

std::optional<Error> Loop::record_run(const DueWork& due, const engine::RunOptions& options,
                                      const Answered& answered,
                                      const Result<engine::RunReport>& report) {
    const TimePoint t = now();
    std::optional<Error> run_wide;
    if (!report) {
        run_wide = report.error();
        after_run();
        if (run_wide->code == ErrorCode::not_found) {
            // A project was unselected meanwhile: read the selections again (once no run
            // goes on: run_projects).
            m_reconfigure = true;
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
        after_run();
        if (report->result == engine::RunResult::interrupted)
            return std::nullopt; // the loop sees the cancel
        if (report->error)
            run_wide = report->error;
    }
    if (run_wide) {
        if (ends_watch(*run_wide)) {
            if (m_active.size() > 1) { // beside another run: ends the watch once that ends
                m_fatal_beside = run_wide;
                return std::nullopt;
            }
            return run_wide;
        }
        const TimePoint next = m_schedule.failed(t);
        if (m_deps.events != nullptr)
            m_deps.events->on_retry_later(*run_wide, next);
    } else {
        m_schedule.recovered();
    }
    return std::nullopt;
}

void Loop::run_beside() {
    // From the outermost run only, while it goes on; not once the watch is ending.
    if (m_active.size() != 1 || m_active.front().ended || cancelled() || m_fatal_beside ||
        m_reconfigure)
        return;
    const std::set<std::string> busy = m_active.front().projects;
    Noted& outer = *m_active.front().noted;
    if (outer.overflow && !outer.recovered_beside) {
        // The other projects learn what lost events were about now, not when the run ends.
        outer.recovered_beside = true;
        recover_from_overflow(*outer.overflow, busy);
    }
    DueWork due = m_schedule.due(now(), busy);
    if (!due.scan.empty()) {
        scan(due.scan);
        due = m_schedule.due(now(), busy);
    }
    if (due.run.empty())
        return;
    // New projects are recorded by the outermost run's listing; on V2 one_project still lists
    // the projects for every remote check (their change counters).
    due.list_projects = false;
    if (auto fatal = run_projects(one_project(std::move(due))))
        m_fatal_beside = std::move(fatal);
}

void Loop::scope_runs(const DueWork& due, engine::RunOptions& options) {
    const std::size_t budget =
        remote_check_budget(m_config.schedule.remote_interval, m_config.folder_listings_per_second);
    const TimePoint t = now();
    const bool remote_check = !due.remote_check.empty();
    // Lost events not recovered yet (a run beside one that saw an overflow): no project's
    // folder can be trusted to be unchanged.
    const bool events_lost = !m_active.empty() && m_active.front().noted->overflow.has_value();
    for (const auto& id : due.run) {
        if (m_whole.count(id) > 0)
            continue;
        if (remote_check && budget == 0)
            continue;
        auto changed = m_changed.find(id);
        if (changed == m_changed.end() && m_polled.count(id) == 0 && !events_lost) {
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
        read_local_events();
        DueWork due = m_schedule.due(now());
        if (!due.scan.empty()) {
            scan(due.scan);
            due = m_schedule.due(now());
        }
        if (!due.run.empty()) {
            if (auto fatal = run_projects(one_project(std::move(due))))
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

} // namespace detail

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
    detail::Loop loop(deps, hooks);
    auto result = loop.run();
    std::error_code ignored; // a stale status file is harmless: status checks the lock
    if (!deps.status_file.empty())
        std::filesystem::remove(deps.status_file, ignored);
    return result;
}

} // namespace fios::watch
