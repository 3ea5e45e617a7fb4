// SPDX-License-Identifier: MIT
#pragma once

#include "core/http.hpp"

#include <string>
#include <string_view>

namespace fioemu {

/// An expected failure of an API operation: an HTTP status and a diagnostic detail.
struct ApiError {
    int status = 500;
    std::string detail;
};

std::string_view reason_phrase(int status);

/// Frame.io's HTTPError body:
/// {"code":404,"message":"Not Found","errors":[{"code":404,"status":404,"title":"Not
/// Found","detail":"..."}]}
std::string http_error_body(int status, std::string_view detail);

/// Escapes &, <, > and " for XML and HTML text and attribute values.
std::string markup_escape(std::string_view s);

/// V4's error body: {"errors":[{"detail":..,"title":..,"source":{"pointer":..}}]};
/// `pointer` empty: no source.
std::string v4_error_body(int status, std::string_view detail, std::string_view pointer = {});
void send_v4_error(httplib::Response& res, int status, std::string_view detail,
                   std::string_view pointer = {});

/// The error body of the API `path` belongs to, for answers written before any route ran
/// (size limits, unparsable requests): V4's errors array under /v4/, an OAuth 2 error under
/// /ims/, V2's HTTPError elsewhere.
std::string error_body_for_path(std::string_view path, int status, std::string_view detail);

/// S3's XML error document, for the part and download endpoints (which emulate S3/CloudFront).
std::string s3_error_body(std::string_view code, std::string_view message);

void send_api_error(httplib::Response& res, int status, std::string_view detail);
inline void send_api_error(httplib::Response& res, const ApiError& e) {
    send_api_error(res, e.status, e.detail);
}
void send_s3_error(httplib::Response& res, int status, std::string_view code,
                   std::string_view message);
/// What a load balancer in front of the API sends for 502/503: HTML, not JSON.
void send_gateway_error(httplib::Response& res, int status);

constexpr const char* k_json_type = "application/json; charset=utf-8";

} // namespace fioemu
