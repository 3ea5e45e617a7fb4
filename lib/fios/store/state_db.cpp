// SPDX-License-Identifier: MIT
#include "fios/store/state_db.hpp"

#include "fios/store/journal.hpp"
#include "fios/store/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <system_error>

namespace fios::store {

namespace {

std::int64_t to_ms(Clock::time_point t) {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Clock::time_point from_ms(std::int64_t ms) {
    return Clock::time_point(std::chrono::milliseconds(ms));
}

/// Creates `dir` and any missing parents with mode 0700 (the XDG rule for state folders);
/// existing folders are left as they are.
Status create_private_dirs(const std::filesystem::path& dir) {
    if (dir.empty())
        return {};
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec))
        return {};
    if (dir.has_parent_path() && dir.parent_path() != dir) {
        if (auto s = create_private_dirs(dir.parent_path()); !s)
            return s;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        const int err = errno;
        return Error{ErrorCode::io, fmt::format("cannot create the state directory {}: {}",
                                                dir.string(), std::strerror(err))};
    }
    return {};
}

std::string describe_project(const std::string& team_name, const std::string& name,
                             const std::string& id) {
    return fmt::format("'{}/{}' (id {})", team_name, name, id);
}

/// The column's text as a Generation. The CHECK constraint of schema version 4 admits only
/// 'v2' and 'v4'.
Generation read_generation(const Statement& st, int column) {
    return st.column_text(column) == "v4" ? Generation::v4 : Generation::v2;
}

// Column lists shared by the queries below and the readers that decode them.
constexpr std::string_view k_project_columns =
    "p.id, p.team_id, p.team_name, p.name, p.root_asset_id, p.file_count, p.folder_count, "
    "p.storage, p.updated_at, p.first_seen_at, p.last_seen_at, p.generation, p.account_id";

KnownProject read_project(const Statement& st) {
    KnownProject p;
    p.info.id = st.column_text(0);
    p.info.team_id = st.column_text(1);
    p.info.team_name = st.column_text(2);
    p.info.name = st.column_text(3);
    p.info.root_asset_id = st.column_text(4);
    p.info.file_count = st.column_int64(5);
    p.info.folder_count = st.column_int64(6);
    p.info.storage = st.column_int64(7);
    p.info.updated_at = st.column_text(8);
    p.first_seen_at = from_ms(st.column_int64(9));
    p.last_seen_at = from_ms(st.column_int64(10));
    p.info.generation = read_generation(st, 11);
    p.info.account_id = st.column_text(12);
    return p;
}

constexpr std::string_view k_selection_columns =
    "s.project_id, s.local_path, s.selected_at, p.name, p.team_id, p.team_name, p.root_asset_id, "
    "s.generation, s.account_id";

Selection read_selection(const Statement& st) {
    Selection s;
    s.project_id = st.column_text(0);
    s.local_path = std::filesystem::path(st.column_text(1));
    s.selected_at = from_ms(st.column_int64(2));
    s.project_name = st.column_text(3);
    s.team_id = st.column_text(4);
    s.team_name = st.column_text(5);
    s.root_asset_id = st.column_text(6);
    s.generation = read_generation(st, 7);
    s.account_id = st.column_text(8);
    return s;
}

constexpr std::string_view k_run_columns = "id, command, started_at, finished_at, result, counts";

RunRecord read_run(const Statement& st) {
    RunRecord r;
    r.id = st.column_int64(0);
    r.command = st.column_text(1);
    r.started_at = from_ms(st.column_int64(2));
    if (auto f = st.column_optional_int64(3))
        r.finished_at = from_ms(*f);
    r.result = st.column_optional_text(4);
    r.counts_json = st.column_text(5);
    return r;
}

/// Runs a query and decodes every row with `read`.
template <class T, class Read>
Result<std::vector<T>> collect(Statement& st, Read read) {
    std::vector<T> out;
    for (;;) {
        auto row = st.step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        out.push_back(read(st));
    }
    st.reset();
    return out;
}

/// Runs a query expected to return at most one row.
template <class T, class Read>
Result<std::optional<T>> first_row(Statement& st, Read read) {
    auto row = st.step();
    if (!row)
        return row.error();
    std::optional<T> out;
    if (*row)
        out = read(st);
    st.reset();
    return out;
}

} // namespace

std::string_view to_string(Generation generation) {
    switch (generation) {
    case Generation::v2:
        return "v2";
    case Generation::v4:
        return "v4";
    }
    return "v2";
}

std::optional<Generation> parse_generation(std::string_view text) {
    if (text == "v2")
        return Generation::v2;
    if (text == "v4")
        return Generation::v4;
    return std::nullopt;
}

Result<std::filesystem::path> normalise_selection_path(const std::filesystem::path& path) {
    if (path.empty()) {
        return Error{ErrorCode::invalid_config, "the local folder of a selection is empty"};
    }
    if (!path.is_absolute()) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the local folder of a selection must be an absolute path, "
                                 "not '{}'",
                                 path.string())};
    }
    auto p = path.lexically_normal();
    // "/a/b/" normalises to "/a/b/" (an empty last element): drop it, but keep "/" itself.
    if (!p.has_filename() && p != p.root_path())
        p = p.parent_path();
    return p;
}

bool folders_overlap(const std::filesystem::path& a, const std::filesystem::path& b) {
    auto ai = a.begin();
    auto bi = b.begin();
    for (; ai != a.end() && bi != b.end(); ++ai, ++bi) {
        if (*ai != *bi)
            return false;
    }
    return true; // one ran out: it is a prefix (ancestor or equal) of the other
}

Result<StateDb> StateDb::open(const std::filesystem::path& path, const Clock& clock,
                              const OpenOptions& options) {
    if (path.has_parent_path()) {
        if (auto s = create_private_dirs(path.parent_path()); !s)
            return s.error();
    }
    auto db = Db::open(path, options);
    if (!db)
        return db.error();
    if (auto s = migrate(*db); !s)
        return s.error();
    return StateDb(std::move(*db), clock);
}

std::int64_t StateDb::now_ms() const {
    return to_ms(m_clock->now());
}

// --- projects -------------------------------------------------------------------------------

Result<std::vector<std::string>> StateDb::record_projects(std::span<const ProjectInfo> listing) {
    for (const ProjectInfo& p : listing) {
        if (p.generation == Generation::v4 && p.account_id.empty()) {
            return Error{ErrorCode::internal,
                         fmt::format("V4 project {} was listed without its account id", p.id)};
        }
    }
    auto tx = Transaction::begin(m_db);
    if (!tx)
        return tx.error();
    const auto now = now_ms();
    std::vector<std::string> fresh;
    for (const ProjectInfo& p : listing) {
        auto insert = m_db.cached(
            "INSERT INTO projects (id, team_id, team_name, name, root_asset_id, file_count, "
            "folder_count, storage, updated_at, first_seen_at, last_seen_at, generation, "
            "account_id) "
            "VALUES (:id, :team_id, :team_name, :name, :root, :files, :folders, :storage, "
            ":updated, :now, :now, :generation, :account) ON CONFLICT (id) DO NOTHING");
        if (!insert)
            return insert.error();
        Statement& ins = **insert;
        ins.bind(":id", p.id)
            .bind(":team_id", p.team_id)
            .bind(":team_name", p.team_name)
            .bind(":name", p.name)
            .bind(":root", p.root_asset_id)
            .bind(":files", p.file_count)
            .bind(":folders", p.folder_count)
            .bind(":storage", p.storage)
            .bind(":updated", p.updated_at)
            .bind(":now", now)
            .bind(":generation", to_string(p.generation))
            .bind(":account", p.account_id);
        if (auto s = ins.run(); !s)
            return s.error();
        if (m_db.changes() == 1) {
            fresh.push_back(p.id);
            continue;
        }
        auto update = m_db.cached(
            "UPDATE projects SET team_id = :team_id, team_name = :team_name, name = :name, "
            "root_asset_id = :root, file_count = :files, folder_count = :folders, "
            "storage = :storage, updated_at = :updated, last_seen_at = :now, "
            "generation = :generation, account_id = :account WHERE id = :id");
        if (!update)
            return update.error();
        Statement& up = **update;
        up.bind(":id", p.id)
            .bind(":team_id", p.team_id)
            .bind(":team_name", p.team_name)
            .bind(":name", p.name)
            .bind(":root", p.root_asset_id)
            .bind(":files", p.file_count)
            .bind(":folders", p.folder_count)
            .bind(":storage", p.storage)
            .bind(":updated", p.updated_at)
            .bind(":now", now)
            .bind(":generation", to_string(p.generation))
            .bind(":account", p.account_id);
        if (auto s = up.run(); !s)
            return s.error();
        if (p.account_id.empty())
            continue;
        // A selection from before schema version 4 learns its account from the listing.
        auto adopt = m_db.cached("UPDATE selections SET account_id = :account "
                                 "WHERE project_id = :id AND generation = :generation "
                                 "AND account_id = ''");
        if (!adopt)
            return adopt.error();
        (*adopt)
            ->bind(":id", p.id)
            .bind(":generation", to_string(p.generation))
            .bind(":account", p.account_id);
        if (auto s = (*adopt)->run(); !s)
            return s.error();
    }
    if (auto s = tx->commit(); !s)
        return s.error();
    return fresh;
}

Result<std::vector<KnownProject>> StateDb::projects() {
    auto st = m_db.cached(fmt::format("SELECT {} FROM projects p "
                                      "ORDER BY p.team_name, p.name, p.id",
                                      k_project_columns));
    if (!st)
        return st.error();
    return collect<KnownProject>(**st, read_project);
}

Result<std::optional<KnownProject>> StateDb::find_project(std::string_view project_id) {
    auto st =
        m_db.cached(fmt::format("SELECT {} FROM projects p WHERE p.id = ?1", k_project_columns));
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    return first_row<KnownProject>(**st, read_project);
}

// --- selections -----------------------------------------------------------------------------

Result<Selection> StateDb::select(std::string_view project_id,
                                  const std::filesystem::path& local_path,
                                  JournalBinding* journal) {
    auto folder = normalise_selection_path(local_path);
    if (!folder)
        return folder.error();

    auto tx = Transaction::begin(m_db);
    if (!tx)
        return tx.error();

    auto project = find_project(project_id);
    if (!project)
        return project.error();
    if (!*project) {
        return Error{ErrorCode::not_found,
                     fmt::format("project id {} is not known to the state database; list the "
                                 "projects first (`frameio-sync projects`)",
                                 project_id)};
    }
    const ProjectInfo& info = (*project)->info;
    const std::string me = describe_project(info.team_name, info.name, info.id);

    // The journal follows the folder: bound to it, or dropped when it was recorded for
    // another folder (docs/journal-schema.md, "Version 5").
    auto bind_journal = [&]() -> Status {
        auto bound = Journal(m_db).bind_folder(project_id, folder->string());
        if (!bound)
            return bound.error();
        if (journal != nullptr)
            *journal = std::move(*bound);
        return tx->commit();
    };

    auto existing = selections();
    if (!existing)
        return existing.error();
    for (const Selection& other : *existing) {
        if (other.project_id == project_id) {
            if (other.local_path == *folder) { // already selected there
                if (auto s = bind_journal(); !s)
                    return s.error();
                return other;
            }
            return Error{ErrorCode::conflict,
                         fmt::format("project {} is already selected into {}; run "
                                     "`frameio-sync unselect {}` first to select it into {}",
                                     me, other.local_path.string(), info.id, folder->string())};
        }
    }
    for (const Selection& other : *existing) {
        if (!folders_overlap(*folder, other.local_path))
            continue;
        std::string relation;
        if (*folder == other.local_path) {
            relation = "is already";
        } else if (std::distance(folder->begin(), folder->end()) >
                   std::distance(other.local_path.begin(), other.local_path.end())) {
            relation = fmt::format("is inside {}, which is", other.local_path.string());
        } else {
            relation = fmt::format("contains {}, which is", other.local_path.string());
        }
        return Error{
            ErrorCode::conflict,
            fmt::format("cannot select project {} into {}: that folder {} the folder of "
                        "selected project {}; the folders of two selections may not "
                        "overlap. Choose a folder outside it, or run `frameio-sync "
                        "unselect {}` first",
                        me, folder->string(), relation,
                        describe_project(other.team_name, other.project_name, other.project_id),
                        other.project_id)};
    }

    auto insert = m_db.cached("INSERT INTO selections (project_id, local_path, selected_at, "
                              "generation, account_id) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert)
        return insert.error();
    const auto now = now_ms();
    (*insert)
        ->bind(1, project_id)
        .bind(2, folder->string())
        .bind(3, now)
        .bind(4, to_string(info.generation))
        .bind(5, info.account_id);
    if (auto s = (*insert)->run(); !s)
        return s.error();
    if (auto s = bind_journal(); !s)
        return s.error();

    Selection sel;
    sel.project_id = info.id;
    sel.local_path = *folder;
    sel.selected_at = from_ms(now);
    sel.project_name = info.name;
    sel.team_id = info.team_id;
    sel.team_name = info.team_name;
    sel.root_asset_id = info.root_asset_id;
    sel.generation = info.generation;
    sel.account_id = info.account_id;
    return sel;
}

Result<bool> StateDb::unselect(std::string_view project_id) {
    auto st = m_db.cached("DELETE FROM selections WHERE project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    if (auto s = (*st)->run(); !s)
        return s.error();
    return m_db.changes() > 0;
}

Result<std::vector<Selection>> StateDb::selections() {
    auto st = m_db.cached(fmt::format("SELECT {} FROM selections s JOIN projects p "
                                      "ON p.id = s.project_id "
                                      "ORDER BY p.team_name, p.name, p.id",
                                      k_selection_columns));
    if (!st)
        return st.error();
    return collect<Selection>(**st, read_selection);
}

Result<std::vector<Selection>> StateDb::selections(Generation generation) {
    auto st = m_db.cached(fmt::format("SELECT {} FROM selections s JOIN projects p "
                                      "ON p.id = s.project_id WHERE s.generation = ?1 "
                                      "ORDER BY p.team_name, p.name, p.id",
                                      k_selection_columns));
    if (!st)
        return st.error();
    (*st)->bind(1, to_string(generation));
    return collect<Selection>(**st, read_selection);
}

Result<std::optional<Selection>> StateDb::find_selection(std::string_view project_id) {
    auto st = m_db.cached(fmt::format("SELECT {} FROM selections s JOIN projects p "
                                      "ON p.id = s.project_id WHERE s.project_id = ?1",
                                      k_selection_columns));
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    return first_row<Selection>(**st, read_selection);
}

// --- runs -----------------------------------------------------------------------------------

Result<std::int64_t> StateDb::begin_run(std::string_view command) {
    auto st = m_db.cached("INSERT INTO runs (command, started_at) VALUES (?1, ?2)");
    if (!st)
        return st.error();
    (*st)->bind(1, command).bind(2, now_ms());
    if (auto s = (*st)->run(); !s)
        return s.error();
    const std::int64_t id = m_db.last_insert_rowid();
    // A watch records a run a minute for months: only the newest k_runs_kept are kept. A run
    // still going on is kept longer (a watch runs other projects beside a long transfer: its
    // row must be there for finish_run), up to ten times as many runs later; by then it is
    // one a killed process left unfinished.
    auto prune =
        m_db.cached("DELETE FROM runs WHERE id <= ?1 AND (finished_at IS NOT NULL OR id <= ?2)");
    if (!prune)
        return prune.error();
    (*prune)->bind(1, id - static_cast<std::int64_t>(k_runs_kept));
    (*prune)->bind(2, id - 10 * static_cast<std::int64_t>(k_runs_kept));
    if (auto s = (*prune)->run(); !s)
        return s.error();
    return id;
}

Status StateDb::finish_run(std::int64_t run_id, std::string_view result,
                           std::string_view counts_json) {
    auto st = m_db.cached("UPDATE runs SET finished_at = ?2, result = ?3, counts = ?4 "
                          "WHERE id = ?1");
    if (!st)
        return st.error();
    (*st)
        ->bind(1, run_id)
        .bind(2, now_ms())
        .bind(3, result)
        .bind(4, counts_json.empty() ? std::string_view("{}") : counts_json);
    if (auto s = (*st)->run(); !s)
        return s.error();
    if (m_db.changes() != 1) {
        return Error{ErrorCode::internal, fmt::format("run {} is not in the state database {}",
                                                      run_id, m_db.path().string())};
    }
    return {};
}

Result<std::optional<RunRecord>> StateDb::last_run() {
    auto st = m_db.cached(fmt::format(
        "SELECT {} FROM runs ORDER BY started_at DESC, id DESC LIMIT 1", k_run_columns));
    if (!st)
        return st.error();
    return first_row<RunRecord>(**st, read_run);
}

Result<std::vector<RunRecord>> StateDb::recent_runs(std::size_t limit) {
    auto st = m_db.cached(fmt::format(
        "SELECT {} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1", k_run_columns));
    if (!st)
        return st.error();
    (*st)->bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000)));
    return collect<RunRecord>(**st, read_run);
}

} // namespace fios::store
