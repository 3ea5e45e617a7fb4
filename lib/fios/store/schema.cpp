// SPDX-License-Identifier: MIT
#include "fios/store/schema.hpp"

#include <fmt/format.h>

#include <array>

namespace fios::store {

namespace {

// Conventions (docs/journal-schema.md): STRICT tables; our own timestamps are INTEGER
// milliseconds since the Unix epoch (UTC); timestamps copied from the API stay the API's
// ISO 8601 text; ids are the API's text ids.
constexpr std::string_view k_v1_sql = R"sql(
CREATE TABLE projects (
    id            TEXT    NOT NULL PRIMARY KEY,
    team_id       TEXT    NOT NULL,
    team_name     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    root_asset_id TEXT    NOT NULL,
    file_count    INTEGER NOT NULL DEFAULT 0,
    folder_count  INTEGER NOT NULL DEFAULT 0,
    storage       INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT    NOT NULL DEFAULT '',
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX projects_by_team ON projects (team_id);

CREATE TABLE selections (
    project_id  TEXT    NOT NULL PRIMARY KEY REFERENCES projects (id),
    local_path  TEXT    NOT NULL UNIQUE,
    selected_at INTEGER NOT NULL
) STRICT;

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    result      TEXT,
    counts      TEXT    NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX runs_by_start ON runs (started_at);
)sql";

// Issue 4: the sync journal (lib/fios/store/journal.hpp; docs/journal-schema.md). Times of
// local files and of journal decisions are INTEGER nanoseconds since the Unix epoch (UTC), so
// an mtime survives to the nanosecond; other times of ours stay milliseconds.
constexpr std::string_view k_v2_sql = R"sql(
CREATE TABLE journal_records (
    project_id       TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    kind             INTEGER NOT NULL,
    asset_id         TEXT    NOT NULL DEFAULT '',
    stack_id         TEXT    NOT NULL DEFAULT '',
    size             INTEGER NOT NULL DEFAULT 0,
    local_mtime_ns   INTEGER NOT NULL DEFAULT 0,
    inode            INTEGER NOT NULL DEFAULT 0,
    xxh64            TEXT,
    verified         INTEGER NOT NULL DEFAULT 0,
    state            INTEGER NOT NULL DEFAULT 0,
    direction        INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_retry_at_ns INTEGER,
    deleted_locally  INTEGER NOT NULL DEFAULT 0,
    deleted_remotely INTEGER NOT NULL DEFAULT 0,
    conflict         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE upload_sessions (
    project_id     TEXT    NOT NULL,
    path           TEXT    NOT NULL,
    asset_id       TEXT    NOT NULL,
    parent_id      TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    filetype       TEXT    NOT NULL DEFAULT '',
    filesize       INTEGER NOT NULL,
    local_mtime_ns INTEGER NOT NULL,
    inode          INTEGER NOT NULL,
    created_at_ns  INTEGER NOT NULL,
    urls_expire_ns INTEGER,
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE upload_parts (
    project_id TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    part       INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    byte_length INTEGER NOT NULL,
    url        TEXT    NOT NULL,
    done       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, path, part),
    FOREIGN KEY (project_id, path) REFERENCES upload_sessions (project_id, path)
        ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE download_temps (
    project_id    TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    temp_name     TEXT    NOT NULL,
    asset_id      TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    started_at_ns INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE observations (
    project_id    TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    first_seen_ns INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE local_hashes (
    project_id TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    inode      INTEGER NOT NULL,
    xxh64      TEXT    NOT NULL,
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE failures (
    project_id        TEXT    NOT NULL,
    path              TEXT    NOT NULL,
    count             INTEGER NOT NULL,
    last_error        TEXT    NOT NULL DEFAULT '',
    last_failed_at_ns INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE discovery (
    project_id    TEXT    NOT NULL PRIMARY KEY,
    local_path    TEXT    NOT NULL,
    file_count    INTEGER NOT NULL,
    folder_count  INTEGER NOT NULL,
    updated_at    TEXT    NOT NULL,
    local_digest  TEXT    NOT NULL,
    agreed_at_ns  INTEGER NOT NULL
) STRICT;

CREATE TABLE project_runs (
    project_id      TEXT    NOT NULL PRIMARY KEY,
    run_id          INTEGER NOT NULL,
    finished_at_ns  INTEGER NOT NULL,
    result          TEXT    NOT NULL,
    counts          TEXT    NOT NULL DEFAULT '{}',
    pending         INTEGER NOT NULL DEFAULT 0,
    skipped_names   INTEGER NOT NULL DEFAULT 0,
    changed_locally INTEGER NOT NULL DEFAULT 0,
    remote_changed  INTEGER NOT NULL DEFAULT 0,
    conflicts       INTEGER NOT NULL DEFAULT 0
) STRICT;
)sql";

// Issue 4: creates whose answer was lost and that were started over. A create still in
// flight when its process died can land after the next run looked for it; later runs look
// again (store::Journal::lost_creates).
constexpr std::string_view k_v3_sql = R"sql(
CREATE TABLE lost_creates (
    project_id TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    parent_id  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    filesize   INTEGER NOT NULL,
    since_ns   INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
) STRICT, WITHOUT ROWID;
)sql";

// Issue 8: which Frame.io API generation ('v2' or 'v4') and which account a project was listed
// from, and a selection was made under. Rows of an older database were all V2, and V2 rows did
// not keep their account: 'v2' and '' (unknown until the next listing).
constexpr std::string_view k_v4_sql = R"sql(
ALTER TABLE projects ADD COLUMN generation TEXT NOT NULL DEFAULT 'v2'
    CHECK (generation IN ('v2', 'v4'));
ALTER TABLE projects ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE selections ADD COLUMN generation TEXT NOT NULL DEFAULT 'v2'
    CHECK (generation IN ('v2', 'v4'));
ALTER TABLE selections ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
CREATE INDEX selections_by_generation ON selections (generation);
)sql";

// Issue 9: the local folder a project's journal rows were recorded for. Rows describe what one
// folder and Frame.io agreed on; applied to another folder they would make every file look
// deleted there (store::Journal::bind_folder). A selected project's rows were recorded for its
// selected folder (a project could not change folder without unselecting). The rows of an
// unselected project stay unbound: the engine compares them with the folder's files when the
// project is selected again (docs/journal-schema.md, "Version 5").
constexpr std::string_view k_v5_sql = R"sql(
CREATE TABLE journal_folders (
    project_id TEXT NOT NULL PRIMARY KEY,
    local_path TEXT NOT NULL
) STRICT;
INSERT INTO journal_folders (project_id, local_path)
    SELECT project_id, local_path FROM selections;
)sql";

constexpr std::array k_migrations{
    Migration{1, "projects, selections and runs", k_v1_sql},
    Migration{2,
              "sync journal: records, upload sessions, downloads, observations, hashes, "
              "failures, discovery, project runs",
              k_v2_sql},
    Migration{3, "sync journal: lost creates to look for again", k_v3_sql},
    Migration{4, "API generation and account of projects and selections", k_v4_sql},
    Migration{5, "the local folder each project's journal was recorded for", k_v5_sql},
};

} // namespace

std::span<const Migration> migrations() {
    return k_migrations;
}

int latest_schema_version() {
    return k_migrations.back().version;
}

Result<int> schema_version(Db& db) {
    auto st = db.cached("PRAGMA user_version");
    if (!st)
        return st.error();
    auto row = (*st)->step();
    if (!row)
        return row.error();
    const auto version = *row ? (*st)->column_int64(0) : 0;
    (*st)->reset();
    return static_cast<int>(version);
}

Status migrate(Db& db) {
    return migrate(db, migrations());
}

Status migrate(Db& db, std::span<const Migration> steps) {
    const int latest = steps.empty() ? 0 : steps.back().version;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].version != static_cast<int>(i) + 1) {
            return Error{ErrorCode::internal,
                         fmt::format("schema migration #{} has version {} (expected {})", i + 1,
                                     steps[i].version, i + 1)};
        }
    }
    auto refuse_newer = [&](int found) {
        return Error{ErrorCode::db,
                     fmt::format("the state database {} has schema version {}, but this "
                                 "frameio-sync knows versions up to {}: {}; upgrade frameio-sync "
                                 "(the file was left as it is)",
                                 db.path().string(), found, latest, detail::k_newer_text)};
    };

    auto current = schema_version(db);
    if (!current)
        return current.error();
    if (*current > latest)
        return refuse_newer(*current);

    for (const Migration& step : steps) {
        if (step.version <= *current)
            continue;
        auto tx = Transaction::begin(db, Transaction::Kind::immediate);
        if (!tx)
            return tx.error();
        // Another process may have migrated while we waited for the write lock.
        auto now = schema_version(db);
        if (!now)
            return now.error();
        if (*now > latest)
            return refuse_newer(*now);
        if (*now >= step.version) {
            *current = *now;
            if (auto s = tx->rollback(); !s)
                return s.error();
            continue;
        }
        const auto context = fmt::format("migrating the state database {} to version {} ({})",
                                         db.path().string(), step.version, step.description);
        if (auto s = db.exec(step.sql); !s)
            return s.error().with_context(context);
        if (step.apply) {
            if (auto s = step.apply(db); !s)
                return s.error().with_context(context);
        }
        if (auto s = db.exec(fmt::format("PRAGMA user_version = {}", step.version)); !s) {
            return s.error().with_context(context);
        }
        if (auto s = tx->commit(); !s)
            return s.error().with_context(context);
        *current = step.version;
    }
    return {};
}

} // namespace fios::store
