// SPDX-License-Identifier: MIT
// core/task_threads: results and exceptions come back through the futures, no more threads
// than asked for ever run, and the destructor runs what was submitted before it joins.
#include "fios/core/task_threads.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using fios::TaskThreads;

TEST_CASE("task threads: results and exceptions through the futures, within the thread bound",
          "[core][threads]") {
    TaskThreads threads(3);
    std::mutex mutex;
    std::set<std::thread::id> ran_on;
    std::vector<std::future<int>> results;
    // Submitted from several threads at once, as concurrent folder listings do.
    std::vector<std::thread> submitters;
    std::mutex results_mutex;
    for (int s = 0; s < 4; ++s) {
        submitters.emplace_back([&, s] {
            for (int i = 0; i < 50; ++i) {
                auto f = threads.submit([&, v = s * 100 + i] {
                    std::lock_guard lock(mutex);
                    ran_on.insert(std::this_thread::get_id());
                    return v;
                });
                std::lock_guard lock(results_mutex);
                results.push_back(std::move(f));
            }
        });
    }
    for (auto& t : submitters)
        t.join();
    long sum = 0;
    for (auto& f : results)
        sum += f.get();
    long expected = 0;
    for (int s = 0; s < 4; ++s)
        for (int i = 0; i < 50; ++i)
            expected += s * 100 + i;
    CHECK(sum == expected);
    CHECK(ran_on.size() >= 1);
    CHECK(ran_on.size() <= 3);
    CHECK(ran_on.count(std::this_thread::get_id()) == 0);

    auto failing = threads.submit([]() -> int { throw std::runtime_error("task failed"); });
    CHECK_THROWS_WITH(failing.get(), "task failed");
}

TEST_CASE("task threads: the destructor runs every submitted task before it joins",
          "[core][threads]") {
    std::atomic<int> done{0};
    std::vector<std::future<void>> pending;
    {
        TaskThreads threads(2);
        for (int i = 0; i < 20; ++i) {
            pending.push_back(threads.submit([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                ++done;
            }));
        }
    }
    CHECK(done == 20);
    for (auto& f : pending)
        CHECK(f.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
}
