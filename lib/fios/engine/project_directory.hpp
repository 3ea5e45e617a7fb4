// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/client.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/core/result.hpp"
#include "fios/store/state_db.hpp"

#include <string>
#include <vector>

namespace fios::engine {

/// Lists every project the user can see (the backend's discovery half: V2 teams, V4 accounts
/// and workspaces), and says whether its listing can prove a project unchanged.
/// Thread-safe as the backend is.
class ProjectDirectory {
public:
    virtual ~ProjectDirectory() = default;
    /// Every project (deduplicated by id, deleted ones left out), ordered by team name,
    /// project name, id. ProjectInfo::team_* is the V2 team or the V4 workspace.
    virtual Result<std::vector<store::ProjectInfo>> list_projects() = 0;
    /// True when a listed project's counters (file_count, folder_count, updated_at) change
    /// whenever anything in its tree does, so that the same counters and the same local
    /// folder as after the last fully agreed run prove there is nothing to do, and the engine
    /// does not list that project again. False: every selected project is listed every run.
    [[nodiscard]] virtual bool has_change_counters() const = 0;
};

/// Over the V2 API: every team's projects plus the projects shared with the user. V2's
/// project counters move with every change: has_change_counters() is true.
class V2ProjectDirectory final : public ProjectDirectory {
public:
    explicit V2ProjectDirectory(api::V2Client& client) : m_client(client) {}
    Result<std::vector<store::ProjectInfo>> list_projects() override;
    [[nodiscard]] bool has_change_counters() const override { return true; }

private:
    api::V2Client& m_client;
};

/// Over the V4 API: accounts → workspaces → projects. A project's team is its workspace, its
/// root folder is `root_folder_id`. V4 projects carry no file or folder counters and whether
/// a change deep in the tree moves a folder's or project's `updated_at` is unconfirmed (the
/// emulator's default leaves it unchanged), so has_change_counters() is false: every selected
/// project is listed every run.
class V4ProjectDirectory final : public ProjectDirectory {
public:
    /// `account_id`: the account the backend (remote::V4Remote) is bound to; "" = every
    /// account the login can see.
    explicit V4ProjectDirectory(api::V4Client& client, std::string account_id = {})
        : m_client(client), m_account(std::move(account_id)) {}
    Result<std::vector<store::ProjectInfo>> list_projects() override;
    [[nodiscard]] bool has_change_counters() const override { return false; }

private:
    api::V4Client& m_client;
    std::string m_account;
};

} // namespace fios::engine
