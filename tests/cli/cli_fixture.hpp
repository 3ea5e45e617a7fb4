// SPDX-License-Identifier: MIT
#pragma once

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <rapidjson/document.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fios::test {

inline constexpr const char* k_token = "dev-token-0123456789abcdef";

/// One emulator, one private HOME/XDG tree, and a way to run the CLI against them.
/// Every test case gets its own, so cases run in parallel without sharing state.
class CliFixture {
public:
    explicit CliFixture(std::vector<std::string> emulator_args = {"--token", k_token});

    /// Runs `frameio-sync args...` with the fixture's environment plus `extra_env`.
    ProcessResult run(const std::vector<std::string>& args, const std::string& stdin_data = {},
                      const std::map<std::string, std::optional<std::string>>& extra_env = {});
    /// The environment the CLI runs with (for SpawnedProcess).
    [[nodiscard]] RunOptions options(const std::string& stdin_data = {}) const;
    [[nodiscard]] std::vector<std::string> argv(const std::vector<std::string>& args) const;

    /// Runs every later command on V4 (FRAMEIO_SYNC_API=v4; the fixture's default is v2).
    void use_v4() { env["FRAMEIO_SYNC_API"] = "v4"; }

    /// Logs in with k_token via --token-stdin and checks it worked.
    void login();

    /// Calls the emulator's API directly with k_token (test set-up, not the code under test).
    HttpReply api(const std::string& method, const std::string& path, const std::string& body = {});
    std::string first_team_id();
    std::vector<std::string> team_ids();
    /// Creates a project in a team through the API; returns its id.
    std::string create_project(const std::string& team_id, const std::string& name);
    /// Creates a project in the V4 account's first workspace, with the V4 developer token
    /// `legacy_token` (the emulator's `--v4-legacy-token`); returns its id.
    std::string create_project_v4(const std::string& legacy_token, const std::string& name);

    [[nodiscard]] std::string credentials_path() const;
    long emulator_request_count_for(const std::string& route) {
        return emulator_request_count(emulator.base_url(), route);
    }

    TempDir home{"fios-cli"};
    EmulatorProcess emulator;
    std::map<std::string, std::optional<std::string>> env;
};

/// Parses JSON or fails the test with the text.
rapidjson::Document parse_json(const std::string& text);

/// True when `haystack` contains `needle`.
inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace fios::test
