// SPDX-License-Identifier: MIT
// V4 files (show, rename, move, copy, delete) and version stacks (create, show, children,
// move) (docs/emulator.md, "V4 resources").
#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/crypto.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "v4/asset_routes.hpp"
#include "v4/resources.hpp"

#include <cmath>
#include <filesystem>
#include <set>
#include <system_error>

namespace fioemu {

namespace {

const std::string k_file = "/v4/accounts/([^/]+)/files/([^/]+)";
const std::string k_file_key = "/v4/accounts/{account_id}/files/{file_id}";
const std::string k_stack = "/v4/accounts/([^/]+)/version_stacks/([^/]+)";
const std::string k_stack_key = "/v4/accounts/{account_id}/version_stacks/{version_stack_id}";

constexpr auto k_file_only = {AssetType::file};
constexpr auto k_stack_only = {AssetType::version_stack};

/// "name (n).ext" with the lowest n >= 1 that no live item of `folder` is called.
std::string copy_name(Model& model, const Asset& folder, const std::string& name) {
    std::set<std::string> taken;
    for (const auto& id : folder.children) {
        const Asset* a = model.asset(id);
        if (a && !a->deleted_at && a->parent_id == folder.id)
            taken.insert(a->name);
    }
    const auto dot = name.rfind('.');
    const bool has_ext = dot != std::string::npos && dot > 0;
    const std::string stem = has_ext ? name.substr(0, dot) : name;
    const std::string ext = has_ext ? name.substr(dot) : std::string();
    for (int n = 1;; ++n) {
        std::string candidate = stem + " (" + std::to_string(n) + ")" + ext;
        if (!taken.count(candidate))
            return candidate;
    }
}

/// The copy shares the original's stored bytes: its part files are hard links (copies where
/// the file system cannot link).
void link_parts(const BlobStore& blobs, const Asset& src, const Asset& copy) {
    std::error_code ec;
    std::filesystem::create_directories(blobs.asset_dir(copy.id), ec);
    for (std::int64_t i = 0; i < src.part_count; ++i) {
        if (src.parts[static_cast<std::size_t>(i)] != '1')
            continue;
        const auto from = blobs.part_path(src.id, i);
        const auto to = blobs.part_path(copy.id, i);
        std::filesystem::create_hard_link(from, to, ec);
        if (ec)
            std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing,
                                       ec);
        if (ec)
            throw std::runtime_error("cannot copy part " + from.string() + ": " + ec.message());
    }
}

void copy_file_route(V4Call& c) {
    if (!c.check_account(1) || !c.check_query({"copy_metadata", "copy_comments"}))
        return;
    if (!c.query_bool("copy_metadata", false) ||
        !c.query_enum("copy_comments", "none", {"none", "internal", "public", "all"}))
        return;
    rapidjson::Document doc;
    const auto data = c.data_body(doc, {"parent_id"}, false);
    if (!data)
        return;
    std::optional<std::string> dest_id;
    if (*data) {
        const auto it = (*data)->FindMember("parent_id");
        if (it != (*data)->MemberEnd()) {
            if (!it->value.IsString()) {
                c.send_error(422, "parent_id must be a string", "/data/parent_id");
                return;
            }
            dest_id = ascii_lower(it->value.GetString());
        }
    }
    auto lock = c.s.model.lock();
    const Asset* src = v4_find_asset(c, 2, k_file_only, "File");
    if (!src)
        return;
    // A version's copy lands in the folder holding its stack.
    const Asset* holder = c.s.model.asset(src->parent_id);
    std::string folder_id =
        holder && holder->type == AssetType::version_stack ? holder->parent_id : src->parent_id;
    const std::string home_folder = folder_id;
    if (dest_id)
        folder_id = *dest_id;
    Asset* folder = v4_find_asset_id(c, folder_id, {AssetType::folder}, "Destination folder");
    if (!folder)
        return;
    const std::string name =
        folder->id == home_folder ? copy_name(c.s.model, *folder, src->name) : src->name;
    V4AncestorRule rule(c, folder->project_id);
    const Asset source = *src;
    Asset& copy = c.s.model.copy_file(source, *folder, c.user_id, name, c.now);
    link_parts(c.s.blobs, source, copy);
    rule.finish({folder->id});
    v4_send_asset(c, copy, {}, 200);
}

void create_stack_route(V4Call& c) {
    if (!c.check_account(1) || !c.check_query({}))
        return;
    rapidjson::Document doc;
    const auto data = c.data_body(doc, {"file_ids"});
    if (!data)
        return;
    const auto it = (*data)->FindMember("file_ids");
    if (it == (*data)->MemberEnd() || !it->value.IsArray() || it->value.Size() < 2 ||
        it->value.Size() > 10) {
        c.send_error(422, "file_ids must be a list of 2 to 10 file ids", "/data/file_ids");
        return;
    }
    std::vector<std::string> ids;
    for (const auto& v : it->value.GetArray()) {
        const std::string id = v.IsString() ? ascii_lower(v.GetString()) : std::string();
        if (id.empty() || std::find(ids.begin(), ids.end(), id) != ids.end()) {
            c.send_error(422, "file_ids must be unique file ids", "/data/file_ids");
            return;
        }
        ids.push_back(id);
    }
    auto lock = c.s.model.lock();
    Asset* folder = v4_find_asset(c, 2, {AssetType::folder}, "Folder");
    if (!folder)
        return;
    std::vector<Asset*> files;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        Asset* f = c.s.model.asset(ids[i]);
        if (!f || !f->is_file() || c.s.model.is_deleted(*f) || f->parent_id != folder->id) {
            c.send_error(422, "Every file must be a file of this folder",
                         "/data/file_ids/" + std::to_string(i));
            return;
        }
        files.push_back(f);
    }
    V4AncestorRule rule(c, folder->project_id);
    const std::string folder_id = folder->id;
    // Oldest first: each later file goes on top, so the last id is the head version.
    Asset* stack = &c.s.model.add_version(*files[0], *files[1], c.user_id, c.now);
    for (std::size_t i = 2; i < files.size(); ++i)
        stack = &c.s.model.add_version(*stack, *files[i], c.user_id, c.now);
    rule.finish({folder_id});
    v4_send_asset(c, *stack, {}, 201);
}

void stack_children_route(V4Call& c) {
    if (!c.check_account(1) ||
        !c.check_query({"include", "after", "page_size", "include_total_count"}))
        return;
    const auto include = c.query_list("include", {FIOEMU_V4_FILE_INCLUDES});
    if (!include)
        return;
    V4ListState state;
    std::int64_t page_size = 0;
    bool total = false;
    const auto after = v4_read_cursor(c, state, k_v4_page_max, page_size, total);
    if (!after)
        return;
    auto lock = c.s.model.lock();
    const Asset* stack = v4_find_asset(c, 2, k_stack_only, "Version stack");
    if (!stack)
        return;
    // Head first: the order of the versions, newest on top.
    std::vector<std::pair<std::string, const Asset*>> items;
    for (const auto& id : stack->children) {
        const Asset* a = c.s.model.asset(id);
        if (a && !a->deleted_at && a->parent_id == stack->id)
            items.emplace_back(
                v4_key_int(static_cast<std::int64_t>(std::llround(a->index))) + a->id, a);
    }
    auto ctx = v4_render_context(c);
    const V4AssetRender opts = v4_asset_render(*include);
    v4_send_list(c, items, *after, page_size, total, state,
                 [&](Json& j, const Asset* a) { render_v4_asset(j, ctx, *a, opts); });
}

/// GET of one file or stack with `include`.
void show_route(V4Call& c, std::initializer_list<AssetType> types, std::string_view what) {
    if (!c.check_account(1) || !c.check_query({"include"}))
        return;
    const auto include = c.query_list("include", {FIOEMU_V4_FILE_INCLUDES});
    if (!include)
        return;
    auto lock = c.s.model.lock();
    if (const Asset* a = v4_find_asset(c, 2, types, what))
        v4_send_asset(c, *a, v4_asset_render(*include), 200);
}

} // namespace

void register_v4_file_routes(HttpServer& server, Services& s) {
    add_v4_route(server, s, "GET", k_file, "GET " + k_file_key, "files.show",
                 [](V4Call& c) { show_route(c, k_file_only, "File"); });
    add_v4_route(server, s, "PATCH", k_file, "PATCH " + k_file_key, "files.update",
                 [](V4Call& c) { v4_rename(c, k_file_only, "File"); });
    add_v4_route(server, s, "PATCH", k_file + "/move", "PATCH " + k_file_key + "/move",
                 "files.move", [](V4Call& c) { v4_move(c, k_file_only, "File"); });
    add_v4_route(server, s, "POST", k_file + "/copy", "POST " + k_file_key + "/copy", "files.copy",
                 copy_file_route);
    add_v4_route(server, s, "DELETE", k_file, "DELETE " + k_file_key, "files.delete",
                 [](V4Call& c) { v4_delete(c, k_file_only, "File"); });
}

void register_v4_version_stack_routes(HttpServer& server, Services& s) {
    add_v4_route(server, s, "POST", "/v4/accounts/([^/]+)/folders/([^/]+)/version_stacks",
                 "POST /v4/accounts/{account_id}/folders/{folder_id}/version_stacks",
                 "version_stacks.create", create_stack_route);
    add_v4_route(server, s, "GET", k_stack, "GET " + k_stack_key, "version_stacks.show",
                 [](V4Call& c) { show_route(c, k_stack_only, "Version stack"); });
    add_v4_route(server, s, "GET", k_stack + "/children", "GET " + k_stack_key + "/children",
                 "version_stacks.index", stack_children_route);
    add_v4_route(server, s, "PATCH", k_stack + "/move", "PATCH " + k_stack_key + "/move",
                 "version_stacks.move",
                 [](V4Call& c) { v4_move(c, k_stack_only, "Version stack"); });
}

} // namespace fioemu
