// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace fioemu {

/// Write-through persistence: one SQLite database (WAL) of JSON rows keyed by (kind, id), plus
/// a key/value table. A committed write survives kill -9 (WAL appends reach the OS before the
/// commit returns); synchronous=NORMAL trades only power-loss durability for speed.
/// Not thread-safe: the Model's mutex serializes every use.
class Store {
public:
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    void begin();
    void commit();
    void rollback() noexcept;

    void put(std::string_view kind, std::string_view id, std::string_view json);
    void erase(std::string_view kind, std::string_view id);
    /// Calls `fn(id, json)` for every row of `kind`.
    void for_each(std::string_view kind,
                  const std::function<void(const std::string&, const std::string&)>& fn);

    std::optional<std::string> kv_get(std::string_view key);
    void kv_set(std::string_view key, std::string_view value);

private:
    void exec(const char* sql);
    sqlite3_stmt* prepare(const char* sql);
    [[noreturn]] void fail(const std::string& what);

    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_put = nullptr;
    sqlite3_stmt* m_erase = nullptr;
    sqlite3_stmt* m_kv_get = nullptr;
    sqlite3_stmt* m_kv_set = nullptr;
};

} // namespace fioemu
