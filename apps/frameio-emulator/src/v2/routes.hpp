// SPDX-License-Identifier: MIT
#pragma once
// Frame.io V2 (/v2/...): the legacy API, served as Frame.io served it until 2026-12-01.

namespace fioemu {

class HttpServer;
struct Services;

/// /v2/me, accounts, teams and projects.
void register_v2_hierarchy_routes(HttpServer& server, Services& s);
/// /v2/assets/... and /v2/search/library.
void register_v2_asset_routes(HttpServer& server, Services& s);

} // namespace fioemu
