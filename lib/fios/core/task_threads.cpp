// SPDX-License-Identifier: MIT
#include "fios/core/task_threads.hpp"

namespace fios {

TaskThreads::~TaskThreads() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads)
        t.join();
}

void TaskThreads::enqueue(std::function<void()> job) {
    {
        std::lock_guard lock(m_mutex);
        m_jobs.push_back(std::move(job));
        // One more thread while there are fewer than m_size and work is waiting.
        if (m_threads.size() < m_size && m_jobs.size() > m_idle)
            m_threads.emplace_back([this] { work(); });
    }
    m_cv.notify_one();
}

void TaskThreads::work() {
    std::unique_lock lock(m_mutex);
    while (true) {
        ++m_idle;
        m_cv.wait(lock, [&] { return m_stopping || !m_jobs.empty(); });
        --m_idle;
        if (m_jobs.empty())
            return; // stopping, nothing left
        auto job = std::move(m_jobs.front());
        m_jobs.pop_front();
        lock.unlock();
        job();
        lock.lock();
    }
}

} // namespace fios
