// SPDX-License-Identifier: MIT
#include "fios/transfer/part_pool.hpp"

#include <algorithm>

namespace fios::transfer {

/// One batch's queue. Guarded by the pool's mutex.
struct PartPool::Lane {
    std::deque<std::function<void()>> tasks;
    std::size_t running = 0;
    bool in_turn = false; ///< present in PartPool::m_lanes
    std::condition_variable changed;
};

PartPool::PartPool(std::size_t workers) {
    const std::size_t n = std::max<std::size_t>(1, workers);
    m_threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        m_threads.emplace_back([this] { run_worker(); });
}

PartPool::~PartPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_work.notify_all();
    for (auto& t : m_threads)
        t.join();
}

void PartPool::run_worker() {
    std::unique_lock lock(m_mutex);
    while (true) {
        m_work.wait(lock, [this] { return m_stop || !m_lanes.empty(); });
        if (m_stop)
            return;
        // Round robin: one task of the lane whose turn it is, then that lane goes to the back.
        std::shared_ptr<Lane> lane = m_lanes.front();
        m_lanes.pop_front();
        std::function<void()> task = std::move(lane->tasks.front());
        lane->tasks.pop_front();
        ++lane->running;
        if (!lane->tasks.empty())
            m_lanes.push_back(lane);
        else
            lane->in_turn = false;
        lock.unlock();
        task();
        task = nullptr; // release captures before reporting the task done
        lock.lock();
        --lane->running;
        lane->changed.notify_all();
    }
}

PartPool::Batch::Batch(PartPool& pool) : m_pool(pool), m_lane(std::make_shared<Lane>()) {}

PartPool::Batch::~Batch() {
    std::unique_lock lock(m_pool.m_mutex);
    m_lane->tasks.clear();
    if (m_lane->in_turn) {
        m_pool.m_lanes.remove(m_lane);
        m_lane->in_turn = false;
    }
    m_lane->changed.wait(lock, [this] { return m_lane->running == 0; });
}

void PartPool::Batch::add(std::function<void()> task) {
    {
        std::lock_guard lock(m_pool.m_mutex);
        m_lane->tasks.push_back(std::move(task));
        if (!m_lane->in_turn) {
            m_lane->in_turn = true;
            m_pool.m_lanes.push_back(m_lane);
        }
    }
    m_pool.m_work.notify_one();
}

bool PartPool::Batch::wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_pool.m_mutex);
    return m_lane->changed.wait_for(
        lock, timeout, [this] { return m_lane->tasks.empty() && m_lane->running == 0; });
}

void PartPool::Batch::drop_pending() {
    std::lock_guard lock(m_pool.m_mutex);
    m_lane->tasks.clear();
    if (m_lane->in_turn) {
        m_pool.m_lanes.remove(m_lane);
        m_lane->in_turn = false;
    }
    m_lane->changed.notify_all();
}

} // namespace fios::transfer
