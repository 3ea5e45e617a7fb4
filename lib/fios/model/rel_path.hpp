// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/utf8.hpp"

#include <algorithm>
#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::model {

/// A path relative to a sync folder's root: '/'-separated segments, no leading or trailing
/// '/', no empty, "." or ".." segment, no NUL byte, valid UTF-8. The empty path is the root
/// itself. Joining a RelPath onto the root can therefore never leave the folder.
///
/// A RelPath only comes out of parse() / join(), which validate; that makes it safe to pass
/// around as "already checked". It deliberately knows nothing about which names are *wise*
/// (control characters, leading spaces, our temporary prefix): that policy lives in
/// scan/path_map, the one place that turns names into paths.
///
/// Ordering is segment by segment (as if '/' sorted below every other byte), so a parent
/// always sorts directly before its subtree: "a" < "a/b" < "a/c" < "a b".
class RelPath {
public:
    /// The root of the sync folder.
    RelPath() = default;
    [[nodiscard]] static RelPath root() { return RelPath{}; }

    /// Validates `text` as a whole path. "" is the root. Nothing is normalised: "a//b", "/a",
    /// "a/", "./a" and "a/../b" are refused, not rewritten.
    [[nodiscard]] static std::optional<RelPath> parse(std::string_view text) {
        if (text.empty())
            return RelPath{};
        std::size_t start = 0;
        while (true) {
            const std::size_t slash = text.find('/', start);
            const std::string_view seg = text.substr(
                start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
            if (!is_valid_segment(seg))
                return std::nullopt;
            if (slash == std::string_view::npos)
                break;
            start = slash + 1;
        }
        return RelPath{std::string(text)};
    }

    /// True when `name` may be one segment of a RelPath (structural rules only).
    [[nodiscard]] static bool is_valid_segment(std::string_view name) noexcept {
        if (name.empty() || name == "." || name == "..")
            return false;
        if (name.find('/') != std::string_view::npos)
            return false;
        if (name.find('\0') != std::string_view::npos)
            return false;
        return is_valid_utf8(name);
    }

    /// This path with one more segment, or nullopt when `name` is not a valid segment.
    [[nodiscard]] std::optional<RelPath> join(std::string_view name) const {
        if (!is_valid_segment(name))
            return std::nullopt;
        if (m_text.empty())
            return RelPath{std::string(name)};
        std::string s;
        s.reserve(m_text.size() + 1 + name.size());
        s.append(m_text).append(1, '/').append(name);
        return RelPath{std::move(s)};
    }

    [[nodiscard]] bool is_root() const noexcept { return m_text.empty(); }
    [[nodiscard]] const std::string& str() const noexcept { return m_text; }

    /// The last segment; "" for the root.
    [[nodiscard]] std::string_view name() const noexcept {
        const auto slash = m_text.rfind('/');
        return slash == std::string::npos ? std::string_view(m_text)
                                          : std::string_view(m_text).substr(slash + 1);
    }

    /// The containing folder; the root's parent is the root.
    [[nodiscard]] RelPath parent() const {
        const auto slash = m_text.rfind('/');
        return slash == std::string::npos ? RelPath{} : RelPath{m_text.substr(0, slash)};
    }

    /// Number of segments (0 for the root).
    [[nodiscard]] std::size_t depth() const noexcept {
        if (m_text.empty())
            return 0;
        std::size_t n = 1;
        for (char c : m_text) {
            if (c == '/')
                ++n;
        }
        return n;
    }

    [[nodiscard]] std::vector<std::string_view> segments() const {
        std::vector<std::string_view> out;
        std::string_view rest = m_text;
        while (!rest.empty()) {
            const auto slash = rest.find('/');
            out.push_back(rest.substr(0, slash));
            if (slash == std::string_view::npos)
                break;
            rest.remove_prefix(slash + 1);
        }
        return out;
    }

    /// True when `other` lies strictly inside this path ("a" is an ancestor of "a/b"; the
    /// root is an ancestor of every non-root path; nothing is its own ancestor).
    [[nodiscard]] bool is_ancestor_of(const RelPath& other) const noexcept {
        if (m_text.empty())
            return !other.m_text.empty();
        return other.m_text.size() > m_text.size() &&
               other.m_text.compare(0, m_text.size(), m_text) == 0 &&
               other.m_text[m_text.size()] == '/';
    }

    friend bool operator==(const RelPath&, const RelPath&) = default;
    friend std::strong_ordering operator<=>(const RelPath& a, const RelPath& b) noexcept {
        const std::size_t n = std::min(a.m_text.size(), b.m_text.size());
        for (std::size_t i = 0; i < n; ++i) {
            const unsigned char ca = rank(a.m_text[i]);
            const unsigned char cb = rank(b.m_text[i]);
            if (ca != cb)
                return ca <=> cb;
        }
        return a.m_text.size() <=> b.m_text.size();
    }

private:
    explicit RelPath(std::string text) : m_text(std::move(text)) {}
    // '/' ranks below every byte a segment may hold (segments never contain NUL).
    static unsigned char rank(char c) noexcept {
        return c == '/' ? static_cast<unsigned char>(0) : static_cast<unsigned char>(c);
    }

    std::string m_text;
};

} // namespace fios::model
