// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/remote/remote.hpp"
#include "fios/transfer/downloader.hpp"
#include "fios/transfer/uploader.hpp"
#include "fios/transfer/verify.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace fios::transfer {

struct ExecutorOptions {
    std::size_t jobs = 4;      ///< file jobs at once (uploads, downloads, verification looks)
    std::size_t part_jobs = 8; ///< part PUTs at once, one pool shared by every upload
    VerifyPolicy verify;
    UploaderOptions uploader;
    DownloaderOptions downloader;
};

/// The caller's name for a job (e.g. a journal row id); echoed in every event.
using JobId = std::uint64_t;

enum class JobKind : std::uint8_t { upload, download, verify };
enum class EventKind : std::uint8_t {
    session_created, ///< upload: a new asset exists; persist `session` (resume data)
    part_done,       ///< upload: part `part_index` of the session is stored; persist it
    finished,        ///< the job is over; exactly one of upload/download/verify is set
};

/// What a job reports to the caller's thread. For one job, events arrive in this order:
/// session_created (at most once), part_done (any number), finished (exactly once, last).
struct Event {
    JobId id = 0;
    JobKind job = JobKind::upload;
    EventKind kind = EventKind::finished;
    std::optional<remote::UploadSession> session;   ///< session_created
    std::size_t part_index = 0;                     ///< part_done
    std::optional<Result<UploadResult>> upload;     ///< finished upload
    std::optional<Result<DownloadResult>> download; ///< finished download
    /// finished verify: the final state (a pending state when the timeout passed:
    /// "awaiting verification", look again in a later run)
    std::optional<Result<VerifyResult>> verify;
};

/// Bytes moved so far by all jobs (bytes re-sent by retries counted once).
struct Progress {
    std::uint64_t bytes_up = 0;
    std::uint64_t bytes_down = 0;
    std::size_t jobs_running = 0; ///< file jobs on a worker right now
    std::size_t jobs_waiting = 0; ///< queued, or verify jobs between two looks
};

/// Runs transfer jobs on a bounded pool of file workers (`jobs`) plus the shared part pool
/// (`part_jobs`), and hands everything they report back to ONE caller thread through
/// next_event(): workers never touch the journal. Jobs start in submission order.
///
/// Verify jobs look at the asset with check_upload(), and while it is pending wait on a
/// timer (verify_delay backoff, measured on the injected Clock) *off* the workers, so
/// waiting for checksums never holds a worker; at the policy's timeout they finish with the
/// pending state.
///
/// Cancellation (the token given here, or cancel()): queued jobs finish with
/// ErrorCode::cancelled without starting; running transfers stop at their next safe point
/// (between buffers) and finish with ErrorCode::cancelled (downloads keep their temporary
/// file, uploads their stored parts, for resume). Events of work done before the cancel
/// are still delivered. The destructor cancels and joins.
class Executor {
public:
    /// `remote` and `clock` must outlive the executor.
    Executor(remote::Remote& remote, const Clock& clock, ExecutorOptions options = {},
             const CancelToken* cancel = nullptr);
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    /// Queue a job. Thread-safe; never blocks on work. Ids need not be unique, but the
    /// caller can only tell events apart by them.
    void submit_upload(JobId id, UploadRequest request);
    void submit_download(JobId id, DownloadRequest request);
    void submit_verify(JobId id, VerifyRequest request);

    /// The next event, waiting at most `wait`. nullopt when none came in time (also
    /// immediately when nothing is queued, running or undelivered: check idle()).
    std::optional<Event> next_event(std::chrono::milliseconds wait);

    /// True when every submitted job's `finished` event has been taken by next_event().
    [[nodiscard]] bool idle() const;

    [[nodiscard]] Progress progress() const;

    /// Stop at the next safe point (see above). Idempotent, thread-safe.
    void cancel();

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace fios::transfer
