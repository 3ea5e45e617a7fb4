// SPDX-License-Identifier: MIT
#pragma once

// A small end-to-end fixture for the engine's own tests: frameio-emulator on loopback, the
// real CurlTransport/V2Client/V2Remote, a real state database and sync folder in a TempDir,
// and SyncEngine run in-process. (The scenario matrix per policy rule lives in
// tests/integration/sync with the full harness.)

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/api/client.hpp"
#include "fios/core/clock.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/remote/v2_remote.hpp"
#include "fios/store/journal.hpp"
#include "fios/store/state_db.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fios::test::engine_fx {

namespace fs = std::filesystem;
inline constexpr const char* k_token = "engine-test-token";

/// Real time plus an offset the test can move forward (past a backoff) without sleeping.
class OffsetClock final : public Clock {
public:
    [[nodiscard]] time_point now() const override {
        std::lock_guard lock(m_mutex);
        return std::chrono::system_clock::now() + m_offset;
    }
    void advance(std::chrono::milliseconds by) {
        std::lock_guard lock(m_mutex);
        m_offset += by;
    }

private:
    mutable std::mutex m_mutex;
    std::chrono::milliseconds m_offset{0};
};

/// Records every observer call.
class Recorder : public engine::Observer {
public:
    void on_phase(const std::string& project_id, std::string_view phase) override {
        phases.push_back(project_id + ":" + std::string(phase));
    }
    void on_plan(const std::string&, const plan::Plan& plan) override { plans.push_back(plan); }
    void on_item(const engine::ItemEvent& e) override { items.push_back(e); }
    void on_warning(const engine::Warning& w) override { warnings.push_back(w); }
    void on_progress(const engine::Progress& p) override { progress.push_back(p); }
    void on_summary(const engine::RunReport& r) override { summaries.push_back(r); }

    std::vector<std::string> phases;
    std::vector<plan::Plan> plans;
    std::vector<engine::ItemEvent> items;
    std::vector<engine::Warning> warnings;
    std::vector<engine::Progress> progress;
    std::vector<engine::RunReport> summaries;
};

/// What the emulator holds at one path (read through the API, not through the engine).
struct RemoteNode {
    bool folder = false;
    std::uint64_t size = 0;
    bool complete = false;
    std::optional<std::string> checksum;
    std::string id;
    friend bool operator==(const RemoteNode&, const RemoteNode&) = default;
};

class Fixture {
public:
    explicit Fixture(std::vector<std::string> emulator_args = {});
    ~Fixture();

    /// One engine run with `options` (settle 0 unless set) and `observer` (default: own).
    Result<engine::RunReport> run(engine::RunOptions options = quick(),
                                  engine::Observer* observer = nullptr,
                                  const CancelToken* cancel = nullptr);
    /// run() that must succeed.
    engine::RunReport sync(engine::RunOptions options = quick(),
                           engine::Observer* observer = nullptr);
    static engine::RunOptions quick();

    // Remote set-up through the API.
    std::string remote_folder(const std::string& parent_id, const std::string& name);
    std::string remote_file(const std::string& parent_id, const std::string& name,
                            const std::string& content);
    /// path -> node, every live item of the project (duplicates as "path #2").
    std::map<std::string, RemoteNode> remote_tree();
    /// Every live item named `name` in `folder_id`.
    std::vector<api::Asset> remote_named(const std::string& folder_id, const std::string& name);
    /// POST to the emulator's admin API (faults, clock).
    void admin(const std::string& path, const std::string& body);

    /// Local files and folders below the sync folder (path -> content; folders "<dir>").
    std::map<std::string, std::string> local_tree() const;

    store::Journal journal() { return store::Journal(state->db()); }

    TempDir dir{"fios-engine"};
    EmulatorProcess emulator;
    OffsetClock clock;
    std::unique_ptr<net::CurlTransport> transport;
    std::unique_ptr<api::StaticTokenProvider> tokens;
    std::unique_ptr<api::V2Client> client;
    std::unique_ptr<remote::V2Remote> remote;
    std::unique_ptr<engine::V2ProjectDirectory> directory;
    std::unique_ptr<store::StateDb> state;
    Recorder recorder;
    std::string project_id;
    std::string root_id;
    fs::path folder;
};

} // namespace fios::test::engine_fx
