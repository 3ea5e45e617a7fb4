// SPDX-License-Identifier: MIT
#include "fios/engine/discover_remote.hpp"

#include "fios/remote/remote.hpp"
#include "fios/scan/remote_scanner.hpp"

#include <algorithm>

namespace fios::engine {

using model::RelPath;

namespace {

const RelPath& path_of(const model::RemoteEntry& e) {
    return e.path;
}
const RelPath& path_of(const RelPath& p) {
    return p;
}

/// A folder the journal, the local folder and Frame.io (`remote_id`) all agree on.
bool agreed(const RelPath& path, const std::string& remote_id, const model::LocalSnapshot& local,
            const model::JournalSnapshot& journal) {
    auto row = journal.records.find(path);
    if (row == journal.records.end() || row->second.kind != model::EntryKind::folder ||
        row->second.state != model::JournalState::synced || row->second.asset_id != remote_id)
        return false;
    auto here = local.entries.find(path);
    return here != local.entries.end() && here->second.kind == model::EntryKind::folder;
}

/// The folder id at `path` in the view: the one the journal follows when it is there. The
/// view's entries are in the scanner's order (by path first), so the path is looked up, not
/// searched for: a remote check asks this for every folder of its budget.
std::optional<std::string> folder_id_at(const model::RemoteSnapshot& view, const RelPath& path,
                                        const model::JournalSnapshot& journal) {
    std::optional<std::string> any;
    auto row = journal.records.find(path);
    const auto [first, last] =
        std::equal_range(view.entries.begin(), view.entries.end(), path,
                         [](const auto& a, const auto& b) { return path_of(a) < path_of(b); });
    for (auto e = first; e != last; ++e) {
        if (e->kind != model::EntryKind::folder)
            continue;
        if (row != journal.records.end() && row->second.asset_id == e->asset_id)
            return e->asset_id;
        if (!any)
            any = e->asset_id;
    }
    return any;
}

/// The folder id at `path` on Frame.io as this watch knows it: the view's folder, else the
/// journal's (a folder a run created: the view learns it, so that reconcile finds the parent
/// of whatever the listing covers). Empty when neither knows one.
std::optional<std::string> known_folder_id(RemoteCache& cache, const std::string& project_id,
                                           const RemoteCache::ProjectView& view,
                                           const RelPath& path,
                                           const model::JournalSnapshot& journal) {
    if (path.is_root())
        return view.root_id;
    if (auto id = folder_id_at(view.snapshot, path, journal))
        return id;
    auto row = journal.records.find(path);
    if (row == journal.records.end() || row->second.kind != model::EntryKind::folder ||
        row->second.asset_id.empty())
        return std::nullopt;
    auto parent_id = known_folder_id(cache, project_id, view, path.parent(), journal);
    if (!parent_id)
        return std::nullopt;
    model::RemoteEntry folder;
    folder.path = path;
    folder.kind = model::EntryKind::folder;
    folder.asset_id = row->second.asset_id;
    folder.parent_id = *parent_id;
    folder.upload_completed = true;
    cache.add_folder(project_id, folder);
    return row->second.asset_id;
}

/// Each scope folder, or its nearest ancestor known on Frame.io, once.
std::vector<scan::ScanStart> start_folders(RemoteCache& cache, const std::string& project_id,
                                           const RemoteCache::ProjectView& view,
                                           const std::set<RelPath>& scope,
                                           const model::JournalSnapshot& journal) {
    std::vector<scan::ScanStart> out;
    for (const auto& folder : scope) {
        RelPath d = folder;
        std::optional<std::string> id;
        while (!(id = known_folder_id(cache, project_id, view, d, journal)))
            d = d.parent();
        scan::ScanStart start{*id, d};
        if (std::none_of(out.begin(), out.end(),
                         [&](const scan::ScanStart& s) { return s.folder_id == start.folder_id; }))
            out.push_back(std::move(start));
    }
    return out;
}

} // namespace

Result<Discovered> discover_remote(remote::Remote& remote, RemoteCache* cache,
                                   const DiscoverRequest& request, const LocalSides* sides,
                                   TimePoint now) {
    static const model::JournalSnapshot no_journal;
    scan::RemoteScanOptions options;
    options.threads = std::clamp<std::size_t>(request.threads, 1, 8);
    options.limits.root_bytes = request.local_root.string().size();
    // Every folder is listed, whatever its item_count says: a stale count would hide our own
    // interrupted upload's asset, and the upload would then be started again (a duplicate).
    options.skip_empty_folders = false;
    options.cancel = request.cancel;
    options.give_way = request.give_way; // scan_folders() only
    scan::RemoteScanner scanner(remote, options);

    const RemoteCache::ProjectView* view =
        cache != nullptr && request.scope != nullptr && !request.scope->empty()
            ? cache->find(request.project_id, request.root_id, request.local_root)
            : nullptr;
    if (view != nullptr) {
        const model::JournalSnapshot& journal = sides != nullptr ? sides->journal : no_journal;
        std::set<std::pair<RelPath, std::string>> view_folders;
        if (sides == nullptr) {
            for (const auto& e : view->snapshot.entries) {
                if (e.kind == model::EntryKind::folder)
                    view_folders.emplace(e.path, e.asset_id);
            }
        }
        // Tags only where a folder's children may be taken from the view as they are: a
        // remote check (no local sides), whose expansion needs nothing below an unchanged
        // folder (its subfolders are all in the view).
        auto part = scanner.scan_folders(
            request.root_id,
            start_folders(*cache, request.project_id, *view, *request.scope, journal),
            [&](const RelPath& path, const std::string& id) {
                return sides != nullptr ? !agreed(path, id, sides->local, sides->journal)
                                        : view_folders.count({path, id}) == 0;
            },
            sides == nullptr ? &view->tags : nullptr);
        if (part && !part->ambiguous) {
            // The folders present on Frame.io as far as the scan knows: those of the fresh
            // listings, the unchanged folders themselves and the view's folders inside them.
            std::set<RelPath> remote_folders;
            for (const auto& e : part->snapshot.entries) {
                if (e.kind == model::EntryKind::folder)
                    remote_folders.insert(e.path);
            }
            if (!part->unchanged.empty()) {
                for (const auto& folder : part->unchanged) {
                    if (!folder.is_root())
                        remote_folders.insert(folder);
                }
                for (const auto& [path, id] : view_folders) {
                    if (!path.is_root() && part->unchanged.count(path.parent()) > 0)
                        remote_folders.insert(path);
                }
            }
            const bool gave_way = part->gave_way;
            Coverage coverage(std::move(part->listed), std::move(remote_folders));
            auto seen = cache->put_partial(request.project_id, std::move(part->snapshot), coverage,
                                           now, part->unchanged, std::move(part->tags));
            if (!seen.news && sides == nullptr) // the caller stops here: no copy of the view
                return Discovered{{}, std::move(coverage), false, gave_way};
            return Discovered{seen.view, std::move(coverage), seen.news, gave_way};
        }
        if (!part && part.error().code != ErrorCode::not_found)
            return part.error();
        // A folder to list is gone (or moved), or two folders at one path: look at the whole
        // tree instead.
    }
    auto whole = scanner.scan(request.root_id);
    if (!whole)
        return whole.error();
    if (cache == nullptr)
        return Discovered{std::move(*whole), std::nullopt, true, false};
    auto seen = cache->put_complete(request.project_id, request.root_id, request.local_root, *whole,
                                    now, scanner.tags());
    // The view holds a copy of `whole`: hand the listing itself on rather than copy the view.
    return Discovered{std::move(*whole), std::nullopt, seen.news, false};
}

} // namespace fios::engine
