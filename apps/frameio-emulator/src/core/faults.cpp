// SPDX-License-Identifier: MIT
#include "core/faults.hpp"

#include "core/crypto.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace fioemu {

namespace {

bool parse_probability(const std::string& v, double& out) {
    char* end = nullptr;
    errno = 0;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || errno != 0 || *end != '\0' || !std::isfinite(d) || d < 0 || d > 1) {
        return false;
    }
    out = d;
    return true;
}

bool parse_count(const std::string& v, std::int64_t& out) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || errno != 0 || *end != '\0' || n < 0)
        return false;
    out = n;
    return true;
}

std::size_t index_of(FaultStream s) {
    return static_cast<std::size_t>(s);
}

} // namespace

std::optional<std::string> parse_fault_spec(std::string_view spec, FaultConfig& out) {
    FaultConfig cfg;
    std::size_t pos = 0;
    while (pos < spec.size()) {
        std::size_t comma = spec.find(',', pos);
        if (comma == std::string_view::npos)
            comma = spec.size();
        const std::string item(spec.substr(pos, comma - pos));
        pos = comma + 1;
        if (item.empty())
            continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            return "fault '" + item + "' is not key=value";
        const std::string key = item.substr(0, eq);
        const std::string value = item.substr(eq + 1);
        bool ok = true;
        if (key == "api5xx") {
            ok = parse_probability(value, cfg.api5xx);
        } else if (key == "part5xx") {
            ok = parse_probability(value, cfg.part5xx);
        } else if (key == "download5xx") {
            ok = parse_probability(value, cfg.download5xx);
        } else if (key == "partreset") {
            ok = parse_probability(value, cfg.partreset);
        } else if (key == "truncate") {
            ok = parse_probability(value, cfg.truncate);
        } else if (key == "upload_failed") {
            ok = parse_probability(value, cfg.upload_failed);
        } else if (key == "latency_ms") {
            ok = parse_count(value, cfg.latency_ms) && cfg.latency_ms <= 60'000;
        } else if (key == "burst429") {
            ok = parse_count(value, cfg.burst429);
        } else if (key == "seed") {
            std::int64_t s = 0;
            ok = parse_count(value, s);
            cfg.seed = static_cast<std::uint64_t>(s);
        } else {
            return "unknown fault '" + key +
                   "' (known: api5xx, part5xx, download5xx, partreset, truncate, upload_failed, "
                   "latency_ms, seed, burst429)";
        }
        if (!ok) {
            return "bad value for fault '" + key + "': '" + value +
                   "' (probabilities are 0..1, counts are integers >= 0, latency_ms <= 60000)";
        }
    }
    out = cfg;
    return std::nullopt;
}

void FaultInjector::configure(const FaultConfig& config) {
    std::lock_guard lock(m_mutex);
    m_config = config;
    for (auto& c : m_counters)
        c = 0;
}

FaultConfig FaultInjector::config() const {
    std::lock_guard lock(m_mutex);
    return m_config;
}

double FaultInjector::uniform(FaultStream stream) {
    std::uint64_t k = 0;
    std::uint64_t seed = 0;
    {
        std::lock_guard lock(m_mutex);
        k = m_counters[index_of(stream)]++;
        seed = m_config.seed;
    }
    const std::uint64_t salt = splitmix64(static_cast<std::uint64_t>(index_of(stream)) + 1);
    const std::uint64_t x = splitmix64(seed ^ salt ^ splitmix64(k));
    return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}

bool FaultInjector::draw(FaultStream stream) {
    double p = 0;
    {
        std::lock_guard lock(m_mutex);
        switch (stream) {
        case FaultStream::api5xx:
            p = m_config.api5xx;
            break;
        case FaultStream::part5xx:
            p = m_config.part5xx;
            break;
        case FaultStream::download5xx:
            p = m_config.download5xx;
            break;
        case FaultStream::partreset:
            p = m_config.partreset;
            break;
        case FaultStream::truncate:
            p = m_config.truncate;
            break;
        case FaultStream::upload_failed:
            p = m_config.upload_failed;
            break;
        default:
            p = 0;
        }
    }
    if (p <= 0)
        return false;
    return uniform(stream) < p;
}

bool FaultInjector::take_burst429() {
    std::lock_guard lock(m_mutex);
    if (m_config.burst429 <= 0)
        return false;
    --m_config.burst429;
    return true;
}

std::int64_t FaultInjector::latency_ms() const {
    std::lock_guard lock(m_mutex);
    return m_config.latency_ms;
}

void FaultInjector::add_fail_next(FailNextRule rule) {
    std::lock_guard lock(m_mutex);
    m_fail_next.push_back(std::move(rule));
}

void FaultInjector::clear_fail_next() {
    std::lock_guard lock(m_mutex);
    m_fail_next.clear();
}

std::vector<FailNextRule> FaultInjector::pending_fail_next() const {
    std::lock_guard lock(m_mutex);
    return {m_fail_next.begin(), m_fail_next.end()};
}

std::optional<FailNextRule> FaultInjector::take_fail_next(std::string_view route) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_fail_next.begin(); it != m_fail_next.end(); ++it) {
        if (it->route != route)
            continue;
        FailNextRule rule = *it;
        if (--it->remaining <= 0)
            m_fail_next.erase(it);
        return rule;
    }
    return std::nullopt;
}

} // namespace fioemu
