// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace fios::net {

/// `scheme://host[:port]/path` of a URL: no user info, no query, no fragment. Pre-signed
/// upload and download URLs carry their signature in the query, so this is the only form of a
/// URL that may appear in a log line, an error message or a trace.
std::string redact_url(std::string_view url);

/// The path of a URL (`/v2/assets/x`), without query or fragment; "/" when it has none.
std::string url_path(std::string_view url);

/// Percent-encodes a query-string or path component (RFC 3986 unreserved characters stay).
std::string url_encode(std::string_view component);

} // namespace fios::net
