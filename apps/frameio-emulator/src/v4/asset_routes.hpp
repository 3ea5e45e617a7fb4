// SPDX-License-Identifier: MIT
#pragma once
// The steps folders, files and version stacks share (rename, move, delete, single answers),
// and the registration of the file and version stack routes.

#include "core/model.hpp"
#include "v4/api.hpp"
#include "v4/render.hpp"

#include <initializer_list>
#include <string_view>

namespace fioemu {

class HttpServer;
struct Services;

/// {"data": asset} with `status`.
void v4_send_asset(V4Call& c, const Asset& a, const V4AssetRender& opts, int status);
/// PATCH {"data":{"name"}} on capture 2, an asset of `types`.
void v4_rename(V4Call& c, std::initializer_list<AssetType> types, std::string_view what);
/// PATCH .../move {"data":{"parent_id"}}: into a folder of the same project, or (files) into a
/// version stack, where the file becomes the head version.
void v4_move(V4Call& c, std::initializer_list<AssetType> types, std::string_view what);
/// DELETE: the asset and its subtree; 204.
void v4_delete(V4Call& c, std::initializer_list<AssetType> types, std::string_view what);

void register_v4_file_routes(HttpServer& server, Services& s);
void register_v4_version_stack_routes(HttpServer& server, Services& s);

} // namespace fioemu
