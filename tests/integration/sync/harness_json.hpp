// SPDX-License-Identifier: MIT
#pragma once

// JSON helpers shared by the harness's files (sync_fixture.cpp, sync_fixture_v4.cpp).

#include <rapidjson/document.h>

#include <string>

namespace fios::test::sync::detail {

/// `s` as a JSON string literal, quotes included.
std::string json_string(const std::string& s);
/// Parses `text`; throws naming `what` when it is not JSON.
rapidjson::Document parse(const std::string& text, const std::string& what);
/// The string member `key` of `v`, or "" when absent or not a string.
std::string get_str(const rapidjson::Value& v, const char* key);

} // namespace fios::test::sync::detail
