// SPDX-License-Identifier: MIT
#include "v2/render.hpp"

#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "core/options.hpp"

#include <algorithm>
#include <string_view>

namespace fioemu {

RenderContext v2_render_context(const Services& s, Micros now) {
    return RenderContext{
        s.model, now, s.base_url, s.signer, s.options.url_ttl, s.options.folder_size_aggregate};
}

namespace {

constexpr Micros k_hard_delete_after = 30LL * 24 * 3600 * k_micros_per_second;

void user_permissions(Json& j) {
    j.key("user_permissions").begin_object();
    j.key("can_download").boolean(true);
    j.key("can_manage_devices").boolean(true);
    j.key("can_modify_template").boolean(false);
    j.key("can_public_share_presentation").boolean(true);
    j.key("can_public_share_review_link").boolean(true);
    j.key("can_share_downloadable_presentation").boolean(true);
    j.key("can_share_downloadable_review_link").boolean(true);
    j.key("can_share_unwatermarked_presentation").boolean(true);
    j.key("can_share_unwatermarked_review_link").boolean(true);
    j.key("can_view_devices").boolean(true);
    j.end_object();
}

/// A stable UUID-shaped id derived from another id (for embedded objects that need one).
std::string derived_uuid(const std::string& from, std::string_view salt) {
    std::string h = hex(sha256(from + std::string(salt))).substr(0, 32);
    h[12] = '4';
    h[16] = "89ab"[static_cast<unsigned char>(h[16]) % 4];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20, 12);
}

void nulls(Json& j, std::initializer_list<std::string_view> keys) {
    for (auto k : keys)
        j.key(k).null();
}

struct Totals {
    std::int64_t storage = 0, files = 0, folders = 0, projects = 0;
};

Totals totals(Model& m, std::string_view team_id, std::string_view account_id) {
    Totals t;
    for (const auto& [pid, p] : m.projects()) {
        if (p.deleted_at)
            continue;
        const Team* team = m.team(p.team_id);
        if (!team)
            continue;
        if (!team_id.empty() && team->id != team_id)
            continue;
        if (!account_id.empty() && team->account_id != account_id)
            continue;
        t.storage += p.storage;
        t.files += p.file_count;
        t.folders += p.folder_count;
        t.projects += 1;
    }
    return t;
}

std::string_view asset_kind(const std::string& filetype) {
    if (filetype.rfind("video/", 0) == 0 || filetype.rfind("audio/", 0) == 0)
        return "stream";
    if (filetype.rfind("image/", 0) == 0)
        return "image";
    return "document";
}

std::vector<const Asset*> live_children(Model& m, const Asset& parent) {
    std::vector<const Asset*> out;
    for (const auto& id : parent.children) {
        const Asset* c = m.asset(id);
        if (c && !c->deleted_at)
            out.push_back(c);
    }
    std::sort(out.begin(), out.end(), [](const Asset* a, const Asset* b) {
        return a->index != b->index ? a->index < b->index : a->id < b->id;
    });
    return out;
}

} // namespace

void render_user(Json& j, const User& u) {
    j.begin_object();
    j.key("_type").str("user");
    j.key("account_id").str(u.account_id);
    j.key("bio").null();
    // The onboarding answers of the real user in the fixtures, same types.
    j.key("context").begin_object();
    j.key("company_name").null().key("id").str(u.context_id).key("industry").str("Media Company");
    j.key("job_title").null().key("role").str("Video Editor").key("team_size").str("Just me");
    j.end_object();
    j.key("deleted_at").null();
    j.key("digest_frequency").str("*/5 * * * *");
    j.key("email").str(u.email);
    j.key("email_confirm_by").null();
    j.key("email_preferences").null();
    j.key("features_seen").begin_object();
    j.key("id").str(u.features_id).key("player_page").boolean(false);
    j.end_object();
    j.key("first_login_at").time(u.inserted_at);
    j.key("from_adobe").boolean(false);
    j.key("from_google").boolean(false);
    j.key("highest_account_role").null();
    j.key("id").str(u.id);
    nulls(j, {"image_128", "image_256", "image_32", "image_64"});
    j.key("inserted_at").time(u.inserted_at);
    j.key("joined_via").str("organic");
    j.key("last_seen").time(u.updated_at);
    j.key("location").null();
    j.key("mfa_enforced_at").null();
    j.key("name").str(u.name);
    // Digests run every 5 minutes: the first 5-minute mark after the last update.
    constexpr Micros k_digest = 300 * k_micros_per_second;
    j.key("next_digest_date").time((u.updated_at / k_digest + 1) * k_digest);
    j.key("phone").null();
    j.key("profile_image").null();
    j.key("profile_image_original").null();
    j.key("roles").null();
    j.key("timezone_value").str("Etc/UTC");
    j.key("updated_at").time(u.updated_at);
    j.key("upload_url").null();
    j.key("user_default_color").str("#5b53ff");
    j.end_object();
}

void render_account(Json& j, RenderContext& ctx, const Account& a) {
    Model& m = ctx.model;
    const Totals t = totals(m, {}, a.id);
    std::int64_t teams = 0;
    for (const auto& [id, team] : m.teams()) {
        if (team.account_id == a.id)
            ++teams;
    }
    const std::int64_t lifetime_files = m.files_ever(); // the emulator has one account
    j.begin_object();
    j.key("_type").str("account");
    j.key("archived_storage").i64(0);
    j.key("collaborator_count").i64(0);
    j.key("company_name").null();
    j.key("deleted_at").null();
    j.key("display_name").str(a.display_name);
    j.key("duration").i64(0);
    j.key("file_count").i64(t.files);
    j.key("folder_count").i64(t.folders);
    j.key("frames").i64(0);
    j.key("id").str(a.id);
    nulls(j, {"image_128", "image_256", "image_32", "image_64"});
    j.key("inserted_at").time(a.inserted_at);
    j.key("lifetime_file_count").i64(lifetime_files);
    j.key("locked_at").null();
    j.key("member_count").i64(static_cast<std::int64_t>(m.users().size()));
    j.key("owner");
    if (const User* owner = m.user(a.owner_id)) {
        render_user(j, *owner);
    } else {
        j.null();
    }
    j.key("owner_id").str_or_null(a.owner_id);
    j.key("plan").null();
    j.key("project_count").i64(t.projects);
    j.key("storage").i64(t.storage);
    j.key("subscription").null();
    j.key("team_count").i64(teams);
    j.key("teams").begin_array();
    for (const Team* team : m.teams_in_order()) {
        if (team->account_id == a.id)
            render_team(j, ctx, *team, false);
    }
    j.end_array();
    j.key("updated_at").time(a.updated_at);
    j.end_object();
}

void render_team(Json& j, RenderContext& ctx, const Team& tm, bool embed_account) {
    Model& m = ctx.model;
    const Totals t = totals(m, tm.id, {});
    j.begin_object();
    j.key("_type").str("team");
    j.key("account");
    const Account* acc = m.account(tm.account_id);
    if (embed_account && acc) {
        render_account(j, ctx, *acc);
    } else {
        j.null();
    }
    j.key("account_id").str(tm.account_id);
    j.key("archived_storage").i64(0);
    j.key("asset_lifecycle_policy").null();
    j.key("collaborator_count").i64(0);
    j.key("creator_id").str(tm.creator_id);
    j.key("deleted_at").null();
    j.key("file_count").i64(t.files);
    j.key("folder_count").i64(t.folders);
    j.key("id").str(tm.id);
    j.key("inserted_at").time(tm.inserted_at);
    j.key("member_count").i64(static_cast<std::int64_t>(m.users().size()));
    j.key("member_limit").null();
    j.key("name").str(tm.name);
    j.key("project_count").i64(t.projects);
    j.key("storage").i64(t.storage);
    j.key("storage_limit").null();
    j.key("updated_at").time(tm.updated_at);
    j.end_object();
}

void render_project(Json& j, RenderContext& ctx, const Project& p, bool full) {
    Model& m = ctx.model;
    j.begin_object();
    j.key("_type").str("project");
    j.key("archive_status").str("standard");
    j.key("archived_at").null();
    j.key("archived_file_count").i64(0);
    j.key("archived_storage").i64(0);
    j.key("collaborator_count").i64(1);
    j.key("deleted_at").opt_time(p.deleted_at);
    j.key("description").opt_str(p.description);
    j.key("file_count").i64(p.file_count);
    j.key("folder_count").i64(p.folder_count);
    j.key("id").str(p.id);
    j.key("ignore_archive").boolean(false);
    j.key("inserted_at").time(p.inserted_at);
    j.key("invite_url").null();
    j.key("name").str(p.name);
    j.key("owner_id").str(p.owner_id);
    j.key("private").boolean(p.is_private);
    j.key("project_preferences").null();
    j.key("read_only").boolean(false);
    j.key("resource_id").null();
    j.key("root_asset");
    const Asset* root = m.asset(p.root_asset_id);
    if (full && root) {
        AssetRender opts;
        opts.embed_project = false;
        render_asset(j, ctx, *root, opts);
    } else {
        j.null();
    }
    j.key("root_asset_id").str(p.root_asset_id);
    j.key("shared").boolean(false);
    j.key("storage").i64(p.storage);
    j.key("team");
    const Team* team = m.team(p.team_id);
    if (full && team) {
        render_team(j, ctx, *team, false);
    } else {
        j.null();
    }
    j.key("team_id").str(p.team_id);
    j.key("updated_at").time(p.updated_at);
    user_permissions(j);
    j.key("user_preferences").null();
    j.key("watermark").null();
    j.end_object();
}

void render_asset(Json& j, RenderContext& ctx, const Asset& a, const AssetRender& opts) {
    Model& m = ctx.model;
    const bool file = a.is_file();
    const bool stack = a.type == AssetType::version_stack;
    const Project* project = m.project(a.project_id);
    const Team* team = project ? m.team(project->team_id) : nullptr;
    const Asset* cover = stack ? m.asset(a.cover_asset_id) : nullptr;
    const std::string_view name = stack && cover ? std::string_view(cover->name) : a.name;

    j.begin_object();
    j.key("_type").str(to_string(a.type));
    j.key("account_id").str_or_null(team ? team->account_id : std::string());
    if (stack) {
        j.key("allow_original_playback").boolean(true);
    } else {
        j.key("allow_original_playback").null();
    }
    if (file) {
        j.key("archive_from").time(a.inserted_at);
    } else {
        j.key("archive_from").null();
    }
    nulls(j, {"archive_scheduled_at", "archive_status", "archived_at"});
    if (file) {
        j.key("asset_type").str(asset_kind(a.filetype));
    } else {
        j.key("asset_type").null();
    }
    nulls(j, {"audio_tracks", "autoversion_id"});
    j.key("checksums");
    if (file && a.checksum) {
        j.begin_object().key("id").str(a.checksum_id).key("xx_hash").str(*a.checksum).end_object();
    } else {
        j.null();
    }
    if (opts.include_children && a.is_container()) {
        j.key("children").begin_array();
        AssetRender inner;
        inner.embed_project = opts.embed_project;
        inner.embed_creator = opts.embed_creator;
        std::size_t n = 0;
        for (const Asset* c : live_children(m, a)) {
            if (n++ == 3)
                break; // Frame.io embeds only the first three
            render_asset(j, ctx, *c, inner);
        }
        j.end_array();
    }
    j.key("comment_count").i64(0);
    j.key("copy").boolean(true);
    j.key("cover").null();
    if (opts.include_cover_asset && stack) {
        j.key("cover_asset");
        if (cover) {
            AssetRender inner;
            inner.embed_project = opts.embed_project;
            inner.embed_creator = opts.embed_creator;
            render_asset(j, ctx, *cover, inner);
        } else {
            j.null();
        }
    }
    j.key("cover_asset_id").str_or_null(stack ? a.cover_asset_id : std::string());
    j.key("creator");
    const User* creator = m.user(a.creator_id);
    if (opts.embed_creator && creator) {
        render_user(j, *creator);
    } else {
        j.null();
    }
    j.key("creator_id").str(a.creator_id);
    j.key("deleted_at").opt_time(a.deleted_at);
    j.key("description").opt_str(a.description);
    j.key("downloads");
    if (file) {
        j.begin_object();
        nulls(j, {"h264_1080_best", "h264_2160", "h264_360", "h264_540", "h264_720", "image_full",
                  "image_high", "image_small"});
        j.end_object();
    } else {
        j.null();
    }
    nulls(j, {"drm", "duration"});
    const std::int64_t size =
        a.type == AssetType::folder && !ctx.folder_size_aggregate ? 0 : a.filesize;
    j.key("filesize").i64(size);
    j.key("filetype").str_or_null(file ? a.filetype : std::string());
    nulls(j, {"fps", "frame_cover", "frame_custom", "frame_thumb"});
    j.key("frames").i64(0);
    nulls(j, {"h264_1080_best", "h264_2160", "h264_360", "h264_540", "h264_720"});
    if (a.deleted_at) {
        j.key("hard_deleted_at").time(*a.deleted_at + k_hard_delete_after);
    } else {
        j.key("hard_deleted_at").null();
    }
    j.key("hls_manifest").null();
    j.key("id").str(a.id);
    nulls(j, {"image_full", "image_high", "image_small"});
    if (file) {
        j.key("includes").begin_array().end_array();
    } else {
        j.key("includes").null();
    }
    // The real stack in the fixtures carries an integer index, its versions floats.
    if (stack) {
        j.key("index").i64(static_cast<std::int64_t>(a.index));
    } else {
        j.key("index").dbl(a.index);
    }
    j.key("inserted_at").time(a.inserted_at);
    j.key("is_360").boolean(false);
    j.key("is_hls_required").boolean(false);
    j.key("is_session_watermarked").boolean(false);
    j.key("item_count").i64(file ? 0 : a.item_count);
    j.key("label").str(a.label);
    nulls(j, {"metadata", "metadata_flags"});
    j.key("name").str(name);
    // Every file carries the signed URL of its original from its create answer on, the upload
    // still running or not (storage refuses it until the upload completed): the original tool
    // stored it in a NOT NULL column from its create answer. Inferred; docs/emulator.md.
    j.key("original");
    if (file) {
        const std::int64_t expires = ctx.now / k_micros_per_second + ctx.url_ttl;
        j.str(ctx.signer.original_url(ctx.base_url, a.id, expires));
    } else {
        j.null();
    }
    nulls(j, {"page_full", "page_high", "page_small", "page_thumb"});
    j.key("parent_id").str_or_null(a.parent_id);
    j.key("private").boolean(false);
    j.key("project");
    if (opts.embed_project && project) {
        render_project(j, ctx, *project, false);
    } else {
        j.null();
    }
    j.key("project_id").str(a.project_id);
    j.key("properties").raw(a.properties);
    j.key("public_item_count").null();
    j.key("rating").null();
    if (file) {
        j.key("required_transcodes").begin_array().end_array();
    } else {
        j.key("required_transcodes").null();
    }
    j.key("resource_id").null();
    j.key("shared").boolean(false);
    j.key("source").null();
    j.key("status").str_or_null(file ? a.status : std::string());
    nulls(j, {"subtitle_tracks"});
    j.key("team_id").str_or_null(team ? team->id : std::string());
    nulls(j, {"thumb", "thumb_540", "thumb_orig_ar_540", "thumb_scrub", "timecode"});
    if (file) {
        j.key("transcode_statuses").begin_object().end_object();
    } else {
        j.key("transcode_statuses").null();
    }
    j.key("transcoded_at").opt_time(file ? a.transcoded_at : std::nullopt);
    j.key("transcodes");
    if (file) {
        // The emulator transcodes nothing: a transcode state with no renditions.
        j.begin_object();
        j.key("_type").str("transcode_state");
        j.key("codec").null();
        j.key("id").str(derived_uuid(a.id, "transcode_state"));
        nulls(j, {"original_height", "original_width"});
        j.key("resolutions").begin_array().end_array();
        nulls(j, {"thumb_height", "thumb_state", "thumb_width", "thumbs", "total_audio_tracks"});
        j.end_object();
    } else {
        j.null();
    }
    j.key("type").str(to_string(a.type));
    j.key("updated_at").time(a.updated_at);
    j.key("upload_completed_at").opt_time(file ? a.upload_completed_at : std::nullopt);
    j.key("upload_failed_at").null();
    if (opts.upload_urls) {
        j.key("upload_urls").begin_array();
        for (const auto& u : *opts.upload_urls)
            j.str(u);
        j.end_array();
    }
    if (stack && cover) {
        j.key("uploaded_at").time(cover->inserted_at);
    } else {
        j.key("uploaded_at").time(a.inserted_at);
    }
    user_permissions(j);
    j.key("versions").i64(stack ? a.item_count : 0);
    nulls(j, {"video_h264_180"});
    j.key("view_count").i64(0);
    nulls(j, {"waveform", "webm_1080_best", "webm_360", "webm_540", "webm_720"});
    j.end_object();
}

} // namespace fioemu
