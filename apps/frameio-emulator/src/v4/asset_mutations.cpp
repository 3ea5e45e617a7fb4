// SPDX-License-Identifier: MIT
// Rename, move and delete of V4 folders, files and version stacks.
#include "core/api.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "v4/asset_routes.hpp"
#include "v4/resources.hpp"

namespace fioemu {

namespace {

/// Whether `candidate` is `a` or lies below it.
bool is_within(Model& model, const Asset& candidate, const Asset& a) {
    for (const Asset* x = &candidate; x; x = model.asset(x->parent_id)) {
        if (x->id == a.id)
            return true;
    }
    return false;
}

/// Moves file `f` on top of `stack` (it becomes the head version).
void move_into_stack(Model& model, Asset& f, Asset& stack, const std::string& user_id, Micros now) {
    if (Asset* current = model.stack_of(f)) {
        if (current->id == stack.id && current->cover_asset_id == f.id)
            return; // already the head
        // Out of its stack first (a stack it leaves empty goes); `stack` keeps a version.
        if (Asset* folder = model.asset(stack.parent_id))
            model.move_asset(f, *folder, now);
    }
    model.add_version(stack, f, user_id, now);
}

} // namespace

void v4_send_asset(V4Call& c, const Asset& a, const V4AssetRender& opts, int status) {
    auto ctx = v4_render_context(c);
    Json j;
    j.begin_object().key("data");
    render_v4_asset(j, ctx, a, opts);
    j.end_object();
    c.send_json(j.take(), status);
}

void v4_rename(V4Call& c, std::initializer_list<AssetType> types, std::string_view what) {
    if (!c.check_account(1) || !c.check_query({}))
        return;
    rapidjson::Document doc;
    const auto data = c.data_body(doc, {"name"});
    bool answered = false;
    const auto name = data ? v4_name_field(c, *data, "name", true, answered) : std::nullopt;
    if (!name)
        return;
    auto lock = c.s.model.lock();
    Asset* a = v4_find_asset(c, 2, types, what);
    if (!a)
        return;
    V4AncestorRule rule(c, a->project_id);
    a->name = *name;
    c.s.model.touch_asset(*a, c.now);
    rule.finish({a->parent_id});
    v4_send_asset(c, *a, {}, 200);
}

void v4_move(V4Call& c, std::initializer_list<AssetType> types, std::string_view what) {
    if (!c.check_account(1) || !c.check_query({}))
        return;
    rapidjson::Document doc;
    const auto data = c.data_body(doc, {"parent_id"});
    if (!data)
        return;
    const auto it = (*data)->FindMember("parent_id");
    if (it == (*data)->MemberEnd() || !it->value.IsString()) {
        c.send_error(422, "parent_id must be a string", "/data/parent_id");
        return;
    }
    const std::string dest_id = ascii_lower(it->value.GetString());
    auto lock = c.s.model.lock();
    Asset* a = v4_find_asset(c, 2, types, what);
    if (!a)
        return;
    const bool file = a->is_file();
    Asset* dest = file ? v4_find_asset_id(c, dest_id, {AssetType::folder, AssetType::version_stack},
                                          "Destination")
                       : v4_find_asset_id(c, dest_id, {AssetType::folder}, "Destination folder");
    if (!dest)
        return;
    if (a->is_root) {
        c.send_error(422, "A project's root folder cannot be moved");
        return;
    }
    if (dest->project_id != a->project_id) {
        c.send_error(422, "The emulator moves within a project only", "/data/parent_id");
        return;
    }
    if (is_within(c.s.model, *dest, *a)) {
        c.send_error(422, "A folder cannot be moved into itself or below itself",
                     "/data/parent_id");
        return;
    }
    V4AncestorRule rule(c, a->project_id);
    const std::string old_parent = a->parent_id;
    if (dest->type == AssetType::version_stack) {
        move_into_stack(c.s.model, *a, *dest, c.user_id, c.now);
    } else if (dest->id != a->parent_id) {
        c.s.model.move_asset(*a, *dest, c.now);
    }
    rule.finish({old_parent, dest->id});
    v4_send_asset(c, *a, {}, 200);
}

void v4_delete(V4Call& c, std::initializer_list<AssetType> types, std::string_view what) {
    if (!c.check_account(1) || !c.check_query({}))
        return;
    auto lock = c.s.model.lock();
    Asset* a = v4_find_asset(c, 2, types, what);
    if (!a)
        return;
    if (a->is_root) {
        c.send_error(422, "A project's root folder cannot be deleted");
        return;
    }
    V4AncestorRule rule(c, a->project_id);
    const std::string parent = a->parent_id;
    c.s.model.delete_asset(*a, c.now);
    rule.finish({parent});
    c.send_no_content();
}

} // namespace fioemu
