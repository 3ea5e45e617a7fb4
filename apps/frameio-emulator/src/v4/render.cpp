// SPDX-License-Identifier: MIT
#include "v4/render.hpp"

#include "core/model.hpp"
#include "v4/links.hpp"

namespace fioemu {

namespace {

constexpr std::string_view k_view_base = "https://next.frame.io/project/";

void project_fields(Json& j, const Project& p) {
    j.key("id").str(p.id);
    j.key("name").str(p.name);
    j.key("status").str(p.inactive ? "inactive" : "active");
    j.key("storage").i64(p.storage);
    j.key("workspace_id").str(p.team_id);
    j.key("root_folder_id").str(p.root_asset_id);
    j.key("restricted").boolean(p.is_private);
    j.key("created_at").time(p.inserted_at);
    j.key("updated_at").time(p.updated_at);
    j.key("view_url").str(std::string(k_view_base) + p.id + "/");
}

void user_or_null(Json& j, const Model& model, const std::string& user_id) {
    const auto it = model.users().find(user_id);
    if (it == model.users().end()) {
        // An unknown user (removed from the account): the User schema's invited-user form.
        j.begin_object().key("id").null().key("name").null().key("email").str("");
        j.key("avatar_url").null().key("active").null().end_object();
        return;
    }
    render_v4_user(j, it->second);
}

/// media_links with the requested members only. The original has links once the upload
/// completed; the emulator makes no renditions, so those links are null (as Frame.io answers
/// for a rendition that does not exist).
void media_links(Json& j, V4RenderContext& ctx, const Asset& a,
                 const std::vector<std::string>& wanted) {
    j.key("media_links").begin_object();
    for (const auto& name : wanted) {
        j.key(name).begin_object();
        if (name == "original") {
            if (ctx.model.upload_visible_complete(a, ctx.now)) {
                j.key("download_url")
                    .str(v4_original_url(ctx.signer, ctx.base_url, a.id, false, ctx.now,
                                         ctx.link_ttl));
                j.key("inline_url")
                    .str(v4_original_url(ctx.signer, ctx.base_url, a.id, true, ctx.now,
                                         ctx.link_ttl));
            } else {
                j.key("download_url").null().key("inline_url").null();
            }
        } else if (name == "efficient" || name == "high_quality") {
            j.key("download_url").null();
        } else {
            j.key("download_url").null().key("url").null();
        }
        j.end_object();
    }
    j.end_object();
}

void asset_body(Json& j, V4RenderContext& ctx, const Asset& a, const V4AssetRender& opts);

void file_fields(Json& j, V4RenderContext& ctx, const Asset& a, const V4AssetRender& opts) {
    j.key("file_size").i64(a.filesize);
    j.key("media_type").str(a.filetype);
    // Bytes stored but not yet stitched (--v4-complete-delay): still `created`.
    const bool shown_complete = ctx.model.upload_visible_complete(a, ctx.now);
    j.key("status").str(a.status.empty() || !shown_complete ? "created" : a.status);
    std::vector<std::string> links;
    if (opts.media_links_original)
        links.emplace_back("original");
    for (const auto& extra : opts.media_links_renditions)
        links.push_back(extra);
    if (!links.empty())
        media_links(j, ctx, a, links);
    if (opts.upload_urls) {
        j.key("upload_urls").begin_array();
        for (const auto& [size, url] : *opts.upload_urls)
            j.begin_object().key("size").i64(size).key("url").str(url).end_object();
        j.end_array();
    }
}

void asset_body(Json& j, V4RenderContext& ctx, const Asset& a, const V4AssetRender& opts) {
    j.begin_object();
    j.key("id").str(a.id);
    j.key("name").str(a.name);
    j.key("type").str(to_string(a.type));
    j.key("project_id").str(a.project_id);
    j.key("parent_id").str_or_null(a.is_root ? std::string_view() : a.parent_id);
    j.key("created_at").time(a.inserted_at);
    j.key("updated_at").time(a.updated_at);
    j.key("view_url").str(std::string(k_view_base) + a.project_id + "/view/" + a.id);
    if (opts.creator) {
        j.key("creator");
        user_or_null(j, ctx.model, a.creator_id);
    }
    if (opts.project) {
        if (const auto it = ctx.model.projects().find(a.project_id);
            it != ctx.model.projects().end()) {
            j.key("project");
            render_v4_project(j, ctx, it->second, false);
        }
    }
    if (opts.metadata)
        j.key("metadata").begin_array().end_array(); // no metadata fields are defined
    switch (a.type) {
    case AssetType::file:
        file_fields(j, ctx, a, opts);
        break;
    case AssetType::folder:
        j.key("cover_file_id").null();
        break;
    case AssetType::version_stack: {
        const auto it = ctx.model.assets().find(a.cover_asset_id);
        j.key("head_version");
        if (it == ctx.model.assets().end()) {
            j.null();
        } else {
            V4AssetRender head_opts = opts;
            head_opts.upload_urls = nullptr;
            asset_body(j, ctx, it->second, head_opts);
        }
        break;
    }
    }
    j.end_object();
}

} // namespace

void render_v4_profile(Json& j, const User& u) {
    j.begin_object();
    j.key("id").str(u.id);
    j.key("name").str(u.name);
    j.key("email").str(u.email);
    j.key("avatar_url").null();
    j.end_object();
}

void render_v4_user(Json& j, const User& u) {
    j.begin_object();
    j.key("id").str(u.id);
    j.key("name").str(u.name);
    j.key("email").str(u.email);
    j.key("avatar_url").null();
    j.key("active").boolean(true);
    j.end_object();
}

std::int64_t v4_account_storage(const Model& model, const Account& a) {
    std::int64_t total = 0;
    for (const auto& [id, p] : model.projects()) {
        if (p.deleted_at)
            continue;
        const auto t = model.teams().find(p.team_id);
        if (t != model.teams().end() && t->second.account_id == a.id)
            total += p.storage;
    }
    return total;
}

void render_v4_account(Json& j, V4RenderContext& ctx, const Account& a) {
    j.begin_object();
    j.key("id").str(a.id);
    j.key("display_name").str(a.display_name);
    // The emulator's callers act as the account's owner (developer tokens do on Frame.io).
    j.key("roles").begin_array().str("owner").end_array();
    j.key("storage_limit").null();
    j.key("storage_usage").i64(v4_account_storage(ctx.model, a));
    j.key("created_at").time(a.inserted_at);
    j.key("updated_at").time(a.updated_at);
    j.end_object();
}

void render_v4_workspace(Json& j, V4RenderContext& ctx, const Team& t, bool with_creator) {
    j.begin_object();
    j.key("id").str(t.id);
    j.key("name").str(t.name);
    j.key("account_id").str(t.account_id);
    j.key("created_at").time(t.inserted_at);
    j.key("updated_at").time(t.updated_at);
    if (with_creator) {
        j.key("creator");
        user_or_null(j, ctx.model, t.creator_id);
    }
    j.end_object();
}

void render_v4_project(Json& j, V4RenderContext& ctx, const Project& p, bool with_owner) {
    j.begin_object();
    project_fields(j, p);
    j.key("description").opt_str(p.description);
    if (with_owner) {
        j.key("owner");
        user_or_null(j, ctx.model, p.owner_id);
    }
    j.end_object();
}

void render_v4_project_plain(Json& j, V4RenderContext&, const Project& p) {
    j.begin_object();
    project_fields(j, p);
    j.end_object();
}

void render_v4_asset(Json& j, V4RenderContext& ctx, const Asset& a, const V4AssetRender& opts) {
    asset_body(j, ctx, a, opts);
}

} // namespace fioemu
