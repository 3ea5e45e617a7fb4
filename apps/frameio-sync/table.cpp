// SPDX-License-Identifier: MIT
#include "table.hpp"

#include <algorithm>

namespace fios::cli {
namespace {
std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c & 0xC0) != 0x80)
            ++n; // count lead bytes only
    }
    return n;
}
} // namespace

std::vector<std::string> format_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size())
            widths.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line.append(widths[i] - display_width(row[i]) + 2, ' ');
        }
        out.push_back(std::move(line));
    }
    return out;
}

} // namespace fios::cli
