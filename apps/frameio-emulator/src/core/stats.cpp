// SPDX-License-Identifier: MIT
#include "core/stats.hpp"

#include "core/json.hpp"

namespace fioemu {

void Stats::count_request(std::string_view route) {
    std::lock_guard lock(m_mutex);
    auto it = m_requests.find(route);
    if (it == m_requests.end()) {
        m_requests.emplace(std::string(route), 1);
    } else {
        ++it->second;
    }
}

void Stats::count_status(std::string_view status) {
    std::lock_guard lock(m_mutex);
    auto it = m_statuses.find(status);
    if (it == m_statuses.end()) {
        m_statuses.emplace(std::string(status), 1);
    } else {
        ++it->second;
    }
}

std::string Stats::to_json() const {
    std::lock_guard lock(m_mutex);
    Json j;
    j.begin_object();
    j.key("requests").begin_object();
    for (const auto& [k, v] : m_requests)
        j.key(k).i64(v);
    j.end_object();
    j.key("statuses").begin_object();
    for (const auto& [k, v] : m_statuses)
        j.key(k).i64(v);
    j.end_object();
    j.end_object();
    return j.take();
}

void Stats::reset() {
    std::lock_guard lock(m_mutex);
    m_requests.clear();
    m_statuses.clear();
}

} // namespace fioemu
