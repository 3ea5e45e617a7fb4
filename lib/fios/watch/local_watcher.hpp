// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fios::watch {

/// Local changes seen since the last read, by tree key (a project id).
struct LocalChanges {
    /// Paths (relative to the tree's root, '/'-separated) that changed, by key. A folder
    /// created or moved in is listed itself, with everything already in it when its watch was
    /// added (made before anyone could see it); its contents are watched from then on.
    std::map<std::string, std::set<std::string>> paths;
    /// The kernel dropped events (IN_Q_OVERFLOW): every tree must be rescanned.
    bool overflow = false;
    /// Trees that can no longer be watched completely (out of watches while a new folder
    /// was added, or the root went away), each with why: from now on they are polled (see
    /// LocalWatcher::watch_tree); reported once each.
    std::vector<std::pair<std::string, Error>> fell_back;
};

/// What watch_tree() achieved.
struct TreeWatch {
    std::size_t folders = 0; ///< folders watched
    /// Set when the tree could not be watched completely: the kernel's watch limit
    /// (fs.inotify.max_user_watches, or WatcherOptions::max_watches) was reached, or the
    /// root could not be watched. Such a tree must be polled; the message says how to raise
    /// the limit.
    std::optional<Error> incomplete;
};

struct WatcherOptions {
    /// At most this many watches (0: only the kernel's limit). Tests use a small number to
    /// play a machine whose fs.inotify.max_user_watches is exhausted.
    std::size_t max_watches = 0;
    /// Folders nested deeper than this are not watched (the local scanner's limit).
    std::size_t max_depth = 256;
};

/// inotify(7) over folder trees (one per selected project), for `sync --watch`.
///
/// Every folder of a tree gets a watch (symlinks are never followed; names starting with
/// `.fios-`, our download temporaries, are ignored); folders created or moved into a tree are
/// watched as they appear, removed ones are dropped. Not thread-safe: one loop owns it.
class LocalWatcher {
public:
    /// Errors: ErrorCode::io when inotify is unavailable (then the caller polls every tree).
    static Result<std::unique_ptr<LocalWatcher>> create(WatcherOptions options = {});
    ~LocalWatcher();
    LocalWatcher(const LocalWatcher&) = delete;
    LocalWatcher& operator=(const LocalWatcher&) = delete;

    /// Readable when events are pending (for poll(2)).
    [[nodiscard]] int fd() const noexcept { return m_fd; }

    /// Watches every folder under `root` for the tree `key`, replacing an earlier tree of
    /// that key. A tree that cannot be watched completely keeps the watches it got (its
    /// events still arrive) and reports `incomplete`.
    TreeWatch watch_tree(const std::string& key, const std::filesystem::path& root);
    /// Drops every watch of the tree `key`.
    void unwatch_tree(const std::string& key);
    [[nodiscard]] std::size_t watch_count() const noexcept { return m_by_wd.size(); }

    /// Reads every pending event without blocking.
    LocalChanges read();

private:
    struct Folder {
        std::string key;
        std::filesystem::path path; ///< absolute
        std::string rel;            ///< relative to the tree's root ("" for the root)
    };
    LocalWatcher(int fd, WatcherOptions options) : m_fd(fd), m_options(options) {}
    /// Adds watches for `dir` and every folder below it; false when the limit was reached
    /// (the error goes to `error`). `found` (may be null) gets the relative path of every
    /// entry met below `dir`.
    bool add_subtree(const std::string& key, const std::filesystem::path& dir,
                     const std::string& rel, std::size_t depth, std::size_t& folders,
                     std::optional<Error>& error, std::set<std::string>* found = nullptr);
    /// Reports (once) that the tree `key` is polled from now on.
    void fall_back(LocalChanges& changes, const std::string& key, Error why);
    void forget(int wd);
    /// A watched folder moved or was deleted: when it is no longer at its path (moved out of
    /// the tree, or gone), drops its watches and those below it; true then.
    bool drop_moved_away(const Folder& folder);

    int m_fd = -1;
    WatcherOptions m_options;
    std::map<int, Folder> m_by_wd;
    std::map<std::string, std::filesystem::path> m_roots;
    std::set<std::string> m_incomplete; ///< trees already reported as polled
};

} // namespace fios::watch
