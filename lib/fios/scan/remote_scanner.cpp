// SPDX-License-Identifier: MIT
#include "fios/scan/remote_scanner.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace fios::scan {
namespace {

struct FolderJob {
    std::string folder_id;
    model::RelPath path;
};

/// One scan: a work queue of folders shared by the listing threads. Everything but the
/// list_folder() call itself happens under m_mutex, so the snapshot is built by one thread
/// at a time and the Remote is the only thing used concurrently.
class Walk {
public:
    /// A walk from `starts` (each listed unless the walk gives way, a start that is not found
    /// fails the walk); a folder found below is listed when `expand` is empty or says so.
    /// `may_give_way`: options.give_way applies (partial scans).
    Walk(remote::Remote& remote, const RemoteScanOptions& options, const std::string& root_id,
         const std::vector<ScanStart>& starts, ExpandFolder expand = {},
         const ListingTags* known = nullptr, bool may_give_way = false)
        : m_remote(remote), m_options(options), m_expand(std::move(expand)), m_known(known),
          m_may_give_way(may_give_way && static_cast<bool>(options.give_way)) {
        m_snapshot.root_folder_id = root_id;
        for (const auto& s : starts) {
            if (m_seen_folders.insert(s.folder_id).second) {
                m_queue.push_back(FolderJob{s.folder_id, s.path});
                m_starts.emplace(s.folder_id, s.path);
            }
        }
    }

    /// The paths of the folders listed by run(), those of them that came back unchanged, and
    /// the listings' tags.
    [[nodiscard]] std::set<model::RelPath> listed() && { return std::move(m_listed); }
    [[nodiscard]] std::set<model::RelPath> unchanged() && { return std::move(m_unchanged); }
    [[nodiscard]] ListingTags tags() && { return std::move(m_tags); }
    /// A path was listed twice and one of its listings came back unchanged: which children
    /// belong there is not known (PartialScan::ambiguous).
    [[nodiscard]] bool ambiguous() const { return m_ambiguous; }
    /// Starts were left unlisted (RemoteScanOptions::give_way).
    [[nodiscard]] bool gave_way() const { return m_gave_way; }

    Result<model::RemoteSnapshot> run(RemoteScanStats& stats) {
        const std::size_t threads = std::max<std::size_t>(1, m_options.threads);
        std::vector<std::thread> pool;
        pool.reserve(threads - 1);
        for (std::size_t i = 1; i < threads; ++i)
            pool.emplace_back([this] { worker(); });
        worker();
        for (auto& t : pool)
            t.join();

        stats = m_stats;
        if (m_error)
            return *m_error;
        finish();
        return std::move(m_snapshot);
    }

private:
    void worker() {
        std::unique_lock lock(m_mutex);
        while (true) {
            m_cv.wait(lock, [&] { return m_error || !m_queue.empty() || m_busy == 0; });
            if (m_error || m_queue.empty()) {
                // Either failed, or nothing queued and nobody listing: the walk is over.
                m_cv.notify_all();
                return;
            }
            FolderJob job = std::move(m_queue.front());
            m_queue.pop_front();
            if (gives_way_before(job))
                continue;
            ++m_busy;
            lock.unlock();

            std::optional<Result<remote::FolderListing>> listed;
            if (m_options.cancel != nullptr && m_options.cancel->cancelled()) {
                listed.emplace(Error{ErrorCode::cancelled, "remote scan cancelled"});
            } else {
                listed.emplace(m_remote.list_folder_since(job.folder_id, known_tag(job)));
            }

            lock.lock();
            --m_busy;
            ++m_stats.folders_listed;
            if (*listed) {
                if (!m_listed.insert(job.path).second)
                    m_untrusted_tags.insert(job.path); // a second folder at this path
                if (!(*listed)->tag.empty())
                    m_tags[job.path] = {job.folder_id, std::move((*listed)->tag)};
                if ((*listed)->unchanged)
                    m_unchanged.insert(job.path);
                else if (!absorb(job, std::move((*listed)->items)))
                    m_untrusted_tags.insert(job.path);
            } else if (listed->error().code == ErrorCode::not_found &&
                       m_starts.count(job.folder_id) == 0) {
                // Deleted between the parent's listing and its own: as if deleted earlier.
                m_dropped_folders.insert(job.folder_id);
            } else if (!m_error) {
                const std::string where = job.path.is_root()
                                              ? std::string("the project's root folder")
                                              : "remote folder \"" + job.path.str() + "\"";
                m_error = listed->error().code == ErrorCode::cancelled
                              ? listed->error()
                              : listed->error().with_context("listing " + where);
            }
            m_cv.notify_all();
        }
    }

    /// True when `job` is a start the walk leaves unlisted: the caller's give_way said so
    /// before it, or says so now. The first start is always listed, so that a check that
    /// gives way again and again still gets on. Called under m_mutex, so give_way is asked
    /// one call at a time.
    bool gives_way_before(const FolderJob& job) {
        if (!m_may_give_way || m_starts.count(job.folder_id) == 0)
            return false;
        if (!m_gave_way && m_begun_starts > 0)
            m_gave_way = m_options.give_way();
        if (!m_gave_way)
            ++m_begun_starts;
        return m_gave_way;
    }

    /// The tag of the caller's last listing of this folder, when it was of this folder id.
    /// m_known is only read, so no lock is needed.
    std::string_view known_tag(const FolderJob& job) const {
        if (m_known == nullptr)
            return {};
        auto it = m_known->find(job.path);
        if (it == m_known->end() || it->second.first != job.folder_id)
            return {};
        return it->second.second;
    }

    /// Turns one folder's items into entries, rejected names and further folders to list.
    /// False when what the items became depends on more than the items: a folder among them
    /// was refused as met before (another start, a cycle).
    bool absorb(const FolderJob& job, std::vector<remote::Item> items) {
        bool self_contained = true;
        for (auto& item : items) {
            if (item.deleted)
                continue;
            ++m_stats.items_seen;
            const model::EntryKind kind = item.kind == remote::ItemKind::folder
                                              ? model::EntryKind::folder
                                              : model::EntryKind::file;
            MappedPath mapped = map_remote_name(job.path, item.name, m_options.limits);
            if (!mapped) {
                m_snapshot.rejected.push_back(model::RemoteRejected{
                    job.path, std::move(item.name), std::move(item.id), kind, mapped.issue});
                continue;
            }
            if (item.kind == remote::ItemKind::version_stack && item.head_asset_id.empty())
                continue; // an empty stack: no content to sync
            // A folder id met a second time (a folder listing itself or an ancestor, or one
            // folder in two places): reported, never entered again, so a broken tree cannot
            // grow phantom nested folders.
            // A start of a partial scan met inside another start, at its own path: an entry
            // like any folder, listed once (as a start) all the same. Met anywhere else, it is
            // a cycle like any folder met twice.
            auto start =
                item.kind == remote::ItemKind::folder ? m_starts.find(item.id) : m_starts.end();
            const bool start_met = start != m_starts.end() && start->second == *mapped.path &&
                                   m_met_starts.insert(item.id).second;
            if (item.kind == remote::ItemKind::folder && m_seen_folders.count(item.id) != 0 &&
                !start_met) {
                m_snapshot.rejected.push_back(
                    model::RemoteRejected{job.path, std::move(item.name), std::move(item.id), kind,
                                          model::NameIssue::folder_cycle});
                self_contained = false;
                continue;
            }

            model::RemoteEntry entry;
            entry.path = std::move(*mapped.path);
            entry.kind = kind;
            entry.parent_id = job.folder_id;
            entry.created_at = item.created_at;
            entry.updated_at = item.updated_at;
            switch (item.kind) {
            case remote::ItemKind::folder:
                entry.asset_id = item.id;
                entry.upload_completed = true;
                break;
            case remote::ItemKind::file:
                entry.asset_id = item.id;
                entry.filesize = item.filesize;
                entry.upload_completed = item.upload_completed;
                entry.upload_failed = item.upload_failed;
                entry.checksum = std::move(item.checksum);
                break;
            case remote::ItemKind::version_stack:
                entry.asset_id = item.head_asset_id;
                entry.filesize = item.filesize;
                entry.upload_completed = item.upload_completed;
                entry.upload_failed = item.upload_failed;
                entry.checksum = std::move(item.checksum);
                entry.version_stack = model::VersionStackRef{item.id, item.head_asset_id};
                break;
            }

            if (item.kind == remote::ItemKind::folder) {
                const bool empty = m_options.skip_empty_folders && item.item_count.has_value() &&
                                   *item.item_count == 0;
                m_seen_folders.insert(item.id);
                if (!empty && !start_met && (!m_expand || m_expand(entry.path, item.id)))
                    m_queue.push_back(FolderJob{item.id, entry.path});
            }
            m_snapshot.entries.push_back(std::move(entry));
        }
        return self_contained;
    }

    void finish() {
        auto& entries = m_snapshot.entries;
        // A tag vouches for a folder's children only when they came from its listing alone:
        // not at a path listed twice (two folders there), nor in a listing that had a folder
        // refused (absorb) or a folder dropped as gone when it was listed (below).
        for (const auto& e : entries) {
            if (e.kind == model::EntryKind::folder && m_dropped_folders.count(e.asset_id))
                m_untrusted_tags.insert(e.path.parent());
        }
        for (const auto& path : m_untrusted_tags) {
            m_tags.erase(path);
            if (m_unchanged.count(path) > 0)
                m_ambiguous = true;
        }
        if (!m_dropped_folders.empty()) {
            std::erase_if(entries, [&](const model::RemoteEntry& e) {
                return e.kind == model::EntryKind::folder && m_dropped_folders.count(e.asset_id);
            });
        }

        sort_remote_snapshot(m_snapshot);
    }

    remote::Remote& m_remote;
    const RemoteScanOptions& m_options;
    ExpandFolder m_expand;
    const ListingTags* m_known;
    const bool m_may_give_way;
    bool m_gave_way = false;
    std::size_t m_begun_starts = 0;
    std::set<model::RelPath> m_unchanged;
    ListingTags m_tags;
    std::set<model::RelPath> m_untrusted_tags;
    bool m_ambiguous = false;
    std::map<std::string, model::RelPath> m_starts;
    std::set<std::string> m_met_starts;
    std::set<model::RelPath> m_listed;

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<FolderJob> m_queue;
    std::size_t m_busy = 0;
    std::optional<Error> m_error;
    std::set<std::string> m_seen_folders;
    std::set<std::string> m_dropped_folders;
    model::RemoteSnapshot m_snapshot;
    RemoteScanStats m_stats;
};

} // namespace

void sort_remote_snapshot(model::RemoteSnapshot& snapshot) {
    const auto stack_id = [](const model::RemoteEntry& e) -> const std::string& {
        static const std::string k_none;
        return e.version_stack ? e.version_stack->stack_id : k_none;
    };
    std::sort(snapshot.entries.begin(), snapshot.entries.end(),
              [&](const model::RemoteEntry& a, const model::RemoteEntry& b) {
                  return std::tie(a.path, a.asset_id, stack_id(a)) <
                         std::tie(b.path, b.asset_id, stack_id(b));
              });
    std::sort(snapshot.rejected.begin(), snapshot.rejected.end(),
              [](const model::RemoteRejected& a, const model::RemoteRejected& b) {
                  return std::tie(a.parent, a.name, a.asset_id) <
                         std::tie(b.parent, b.name, b.asset_id);
              });
}

RemoteScanner::RemoteScanner(remote::Remote& remote, RemoteScanOptions options)
    : m_remote(remote), m_options(options) {}

Result<model::RemoteSnapshot> RemoteScanner::scan(const std::string& root_folder_id) {
    m_stats = {};
    m_tags.clear();
    if (root_folder_id.empty())
        return Error{ErrorCode::internal, "remote scan: the project has no root folder id"};
    Walk walk(m_remote, m_options, root_folder_id,
              {ScanStart{root_folder_id, model::RelPath::root()}});
    auto snapshot = walk.run(m_stats);
    m_tags = std::move(walk).tags();
    return snapshot;
}

Result<PartialScan> RemoteScanner::scan_folders(const std::string& root_folder_id,
                                                const std::vector<ScanStart>& starts,
                                                ExpandFolder expand, const ListingTags* known) {
    m_stats = {};
    m_tags.clear();
    if (root_folder_id.empty() || starts.empty())
        return Error{ErrorCode::internal, "remote scan: no root folder id or nothing to list"};
    Walk walk(m_remote, m_options, root_folder_id, starts, std::move(expand), known, true);
    auto snapshot = walk.run(m_stats);
    if (!snapshot)
        return snapshot.error();
    const bool ambiguous = walk.ambiguous();
    const bool gave_way = walk.gave_way();
    return PartialScan{std::move(*snapshot),
                       std::move(walk).listed(),
                       std::move(walk).unchanged(),
                       std::move(walk).tags(),
                       ambiguous,
                       gave_way};
}

Result<model::RemoteSnapshot> scan_remote(remote::Remote& remote, const std::string& root_folder_id,
                                          const RemoteScanOptions& options) {
    RemoteScanner scanner(remote, options);
    return scanner.scan(root_folder_id);
}

} // namespace fios::scan
