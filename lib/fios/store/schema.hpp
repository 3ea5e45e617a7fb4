// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"
#include "fios/store/sqlite.hpp"

#include <span>
#include <string_view>

namespace fios::store {

/// One step of the state database's schema history. `PRAGMA user_version` holds the version of
/// the last step applied; a new database starts at 0.
///
/// To change the schema, append a Migration to the list in schema.cpp with the next version
/// number and document it in docs/journal-schema.md. Never edit or reorder a released step:
/// databases in the field have already run it.
struct Migration {
    int version;                  ///< 1, 2, 3, ... without gaps
    std::string_view description; ///< one line, for docs and errors
    std::string_view sql;         ///< run with Db::exec inside the step's transaction
    /// Optional C++ part, run after `sql` in the same transaction (data conversions that
    /// SQL alone cannot express). nullptr when not needed.
    Status (*apply)(Db&) = nullptr;
};

/// The migrations of this build, in order.
std::span<const Migration> migrations();

/// The schema version this build creates and understands (the last migration's version).
int latest_schema_version();

/// The database's current `PRAGMA user_version`.
Result<int> schema_version(Db& db);

/// Brings the database up to the newest version of `steps` (by default this build's):
/// each missing step runs in its own IMMEDIATE transaction together with the user_version
/// update, so a failed or interrupted step leaves the database at the previous version.
/// Refuses a database whose version is newer than `steps` know ("created by a newer
/// frameio-sync; upgrade"). Idempotent: an up-to-date database is left untouched.
/// Safe against a concurrent migrate() by another process (the version is re-read under the
/// write lock).
Status migrate(Db& db);
Status migrate(Db& db, std::span<const Migration> steps);

} // namespace fios::store
