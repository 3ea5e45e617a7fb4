// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace fios {

/// A few threads that run short tasks for whoever submits them, started at the first
/// submit() and joined by the destructor. For work that is asked for again and again (the
/// routes of every folder listing): a thread started per task costs more than the task.
/// Tasks must not wait for other tasks of the same TaskThreads (they could starve).
class TaskThreads {
public:
    explicit TaskThreads(std::size_t threads) : m_size(threads == 0 ? 1 : threads) {}
    ~TaskThreads();
    TaskThreads(const TaskThreads&) = delete;
    TaskThreads& operator=(const TaskThreads&) = delete;

    /// Runs `fn` on one of the threads; its result (or exception) comes through the future.
    template <class Fn>
    auto submit(Fn fn) -> std::future<std::invoke_result_t<Fn&>> {
        using R = std::invoke_result_t<Fn&>;
        auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
        auto future = task->get_future();
        enqueue([task] { (*task)(); });
        return future;
    }

private:
    void enqueue(std::function<void()> job);
    void work();

    std::size_t m_size;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_jobs;
    std::vector<std::thread> m_threads;
    std::size_t m_idle = 0; ///< threads waiting for a job
    bool m_stopping = false;
};

} // namespace fios
