// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/model/entry.hpp"
#include "fios/model/rel_path.hpp"
#include "fios/plan/plan.hpp"
#include "fios/policy/policy.hpp"
#include "fios/scan/local_scanner.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fios::remote {
class Remote;
}
namespace fios::store {
class StateDb;
}
namespace fios::engine {
class ProjectDirectory;
class RemoteCache;
} // namespace fios::engine

/// One sync run over the selected projects: the only place that sequences the phases
///   lock → list projects → per project: scan local → (unchanged? done) → discover remote →
///   read journal → reconcile (plan::reconcile, twice when hashes are needed) → execute →
///   record
/// and the only owner of the journal (store::Journal) during a run.
///
/// Threads: run() is called on one thread, which is also the journal's only writer. Transfers
/// run on worker threads (transfer::Executor); their outcomes come back to the run() thread,
/// which writes them to the journal and calls the Observer. Every Observer call is made on the
/// run() thread, one at a time.
///
/// Safety contract (docs/sync-policy.md, "What the engine does with each action"):
///   - nothing is ever deleted locally; on Frame.io only our own unverified or incomplete
///     upload is deleted, to upload it again: the asset id the journal row names, or an
///     incomplete file of exactly our name and size created after our intent whose create
///     answer was lost;
///   - no partial file ever appears under a real name (downloads go to a hidden `.fios-*`
///     temporary file in the target folder, are verified, fsync'd and renamed atomically;
///     a new file never replaces an existing one);
///   - nothing from the server is written outside the project's folder, and symlinks are
///     never followed for reads or writes;
///   - every remote side effect is written to the journal as an intent before it happens and
///     as a fact after, so a run killed at any point resumes without duplicates;
///   - signed URLs and tokens never reach the Observer, error messages or logs (part URLs are
///     kept in the journal, inside the 0700 state folder, only while an upload can resume).
namespace fios::engine {

/// What one run should do. Defaults are the documented ones (docs/cli.md, configuration.md).
struct RunOptions {
    /// Print-only: list, scan, hash and reconcile, then report the plans through
    /// Observer::on_plan. No lock file, no remote write, no local write, no journal or state
    /// database write (new projects are not recorded, no run row).
    bool dry_run = false;
    policy::Direction direction = policy::Direction::both;
    /// Project ids to sync (each must be selected); empty = every selected project.
    std::vector<std::string> projects;
    std::size_t jobs = 4;      ///< files transferred at once (>= 1)
    std::size_t part_jobs = 4; ///< parts of one file transferred at once (>= 1)
    std::chrono::milliseconds settle{std::chrono::seconds{5}};
    /// Waits before retrying a failed item, by failures in a row (policy::Policy::backoff);
    /// empty: the policy's schedule (1 min, 5 min, 30 min, 2 h, 6 h). Not a setting: the CLI
    /// sets it only from the test hook FIOS_TEST_RETRY_BACKOFF_SECONDS (docs/testing.md), so
    /// that a watch soak converges in seconds once its faults stop.
    std::vector<std::chrono::seconds> backoff;
    /// How long the run waits (without blocking other work) for a fresh upload's checksum.
    std::chrono::seconds verify_timeout{60};
    /// `--verify readback` (policy::Policy::readback): read each fresh upload back on a
    /// backend without checksums (V4). Ignored on V2.
    bool readback = false;
    /// Free space that must remain after each download (setting free_space_margin_mb).
    std::uint64_t free_space_margin = 64ull * 1024 * 1024;
    /// Stored in the runs table ("sync --once").
    std::string command = "sync --once";
    /// List teams and projects first (recording new ones) and, when the directory has change
    /// counters (ProjectDirectory::has_change_counters: V2, not V4), skip selected projects
    /// whose counters and local folder are unchanged since their last fully agreed run. When
    /// false, every requested project is discovered (tests of one phase).
    bool list_projects = true;
    /// Partial runs (only with EngineDeps::remote_cache; docs/cli.md, "How a watch checks
    /// Frame.io"): project id -> the folders to list on Frame.io. Such a project's run lists
    /// these folders and every folder below them that the two sides and the journal do not
    /// agree on, lays that over the project's last view, and acts only on what the listings
    /// cover. A project without an entry, or without a view yet, is listed whole.
    std::map<std::string, std::set<model::RelPath>> scope;
    /// Projects whose local folder the caller knows to be unchanged since their previous run
    /// with this RemoteCache (a watch whose inotify saw nothing there). When that run left
    /// everything agreed (RemoteCache::agreed) and the scoped listings hold nothing new, the
    /// run stops after them: no local scan, no journal read, no reconcile (phase "unchanged").
    /// A wrong entry hides a local change until the next run without it: only name a project
    /// whose every folder is watched.
    std::set<std::string> local_unchanged;
    /// A partial run asks this (with the project's id) before it lists each further folder of
    /// the project's scope; true leaves the rest of that scope unlisted in this run: nothing
    /// there is acted on, and RemoteCache keeps those folders as unlisted. A watch's remote
    /// check gives way to local work this way. Called on a listing thread, one call at a
    /// time, while the run's other work waits. Empty: every scope folder is listed.
    std::function<bool(const std::string& project_id)> give_way;
    /// Called on the run's thread while a project's transfers go on: after each batch of
    /// their events (at least every 200 ms while the caller returns at once), with every
    /// journal write committed. The caller may do other work there, another project's run
    /// included (a watch runs what falls due for other projects beside a long transfer). The
    /// transfers in flight go on meanwhile; `keep_going` (valid during the call only) handles
    /// their events once without waiting, records them and starts the next ones: a caller
    /// that stays long calls it often (never from another thread). Empty: nothing is called.
    std::function<void(const std::function<void()>& keep_going)> meanwhile;
};

/// What happened to one item. Reaches `--json` output via to_string(): never rename.
enum class ItemResult : std::uint8_t {
    done,                  ///< the action's effect happened (transferred, created, adopted, ...)
    awaiting_verification, ///< transferred, but Frame.io has not reported a checksum yet
    skipped,               ///< a skip action (see ItemEvent::skip)
    conflict,              ///< the two sides differ; nothing was overwritten
    failed,                ///< the action failed; recorded with a backoff (see error)
    cancelled,             ///< not finished because the run was interrupted
};
[[nodiscard]] std::string_view to_string(ItemResult result) noexcept;

/// One finished action (every action of every executed plan, skips included).
struct ItemEvent {
    std::string project_id;
    model::RelPath path; ///< hostile_name: the folder the rejected item is in
    std::string name;    ///< hostile_name: the rejected raw name (print via scan::escape_name)
    model::EntryKind kind = model::EntryKind::file;
    plan::ActionKind action = plan::ActionKind::skip;
    plan::SkipReason skip = plan::SkipReason::none;
    ItemResult result = ItemResult::done;
    std::uint64_t bytes = 0;    ///< bytes transferred by this action (0 for non-transfers)
    std::uint32_t attempt = 0;  ///< transfers: the attempt for the current content
    std::string reason;         ///< the plan's one-sentence reason
    std::optional<Error> error; ///< failed / conflict: what went wrong (never a secret)
    /// A file synced by this action: how its content was verified ("checksum",
    /// "content-md5+size", "readback", "size"; policy::verified_by); "" otherwise.
    std::string verified_by;
};

/// Something the user should know that is not an item failure. Reaches `--json` via
/// to_string(): never rename a value.
enum class WarningKind : std::uint8_t {
    hostile_name,     ///< a remote or local name path_map refuses (skipped, counted)
    unsupported_type, ///< a local symlink, fifo, socket or device (skipped)
    local_unreadable, ///< a local folder that could not be read, or nested too deep
    duplicate,        ///< several remote items at one path; only the first seen syncs
    project,          ///< a project-level problem (folder missing, project gone, ...)
};
[[nodiscard]] std::string_view to_string(WarningKind kind) noexcept;

struct Warning {
    WarningKind kind = WarningKind::project;
    std::string project_id;
    std::string path;     ///< display form (escaped, one line); may be "" for project warnings
    std::string asset_id; ///< remote items: the asset concerned
    std::string message;  ///< one sentence, names the item
};

/// Transfer progress of the whole run. Sent on the run() thread, at most a few times per
/// second of the injected clock and after every finished transfer.
struct Progress {
    std::uint64_t files_done = 0;  ///< transfers finished (any result)
    std::uint64_t files_total = 0; ///< transfers planned so far
    std::uint64_t bytes_done = 0;
    std::uint64_t bytes_total = 0;
    double bytes_per_second = 0; ///< over the run so far (0 when no time has passed)
    std::chrono::milliseconds elapsed{0};
};

/// Counters of one project or of the whole run. Stable names in `--json` (docs/cli.md).
/// In a dry run they say what the plan would do (uploaded = uploads planned, ...).
struct Counts {
    std::uint64_t uploaded = 0;              ///< uploads finished and verified
    std::uint64_t downloaded = 0;            ///< downloads finished (verified or not)
    std::uint64_t adopted = 0;               ///< adopt: equal on both sides, nothing sent
    std::uint64_t verified = 0;              ///< verify: an earlier transfer is now verified
    std::uint64_t folders_created = 0;       ///< either side
    std::uint64_t awaiting_verification = 0; ///< transfers or pairs still without checksum
    std::uint64_t failed = 0;                ///< items failed this run (or failed for good)
    std::uint64_t conflicts = 0;
    std::uint64_t settling = 0;
    std::uint64_t deleted_locally = 0;
    std::uint64_t deleted_remotely = 0;
    std::uint64_t changed_locally = 0;
    std::uint64_t remote_changed = 0;
    std::uint64_t remote_incomplete = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t hostile_names = 0;
    std::uint64_t skipped_local = 0; ///< unsupported_type + local_unreadable + parent_skipped
    std::uint64_t backoff = 0;
    std::uint64_t direction_excluded = 0;
    std::uint64_t forgotten = 0;
    std::uint64_t cancelled = 0; ///< actions not finished because of an interruption
    std::uint64_t bytes_uploaded = 0;
    std::uint64_t bytes_downloaded = 0;

    Counts& operator+=(const Counts& other);
    /// True when something needs the user: items failed (now, for good, or waiting for a
    /// retry after a failure) or in conflict (exit code 1).
    [[nodiscard]] bool needs_attention() const noexcept {
        return failed > 0 || conflicts > 0 || backoff > 0;
    }
    friend bool operator==(const Counts&, const Counts&) = default;
};

/// Calls fn(name, value) for every counter of `c`, in a fixed order, with its stable
/// `--json` name (the field name above).
template <class Fn>
void for_each_count(const Counts& c, Fn&& fn) {
    fn("uploaded", c.uploaded);
    fn("downloaded", c.downloaded);
    fn("adopted", c.adopted);
    fn("verified", c.verified);
    fn("folders_created", c.folders_created);
    fn("awaiting_verification", c.awaiting_verification);
    fn("failed", c.failed);
    fn("conflicts", c.conflicts);
    fn("settling", c.settling);
    fn("deleted_locally", c.deleted_locally);
    fn("deleted_remotely", c.deleted_remotely);
    fn("changed_locally", c.changed_locally);
    fn("remote_changed", c.remote_changed);
    fn("remote_incomplete", c.remote_incomplete);
    fn("duplicates", c.duplicates);
    fn("hostile_names", c.hostile_names);
    fn("skipped_local", c.skipped_local);
    fn("backoff", c.backoff);
    fn("direction_excluded", c.direction_excluded);
    fn("forgotten", c.forgotten);
    fn("cancelled", c.cancelled);
    fn("bytes_uploaded", c.bytes_uploaded);
    fn("bytes_downloaded", c.bytes_downloaded);
}

/// The counters as one compact JSON object ({"uploaded":1,...}), as stored in the runs
/// table and printed by `--json`.
[[nodiscard]] std::string to_json(const Counts& counts);

/// How a run (or one project) ended. Reaches `--json` and the runs table: never rename.
enum class RunResult : std::uint8_t {
    ok,          ///< nothing needs attention (settling, awaiting checksum, deleted: not errors)
    partial,     ///< some items failed or are in conflict; the rest synced
    failed,      ///< an environment-wide error ended the run early (see RunReport::error)
    interrupted, ///< SIGINT/SIGTERM: stopped at a safe point, what finished is recorded
};
[[nodiscard]] std::string_view to_string(RunResult result) noexcept;

struct ProjectReport {
    std::string project_id;
    std::string name;
    std::string team_name;
    std::filesystem::path local_path;
    /// False when the project was found unchanged since its last fully agreed run and not
    /// reconciled: V2 by its counters and local folder, a watch's remote check by its
    /// listings (RunOptions::local_unchanged).
    bool discovered = true;
    /// scan::folder_digests of the run's local scan, when the run left the local folder as it
    /// scanned it (it created, downloaded and removed nothing there), finished its plan, and a
    /// partial run's listings left nothing the scan saw unanswered (outside them everything
    /// agreed): a caller that compares later scans with it (a watch's poll and safety-net
    /// rescan) then sees only what changed since, folder by folder. Unset when the run did not
    /// scan the folder, wrote in it, or saw local news it could not act on.
    std::optional<scan::FolderDigests> local_folders;
    /// A remote check gave way (RunOptions::give_way) and left some of its scope unlisted:
    /// it goes on in a later run. False when it listed its whole scope, or the whole tree.
    bool gave_way = false;
    Counts counts;
    /// A project-level error (local folder missing, remote root gone, listing failed with a
    /// non-fatal error). Such a project counts as failed; other projects continue.
    std::optional<Error> error;
};

struct RunReport {
    RunResult result = RunResult::ok;
    /// The environment-wide error that ended the run (result failed or interrupted).
    std::optional<Error> error;
    std::int64_t run_id = 0; ///< the runs table row (0 for a dry run)
    Counts totals;
    std::vector<ProjectReport> projects;
    std::vector<std::string> new_projects; ///< project ids listed for the first time
    std::chrono::milliseconds elapsed{0};
};

/// Receives a run's events, all on the run() thread. Default implementations ignore them.
class Observer {
public:
    virtual ~Observer() = default;
    /// A project's phase starts: "discover", "scan", "reconcile", "execute", or "unchanged"
    /// (not discovered, see ProjectReport::discovered).
    virtual void on_phase(const std::string& project_id, std::string_view phase) {
        (void)project_id;
        (void)phase;
    }
    /// The final plan of one project (after hashing), before it is executed. A dry run gets
    /// this and nothing else per project (no on_item).
    virtual void on_plan(const std::string& project_id, const plan::Plan& plan) {
        (void)project_id;
        (void)plan;
    }
    virtual void on_item(const ItemEvent& event) { (void)event; }
    virtual void on_warning(const Warning& warning) { (void)warning; }
    virtual void on_progress(const Progress& progress) { (void)progress; }
    /// Once, at the end of every run() that got past the lock (also after a fatal error).
    virtual void on_summary(const RunReport& report) { (void)report; }
};

/// What the engine works with. Everything must outlive the SyncEngine.
struct EngineDeps {
    /// The state database (selections, projects, runs, and the journal tables); used only
    /// on the run() thread.
    store::StateDb* state = nullptr;
    /// The backend (V2Remote or V4Remote). Thread-safe. Its capabilities() decide what
    /// counts as verified (policy::Verification).
    remote::Remote* remote = nullptr;
    /// Lists teams (V4: workspaces) and projects (engine/project_directory.hpp), the same
    /// generation as `remote`. Null: no listing, so new
    /// projects are not recorded and no project is skipped as unchanged.
    ProjectDirectory* projects = nullptr;
    const Clock* clock = &SystemClock::instance();
    /// Checked at every safe point and passed to transfers; may be null.
    const CancelToken* cancel = nullptr;
    /// The lock file (flock, holds the pid). Empty = "sync.lock" beside the state database.
    std::filesystem::path lock_file;
    /// True when the caller already holds the RunLock of this state directory for longer
    /// than one run (`sync --watch` holds it for its whole life): run() does not take it.
    bool lock_held = false;
    /// Each project's last remote view, kept between runs by a long-lived caller (`sync
    /// --watch`); null: every run lists every project whole (RunOptions::scope is ignored).
    RemoteCache* remote_cache = nullptr;
};

/// True for the error run() returns when another process holds the lock ("another
/// frameio-sync (pid N) is running"): ErrorCode::conflict with that message. Exit code 75.
[[nodiscard]] bool is_lock_held(const Error& error);

/// Runs sync passes. Not thread-safe: one run() at a time per engine (the lock file makes it
/// one per state directory across processes as well).
class SyncEngine {
public:
    explicit SyncEngine(EngineDeps deps);
    ~SyncEngine();
    SyncEngine(const SyncEngine&) = delete;
    SyncEngine& operator=(const SyncEngine&) = delete;

    /// One sync of the selected projects. `observer` may be null.
    ///
    /// Returns an Error, with nothing changed, when the run cannot start: the lock is held
    /// (is_lock_held), a requested project is not selected (not_found), selections overlap
    /// (invalid_config), the state database fails (db). Otherwise returns a RunReport, also
    /// when an environment-wide error (auth, disk full, journal, cancel) ended the run early:
    /// then report.result is failed or interrupted and report.error says why, and what
    /// finished before is recorded. Per-item failures never end a run.
    Result<RunReport> run(const RunOptions& options, Observer* observer = nullptr);

private:
    EngineDeps m_deps;
};

} // namespace fios::engine
