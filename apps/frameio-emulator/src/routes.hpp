// SPDX-License-Identifier: MIT
#pragma once

#include "http.hpp"

namespace fioemu {

class HttpServer;
struct Services;

/// /v2/me, accounts, teams and projects.
void register_hierarchy_routes(HttpServer& server, Services& s);
/// /v2/assets/... and /v2/search/library.
void register_asset_routes(HttpServer& server, Services& s);
/// The S3-like part endpoint (PUT /parts/...) and downloads (GET /originals/...).
void register_transfer_routes(HttpServer& server, Services& s);
/// The Expect: 100-continue check: part uploads with bad headers are refused before their body
/// is sent. Returns 100 to continue, or the final status already set in `res`.
int check_expect_continue(Services& s, const httplib::Request& req, httplib::Response& res);

} // namespace fioemu
