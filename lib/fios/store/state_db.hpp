// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/store/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fios::store {

/// A project as a listing reports it (GET /v2/teams/:id/projects and shared projects).
struct ProjectInfo {
    std::string id;
    std::string team_id;
    std::string team_name;
    std::string name;
    std::string root_asset_id;
    std::int64_t file_count = 0;
    std::int64_t folder_count = 0;
    std::int64_t storage = 0; ///< bytes
    std::string updated_at;   ///< the API's ISO 8601 text, compared as-is for change detection
};

/// A project the state database has seen in some listing.
struct KnownProject {
    ProjectInfo info;
    Clock::time_point first_seen_at;
    Clock::time_point last_seen_at;
};

/// A selected project and its local folder.
struct Selection {
    std::string project_id;
    std::filesystem::path local_path; ///< absolute and lexically normal, no trailing '/'
    Clock::time_point selected_at;
    // From the project's row, for listings:
    std::string project_name;
    std::string team_id;
    std::string team_name;
    std::string root_asset_id;
};

/// One `sync` run, for `status`.
struct RunRecord {
    std::int64_t id = 0;
    std::string command; ///< e.g. "sync --once"
    Clock::time_point started_at;
    std::optional<Clock::time_point> finished_at; ///< empty while running, or if it crashed
    std::optional<std::string> result;            ///< empty while running, or if it crashed
    std::string counts_json;                      ///< a JSON object; "{}" when none
};

/// The folder a selection would use: `path` made lexically normal, without a trailing
/// separator. Errors (ErrorCode::invalid_config) for an empty or relative path.
/// Lexical only: the CLI should pass an already resolved path (std::filesystem::weakly_canonical)
/// so that two spellings of one folder through a symlink are recognised as the same.
Result<std::filesystem::path> normalise_selection_path(const std::filesystem::path& path);

/// True when `a` and `b` (normalised) are equal or one is inside the other, component-wise
/// (/a/foo and /a/foobar do not overlap).
bool folders_overlap(const std::filesystem::path& a, const std::filesystem::path& b);

/// The state database: a typed API over the sqlite file in the state directory. No SQL at call
/// sites. Opening migrates the schema (see schema.hpp).
///
/// Thread-safety: not thread-safe. One thread uses a StateDb at a time (the sync engine's
/// writer thread). Several processes may open the same file at once (a `status` beside a
/// `sync --watch`): sqlite's WAL mode and busy timeout serialise their writes.
class StateDb {
public:
    /// Opens or creates the database at `path`, creating its parent folder (mode 0700) when
    /// missing, and migrates it to this build's schema. `clock` stamps first/last seen,
    /// selection and run times; it must outlive the StateDb.
    static Result<StateDb> open(const std::filesystem::path& path, const Clock& clock,
                                const OpenOptions& options = {});

    // --- known projects ---------------------------------------------------------------------

    /// Inserts or updates every project of a listing (one transaction). New rows get
    /// first_seen_at = now; every row listed gets last_seen_at = now. Projects missing from the
    /// listing are kept. Returns the ids seen for the first time, in input order.
    Result<std::vector<std::string>> record_projects(std::span<const ProjectInfo> listing);
    /// Every known project, ordered by team name, then project name, then id.
    Result<std::vector<KnownProject>> projects();
    Result<std::optional<KnownProject>> find_project(std::string_view project_id);

    // --- selections -------------------------------------------------------------------------

    /// Selects a known project into `local_path` (absolute; normalised here). Selecting a
    /// project again into the same folder is a no-op returning the existing selection.
    /// Errors: invalid_config for a relative path; not_found for a project never recorded
    /// (record_projects first); conflict when the project is already selected into another
    /// folder (unselect it first), or when the folder overlaps another selection's folder
    /// (equal, inside, or containing it): the message names both projects and folders.
    Result<Selection> select(std::string_view project_id, const std::filesystem::path& local_path);
    /// Removes the project's selection row; nothing on disk is touched. Returns false when the
    /// project was not selected.
    Result<bool> unselect(std::string_view project_id);
    /// Every selection with its project's names, ordered by team name, project name, id.
    Result<std::vector<Selection>> selections();
    Result<std::optional<Selection>> find_selection(std::string_view project_id);

    // --- runs -------------------------------------------------------------------------------

    /// Records the start of a run; returns its id.
    Result<std::int64_t> begin_run(std::string_view command);
    /// Records how a run ended. `result` is a short word ("ok", "partial", "failed",
    /// "interrupted"); `counts_json` a JSON object the caller builds (stored as given).
    Status finish_run(std::int64_t run_id, std::string_view result, std::string_view counts_json);
    /// The most recently started run, if any.
    Result<std::optional<RunRecord>> last_run();
    /// Up to `limit` runs, newest first.
    Result<std::vector<RunRecord>> recent_runs(std::size_t limit);

    /// The connection, for modules that add tables through later migrations (the journal).
    [[nodiscard]] Db& db() { return m_db; }
    [[nodiscard]] const std::filesystem::path& path() const { return m_db.path(); }

private:
    StateDb(Db db, const Clock& clock) : m_db(std::move(db)), m_clock(&clock) {}
    [[nodiscard]] std::int64_t now_ms() const;

    Db m_db;
    const Clock* m_clock;
};

} // namespace fios::store
