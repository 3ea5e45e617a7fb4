// SPDX-License-Identifier: MIT
// The watch loop's local side: inotify's events (and what a run wrote among them), the scans
// that compare a folder with its baseline, and the recovery from lost events.
#include "fios/watch/loop_detail.hpp"

#include <poll.h>

#include <algorithm>

namespace fios::watch::detail {
namespace {

using Span = std::pair<TimePoint, TimePoint>;

/// Adds the burst `span` (first and last time) of `project_id` to `spans`, widening what is
/// there.
void widen(std::map<std::string, Span>& spans, const std::string& project_id, const Span& span) {
    auto [it, first] = spans.emplace(project_id, span);
    if (!first) {
        it->second.first = std::min(it->second.first, span.first);
        it->second.second = std::max(it->second.second, span.second);
    }
}

/// Adds the changed folders and whole-project marks of the projects `keep` accepts.
template <class Keep>
void merge_changes(const std::map<std::string, std::set<model::RelPath>>& folders,
                   const std::set<std::string>& whole, Keep keep,
                   std::map<std::string, std::set<model::RelPath>>& into_folders,
                   std::set<std::string>& into_whole) {
    for (const auto& [id, paths] : folders) {
        if (keep(id))
            into_folders[id].insert(paths.begin(), paths.end());
    }
    for (const auto& id : whole) {
        if (keep(id))
            into_whole.insert(id);
    }
}

} // namespace

void Loop::read_local_events() {
    if (!m_watcher)
        return;
    LocalChanges changes = m_watcher->read();
    const TimePoint t = now();
    Noted here;
    if (changes.overflow) {
        // Rewatching and scanning walk every tree: not while a run goes on (a check's listing
        // threads wait for us; downloads write in the trees). The outermost run's caller
        // recovers once that run's outcome is recorded (after_run).
        ActiveRun* outer = m_active.empty() || m_active.front().ended ? nullptr : &m_active.front();
        if (outer == nullptr)
            recover_from_overflow(t);
        else if (!outer->noted->overflow)
            outer->noted->overflow = t;
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
        const ActiveRun* run = running(id);
        for (const auto& path : paths) {
            if (run != nullptr && run->tee->wrote(id, path))
                continue; // the run's own download or folder: not a change to sync
            if (run != nullptr && !run->ended && run->tee->plans_to_write(id, path)) {
                run->noted->held[id].emplace(path, t); // the run has yet to say it wrote it
                continue;
            }
            here.add(id, path, t);
        }
    }
    note_again(here);
    // A run going on answers only what came before it: what is read meanwhile about its
    // projects is noted again after its outcome (after_run).
    for (auto& run : m_active) {
        if (!run.ended)
            run.noted->merge(here, run.projects);
    }
}

const Loop::ActiveRun* Loop::running(const std::string& project_id) const {
    for (const auto& run : m_active) {
        if (run.projects.count(project_id) > 0)
            return &run;
    }
    return nullptr;
}

void Loop::Noted::merge(const Noted& from, const std::set<std::string>& projects) {
    const auto ours = [&projects](const std::string& id) { return projects.count(id) > 0; };
    for (const auto& [id, span] : from.changed) {
        if (ours(id))
            widen(changed, id, span);
    }
    merge_changes(from.folders, from.whole, ours, folders, whole);
}

void Loop::Noted::add(const std::string& project_id, const std::string& path, TimePoint t) {
    widen(changed, project_id, Span{t, t});
    auto rel = model::RelPath::parse(path);
    if (rel && !rel->is_root())
        folders[project_id].insert(rel->parent());
    else
        whole.insert(project_id); // the root itself, or a name that is no path
}

void Loop::after_run() {
    ActiveRun& run = m_active.back();
    run.ended = true;
    Noted& mid_run = *run.noted;
    for (const auto& [id, paths] : mid_run.held) {
        for (const auto& [path, t] : paths) {
            if (!run.tee->wrote(id, path))
                mid_run.add(id, path, t); // planned, but what changed there was not the run
        }
    }
    note_again(mid_run);
    if (mid_run.overflow) // announced already when recovered beside it (run_beside)
        recover_from_overflow(*mid_run.overflow, {}, !mid_run.recovered_beside);
}

void Loop::recover_from_overflow(TimePoint t, const std::set<std::string>& busy, bool announce) {
    if (announce && m_deps.events != nullptr)
        m_deps.events->on_overflow();
    std::vector<std::string> with_baseline;
    for (const auto& [id, sel] : m_selections) {
        if (busy.count(id) > 0)
            continue;
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
    const auto selected = [this](const std::string& id) { return m_selections.count(id) > 0; };
    merge_changes(noted.folders, noted.whole, selected, m_changed, m_whole);
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

} // namespace fios::watch::detail
