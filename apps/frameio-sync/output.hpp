// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace fios::cli {

/// Where the CLI writes: human messages (progress, warnings, errors) to stderr, data to stdout.
/// Colour only on a terminal and never when NO_COLOR is set (no-color.org). Thread-safe.
class Output {
public:
    enum class Level { quiet = 0, normal = 1, verbose = 2, trace = 3 };

    Output();
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    void set_level(Level level) { m_level = level; }
    [[nodiscard]] Level level() const { return m_level; }
    void set_json(bool json) { m_json = json; }
    /// Prefixes every stderr line with the UTC time (`sync --watch` on a terminal or in a log
    /// file; not under systemd, whose journal stamps lines itself).
    void set_timestamps(bool on) { m_timestamps = on; }
    /// Also appends every stderr line, time-stamped and without colour, to `path` (created
    /// 0600). Errors: io, naming the file.
    Status set_log_file(const std::string& path);
    [[nodiscard]] bool json() const { return m_json; }

    /// Informational message to stderr; hidden by -q.
    void info(std::string_view message) const;
    /// Detail shown with -v.
    void verbose(std::string_view message) const;
    /// Warning to stderr; shown even with -q.
    void warn(std::string_view message) const;
    /// Error to stderr, prefixed "error: "; always shown.
    void error(std::string_view message) const;
    /// A line of data to stdout (tables, JSON lines).
    void data(std::string_view line) const;

    template <class... Args>
    void infof(fmt::format_string<Args...> f, Args&&... args) const {
        info(fmt::format(f, std::forward<Args>(args)...));
    }

private:
    void to_stderr(std::string_view prefix, std::string_view color, std::string_view msg) const;
    std::string stamp() const;
    Level m_level = Level::normal;
    bool m_timestamps = false;
    int m_log_fd = -1;
    bool m_json = false;
    bool m_color = false;
};

} // namespace fios::cli
