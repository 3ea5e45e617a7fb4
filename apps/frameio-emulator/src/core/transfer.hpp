// SPDX-License-Identifier: MIT
#pragma once
// The storage side shared by both API generations: the S3-like part endpoint and the
// CloudFront-like download endpoint, reached through pre-signed URLs.

#include "core/http.hpp"

#include <cstdint>
#include <string>

namespace fioemu {

class HttpServer;
struct Asset;
struct Services;

/// The S3-like part endpoint (PUT /parts/...) and downloads (GET /originals/<id>, served as an
/// attachment, and GET /originals/<id>/inline, served inline).
void register_transfer_routes(HttpServer& server, Services& s);
/// The Expect: 100-continue check: part uploads with bad headers are refused before their body
/// is sent. Returns 100 to continue, or the final status already set in `res`.
int check_expect_continue(Services& s, const httplib::Request& req, httplib::Response& res);

/// Records part `index` of `a` (its file already renamed into place; the model lock held).
/// The last part completes the upload, unless `draw_faults` and the upload_failed fault hits a
/// V4 upload: then the upload is marked failed instead. A part of a failed upload changes
/// nothing. Returns true when it completed (the caller then queues the checksum pass outside
/// the lock).
bool record_stored_part(Services& s, Asset& a, std::int64_t index, bool draw_faults);

/// Stores every part of the (not yet uploaded) file `asset_id` with deterministic,
/// incompressible content derived from `seed`, the way a part PUT stores it: temp file, rename
/// under the lock, record_stored_part without faults. For --seed-demo. Throws
/// std::runtime_error on I/O errors.
void store_generated_content(Services& s, const std::string& asset_id, std::uint64_t seed);

} // namespace fioemu
