// SPDX-License-Identifier: MIT
#include "fios/engine/remote_cache.hpp"

#include "fios/scan/remote_scanner.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>

namespace fios::engine {

using model::RelPath;
using model::RemoteEntry;

Coverage::Coverage(std::set<RelPath> listed, std::set<RelPath> remote_folders)
    : m_listed(std::move(listed)), m_remote_folders(std::move(remote_folders)) {}

bool Coverage::fresh_folder(const RelPath& folder) const {
    RelPath d = folder;
    while (true) {
        if (m_listed.count(d) > 0)
            return true;
        // Present on Frame.io but not listed (a folder both sides agree on): its children
        // were not looked at. The root is never "absent".
        if (d.is_root() || m_remote_folders.count(d) > 0)
            return false;
        d = d.parent(); // absent from its parent's listing, if that was listed
    }
}

Coverage Coverage::without_listed(const std::set<RelPath>& folders) const {
    std::set<RelPath> listed;
    std::set_difference(m_listed.begin(), m_listed.end(), folders.begin(), folders.end(),
                        std::inserter(listed, listed.end()));
    return Coverage(std::move(listed), m_remote_folders);
}

bool Coverage::covers(const plan::Action& action) const {
    if (action.kind == plan::ActionKind::skip && action.skip == plan::SkipReason::hostile_name)
        return fresh_folder(action.path);
    return covers(action.path);
}

namespace {

using Children = std::pair<std::vector<RemoteEntry>, std::vector<model::RemoteRejected>>;

/// The entries and refused names directly inside each of `folders`, in snapshot order: one
/// pass over the snapshot, whatever the number of folders.
std::map<RelPath, Children> children_of(const model::RemoteSnapshot& s,
                                        const std::set<RelPath>& folders) {
    std::map<RelPath, Children> out;
    for (const auto& f : folders)
        out[f];
    for (const auto& e : s.entries) {
        if (e.path.is_root())
            continue;
        if (auto it = out.find(e.path.parent()); it != out.end())
            it->second.first.push_back(e);
    }
    for (const auto& r : s.rejected) {
        if (auto it = out.find(r.parent); it != out.end())
            it->second.second.push_back(r);
    }
    return out;
}

std::set<RelPath> folders_of(const model::RemoteSnapshot& s) {
    std::set<RelPath> out{RelPath::root()};
    for (const auto& e : s.entries) {
        if (e.kind == model::EntryKind::folder)
            out.insert(e.path);
    }
    return out;
}

} // namespace

model::RemoteSnapshot overlay(const model::RemoteSnapshot& cached, model::RemoteSnapshot fresh,
                              const Coverage& coverage) {
    model::RemoteSnapshot out = std::move(fresh);
    for (const auto& e : cached.entries) {
        if (!coverage.covers(e.path))
            out.entries.push_back(e);
    }
    for (const auto& r : cached.rejected) {
        if (!coverage.fresh_folder(r.parent))
            out.rejected.push_back(r);
    }
    scan::sort_remote_snapshot(out);
    return out;
}

plan::Plan covered_part(plan::Plan plan, const Coverage& coverage) {
    std::erase_if(plan.actions, [&](const plan::Action& a) { return !coverage.covers(a); });
    return plan;
}

const RemoteCache::ProjectView* RemoteCache::find(const std::string& project_id,
                                                  const std::string& root_id,
                                                  const std::filesystem::path& local_path) const {
    auto it = m_projects.find(project_id);
    if (it == m_projects.end() || it->second.root_id != root_id ||
        it->second.local_path != local_path)
        return nullptr;
    return &it->second;
}

RemoteCache::Seen RemoteCache::put_complete(const std::string& project_id,
                                            const std::string& root_id,
                                            const std::filesystem::path& local_path,
                                            model::RemoteSnapshot snapshot, TimePoint now,
                                            scan::ListingTags tags) {
    ProjectView& v = m_projects[project_id];
    bool news = true;
    if (v.root_id != root_id || v.local_path != local_path)
        v = ProjectView{};
    else
        news = v.snapshot != snapshot;
    v.root_id = root_id;
    v.local_path = local_path;
    v.listed_at.clear();
    for (const auto& f : folders_of(snapshot))
        v.listed_at[f] = now;
    v.snapshot = std::move(snapshot);
    v.tags = std::move(tags);
    if (news)
        v.agreed = false;
    return Seen{v.snapshot, news};
}

RemoteCache::Seen RemoteCache::put_partial(const std::string& project_id,
                                           model::RemoteSnapshot fresh, const Coverage& coverage,
                                           TimePoint now, const std::set<RelPath>& unchanged,
                                           scan::ListingTags tags) {
    ProjectView& v = m_projects[project_id]; // a missing view: the fresh part alone
    // Folders that came back unchanged need no comparison (nor a copy of their children).
    const Coverage compared = coverage.without_listed(unchanged);
    bool news = false;
    if (!compared.listed().empty()) {
        const auto before = children_of(v.snapshot, compared.listed());
        const auto after = children_of(fresh, compared.listed());
        for (const auto& folder : compared.listed()) {
            if (before.at(folder) != after.at(folder)) {
                v.changed_at[folder] = now;
                news = true;
            }
        }
    }
    for (const auto& folder : coverage.listed()) {
        v.listed_at[folder] = now;
        if (auto tag = tags.find(folder); tag != tags.end())
            v.tags[folder] = std::move(tag->second);
        else
            v.tags.erase(folder);
    }
    // Nothing new: the view stays as it is (the overlay would rebuild it unchanged).
    if (news) {
        v.snapshot = overlay(v.snapshot, std::move(fresh), compared);
        v.agreed = false;
    }
    // Folders gone from the view are forgotten; new ones were listed (a new folder is always
    // expanded) or are due first.
    const std::set<RelPath> folders = folders_of(v.snapshot);
    std::erase_if(v.listed_at, [&](const auto& kv) { return folders.count(kv.first) == 0; });
    std::erase_if(v.tags, [&](const auto& kv) { return folders.count(kv.first) == 0; });
    std::erase_if(v.changed_at, [&](const auto& kv) {
        return folders.count(kv.first) == 0 || now - kv.second > k_changed_for;
    });
    return Seen{v.snapshot, news};
}

void RemoteCache::set_agreed(const std::string& project_id, bool agreed) {
    if (auto it = m_projects.find(project_id); it != m_projects.end())
        it->second.agreed = agreed;
}

void RemoteCache::add_folder(const std::string& project_id, model::RemoteEntry folder) {
    auto it = m_projects.find(project_id);
    if (it == m_projects.end())
        return;
    auto& entries = it->second.snapshot.entries;
    if (std::any_of(entries.begin(), entries.end(),
                    [&](const RemoteEntry& e) { return e.path == folder.path; }))
        return;
    // The parent's children now differ from its last listing: that listing's tag no longer
    // vouches for them.
    it->second.tags.erase(folder.path.parent());
    entries.push_back(std::move(folder));
    scan::sort_remote_snapshot(it->second.snapshot);
}

void RemoteCache::mark_changed(const std::string& project_id, const std::set<RelPath>& folders,
                               TimePoint now) {
    auto it = m_projects.find(project_id);
    if (it == m_projects.end())
        return;
    for (const auto& f : folders)
        it->second.changed_at[f] = now;
}

void RemoteCache::forget(const std::string& project_id) {
    m_projects.erase(project_id);
}

std::vector<RelPath> RemoteCache::folders_to_check(const std::string& project_id,
                                                   std::size_t budget, TimePoint now,
                                                   std::optional<TimePoint> check_started) const {
    std::vector<RelPath> out;
    auto it = m_projects.find(project_id);
    if (it == m_projects.end() || budget == 0)
        return out;
    const ProjectView& v = it->second;
    std::set<RelPath> folders = folders_of(v.snapshot);

    // A check going on after giving way: what it (or anything else) listed since it began is
    // spent.
    if (check_started) {
        std::set<RelPath> left;
        for (const auto& f : folders) {
            auto listed = v.listed_at.find(f);
            if (listed == v.listed_at.end() || listed->second < *check_started)
                left.insert(f);
        }
        const std::size_t spent = folders.size() - left.size();
        budget = budget > spent ? budget - spent : 1;
        if (!left.empty())
            folders = std::move(left);
    }

    // Recently changed folders, newest change first, at most half the budget.
    std::vector<std::pair<TimePoint, RelPath>> changed;
    for (const auto& [path, when] : v.changed_at) {
        if (folders.count(path) > 0 && now - when <= k_changed_for)
            changed.emplace_back(when, path);
    }
    std::sort(changed.begin(), changed.end(), [](const auto& a, const auto& b) {
        return std::tie(b.first, a.second) < std::tie(a.first, b.second);
    });
    const std::size_t changed_share = budget / 2;
    for (std::size_t i = 0; i < changed.size() && out.size() < changed_share; ++i)
        out.push_back(changed[i].second);

    // The rest: the longest unlisted first (never listed before all), then by path.
    std::vector<std::pair<TimePoint, RelPath>> stale;
    for (const auto& f : folders) {
        if (std::find(out.begin(), out.end(), f) != out.end())
            continue;
        auto listed = v.listed_at.find(f);
        stale.emplace_back(listed == v.listed_at.end() ? TimePoint{} : listed->second, f);
    }
    std::sort(stale.begin(), stale.end());
    for (std::size_t i = 0; i < stale.size() && out.size() < budget; ++i)
        out.push_back(stale[i].second);
    return out;
}

std::optional<TimePoint> RemoteCache::complete_as_of(const std::string& project_id) const {
    auto it = m_projects.find(project_id);
    if (it == m_projects.end())
        return std::nullopt;
    std::optional<TimePoint> oldest;
    for (const auto& f : folders_of(it->second.snapshot)) {
        auto listed = it->second.listed_at.find(f);
        if (listed == it->second.listed_at.end())
            return std::nullopt;
        if (!oldest || listed->second < *oldest)
            oldest = listed->second;
    }
    return oldest;
}

std::size_t RemoteCache::folder_count(const std::string& project_id) const {
    auto it = m_projects.find(project_id);
    return it == m_projects.end() ? 0 : folders_of(it->second.snapshot).size();
}

} // namespace fios::engine
