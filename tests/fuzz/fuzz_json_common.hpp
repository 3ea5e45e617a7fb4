// SPDX-License-Identifier: MIT
#pragma once

// What the V2 and V4 response-parser targets check alike (fuzz_v2_json, fuzz_v4_json).

#include "fuzz_check.hpp"

#include "fios/api/model.hpp"
#include "fios/core/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace fios::fuzz {

/// A refusal is ErrorCode::parse and names the endpoint first (the parsers' contract).
inline void check_refusal(const Error& error, std::string_view endpoint) {
    FUZZ_CHECK(error.code == ErrorCode::parse, error.message);
    FUZZ_CHECK(error.message.starts_with(std::string(endpoint) + ":"), error.message);
}

/// A parsed string comes out of the body: never longer than it.
inline void check_bounded(const std::string& value, std::string_view body) {
    FUZZ_CHECK(value.size() <= body.size(), value.substr(0, 64));
}
inline void check_bounded(const std::optional<std::string>& value, std::string_view body) {
    if (value)
        check_bounded(*value, body);
}

/// A list of n objects needs at least 2n bytes ("{}" each).
inline void check_count(std::size_t items, std::string_view body) {
    FUZZ_CHECK(items <= body.size() / 2, std::to_string(items) + " items");
}

/// A parsed timestamp survives format_timestamp -> parse_timestamp (to the microsecond, the
/// precision the API writes), so a time read from the server can be sent back in a filter.
inline void check_time(api::TimePoint t) {
    const std::string text = api::format_timestamp(t);
    auto back = api::parse_timestamp(text);
    FUZZ_CHECK(back.has_value(), text);
    const auto us = [](api::TimePoint p) {
        return std::chrono::floor<std::chrono::microseconds>(p.time_since_epoch());
    };
    FUZZ_CHECK(us(*back) == us(t), text);
}
inline void check_time(const std::optional<api::TimePoint>& t) {
    if (t)
        check_time(*t);
}

/// An error_detail() for the user: short, one line.
inline void check_detail(const std::string& detail) {
    FUZZ_CHECK(detail.size() <= 303, std::to_string(detail.size()) + " bytes");
    for (char c : detail)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20, detail);
}

} // namespace fios::fuzz
