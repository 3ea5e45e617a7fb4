// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace fioemu {

class BlobStore;
class Clock;
class Model;

/// The post-upload pass: a background thread hashes completed uploads (XXH64 over all parts)
/// as soon as they complete; the hash becomes visible as `checksums` only once the emulator
/// clock reaches completion + --checksum-delay. settle() applies every due pass and, when a
/// due asset's hash is still being computed, waits for it: so what a client sees depends only
/// on the emulator clock, never on how fast hashing happened to be.
class Checksummer {
public:
    Checksummer(Model& model, BlobStore& blobs, Clock& clock);
    ~Checksummer();
    Checksummer(const Checksummer&) = delete;
    Checksummer& operator=(const Checksummer&) = delete;

    void start();
    void stop();
    /// Queues a completed asset for hashing.
    void enqueue(const std::string& asset_id);
    /// Publishes every due pass. Call without holding the model lock.
    void settle();
    /// Waits until `asset_id` is hashed (or cannot be). Call without the model lock.
    void wait_hashed(const std::string& asset_id);

private:
    void run();
    void hash_one(const std::string& id);
    bool is_hashed(const std::string& id);

    Model& m_model;
    BlobStore& m_blobs;
    Clock& m_clock;
    std::mutex m_mutex;
    std::condition_variable m_cv;      ///< work queued / stopping
    std::condition_variable m_done_cv; ///< a hash finished
    std::deque<std::string> m_queue;
    std::set<std::string> m_queued;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace fioemu
