// SPDX-License-Identifier: MIT
#include "fios/engine/local_fs.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace fios::engine::detail {

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
    Fd(Fd&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            if (m_fd >= 0)
                ::close(m_fd);
            m_fd = o.m_fd;
            o.m_fd = -1;
        }
        return *this;
    }
    [[nodiscard]] int get() const { return m_fd; }

private:
    int m_fd;
};

Error sys_error(int err, const std::string& what) {
    std::string msg =
        what + ": " +
        (err == ELOOP ? "a symbolic link (never followed)" : std::string(std::strerror(err)));
    if (err == ENOSPC || err == EDQUOT)
        return Error{ErrorCode::disk_full, std::move(msg)};
    return Error{ErrorCode::io, std::move(msg)};
}

Result<Fd> open_folder(const std::filesystem::path& root, const model::RelPath& folder) {
    Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0)
        return sys_error(errno, "opening the sync folder " + root.string());
    for (std::string_view seg : folder.segments()) {
        const std::string name(seg);
        Fd next(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.get() < 0) {
            int err = errno;
            struct stat st {};
            if (err == ENOTDIR &&
                ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                err = ELOOP;
            return sys_error(err, "opening folder \"" + folder.str() + "\"");
        }
        dir = std::move(next);
    }
    return dir;
}

LocalStat to_stat(const struct stat& st) {
    LocalStat s;
    s.is_dir = S_ISDIR(st.st_mode);
    s.is_regular = S_ISREG(st.st_mode);
    s.size = s.is_regular ? static_cast<std::uint64_t>(st.st_size) : 0;
    s.mtime = model::TimePoint{std::chrono::seconds{st.st_mtim.tv_sec} +
                               std::chrono::nanoseconds{st.st_mtim.tv_nsec}};
    s.inode = static_cast<std::uint64_t>(st.st_ino);
    s.device = static_cast<std::uint64_t>(st.st_dev);
    return s;
}

} // namespace

Result<std::optional<LocalStat>> stat_below(const std::filesystem::path& root,
                                            const model::RelPath& path) {
    if (path.is_root()) {
        struct stat st {};
        if (::stat(root.c_str(), &st) != 0)
            return sys_error(errno, "examining the sync folder " + root.string());
        return std::optional<LocalStat>(to_stat(st));
    }
    auto dir = open_folder(root, path.parent());
    if (!dir) {
        if (dir.error().code == ErrorCode::io) {
            // A missing parent means nothing is there.
            struct stat st {};
            if (::lstat((root / path.parent().str()).c_str(), &st) != 0 && errno == ENOENT)
                return std::optional<LocalStat>{};
        }
        return dir.error();
    }
    struct stat st {};
    const std::string name(path.name());
    if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return std::optional<LocalStat>{};
        return sys_error(errno, "examining \"" + path.str() + "\"");
    }
    if (S_ISLNK(st.st_mode))
        return sys_error(ELOOP, "examining \"" + path.str() + "\"");
    return std::optional<LocalStat>(to_stat(st));
}

Result<LocalStat> make_folder_below(const std::filesystem::path& root, const model::RelPath& path) {
    if (path.is_root())
        return Error{ErrorCode::internal, "cannot create the sync folder itself"};
    auto dir = open_folder(root, path.parent());
    if (!dir)
        return dir.error();
    const std::string name(path.name());
    if (::mkdirat(dir->get(), name.c_str(), 0777) != 0) {
        const int err = errno;
        if (err == EEXIST) {
            return Error{
                ErrorCode::conflict,
                fmt::format("creating folder \"{}\": something already exists there", path.str())};
        }
        return sys_error(err, "creating folder \"" + path.str() + "\"");
    }
    struct stat st {};
    if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return sys_error(errno, "examining the new folder \"" + path.str() + "\"");
    if (!S_ISDIR(st.st_mode)) {
        return Error{ErrorCode::conflict,
                     fmt::format("the new folder \"{}\" was replaced meanwhile", path.str())};
    }
    return to_stat(st);
}

Result<std::uint64_t> free_bytes_below(const std::filesystem::path& root,
                                       const model::RelPath& path) {
    auto dir = open_folder(root, path.parent());
    if (!dir)
        return dir.error();
    struct statvfs vfs {};
    if (::fstatvfs(dir->get(), &vfs) != 0)
        return sys_error(errno, "checking free space for \"" + path.str() + "\"");
    return static_cast<std::uint64_t>(vfs.f_bavail) * static_cast<std::uint64_t>(vfs.f_frsize);
}

Status check_writable_below(const std::filesystem::path& root, const model::RelPath& path) {
    auto dir = open_folder(root, path.parent());
    if (!dir)
        return dir.error();
    const std::string where =
        path.parent().is_root() ? root.string() : (root / path.parent().str()).string();
    struct statvfs vfs {};
    if (::fstatvfs(dir->get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) {
        return Error{ErrorCode::io,
                     fmt::format("the folder {} is on a file system mounted read-only: nothing "
                                 "can be downloaded there; remount it read-write or select the "
                                 "project into another folder",
                                 where)};
    }
    if (::faccessat(dir->get(), ".", W_OK, AT_EACCESS) != 0) {
        const int err = errno;
        if (err == EACCES || err == EPERM || err == EROFS) {
            return Error{ErrorCode::io,
                         fmt::format("the folder {} is not writable by this user: nothing can be "
                                     "downloaded there; give the user write permission (chmod, "
                                     "chown) or select the project into another folder",
                                     where)};
        }
        return sys_error(err, "checking that " + where + " is writable");
    }
    return {};
}

bool is_folder(const std::filesystem::path& root) {
    struct stat st {};
    return ::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace fios::engine::detail
