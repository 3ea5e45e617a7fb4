// SPDX-License-Identifier: MIT
#include "fios/watch/local_watcher.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <sys/inotify.h>
#include <sys/stat.h>

namespace fios::watch {
namespace {

constexpr std::uint32_t k_mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
                                 IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF |
                                 IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

/// Our own download temporaries (transfer/downloader): never a change worth a run.
bool ignored_name(std::string_view name) {
    return name.substr(0, 6) == ".fios-";
}

std::string join(const std::string& rel, std::string_view name) {
    return rel.empty() ? std::string(name) : rel + "/" + std::string(name);
}

Error limit_error(const std::filesystem::path& dir, int err) {
    if (err == ENOSPC) {
        return Error{ErrorCode::io,
                     fmt::format("cannot watch {}: the limit of inotify watches is reached; the "
                                 "folder is scanned periodically instead. Raise the limit with "
                                 "`sudo sysctl fs.inotify.max_user_watches=524288` (and in "
                                 "/etc/sysctl.d/ to keep it)",
                                 dir.string())};
    }
    return Error{ErrorCode::io, fmt::format("cannot watch {}: {}; the folder is scanned "
                                            "periodically instead",
                                            dir.string(), std::strerror(err))};
}

} // namespace

Result<std::unique_ptr<LocalWatcher>> LocalWatcher::create(WatcherOptions options) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return Error{ErrorCode::io,
                     fmt::format("inotify is unavailable ({}); folders are scanned periodically "
                                 "instead. Raise fs.inotify.max_user_instances if it is the limit",
                                 std::strerror(err))};
    }
    return std::unique_ptr<LocalWatcher>(new LocalWatcher(fd, options));
}

LocalWatcher::~LocalWatcher() {
    if (m_fd >= 0)
        ::close(m_fd);
}

bool LocalWatcher::add_subtree(const std::string& key, const std::filesystem::path& dir,
                               const std::string& rel, std::size_t depth, std::size_t& folders,
                               std::optional<Error>& error, std::set<std::string>* found) {
    if (depth > m_options.max_depth)
        return true; // the scanner skips it too (too_deep)
    if (m_options.max_watches > 0 && m_by_wd.size() >= m_options.max_watches) {
        error = limit_error(dir, ENOSPC);
        return false;
    }
    const int wd = ::inotify_add_watch(m_fd, dir.c_str(), k_mask);
    if (wd < 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == EACCES)
            return true; // gone or unreadable: the scanner reports it; nothing to watch
        error = limit_error(dir, err);
        return false;
    }
    m_by_wd[wd] = Folder{key, dir, rel};
    ++folders;
    // O_NOFOLLOW|O_DIRECTORY: a symlinked folder is never entered (the scanner skips it too).
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return true;
    DIR* d = ::fdopendir(dfd);
    if (d == nullptr) {
        ::close(dfd);
        return true;
    }
    bool ok = true;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (name == "." || name == ".." || ignored_name(name))
            continue;
        if (found != nullptr)
            found->insert(join(rel, name));
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir =
                ::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        if (!is_dir)
            continue;
        if (!add_subtree(key, dir / std::string(name), join(rel, name), depth + 1, folders, error,
                         found)) {
            ok = false;
            break;
        }
    }
    ::closedir(d);
    return ok;
}

TreeWatch LocalWatcher::watch_tree(const std::string& key, const std::filesystem::path& root) {
    unwatch_tree(key);
    m_roots[key] = root;
    TreeWatch result;
    std::optional<Error> error;
    if (!add_subtree(key, root, "", 0, result.folders, error))
        result.incomplete = error;
    if (result.folders == 0 && !result.incomplete) {
        result.incomplete = Error{ErrorCode::io, fmt::format("cannot watch {}: not a readable "
                                                             "folder; it is scanned periodically",
                                                             root.string())};
    }
    if (result.incomplete)
        m_incomplete.insert(key);
    return result;
}

void LocalWatcher::unwatch_tree(const std::string& key) {
    for (auto it = m_by_wd.begin(); it != m_by_wd.end();) {
        if (it->second.key == key) {
            ::inotify_rm_watch(m_fd, it->first);
            it = m_by_wd.erase(it);
        } else {
            ++it;
        }
    }
    m_roots.erase(key);
    m_incomplete.erase(key);
}

void LocalWatcher::forget(int wd) {
    m_by_wd.erase(wd);
}

void LocalWatcher::fall_back(LocalChanges& changes, const std::string& key, Error why) {
    if (m_incomplete.insert(key).second)
        changes.fell_back.emplace_back(key, std::move(why));
}

bool LocalWatcher::drop_moved_away(const Folder& folder) {
    struct stat st {};
    if (::lstat(folder.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return false; // moved within the tree: IN_MOVED_TO already gave it its new path
    const std::string prefix = folder.rel + "/";
    for (auto it = m_by_wd.begin(); it != m_by_wd.end();) {
        const Folder& f = it->second;
        const bool below = f.key == folder.key && (f.rel == folder.rel || folder.rel.empty() ||
                                                   f.rel.compare(0, prefix.size(), prefix) == 0);
        if (below) {
            ::inotify_rm_watch(m_fd, it->first);
            it = m_by_wd.erase(it);
        } else {
            ++it;
        }
    }
    return true;
}

LocalChanges LocalWatcher::read() {
    LocalChanges changes;
    alignas(inotify_event) std::array<char, 64 * 1024> buf{};
    for (;;) {
        const ssize_t n = ::read(m_fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // EAGAIN: drained
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf.data() + off);
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            if ((ev->mask & IN_Q_OVERFLOW) != 0) {
                changes.overflow = true;
                continue;
            }
            auto it = m_by_wd.find(ev->wd);
            if (it == m_by_wd.end())
                continue;
            if ((ev->mask & IN_IGNORED) != 0) {
                forget(ev->wd); // the folder is gone (or was unwatched)
                continue;
            }
            const Folder folder = it->second;
            if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
                changes.paths[folder.key].insert(folder.rel);
                if (drop_moved_away(folder) && folder.rel.empty()) {
                    fall_back(
                        changes, folder.key,
                        Error{ErrorCode::io, fmt::format("{} was moved or deleted; it is scanned "
                                                         "periodically until it is back",
                                                         folder.path.string())});
                }
                continue;
            }
            const std::string_view name =
                ev->len > 0 ? std::string_view(ev->name) : std::string_view();
            if (name.empty() || ignored_name(name))
                continue;
            const std::string rel = join(folder.rel, name);
            changes.paths[folder.key].insert(rel);
            if ((ev->mask & IN_ISDIR) != 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
                std::size_t folders = 0;
                std::optional<Error> error;
                const auto root_it = m_roots.find(folder.key);
                const std::size_t depth =
                    static_cast<std::size_t>(std::count(rel.begin(), rel.end(), '/')) + 1;
                // What is in it already was made before its watch, unseen: reported too.
                if (root_it != m_roots.end() &&
                    !add_subtree(folder.key, folder.path / std::string(name), rel, depth, folders,
                                 error, &changes.paths[folder.key]) &&
                    error) {
                    fall_back(changes, folder.key, *error);
                }
            }
        }
    }
    return changes;
}

} // namespace fios::watch
