// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/store/sqlite.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

using fios::ErrorCode;
using fios::store::Db;
using fios::store::Statement;
using fios::store::Transaction;
using fios::test::TempDir;

namespace {

std::string pragma_text(Db& db, const std::string& pragma) {
    auto st = db.prepare("PRAGMA " + pragma);
    REQUIRE(st);
    auto row = st->step();
    REQUIRE(row);
    REQUIRE(*row);
    return st->column_text(0);
}

std::int64_t count_rows(Db& db, const std::string& table) {
    auto st = db.prepare("SELECT count(*) FROM " + table);
    REQUIRE(st);
    auto row = st->step();
    REQUIRE(row);
    REQUIRE(*row);
    return st->column_int64(0);
}

} // namespace

TEST_CASE("Db::open creates a file in WAL mode with foreign keys and synchronous=NORMAL",
          "[store][sqlite]") {
    TempDir dir;
    const auto path = dir / "state.db";
    auto db = Db::open(path);
    REQUIRE(db);
    CHECK(std::filesystem::exists(path));
    CHECK(pragma_text(*db, "journal_mode") == "wal");
    CHECK(pragma_text(*db, "foreign_keys") == "1");
    CHECK(pragma_text(*db, "synchronous") == "1"); // NORMAL
    CHECK(std::stoi(pragma_text(*db, "busy_timeout")) > 0);
    CHECK(db->path() == path);
}

TEST_CASE("Statement binds by index and name and reads every type back", "[store][sqlite]") {
    TempDir dir;
    auto db = Db::open(dir / "t.db");
    REQUIRE(db);
    REQUIRE(db->exec("CREATE TABLE t (i INTEGER, u INTEGER, d REAL, s TEXT, n TEXT, b BLOB, "
                     "e BLOB)"));
    auto ins = db->prepare("INSERT INTO t VALUES (?1, ?2, :d, :s, :n, ?6, ?7)");
    REQUIRE(ins);
    const std::string with_nul("a\0b", 3);
    const std::byte blob[] = {std::byte{0}, std::byte{0xff}, std::byte{7}};
    ins->bind(1, std::int64_t{-42})
        .bind(2, std::numeric_limits<std::uint64_t>::max())
        .bind(":d", 2.5)
        .bind(":s", with_nul)
        .bind(":n", std::optional<std::string>{})
        .bind_blob(6, blob)
        .bind_blob(7, {});
    REQUIRE(ins->run());

    auto sel = db->prepare("SELECT i, u, d, s, n, b, e, typeof(e) FROM t");
    REQUIRE(sel);
    auto row = sel->step();
    REQUIRE(row);
    REQUIRE(*row);
    CHECK(sel->column_count() == 8);
    CHECK(sel->column_int64(0) == -42);
    CHECK(sel->column_uint64(1) == std::numeric_limits<std::uint64_t>::max());
    CHECK(sel->column_double(2) == 2.5);
    CHECK(sel->column_text(3) == with_nul);
    CHECK(sel->column_is_null(4));
    CHECK_FALSE(sel->column_optional_text(4).has_value());
    CHECK_FALSE(sel->column_optional_int64(4).has_value());
    CHECK(sel->column_optional_int64(0) == std::optional<std::int64_t>(-42));
    CHECK(sel->column_blob(5) == std::vector<std::byte>(std::begin(blob), std::end(blob)));
    CHECK(sel->column_blob(6).empty());
    CHECK(sel->column_text(7) == "blob"); // an empty blob is a blob, not NULL
    auto done = sel->step();
    REQUIRE(done);
    CHECK_FALSE(*done);
}

TEST_CASE("a binding error is reported by the next step, naming the statement", "[store][sqlite]") {
    TempDir dir;
    auto db = Db::open(dir / "t.db");
    REQUIRE(db);
    REQUIRE(db->exec("CREATE TABLE t (a TEXT)"));
    auto ins = db->prepare("INSERT INTO t VALUES (:a)");
    REQUIRE(ins);

    ins->bind(":nope", std::string("x"));
    auto r = ins->run();
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(":nope") != std::string::npos);
    CHECK(r.error().message.find("INSERT INTO t") != std::string::npos);

    ins->bind(5, std::string("secret-value"));
    auto r2 = ins->run();
    REQUIRE_FALSE(r2);
    CHECK(r2.error().code == ErrorCode::db);
    CHECK(r2.error().message.find("parameter 5") != std::string::npos);
    CHECK(r2.error().message.find("secret-value") == std::string::npos);

    // The error was cleared by reset: the statement works again.
    ins->bind(":a", std::string("ok"));
    REQUIRE(ins->run());
    CHECK(count_rows(*db, "t") == 1);
}

TEST_CASE("SQL errors carry the operation, the file and sqlite's message", "[store][sqlite]") {
    TempDir dir;
    const auto path = dir / "t.db";
    auto db = Db::open(path);
    REQUIRE(db);
    auto bad = db->prepare("SELECT * FROM no_such_table");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::db);
    CHECK(bad.error().message.find("no_such_table") != std::string::npos);
    CHECK(bad.error().message.find(path.string()) != std::string::npos);

    REQUIRE(db->exec("CREATE TABLE u (a TEXT NOT NULL UNIQUE)"));
    REQUIRE(db->exec("INSERT INTO u VALUES ('x')"));
    auto dup = db->exec("INSERT INTO u VALUES ('x')");
    REQUIRE_FALSE(dup);
    CHECK(dup.error().message.find("UNIQUE") != std::string::npos);
}

TEST_CASE("cached statements are prepared once and come back reset", "[store][sqlite]") {
    TempDir dir;
    auto db = Db::open(dir / "t.db");
    REQUIRE(db);
    REQUIRE(db->exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
    auto first = db->cached("SELECT a FROM t ORDER BY a");
    REQUIRE(first);
    auto row = (*first)->step();
    REQUIRE(row);
    REQUIRE(*row);
    CHECK((*first)->column_int64(0) == 1);
    // Fetched again mid-iteration: same object, reset to the first row.
    auto again = db->cached("SELECT a FROM t ORDER BY a");
    REQUIRE(again);
    CHECK(*again == *first);
    auto row2 = (*again)->step();
    REQUIRE(row2);
    REQUIRE(*row2);
    CHECK((*again)->column_int64(0) == 1);
    (*again)->reset();

    // A cached statement survives moving the Db.
    Db moved = std::move(*db);
    auto third = moved.cached("SELECT a FROM t ORDER BY a");
    REQUIRE(third);
    CHECK(*third == *first);
}

TEST_CASE("Transaction commits or rolls back on destruction", "[store][sqlite]") {
    TempDir dir;
    auto db = Db::open(dir / "t.db");
    REQUIRE(db);
    REQUIRE(db->exec("CREATE TABLE t (a INTEGER)"));
    {
        auto tx = Transaction::begin(*db);
        REQUIRE(tx);
        CHECK(db->in_transaction());
        REQUIRE(db->exec("INSERT INTO t VALUES (1)"));
    } // rolled back
    CHECK_FALSE(db->in_transaction());
    CHECK(count_rows(*db, "t") == 0);
    {
        auto tx = Transaction::begin(*db, Transaction::Kind::deferred);
        REQUIRE(tx);
        REQUIRE(db->exec("INSERT INTO t VALUES (2)"));
        REQUIRE(tx->commit());
    }
    CHECK(count_rows(*db, "t") == 1);
    {
        auto tx = Transaction::begin(*db);
        REQUIRE(tx);
        REQUIRE(db->exec("INSERT INTO t VALUES (3)"));
        REQUIRE(tx->rollback());
        CHECK_FALSE(tx->commit()); // already finished
    }
    CHECK(count_rows(*db, "t") == 1);
}

TEST_CASE("a second Transaction on the same Db is refused", "[store][sqlite]") {
    TempDir dir;
    auto db = Db::open(dir / "t.db");
    REQUIRE(db);
    auto tx = Transaction::begin(*db);
    REQUIRE(tx);
    auto nested = Transaction::begin(*db);
    REQUIRE_FALSE(nested);
    CHECK(nested.error().code == ErrorCode::internal);
}

TEST_CASE("a file that is not a database gives an error naming the path and the fix",
          "[store][sqlite]") {
    TempDir dir;
    const auto path = dir / "state.db";
    fios::test::write_file(path, std::string(8192, 'x') + "this is not a sqlite database");
    auto db = Db::open(path);
    REQUIRE_FALSE(db);
    CHECK(db.error().code == ErrorCode::db);
    const auto& m = db.error().message;
    INFO(m);
    CHECK(m.find(path.string()) != std::string::npos);
    CHECK(m.find("not a frameio-sync database or is damaged") != std::string::npos);
    CHECK(m.find("mv '" + path.string() + "'") != std::string::npos);
}

TEST_CASE("a database whose pages are damaged gives the same clear error", "[store][sqlite]") {
    TempDir dir;
    const auto path = dir / "state.db";
    {
        auto db = Db::open(path);
        REQUIRE(db);
        REQUIRE(db->exec("PRAGMA journal_mode=DELETE; CREATE TABLE t (a TEXT);"
                         "CREATE INDEX t_a ON t (a);"));
    }
    // Keep the 100-byte header valid, scribble over the rest of page 1 (the schema).
    std::string bytes = fios::test::read_file(path);
    REQUIRE(bytes.size() > 4096);
    for (std::size_t i = 100; i < 4096; ++i)
        bytes[i] = '\x5a';
    fios::test::write_file(path, bytes);
    auto db = Db::open(path);
    REQUIRE_FALSE(db);
    INFO(db.error().message);
    CHECK(db.error().code == ErrorCode::db);
    CHECK(db.error().message.find(path.string()) != std::string::npos);
    CHECK(db.error().message.find("damaged") != std::string::npos);
}

TEST_CASE("opening in a missing folder fails with the path", "[store][sqlite]") {
    TempDir dir;
    const auto path = dir / "missing" / "state.db";
    auto db = Db::open(path);
    REQUIRE_FALSE(db);
    CHECK(db.error().code == ErrorCode::db);
    CHECK(db.error().message.find(path.string()) != std::string::npos);
}
