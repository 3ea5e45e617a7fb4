// SPDX-License-Identifier: MIT
#include "output.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

void Output::to_stderr(std::string_view prefix, std::string_view color,
                       std::string_view msg) const {
    std::lock_guard lock(g_output_mutex);
    if (m_color && !color.empty()) {
        fmt::print(stderr, "\033[{}m{}\033[0m{}\n", color, prefix, msg);
    } else {
        fmt::print(stderr, "{}{}\n", prefix, msg);
    }
    std::fflush(stderr);
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
