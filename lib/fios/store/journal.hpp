// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"
#include "fios/model/journal_record.hpp"
#include "fios/model/rel_path.hpp"
#include "fios/model/snapshot.hpp"
#include "fios/store/sqlite.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// The sync journal: per project and path, the last state both sides agreed on
/// (model::JournalRecord), plus what a run needs to resume and to explain itself: upload
/// sessions (asset, part URLs, parts done), temporary download files, settle observations,
/// a local hash cache, consecutive failures, discovery counters and the last run of each
/// project. The tables live in the state database (migration 2, docs/journal-schema.md).
///
/// Thread-safety: none. The sync engine uses a Journal from its one writer thread; batch
/// writes with transaction(). Tests and `status` may open their own Journal over their own
/// connection (WAL lets them read while a sync writes).
///
/// Secrets: upload part URLs are pre-signed (their query carries a signature). They are
/// stored here because a resumed upload needs them, in a file inside the 0700 state folder;
/// they are never returned in an error message and must never be logged by callers.
namespace fios::store {

using model::TimePoint;

/// One part of an upload session.
struct UploadPart {
    std::uint32_t index = 0; ///< 0-based
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::string url; ///< pre-signed: a secret
    bool done = false;

    friend bool operator==(const UploadPart&, const UploadPart&) = default;
};

/// An upload whose asset exists on Frame.io: enough to continue it after a crash.
struct UploadSession {
    model::RelPath path;
    std::string asset_id;
    std::string parent_id;
    std::string name;
    std::string filetype;
    std::uint64_t filesize = 0;
    /// The local file the parts are read from, as it was when the upload began.
    TimePoint local_mtime{};
    std::uint64_t inode = 0;
    TimePoint created_at{};
    std::optional<TimePoint> urls_expire_at; ///< when known; resume only before it
    std::vector<UploadPart> parts;           ///< ordered by index

    [[nodiscard]] std::size_t parts_done() const noexcept;
    friend bool operator==(const UploadSession&, const UploadSession&) = default;
};

/// A download's hidden temporary file, for resuming with Range.
struct DownloadTemp {
    model::RelPath path;   ///< the final path
    std::string temp_name; ///< file name in the same folder (starts with scan::k_temp_prefix)
    std::string asset_id;
    std::uint64_t size = 0; ///< the asset's size when the download began
    TimePoint started_at{};

    friend bool operator==(const DownloadTemp&, const DownloadTemp&) = default;
};

/// A create whose answer was lost, resolved by starting over: an incomplete file named
/// `name` of `filesize` bytes in `parent_id`, created at or after `since`, other than the
/// asset the path's row follows, is that create landing late (its process died while the
/// request was in flight): ours, unverified, to delete.
struct LostCreate {
    model::RelPath path;
    std::string parent_id;
    std::string name;
    std::uint64_t filesize = 0;
    TimePoint since{};

    friend bool operator==(const LostCreate&, const LostCreate&) = default;
};

/// A project's counters when its folder and Frame.io last fully agreed (nothing pending).
/// A later listing with the same counters and the same local folder means nothing changed
/// remotely, so the project is not listed again.
struct DiscoveryState {
    std::string project_id;
    std::string local_path;
    std::int64_t file_count = 0;
    std::int64_t folder_count = 0;
    std::string updated_at;   ///< the API's text
    std::string local_digest; ///< the engine's digest of the local scan at that time
    TimePoint agreed_at{};

    friend bool operator==(const DiscoveryState&, const DiscoveryState&) = default;
};

/// The last run that touched a project, with counts that the journal rows cannot give
/// (settling files, refused names, changes only reported).
struct ProjectRun {
    std::string project_id;
    std::int64_t run_id = 0;
    TimePoint finished_at{};
    std::string result;      ///< "ok", "partial", "failed", "interrupted", "unchanged"
    std::string counts_json; ///< the engine's Counts as a JSON object
    std::uint64_t pending = 0;
    std::uint64_t skipped_names = 0;
    std::uint64_t changed_locally = 0;
    std::uint64_t remote_changed = 0;
    /// Conflicts seen by that run, including paths never synced (which have no row).
    std::uint64_t conflicts = 0;

    friend bool operator==(const ProjectRun&, const ProjectRun&) = default;
};

/// What `status` shows per project (rows are counted once, by their first matching class
/// in this order: conflict, deleted_locally, deleted_remotely, failed, pending,
/// awaiting_verification, synced).
struct StatusCounts {
    std::uint64_t synced = 0;
    std::uint64_t pending = 0; ///< uploads/downloads begun and not finished + settling files
    std::uint64_t awaiting_verification = 0;
    std::uint64_t failed = 0;
    std::uint64_t deleted_locally = 0;
    std::uint64_t deleted_remotely = 0;
    std::uint64_t conflicts = 0;       ///< marked rows, or the last run's count when higher (a
                                       ///< conflict between two never-synced files has no row)
    std::uint64_t skipped_names = 0;   ///< from the last run
    std::uint64_t changed_locally = 0; ///< from the last run
    std::uint64_t remote_changed = 0;  ///< from the last run
    std::optional<ProjectRun> last_run;

    friend bool operator==(const StatusCounts&, const StatusCounts&) = default;
};

/// What Journal::bind_folder did with a project's rows when it was selected into a folder.
/// Reaches `select --json` via to_string(): never rename a value.
enum class FolderBinding : std::uint8_t {
    fresh,   ///< there were no rows: the folder starts from nothing
    kept,    ///< the rows were recorded for this folder: kept (a re-select of the same folder)
    dropped, ///< the rows were recorded for another folder: dropped, the folder starts afresh
    /// Rows from before schema version 5, whose folder was not recorded: left as they are; the
    /// engine's next run keeps them if the folder's files still carry their fingerprints, else
    /// drops them (engine::SyncEngine, "whose journal").
    unknown,
};
[[nodiscard]] std::string_view to_string(FolderBinding binding) noexcept;

/// The outcome of Journal::bind_folder.
struct JournalBinding {
    FolderBinding outcome = FolderBinding::fresh;
    /// The folder the rows had been recorded for (kept: the same folder; dropped: the old one);
    /// std::nullopt when none was recorded.
    std::optional<std::string> previous_folder;
    std::uint64_t records = 0; ///< journal_records rows kept, dropped, or left unbound

    friend bool operator==(const JournalBinding&, const JournalBinding&) = default;
};

class Journal {
public:
    /// Uses `db`, which must be migrated (StateDb::open does it) and outlive the Journal.
    explicit Journal(Db& db) : m_db(&db) {}

    /// A write transaction (BEGIN IMMEDIATE): batch related writes and commit them at once.
    /// Not nestable.
    Result<Transaction> transaction();

    // --- the folder the rows belong to -------------------------------------------------------
    //
    // A project's rows describe what ONE local folder and Frame.io agreed on: applied to another
    // folder they would make every file look deleted there (and nothing would come down). So
    // the journal is bound to the folder it was recorded for (table journal_folders, schema
    // version 5), and a project selected into another folder starts from nothing. Folders are
    // compared by the selection's stored path (absolute, normal, symlinks resolved by the CLI),
    // not by inode: a disk that is not mounted must not make its journal look foreign.

    /// The folder the project's rows were recorded for; std::nullopt when none is recorded.
    Result<std::optional<std::string>> folder(std::string_view project_id);
    /// Binds the project's journal to `local_path` (a selection's folder as StateDb stores it):
    /// kept when it was recorded for that folder; rows recorded for another folder are dropped
    /// (reset_folder); rows with no folder recorded are left unbound (FolderBinding::unknown).
    /// Writes several tables: call inside a transaction.
    Result<JournalBinding> bind_folder(std::string_view project_id, std::string_view local_path);
    /// Records that the project's rows, as they are, belong to `local_path`.
    Status adopt_folder(std::string_view project_id, std::string_view local_path);
    /// Drops everything kept for the project's folder (records, upload sessions, temporary
    /// downloads, observations, hashes, failures, discovery, last run) and binds the empty
    /// journal to `local_path`. Lost creates are kept: they describe Frame.io, not a folder, and
    /// later runs still look for them. Nothing on disk or on Frame.io is touched. Returns the
    /// number of journal_records rows dropped. Call inside a transaction.
    Result<std::uint64_t> reset_folder(std::string_view project_id, std::string_view local_path);

    // --- records ----------------------------------------------------------------------------

    /// Every row of the project, the settle observations and the local hash cache: what
    /// plan::reconcile reads.
    Result<model::JournalSnapshot> snapshot(std::string_view project_id);
    Result<std::map<model::RelPath, model::JournalRecord>> records(std::string_view project_id);
    Result<std::optional<model::JournalRecord>> record(std::string_view project_id,
                                                       const model::RelPath& path);
    /// Inserts or replaces the row at record.path.
    Status put_record(std::string_view project_id, const model::JournalRecord& record);
    /// Deletes the row and everything else kept for the path (upload session, temporary
    /// download, observation, hash, failures). Returns false when there was no row.
    Result<bool> forget(std::string_view project_id, const model::RelPath& path);

    // --- settle observations and the local hash cache ---------------------------------------

    /// Replaces the project's observations with exactly `observations` (Plan::observations).
    Status replace_observations(std::string_view project_id,
                                std::span<const model::LocalObservation> observations);
    /// Remembers a local file's XXH64 for its fingerprint (path, size, mtime, inode).
    Status put_hash(std::string_view project_id, const model::LocalHash& hash);
    /// The cached hash of `path`, only when the fingerprint is still the same.
    Result<std::optional<std::string>> cached_hash(std::string_view project_id,
                                                   const model::RelPath& path, std::uint64_t size,
                                                   TimePoint mtime, std::uint64_t inode);
    /// Drops cached hashes of paths not in `keep` (files gone or hashed for a past state).
    Status prune_hashes(std::string_view project_id, std::span<const model::RelPath> keep);

    // --- upload sessions ---------------------------------------------------------------------

    /// Inserts or replaces the session of session.path (and its parts).
    Status put_upload_session(std::string_view project_id, const UploadSession& session);
    Result<std::optional<UploadSession>> upload_session(std::string_view project_id,
                                                        const model::RelPath& path);
    Status mark_part_done(std::string_view project_id, const model::RelPath& path,
                          std::uint32_t index);
    Status delete_upload_session(std::string_view project_id, const model::RelPath& path);

    // --- temporary downloads -----------------------------------------------------------------

    Status put_download_temp(std::string_view project_id, const DownloadTemp& temp);
    Result<std::optional<DownloadTemp>> download_temp(std::string_view project_id,
                                                      const model::RelPath& path);
    Status delete_download_temp(std::string_view project_id, const model::RelPath& path);
    Result<std::vector<DownloadTemp>> download_temps(std::string_view project_id);

    // --- failures ---------------------------------------------------------------------------

    /// Counts one more consecutive failure of `path` and returns the new count (1 = first).
    Result<std::uint32_t> add_failure(std::string_view project_id, const model::RelPath& path,
                                      std::string_view error, TimePoint now);
    /// Consecutive failures so far (0 when none).
    Result<std::uint32_t> failures(std::string_view project_id, const model::RelPath& path);
    /// The path succeeded: its failure count starts again.
    Status clear_failures(std::string_view project_id, const model::RelPath& path);

    // --- lost creates ------------------------------------------------------------------------

    /// Inserts or replaces the lost create of lost.path.
    Status put_lost_create(std::string_view project_id, const LostCreate& lost);
    Result<std::vector<LostCreate>> lost_creates(std::string_view project_id);
    Status delete_lost_create(std::string_view project_id, const model::RelPath& path);

    // --- transfer state housekeeping --------------------------------------------------------

    /// Deletes upload sessions and download temporaries (rows only) of paths whose record is
    /// not in an uploading / downloading state any more (a download's temporary file is kept
    /// only for the same asset, while it is neither deleted on Frame.io nor in conflict). Returns
    /// the temporaries dropped so the caller can remove their files.
    Result<std::vector<DownloadTemp>> prune_transfers(std::string_view project_id);

    // --- projects ---------------------------------------------------------------------------

    Result<std::optional<DiscoveryState>> discovery(std::string_view project_id);
    Status put_discovery(const DiscoveryState& state);
    Status clear_discovery(std::string_view project_id);

    Status put_project_run(const ProjectRun& run);
    Result<std::optional<ProjectRun>> project_run(std::string_view project_id);

    /// Counts for `status`.
    Result<StatusCounts> status_counts(std::string_view project_id);

private:
    Db* m_db;
};

} // namespace fios::store
