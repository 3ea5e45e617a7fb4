// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/model/rel_path.hpp"
#include "fios/store/journal.hpp"
#include "fios/store/schema.hpp"
#include "fios/store/sqlite.hpp"
#include "fios/store/state_db.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <span>
#include <string>

using fios::ErrorCode;
using fios::store::Db;
using fios::store::Migration;
using fios::test::TempDir;

namespace {

bool table_exists(Db& db, const std::string& name) {
    auto st = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    REQUIRE(st);
    st->bind(1, name);
    auto row = st->step();
    REQUIRE(row);
    REQUIRE(*row);
    return st->column_int64(0) == 1;
}

int version_of(Db& db) {
    auto v = fios::store::schema_version(db);
    REQUIRE(v);
    return *v;
}

} // namespace

TEST_CASE("the built-in migrations are numbered 1..N without gaps", "[store][schema]") {
    auto steps = fios::store::migrations();
    REQUIRE_FALSE(steps.empty());
    for (std::size_t i = 0; i < steps.size(); ++i) {
        CHECK(steps[i].version == static_cast<int>(i) + 1);
        CHECK_FALSE(steps[i].description.empty());
    }
    CHECK(fios::store::latest_schema_version() == steps.back().version);
}

TEST_CASE("docs/journal-schema.md lists every migration", "[store][schema]") {
    const std::string doc = fios::test::read_file(std::filesystem::path(FIOS_TEST_SOURCE_DIR) /
                                                  "docs" / "journal-schema.md");
    for (const Migration& m : fios::store::migrations()) {
        INFO("migration " << m.version);
        CHECK(doc.find("| " + std::to_string(m.version) + " |") != std::string::npos);
    }
}

TEST_CASE("migrating an empty database creates every table at the latest version",
          "[store][schema]") {
    TempDir dir;
    auto db = Db::open(dir / "state.db");
    REQUIRE(db);
    CHECK(version_of(*db) == 0);
    REQUIRE(fios::store::migrate(*db));
    CHECK(version_of(*db) == fios::store::latest_schema_version());
    for (const char* t : {"projects", "selections", "runs"}) {
        INFO(t);
        CHECK(table_exists(*db, t));
    }
}

TEST_CASE("re-opening and migrating again is idempotent and keeps data", "[store][schema]") {
    TempDir dir;
    const auto path = dir / "state.db";
    fios::FakeClock clock;
    {
        auto sdb = fios::store::StateDb::open(path, clock);
        REQUIRE(sdb);
        auto run = sdb->begin_run("sync --once");
        REQUIRE(run);
    }
    {
        auto db = Db::open(path);
        REQUIRE(db);
        REQUIRE(fios::store::migrate(*db));
        REQUIRE(fios::store::migrate(*db));
        CHECK(version_of(*db) == fios::store::latest_schema_version());
    }
    auto sdb = fios::store::StateDb::open(path, clock);
    REQUIRE(sdb);
    auto last = sdb->last_run();
    REQUIRE(last);
    REQUIRE(last->has_value());
    CHECK((*last)->command == "sync --once");
}

TEST_CASE("a database from a newer frameio-sync is refused", "[store][schema]") {
    TempDir dir;
    const auto path = dir / "state.db";
    const int newer = fios::store::latest_schema_version() + 3;
    {
        auto db = Db::open(path);
        REQUIRE(db);
        REQUIRE(db->exec("PRAGMA user_version = " + std::to_string(newer)));
    }
    fios::FakeClock clock;
    auto sdb = fios::store::StateDb::open(path, clock);
    REQUIRE_FALSE(sdb);
    CHECK(sdb.error().code == ErrorCode::db);
    const auto& m = sdb.error().message;
    INFO(m);
    CHECK(m.find("created by a newer frameio-sync; upgrade") != std::string::npos);
    CHECK(m.find(std::to_string(newer)) != std::string::npos);
    CHECK(m.find(path.string()) != std::string::npos);
    CHECK(fios::store::db_trouble(sdb.error()) == fios::store::DbTrouble::unusable);
    // Refusing changed nothing.
    auto db = Db::open(path);
    REQUIRE(db);
    CHECK(version_of(*db) == newer);
}

namespace {
constexpr std::array k_steps_ok{
    Migration{1, "one", "CREATE TABLE a (x INTEGER) STRICT;"},
    Migration{2, "two", "CREATE TABLE b (x INTEGER) STRICT; INSERT INTO a VALUES (2);"},
};
constexpr std::array k_steps_broken{
    Migration{1, "one", "CREATE TABLE a (x INTEGER) STRICT;"},
    Migration{2, "two", "CREATE TABLE b (x INTEGER) STRICT; INSERT INTO a VALUES (2);"},
    Migration{3, "three", "CREATE TABLE c (x INTEGER); INSERT INTO nowhere VALUES (1);"},
};
constexpr std::array k_steps_gap{
    Migration{1, "one", "CREATE TABLE a (x INTEGER);"},
    Migration{3, "three", "CREATE TABLE c (x INTEGER);"},
};
fios::Status add_row(Db& db) {
    return db.exec("INSERT INTO a VALUES (42)");
}
constexpr std::array k_steps_with_code{
    Migration{1, "one", "CREATE TABLE a (x INTEGER);"},
    Migration{2, "code", "", add_row},
};
} // namespace

TEST_CASE("migrations apply in order, each step atomically", "[store][schema]") {
    TempDir dir;
    auto db = Db::open(dir / "m.db");
    REQUIRE(db);
    REQUIRE(fios::store::migrate(*db, std::span<const Migration>(k_steps_ok).first(1)));
    CHECK(version_of(*db) == 1);
    CHECK(table_exists(*db, "a"));
    CHECK_FALSE(table_exists(*db, "b"));

    REQUIRE(fios::store::migrate(*db, k_steps_ok));
    CHECK(version_of(*db) == 2);
    CHECK(table_exists(*db, "b"));

    // Step 3 fails half-way: its table must not exist and the version stays at 2.
    auto r = fios::store::migrate(*db, k_steps_broken);
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.find("to version 3 (three)") != std::string::npos);
    CHECK(version_of(*db) == 2);
    CHECK_FALSE(table_exists(*db, "c"));
    CHECK_FALSE(db->in_transaction());
}

TEST_CASE("a migration may carry a C++ step", "[store][schema]") {
    TempDir dir;
    auto db = Db::open(dir / "m.db");
    REQUIRE(db);
    REQUIRE(fios::store::migrate(*db, k_steps_with_code));
    CHECK(version_of(*db) == 2);
    auto st = db->prepare("SELECT x FROM a");
    REQUIRE(st);
    auto row = st->step();
    REQUIRE(row);
    REQUIRE(*row);
    CHECK(st->column_int64(0) == 42);
}

TEST_CASE("a migration list with a gap is a bug and is refused", "[store][schema]") {
    TempDir dir;
    auto db = Db::open(dir / "m.db");
    REQUIRE(db);
    auto r = fios::store::migrate(*db, k_steps_gap);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::internal);
    CHECK(version_of(*db) == 0);
}

TEST_CASE("a second connection to a migrated file finds nothing to do", "[store][schema]") {
    TempDir dir;
    auto a = Db::open(dir / "m.db");
    auto b = Db::open(dir / "m.db");
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(fios::store::migrate(*a, k_steps_ok));
    REQUIRE(fios::store::migrate(*b, k_steps_ok));
    CHECK(version_of(*b) == 2);
}

// --- schema version 4: API generation and account ---------------------------------------------

namespace {

/// Runs one statement on a raw connection (building a database as an older build left it).
void exec(Db& db, const std::string& sql) {
    auto s = db.exec(sql);
    INFO(sql);
    REQUIRE(s);
}

std::string text_of(Db& db, const std::string& sql) {
    auto st = db.prepare(sql);
    REQUIRE(st);
    auto row = st->step();
    REQUIRE(row);
    REQUIRE(*row);
    return st->column_text(0);
}

} // namespace

TEST_CASE("a V2 database of schema version 3 migrates to 4 with v2 filled in and keeps working",
          "[store][schema]") {
    TempDir dir;
    const auto path = dir / "state.db";
    {
        // The database as the previous build left it: steps 1..3 and V2 rows in every table
        // that identifies a project.
        auto db = Db::open(path);
        REQUIRE(db);
        REQUIRE(fios::store::migrate(*db, fios::store::migrations().first(3)));
        REQUIRE(version_of(*db) == 3);
        exec(*db, "INSERT INTO projects (id, team_id, team_name, name, root_asset_id, file_count, "
                  "folder_count, storage, updated_at, first_seen_at, last_seen_at) VALUES "
                  "('p1', 't1', 'Team', 'One', 'root-1', 2, 1, 10, '2024-01-01T00:00:00Z', 5, 6), "
                  "('p2', 't1', 'Team', 'Two', 'root-2', 0, 0, 0, '', 5, 6)");
        exec(*db, "INSERT INTO selections (project_id, local_path, selected_at) "
                  "VALUES ('p1', '/data/one', 7)");
        exec(*db, "INSERT INTO runs (command, started_at, finished_at, result) "
                  "VALUES ('sync --once', 8, 9, 'ok')");
        exec(*db, "INSERT INTO journal_records (project_id, path, kind, asset_id, size, xxh64, "
                  "verified) VALUES ('p1', 'a/b.mov', 0, 'asset-1', 3, '0123456789abcdef', 1)");
    }

    fios::FakeClock clock;
    auto sdb = fios::store::StateDb::open(path, clock);
    REQUIRE(sdb);
    CHECK(version_of(sdb->db()) == fios::store::latest_schema_version());

    // Old rows are V2, with no account known yet.
    auto projects = sdb->projects();
    REQUIRE(projects);
    REQUIRE(projects->size() == 2);
    for (const auto& p : *projects) {
        CHECK(p.info.generation == fios::store::Generation::v2);
        CHECK(p.info.account_id.empty());
    }
    CHECK((*projects)[0].info.root_asset_id == "root-1");
    auto sel = sdb->find_selection("p1");
    REQUIRE(sel);
    REQUIRE(sel->has_value());
    CHECK((*sel)->local_path == "/data/one");
    CHECK((*sel)->generation == fios::store::Generation::v2);
    CHECK((*sel)->account_id.empty());
    auto v2 = sdb->selections(fios::store::Generation::v2);
    REQUIRE(v2);
    CHECK(v2->size() == 1);
    auto v4 = sdb->selections(fios::store::Generation::v4);
    REQUIRE(v4);
    CHECK(v4->empty());

    // The runs and the journal written before the migration are still read.
    auto last = sdb->last_run();
    REQUIRE(last);
    REQUIRE(last->has_value());
    CHECK((*last)->result == "ok");
    fios::store::Journal journal{sdb->db()};
    auto rec = journal.record("p1", *fios::model::RelPath::parse("a/b.mov"));
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    CHECK((*rec)->asset_id == "asset-1");
    CHECK((*rec)->verified);

    // And it keeps working: a V2 listing that names the account fills it in, on the
    // selection too; a new selection works.
    fios::store::ProjectInfo listed;
    listed.id = "p1";
    listed.team_id = "t1";
    listed.team_name = "Team";
    listed.name = "One";
    listed.root_asset_id = "root-1";
    listed.account_id = "acc-1";
    REQUIRE(sdb->record_projects(std::span(&listed, 1)));
    auto after = sdb->find_selection("p1");
    REQUIRE(after);
    REQUIRE(after->has_value());
    CHECK((*after)->account_id == "acc-1");
    auto second = sdb->select("p2", "/data/two");
    REQUIRE(second);
    CHECK(second->generation == fios::store::Generation::v2);
}

TEST_CASE("schema version 4 refuses a generation other than v2 or v4", "[store][schema]") {
    TempDir dir;
    auto db = Db::open(dir / "state.db");
    REQUIRE(db);
    REQUIRE(fios::store::migrate(*db));
    auto bad = db->exec("INSERT INTO projects (id, team_id, team_name, name, root_asset_id, "
                        "first_seen_at, last_seen_at, generation) "
                        "VALUES ('p', 't', 'T', 'N', 'r', 1, 1, 'v3')");
    CHECK_FALSE(bad);
    exec(*db, "INSERT INTO projects (id, team_id, team_name, name, root_asset_id, first_seen_at, "
              "last_seen_at) VALUES ('p', 't', 'T', 'N', 'r', 1, 1)");
    CHECK(text_of(*db, "SELECT generation FROM projects WHERE id = 'p'") == "v2");
    CHECK(text_of(*db, "SELECT account_id FROM projects WHERE id = 'p'").empty());
}

// --- schema version 5: the folder each journal belongs to ---------------------------------------

TEST_CASE("a database of schema version 4 migrates to 5: a selected project's journal belongs to "
          "its folder, an unselected one's is left unbound",
          "[store][schema]") {
    TempDir dir;
    const auto path = dir / "state.db";
    {
        auto db = Db::open(path);
        REQUIRE(db);
        REQUIRE(fios::store::migrate(*db, fios::store::migrations().first(4)));
        REQUIRE(version_of(*db) == 4);
        exec(*db, "INSERT INTO projects (id, team_id, team_name, name, root_asset_id, "
                  "first_seen_at, last_seen_at, generation, account_id) VALUES "
                  "('p1', 'w1', 'Work', 'One', 'root-1', 5, 6, 'v4', 'acc-1'), "
                  "('p2', 'w1', 'Work', 'Two', 'root-2', 5, 6, 'v4', 'acc-1')");
        exec(*db, "INSERT INTO selections (project_id, local_path, selected_at, generation, "
                  "account_id) VALUES ('p1', '/data/one', 7, 'v4', 'acc-1')");
        exec(*db, "INSERT INTO journal_records (project_id, path, kind, asset_id, size) VALUES "
                  "('p1', 'a.mov', 0, 'asset-1', 3), ('p2', 'b.mov', 0, 'asset-2', 4)");
    }

    fios::FakeClock clock;
    auto sdb = fios::store::StateDb::open(path, clock);
    REQUIRE(sdb);
    CHECK(version_of(sdb->db()) == fios::store::latest_schema_version());
    CHECK(table_exists(sdb->db(), "journal_folders"));
    fios::store::Journal journal{sdb->db()};
    CHECK(*journal.folder("p1") == std::optional<std::string>("/data/one"));
    CHECK_FALSE(*journal.folder("p2"));

    // The selected project goes on as before: selecting it there again keeps its rows.
    REQUIRE(*sdb->unselect("p1"));
    fios::store::JournalBinding b;
    REQUIRE(sdb->select("p1", "/data/one", &b));
    CHECK(b.outcome == fios::store::FolderBinding::kept);
    CHECK(journal.records("p1")->size() == 1);
    // The unselected one's rows are kept for the engine to judge against the folder's files.
    REQUIRE(sdb->select("p2", "/data/two", &b));
    CHECK(b.outcome == fios::store::FolderBinding::unknown);
    CHECK(b.records == 1);
    CHECK(journal.records("p2")->size() == 1);
}
