// SPDX-License-Identifier: MIT
#include "support/process.hpp"

#include "fios/transfer/part_pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

using namespace fios::transfer;
using namespace std::chrono_literals;

namespace {

/// A gate the first task waits on, so the test can queue everything before anything runs.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    void wait() {
        std::unique_lock l(m);
        cv.wait(l, [&] { return open; });
    }
    void release() {
        {
            std::lock_guard l(m);
            open = true;
        }
        cv.notify_all();
    }
};

} // namespace

TEST_CASE("part pool runs every task of a batch", "[transfer][part_pool]") {
    PartPool pool(3);
    std::atomic<int> ran{0};
    PartPool::Batch batch(pool);
    for (int i = 0; i < 50; ++i)
        batch.add([&] { ++ran; });
    while (!batch.wait_for(1000ms)) {
    }
    CHECK(ran == 50);
}

TEST_CASE("part pool serves batches round robin: a big upload cannot starve a small one",
          "[transfer][part_pool]") {
    PartPool pool(1);
    Gate gate;
    std::mutex m;
    std::vector<std::string> order;
    const auto record = [&](std::string s) {
        std::lock_guard l(m);
        order.push_back(std::move(s));
    };
    PartPool::Batch big(pool);
    big.add([&] {
        gate.wait();
        record("big0");
    });
    for (int i = 1; i < 20; ++i)
        big.add([&, i] { record("big" + std::to_string(i)); });
    PartPool::Batch small(pool);
    small.add([&] { record("small"); });
    gate.release();
    while (!small.wait_for(1000ms)) {
    }
    while (!big.wait_for(1000ms)) {
    }
    REQUIRE(order.size() == 21);
    // The single worker was inside big0 when everything was queued; then the turns
    // alternate, so the small batch's only task runs right after one more big task at most.
    const auto pos = std::find(order.begin(), order.end(), "small") - order.begin();
    CHECK(pos <= 2);
}

TEST_CASE("dropping a batch's pending tasks leaves running ones to finish",
          "[transfer][part_pool]") {
    PartPool pool(1);
    Gate gate;
    std::atomic<int> ran{0};
    std::atomic<bool> started{false};
    {
        PartPool::Batch batch(pool);
        batch.add([&] {
            started = true;
            gate.wait();
            ++ran;
        });
        for (int i = 0; i < 10; ++i)
            batch.add([&] { ++ran; });
        REQUIRE(fios::test::wait_until([&] { return started.load(); }));
        batch.drop_pending();
        CHECK_FALSE(batch.wait_for(1ms)); // the gated task is still running
        gate.release();
        while (!batch.wait_for(1000ms)) {
        }
    }
    CHECK(ran == 1);
}
