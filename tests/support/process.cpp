// SPDX-License-Identifier: MIT
#include "support/process.hpp"

#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>

extern char** environ;

namespace fios::test {
namespace {

std::vector<std::string>
merged_environment(const std::map<std::string, std::optional<std::string>>& overrides) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos)
            env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : overrides) {
        if (v) {
            env[k] = *v;
        } else {
            env.erase(k);
        }
    }
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

// Waits for pid with a deadline; returns the decoded status or nullopt on timeout.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return decode_status(status);
        if (r < 0 && errno != EINTR)
            return -1;
        if (std::chrono::steady_clock::now() >= end)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
    // stdin is written before output is read: fine for the small inputs tests send (a pipe
    // holds 64 KiB), and it keeps one implementation of the capture loop.
    SpawnedProcess process(argv, options);
    return process.wait(options.deadline);
}

SpawnedProcess::SpawnedProcess(const std::vector<std::string>& argv, const RunOptions& options) {
    int in_pipe[2], out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    char templ[] = "/tmp/fios-proc-XXXXXX";
    int err_fd = ::mkstemp(templ);
    if (err_fd < 0)
        throw std::runtime_error("mkstemp failed");
    m_err = templ;
    std::vector<std::string> args = argv;
    std::vector<std::string> env = merged_environment(options.env);
    auto c_args = c_strings(args);
    auto c_env = c_strings(env);
    m_pid = ::fork();
    if (m_pid < 0)
        throw std::runtime_error("fork failed");
    if (m_pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_fd, 2);
        if (options.cwd && ::chdir(options.cwd->c_str()) != 0)
            ::_exit(126);
        ::execve(c_args[0], c_args.data(), c_env.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_fd);
    m_in = in_pipe[1];
    m_out = out_pipe[0];
    if (!options.stdin_data.empty())
        write_stdin(options.stdin_data);
}

SpawnedProcess::~SpawnedProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        wait_pid(m_pid, std::chrono::seconds(10));
    }
    if (m_in >= 0)
        ::close(m_in);
    if (m_out >= 0)
        ::close(m_out);
    std::error_code ec;
    std::filesystem::remove(m_err, ec);
}

std::optional<std::string> SpawnedProcess::read_line(std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        if (auto nl = m_buffer.find('\n'); nl != std::string::npos) {
            std::string line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            return line;
        }
        if (m_out < 0)
            return std::nullopt;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::nullopt;
        pollfd p{m_out, POLLIN, 0};
        int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc <= 0)
            continue;
        char buf[4096];
        ssize_t n = ::read(m_out, buf, sizeof buf);
        if (n <= 0) {
            ::close(m_out);
            m_out = -1;
            continue;
        }
        m_buffer.append(buf, static_cast<std::size_t>(n));
    }
}

void SpawnedProcess::write_stdin(const std::string& data, bool close) {
    std::size_t done = 0;
    while (m_in >= 0 && done < data.size()) {
        ssize_t n = ::write(m_in, data.data() + done, data.size() - done);
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    if (close && m_in >= 0) {
        ::close(m_in);
        m_in = -1;
    }
}

ProcessResult SpawnedProcess::wait(std::chrono::milliseconds deadline) {
    ProcessResult result;
    if (m_in >= 0) {
        ::close(m_in);
        m_in = -1;
    }
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (m_out >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(m_pid, SIGKILL);
            break;
        }
        pollfd p{m_out, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) <= 0)
            continue;
        char buf[4096];
        ssize_t n = ::read(m_out, buf, sizeof buf);
        if (n <= 0) {
            ::close(m_out);
            m_out = -1;
            break;
        }
        m_buffer.append(buf, static_cast<std::size_t>(n));
    }
    auto status =
        wait_pid(m_pid, result.timed_out
                            ? std::chrono::seconds(10)
                            : std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
                                  end - std::chrono::steady_clock::now(),
                                  std::chrono::steady_clock::duration(std::chrono::seconds(1)))));
    if (!status) {
        ::kill(m_pid, SIGKILL);
        result.timed_out = true;
        status = wait_pid(m_pid, std::chrono::seconds(10));
    }
    m_pid = -1;
    result.exit_code = status.value_or(-1);
    result.out = std::move(m_buffer);
    m_buffer.clear();
    try {
        result.err = read_file(m_err);
    } catch (...) {
    }
    return result;
}

std::string emulator_binary() {
    if (const char* e = std::getenv("FIOS_EMULATOR_BIN"); e && *e)
        return e;
#ifdef FIOS_TEST_EMULATOR_BIN
    return FIOS_TEST_EMULATOR_BIN;
#else
    throw std::runtime_error("frameio-emulator is not built in this tree");
#endif
}

std::string cli_binary() {
    if (const char* e = std::getenv("FIOS_CLI_BIN"); e && *e)
        return e;
#ifdef FIOS_TEST_CLI_BIN
    return FIOS_TEST_CLI_BIN;
#else
    throw std::runtime_error("frameio-sync is not built in this tree");
#endif
}

EmulatorProcess::EmulatorProcess(std::vector<std::string> extra_args,
                                 std::chrono::milliseconds deadline) {
    char templ[] = "/tmp/fios-emu-XXXXXX";
    if (!::mkdtemp(templ))
        throw std::runtime_error("mkdtemp failed");
    m_dir = templ;
    m_out = m_dir / "stdout";
    m_err = m_dir / "stderr";

    std::vector<std::string> args{emulator_binary(), "--host", "127.0.0.1", "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto c_args = c_strings(args);

    int out_fd = ::open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err_fd = ::open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out_fd < 0 || err_fd < 0)
        throw std::runtime_error("cannot create emulator log files");
    m_pid = ::fork();
    if (m_pid < 0)
        throw std::runtime_error("fork failed");
    if (m_pid == 0) {
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        ::execv(c_args[0], c_args.data());
        ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);

    const std::string prefix = "listening on ";
    std::string first_line;
    bool ok = wait_until(
        [&] {
            std::ifstream f(m_out);
            std::string line;
            if (std::getline(f, line) && !f.eof()) {
                first_line = line;
                return true;
            }
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                return true;
            }
            return false;
        },
        deadline, std::chrono::milliseconds(5));
    if (!ok || m_pid < 0 || first_line.rfind(prefix, 0) != 0) {
        std::string log_text = log();
        if (m_pid > 0)
            kill_hard();
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec); // the destructor does not run after a throw
        throw std::runtime_error("frameio-emulator did not start (first line '" + first_line +
                                 "'): " + log_text);
    }
    m_base_url = first_line.substr(prefix.size());
    auto colon = m_base_url.rfind(':');
    m_port = std::atoi(m_base_url.c_str() + colon + 1);
}

EmulatorProcess::~EmulatorProcess() {
    if (m_pid > 0)
        kill_hard();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
}

std::string EmulatorProcess::log() const {
    try {
        return read_file(m_err);
    } catch (...) {
        return {};
    }
}

void EmulatorProcess::kill_hard() {
    if (m_pid <= 0)
        return;
    ::kill(m_pid, SIGKILL);
    wait_pid(m_pid, std::chrono::seconds(10));
    m_pid = -1;
}

int EmulatorProcess::stop(int signal_number, std::chrono::milliseconds deadline) {
    if (m_pid <= 0)
        return -1;
    ::kill(m_pid, signal_number);
    auto status = wait_pid(m_pid, deadline);
    if (!status) {
        kill_hard();
        return -1;
    }
    m_pid = -1;
    return *status;
}

} // namespace fios::test
