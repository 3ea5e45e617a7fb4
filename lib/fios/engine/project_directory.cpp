// SPDX-License-Identifier: MIT
#include "fios/engine/project_directory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace fios::engine {

namespace {
store::ProjectInfo to_info(const api::Project& p, const std::string& team_name) {
    store::ProjectInfo info;
    info.id = p.id;
    info.team_id = p.team_id;
    info.team_name = team_name;
    info.name = p.name;
    info.root_asset_id = p.root_asset_id;
    info.file_count = p.file_count;
    info.folder_count = p.folder_count;
    info.storage = p.storage;
    info.updated_at = api::format_timestamp(p.updated_at);
    return info;
}

bool by_team_then_name(const store::ProjectInfo& a, const store::ProjectInfo& b) {
    return std::tie(a.team_name, a.name, a.id) < std::tie(b.team_name, b.name, b.id);
}
} // namespace

Result<std::vector<store::ProjectInfo>> V2ProjectDirectory::list_projects() {
    auto teams = m_client.teams();
    if (!teams)
        return teams.error().with_context("listing teams");
    std::map<std::string, std::string> team_names;
    for (const auto& t : *teams)
        team_names[t.id] = t.name;

    std::vector<store::ProjectInfo> out;
    std::set<std::string> seen;
    for (const auto& t : *teams) {
        auto projects = m_client.team_projects(t.id);
        if (!projects)
            return projects.error().with_context(
                fmt::format("listing projects of team '{}'", t.name));
        for (const auto& p : *projects) {
            if (p.deleted_at || !seen.insert(p.id).second)
                continue;
            out.push_back(to_info(p, t.name));
        }
    }
    auto shared = m_client.shared_projects();
    if (!shared)
        return shared.error().with_context("listing shared projects");
    for (const auto& p : *shared) {
        if (p.deleted_at || !seen.insert(p.id).second)
            continue;
        std::string team_name;
        if (auto it = team_names.find(p.team_id); it != team_names.end()) {
            team_name = it->second;
        } else if (auto team = m_client.team(p.team_id)) {
            team_name = team->name;
            team_names[p.team_id] = team_name;
        } // else: a team we may not read; the name stays empty
        out.push_back(to_info(p, team_name));
    }
    std::sort(out.begin(), out.end(), by_team_then_name);
    return out;
}

Result<std::vector<store::ProjectInfo>> V4ProjectDirectory::list_projects() {
    std::vector<std::string> accounts;
    if (!m_account.empty()) {
        accounts.push_back(m_account);
    } else {
        auto listed = m_client.accounts();
        if (!listed)
            return listed.error().with_context("listing accounts");
        for (const auto& a : *listed)
            accounts.push_back(a.id);
    }
    std::vector<store::ProjectInfo> out;
    std::set<std::string> seen;
    for (const std::string& account : accounts) {
        auto workspaces = m_client.workspaces(account);
        if (!workspaces)
            return workspaces.error().with_context(
                fmt::format("listing the workspaces of account {}", account));
        for (const auto& ws : *workspaces) {
            auto projects = m_client.projects(account, ws.id);
            if (!projects)
                return projects.error().with_context(
                    fmt::format("listing projects of workspace '{}'", ws.name));
            for (const auto& p : *projects) {
                if (!seen.insert(p.id).second)
                    continue;
                // No counters on V4 (has_change_counters() is false): they stay 0.
                store::ProjectInfo info;
                info.id = p.id;
                info.team_id = ws.id;
                info.team_name = ws.name;
                info.name = p.name;
                info.root_asset_id = p.root_folder_id;
                info.storage = p.storage;
                info.updated_at = api::format_timestamp(p.updated_at);
                info.generation = store::Generation::v4;
                info.account_id = account;
                out.push_back(std::move(info));
            }
        }
    }
    std::sort(out.begin(), out.end(), by_team_then_name);
    return out;
}

} // namespace fios::engine
