// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fios::auth {

/// Percent-encodes everything except the RFC 3986 unreserved characters [A-Za-z0-9-._~]
/// (so spaces become %20, which both query strings and form bodies accept).
std::string percent_encode(std::string_view text);

/// Decodes %XX escapes, and '+' as a space when `plus_is_space` (form and query encoding).
/// Returns std::nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = true);

/// `a=1&b=x%20y`: the application/x-www-form-urlencoded body (or query) for these pairs.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& pairs);

/// Splits a query string (`a=1&b=2`, without the leading '?') into decoded pairs, in order.
/// Returns std::nullopt when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

} // namespace fios::auth
