// SPDX-License-Identifier: MIT
#include "project_listing.hpp"

#include "fios/api/client.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>

namespace fios::cli {
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

std::string label(const store::ProjectInfo& p) {
    return fmt::format("{}/{} ({})", p.team_name, p.name, p.id);
}

Result<std::vector<ListedProject>> list_v2(Context& ctx) {
    auto client = ctx.client();
    if (!client)
        return client.error();
    auto teams = (*client)->teams();
    if (!teams)
        return teams.error().with_context("listing teams");
    std::map<std::string, std::string> team_names;
    std::map<std::string, std::string> team_accounts;
    for (const auto& t : *teams) {
        team_names[t.id] = t.name;
        team_accounts[t.id] = t.account_id;
    }

    std::vector<ListedProject> out;
    std::set<std::string> seen;
    for (const auto& t : *teams) {
        auto projects = (*client)->team_projects(t.id);
        if (!projects) {
            return projects.error().with_context(
                fmt::format("listing projects of team '{}'", t.name));
        }
        for (const auto& p : *projects) {
            if (p.deleted_at || !seen.insert(p.id).second)
                continue;
            out.push_back({to_info(p, t.name), false, {}});
            out.back().info.account_id = t.account_id;
        }
    }
    auto shared = (*client)->shared_projects();
    if (!shared)
        return shared.error().with_context("listing shared projects");
    for (const auto& p : *shared) {
        if (p.deleted_at || !seen.insert(p.id).second)
            continue;
        std::string team_name;
        if (auto it = team_names.find(p.team_id); it != team_names.end()) {
            team_name = it->second;
        } else if (auto team = (*client)->team(p.team_id)) {
            team_name = team->name;
            team_names[p.team_id] = team_name;
            team_accounts[p.team_id] = team->account_id;
        } // else: a team we may not read; the name stays empty
        out.push_back({to_info(p, team_name), true, {}});
        out.back().info.account_id = team_accounts[p.team_id];
    }
    std::sort(out.begin(), out.end(), [](const ListedProject& a, const ListedProject& b) {
        return std::tie(a.info.team_name, a.info.name, a.info.id) <
               std::tie(b.info.team_name, b.info.name, b.info.id);
    });
    return out;
}

Result<std::vector<ListedProject>> list_v4(Context& ctx) {
    auto client = ctx.v4_client();
    if (!client)
        return client.error();
    auto accounts = (*client)->accounts();
    if (!accounts)
        return accounts.error().with_context("listing accounts");
    std::vector<ListedProject> out;
    std::set<std::string> seen;
    for (const auto& a : *accounts) {
        engine::V4ProjectDirectory directory(**client, a.id);
        auto projects = directory.list_projects();
        if (!projects)
            return projects.error();
        for (auto& p : *projects) {
            if (seen.insert(p.id).second)
                out.push_back({std::move(p), false, a.display_name});
        }
    }
    std::sort(out.begin(), out.end(), [](const ListedProject& a, const ListedProject& b) {
        return std::tie(a.account_name, a.info.team_name, a.info.name, a.info.id) <
               std::tie(b.account_name, b.info.team_name, b.info.name, b.info.id);
    });
    return out;
}

} // namespace

Result<std::vector<ListedProject>> list_all_projects(Context& ctx, bool announce) {
    auto api = ctx.api_generation();
    if (!api)
        return api.error();
    auto listed = *api == auth::ApiGeneration::v4 ? list_v4(ctx) : list_v2(ctx);
    if (!listed)
        return listed.error();
    auto& out = *listed;

    auto state = ctx.state();
    if (!state)
        return state.error();
    std::vector<store::ProjectInfo> infos;
    infos.reserve(out.size());
    for (const auto& p : out)
        infos.push_back(p.info);
    auto fresh = (*state)->record_projects(infos);
    if (!fresh)
        return fresh.error();
    if (announce) {
        for (const auto& id : *fresh) {
            auto it = std::find_if(out.begin(), out.end(),
                                   [&](const ListedProject& p) { return p.info.id == id; });
            if (it != out.end())
                ctx.out.verbose("new project: " + label(it->info));
        }
    }
    return listed;
}

Result<store::ProjectInfo> match_project(const std::string& wanted,
                                         const std::vector<store::ProjectInfo>& candidates) {
    // 1. an exact id
    for (const auto& p : candidates) {
        if (p.id == wanted)
            return p;
    }
    // 2. Team/Project (team names may not contain '/', project names may: split at the first)
    std::vector<store::ProjectInfo> hits;
    if (auto slash = wanted.find('/'); slash != std::string::npos) {
        std::string team = wanted.substr(0, slash);
        std::string name = wanted.substr(slash + 1);
        for (const auto& p : candidates) {
            if (p.team_name == team && p.name == name)
                hits.push_back(p);
        }
    }
    // 3. a project name alone
    if (hits.empty()) {
        for (const auto& p : candidates) {
            if (p.name == wanted)
                hits.push_back(p);
        }
    }
    if (hits.size() == 1)
        return hits.front();
    if (hits.empty()) {
        return Error{ErrorCode::not_found,
                     fmt::format("no project matches '{}': give its id, `Team/Project` (V4: "
                                 "`Workspace/Project`) or its name as `frameio-sync projects` "
                                 "lists them",
                                 wanted)};
    }
    std::string list;
    for (const auto& p : hits)
        list += "\n  " + label(p);
    return Error{ErrorCode::conflict,
                 fmt::format("'{}' is ambiguous; {} projects match, name one by id or "
                             "`Team/Project`:{}",
                             wanted, hits.size(), list)};
}

std::variant<store::ProjectInfo, ExitCode>
match_selected(Context& ctx, const std::string& wanted,
               const std::vector<store::ProjectInfo>& first,
               const std::vector<store::ProjectInfo>& then) {
    auto p = match_project(wanted, first);
    if (!p && p.error().code == ErrorCode::not_found && !then.empty())
        p = match_project(wanted, then);
    if (p)
        return *p;
    if (p.error().code != ErrorCode::not_found) {
        ctx.out.error(p.error().message);
        return ExitCode::usage;
    }
    ctx.out.error(fmt::format(
        "'{}' is not selected (`frameio-sync status` lists the selected projects)", wanted));
    return ExitCode::failed;
}

std::string project_label(const store::ProjectInfo& p) {
    return p.team_name.empty() ? p.name : p.team_name + "/" + p.name;
}

std::string human_bytes(std::int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

store::ProjectInfo selection_info(const store::Selection& s) {
    store::ProjectInfo info;
    info.id = s.project_id;
    info.name = s.project_name;
    info.team_id = s.team_id;
    info.team_name = s.team_name;
    info.root_asset_id = s.root_asset_id;
    info.generation = s.generation;
    info.account_id = s.account_id;
    return info;
}

} // namespace fios::cli
