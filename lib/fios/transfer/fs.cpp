// SPDX-License-Identifier: MIT
#include "fios/transfer/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace fios::transfer::detail {

void UniqueFd::reset() noexcept {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

Error errno_error(int err, std::string_view what) {
    std::string msg(what);
    msg += ": ";
    if (err == ELOOP)
        msg += "is a symbolic link (never followed)";
    else
        msg += std::strerror(err);
    if (err == ENOSPC || err == EDQUOT)
        return Error{ErrorCode::disk_full, msg + " (free some space and run again)"};
    return Error{ErrorCode::io, std::move(msg)};
}

Result<UniqueFd> open_folder(const std::filesystem::path& root, const model::RelPath& folder,
                             int* err) {
    UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) {
        const int e = errno;
        if (err)
            *err = e;
        return errno_error(e, "opening the sync folder '" + root.string() + "'");
    }
    std::string walked;
    for (std::string_view seg : folder.segments()) {
        const std::string name(seg);
        walked += walked.empty() ? name : "/" + name;
        UniqueFd next(
            ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.valid()) {
            int e = errno;
            // O_DIRECTORY|O_NOFOLLOW on a symlink gives ENOTDIR on some kernels: say why.
            if (e == ENOTDIR) {
                struct stat st {};
                if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode))
                    e = ELOOP;
            }
            if (err)
                *err = e;
            return errno_error(e, "opening folder '" + walked + "'");
        }
        dir = std::move(next);
    }
    if (err)
        *err = 0;
    return dir;
}

LocalFingerprint fingerprint_of(const struct stat& st) noexcept {
    LocalFingerprint fp;
    fp.size = static_cast<std::uint64_t>(st.st_size);
    fp.mtime = model::TimePoint{std::chrono::seconds{st.st_mtim.tv_sec} +
                                std::chrono::nanoseconds{st.st_mtim.tv_nsec}};
    fp.inode = static_cast<std::uint64_t>(st.st_ino);
    fp.device = static_cast<std::uint64_t>(st.st_dev);
    return fp;
}

long long pread_full(int fd, char* buf, std::size_t len, std::uint64_t offset) noexcept {
    std::size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    return static_cast<long long>(done);
}

bool pwrite_full(int fd, const char* buf, std::size_t len, std::uint64_t offset) noexcept {
    std::size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pwrite(fd, buf + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (n == 0) {
            errno = ENOSPC;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace fios::transfer::detail
