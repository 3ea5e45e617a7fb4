// SPDX-License-Identifier: MIT
#pragma once

#include "core/clock.hpp"
#include "core/json.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fioemu {

class Model;
class UrlSigner;
struct Services;
struct Account;
struct Asset;
struct Project;
struct Team;
struct User;

/// What rendering needs besides the model: time, and how to mint signed download URLs.
struct RenderContext {
    Model& model;
    Micros now = 0;
    std::string base_url; ///< "http://HOST:PORT" for `original` URLs
    const UrlSigner& signer;
    std::int64_t url_ttl = 0; ///< seconds
    bool folder_size_aggregate = true;
};

struct AssetRender {
    bool include_children = false;    ///< include=children: folders embed their first 3 children
    bool include_cover_asset = false; ///< include=cover_asset: stacks embed their head
    const std::vector<std::string>* upload_urls = nullptr; ///< create response only
    bool embed_project = true;
    bool embed_creator = true;
};

// Every object carries every key the reference lists (null where the emulator has no
// meaning for it), with the JSON types of the real responses in ../shared/fixtures.
void render_user(Json& j, const User& u);
/// A RenderContext at `now` for V2 rendering (the model lock must be held while rendering).
RenderContext v2_render_context(const Services& s, Micros now);

void render_account(Json& j, RenderContext& ctx, const Account& a);
void render_team(Json& j, RenderContext& ctx, const Team& t, bool embed_account = true);
/// `full`: GET/POST/PUT of one project embeds root_asset and team; lists and embeddings do not.
void render_project(Json& j, RenderContext& ctx, const Project& p, bool full);
void render_asset(Json& j, RenderContext& ctx, const Asset& a, const AssetRender& opts = {});

} // namespace fioemu
