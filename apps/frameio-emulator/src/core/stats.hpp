// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace fioemu {

/// Request and status counters for GET /_emulator/stats. Keys are "METHOD /route/{pattern}";
/// statuses are keyed by their number ("reset" for a connection cut before any response).
class Stats {
public:
    void count_request(std::string_view route);
    void count_status(std::string_view status);
    [[nodiscard]] std::string to_json() const;
    void reset();

private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::int64_t, std::less<>> m_requests;
    std::map<std::string, std::int64_t, std::less<>> m_statuses;
};

} // namespace fioemu
