// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"
#include "fios/watch/schedule.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

/// The file a running `sync --watch` publishes its state in, so that `status` can show it
/// without touching the watcher or blocking its journal writes. Text, one `key value` per
/// line, replaced atomically (docs/cli.md, "The watch status file"):
///
///     frameio-sync-watch 1
///     pid 4242
///     started_at 2026-12-07T10:00:00.000000Z
///     state syncing                       (idle | syncing | waiting)
///     activity 3/10 files, 12.0 MiB / 80.0 MiB
///     project <id> watched|polled <last run or -> <next remote check or ->
namespace fios::watch {

struct WatchedProject {
    std::string id;
    bool watched = true; ///< false: polled (no inotify watch)
    std::optional<TimePoint> last_run;
    std::optional<TimePoint> next_check;
    /// Every folder of the project had been listed on Frame.io at least once since then
    /// (the last complete check).
    std::optional<TimePoint> checked_whole;
};

struct WatchState {
    long pid = 0;
    TimePoint started_at;
    std::string state = "idle";
    std::string activity; ///< one line; "" when idle
    std::vector<WatchedProject> projects;
};

/// The status file beside the state database.
[[nodiscard]] std::filesystem::path watch_status_path(const std::filesystem::path& state_dir);

/// Writes `state` to `file` atomically (temporary file + rename, mode 0600).
Status write_watch_state(const std::filesystem::path& file, const WatchState& state);
/// Reads a status file. Errors: not_found when missing, parse when it is not one (bounded:
/// at most 1 MiB is read).
Result<WatchState> read_watch_state(const std::filesystem::path& file);

} // namespace fios::watch
