// SPDX-License-Identifier: MIT
#include "output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace fios::cli {
namespace {
std::mutex g_output_mutex; // one line at a time from any thread
}

Output::Output() {
    const char* no_color = std::getenv("NO_COLOR");
    const bool no_color_set = no_color != nullptr && *no_color != '\0';
    const char* term = std::getenv("TERM");
    const bool dumb = term != nullptr && std::string_view(term) == "dumb";
    m_color = !no_color_set && !dumb && ::isatty(STDERR_FILENO) == 1;
}

Output::~Output() {
    if (m_log_fd >= 0)
        ::close(m_log_fd);
}

Status Output::set_log_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int err = errno;
        return Error{ErrorCode::io, fmt::format("cannot open the log file {}: {}; choose a "
                                                "writable path with --log-file",
                                                path, std::strerror(err))};
    }
    std::lock_guard lock(g_output_mutex);
    if (m_log_fd >= 0)
        ::close(m_log_fd);
    m_log_fd = fd;
    return {};
}

std::string Output::stamp() const {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    return buf;
}

void Output::to_stderr(std::string_view prefix, std::string_view color,
                       std::string_view msg) const {
    std::lock_guard lock(g_output_mutex);
    const std::string when = m_timestamps || m_log_fd >= 0 ? stamp() : std::string();
    const std::string_view shown = m_timestamps ? std::string_view(when) : std::string_view();
    if (m_color && !color.empty()) {
        fmt::print(stderr, "{}\033[{}m{}\033[0m{}\n", shown, color, prefix, msg);
    } else {
        fmt::print(stderr, "{}{}{}\n", shown, prefix, msg);
    }
    std::fflush(stderr);
    if (m_log_fd >= 0) {
        const std::string line = fmt::format("{}{}{}\n", when, prefix, msg);
        [[maybe_unused]] const ssize_t n = ::write(m_log_fd, line.data(), line.size());
    }
}

void Output::info(std::string_view message) const {
    if (m_level >= Level::normal)
        to_stderr("", "", message);
}

void Output::verbose(std::string_view message) const {
    if (m_level >= Level::verbose)
        to_stderr("", "", message);
}

void Output::warn(std::string_view message) const {
    to_stderr("warning: ", "33", message);
}

void Output::error(std::string_view message) const {
    to_stderr("error: ", "31", message);
}

void Output::data(std::string_view line) const {
    std::lock_guard lock(g_output_mutex);
    fmt::print(stdout, "{}\n", line);
    std::fflush(stdout);
}

} // namespace fios::cli
