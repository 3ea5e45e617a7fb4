// SPDX-License-Identifier: MIT
// The folder a project's journal belongs to (table journal_folders, schema version 5; issue 9):
// Journal::folder, bind_folder, adopt_folder, reset_folder.
#include "fios/store/journal.hpp"

#include <array>

namespace fios::store {

namespace {

Result<std::uint64_t> count_records(Db& db, std::string_view project_id) {
    auto st = db.cached("SELECT count(*) FROM journal_records WHERE project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    auto row = (*st)->step();
    if (!row)
        return row.error();
    const std::uint64_t n = *row ? (*st)->column_uint64(0) : 0;
    (*st)->reset();
    return n;
}

} // namespace

std::string_view to_string(FolderBinding binding) noexcept {
    switch (binding) {
    case FolderBinding::fresh:
        return "fresh";
    case FolderBinding::kept:
        return "kept";
    case FolderBinding::dropped:
        return "dropped";
    case FolderBinding::unknown:
        return "unknown";
    }
    return "unknown";
}

Result<std::optional<std::string>> Journal::folder(std::string_view project_id) {
    auto st = m_db->cached("SELECT local_path FROM journal_folders WHERE project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    auto row = (*st)->step();
    if (!row)
        return row.error();
    std::optional<std::string> out;
    if (*row)
        out = (*st)->column_text(0);
    (*st)->reset();
    return out;
}

Status Journal::adopt_folder(std::string_view project_id, std::string_view local_path) {
    auto st = m_db->cached("INSERT OR REPLACE INTO journal_folders (project_id, local_path) "
                           "VALUES (?1, ?2)");
    if (!st)
        return st.error();
    return (*st)->bind(1, project_id).bind(2, local_path).run();
}

Result<std::uint64_t> Journal::reset_folder(std::string_view project_id,
                                            std::string_view local_path) {
    auto dropped = count_records(*m_db, project_id);
    if (!dropped)
        return dropped.error();
    // upload_parts go with their sessions (ON DELETE CASCADE). lost_creates stay (see header).
    constexpr std::array k_tables{
        "journal_records", "upload_sessions", "download_temps", "observations",
        "local_hashes",    "failures",        "discovery",      "project_runs",
    };
    for (const char* table : k_tables) {
        auto st = m_db->cached(std::string("DELETE FROM ") + table + " WHERE project_id = ?1");
        if (!st)
            return st.error();
        if (auto s = (*st)->bind(1, project_id).run(); !s)
            return s.error();
    }
    if (auto s = adopt_folder(project_id, local_path); !s)
        return s.error();
    return *dropped;
}

Result<JournalBinding> Journal::bind_folder(std::string_view project_id,
                                            std::string_view local_path) {
    JournalBinding out;
    auto bound = folder(project_id);
    if (!bound)
        return bound.error();
    out.previous_folder = *bound;
    if (*bound && **bound == local_path) {
        auto n = count_records(*m_db, project_id);
        if (!n)
            return n.error();
        out.outcome = FolderBinding::kept;
        out.records = *n;
        return out;
    }
    if (*bound) {
        auto n = reset_folder(project_id, local_path);
        if (!n)
            return n.error();
        out.outcome = *n > 0 ? FolderBinding::dropped : FolderBinding::fresh;
        out.records = *n;
        return out;
    }
    auto n = count_records(*m_db, project_id);
    if (!n)
        return n.error();
    if (*n > 0) {
        out.outcome = FolderBinding::unknown;
        out.records = *n;
        return out;
    }
    // No rows and no folder: nothing to keep, but earlier leftovers (a last run, hashes) of a
    // project whose rows are gone are dropped with reset_folder all the same.
    auto cleared = reset_folder(project_id, local_path);
    if (!cleared)
        return cleared.error();
    out.outcome = FolderBinding::fresh;
    return out;
}

} // namespace fios::store
