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

struct JournalBinding; // journal.hpp

/// The Frame.io API generation a project was listed from and a selection was made under
/// (column `generation`: 'v2' or 'v4'). Rows older than schema version 4 are V2.
enum class Generation { v2, v4 };
/// "v2", "v4": the stored text.
std::string_view to_string(Generation generation);
/// The generation named "v2" or "v4"; std::nullopt for anything else.
std::optional<Generation> parse_generation(std::string_view text);

/// A project as a listing reports it (V2: GET /v2/teams/:id/projects and shared projects; V4:
/// the projects of a workspace, which takes the team's place).
struct ProjectInfo {
    std::string id;
    std::string team_id;   ///< V2 team, V4 workspace
    std::string team_name; ///< V2 team, V4 workspace
    std::string name;
    std::string root_asset_id;
    std::int64_t file_count = 0;
    std::int64_t folder_count = 0;
    std::int64_t storage = 0; ///< bytes
    std::string updated_at;   ///< the API's ISO 8601 text, compared as-is for change detection
    /// The generation of the listing; V2 for callers that do not say.
    Generation generation = Generation::v2;
    /// The account the project belongs to. Required for V4 (its routes are per account); may be
    /// empty for V2 ("unknown": rows from before schema version 4).
    std::string account_id;
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
    /// The generation and account the selection was made under (the project's at select
    /// time): a selection belongs to one backend, whatever later listings report.
    Generation generation = Generation::v2;
    std::string account_id; ///< empty: a V2 selection whose account is not known yet
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
    /// first_seen_at = now; every row listed gets last_seen_at = now; generation and account
    /// are the listing's. A selection of the project with the same generation and no known
    /// account yet (made before schema version 4) takes the listed account. Projects missing
    /// from the listing are kept. Returns the ids seen for the first time, in input order.
    /// Errors: internal for a V4 project without an account id (a caller bug).
    Result<std::vector<std::string>> record_projects(std::span<const ProjectInfo> listing);
    /// Every known project, ordered by team name, then project name, then id.
    Result<std::vector<KnownProject>> projects();
    Result<std::optional<KnownProject>> find_project(std::string_view project_id);

    // --- selections -------------------------------------------------------------------------

    /// Selects a known project into `local_path` (absolute; normalised here), under the
    /// project's generation and account as last recorded. Selecting a project again into the
    /// same folder is a no-op returning the existing selection.
    /// The project's journal is bound to the folder in the same transaction
    /// (Journal::bind_folder): kept when it was recorded for this folder, dropped when it was
    /// recorded for another one (the new folder starts from nothing; files equal to Frame.io's
    /// are adopted by the next sync). `journal`, when given, receives what happened to it.
    /// Errors: invalid_config for a relative path; not_found for a project never recorded
    /// (record_projects first); conflict when the project is already selected into another
    /// folder (unselect it first), or when the folder overlaps another selection's folder
    /// (equal, inside, or containing it): the message names both projects and folders.
    Result<Selection> select(std::string_view project_id, const std::filesystem::path& local_path,
                             JournalBinding* journal = nullptr);
    /// Removes the project's selection row; nothing on disk is touched, and the project's
    /// journal is kept, bound to the folder it was recorded for (selecting the project into that
    /// folder again continues from it). Returns false when the project was not selected.
    Result<bool> unselect(std::string_view project_id);
    /// Every selection with its project's names, ordered by team name, project name, id.
    Result<std::vector<Selection>> selections();
    /// The selections made under `generation`, in the same order.
    Result<std::vector<Selection>> selections(Generation generation);
    Result<std::optional<Selection>> find_selection(std::string_view project_id);

    // --- runs -------------------------------------------------------------------------------

    /// How many runs the runs table keeps (the newest; older ones are deleted by begin_run).
    static constexpr std::size_t k_runs_kept = 1000;
    /// Records the start of a run; returns its id. Deletes runs older than the newest
    /// k_runs_kept, so a watch that runs for months keeps the table bounded.
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
