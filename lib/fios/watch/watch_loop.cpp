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
