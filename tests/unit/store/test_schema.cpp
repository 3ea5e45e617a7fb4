// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/store/schema.hpp"
#include "fios/store/sqlite.hpp"
#include "fios/store/state_db.hpp"

#include <catch2/catch.hpp>

#include <array>
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
