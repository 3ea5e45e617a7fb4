// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <filesystem>
#include <optional>

namespace fios::engine {

/// One sync at a time per state directory: an exclusive flock(2) on a lock file that also
/// holds the owner's pid (for the message a second run prints). The lock belongs to the
/// open file description, so it is released when the RunLock is destroyed or the process
/// dies in any way (kill -9 included): a stale lock file never blocks a later run.
class RunLock {
public:
    /// Takes the lock without waiting. Creates the file (mode 0600, never following a
    /// symlink) when missing. Errors: ErrorCode::conflict "another frameio-sync (pid N) is
    /// running" when someone holds it (is_lock_held() is true for it); ErrorCode::io when
    /// the file cannot be opened.
    static Result<RunLock> acquire(const std::filesystem::path& file);
    /// The pid of the process that holds the lock on `file` now, or std::nullopt when nobody
    /// does (or the file is missing). Takes no lock that outlives the call: for `status`.
    static std::optional<long> holder(const std::filesystem::path& file);

    RunLock(RunLock&& other) noexcept;
    RunLock& operator=(RunLock&& other) noexcept;
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;
    /// Releases the lock (the file stays: removing it would race with a new owner).
    ~RunLock();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

private:
    RunLock(int fd, std::filesystem::path path) : m_fd(fd), m_path(std::move(path)) {}
    int m_fd = -1;
    std::filesystem::path m_path;
};

} // namespace fios::engine
