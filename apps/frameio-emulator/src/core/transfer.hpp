// SPDX-License-Identifier: MIT
#pragma once
// The storage side shared by both API generations: the S3-like part endpoint and the
// CloudFront-like download endpoint, reached through pre-signed URLs.

#include "core/http.hpp"

namespace fioemu {

class HttpServer;
struct Services;

/// The S3-like part endpoint (PUT /parts/...) and downloads (GET /originals/...).
void register_transfer_routes(HttpServer& server, Services& s);
/// The Expect: 100-continue check: part uploads with bad headers are refused before their body
/// is sent. Returns 100 to continue, or the final status already set in `res`.
int check_expect_continue(Services& s, const httplib::Request& req, httplib::Response& res);

} // namespace fioemu
