// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fios::transfer {

/// The one bounded pool of part workers that every upload shares (`part_jobs` threads).
///
/// Fairness: each upload submits its parts through its own Batch, and workers take the next
/// task from the batches in round-robin order (one task per batch per turn), not in global
/// FIFO order. A 400-part upload therefore cannot starve a 1-part upload that arrives
/// later: the small file's part runs after at most one task of each other active batch.
class PartPool {
public:
    explicit PartPool(std::size_t workers);
    /// Joins the workers. Every Batch must have been destroyed first.
    ~PartPool();
    PartPool(const PartPool&) = delete;
    PartPool& operator=(const PartPool&) = delete;

    [[nodiscard]] std::size_t workers() const noexcept { return m_threads.size(); }

    struct Lane;

    /// The tasks of one upload. Not thread-safe itself (one owner thread), but its tasks run
    /// on pool workers. The destructor drops the tasks that have not started and waits for
    /// the running ones, so task captures may refer to the owner's stack.
    class Batch {
    public:
        explicit Batch(PartPool& pool);
        ~Batch();
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

        void add(std::function<void()> task);
        /// Waits until every added task has run or was dropped, at most `timeout`;
        /// true when none is left.
        bool wait_for(std::chrono::milliseconds timeout);
        /// Drops the tasks that have not started; running ones finish.
        void drop_pending();

    private:
        PartPool& m_pool;
        std::shared_ptr<Lane> m_lane;
    };

private:
    void run_worker();

    std::mutex m_mutex;
    std::condition_variable m_work;
    std::list<std::shared_ptr<Lane>> m_lanes; ///< lanes with pending tasks, in turn order
    bool m_stop = false;
    std::vector<std::thread> m_threads;
};

} // namespace fios::transfer
