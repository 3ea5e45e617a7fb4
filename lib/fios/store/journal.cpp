// SPDX-License-Identifier: MIT
#include "fios/store/journal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace fios::store {

namespace {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using model::RelPath;
using model::TransferDirection;

std::int64_t to_ns(TimePoint t) {
    return static_cast<std::int64_t>(t.time_since_epoch().count());
}

TimePoint from_ns(std::int64_t ns) {
    return TimePoint(std::chrono::nanoseconds(ns));
}

/// Steps `st` to its last row, calling `on_row(st)` for each; stops at the first error (of the
/// step or of `on_row`). The statement is reset in every case, so a cached statement is
/// never left half-read.
template <class OnRow>
Status for_each_row(Statement& st, OnRow&& on_row) {
    Status result;
    while (true) {
        auto more = st.step();
        if (!more) {
            result = more.error();
            break;
        }
        if (!*more)
            break;
        if (auto s = on_row(st); !s) {
            result = std::move(s);
            break;
        }
    }
    st.reset();
    return result;
}

/// A path read back from the database. Rows are only ever written from RelPaths, so a value
/// that does not parse means the file was edited or damaged: reported, never guessed at.
Result<RelPath> read_path(const Statement& st, int column, std::string_view table) {
    auto text = st.column_text(column);
    auto p = RelPath::parse(text);
    if (!p) {
        return Error{ErrorCode::db,
                     fmt::format("the journal table {} holds an invalid path; the state "
                                 "database is damaged",
                                 table)};
    }
    return *p;
}

Error bad_value(std::string_view table, std::string_view column) {
    return Error{ErrorCode::db, fmt::format("the journal table {} holds an invalid {}; the state "
                                            "database is damaged",
                                            table, column)};
}

constexpr std::string_view k_record_columns =
    "path, kind, asset_id, stack_id, size, local_mtime_ns, inode, xxh64, verified, state, "
    "direction, attempts, next_retry_at_ns, deleted_locally, deleted_remotely, conflict, "
    "last_error";

Result<JournalRecord> read_record(const Statement& st) {
    JournalRecord r;
    auto path = read_path(st, 0, "journal_records");
    if (!path)
        return path.error();
    r.path = std::move(*path);
    const auto kind = st.column_int64(1);
    if (kind != 0 && kind != 1)
        return bad_value("journal_records", "kind");
    r.kind = static_cast<EntryKind>(kind);
    r.asset_id = st.column_text(2);
    r.stack_id = st.column_text(3);
    r.size = st.column_uint64(4);
    r.local_mtime = from_ns(st.column_int64(5));
    r.inode = st.column_uint64(6);
    r.xxh64 = st.column_optional_text(7);
    r.verified = st.column_int64(8) != 0;
    const auto state = st.column_int64(9);
    if (state < 0 || state > 4)
        return bad_value("journal_records", "state");
    r.state = static_cast<JournalState>(state);
    const auto direction = st.column_int64(10);
    if (direction < 0 || direction > 2)
        return bad_value("journal_records", "direction");
    r.direction = static_cast<TransferDirection>(direction);
    const auto attempts = st.column_int64(11);
    if (attempts < 0 || attempts > 0xFFFF'FFFFLL)
        return bad_value("journal_records", "attempts");
    r.attempts = static_cast<std::uint32_t>(attempts);
    if (auto ns = st.column_optional_int64(12))
        r.next_retry_at = from_ns(*ns);
    r.deleted_locally = st.column_int64(13) != 0;
    r.deleted_remotely = st.column_int64(14) != 0;
    r.conflict = st.column_int64(15) != 0;
    r.last_error = st.column_text(16);
    return r;
}

Status run_one(Db& db, std::string_view sql, std::string_view project_id, const RelPath& path) {
    auto st = db.cached(sql);
    if (!st)
        return st.error();
    return (*st)->bind(1, project_id).bind(2, path.str()).run();
}

} // namespace

std::size_t UploadSession::parts_done() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(parts.begin(), parts.end(), [](const UploadPart& p) { return p.done; }));
}

Result<Transaction> Journal::transaction() {
    return Transaction::begin(*m_db, Transaction::Kind::immediate);
}

// --- records ----------------------------------------------------------------------------------

Result<std::map<RelPath, JournalRecord>> Journal::records(std::string_view project_id) {
    auto st = m_db->cached(
        fmt::format("SELECT {} FROM journal_records WHERE project_id = ?1", k_record_columns));
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    std::map<RelPath, JournalRecord> out;
    while (true) {
        auto row = (*st)->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto rec = read_record(**st);
        if (!rec) {
            (*st)->reset();
            return rec.error();
        }
        auto path = rec->path;
        out.emplace(std::move(path), std::move(*rec));
    }
    (*st)->reset();
    return out;
}

Result<std::optional<JournalRecord>> Journal::record(std::string_view project_id,
                                                     const RelPath& path) {
    auto st = m_db->cached(fmt::format(
        "SELECT {} FROM journal_records WHERE project_id = ?1 AND path = ?2", k_record_columns));
    if (!st)
        return st.error();
    (*st)->bind(1, project_id).bind(2, path.str());
    auto row = (*st)->step();
    if (!row)
        return row.error();
    if (!*row) {
        (*st)->reset();
        return std::optional<JournalRecord>{};
    }
    auto rec = read_record(**st);
    (*st)->reset();
    if (!rec)
        return rec.error();
    return std::optional<JournalRecord>(std::move(*rec));
}

Status Journal::put_record(std::string_view project_id, const JournalRecord& r) {
    auto st = m_db->cached(
        "INSERT OR REPLACE INTO journal_records (project_id, path, kind, asset_id, stack_id, size, "
        "local_mtime_ns, inode, xxh64, verified, state, direction, attempts, next_retry_at_ns, "
        "deleted_locally, deleted_remotely, conflict, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
    if (!st)
        return st.error();
    std::optional<std::int64_t> retry;
    if (r.next_retry_at)
        retry = to_ns(*r.next_retry_at);
    (*st)
        ->bind(1, project_id)
        .bind(2, r.path.str())
        .bind(3, static_cast<int>(r.kind))
        .bind(4, r.asset_id)
        .bind(5, r.stack_id)
        .bind(6, r.size)
        .bind(7, to_ns(r.local_mtime))
        .bind(8, r.inode)
        .bind(9, r.xxh64)
        .bind(10, r.verified ? 1 : 0)
        .bind(11, static_cast<int>(r.state))
        .bind(12, static_cast<int>(r.direction))
        .bind(13, r.attempts)
        .bind(14, retry)
        .bind(15, r.deleted_locally ? 1 : 0)
        .bind(16, r.deleted_remotely ? 1 : 0)
        .bind(17, r.conflict ? 1 : 0)
        .bind(18, r.last_error);
    return (*st)->run();
}

Result<bool> Journal::forget(std::string_view project_id, const RelPath& path) {
    if (auto s = run_one(*m_db, "DELETE FROM journal_records WHERE project_id = ?1 AND path = ?2",
                         project_id, path);
        !s)
        return s.error();
    const bool existed = m_db->changes() > 0;
    for (std::string_view sql : {
             "DELETE FROM upload_sessions WHERE project_id = ?1 AND path = ?2",
             "DELETE FROM download_temps WHERE project_id = ?1 AND path = ?2",
             "DELETE FROM observations WHERE project_id = ?1 AND path = ?2",
             "DELETE FROM local_hashes WHERE project_id = ?1 AND path = ?2",
             "DELETE FROM failures WHERE project_id = ?1 AND path = ?2",
         }) {
        if (auto s = run_one(*m_db, sql, project_id, path); !s)
            return s.error();
    }
    return existed;
}

Result<model::JournalSnapshot> Journal::snapshot(std::string_view project_id) {
    model::JournalSnapshot snap;
    auto recs = records(project_id);
    if (!recs)
        return recs.error();
    snap.records = std::move(*recs);

    auto obs = m_db->cached(
        "SELECT path, size, mtime_ns, first_seen_ns FROM observations WHERE project_id = ?1");
    if (!obs)
        return obs.error();
    (*obs)->bind(1, project_id);
    auto read_observations = for_each_row(**obs, [&](const Statement& st) -> Status {
        auto path = read_path(st, 0, "observations");
        if (!path)
            return path.error();
        model::LocalObservation o;
        o.path = *path;
        o.size = st.column_uint64(1);
        o.mtime = from_ns(st.column_int64(2));
        o.first_seen = from_ns(st.column_int64(3));
        snap.observations.emplace(std::move(*path), std::move(o));
        return {};
    });
    if (!read_observations)
        return read_observations.error();

    auto hashes = m_db->cached(
        "SELECT path, size, mtime_ns, inode, xxh64 FROM local_hashes WHERE project_id = ?1");
    if (!hashes)
        return hashes.error();
    (*hashes)->bind(1, project_id);
    auto read_hashes = for_each_row(**hashes, [&](const Statement& st) -> Status {
        auto path = read_path(st, 0, "local_hashes");
        if (!path)
            return path.error();
        model::LocalHash h;
        h.path = *path;
        h.size = st.column_uint64(1);
        h.mtime = from_ns(st.column_int64(2));
        h.inode = st.column_uint64(3);
        h.xxh64 = st.column_text(4);
        snap.hashes.emplace(std::move(*path), std::move(h));
        return {};
    });
    if (!read_hashes)
        return read_hashes.error();
    return snap;
}

// --- observations and hashes -------------------------------------------------------------------

Status Journal::replace_observations(std::string_view project_id,
                                     std::span<const model::LocalObservation> observations) {
    auto del = m_db->cached("DELETE FROM observations WHERE project_id = ?1");
    if (!del)
        return del.error();
    if (auto s = (*del)->bind(1, project_id).run(); !s)
        return s;
    auto ins =
        m_db->cached("INSERT OR REPLACE INTO observations (project_id, path, size, mtime_ns, "
                     "first_seen_ns) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!ins)
        return ins.error();
    for (const auto& o : observations) {
        (*ins)
            ->bind(1, project_id)
            .bind(2, o.path.str())
            .bind(3, o.size)
            .bind(4, to_ns(o.mtime))
            .bind(5, to_ns(o.first_seen));
        if (auto s = (*ins)->run(); !s)
            return s;
    }
    return {};
}

Status Journal::put_hash(std::string_view project_id, const model::LocalHash& h) {
    auto st = m_db->cached("INSERT OR REPLACE INTO local_hashes (project_id, path, size, mtime_ns, "
                           "inode, xxh64) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return st.error();
    return (*st)
        ->bind(1, project_id)
        .bind(2, h.path.str())
        .bind(3, h.size)
        .bind(4, to_ns(h.mtime))
        .bind(5, h.inode)
        .bind(6, h.xxh64)
        .run();
}

Result<std::optional<std::string>> Journal::cached_hash(std::string_view project_id,
                                                        const RelPath& path, std::uint64_t size,
                                                        TimePoint mtime, std::uint64_t inode) {
    auto st = m_db->cached("SELECT xxh64 FROM local_hashes WHERE project_id = ?1 AND path = ?2 "
                           "AND size = ?3 AND mtime_ns = ?4 AND inode = ?5");
    if (!st)
        return st.error();
    (*st)
        ->bind(1, project_id)
        .bind(2, path.str())
        .bind(3, size)
        .bind(4, to_ns(mtime))
        .bind(5, inode);
    auto row = (*st)->step();
    if (!row)
        return row.error();
    std::optional<std::string> out;
    if (*row)
        out = (*st)->column_text(0);
    (*st)->reset();
    return out;
}

Status Journal::prune_hashes(std::string_view project_id, std::span<const RelPath> keep) {
    std::set<std::string> keep_set;
    for (const auto& p : keep)
        keep_set.insert(p.str());
    auto sel = m_db->cached("SELECT path FROM local_hashes WHERE project_id = ?1");
    if (!sel)
        return sel.error();
    (*sel)->bind(1, project_id);
    std::vector<std::string> drop;
    while (true) {
        auto row = (*sel)->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto p = (*sel)->column_text(0);
        if (!keep_set.contains(p))
            drop.push_back(std::move(p));
    }
    (*sel)->reset();
    auto del = m_db->cached("DELETE FROM local_hashes WHERE project_id = ?1 AND path = ?2");
    if (!del)
        return del.error();
    for (const auto& p : drop) {
        if (auto s = (*del)->bind(1, project_id).bind(2, p).run(); !s)
            return s;
    }
    return {};
}

// --- upload sessions ---------------------------------------------------------------------------

Status Journal::put_upload_session(std::string_view project_id, const UploadSession& u) {
    // The parts go with the session (ON DELETE CASCADE): replace both.
    if (auto s = delete_upload_session(project_id, u.path); !s)
        return s;
    auto st = m_db->cached(
        "INSERT INTO upload_sessions (project_id, path, asset_id, parent_id, name, filetype, "
        "filesize, local_mtime_ns, inode, created_at_ns, urls_expire_ns) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!st)
        return st.error();
    std::optional<std::int64_t> expires;
    if (u.urls_expire_at)
        expires = to_ns(*u.urls_expire_at);
    (*st)
        ->bind(1, project_id)
        .bind(2, u.path.str())
        .bind(3, u.asset_id)
        .bind(4, u.parent_id)
        .bind(5, u.name)
        .bind(6, u.filetype)
        .bind(7, u.filesize)
        .bind(8, to_ns(u.local_mtime))
        .bind(9, u.inode)
        .bind(10, to_ns(u.created_at))
        .bind(11, expires);
    if (auto s = (*st)->run(); !s)
        return s;
    auto part = m_db->cached("INSERT INTO upload_parts (project_id, path, part, byte_offset, "
                             "byte_length, url, done) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!part)
        return part.error();
    for (const auto& p : u.parts) {
        (*part)
            ->bind(1, project_id)
            .bind(2, u.path.str())
            .bind(3, p.index)
            .bind(4, p.offset)
            .bind(5, p.length)
            .bind(6, p.url)
            .bind(7, p.done ? 1 : 0);
        if (auto s = (*part)->run(); !s)
            return s;
    }
    return {};
}

Result<std::optional<UploadSession>> Journal::upload_session(std::string_view project_id,
                                                             const RelPath& path) {
    auto st = m_db->cached(
        "SELECT asset_id, parent_id, name, filetype, filesize, local_mtime_ns, inode, "
        "created_at_ns, urls_expire_ns FROM upload_sessions WHERE project_id = ?1 AND path = ?2");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id).bind(2, path.str());
    auto row = (*st)->step();
    if (!row)
        return row.error();
    if (!*row) {
        (*st)->reset();
        return std::optional<UploadSession>{};
    }
    UploadSession u;
    u.path = path;
    u.asset_id = (*st)->column_text(0);
    u.parent_id = (*st)->column_text(1);
    u.name = (*st)->column_text(2);
    u.filetype = (*st)->column_text(3);
    u.filesize = (*st)->column_uint64(4);
    u.local_mtime = from_ns((*st)->column_int64(5));
    u.inode = (*st)->column_uint64(6);
    u.created_at = from_ns((*st)->column_int64(7));
    if (auto e = (*st)->column_optional_int64(8))
        u.urls_expire_at = from_ns(*e);
    (*st)->reset();

    auto parts = m_db->cached("SELECT part, byte_offset, byte_length, url, done FROM upload_parts "
                              "WHERE project_id = ?1 AND path = ?2 ORDER BY part");
    if (!parts)
        return parts.error();
    (*parts)->bind(1, project_id).bind(2, path.str());
    while (true) {
        auto r = (*parts)->step();
        if (!r)
            return r.error();
        if (!*r)
            break;
        UploadPart p;
        const auto index = (*parts)->column_int64(0);
        if (index < 0 || index > 0xFFFF'FFFFLL) {
            (*parts)->reset();
            return bad_value("upload_parts", "part");
        }
        p.index = static_cast<std::uint32_t>(index);
        p.offset = (*parts)->column_uint64(1);
        p.length = (*parts)->column_uint64(2);
        p.url = (*parts)->column_text(3);
        p.done = (*parts)->column_int64(4) != 0;
        u.parts.push_back(std::move(p));
    }
    (*parts)->reset();
    return std::optional<UploadSession>(std::move(u));
}

Status Journal::mark_part_done(std::string_view project_id, const RelPath& path,
                               std::uint32_t index) {
    auto st = m_db->cached(
        "UPDATE upload_parts SET done = 1 WHERE project_id = ?1 AND path = ?2 AND part = ?3");
    if (!st)
        return st.error();
    return (*st)->bind(1, project_id).bind(2, path.str()).bind(3, index).run();
}

Status Journal::delete_upload_session(std::string_view project_id, const RelPath& path) {
    if (auto s = run_one(*m_db, "DELETE FROM upload_parts WHERE project_id = ?1 AND path = ?2",
                         project_id, path);
        !s)
        return s;
    return run_one(*m_db, "DELETE FROM upload_sessions WHERE project_id = ?1 AND path = ?2",
                   project_id, path);
}

// --- temporary downloads -----------------------------------------------------------------------

Status Journal::put_download_temp(std::string_view project_id, const DownloadTemp& t) {
    auto st = m_db->cached("INSERT OR REPLACE INTO download_temps (project_id, path, temp_name, "
                           "asset_id, size, started_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return st.error();
    return (*st)
        ->bind(1, project_id)
        .bind(2, t.path.str())
        .bind(3, t.temp_name)
        .bind(4, t.asset_id)
        .bind(5, t.size)
        .bind(6, to_ns(t.started_at))
        .run();
}

namespace {
Result<DownloadTemp> read_temp(const Statement& st) {
    DownloadTemp t;
    auto path = read_path(st, 0, "download_temps");
    if (!path)
        return path.error();
    t.path = std::move(*path);
    t.temp_name = st.column_text(1);
    t.asset_id = st.column_text(2);
    t.size = st.column_uint64(3);
    t.started_at = from_ns(st.column_int64(4));
    return t;
}
} // namespace

Result<std::optional<DownloadTemp>> Journal::download_temp(std::string_view project_id,
                                                           const RelPath& path) {
    auto st = m_db->cached("SELECT path, temp_name, asset_id, size, started_at_ns FROM "
                           "download_temps WHERE project_id = ?1 AND path = ?2");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id).bind(2, path.str());
    auto row = (*st)->step();
    if (!row)
        return row.error();
    if (!*row) {
        (*st)->reset();
        return std::optional<DownloadTemp>{};
    }
    auto t = read_temp(**st);
    (*st)->reset();
    if (!t)
        return t.error();
    return std::optional<DownloadTemp>(std::move(*t));
}

Status Journal::delete_download_temp(std::string_view project_id, const RelPath& path) {
    return run_one(*m_db, "DELETE FROM download_temps WHERE project_id = ?1 AND path = ?2",
                   project_id, path);
}

Result<std::vector<DownloadTemp>> Journal::download_temps(std::string_view project_id) {
    auto st = m_db->cached("SELECT path, temp_name, asset_id, size, started_at_ns FROM "
                           "download_temps WHERE project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    std::vector<DownloadTemp> out;
    while (true) {
        auto row = (*st)->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto t = read_temp(**st);
        if (!t) {
            (*st)->reset();
            return t.error();
        }
        out.push_back(std::move(*t));
    }
    (*st)->reset();
    std::sort(out.begin(), out.end(),
              [](const DownloadTemp& a, const DownloadTemp& b) { return a.path < b.path; });
    return out;
}

// --- failures ----------------------------------------------------------------------------------

Result<std::uint32_t> Journal::add_failure(std::string_view project_id, const RelPath& path,
                                           std::string_view error, TimePoint now) {
    auto st = m_db->cached(
        "INSERT INTO failures (project_id, path, count, last_error, last_failed_at_ns) VALUES "
        "(?1, ?2, 1, ?3, ?4) ON CONFLICT (project_id, path) DO UPDATE SET count = count + 1, "
        "last_error = excluded.last_error, last_failed_at_ns = excluded.last_failed_at_ns");
    if (!st)
        return st.error();
    if (auto s =
            (*st)->bind(1, project_id).bind(2, path.str()).bind(3, error).bind(4, to_ns(now)).run();
        !s)
        return s.error();
    return failures(project_id, path);
}

Result<std::uint32_t> Journal::failures(std::string_view project_id, const RelPath& path) {
    auto st = m_db->cached("SELECT count FROM failures WHERE project_id = ?1 AND path = ?2");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id).bind(2, path.str());
    auto row = (*st)->step();
    if (!row)
        return row.error();
    std::int64_t n = *row ? (*st)->column_int64(0) : 0;
    (*st)->reset();
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(n, 0, 0xFFFF'FFFFLL));
}

Status Journal::clear_failures(std::string_view project_id, const RelPath& path) {
    return run_one(*m_db, "DELETE FROM failures WHERE project_id = ?1 AND path = ?2", project_id,
                   path);
}

// --- lost creates ------------------------------------------------------------------------------

Status Journal::put_lost_create(std::string_view project_id, const LostCreate& l) {
    auto st =
        m_db->cached("INSERT OR REPLACE INTO lost_creates (project_id, path, parent_id, name, "
                     "filesize, since_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return st.error();
    return (*st)
        ->bind(1, project_id)
        .bind(2, l.path.str())
        .bind(3, l.parent_id)
        .bind(4, l.name)
        .bind(5, l.filesize)
        .bind(6, to_ns(l.since))
        .run();
}

Result<std::vector<LostCreate>> Journal::lost_creates(std::string_view project_id) {
    auto st = m_db->cached("SELECT path, parent_id, name, filesize, since_ns FROM lost_creates "
                           "WHERE project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    std::vector<LostCreate> out;
    while (true) {
        auto row = (*st)->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto path = read_path(**st, 0, "lost_creates");
        if (!path) {
            (*st)->reset();
            return path.error();
        }
        LostCreate l;
        l.path = std::move(*path);
        l.parent_id = (*st)->column_text(1);
        l.name = (*st)->column_text(2);
        l.filesize = (*st)->column_uint64(3);
        l.since = from_ns((*st)->column_int64(4));
        out.push_back(std::move(l));
    }
    (*st)->reset();
    std::sort(out.begin(), out.end(),
              [](const LostCreate& a, const LostCreate& b) { return a.path < b.path; });
    return out;
}

Status Journal::delete_lost_create(std::string_view project_id, const RelPath& path) {
    return run_one(*m_db, "DELETE FROM lost_creates WHERE project_id = ?1 AND path = ?2",
                   project_id, path);
}

// --- housekeeping ------------------------------------------------------------------------------

Result<std::vector<DownloadTemp>> Journal::prune_transfers(std::string_view project_id) {
    // A session is stale when its path's row is not (or no longer) an upload in progress.
    auto st = m_db->cached(
        "SELECT u.path FROM upload_sessions u LEFT JOIN journal_records r ON r.project_id = "
        "u.project_id AND r.path = u.path WHERE u.project_id = ?1 AND (r.path IS NULL OR "
        "r.state <> 2)");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    std::vector<RelPath> stale_uploads;
    while (true) {
        auto row = (*st)->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        auto p = read_path(**st, 0, "upload_sessions");
        if (!p) {
            (*st)->reset();
            return p.error();
        }
        stale_uploads.push_back(std::move(*p));
    }
    (*st)->reset();
    for (const auto& p : stale_uploads) {
        if (auto s = delete_upload_session(project_id, p); !s)
            return s.error();
    }

    auto temps = download_temps(project_id);
    if (!temps)
        return temps.error();
    std::vector<DownloadTemp> dropped;
    for (auto& t : *temps) {
        auto rec = record(project_id, t.path);
        if (!rec)
            return rec.error();
        const bool live = rec->has_value() &&
                          ((*rec)->state == JournalState::downloading ||
                           ((*rec)->state == JournalState::failed &&
                            (*rec)->direction == TransferDirection::down)) &&
                          (*rec)->asset_id == t.asset_id && !(*rec)->deleted_remotely &&
                          !(*rec)->conflict;
        if (live)
            continue;
        if (auto s = delete_download_temp(project_id, t.path); !s)
            return s.error();
        dropped.push_back(std::move(t));
    }
    return dropped;
}

// --- projects ----------------------------------------------------------------------------------

Result<std::optional<DiscoveryState>> Journal::discovery(std::string_view project_id) {
    auto st = m_db->cached("SELECT local_path, file_count, folder_count, updated_at, agreed_at_ns, "
                           "local_digest "
                           "FROM discovery WHERE project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    auto row = (*st)->step();
    if (!row)
        return row.error();
    if (!*row) {
        (*st)->reset();
        return std::optional<DiscoveryState>{};
    }
    DiscoveryState d;
    d.project_id = std::string(project_id);
    d.local_path = (*st)->column_text(0);
    d.file_count = (*st)->column_int64(1);
    d.folder_count = (*st)->column_int64(2);
    d.updated_at = (*st)->column_text(3);
    d.agreed_at = from_ns((*st)->column_int64(4));
    d.local_digest = (*st)->column_text(5);
    (*st)->reset();
    return std::optional<DiscoveryState>(std::move(d));
}

Status Journal::put_discovery(const DiscoveryState& d) {
    auto st = m_db->cached("INSERT OR REPLACE INTO discovery (project_id, local_path, file_count, "
                           "folder_count, updated_at, agreed_at_ns, local_digest) VALUES (?1, ?2, "
                           "?3, ?4, ?5, ?6, ?7)");
    if (!st)
        return st.error();
    return (*st)
        ->bind(1, d.project_id)
        .bind(2, d.local_path)
        .bind(3, d.file_count)
        .bind(4, d.folder_count)
        .bind(5, d.updated_at)
        .bind(6, to_ns(d.agreed_at))
        .bind(7, d.local_digest)
        .run();
}

Status Journal::clear_discovery(std::string_view project_id) {
    auto st = m_db->cached("DELETE FROM discovery WHERE project_id = ?1");
    if (!st)
        return st.error();
    return (*st)->bind(1, project_id).run();
}

Status Journal::put_project_run(const ProjectRun& r) {
    auto st = m_db->cached(
        "INSERT OR REPLACE INTO project_runs (project_id, run_id, finished_at_ns, result, counts, "
        "pending, skipped_names, changed_locally, remote_changed, conflicts) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!st)
        return st.error();
    return (*st)
        ->bind(1, r.project_id)
        .bind(2, r.run_id)
        .bind(3, to_ns(r.finished_at))
        .bind(4, r.result)
        .bind(5, r.counts_json.empty() ? std::string_view("{}") : std::string_view(r.counts_json))
        .bind(6, r.pending)
        .bind(7, r.skipped_names)
        .bind(8, r.changed_locally)
        .bind(9, r.remote_changed)
        .bind(10, r.conflicts)
        .run();
}

Result<std::optional<ProjectRun>> Journal::project_run(std::string_view project_id) {
    auto st = m_db->cached("SELECT run_id, finished_at_ns, result, counts, pending, skipped_names, "
                           "changed_locally, remote_changed, conflicts FROM project_runs WHERE "
                           "project_id = ?1");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    auto row = (*st)->step();
    if (!row)
        return row.error();
    if (!*row) {
        (*st)->reset();
        return std::optional<ProjectRun>{};
    }
    ProjectRun r;
    r.project_id = std::string(project_id);
    r.run_id = (*st)->column_int64(0);
    r.finished_at = from_ns((*st)->column_int64(1));
    r.result = (*st)->column_text(2);
    r.counts_json = (*st)->column_text(3);
    r.pending = (*st)->column_uint64(4);
    r.skipped_names = (*st)->column_uint64(5);
    r.changed_locally = (*st)->column_uint64(6);
    r.remote_changed = (*st)->column_uint64(7);
    r.conflicts = (*st)->column_uint64(8);
    (*st)->reset();
    return std::optional<ProjectRun>(std::move(r));
}

Result<StatusCounts> Journal::status_counts(std::string_view project_id) {
    StatusCounts c;
    auto st = m_db->cached(
        "SELECT CASE WHEN conflict THEN 'conflict' WHEN deleted_locally THEN 'deleted_locally' "
        "WHEN deleted_remotely THEN 'deleted_remotely' WHEN state = 4 THEN 'failed' "
        "WHEN state IN (2, 3) THEN 'pending' WHEN state = 1 THEN 'awaiting' ELSE 'synced' END "
        "AS class, count(*) FROM journal_records WHERE project_id = ?1 GROUP BY class");
    if (!st)
        return st.error();
    (*st)->bind(1, project_id);
    while (true) {
        auto row = (*st)->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        const auto cls = (*st)->column_text(0);
        const auto n = (*st)->column_uint64(1);
        if (cls == "conflict")
            c.conflicts = n;
        else if (cls == "deleted_locally")
            c.deleted_locally = n;
        else if (cls == "deleted_remotely")
            c.deleted_remotely = n;
        else if (cls == "failed")
            c.failed = n;
        else if (cls == "pending")
            c.pending = n;
        else if (cls == "awaiting")
            c.awaiting_verification = n;
        else
            c.synced = n;
    }
    (*st)->reset();

    auto obs = m_db->cached("SELECT count(*) FROM observations WHERE project_id = ?1");
    if (!obs)
        return obs.error();
    (*obs)->bind(1, project_id);
    auto row = (*obs)->step();
    if (!row)
        return row.error();
    if (*row)
        c.pending += (*obs)->column_uint64(0);
    (*obs)->reset();

    auto run = project_run(project_id);
    if (!run)
        return run.error();
    if (*run) {
        c.skipped_names = (*run)->skipped_names;
        c.changed_locally = (*run)->changed_locally;
        c.remote_changed = (*run)->remote_changed;
        c.conflicts = std::max(c.conflicts, (*run)->conflicts);
        c.last_run = std::move(*run);
    }
    return c;
}

} // namespace fios::store
