// SPDX-License-Identifier: MIT
#include "fios/transfer/executor.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

namespace fios::transfer {

namespace {

struct VerifyTask {
    VerifyRequest request;
    Clock::time_point started{};
    int looks = 0;
    bool started_set = false;
};

struct Job {
    JobId id = 0;
    std::variant<UploadRequest, DownloadRequest, VerifyTask> work;
};

struct Timer {
    Clock::time_point due{};
    Job job;
};

JobKind kind_of(const Job& job) {
    switch (job.work.index()) {
    case 0:
        return JobKind::upload;
    case 1:
        return JobKind::download;
    default:
        return JobKind::verify;
    }
}

Error cancelled_error() {
    return Error{ErrorCode::cancelled, "cancelled before it started"};
}

} // namespace

struct Executor::Impl {
    remote::Remote& remote;
    const Clock& clock;
    ExecutorOptions options;
    const CancelToken* external_cancel;

    CancelToken cancel_token; ///< what every job watches (set by cancel() or the external one)
    PartPool parts;
    Uploader uploader;
    Downloader downloader;

    mutable std::mutex mutex;
    std::condition_variable work_cv;  ///< jobs queued, or stop
    std::condition_variable event_cv; ///< events queued, or all finished
    std::condition_variable timer_cv; ///< timers changed, or stop
    std::deque<Job> queue;
    std::vector<Timer> timers;
    std::deque<Event> events;
    std::size_t unfinished = 0; ///< submitted jobs whose finished event was not taken
    std::size_t running = 0;
    bool stop = false;

    std::atomic<std::uint64_t> bytes_up{0};
    std::atomic<std::uint64_t> bytes_down{0};

    std::vector<std::thread> workers;
    std::thread timer_thread;

    Impl(remote::Remote& r, const Clock& c, ExecutorOptions o, const CancelToken* ext)
        : remote(r), clock(c), options(std::move(o)), external_cancel(ext),
          parts(std::max<std::size_t>(1, options.part_jobs)), uploader(r, parts, options.uploader),
          downloader(r, options.downloader) {}

    [[nodiscard]] bool cancelled() const {
        return cancel_token.cancelled() || (external_cancel && external_cancel->cancelled());
    }

    void push_event(Event e) {
        {
            std::lock_guard lock(mutex);
            events.push_back(std::move(e));
        }
        event_cv.notify_all();
    }

    void submit(Job job) {
        {
            std::lock_guard lock(mutex);
            ++unfinished;
            queue.push_back(std::move(job));
        }
        work_cv.notify_one();
    }

    void finish(const Job& job, Event e) {
        e.id = job.id;
        e.job = kind_of(job);
        e.kind = EventKind::finished;
        push_event(std::move(e));
    }

    void finish_cancelled(const Job& job) {
        Event e;
        switch (kind_of(job)) {
        case JobKind::upload:
            e.upload = Result<UploadResult>(cancelled_error());
            break;
        case JobKind::download:
            e.download = Result<DownloadResult>(cancelled_error());
            break;
        case JobKind::verify:
            e.verify = Result<VerifyResult>(cancelled_error());
            break;
        }
        finish(job, std::move(e));
    }

    void run(Job& job) {
        if (cancelled())
            return finish_cancelled(job);
        if (auto* up = std::get_if<UploadRequest>(&job.work)) {
            const JobId id = job.id;
            UploadCallbacks cb;
            cb.on_session = [this, id](const remote::UploadSession& s) {
                Event e;
                e.id = id;
                e.job = JobKind::upload;
                e.kind = EventKind::session_created;
                e.session = s;
                push_event(std::move(e));
            };
            cb.on_part_done = [this, id](std::size_t index) {
                Event e;
                e.id = id;
                e.job = JobKind::upload;
                e.kind = EventKind::part_done;
                e.part_index = index;
                push_event(std::move(e));
            };
            cb.on_progress = [this](std::uint64_t n) { bytes_up += n; };
            Event e;
            e.upload = uploader.upload(*up, cb, &cancel_token, external_cancel);
            return finish(job, std::move(e));
        }
        if (auto* down = std::get_if<DownloadRequest>(&job.work)) {
            ProgressFn progress = [this](std::uint64_t n) { bytes_down += n; };
            Event e;
            e.download = downloader.download(*down, progress, &cancel_token, external_cancel);
            return finish(job, std::move(e));
        }
        auto& v = std::get<VerifyTask>(job.work);
        const auto now = clock.now();
        if (!v.started_set) {
            v.started = now;
            v.started_set = true;
        }
        auto r = check_upload(remote, v.request);
        const auto deadline = v.started + options.verify.timeout;
        if (r && is_pending(r->state) && now < deadline && !cancelled()) {
            // Wait for the next look on the timer, off the workers.
            const auto delay = verify_delay(options.verify, v.looks++);
            Timer t;
            t.due = std::min<Clock::time_point>(now + delay, deadline);
            t.job = std::move(job);
            {
                std::lock_guard lock(mutex);
                timers.push_back(std::move(t));
            }
            timer_cv.notify_all();
            return;
        }
        Event e;
        e.verify = std::move(r);
        finish(job, std::move(e));
    }

    void worker_loop() {
        std::unique_lock lock(mutex);
        while (true) {
            work_cv.wait(lock, [this] { return stop || !queue.empty(); });
            if (stop)
                return;
            Job job = std::move(queue.front());
            queue.pop_front();
            ++running;
            lock.unlock();
            run(job);
            lock.lock();
            --running;
        }
    }

    /// Moves due verify jobs back to the queue; propagates the external cancel token.
    /// Polls (at most every 50 ms of real time) because the Clock may be a FakeClock that
    /// tests advance without notifying anyone.
    void timer_loop() {
        std::unique_lock lock(mutex);
        while (!stop) {
            timer_cv.wait_for(lock, std::chrono::milliseconds{50});
            if (stop)
                return;
            if (external_cancel && external_cancel->cancelled())
                cancel_token.cancel();
            if (timers.empty())
                continue;
            const auto now = clock.now();
            const bool all = cancelled(); // cancelled: every waiting look ends now
            bool moved = false;
            for (auto it = timers.begin(); it != timers.end();) {
                if (all || it->due <= now) {
                    queue.push_back(std::move(it->job));
                    it = timers.erase(it);
                    moved = true;
                } else {
                    ++it;
                }
            }
            if (moved)
                work_cv.notify_all();
        }
    }
};

Executor::Executor(remote::Remote& remote, const Clock& clock, ExecutorOptions options,
                   const CancelToken* cancel)
    : m_impl(std::make_unique<Impl>(remote, clock, std::move(options), cancel)) {
    Impl& impl = *m_impl;
    const std::size_t n = std::max<std::size_t>(1, impl.options.jobs);
    impl.workers.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        impl.workers.emplace_back([&impl] { impl.worker_loop(); });
    impl.timer_thread = std::thread([&impl] { impl.timer_loop(); });
}

Executor::~Executor() {
    Impl& impl = *m_impl;
    impl.cancel_token.cancel();
    {
        std::lock_guard lock(impl.mutex);
        impl.stop = true;
    }
    impl.work_cv.notify_all();
    impl.timer_cv.notify_all();
    for (auto& t : impl.workers)
        t.join();
    impl.timer_thread.join();
}

void Executor::submit_upload(JobId id, UploadRequest request) {
    m_impl->submit(Job{id, std::move(request)});
}

void Executor::submit_download(JobId id, DownloadRequest request) {
    m_impl->submit(Job{id, std::move(request)});
}

void Executor::submit_verify(JobId id, VerifyRequest request) {
    VerifyTask t;
    t.request = std::move(request);
    m_impl->submit(Job{id, std::move(t)});
}

std::optional<Event> Executor::next_event(std::chrono::milliseconds wait) {
    Impl& impl = *m_impl;
    std::unique_lock lock(impl.mutex);
    impl.event_cv.wait_for(lock, wait,
                           [&impl] { return !impl.events.empty() || impl.unfinished == 0; });
    if (impl.events.empty())
        return std::nullopt;
    Event e = std::move(impl.events.front());
    impl.events.pop_front();
    if (e.kind == EventKind::finished)
        --impl.unfinished;
    return e;
}

bool Executor::idle() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->unfinished == 0;
}

Progress Executor::progress() const {
    const Impl& impl = *m_impl;
    Progress p;
    p.bytes_up = impl.bytes_up.load();
    p.bytes_down = impl.bytes_down.load();
    std::lock_guard lock(impl.mutex);
    p.jobs_running = impl.running;
    p.jobs_waiting = impl.queue.size() + impl.timers.size();
    return p;
}

void Executor::cancel() {
    m_impl->cancel_token.cancel();
    m_impl->timer_cv.notify_all();
}

} // namespace fios::transfer
