// SPDX-License-Identifier: MIT
#pragma once

// Private to transfer/: file descriptors and symlink-safe opening below a sync root.

#include "fios/core/result.hpp"
#include "fios/model/rel_path.hpp"
#include "fios/transfer/common.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <utility>

namespace fios::transfer::detail {

/// Owns one file descriptor.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            m_fd = std::exchange(o.m_fd, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    [[nodiscard]] int get() const noexcept { return m_fd; }
    [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }
    void reset() noexcept;

private:
    int m_fd = -1;
};

/// An Error for a failed system call: ENOSPC/EDQUOT -> disk_full, everything else -> io.
/// `what` names the operation and the (relative) path; no secret ever goes in here.
Error errno_error(int err, std::string_view what);

/// Opens the folder `folder` below `root` for *at() calls: `root` as given (the user chose
/// it), then each segment with openat(O_DIRECTORY|O_NOFOLLOW), so a symlink anywhere below
/// the root is refused (ELOOP/ENOTDIR), never followed. On failure `err` holds the errno.
Result<UniqueFd> open_folder(const std::filesystem::path& root, const model::RelPath& folder,
                             int* err = nullptr);

LocalFingerprint fingerprint_of(const struct stat& st) noexcept;

/// pread that retries EINTR and short reads until `len` bytes or EOF; returns the count or
/// -1 with errno set.
long long pread_full(int fd, char* buf, std::size_t len, std::uint64_t offset) noexcept;

/// pwrite of all `len` bytes (retrying EINTR and short writes); false with errno set.
bool pwrite_full(int fd, const char* buf, std::size_t len, std::uint64_t offset) noexcept;

} // namespace fios::transfer::detail
