// SPDX-License-Identifier: MIT
// teams, projects
#include "commands.hpp"
#include "json_writer.hpp"
#include "project_listing.hpp"
#include "table.hpp"

#include <fmt/core.h>

#include <memory>

namespace fios::cli {
namespace {

/// V4 has no teams: `teams` lists the workspaces of every account, which take their place.
ExitCode run_workspaces(Context& ctx, bool json) {
    auto client = ctx.v4_client();
    if (!client)
        return fail(ctx, client.error());
    auto accounts = (*client)->accounts();
    if (!accounts)
        return fail(ctx, accounts.error().with_context("listing accounts"));
    JsonWriter j;
    j.begin_array();
    std::vector<std::vector<std::string>> rows{{"ACCOUNT", "WORKSPACE", "ID"}};
    for (const auto& a : *accounts) {
        auto workspaces = (*client)->workspaces(a.id);
        if (!workspaces) {
            return fail(ctx, workspaces.error().with_context(
                                 fmt::format("listing the workspaces of account {}", a.id)));
        }
        for (const auto& w : *workspaces) {
            j.begin_object().member("id", w.id).member("name", w.name);
            j.member("account_id", a.id).member("account_name", a.display_name).end_object();
            rows.push_back({a.display_name, w.name, w.id});
        }
    }
    j.end_array();
    if (json) {
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    for (const auto& line : format_table(rows))
        ctx.out.data(line);
    return ExitCode::ok;
}

ExitCode run_teams(Context& ctx, bool json) {
    auto api = ctx.api_generation();
    if (!api)
        return fail(ctx, api.error());
    if (*api == auth::ApiGeneration::v4)
        return run_workspaces(ctx, json);
    auto client = ctx.client();
    if (!client)
        return fail(ctx, client.error());
    auto teams = (*client)->teams();
    if (!teams)
        return fail(ctx, teams.error().with_context("listing teams"));
    if (json) {
        JsonWriter j;
        j.begin_array();
        for (const auto& t : *teams) {
            j.begin_object().member("id", t.id).member("name", t.name);
            j.member("account_id", t.account_id).end_object();
        }
        j.end_array();
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows{{"TEAM", "ID"}};
    for (const auto& t : *teams)
        rows.push_back({t.name, t.id});
    for (const auto& line : format_table(rows))
        ctx.out.data(line);
    return ExitCode::ok;
}

ExitCode run_projects(Context& ctx, bool json) {
    auto projects = list_all_projects(ctx, true);
    if (!projects)
        return fail(ctx, projects.error());
    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    auto api = ctx.api_generation();
    if (!api)
        return fail(ctx, api.error());
    const bool v4 = *api == auth::ApiGeneration::v4;
    if (json) {
        JsonWriter j;
        j.begin_array();
        for (const auto& p : *projects) {
            auto selection = (*state)->find_selection(p.info.id);
            j.begin_object();
            j.member("id", p.info.id).member("name", p.info.name);
            j.member("team_id", p.info.team_id).member("team_name", p.info.team_name);
            j.member("root_asset_id", p.info.root_asset_id);
            j.member("file_count", p.info.file_count).member("folder_count", p.info.folder_count);
            j.member("storage", p.info.storage).member("updated_at", p.info.updated_at);
            j.member("shared", p.shared);
            j.member("api", std::string(store::to_string(p.info.generation)));
            if (p.info.account_id.empty())
                j.key("account_id").null();
            else
                j.member("account_id", p.info.account_id);
            if (v4)
                j.member("workspace_id", p.info.team_id);
            else
                j.key("workspace_id").null();
            if (selection && selection->has_value()) {
                j.member("local_path", (**selection).local_path.string());
            } else {
                j.key("local_path").null();
            }
            j.end_object();
        }
        j.end_array();
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    // V4 has no file or folder counters.
    const std::vector<std::string> header =
        v4 ? std::vector<std::string>{"ACCOUNT", "WORKSPACE", "PROJECT",
                                      "ID",      "SIZE",      "LOCAL FOLDER"}
           : std::vector<std::string>{"TEAM",    "PROJECT", "ID",          "FILES",
                                      "FOLDERS", "SIZE",    "LOCAL FOLDER"};
    std::vector<std::vector<std::string>> rows{header};
    for (const auto& p : *projects) {
        auto selection = (*state)->find_selection(p.info.id);
        std::string local = (selection && selection->has_value())
                                ? (**selection).local_path.string()
                                : std::string("-");
        if (v4) {
            rows.push_back({p.account_name, p.info.team_name, p.info.name, p.info.id,
                            human_bytes(p.info.storage), local});
        } else {
            rows.push_back({p.info.team_name + (p.shared ? " (shared)" : ""), p.info.name,
                            p.info.id, std::to_string(p.info.file_count),
                            std::to_string(p.info.folder_count), human_bytes(p.info.storage),
                            local});
        }
    }
    for (const auto& line : format_table(rows))
        ctx.out.data(line);
    if (projects->empty())
        ctx.out.info("No projects: create one in Frame.io first.");
    return ExitCode::ok;
}

} // namespace

void add_project_commands(CLI::App& app, Context& ctx, Action& action) {
    auto teams_json = std::make_shared<bool>(false);
    auto* teams = app.add_subcommand(
        "teams", "List every team you belong to (V4: the workspaces of every account)");
    teams->add_flag("--json", *teams_json, "Print a JSON array on stdout");
    teams->callback([&ctx, &action, teams_json] {
        action = [&ctx, teams_json] { return run_teams(ctx, *teams_json); };
    });

    auto projects_json = std::make_shared<bool>(false);
    auto* projects = app.add_subcommand(
        "projects", "List every project in every team (and shared with you), with counts; on "
                    "V4 every project of every workspace of every account");
    projects->add_flag("--json", *projects_json,
                       "Print a JSON array on stdout (id, name, team_id, team_name, "
                       "root_asset_id, file_count, folder_count, storage, updated_at, shared, "
                       "local_path, api, account_id, workspace_id)");
    projects->callback([&ctx, &action, projects_json] {
        action = [&ctx, projects_json] { return run_projects(ctx, *projects_json); };
    });
}

} // namespace fios::cli
