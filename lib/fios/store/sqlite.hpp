// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace fios::store {

/// A thin RAII layer over sqlite3. Every failure is an Error with ErrorCode::db whose message
/// names the operation, the database file and sqlite's own message; bound values never appear
/// in messages (they may be secrets or user paths the caller reports itself).
///
/// Thread-safety: a Db and its Statements belong to one thread at a time (no internal locking).
/// Several processes may open the same file: WAL mode plus the busy timeout serialise writers.

namespace detail {
struct DbState;
}

struct OpenOptions {
    /// How long a write waits for another process's write transaction before failing.
    std::chrono::milliseconds busy_timeout{std::chrono::seconds(10)};
    /// Create the file when it does not exist (the parent folder must exist).
    bool create = true;
};

/// A prepared statement. Binding never fails on the spot: the first binding error is kept and
/// returned by the next step()/run(), so call sites can chain `st.bind(1, a).bind(2, b)`.
/// Parameter indexes start at 1, column indexes at 0 (sqlite's convention).
/// A Statement must not outlive the Db that prepared it.
class Statement {
public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::nullopt_t);
    /// Integers of any width; unsigned 64-bit values are stored bit-for-bit as signed
    /// (read them back with column_uint64).
    template <std::integral I>
    Statement& bind(int index, I value) {
        return bind_int64(index, static_cast<std::int64_t>(value));
    }
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        if (value)
            return bind(index, *value);
        return bind(index, std::nullopt);
    }
    Statement& bind_blob(int index, std::span<const std::byte> data);
    /// Binds by parameter name, including its prefix (":id"). An unknown name is an error.
    template <class T>
    Statement& bind(std::string_view name, const T& value) {
        return bind(parameter_index(name), value);
    }

    /// Advances: true when a row is available, false when the statement is done.
    Result<bool> step();
    /// Runs to completion (ignoring any rows), then resets the statement for reuse.
    Status run();
    /// Resets for another execution and clears the bindings (and any pending binding error).
    void reset();

    [[nodiscard]] int column_count() const;
    [[nodiscard]] bool column_is_null(int column) const;
    [[nodiscard]] std::int64_t column_int64(int column) const;
    [[nodiscard]] std::uint64_t column_uint64(int column) const {
        return static_cast<std::uint64_t>(column_int64(column));
    }
    [[nodiscard]] double column_double(int column) const;
    [[nodiscard]] std::string column_text(int column) const;
    [[nodiscard]] std::vector<std::byte> column_blob(int column) const;
    [[nodiscard]] std::optional<std::int64_t> column_optional_int64(int column) const;
    [[nodiscard]] std::optional<std::string> column_optional_text(int column) const;

    /// The statement's SQL text, for diagnostics.
    [[nodiscard]] std::string_view sql() const;

private:
    friend class Db;
    Statement(detail::DbState* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
    Statement& bind_int64(int index, std::int64_t value);
    int parameter_index(std::string_view name);
    void note_bind_result(int rc, int index);

    detail::DbState* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
    std::optional<Error> m_bind_error;
};

/// What a failed state-database call asks of the user, for the exit code (docs/cli.md, "Exit
/// codes"). Recognised from the stable texts sqlite.cpp and schema.cpp put in their messages.
enum class DbTrouble {
    not_db,   ///< not a state-database error
    damaged,  ///< damaged, truncated or not a database at all: move it aside (the message says how)
    unusable, ///< from a newer frameio-sync, or the file or its folder cannot be written
    busy,     ///< another process held the database past the busy timeout: try again later
    other,    ///< anything else (a full disk, a bug)
};
DbTrouble db_trouble(const Error& error);

namespace detail {
/// The texts db_trouble() recognises; the messages that carry them are built from these.
inline constexpr std::string_view k_damaged_text = "is not a frameio-sync database or is damaged";
inline constexpr std::string_view k_newer_text = "it was created by a newer frameio-sync";
inline constexpr std::string_view k_unwritable_text =
    "check that the file and its folder exist and are writable by you";
inline constexpr std::string_view k_busy_text = "another process holds the database";
} // namespace detail

/// An open database connection, configured for frameio-sync: WAL journal,
/// synchronous=NORMAL, foreign_keys=ON, a busy timeout and extended result codes.
class Db {
public:
    /// Opens (or creates) `path`. A file that is not a sqlite database, or is damaged, gives an
    /// error naming the path and how to start over (DbTrouble::damaged). Opening changes
    /// nothing in a file found damaged: it is left as it is for the user to move aside.
    /// Runs `PRAGMA quick_check` (page structure of every table and index, about 3 ms for
    /// a journal of 10,000 files, 1.5 MiB: docs/reliability.md), so damage anywhere in the file is
    /// found here, before any write, rather than halfway through a sync.
    static Result<Db> open(const std::filesystem::path& path, const OpenOptions& options = {});

    Db(Db&& other) noexcept;
    Db& operator=(Db&& other) noexcept;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    /// Executes one or more statements that take no parameters (schema scripts, pragmas).
    Status exec(std::string_view sql);
    /// A new statement owned by the caller.
    Result<Statement> prepare(std::string_view sql);
    /// A statement prepared once per Db and reused: returned reset, with bindings cleared.
    /// The pointer stays valid as long as the Db. Do not hold two uses of the same SQL at once.
    Result<Statement*> cached(std::string_view sql);

    [[nodiscard]] std::int64_t last_insert_rowid() const;
    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    [[nodiscard]] std::int64_t changes() const;
    [[nodiscard]] bool in_transaction() const;
    [[nodiscard]] const std::filesystem::path& path() const;
    /// The raw handle, for what this wrapper does not cover.
    [[nodiscard]] sqlite3* handle() const;

    /// An Error for a failed sqlite call `rc` during `operation` on this database.
    [[nodiscard]] Error error(std::string_view operation, int rc) const;

private:
    explicit Db(std::unique_ptr<detail::DbState> state);
    std::unique_ptr<detail::DbState> m_state;
};

/// A transaction that rolls back unless committed. Not nestable: beginning one while another
/// is open on the same Db is an error.
class Transaction {
public:
    enum class Kind {
        deferred,  ///< takes the write lock at the first write
        immediate, ///< takes the write lock now: use for read-modify-write
    };

    static Result<Transaction> begin(Db& db, Kind kind = Kind::immediate);

    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    /// Rolls back when neither commit() nor rollback() was called.
    ~Transaction();

    Status commit();
    Status rollback();

private:
    explicit Transaction(Db* db) : m_db(db) {}
    Db* m_db = nullptr;
};

} // namespace fios::store
