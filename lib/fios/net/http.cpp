// SPDX-License-Identifier: MIT
#include "fios/net/http.hpp"

#include <algorithm>
#include <cctype>

namespace fios::net {

std::string_view to_string(Method m) {
    switch (m) {
    case Method::get:
        return "GET";
    case Method::post:
        return "POST";
    case Method::put:
        return "PUT";
    case Method::del:
        return "DELETE";
    }
    return "GET";
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    auto lower_equal = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() &&
               std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) ==
                          std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (const auto& [k, v] : headers) {
        if (lower_equal(k, name))
            return std::string_view(v);
    }
    return std::nullopt;
}

} // namespace fios::net
