// SPDX-License-Identifier: MIT
// V4 local upload (files.create_local_upload) and the upload status
// (files.show_file_upload_status). The parts go to the S3-like endpoint of core/transfer.cpp;
// there is no completion call: the last part completes the upload.
#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/json.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "v4/api.hpp"
#include "v4/links.hpp"
#include "v4/render.hpp"
#include "v4/resources.hpp"
#include "v4/routes.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fioemu {

namespace {

/// The validated {"data":{"name","file_size"}} of a local_upload request.
struct LocalUploadRequest {
    std::string name;
    std::int64_t file_size = 0;
};

std::optional<LocalUploadRequest> read_local_upload(V4Call& c) {
    rapidjson::Document doc;
    const auto data = c.data_body(doc, {"name", "file_size"});
    if (!data)
        return std::nullopt;
    bool answered = false;
    auto name = v4_name_field(c, *data, "name", true, answered);
    if (!name)
        return std::nullopt;
    const rapidjson::Value& d = **data;
    const auto size = d.FindMember("file_size");
    if (size == d.MemberEnd()) {
        c.send_error(422, "Missing field: file_size", "/data/file_size");
        return std::nullopt;
    }
    if (!size->value.IsInt64() || size->value.GetInt64() < 1 ||
        size->value.GetInt64() > k_max_v4_file_size) {
        c.send_error(422, "file_size must be an integer from 1 to 5000000000000",
                     "/data/file_size");
        return std::nullopt;
    }
    return LocalUploadRequest{std::move(*name), size->value.GetInt64()};
}

void create_local_upload(V4Call& c) {
    if (!c.check_account(1))
        return;
    const auto folder_id = c.id_param(2, "Folder");
    if (!folder_id || !c.check_query({}))
        return;
    const auto request = read_local_upload(c);
    if (!request)
        return;

    auto lock = c.s.model.lock();
    Asset* folder = v4_find_asset_id(c, *folder_id, {AssetType::folder}, "Folder");
    if (!folder)
        return;
    V4AncestorRule ancestors(c, folder->project_id);
    Asset& file = create_v4_file(c.s, *folder, c.user_id, request->name, request->file_size, c.now);
    ancestors.finish({folder->id});

    const std::int64_t expires = c.now / k_micros_per_second + c.s.options.url_ttl;
    std::vector<std::pair<std::int64_t, std::string>> urls;
    urls.reserve(static_cast<std::size_t>(file.part_count));
    for (std::int64_t i = 0; i < file.part_count; ++i)
        urls.emplace_back(file.part_length(i),
                          c.s.signer.part_url(c.s.base_url, file.id, i + 1, expires));
    V4RenderContext ctx = v4_render_context(c);
    V4AssetRender opts;
    opts.upload_urls = &urls;
    Json j;
    j.begin_object().key("data");
    render_v4_asset(j, ctx, file, opts);
    j.end_object();
    c.send_json(j.take(), 201);
}

void show_upload_status(V4Call& c) {
    if (!c.check_account(1))
        return;
    const auto file_id = c.id_param(2, "File");
    if (!file_id || !c.check_query({}))
        return;
    auto lock = c.s.model.lock();
    const Asset* a = v4_find_asset_id(c, *file_id, {AssetType::file}, "File");
    if (!a)
        return;
    Json j;
    j.begin_object().key("data").begin_object();
    j.key("id").str(a->id);
    j.key("filetype").str(a->filetype);
    const bool complete = c.s.model.upload_visible_complete(*a, c.now);
    j.key("upload_complete").boolean(complete);
    j.key("upload_failed").boolean(a->upload_failed);
    j.key("uploaded_at").opt_time(a->first_part_at);
    j.key("upload_completed_at")
        .opt_time(complete ? c.s.model.visible_completion(*a) : std::optional<Micros>());
    j.end_object().end_object();
    c.send_json(j.take());
}

} // namespace

void register_v4_upload_routes(HttpServer& server, Services& s) {
    add_v4_route(server, s, "POST", R"(/v4/accounts/([^/]+)/folders/([^/]+)/files/local_upload)",
                 "POST /v4/accounts/{account_id}/folders/{folder_id}/files/local_upload",
                 "files.create_local_upload", create_local_upload);
    add_v4_route(server, s, "GET", R"(/v4/accounts/([^/]+)/files/([^/]+)/status)",
                 "GET /v4/accounts/{account_id}/files/{file_id}/status",
                 "files.show_file_upload_status", show_upload_status);
}

} // namespace fioemu
