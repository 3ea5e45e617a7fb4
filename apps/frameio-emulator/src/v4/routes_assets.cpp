// SPDX-License-Identifier: MIT
// V4 folders: show, rename, move, delete, create, and the folder lists (children, folders,
// files, version_stacks) (docs/emulator.md, "V4 resources").
#include "core/api.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "v4/asset_routes.hpp"
#include "v4/resources.hpp"
#include "v4/routes.hpp"

#include <cmath>

namespace fioemu {

namespace {

const std::string k_folder = "/v4/accounts/([^/]+)/folders/([^/]+)";
const std::string k_folder_key = "/v4/accounts/{account_id}/folders/{folder_id}";

constexpr auto k_folder_only = {AssetType::folder};

/// Position in the parent's order (newest first): Frame.io documents no order for these lists.
std::string position_key(const Asset& a) {
    return v4_key_int(static_cast<std::int64_t>(std::llround(a.index))) + a.id;
}

/// The sort key of a /files item. A version stack sorts by its head version's size.
std::string file_sort_key(Model& model, const std::string& sort, const Asset& a) {
    if (sort.empty())
        return position_key(a);
    const bool desc = sort.ends_with("_desc");
    std::int64_t number = 0;
    if (sort.starts_with("name")) {
        return v4_key_str(a.name, desc) + a.id;
    } else if (sort.starts_with("created_at")) {
        number = a.inserted_at;
    } else if (sort.starts_with("updated_at")) {
        number = a.updated_at;
    } else {
        const Asset* head = a.is_file() ? &a : model.asset(a.cover_asset_id);
        number = head ? head->filesize : 0;
    }
    return v4_key_int(desc ? -number : number) + a.id;
}

/// Live direct children of `folder` whose type is in `types` (empty: all).
std::vector<const Asset*> live_children(Model& model, const Asset& folder,
                                        const std::vector<std::string>& types) {
    std::vector<const Asset*> out;
    for (const auto& id : folder.children) {
        const Asset* a = model.asset(id);
        if (!a || a->deleted_at || a->parent_id != folder.id)
            continue;
        if (!types.empty() &&
            std::find(types.begin(), types.end(), to_string(a->type)) == types.end())
            continue;
        out.push_back(a);
    }
    return out;
}

/// The shared body of the four folder lists.
void list_folder(V4Call& c, std::vector<std::string> types, bool with_type_param, bool with_sort,
                 std::initializer_list<std::string_view> includes) {
    if (!c.check_account(1))
        return;
    const bool ok =
        with_sort ? c.check_query({"include", "sort", "after", "page_size", "include_total_count"})
        : with_type_param
            ? c.check_query({"include", "type", "after", "page_size", "include_total_count"})
            : c.check_query({"include", "after", "page_size", "include_total_count"});
    if (!ok)
        return;
    const auto include = c.query_list("include", includes);
    if (!include)
        return;
    V4ListState state;
    if (with_type_param) {
        const auto wanted = c.query_list("type", {"file", "folder", "version_stack"});
        if (!wanted)
            return;
        for (const auto t : {"file", "folder", "version_stack"}) {
            if (std::find(wanted->begin(), wanted->end(), t) != wanted->end())
                state.type += (state.type.empty() ? "" : ",") + std::string(t);
        }
    }
    if (with_sort) {
        const auto sort =
            c.query_enum("sort", "",
                         {"name_asc", "created_at_asc", "updated_at_asc", "file_size_asc",
                          "name_desc", "created_at_desc", "updated_at_desc", "file_size_desc"});
        if (!sort)
            return;
        state.sort = *sort;
    }
    std::int64_t page_size = 0;
    bool total = false;
    const auto after = v4_read_cursor(c, state, k_v4_asset_page_max, page_size, total);
    if (!after)
        return;
    if (with_type_param) {
        types.clear();
        for (std::size_t pos = 0; pos < state.type.size();) {
            const auto comma = std::min(state.type.find(',', pos), state.type.size());
            types.push_back(state.type.substr(pos, comma - pos));
            pos = comma + 1;
        }
    }
    auto lock = c.s.model.lock();
    const Asset* folder = v4_find_asset(c, 2, k_folder_only, "Folder");
    if (!folder)
        return;
    std::vector<std::pair<std::string, const Asset*>> items;
    for (const Asset* a : live_children(c.s.model, *folder, types))
        items.emplace_back(file_sort_key(c.s.model, state.sort, *a), a);
    auto ctx = v4_render_context(c);
    const V4AssetRender opts = v4_asset_render(*include);
    v4_send_list(c, items, *after, page_size, total, state,
                 [&](Json& j, const Asset* a) { render_v4_asset(j, ctx, *a, opts); });
}

void register_folder_lists(HttpServer& server, Services& s) {
    add_v4_route(server, s, "GET", k_folder + "/children", "GET " + k_folder_key + "/children",
                 "folders.index",
                 [](V4Call& c) { list_folder(c, {}, true, false, {FIOEMU_V4_FILE_INCLUDES}); });
    add_v4_route(server, s, "GET", k_folder + "/folders", "GET " + k_folder_key + "/folders",
                 "folders.list", [](V4Call& c) {
                     list_folder(c, {"folder"}, false, false, {"creator", "project", "metadata"});
                 });
    // The files list carries version stacks too: its schema (AssetWithIncludes) allows them and
    // a client must switch on `type` (docs/frameio-api-v4.md, correction 10).
    add_v4_route(
        server, s, "GET", k_folder + "/files", "GET " + k_folder_key + "/files", "files.list",
        [](V4Call& c) {
            list_folder(c, {"file", "version_stack"}, false, true, {FIOEMU_V4_FILE_INCLUDES});
        });
    add_v4_route(server, s, "GET", k_folder + "/version_stacks",
                 "GET " + k_folder_key + "/version_stacks", "version_stacks.list", [](V4Call& c) {
                     list_folder(c, {"version_stack"}, false, false, {FIOEMU_V4_FILE_INCLUDES});
                 });
}

void register_folder_crud(HttpServer& server, Services& s) {
    add_v4_route(server, s, "GET", k_folder, "GET " + k_folder_key, "folders.show", [](V4Call& c) {
        if (!c.check_account(1) || !c.check_query({"include"}))
            return;
        const auto include = c.query_list("include", {"creator", "project", "metadata"});
        if (!include)
            return;
        auto lock = c.s.model.lock();
        if (const Asset* f = v4_find_asset(c, 2, k_folder_only, "Folder"))
            v4_send_asset(c, *f, v4_asset_render(*include), 200);
    });

    add_v4_route(
        server, s, "POST", k_folder + "/folders", "POST " + k_folder_key + "/folders",
        "folders.create", [](V4Call& c) {
            if (!c.check_account(1) || !c.check_query({}))
                return;
            rapidjson::Document doc;
            const auto data = c.data_body(doc, {"name"});
            bool answered = false;
            const auto name = data ? v4_name_field(c, *data, "name", true, answered) : std::nullopt;
            if (!name)
                return;
            auto lock = c.s.model.lock();
            Asset* parent = v4_find_asset(c, 2, k_folder_only, "Folder");
            if (!parent)
                return;
            V4AncestorRule rule(c, parent->project_id);
            const std::string parent_id = parent->id;
            Asset& f = c.s.model.create_folder(*parent, c.user_id, *name, std::nullopt, "", c.now);
            rule.finish({parent_id});
            v4_send_asset(c, f, {}, 201);
        });

    add_v4_route(server, s, "PATCH", k_folder, "PATCH " + k_folder_key, "folders.update",
                 [](V4Call& c) { v4_rename(c, k_folder_only, "Folder"); });

    add_v4_route(server, s, "PATCH", k_folder + "/move", "PATCH " + k_folder_key + "/move",
                 "folders.move", [](V4Call& c) { v4_move(c, k_folder_only, "Folder"); });

    add_v4_route(server, s, "DELETE", k_folder, "DELETE " + k_folder_key, "folders.delete",
                 [](V4Call& c) { v4_delete(c, k_folder_only, "Folder"); });
}

} // namespace

void register_v4_asset_routes(HttpServer& server, Services& s) {
    register_folder_lists(server, s);
    register_folder_crud(server, s);
    register_v4_file_routes(server, s);
    register_v4_version_stack_routes(server, s);
}

} // namespace fioemu
