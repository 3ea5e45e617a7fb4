// SPDX-License-Identifier: MIT
#include "core/store.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace fioemu {

namespace {

int text_size(std::string_view s) {
    return static_cast<int>(s.size());
}

std::string column_text(sqlite3_stmt* st, int col) {
    const auto* p = sqlite3_column_text(st, col);
    const int n = sqlite3_column_bytes(st, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
}

} // namespace

Store::Store(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &m_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        sqlite3_close(m_db);
        m_db = nullptr;
        throw std::runtime_error("cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(m_db, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, "
         "data TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID");
    exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    m_put = prepare("INSERT OR REPLACE INTO objects (kind, id, data) VALUES (?, ?, ?)");
    m_erase = prepare("DELETE FROM objects WHERE kind = ? AND id = ?");
    m_kv_get = prepare("SELECT value FROM kv WHERE key = ?");
    m_kv_set = prepare("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)");
}

Store::~Store() {
    for (auto* st : {m_put, m_erase, m_kv_get, m_kv_set})
        sqlite3_finalize(st);
    if (m_db) {
        // Fold the WAL back into the database on a clean shutdown.
        sqlite3_exec(m_db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
        sqlite3_close(m_db);
    }
}

void Store::fail(const std::string& what) {
    throw std::runtime_error("sqlite: " + what + ": " + sqlite3_errmsg(m_db));
}

void Store::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error(std::string("sqlite: ") + sql + ": " + msg);
    }
}

sqlite3_stmt* Store::prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(m_db, sql, -1, &st, nullptr) != SQLITE_OK)
        fail(sql);
    return st;
}

void Store::begin() {
    exec("BEGIN IMMEDIATE");
}

void Store::commit() {
    exec("COMMIT");
}

void Store::rollback() noexcept {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Store::put(std::string_view kind, std::string_view id, std::string_view json) {
    sqlite3_reset(m_put);
    sqlite3_bind_text(m_put, 1, kind.data(), text_size(kind), SQLITE_TRANSIENT);
    sqlite3_bind_text(m_put, 2, id.data(), text_size(id), SQLITE_TRANSIENT);
    sqlite3_bind_text(m_put, 3, json.data(), text_size(json), SQLITE_TRANSIENT);
    if (sqlite3_step(m_put) != SQLITE_DONE)
        fail("put");
}

void Store::erase(std::string_view kind, std::string_view id) {
    sqlite3_reset(m_erase);
    sqlite3_bind_text(m_erase, 1, kind.data(), text_size(kind), SQLITE_TRANSIENT);
    sqlite3_bind_text(m_erase, 2, id.data(), text_size(id), SQLITE_TRANSIENT);
    if (sqlite3_step(m_erase) != SQLITE_DONE)
        fail("erase");
}

void Store::for_each(std::string_view kind,
                     const std::function<void(const std::string&, const std::string&)>& fn) {
    sqlite3_stmt* st = prepare("SELECT id, data FROM objects WHERE kind = ?");
    sqlite3_bind_text(st, 1, kind.data(), text_size(kind), SQLITE_TRANSIENT);
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(column_text(st, 0), column_text(st, 1));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        fail("for_each");
}

std::optional<std::string> Store::kv_get(std::string_view key) {
    sqlite3_reset(m_kv_get);
    sqlite3_bind_text(m_kv_get, 1, key.data(), text_size(key), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(m_kv_get);
    if (rc == SQLITE_ROW) {
        std::string v = column_text(m_kv_get, 0);
        sqlite3_reset(m_kv_get);
        return v;
    }
    if (rc != SQLITE_DONE)
        fail("kv_get");
    return std::nullopt;
}

void Store::kv_set(std::string_view key, std::string_view value) {
    sqlite3_reset(m_kv_set);
    sqlite3_bind_text(m_kv_set, 1, key.data(), text_size(key), SQLITE_TRANSIENT);
    sqlite3_bind_text(m_kv_set, 2, value.data(), text_size(value), SQLITE_TRANSIENT);
    if (sqlite3_step(m_kv_set) != SQLITE_DONE)
        fail("kv_set");
}

} // namespace fioemu
