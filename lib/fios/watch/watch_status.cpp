// SPDX-License-Identifier: MIT
#include "fios/watch/watch_status.hpp"

#include "fios/api/model.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fios::watch {
namespace {

constexpr std::string_view k_magic = "frameio-sync-watch 1";
constexpr std::size_t k_max_bytes = 1 << 20;

std::string time_or_dash(const std::optional<TimePoint>& t) {
    return t ? api::format_timestamp(*t) : std::string("-");
}

Result<std::optional<TimePoint>> parse_time_or_dash(const std::string& text) {
    if (text == "-")
        return std::optional<TimePoint>{};
    auto t = api::parse_timestamp(text);
    if (!t)
        return t.error();
    return std::optional<TimePoint>{*t};
}

/// One line without newlines or control characters (an activity line is free text).
std::string one_line(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    }
    return text;
}

} // namespace

std::filesystem::path watch_status_path(const std::filesystem::path& state_dir) {
    return state_dir / "watch.status";
}

Status write_watch_state(const std::filesystem::path& file, const WatchState& state) {
    std::string text = fmt::format("{}\npid {}\nstarted_at {}\nstate {}\nactivity {}\n", k_magic,
                                   state.pid, api::format_timestamp(state.started_at),
                                   one_line(state.state), one_line(state.activity));
    for (const auto& p : state.projects) {
        text += fmt::format("project {} {} {} {} {}\n", one_line(p.id),
                            p.watched ? "watched" : "polled", time_or_dash(p.last_run),
                            time_or_dash(p.next_check), time_or_dash(p.checked_whole));
    }
    const std::filesystem::path temp = file.string() + ".tmp";
    const int fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        const int err = errno;
        return Error{ErrorCode::io,
                     fmt::format("cannot write {}: {}", temp.string(), std::strerror(err))};
    }
    const ssize_t n = ::write(fd, text.data(), text.size());
    const int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size()) || ::rename(temp.c_str(), file.c_str()) != 0) {
        ::unlink(temp.c_str());
        return Error{ErrorCode::io,
                     fmt::format("cannot write {}: {}", file.string(), std::strerror(err))};
    }
    return {};
}

Result<WatchState> read_watch_state(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return Error{ErrorCode::not_found, fmt::format("{} does not exist", file.string())};
    std::string text(k_max_bytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    auto bad = [&](std::string_view why) {
        return Error{ErrorCode::parse,
                     fmt::format("{} is not a watch status file ({})", file.string(), why)};
    };
    std::istringstream lines(text);
    std::string line;
    if (!std::getline(lines, line) || line != k_magic)
        return bad("first line");
    WatchState state;
    while (std::getline(lines, line)) {
        const auto space = line.find(' ');
        const std::string key = line.substr(0, space);
        const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        if (key == "pid") {
            const auto [ptr, ec] =
                std::from_chars(value.data(), value.data() + value.size(), state.pid);
            if (ec != std::errc{} || ptr != value.data() + value.size())
                return bad("pid");
        } else if (key == "started_at") {
            auto t = api::parse_timestamp(value);
            if (!t)
                return bad("started_at");
            state.started_at = *t;
        } else if (key == "state") {
            state.state = value;
        } else if (key == "activity") {
            state.activity = value;
        } else if (key == "project") {
            std::istringstream fields(value);
            std::string id, how, last, next, whole = "-";
            if (!(fields >> id >> how >> last >> next))
                return bad("project line");
            fields >> whole; // absent from files of an older watcher
            auto l = parse_time_or_dash(last);
            auto n = parse_time_or_dash(next);
            auto w = parse_time_or_dash(whole);
            if (!l || !n || !w)
                return bad("project time");
            state.projects.push_back(WatchedProject{id, how == "watched", *l, *n, *w});
        }
        // Unknown keys are skipped: a newer watcher may add some.
    }
    return state;
}

} // namespace fios::watch
