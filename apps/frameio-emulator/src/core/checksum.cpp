// SPDX-License-Identifier: MIT
#include "core/checksum.hpp"

#include "core/blobs.hpp"
#include "core/clock.hpp"
#include "core/model.hpp"

#include <chrono>
#include <iostream>

namespace fioemu {

Checksummer::Checksummer(Model& model, BlobStore& blobs, Clock& clock)
    : m_model(model), m_blobs(blobs), m_clock(clock) {}

Checksummer::~Checksummer() {
    stop();
}

void Checksummer::start() {
    {
        auto lock = m_model.lock();
        for (const auto& id : m_model.unhashed_completed()) {
            m_queue.push_back(id);
            m_queued.insert(id);
        }
    }
    m_thread = std::thread([this] { run(); });
}

void Checksummer::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_done_cv.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void Checksummer::enqueue(const std::string& asset_id) {
    {
        std::lock_guard lock(m_mutex);
        if (!m_queued.insert(asset_id).second)
            return;
        m_queue.push_back(asset_id);
    }
    m_cv.notify_all();
}

bool Checksummer::is_hashed(const std::string& id) {
    auto lock = m_model.lock();
    const Asset* a = m_model.asset(id);
    return !a || !a->checksum_eligible || !a->computed_hash.empty();
}

void Checksummer::wait_hashed(const std::string& asset_id) {
    enqueue(asset_id);
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        lock.unlock();
        if (is_hashed(asset_id))
            return;
        lock.lock();
        m_done_cv.wait_for(lock, std::chrono::milliseconds(50));
    }
}

void Checksummer::settle() {
    for (int round = 0; round < 1000; ++round) {
        std::vector<std::string> waiting;
        {
            auto lock = m_model.lock();
            waiting = m_model.settle(m_clock.now());
        }
        if (waiting.empty())
            return;
        for (const auto& id : waiting)
            wait_hashed(id);
        {
            std::lock_guard lock(m_mutex);
            if (m_stop)
                return;
        }
    }
}

void Checksummer::hash_one(const std::string& id) {
    Asset snapshot;
    {
        auto lock = m_model.lock();
        const Asset* a = m_model.asset(id);
        if (!a || !a->upload_completed_at || !a->computed_hash.empty() || !a->checksum_eligible) {
            return;
        }
        snapshot.id = a->id;
        snapshot.filesize = a->filesize;
        snapshot.part_count = a->part_count;
    }
    // Part files of a completed upload never change, so hashing outside the lock is safe.
    try {
        std::string hash = m_blobs.hash_content(snapshot);
        auto lock = m_model.lock();
        if (Asset* a = m_model.asset(id))
            m_model.set_computed_hash(*a, std::move(hash));
    } catch (const std::exception& e) {
        std::cerr << "frameio-emulator: cannot hash asset " << id << ": " << e.what()
                  << " (it will never get a checksum)\n";
        auto lock = m_model.lock();
        if (Asset* a = m_model.asset(id))
            m_model.give_up_checksum(*a);
    }
}

void Checksummer::run() {
    for (;;) {
        std::string id;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait_for(lock, std::chrono::milliseconds(250),
                          [&] { return m_stop || !m_queue.empty(); });
            if (m_stop)
                return;
            if (!m_queue.empty()) {
                id = m_queue.front();
                m_queue.pop_front();
            }
        }
        if (!id.empty()) {
            hash_one(id);
            {
                std::lock_guard lock(m_mutex);
                m_queued.erase(id);
            }
            m_done_cv.notify_all();
            continue;
        }
        // Idle: the background sweep publishes due passes whose hash is ready.
        try {
            std::vector<std::string> waiting;
            {
                auto lock = m_model.lock();
                waiting = m_model.settle(m_clock.now());
            }
            for (const auto& w : waiting)
                enqueue(w);
        } catch (const std::exception& e) {
            std::cerr << "frameio-emulator: checksum sweep failed: " << e.what() << "\n";
        }
    }
}

} // namespace fioemu
