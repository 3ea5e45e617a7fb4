// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fios::model {

/// Strict UTF-8 decoding of one code point at `text[pos]` (RFC 3629): rejects overlong forms,
/// surrogates (U+D800..U+DFFF), values above U+10FFFF and truncated sequences. On success
/// returns the code point and advances `pos` past it; on failure returns nullopt and leaves
/// `pos` unchanged.
inline std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& pos) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    if (pos >= text.size())
        return std::nullopt;
    const unsigned char b0 = byte(pos);
    if (b0 < 0x80) {
        ++pos;
        return static_cast<char32_t>(b0);
    }
    std::size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0U) == 0xC0U) {
        len = 2;
        cp = b0 & 0x1FU;
        min = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        len = 3;
        cp = b0 & 0x0FU;
        min = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        len = 4;
        cp = b0 & 0x07U;
        min = 0x10000;
    } else {
        return std::nullopt; // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (text.size() - pos < len)
        return std::nullopt;
    for (std::size_t i = 1; i < len; ++i) {
        const unsigned char b = byte(pos + i);
        if ((b & 0xC0U) != 0x80U)
            return std::nullopt;
        cp = (cp << 6U) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return std::nullopt;
    pos += len;
    return cp;
}

/// True when all of `text` is strict UTF-8 (see decode_utf8).
inline bool is_valid_utf8(std::string_view text) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (!decode_utf8(text, pos))
            return false;
    }
    return true;
}

} // namespace fios::model
