// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace fios::cli {

/// Left-aligned text columns separated by two spaces; widths from the widest cell
/// (counted in UTF-8 code points). The last column is not padded.
std::vector<std::string> format_table(const std::vector<std::vector<std::string>>& rows);

} // namespace fios::cli
