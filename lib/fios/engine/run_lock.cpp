// SPDX-License-Identifier: MIT
#include "fios/engine/run_lock.hpp"

#include "fios/engine/sync_engine.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <sys/file.h>
#include <utility>

namespace fios::engine {

namespace {
constexpr std::string_view k_held_text = "another frameio-sync (pid ";
constexpr int k_probe_waits = 400; ///< 5 ms each

std::optional<long> read_pid_number(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return std::nullopt;
    std::string text(buf, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    long pid = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc{} || ptr != text.data() + text.size() || pid <= 0)
        return std::nullopt;
    return pid;
}

std::string read_pid(int fd) {
    const auto pid = read_pid_number(fd);
    return pid ? std::to_string(*pid) : std::string("unknown");
}
} // namespace

bool is_lock_held(const Error& error) {
    return error.code == ErrorCode::conflict &&
           error.message.find(k_held_text) != std::string::npos;
}

Result<RunLock> RunLock::acquire(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        const int err = errno;
        return Error{ErrorCode::io, fmt::format("cannot open the lock file {}: {}", file.string(),
                                                std::strerror(err))};
    }
    for (int probes = 0; ::flock(fd, LOCK_EX | LOCK_NB) != 0;) {
        const int err = errno;
        if (err == EINTR)
            continue;
        // holder() (`status`) takes a shared lock for a moment: if a shared lock can be had,
        // nobody holds the exclusive one, so wait for the probe to end (at most about 2 s)
        // instead of reporting a sync that is not running.
        if (err == EWOULDBLOCK && probes < k_probe_waits && ::flock(fd, LOCK_SH | LOCK_NB) == 0) {
            ::flock(fd, LOCK_UN);
            ++probes;
            ::usleep(5000);
            continue;
        }
        if (err == EWOULDBLOCK) {
            std::string pid = read_pid(fd);
            ::close(fd);
            return Error{ErrorCode::conflict,
                         fmt::format("{}{}) is running with this state directory ({}); wait for "
                                     "it to finish",
                                     k_held_text, pid, file.parent_path().string())};
        }
        ::close(fd);
        return Error{ErrorCode::io,
                     fmt::format("cannot lock {}: {}", file.string(), std::strerror(err))};
    }
    // Ours now: record our pid for the message a second run prints.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // The pid is only informational; the lock itself holds.
    }
    return RunLock(fd, file);
}

std::optional<long> RunLock::holder(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return std::nullopt;
    std::optional<long> pid;
    // A shared lock that cannot be had means someone holds the exclusive one.
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        pid = read_pid_number(fd).value_or(0);
    ::close(fd); // also drops the shared lock if we got it
    return pid;
}

RunLock::RunLock(RunLock&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = std::exchange(other.m_fd, -1);
        m_path = std::move(other.m_path);
    }
    return *this;
}

RunLock::~RunLock() {
    if (m_fd >= 0)
        ::close(m_fd); // releases the flock
}

} // namespace fios::engine
