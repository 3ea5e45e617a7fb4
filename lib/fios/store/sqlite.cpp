// SPDX-License-Identifier: MIT
#include "fios/store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <limits>
#include <unordered_map>
#include <utility>

namespace fios::store {

namespace detail {

struct DbState {
    sqlite3* db = nullptr;
    std::filesystem::path path;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache;

    ~DbState() {
        cache.clear(); // finalizes every cached statement before the connection closes
        if (db)
            sqlite3_close_v2(db);
    }
};

} // namespace detail

namespace {

bool is_corruption(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

/// The message for a damaged file (or one that is not a database), `found` saying what sqlite
/// found during `operation`: the file, the cause, that nothing is deleted, and the fix.
Error damaged_error(const std::filesystem::path& path, std::string_view found,
                    std::string_view operation) {
    return Error{ErrorCode::db,
                 fmt::format("the state database {0} {1} (sqlite: {2}, during {3}). frameio-sync "
                             "stops here, leaves the file as it is and deletes nothing because of "
                             "it. Move it aside: mv '{0}' "
                             "'{0}.damaged'; then select your projects again into the same "
                             "folders (`frameio-sync projects`, `frameio-sync select PROJECT "
                             "--to DIR`): the next `sync --once` builds a new journal from both "
                             "sides, adopts the files that are equal on both and deletes nothing",
                             path.string(), detail::k_damaged_text, found, operation)};
}

/// The message for a failed call, with the advice a user can act on for the common cases.
Error make_error(const std::filesystem::path& path, sqlite3* db, std::string_view operation,
                 int rc) {
    const char* said =
        (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (is_corruption(rc))
        return damaged_error(path, said, operation);
    const int primary = rc & 0xff;
    std::string advice;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        advice = fmt::format("; {}: wait for it to finish and try again", detail::k_busy_text);
    } else if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM) {
        advice = fmt::format("; {}", detail::k_unwritable_text);
    } else if (primary == SQLITE_FULL) {
        advice = "; the disk is full";
    }
    return Error{ErrorCode::db, fmt::format("sqlite: {} failed on {}: {} (code {}){}", operation,
                                            path.string(), said, rc, advice)};
}

/// `PRAGMA quick_check`: Ok when it answers "ok", else the damaged-file error with its first
/// finding (it checks every page of every table and index, not that indexes match rows).
Status quick_check(Db& db) {
    auto st = db.prepare("PRAGMA quick_check(1)");
    if (!st)
        return st.error();
    auto row = st->step();
    if (!row)
        return row.error();
    const std::string verdict = *row ? st->column_text(0) : std::string("no answer");
    st->reset();
    if (verdict == "ok")
        return {};
    std::string first = verdict.substr(0, verdict.find('\n'));
    if (first.size() > 200)
        first = first.substr(0, 197) + "...";
    return damaged_error(db.path(), first, "PRAGMA quick_check");
}

/// Shortens SQL text for an error message: the first line, at most 80 characters.
std::string summarise_sql(std::string_view sql) {
    while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n'))
        sql.remove_prefix(1);
    auto end = sql.find('\n');
    std::string s(sql.substr(0, end));
    if (s.size() > 80)
        s = s.substr(0, 77) + "...";
    return s;
}

} // namespace

DbTrouble db_trouble(const Error& error) {
    if (error.code != ErrorCode::db)
        return DbTrouble::not_db;
    const auto has = [&](std::string_view text) {
        return error.message.find(text) != std::string::npos;
    };
    if (has(detail::k_damaged_text))
        return DbTrouble::damaged;
    if (has(detail::k_newer_text) || has(detail::k_unwritable_text))
        return DbTrouble::unusable;
    if (has(detail::k_busy_text))
        return DbTrouble::busy;
    return DbTrouble::other;
}

// --- Statement ------------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_stmt(std::exchange(other.m_stmt, nullptr)),
      m_bind_error(std::move(other.m_bind_error)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (m_stmt)
            sqlite3_finalize(m_stmt);
        m_db = std::exchange(other.m_db, nullptr);
        m_stmt = std::exchange(other.m_stmt, nullptr);
        m_bind_error = std::move(other.m_bind_error);
    }
    return *this;
}

Statement::~Statement() {
    if (m_stmt)
        sqlite3_finalize(m_stmt);
}

void Statement::note_bind_result(int rc, int index) {
    if (rc == SQLITE_OK || m_bind_error)
        return;
    m_bind_error =
        make_error(m_db->path, m_db->db,
                   fmt::format("binding parameter {} of `{}`", index, summarise_sql(sql())), rc);
}

Statement& Statement::bind(int index, std::string_view text) {
    note_bind_result(
        sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    note_bind_result(sqlite3_bind_double(m_stmt, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
    note_bind_result(sqlite3_bind_null(m_stmt, index), index);
    return *this;
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
    note_bind_result(sqlite3_bind_int64(m_stmt, index, static_cast<sqlite3_int64>(value)), index);
    return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::byte> data) {
    // A zero-length blob must still be a blob, not NULL: give sqlite a non-null pointer.
    static const std::byte k_empty{};
    const void* ptr = data.empty() ? &k_empty : static_cast<const void*>(data.data());
    note_bind_result(sqlite3_bind_blob64(m_stmt, index, ptr, data.size(), SQLITE_TRANSIENT), index);
    return *this;
}

int Statement::parameter_index(std::string_view name) {
    const std::string n(name);
    const int index = sqlite3_bind_parameter_index(m_stmt, n.c_str());
    if (index == 0 && !m_bind_error) {
        m_bind_error =
            Error{ErrorCode::internal, fmt::format("sqlite: `{}` has no parameter named {}",
                                                   summarise_sql(sql()), name)};
    }
    return index;
}

Result<bool> Statement::step() {
    if (m_bind_error) {
        Error e = *m_bind_error;
        reset();
        return e;
    }
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    Error e = make_error(m_db->path, m_db->db, fmt::format("`{}`", summarise_sql(sql())), rc);
    sqlite3_reset(m_stmt);
    return e;
}

Status Statement::run() {
    for (;;) {
        auto r = step();
        if (!r)
            return r.error();
        if (!*r)
            break;
    }
    reset();
    return {};
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    m_bind_error.reset();
}

int Statement::column_count() const {
    return sqlite3_column_count(m_stmt);
}

bool Statement::column_is_null(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
    return static_cast<std::int64_t>(sqlite3_column_int64(m_stmt, column));
}

double Statement::column_double(int column) const {
    return sqlite3_column_double(m_stmt, column);
}

std::string Statement::column_text(int column) const {
    const auto* text = sqlite3_column_text(m_stmt, column);
    const int size = sqlite3_column_bytes(m_stmt, column);
    if (text == nullptr || size <= 0)
        return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::vector<std::byte> Statement::column_blob(int column) const {
    const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(m_stmt, column));
    const int size = sqlite3_column_bytes(m_stmt, column);
    if (data == nullptr || size <= 0)
        return {};
    return std::vector<std::byte>(data, data + size);
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
    if (column_is_null(column))
        return std::nullopt;
    return column_int64(column);
}

std::optional<std::string> Statement::column_optional_text(int column) const {
    if (column_is_null(column))
        return std::nullopt;
    return column_text(column);
}

std::string_view Statement::sql() const {
    const char* s = m_stmt ? sqlite3_sql(m_stmt) : nullptr;
    return s ? std::string_view(s) : std::string_view();
}

// --- Db -------------------------------------------------------------------------------------

Db::Db(std::unique_ptr<detail::DbState> state) : m_state(std::move(state)) {}
Db::Db(Db&& other) noexcept = default;
Db& Db::operator=(Db&& other) noexcept = default;
Db::~Db() = default;

Result<Db> Db::open(const std::filesystem::path& path, const OpenOptions& options) {
    auto state = std::make_unique<detail::DbState>();
    state->path = path;
    int flags = SQLITE_OPEN_READWRITE;
    if (options.create)
        flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(path.c_str(), &state->db, flags, nullptr);
    if (rc != SQLITE_OK) {
        return make_error(path, state->db, "opening the state database", rc);
    }
    sqlite3_extended_result_codes(state->db, 1);
    const auto ms = options.busy_timeout.count();
    sqlite3_busy_timeout(state->db, ms > std::numeric_limits<int>::max()
                                        ? std::numeric_limits<int>::max()
                                        : static_cast<int>(ms));
    Db db(std::move(state));

    // sqlite reads the file lazily: this first statement is where a non-database file or a
    // damaged header shows up (SQLITE_NOTADB).
    auto mode = db.prepare("PRAGMA journal_mode=WAL");
    if (!mode)
        return mode.error();
    auto row = mode->step();
    if (!row)
        return row.error();
    const std::string journal_mode = *row ? mode->column_text(0) : std::string();
    mode->reset();
    if (journal_mode != "wal" && path != ":memory:") {
        return Error{ErrorCode::db,
                     fmt::format("cannot use write-ahead logging for the state database {} "
                                 "(journal mode is '{}'): keep the state directory on a local "
                                 "filesystem (set XDG_STATE_HOME to move it)",
                                 path.string(), journal_mode)};
    }
    if (auto s = db.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"); !s) {
        return s.error();
    }
    // A damaged page deeper in the file is found by the page check: before anything is
    // written (migrations, runs), so a damaged file is never changed because of it.
    if (auto s = quick_check(db); !s)
        return s.error();
    return db;
}

Status Db::exec(std::string_view sql) {
    const std::string text(sql);
    const int rc = sqlite3_exec(m_state->db, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        return error(fmt::format("`{}`", summarise_sql(sql)), rc);
    return {};
}

Result<Statement> Db::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(m_state->db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        if (stmt)
            sqlite3_finalize(stmt);
        return error(fmt::format("preparing `{}`", summarise_sql(sql)), rc);
    }
    if (stmt == nullptr) {
        return Error{ErrorCode::internal,
                     fmt::format("sqlite: `{}` contains no statement", summarise_sql(sql))};
    }
    return Statement(m_state.get(), stmt);
}

Result<Statement*> Db::cached(std::string_view sql) {
    const std::string key(sql);
    if (auto it = m_state->cache.find(key); it != m_state->cache.end()) {
        it->second->reset();
        return it->second.get();
    }
    auto st = prepare(sql);
    if (!st)
        return st.error();
    auto owned = std::make_unique<Statement>(std::move(*st));
    Statement* raw = owned.get();
    m_state->cache.emplace(key, std::move(owned));
    return raw;
}

std::int64_t Db::last_insert_rowid() const {
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m_state->db));
}

std::int64_t Db::changes() const {
    return static_cast<std::int64_t>(sqlite3_changes64(m_state->db));
}

bool Db::in_transaction() const {
    return sqlite3_get_autocommit(m_state->db) == 0;
}

const std::filesystem::path& Db::path() const {
    return m_state->path;
}

sqlite3* Db::handle() const {
    return m_state->db;
}

Error Db::error(std::string_view operation, int rc) const {
    return make_error(m_state->path, m_state->db, operation, rc);
}

// --- Transaction ----------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Db& db, Kind kind) {
    if (db.in_transaction()) {
        return Error{ErrorCode::internal, fmt::format("sqlite: a transaction is already open on {}",
                                                      db.path().string())};
    }
    auto s = db.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    if (!s)
        return s.error();
    return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Transaction::~Transaction() {
    if (m_db && m_db->in_transaction()) {
        // Nothing useful can be done with a failed rollback here; sqlite rolls back anyway
        // when the connection closes.
        (void)m_db->exec("ROLLBACK");
    }
}

Status Transaction::commit() {
    if (!m_db) {
        return Error{ErrorCode::internal, "sqlite: commit of a finished transaction"};
    }
    Db* db = std::exchange(m_db, nullptr);
    auto s = db->exec("COMMIT");
    if (!s) {
        if (db->in_transaction())
            (void)db->exec("ROLLBACK");
        return s.error();
    }
    return {};
}

Status Transaction::rollback() {
    if (!m_db)
        return {};
    Db* db = std::exchange(m_db, nullptr);
    if (!db->in_transaction())
        return {};
    return db->exec("ROLLBACK");
}

} // namespace fios::store
