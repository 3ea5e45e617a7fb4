// SPDX-License-Identifier: MIT
#pragma once

#include <thread>

namespace fios::test {

template <class F>
bool wait_until(F&& condition, std::chrono::milliseconds deadline, std::chrono::milliseconds poll) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() >= end)
            return false;
        std::this_thread::sleep_for(poll);
    }
}

} // namespace fios::test
