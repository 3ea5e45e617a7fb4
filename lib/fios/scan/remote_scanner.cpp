// SPDX-License-Identifier: MIT
#include "fios/scan/remote_scanner.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
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
    Walk(remote::Remote& remote, const RemoteScanOptions& options, const std::string& root_id)
        : m_remote(remote), m_options(options) {
        m_snapshot.root_folder_id = root_id;
        m_root_id = root_id;
        m_queue.push_back(FolderJob{root_id, model::RelPath::root()});
        m_seen_folders.insert(root_id);
    }

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
            ++m_busy;
            lock.unlock();

            std::optional<Result<std::vector<remote::Item>>> listed;
            if (m_options.cancel != nullptr && m_options.cancel->cancelled()) {
                listed.emplace(Error{ErrorCode::cancelled, "remote scan cancelled"});
            } else {
                listed.emplace(m_remote.list_folder(job.folder_id));
            }

            lock.lock();
            --m_busy;
            ++m_stats.folders_listed;
            if (*listed) {
                absorb(job, std::move(**listed));
            } else if (listed->error().code == ErrorCode::not_found && job.folder_id != m_root_id) {
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

    /// Turns one folder's items into entries, rejected names and further folders to list.
    void absorb(const FolderJob& job, std::vector<remote::Item> items) {
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
            if (item.kind == remote::ItemKind::folder && m_seen_folders.count(item.id) != 0) {
                m_snapshot.rejected.push_back(
                    model::RemoteRejected{job.path, std::move(item.name), std::move(item.id), kind,
                                          model::NameIssue::folder_cycle});
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
                if (!empty)
                    m_queue.push_back(FolderJob{item.id, entry.path});
            }
            m_snapshot.entries.push_back(std::move(entry));
        }
    }

    void finish() {
        auto& entries = m_snapshot.entries;
        if (!m_dropped_folders.empty()) {
            std::erase_if(entries, [&](const model::RemoteEntry& e) {
                return e.kind == model::EntryKind::folder && m_dropped_folders.count(e.asset_id);
            });
        }
        const auto stack_id = [](const model::RemoteEntry& e) -> const std::string& {
            static const std::string k_none;
            return e.version_stack ? e.version_stack->stack_id : k_none;
        };
        std::sort(entries.begin(), entries.end(),
                  [&](const model::RemoteEntry& a, const model::RemoteEntry& b) {
                      return std::tie(a.path, a.asset_id, stack_id(a)) <
                             std::tie(b.path, b.asset_id, stack_id(b));
                  });
        std::sort(m_snapshot.rejected.begin(), m_snapshot.rejected.end(),
                  [](const model::RemoteRejected& a, const model::RemoteRejected& b) {
                      return std::tie(a.parent, a.name, a.asset_id) <
                             std::tie(b.parent, b.name, b.asset_id);
                  });
    }

    remote::Remote& m_remote;
    const RemoteScanOptions& m_options;
    std::string m_root_id;

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

RemoteScanner::RemoteScanner(remote::Remote& remote, RemoteScanOptions options)
    : m_remote(remote), m_options(options) {}

Result<model::RemoteSnapshot> RemoteScanner::scan(const std::string& root_folder_id) {
    m_stats = {};
    if (root_folder_id.empty())
        return Error{ErrorCode::internal, "remote scan: the project has no root folder id"};
    Walk walk(m_remote, m_options, root_folder_id);
    return walk.run(m_stats);
}

Result<model::RemoteSnapshot> scan_remote(remote::Remote& remote, const std::string& root_folder_id,
                                          const RemoteScanOptions& options) {
    RemoteScanner scanner(remote, options);
    return scanner.scan(root_folder_id);
}

} // namespace fios::scan
