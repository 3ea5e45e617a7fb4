// SPDX-License-Identifier: MIT
#include "fios/watch/schedule.hpp"

#include <algorithm>

namespace fios::watch {
namespace {
/// Past the settle time, so that the file's mtime is older than `settle` by a clear margin
/// (filesystem timestamps and our clock differ by a few milliseconds).
constexpr std::chrono::milliseconds k_settle_margin{200};
} // namespace

std::size_t remote_check_budget(std::chrono::seconds interval, double listings_per_second) {
    if (listings_per_second <= 0)
        return 0;
    const double budget =
        static_cast<double>(interval.count()) * listings_per_second * k_remote_check_share;
    return budget < 1 ? 1 : static_cast<std::size_t>(budget);
}

WatchSchedule::WatchSchedule(ScheduleOptions options, TimePoint now)
    : m_options(options), m_listing_due(now) {}

void WatchSchedule::set_projects(const std::vector<std::string>& ids, TimePoint now) {
    for (auto it = m_projects.begin(); it != m_projects.end();) {
        if (std::find(ids.begin(), ids.end(), it->first) == ids.end())
            it = m_projects.erase(it);
        else
            ++it;
    }
    for (const auto& id : ids) {
        if (m_projects.count(id) == 0) {
            Project p;
            p.remote_due = now; // a project new to the watch is synced at once
            p.scan_due = now + m_options.rescan_interval;
            m_projects.emplace(id, p);
        }
    }
}

void WatchSchedule::set_watched(const std::string& id, bool watched, TimePoint now) {
    auto it = m_projects.find(id);
    if (it == m_projects.end())
        return;
    it->second.watched = watched;
    it->second.scan_due = now + (watched ? m_options.rescan_interval : m_options.poll_interval);
}

void WatchSchedule::local_change(const std::string& id, TimePoint now) {
    auto it = m_projects.find(id);
    if (it == m_projects.end())
        return;
    if (!it->second.change_first)
        it->second.change_first = now;
    it->second.change_last = now;
}

void WatchSchedule::everything_due(TimePoint now) {
    for (auto& [id, p] : m_projects)
        p.remote_due = std::min(p.remote_due, now);
}

void WatchSchedule::scanned(const std::vector<std::string>& ids, TimePoint now) {
    for (const auto& id : ids) {
        auto it = m_projects.find(id);
        if (it == m_projects.end())
            continue;
        it->second.scan_due =
            now + (it->second.watched ? m_options.rescan_interval : m_options.poll_interval);
    }
}

void WatchSchedule::ran(const DueWork& work, bool listed_projects,
                        const std::map<std::string, ProjectOutcome>& outcomes, TimePoint now) {
    if (listed_projects)
        m_listing_due = now + m_options.remote_interval;
    const bool remote_run = !work.remote_check.empty();
    for (const auto& id : work.run) {
        auto it = m_projects.find(id);
        auto outcome = outcomes.find(id);
        if (it == m_projects.end() || outcome == outcomes.end())
            continue; // gone, or not reached (the run ended early): still due
        Project& p = it->second;
        const ProjectOutcome& o = outcome->second;
        p.last_run = now;
        if (!remote_run || o.whole) {
            // Changes seen before the run are in it (a whole run answers them all); later
            // ones (local_change after this call) start a new burst.
            const bool pending = p.change_last || p.settle_due;
            p.change_first.reset();
            p.change_last.reset();
            p.settle_due.reset();
            if (o.failed && pending) // tried again later, not at once (nor never)
                p.settle_due = now + m_options.poll_interval;
        }
        if (o.settling)
            p.settle_due = now + m_options.settle + k_settle_margin;
        // A failed check is not tried again before its interval either: what fails for a
        // project (its folder missing) would fail again at once.
        const bool checked = remote_run ? !o.gave_way : o.whole;
        if (checked)
            p.remote_due = now + m_options.remote_interval;
    }
}

TimePoint WatchSchedule::failed(TimePoint now) {
    const std::uint32_t doublings = std::min<std::uint32_t>(m_failures, 16);
    ++m_failures;
    auto wait = std::chrono::seconds{5} * (1LL << doublings);
    wait = std::min<std::chrono::seconds>(wait, m_options.max_backoff);
    m_backoff_until = now + wait;
    return *m_backoff_until;
}

void WatchSchedule::recovered() {
    m_failures = 0;
    m_backoff_until.reset();
}

std::optional<TimePoint> WatchSchedule::local_due(const Project& p) const {
    std::optional<TimePoint> due = p.settle_due;
    if (p.change_last) {
        // A changed file is uploaded once it has been quiet for the settle time: a run before
        // that would only find it settling and run again. So a burst is acted on when it has
        // been quiet for the debounce and the settle time, or when the longest debounce since
        // its first change has passed (then files that did settle meanwhile go up).
        const auto quiet = std::max<std::chrono::milliseconds>(
            m_options.debounce,
            std::chrono::duration_cast<std::chrono::milliseconds>(m_options.settle) +
                k_settle_margin);
        const auto longest = std::max<std::chrono::milliseconds>(m_options.max_debounce, quiet);
        const TimePoint change = std::min(*p.change_last + quiet, *p.change_first + longest);
        if (!due || change < *due)
            due = change;
    }
    return due;
}

bool WatchSchedule::local_work_due(TimePoint now, const std::set<std::string>& busy) const {
    if (held_back(now))
        return false;
    return std::any_of(m_projects.begin(), m_projects.end(), [&](const auto& entry) {
        const auto when = local_due(entry.second);
        return when && *when <= now && busy.count(entry.first) == 0;
    });
}

DueWork WatchSchedule::due(TimePoint now, const std::set<std::string>& busy) const {
    DueWork work;
    if (held_back(now))
        return work;
    for (const auto& [id, p] : m_projects) {
        const auto when = local_due(p);
        if (when && *when <= now && busy.count(id) == 0)
            work.run.push_back(id);
    }
    if (work.run.empty()) {
        for (const auto& [id, p] : m_projects) {
            if (p.remote_due <= now && busy.count(id) == 0)
                work.run.push_back(id);
        }
        work.remote_check = work.run;
    }
    for (const auto& [id, p] : m_projects) {
        if (p.scan_due <= now && busy.count(id) == 0 &&
            std::find(work.run.begin(), work.run.end(), id) == work.run.end())
            work.scan.push_back(id);
    }
    work.list_projects = !work.remote_check.empty() && m_listing_due <= now;
    return work;
}

std::optional<TimePoint> WatchSchedule::next_due() const {
    std::optional<TimePoint> next;
    for (const auto& [id, p] : m_projects) {
        for (auto t : {local_due(p), std::optional<TimePoint>(p.remote_due),
                       std::optional<TimePoint>(p.scan_due)}) {
            if (t && (!next || *t < *next))
                next = t;
        }
    }
    if (next && m_backoff_until && *next < *m_backoff_until)
        next = m_backoff_until;
    return next;
}

std::optional<TimePoint> WatchSchedule::last_run(const std::string& id) const {
    auto it = m_projects.find(id);
    return it == m_projects.end() ? std::nullopt : it->second.last_run;
}

std::optional<TimePoint> WatchSchedule::next_remote_check(const std::string& id) const {
    auto it = m_projects.find(id);
    if (it == m_projects.end())
        return std::nullopt;
    return it->second.remote_due;
}

} // namespace fios::watch
