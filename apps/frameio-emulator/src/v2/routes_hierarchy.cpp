// SPDX-License-Identifier: MIT
// /v2/me, /v2/accounts, /v2/teams and /v2/projects.
#include "core/api.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "v2/render.hpp"
#include "v2/routes.hpp"

namespace fioemu {

namespace {

const User* caller(ApiCall& c) {
    return c.s.model.user(c.principal.user_id);
}

Account* caller_account(ApiCall& c) {
    const User* u = caller(c);
    return u ? c.s.model.account(u->account_id) : nullptr;
}

/// The caller's team `id`, or nullptr after answering 404.
Team* find_team(ApiCall& c, const std::string& id) {
    Team* t = c.s.model.team(id);
    const Account* acc = caller_account(c);
    if (!t || !acc || t->account_id != acc->id) {
        c.send_error(404, "team not found");
        return nullptr;
    }
    return t;
}

/// A live project of the caller, or nullptr after answering 404.
Project* find_project(ApiCall& c, const std::string& id) {
    Project* p = c.s.model.project(id);
    if (!p || p->deleted_at || !find_team(c, p->team_id)) {
        if (!c.res.body.empty())
            c.res.body.clear();
        c.send_error(404, "project not found");
        return nullptr;
    }
    return p;
}

template <class T, class F>
void send_list(ApiCall& c, const std::vector<T>& items, F&& render_one) {
    const auto page = query_page(c, items.size());
    if (!page)
        return;
    auto ctx = v2_render_context(c.s, c.now);
    Json j;
    j.begin_array();
    for (std::size_t i = page->begin; i < page->end; ++i)
        render_one(j, ctx, items[i]);
    j.end_array();
    c.send_json(j.take());
}

/// Reads the editable project fields; false after answering 422.
bool read_project_fields(ApiCall& c, const rapidjson::Document& doc, bool creating,
                         std::optional<std::string>& name, std::optional<bool>& is_private,
                         std::optional<std::optional<std::string>>& description) {
    ObjectReader r(doc);
    std::string s;
    if (r.get_string("name", s)) {
        if (s.empty()) {
            c.send_error(422, "name must not be empty");
            return false;
        }
        name = s;
    } else if (r.is_null("name") || (creating && r.ok())) {
        c.send_error(422, "name is required");
        return false;
    }
    bool b = false;
    if (r.get_bool("private", b))
        is_private = b;
    if (r.get_string("description", s)) {
        description = std::optional<std::string>(s);
    } else if (r.is_null("description")) {
        description = std::optional<std::string>();
    }
    if (!r.ok()) {
        c.send_error(422, r.error());
        return false;
    }
    return true;
}

} // namespace

void register_v2_hierarchy_routes(HttpServer& server, Services& s) {
    add_api_route(server, s, "GET", R"(/v2/me/?)", "GET /v2/me", "", "hierarchy-read",
                  [](ApiCall& c) {
                      auto lock = c.s.model.lock();
                      const User* u = caller(c);
                      if (!u)
                          return c.send_error(404, "user not found");
                      Json j;
                      render_user(j, *u);
                      c.send_json(j.take());
                  });

    add_api_route(server, s, "GET", R"(/v2/accounts/?)", "GET /v2/accounts", "account.read",
                  "hierarchy-read", [](ApiCall& c) {
                      auto lock = c.s.model.lock();
                      std::vector<const Account*> items;
                      if (const Account* a = caller_account(c))
                          items.push_back(a);
                      send_list(c, items, [](Json& j, RenderContext& ctx, const Account* a) {
                          render_account(j, ctx, *a);
                      });
                  });

    add_api_route(server, s, "GET", R"(/v2/accounts/([^/]+)/?)", "GET /v2/accounts/{id}",
                  "account.read", "hierarchy-read", [](ApiCall& c) {
                      const auto id = c.id_param(1, "account");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      const Account* a = caller_account(c);
                      if (!a || a->id != *id)
                          return c.send_error(404, "account not found");
                      auto ctx = v2_render_context(c.s, c.now);
                      Json j;
                      render_account(j, ctx, *a);
                      c.send_json(j.take());
                  });

    const auto list_teams = [](ApiCall& c, const std::string& account_id) {
        std::vector<const Team*> items;
        for (const Team* t : c.s.model.teams_in_order()) {
            if (t->account_id == account_id)
                items.push_back(t);
        }
        send_list(c, items,
                  [](Json& j, RenderContext& ctx, const Team* t) { render_team(j, ctx, *t); });
    };

    add_api_route(server, s, "GET", R"(/v2/accounts/([^/]+)/teams/?)",
                  "GET /v2/accounts/{id}/teams", "team.read", "hierarchy-read",
                  [list_teams](ApiCall& c) {
                      const auto id = c.id_param(1, "account");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      const Account* a = caller_account(c);
                      if (!a || a->id != *id)
                          return c.send_error(404, "account not found");
                      list_teams(c, a->id);
                  });

    add_api_route(server, s, "GET", R"(/v2/teams/?)", "GET /v2/teams", "team.read",
                  "hierarchy-read", [list_teams](ApiCall& c) {
                      auto lock = c.s.model.lock();
                      const Account* a = caller_account(c);
                      list_teams(c, a ? a->id : std::string("-"));
                  });

    add_api_route(server, s, "GET", R"(/v2/teams/([^/]+)/?)", "GET /v2/teams/{id}", "team.read",
                  "hierarchy-read", [](ApiCall& c) {
                      const auto id = c.id_param(1, "team");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      const Team* t = find_team(c, *id);
                      if (!t)
                          return;
                      auto ctx = v2_render_context(c.s, c.now);
                      Json j;
                      render_team(j, ctx, *t);
                      c.send_json(j.take());
                  });

    add_api_route(server, s, "GET", R"(/v2/teams/([^/]+)/projects/?)",
                  "GET /v2/teams/{id}/projects", "project.read", "hierarchy-read", [](ApiCall& c) {
                      const auto id = c.id_param(1, "team");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      if (!find_team(c, *id))
                          return;
                      send_list(c, c.s.model.projects_of(*id),
                                [](Json& j, RenderContext& ctx, const Project* p) {
                                    render_project(j, ctx, *p, false);
                                });
                  });

    add_api_route(
        server, s, "POST", R"(/v2/teams/([^/]+)/projects/?)", "POST /v2/teams/{id}/projects",
        "project.create", "project-write", [](ApiCall& c) {
            const auto id = c.id_param(1, "team");
            if (!id)
                return;
            rapidjson::Document doc;
            if (!c.json_body(doc))
                return;
            std::optional<std::string> name;
            std::optional<bool> is_private;
            std::optional<std::optional<std::string>> description;
            auto lock = c.s.model.lock();
            const Team* t = find_team(c, *id);
            if (!t)
                return;
            if (!read_project_fields(c, doc, true, name, is_private, description))
                return;
            Project& p =
                c.s.model.create_project(*t, c.principal.user_id, *name, is_private.value_or(false),
                                         description.value_or(std::nullopt), c.now);
            auto ctx = v2_render_context(c.s, c.now);
            Json j;
            render_project(j, ctx, p, true);
            c.send_json(j.take());
        });

    add_api_route(server, s, "GET", R"(/v2/projects/shared/?)", "GET /v2/projects/shared",
                  "project.read", "hierarchy-read", [](ApiCall& c) {
                      // The emulator's only user is a member of every team, so no project is
                      // shared with it from outside its teams.
                      auto lock = c.s.model.lock();
                      send_list(c, std::vector<const Project*>{},
                                [](Json& j, RenderContext& ctx, const Project* p) {
                                    render_project(j, ctx, *p, false);
                                });
                  });

    add_api_route(server, s, "GET", R"(/v2/projects/([^/]+)/?)", "GET /v2/projects/{id}",
                  "project.read", "hierarchy-read", [](ApiCall& c) {
                      const auto id = c.id_param(1, "project");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      const Project* p = find_project(c, *id);
                      if (!p)
                          return;
                      auto ctx = v2_render_context(c.s, c.now);
                      Json j;
                      render_project(j, ctx, *p, true);
                      c.send_json(j.take());
                  });

    add_api_route(server, s, "PUT", R"(/v2/projects/([^/]+)/?)", "PUT /v2/projects/{id}",
                  "project.update", "project-write", [](ApiCall& c) {
                      const auto id = c.id_param(1, "project");
                      if (!id)
                          return;
                      rapidjson::Document doc;
                      if (!c.json_body(doc))
                          return;
                      auto lock = c.s.model.lock();
                      Project* p = find_project(c, *id);
                      if (!p)
                          return;
                      std::optional<std::string> name;
                      std::optional<bool> is_private;
                      std::optional<std::optional<std::string>> description;
                      if (!read_project_fields(c, doc, false, name, is_private, description))
                          return;
                      if (name)
                          p->name = *name;
                      if (is_private)
                          p->is_private = *is_private;
                      if (description)
                          p->description = *description;
                      c.s.model.save_project(*p, c.now);
                      auto ctx = v2_render_context(c.s, c.now);
                      Json j;
                      render_project(j, ctx, *p, true);
                      c.send_json(j.take());
                  });

    add_api_route(server, s, "DELETE", R"(/v2/projects/([^/]+)/?)", "DELETE /v2/projects/{id}",
                  "project.delete", "project-write", [](ApiCall& c) {
                      const auto id = c.id_param(1, "project");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      Project* p = find_project(c, *id);
                      if (!p)
                          return;
                      c.s.model.delete_project(*p, c.now);
                      auto ctx = v2_render_context(c.s, c.now);
                      Json j;
                      render_project(j, ctx, *p, false);
                      c.send_deleted(j.take());
                  });
}

} // namespace fioemu
