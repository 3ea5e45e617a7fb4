// SPDX-License-Identifier: MIT
#pragma once
// V4 JSON objects, as the official OpenAPI document's schemas describe them: every required
// key present, nulls where the schema says nullable, nothing the schema does not declare
// (in particular no checksum: V4 has none).

#include "core/clock.hpp"
#include "core/json.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fioemu {

class Model;
class UrlSigner;
struct Account;
struct Asset;
struct Project;
struct Team;
struct User;

struct V4RenderContext {
    Model& model;
    Micros now = 0;
    std::string base_url; ///< "http://HOST:PORT" for view_url-independent links (media links)
    const UrlSigner& signer;
    std::int64_t link_ttl = 0; ///< --v4-link-ttl (0: next UTC noon or midnight)
};

/// What a file, folder or version stack embeds (the `include` query values).
struct V4AssetRender {
    bool media_links_original = false; ///< include=media_links.original
    bool creator = false;              ///< include=creator
    bool project = false;              ///< include=project
    bool metadata = false;             ///< include=metadata
    /// The local_upload answer only: (size, url) of each part.
    const std::vector<std::pair<std::int64_t, std::string>>* upload_urls = nullptr;
    /// Other media_links.* includes ("thumbnail", "efficient", ...): rendered as null links.
    std::vector<std::string> media_links_renditions;
};

void render_v4_profile(Json& j, const User& u);
void render_v4_user(Json& j, const User& u);
void render_v4_account(Json& j, V4RenderContext& ctx, const Account& a);
void render_v4_workspace(Json& j, V4RenderContext& ctx, const Team& t, bool with_creator);
/// ProjectWithIncludes (show, lists): `description` always, `owner` with include=owner.
void render_v4_project(Json& j, V4RenderContext& ctx, const Project& p, bool with_owner);
/// Project (the create and update answers): no description.
void render_v4_project_plain(Json& j, V4RenderContext& ctx, const Project& p);
/// Bytes of uploaded live files in the account's live projects (Account.storage_usage).
std::int64_t v4_account_storage(const Model& model, const Account& a);
/// A file, folder or version stack (switching on its type).
void render_v4_asset(Json& j, V4RenderContext& ctx, const Asset& a, const V4AssetRender& opts);

} // namespace fioemu
