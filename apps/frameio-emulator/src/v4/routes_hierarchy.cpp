// SPDX-License-Identifier: MIT
// /v4/me, accounts, workspaces and projects (docs/emulator.md, "V4 resources").
#include "core/api.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "v4/resources.hpp"
#include "v4/routes.hpp"

namespace fioemu {

namespace {

const std::string k_id = "([^/]+)";
const std::string k_account = "/v4/accounts/" + k_id;

/// Sort key of a hierarchy item for `sort` (name_* / display_name_* / created_at_*).
std::string hierarchy_key(const std::string& sort, const std::string& name, Micros created,
                          const std::string& id) {
    const bool desc = sort.ends_with("_desc");
    if (sort.starts_with("created_at"))
        return v4_key_int(desc ? -created : created) + id;
    return v4_key_str(name, desc) + id;
}

/// Reads sort (default created_at_asc) and the paging parameters; false after answering.
struct ListParams {
    V4ListState state;
    std::string after;
    std::int64_t page_size = 0;
    bool total = false;
};
bool read_list(V4Call& c, ListParams& lp, std::initializer_list<std::string_view> sorts) {
    const auto sort = c.query_enum("sort", "created_at_asc", sorts);
    if (!sort)
        return false;
    lp.state.sort = *sort;
    const auto after = v4_read_cursor(c, lp.state, k_v4_page_max, lp.page_size, lp.total);
    if (!after)
        return false;
    lp.after = *after;
    return true;
}

Team* find_workspace(V4Call& c, std::size_t n) {
    const auto id = c.id_param(n, "Workspace");
    if (!id)
        return nullptr;
    Team* t = c.s.model.team(*id);
    if (!t || t->account_id != c.account_id) {
        c.send_error(404, "Workspace not found");
        return nullptr;
    }
    return t;
}

bool wants(const std::vector<std::string>& include, std::string_view what) {
    return std::find(include.begin(), include.end(), what) != include.end();
}

void list_projects(V4Call& c, const std::string& team_id) {
    if (!c.check_query({"include", "sort", "after", "page_size", "include_total_count"}))
        return;
    const auto include = c.query_list("include", {"owner"});
    ListParams lp;
    if (!include ||
        !read_list(c, lp, {"name_asc", "created_at_asc", "name_desc", "created_at_desc"}))
        return;
    auto lock = c.s.model.lock();
    std::vector<std::pair<std::string, const Project*>> items;
    for (const Team* t : c.s.model.teams_in_order()) {
        if (t->account_id != c.account_id || (!team_id.empty() && t->id != team_id))
            continue;
        for (const Project* p : c.s.model.projects_of(t->id))
            items.emplace_back(hierarchy_key(lp.state.sort, p->name, p->inserted_at, p->id), p);
    }
    auto ctx = v4_render_context(c);
    const bool owner = wants(*include, "owner");
    v4_send_list(c, items, lp.after, lp.page_size, lp.total, lp.state,
                 [&](Json& j, const Project* p) { render_v4_project(j, ctx, *p, owner); });
}

/// Applies ProjectUpdateParams / ProjectParams members; false after a 422.
bool apply_project_fields(V4Call& c, const rapidjson::Value* data, Project& p, bool create) {
    bool answered = false;
    if (auto name = v4_name_field(c, data, "name", create, answered)) {
        p.name = std::move(*name);
    } else if (answered) {
        return false;
    }
    if (!data)
        return true;
    if (const auto it = data->FindMember("restricted"); it != data->MemberEnd()) {
        if (!it->value.IsBool()) {
            c.send_error(422, "restricted must be a boolean", "/data/restricted");
            return false;
        }
        p.is_private = it->value.GetBool();
    }
    if (const auto it = data->FindMember("status"); it != data->MemberEnd()) {
        const std::string v = it->value.IsString() ? it->value.GetString() : "";
        if (v != "active" && v != "inactive") {
            c.send_error(422, "status must be active or inactive", "/data/status");
            return false;
        }
        p.inactive = v == "inactive";
    }
    return true;
}

void register_me_and_accounts(HttpServer& server, Services& s) {
    add_v4_route(server, s, "GET", "/v4/me", "GET /v4/me", "users.show", [](V4Call& c) {
        if (!c.check_query({}))
            return;
        auto lock = c.s.model.lock();
        const User* u = c.s.model.user(c.user_id);
        if (!u) {
            c.send_error(404, "User not found");
            return;
        }
        Json j;
        j.begin_object().key("data");
        render_v4_profile(j, *u);
        j.end_object();
        c.send_json(j.take());
    });

    add_v4_route(
        server, s, "GET", "/v4/accounts", "GET /v4/accounts", "accounts.index", [](V4Call& c) {
            if (!c.check_query({"sort", "after", "page_size", "include_total_count"}))
                return;
            ListParams lp;
            if (!read_list(
                    c, lp,
                    {"display_name_asc", "created_at_asc", "display_name_desc", "created_at_desc"}))
                return;
            auto lock = c.s.model.lock();
            std::vector<std::pair<std::string, const Account*>> items;
            if (const Account* a = c.s.model.account(c.account_id))
                items.emplace_back(
                    hierarchy_key(lp.state.sort, a->display_name, a->inserted_at, a->id), a);
            auto ctx = v4_render_context(c);
            v4_send_list(c, items, lp.after, lp.page_size, lp.total, lp.state,
                         [&](Json& j, const Account* a) { render_v4_account(j, ctx, *a); });
        });
}

void register_workspaces(HttpServer& server, Services& s) {
    add_v4_route(
        server, s, "GET", k_account + "/workspaces", "GET /v4/accounts/{account_id}/workspaces",
        "workspaces.index", [](V4Call& c) {
            if (!c.check_account(1) ||
                !c.check_query({"include", "sort", "after", "page_size", "include_total_count"}))
                return;
            const auto include = c.query_list("include", {"creator"});
            ListParams lp;
            if (!include ||
                !read_list(c, lp, {"name_asc", "created_at_asc", "name_desc", "created_at_desc"}))
                return;
            auto lock = c.s.model.lock();
            std::vector<std::pair<std::string, const Team*>> items;
            for (const Team* t : c.s.model.teams_in_order()) {
                if (t->account_id == c.account_id)
                    items.emplace_back(hierarchy_key(lp.state.sort, t->name, t->inserted_at, t->id),
                                       t);
            }
            auto ctx = v4_render_context(c);
            const bool creator = wants(*include, "creator");
            v4_send_list(c, items, lp.after, lp.page_size, lp.total, lp.state,
                         [&](Json& j, const Team* t) { render_v4_workspace(j, ctx, *t, creator); });
        });

    add_v4_route(server, s, "GET", k_account + "/workspaces/" + k_id,
                 "GET /v4/accounts/{account_id}/workspaces/{workspace_id}", "workspaces.show",
                 [](V4Call& c) {
                     if (!c.check_account(1) || !c.check_query({"include"}))
                         return;
                     const auto include = c.query_list("include", {"creator"});
                     if (!include)
                         return;
                     auto lock = c.s.model.lock();
                     const Team* t = find_workspace(c, 2);
                     if (!t)
                         return;
                     auto ctx = v4_render_context(c);
                     Json j;
                     j.begin_object().key("data");
                     render_v4_workspace(j, ctx, *t, wants(*include, "creator"));
                     j.end_object();
                     c.send_json(j.take());
                 });
}

void send_project(V4Call& c, const Project& p, bool with_includes, bool owner, int status) {
    auto ctx = v4_render_context(c);
    Json j;
    j.begin_object().key("data");
    if (with_includes) {
        render_v4_project(j, ctx, p, owner);
    } else {
        render_v4_project_plain(j, ctx, p);
    }
    j.end_object();
    c.send_json(j.take(), status);
}

void register_project_lists(HttpServer& server, Services& s) {
    add_v4_route(server, s, "GET", k_account + "/projects",
                 "GET /v4/accounts/{account_id}/projects", "account_projects.index", [](V4Call& c) {
                     if (c.check_account(1))
                         list_projects(c, "");
                 });
    add_v4_route(server, s, "GET", k_account + "/workspaces/" + k_id + "/projects",
                 "GET /v4/accounts/{account_id}/workspaces/{workspace_id}/projects",
                 "projects.index", [](V4Call& c) {
                     if (!c.check_account(1))
                         return;
                     std::string team_id;
                     {
                         auto lock = c.s.model.lock();
                         const Team* t = find_workspace(c, 2);
                         if (!t)
                             return;
                         team_id = t->id;
                     }
                     list_projects(c, team_id);
                 });
}

void register_project_crud(HttpServer& server, Services& s) {
    add_v4_route(server, s, "POST", k_account + "/workspaces/" + k_id + "/projects",
                 "POST /v4/accounts/{account_id}/workspaces/{workspace_id}/projects",
                 "projects.create", [](V4Call& c) {
                     if (!c.check_account(1) || !c.check_query({}))
                         return;
                     rapidjson::Document doc;
                     const auto data = c.data_body(doc, {"name", "restricted"});
                     if (!data)
                         return;
                     Project fields;
                     if (!apply_project_fields(c, *data, fields, true))
                         return;
                     auto lock = c.s.model.lock();
                     const Team* t = find_workspace(c, 2);
                     if (!t)
                         return;
                     Project& p = c.s.model.create_project(*t, c.user_id, fields.name,
                                                           fields.is_private, std::nullopt, c.now);
                     send_project(c, p, false, false, 201);
                 });

    add_v4_route(server, s, "GET", k_account + "/projects/" + k_id,
                 "GET /v4/accounts/{account_id}/projects/{project_id}", "projects.show",
                 [](V4Call& c) {
                     if (!c.check_account(1) || !c.check_query({"include"}))
                         return;
                     const auto include = c.query_list("include", {"owner"});
                     const auto id = include ? c.id_param(2, "Project") : std::nullopt;
                     if (!id)
                         return;
                     auto lock = c.s.model.lock();
                     if (const Project* p = v4_find_project(c, *id))
                         send_project(c, *p, true, wants(*include, "owner"), 200);
                 });

    add_v4_route(server, s, "PATCH", k_account + "/projects/" + k_id,
                 "PATCH /v4/accounts/{account_id}/projects/{project_id}", "projects.update",
                 [](V4Call& c) {
                     if (!c.check_account(1) || !c.check_query({}))
                         return;
                     const auto id = c.id_param(2, "Project");
                     rapidjson::Document doc;
                     const auto data =
                         id ? c.data_body(doc, {"name", "restricted", "status"}) : std::nullopt;
                     if (!data)
                         return;
                     auto lock = c.s.model.lock();
                     Project* p = v4_find_project(c, *id);
                     if (!p)
                         return;
                     Project edited = *p;
                     if (!apply_project_fields(c, *data, edited, false))
                         return;
                     p->name = edited.name;
                     p->is_private = edited.is_private;
                     p->inactive = edited.inactive;
                     c.s.model.save_project(*p, c.now);
                     send_project(c, *p, false, false, 200);
                 });

    add_v4_route(server, s, "DELETE", k_account + "/projects/" + k_id,
                 "DELETE /v4/accounts/{account_id}/projects/{project_id}", "projects.delete",
                 [](V4Call& c) {
                     if (!c.check_account(1) || !c.check_query({}))
                         return;
                     const auto id = c.id_param(2, "Project");
                     if (!id)
                         return;
                     auto lock = c.s.model.lock();
                     Project* p = v4_find_project(c, *id);
                     if (!p)
                         return;
                     c.s.model.delete_project(*p, c.now);
                     c.send_no_content();
                 });
}

} // namespace

void register_v4_hierarchy_routes(HttpServer& server, Services& s) {
    register_me_and_accounts(server, s);
    register_workspaces(server, s);
    register_project_lists(server, s);
    register_project_crud(server, s);
}

} // namespace fioemu
