// SPDX-License-Identifier: MIT
#include "fios/scan/local_scanner.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/scan/path_map.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <tuple>
#include <vector>

namespace fios::scan {

using model::LocalSkip;
using model::LocalSkipReason;
using model::RelPath;

namespace {

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return m_fd; }

private:
    int m_fd;
};

model::TimePoint mtime_of(const struct stat& st) {
    return model::TimePoint{std::chrono::seconds{st.st_mtim.tv_sec} +
                            std::chrono::nanoseconds{st.st_mtim.tv_nsec}};
}

bool is_resource_exhaustion(int err) {
    return err == EMFILE || err == ENFILE || err == ENOMEM;
}

class Walker {
public:
    Walker(const std::filesystem::path& root, const LocalScanOptions& options)
        : m_root(root), m_options(options) {
        m_limits.root_bytes = root.native().size();
    }

    Result<model::LocalSnapshot> run() {
        const Fd root_fd(::open(m_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (root_fd.get() < 0) {
            const int err = errno;
            return Error{ErrorCode::io,
                         "cannot open sync folder " + m_root.string() + ": " + std::strerror(err)};
        }
        std::vector<std::string> names;
        if (auto listed = list(root_fd.get(), names); listed != 0) {
            return Error{ErrorCode::io, "cannot list sync folder " + m_root.string() + ": " +
                                            std::strerror(listed)};
        }
        if (auto st = walk(root_fd.get(), RelPath::root(), names, 0); !st)
            return st.error();
        std::sort(m_snapshot.skipped.begin(), m_snapshot.skipped.end(),
                  [](const LocalSkip& a, const LocalSkip& b) {
                      return std::tie(a.parent, a.name) < std::tie(b.parent, b.name);
                  });
        return std::move(m_snapshot);
    }

private:
    // Reads all names of the folder open at `fd` (without consuming `fd`). Returns 0 or errno.
    static int list(int fd, std::vector<std::string>& names) {
        const int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (dup_fd < 0)
            return errno;
        DIR* dir = ::fdopendir(dup_fd);
        if (dir == nullptr) {
            const int err = errno;
            ::close(dup_fd);
            return err;
        }
        int err = 0;
        while (true) {
            errno = 0;
            const dirent* ent = ::readdir(dir);
            if (ent == nullptr) {
                err = errno;
                break;
            }
            const std::string_view name(ent->d_name);
            if (name == "." || name == "..")
                continue;
            names.emplace_back(name);
        }
        ::closedir(dir);
        if (err == 0)
            std::sort(names.begin(), names.end());
        return err;
    }

    void skip(const RelPath& parent, const std::string& name, std::optional<RelPath> path,
              LocalSkipReason reason, std::string detail = {},
              model::NameIssue issue = model::NameIssue::none) {
        m_snapshot.skipped.push_back(
            LocalSkip{parent, name, std::move(path), reason, issue, std::move(detail)});
    }

    Status walk(int dir_fd, const RelPath& rel, const std::vector<std::string>& names,
                std::size_t depth) {
        if (m_options.cancel != nullptr && m_options.cancel->cancelled()) {
            return Error{ErrorCode::cancelled, "local scan cancelled"};
        }
        for (const std::string& name : names) {
            if (std::string_view(name).starts_with(k_temp_prefix)) {
                skip(rel, name, rel.join(name), LocalSkipReason::own_temporary);
                continue;
            }
            auto mapped = map_local_name(rel, name, m_limits);
            if (!mapped) {
                skip(rel, name, std::nullopt, LocalSkipReason::invalid_name,
                     std::string(model::describe(mapped.issue)), mapped.issue);
                continue;
            }
            const RelPath& path = *mapped.path;

            struct stat st {};
            if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                const int err = errno;
                if (err == ENOENT)
                    continue; // vanished since the listing: it is not there
                if (is_resource_exhaustion(err))
                    return exhausted(path, err);
                skip(rel, name, path, LocalSkipReason::unreadable, std::strerror(err));
                continue;
            }
            if (S_ISLNK(st.st_mode)) {
                skip(rel, name, path, LocalSkipReason::symlink);
            } else if (S_ISREG(st.st_mode)) {
                m_snapshot.entries.emplace(
                    path, model::LocalEntry{path, model::EntryKind::file,
                                            static_cast<std::uint64_t>(st.st_size), mtime_of(st),
                                            static_cast<std::uint64_t>(st.st_ino),
                                            static_cast<std::uint64_t>(st.st_dev)});
            } else if (S_ISDIR(st.st_mode)) {
                if (auto r = folder(dir_fd, rel, name, path, st, depth + 1); !r)
                    return r;
            } else {
                skip(rel, name, path, LocalSkipReason::special_file);
            }
        }
        return {};
    }

    Status folder(int parent_fd, const RelPath& parent, const std::string& name,
                  const RelPath& path, const struct stat& lst, std::size_t depth) {
        if (depth > m_options.max_depth) {
            skip(parent, name, path, LocalSkipReason::too_deep,
                 "deeper than " + std::to_string(m_options.max_depth) + " levels");
            return {};
        }
        const Fd fd(
            ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) {
            const int err = errno;
            if (err == ENOENT)
                return {};
            if (err == ELOOP) { // replaced by a symlink since the lstat
                skip(parent, name, path, LocalSkipReason::symlink);
                return {};
            }
            if (is_resource_exhaustion(err))
                return exhausted(path, err);
            skip(parent, name, path, LocalSkipReason::unreadable, std::strerror(err));
            return {};
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino) {
            skip(parent, name, path, LocalSkipReason::unreadable, "replaced during the scan");
            return {};
        }
        std::vector<std::string> names;
        if (const int err = list(fd.get(), names); err != 0) {
            if (is_resource_exhaustion(err))
                return exhausted(path, err);
            skip(parent, name, path, LocalSkipReason::unreadable, std::strerror(err));
            return {};
        }
        m_snapshot.entries.emplace(path, model::LocalEntry{path, model::EntryKind::folder, 0,
                                                           mtime_of(lst),
                                                           static_cast<std::uint64_t>(lst.st_ino),
                                                           static_cast<std::uint64_t>(lst.st_dev)});
        return walk(fd.get(), path, names, depth);
    }

    Error exhausted(const RelPath& path, int err) const {
        return Error{ErrorCode::io,
                     "scanning " + (m_root / path.str()).string() + ": " + std::strerror(err)};
    }

    std::filesystem::path m_root;
    LocalScanOptions m_options;
    PathLimits m_limits;
    model::LocalSnapshot m_snapshot;
};

} // namespace

Result<model::LocalSnapshot> scan_local(const std::filesystem::path& root,
                                        const LocalScanOptions& options) {
    return Walker(root, options).run();
}

std::string digest(const model::LocalSnapshot& local) {
    hash::Xxh64 h;
    for (const auto& [path, e] : local.entries) {
        h.update(fmt::format("e\n{}\n{}\n{}\n{}\n{}\n", path.str(), static_cast<int>(e.kind),
                             e.size, e.mtime.time_since_epoch().count(), e.inode));
    }
    for (const auto& s : local.skipped) {
        h.update(
            fmt::format("s\n{}\n{}\n{}\n", s.parent.str(), s.name, static_cast<int>(s.reason)));
    }
    return h.hex();
}

FolderDigests folder_digests(const model::LocalSnapshot& local) {
    std::map<model::RelPath, hash::Xxh64> folders;
    folders[model::RelPath{}];
    for (const auto& [path, e] : local.entries) {
        if (e.kind == model::EntryKind::folder) {
            folders[path]; // present even when empty
            // A folder's mtime moves with every name added or removed in it: that change is
            // its own (its digest differs), not its parent's.
            folders[path.parent()].update(fmt::format("d\n{}\n{}\n", path.name(), e.inode));
            continue;
        }
        folders[path.parent()].update(fmt::format("e\n{}\n{}\n{}\n{}\n{}\n", path.name(),
                                                  static_cast<int>(e.kind), e.size,
                                                  e.mtime.time_since_epoch().count(), e.inode));
    }
    for (const auto& s : local.skipped) {
        // Our own download temporaries come and go with runs (one removed after a run is
        // no change of the user's).
        if (s.reason == model::LocalSkipReason::own_temporary)
            continue;
        folders[s.parent].update(fmt::format("s\n{}\n{}\n", s.name, static_cast<int>(s.reason)));
    }
    FolderDigests out;
    for (const auto& [path, h] : folders)
        out.emplace_hint(out.end(), path, h.finish());
    return out;
}

std::set<model::RelPath> changed_folders(const FolderDigests& before, const FolderDigests& after) {
    std::set<model::RelPath> out;
    auto b = before.begin();
    auto a = after.begin();
    while (b != before.end() || a != after.end()) {
        if (a == after.end() || (b != before.end() && b->first < a->first)) {
            out.insert((b++)->first); // gone
        } else if (b == before.end() || a->first < b->first) {
            out.insert((a++)->first); // new
        } else {
            if (a->second != b->second)
                out.insert(a->first);
            ++a;
            ++b;
        }
    }
    return out;
}

} // namespace fios::scan
