// SPDX-License-Identifier: MIT
#include "fios/core/json_bounds.hpp"

#include <string>

namespace fios {

Status check_json_bounds(std::string_view text, const JsonBounds& bounds) {
    std::size_t depth = 0;
    std::size_t values = 1;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i; // the escaped character cannot end the string
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > bounds.max_depth) {
                return Error{ErrorCode::parse,
                             "the JSON nests deeper than " + std::to_string(bounds.max_depth) +
                                 " levels (at byte " + std::to_string(i) +
                                 "): refused unparsed, no Frame.io answer looks like this"};
            }
            break;
        case ']':
        case '}':
            if (depth > 0)
                --depth;
            break;
        case ',':
            if (++values > bounds.max_values) {
                return Error{ErrorCode::parse,
                             "the JSON holds more than " + std::to_string(bounds.max_values) +
                                 " values: refused unparsed, no Frame.io answer is this large"};
            }
            break;
        default:
            break;
        }
    }
    return {};
}

} // namespace fios
