// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fioemu {

/// Injected failures, all seeded and reproducible (docs/emulator.md, "Faults").
struct FaultConfig {
    double api5xx = 0;           ///< share of API requests answered 500/502/503
    double part5xx = 0;          ///< share of part PUTs answered 500/503 (part not stored)
    double download5xx = 0;      ///< share of downloads answered 500/503
    double partreset = 0;        ///< share of part PUTs whose connection is closed mid-body
    double truncate = 0;         ///< share of downloads that stop short of their Content-Length
    double upload_failed = 0;    ///< V4: share of completed uploads marked upload_failed
    std::int64_t latency_ms = 0; ///< added before every API, part and download request
    std::uint64_t seed = 0;
    std::int64_t burst429 = 0; ///< the next N API requests get 429
};

/// Parses "api5xx=0.1,latency_ms=20,seed=7" (keys above). Empty spec = no faults.
/// Returns an error message, or nullopt on success.
std::optional<std::string> parse_fault_spec(std::string_view spec, FaultConfig& out);

/// Which independent, seeded stream a draw comes from: the k-th draw of a stream is the same
/// in every run with the same seed, whatever happens on the other streams.
enum class FaultStream {
    api5xx,
    part5xx,
    download5xx,
    partreset,
    truncate,
    no_checksum,
    status,
    upload_failed
};

/// A queued one-shot failure (POST /_emulator/fail-next).
struct FailNextRule {
    std::string route; ///< stats key, e.g. "POST /v2/assets/{id}/children"
    int status = 500;
    bool after = false; ///< fail after the side effect happened
    std::int64_t remaining = 1;
};

class FaultInjector {
public:
    void configure(const FaultConfig& config);
    [[nodiscard]] FaultConfig config() const;

    /// True with probability `p` of the config for `stream`; deterministic per (seed, stream, k).
    bool draw(FaultStream stream);
    /// A deterministic uniform number in [0,1) from `stream`.
    double uniform(FaultStream stream);
    /// Takes one request from the forced 429 burst; true if this request must get 429.
    bool take_burst429();
    [[nodiscard]] std::int64_t latency_ms() const;

    void add_fail_next(FailNextRule rule);
    void clear_fail_next();
    [[nodiscard]] std::vector<FailNextRule> pending_fail_next() const;
    /// Consumes the first rule queued for `route`, if any.
    std::optional<FailNextRule> take_fail_next(std::string_view route);

private:
    mutable std::mutex m_mutex;
    FaultConfig m_config;
    std::uint64_t m_counters[8] = {};
    std::deque<FailNextRule> m_fail_next;
};

} // namespace fioemu
