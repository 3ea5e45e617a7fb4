// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fios::test {

struct ProcessResult {
    int exit_code = -1; ///< exit status, or 128 + signal number when killed by a signal
    std::string out;    ///< everything written to stdout
    std::string err;    ///< everything written to stderr
    bool timed_out = false;
};

struct RunOptions {
    std::string stdin_data;
    /// Variables set (or, with std::nullopt, removed) on top of the test's environment.
    std::map<std::string, std::optional<std::string>> env;
    std::optional<std::filesystem::path> cwd;
    std::chrono::milliseconds deadline{std::chrono::seconds(60)};
};

/// Runs a program to completion (killed with SIGKILL at the deadline), capturing its output.
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

/// A child process that runs while the test talks to it: stdin and stdout are pipes, stderr
/// goes to a file. For flows such as OAuth login, where the test must read a line the
/// program prints (the authorize URL) before the program can finish.
class SpawnedProcess {
public:
    explicit SpawnedProcess(const std::vector<std::string>& argv, const RunOptions& options = {});
    ~SpawnedProcess(); ///< SIGKILL if still running
    SpawnedProcess(const SpawnedProcess&) = delete;
    SpawnedProcess& operator=(const SpawnedProcess&) = delete;

    /// The next line of stdout (without '\n'), or std::nullopt at EOF or the deadline.
    std::optional<std::string>
    read_line(std::chrono::milliseconds deadline = std::chrono::seconds(20));
    /// Writes to the child's stdin (and closes it when `close` is set).
    void write_stdin(const std::string& data, bool close = false);
    /// Waits for exit (SIGKILL at the deadline); `out` holds the stdout not yet read by
    /// read_line, `err` all of stderr.
    ProcessResult wait(std::chrono::milliseconds deadline = std::chrono::seconds(60));
    [[nodiscard]] pid_t pid() const { return m_pid; }

private:
    pid_t m_pid = -1;
    int m_in = -1;
    int m_out = -1;
    std::string m_buffer;
    std::filesystem::path m_err;
};

/// A frameio-emulator child process on 127.0.0.1 with a free port (`--port 0`), started with
/// the given extra arguments. The constructor waits (with a deadline) for the contract's
/// first stdout line `listening on http://HOST:PORT` and throws std::runtime_error, with the
/// emulator's stderr, if it does not come. The destructor kills it (SIGKILL) if still running.
class EmulatorProcess {
public:
    explicit EmulatorProcess(std::vector<std::string> extra_args = {},
                             std::chrono::milliseconds deadline = std::chrono::seconds(30));
    ~EmulatorProcess();
    EmulatorProcess(const EmulatorProcess&) = delete;
    EmulatorProcess& operator=(const EmulatorProcess&) = delete;

    [[nodiscard]] const std::string& base_url() const { return m_base_url; }
    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] pid_t pid() const { return m_pid; }
    /// Everything the emulator wrote to stderr so far.
    [[nodiscard]] std::string log() const;

    /// SIGKILL and reap: a crash, for persistence tests.
    void kill_hard();
    /// SIGTERM (or another signal) and wait for exit; returns the exit code (128+sig if killed).
    int stop(int signal_number = 15, std::chrono::milliseconds deadline = std::chrono::seconds(20));
    [[nodiscard]] bool running() const { return m_pid > 0; }

private:
    pid_t m_pid = -1;
    int m_port = 0;
    std::string m_base_url;
    std::filesystem::path m_dir;
    std::filesystem::path m_out;
    std::filesystem::path m_err;
};

/// Path of the built frameio-emulator (FIOS_TEST_EMULATOR_BIN) and frameio-sync binaries.
std::string emulator_binary();
std::string cli_binary();

/// Polls `condition` until it returns true or `deadline` passes; returns the last result.
/// For waiting on asynchronous effects without sleep-and-hope.
template <class F>
bool wait_until(F&& condition, std::chrono::milliseconds deadline = std::chrono::seconds(20),
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));

} // namespace fios::test

#include "support/process_inl.hpp"
