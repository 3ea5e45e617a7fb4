// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <cstddef>
#include <string_view>

namespace fios {

/// What one JSON text may hold before it is parsed into a DOM. Everything the program parses
/// (API and token responses, credentials, state) goes through check_json_bounds() first, so a
/// hostile or broken server cannot make the parser recurse without end or allocate without
/// bound (issue 9): a Frame.io answer nests a dozen levels and a page holds at most a few
/// thousand values.
struct JsonBounds {
    std::size_t max_depth = 64;         ///< arrays and objects open at once
    std::size_t max_values = 2'000'000; ///< commas outside strings, plus one: values in all
};

/// One linear scan of `text` (strings skipped, escapes honoured), without allocating.
/// Fails with ErrorCode::parse naming the bound that was crossed; says nothing about whether
/// the text is valid JSON (the parser decides that).
[[nodiscard]] Status check_json_bounds(std::string_view text, const JsonBounds& bounds = {});

} // namespace fios
