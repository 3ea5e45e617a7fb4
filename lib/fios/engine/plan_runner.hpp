// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/plan/plan.hpp"
#include "fios/policy/policy.hpp"
#include "fios/remote/remote.hpp"
#include "fios/store/journal.hpp"
#include "fios/transfer/common.hpp"
#include "fios/transfer/executor.hpp"

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Private to engine/: the phase "execute" (and "record") of one project. Implements the
/// table "What the engine does with each action" of docs/sync-policy.md.
namespace fios::engine::detail {

/// Run-wide transfer bookkeeping shared by every project of a run (one executor per run).
struct RunProgress {
    std::uint64_t files_done = 0;
    std::uint64_t files_total = 0;
    std::uint64_t bytes_total = 0;
    Clock::time_point started{};
};

struct ProjectScope {
    std::string project_id;
    std::filesystem::path root;
    std::string root_folder_id;
    /// Transfers (and their verifications) in flight at most: bounds memory and the free
    /// space reserved by downloads.
    std::size_t window = 64;
    /// Free space that must remain after every download (setting free_space_margin_mb).
    std::uint64_t free_space_margin = 64ull * 1024 * 1024;
    /// RunOptions::meanwhile (may be empty).
    std::function<void(const std::function<void()>& keep_going)> meanwhile;
};

/// True for errors that end the whole run (disk full, unauthorized, cancelled, db), not one
/// item (transfer::ErrorScope::run).
[[nodiscard]] bool is_run_wide(const Error& e);

/// A path as messages show it: in quotes, hostile characters escaped (scan::escape_name).
[[nodiscard]] std::string quoted(const model::RelPath& p);

class PlanRunner {
public:
    PlanRunner(const ProjectScope& scope, store::Journal& journal, remote::Remote& remote,
               transfer::Executor& executor, const policy::Policy& policy, const Clock& clock,
               const CancelToken* cancel, Observer* observer, RunProgress& progress,
               Counts& counts);
    ~PlanRunner();
    PlanRunner(const PlanRunner&) = delete;
    PlanRunner& operator=(const PlanRunner&) = delete;

    /// Executes every action of `plan`, waiting for the transfers it starts. Returns an
    /// Error only for an environment-wide failure (auth, disk full, journal, cancel) that
    /// ended the project early; what finished before is recorded.
    Status execute(const plan::Plan& plan);

    /// True when every action ended in a state that another run with the same inputs would
    /// leave alone (nothing transferred, pending, failed or waiting for time).
    [[nodiscard]] bool settled() const noexcept { return m_settled; }

private:
    struct Job;

    // synchronous actions
    void do_create_remote_folder(const plan::Action& a);
    void do_create_local_folder(const plan::Action& a);
    /// `verified_by`: how the file was verified when the record cannot say (readback).
    void do_write_record(const plan::Action& a, std::string_view verified_by = {});
    /// A verify action (rows 48, 75, 76). With `--verify readback` on a backend without
    /// checksums, our upload is read back first (plan_runner_readback.cpp); returns the
    /// re-upload to start when the bytes read back differ (row 49), else nullptr.
    const plan::Action* do_verify(const plan::Action& a);
    void do_forget(const plan::Action& a);
    void do_skip(const plan::Action& a);

    // transfers
    void start_transfer(const plan::Action& a);
    void start_upload(Job job, bool resume_session);
    void start_fresh_upload(Job job);
    void start_download(Job job);
    void handle(transfer::Event& ev);
    void on_upload_finished(Job& job, Result<transfer::UploadResult>& result);
    void on_verify_finished(Job& job, Result<transfer::VerifyResult>& result);
    void on_download_finished(Job& job, Result<transfer::DownloadResult>& result);
    void reupload_after_mismatch(Job job, const std::string& detail);
    /// `--verify readback` of an upload verified by size: true when the bytes read back are
    /// the ones sent (the job goes on to be recorded synced); else the job was finished
    /// (awaiting verification on an error) or handed to rows 49 / 51 (mismatch).
    bool read_back(Job& job);
    void retry_failed_upload(Job job, const std::string& attempts);
    Status delete_our_asset(const std::string& asset_id, const model::RelPath& path);
    Status discard_lost_create(const model::RelPath& path, std::uint64_t fallback_size,
                               const std::string& fallback_parent);
    Status sweep_lost_create(const store::LostCreate& lost, const std::string& keep_asset);
    void sweep_lost_creates();
    void fail_transfer(Job& job, const Error& error);
    /// A transfer that ended in `error`: cancelled (its intent stays for the next run), a
    /// run-wide failure (ends the project's run), or a failure of this item (fail_transfer).
    void end_transfer(Job& job, const Error& error);
    void mark_failed_for_good(Job& job, const std::string& why);
    void finish_job(Job& job, ItemResult result, std::uint64_t bytes,
                    std::optional<Error> error = std::nullopt,
                    plan::SkipReason skip = plan::SkipReason::none);
    void run_scope_error(const Error& error);

    // journal (one writer: this thread), batched
    void ensure_tx();
    void write(const Status& status);
    Status flush();
    void submit_pending();
    void put_record(const model::JournalRecord& record);

    // helpers
    std::optional<std::string> remote_parent(const plan::Action& a);
    void item(const plan::Action& a, ItemResult result, std::uint64_t bytes = 0,
              std::optional<Error> error = std::nullopt, std::string_view verified_by = {});
    void count_skip(plan::SkipReason reason);
    void emit_progress(bool force);
    [[nodiscard]] bool stopping() const;
    [[nodiscard]] model::TimePoint now() const { return m_clock.now(); }

    ProjectScope m_scope;
    store::Journal& m_journal;
    remote::Remote& m_remote;
    transfer::Executor& m_executor;
    const policy::Policy& m_policy;
    const Clock& m_clock;
    const CancelToken* m_cancel;
    Observer* m_observer;
    RunProgress& m_progress;
    Counts& m_counts;

    std::optional<store::Transaction> m_tx;
    std::size_t m_tx_writes = 0;
    /// Jobs whose intents are written but not committed yet: submitted by flush().
    struct Submit {
        transfer::JobId id = 0;
        std::optional<transfer::UploadRequest> upload;
        std::optional<transfer::DownloadRequest> download;
        std::optional<transfer::VerifyRequest> verify;
    };
    std::vector<Submit> m_pending_submits;
    std::optional<Error> m_fatal;
    bool m_settled = true;
    std::size_t m_window = 64;
    /// Transfers failed in a row for network reasons (after the client's own retries): at
    /// k_unreachable_streak the API counts as unreachable and the run ends (exit 75).
    std::size_t m_network_streak = 0;
    std::map<model::RelPath, std::string> m_created_remote; ///< folders created this run
    std::map<model::RelPath, store::LostCreate> m_lost;     ///< lost creates to look for
    std::map<transfer::JobId, Job> m_jobs;
    /// Re-uploads made by do_verify (a readback mismatch); stable addresses for execute().
    std::deque<plan::Action> m_readback_reuploads;
    transfer::JobId m_next_id = 1;
    Clock::time_point m_last_progress{};
};

/// One transfer in flight (or a verification waiting for Frame.io's checksum). Defined here
/// because PlanRunner's members that use it live in several files (plan_runner_*.cpp).
struct PlanRunner::Job {
    plan::Action action;
    model::JournalRecord record; ///< the row as last written for this job
    std::uint32_t attempt = 1;
    std::string parent_id; ///< uploads: the remote folder
    std::optional<transfer::LocalFingerprint> expected;
    std::uint64_t size = 0;
    bool fresh_retry_done = false; ///< a resumed session was refused once already
    std::uint64_t reserved = 0;    ///< downloads: free space reserved
    std::uint64_t bytes = 0;       ///< bytes moved so far for this item
    bool verifying = false;        ///< waiting for Frame.io's checksum (not a transfer)
    bool read_back = false;        ///< `--verify readback` found the content we sent
};

} // namespace fios::engine::detail
