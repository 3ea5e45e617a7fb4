// SPDX-License-Identifier: MIT
#pragma once
// Frame.io V4 (/v4/...): the API every account is reached through since 2026-12-01.

namespace fioemu {

class HttpServer;
struct Services;

/// /v4/me, accounts, workspaces and projects.
void register_v4_hierarchy_routes(HttpServer& server, Services& s);
/// Folders, files (show, rename, move, copy, delete) and version stacks.
void register_v4_asset_routes(HttpServer& server, Services& s);
/// Local upload, upload status and media links.
void register_v4_upload_routes(HttpServer& server, Services& s);

} // namespace fioemu
