// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace fios::model {

/// Why a file or folder name cannot become (part of) a local path. Produced by
/// scan/path_map (the one place that judges names), carried by snapshots, shown in warnings,
/// counted in the run summary and in `status`. Reaches `--json` output via to_string():
/// never rename a value.
enum class NameIssue {
    none,              ///< the name is fine
    empty,             ///< "" (would name the parent folder itself)
    dot,               ///< "." (would name the parent folder itself)
    dot_dot,           ///< ".." (would escape the folder)
    contains_slash,    ///< '/' inside a name (would create or escape into other folders)
    contains_nul,      ///< a NUL byte (would truncate the name in every system call)
    name_too_long,     ///< over NAME_MAX (255) bytes: the file system refuses it
    path_too_long,     ///< the whole local path would exceed PATH_MAX (4096) bytes
    invalid_utf8,      ///< not valid UTF-8 (remote: impossible in JSON; local: unrepresentable)
    control_character, ///< U+0000..U+001F, U+007F or U+0080..U+009F: terminal/script injection
    bidi_control,      ///< U+202A..U+202E or U+2066..U+2069: makes a name display as another
    edge_space,        ///< begins or ends with a space: looks identical to another name
    reserved_prefix,   ///< starts with ".fios-", the prefix of our own temporary files
    /// Not the name but the place: a folder listed again inside itself or one of its own
    /// folders (a cycle in a broken remote tree). Its contents are synced once, at the first
    /// place the walk met it; this place is refused (no phantom nested copies).
    folder_cycle,
};

/// A stable identifier ("dot_dot", "control_character", ...).
constexpr std::string_view to_string(NameIssue issue) noexcept {
    switch (issue) {
    case NameIssue::none:
        return "none";
    case NameIssue::empty:
        return "empty";
    case NameIssue::dot:
        return "dot";
    case NameIssue::dot_dot:
        return "dot_dot";
    case NameIssue::contains_slash:
        return "contains_slash";
    case NameIssue::contains_nul:
        return "contains_nul";
    case NameIssue::name_too_long:
        return "name_too_long";
    case NameIssue::path_too_long:
        return "path_too_long";
    case NameIssue::invalid_utf8:
        return "invalid_utf8";
    case NameIssue::control_character:
        return "control_character";
    case NameIssue::bidi_control:
        return "bidi_control";
    case NameIssue::edge_space:
        return "edge_space";
    case NameIssue::reserved_prefix:
        return "reserved_prefix";
    case NameIssue::folder_cycle:
        return "folder_cycle";
    }
    return "none";
}

/// A sentence for humans: "the name is \"..\"".
constexpr std::string_view describe(NameIssue issue) noexcept {
    switch (issue) {
    case NameIssue::none:
        return "the name is usable";
    case NameIssue::empty:
        return "the name is empty";
    case NameIssue::dot:
        return "the name is \".\"";
    case NameIssue::dot_dot:
        return "the name is \"..\"";
    case NameIssue::contains_slash:
        return "the name contains '/'";
    case NameIssue::contains_nul:
        return "the name contains a NUL byte";
    case NameIssue::name_too_long:
        return "the name is longer than 255 bytes";
    case NameIssue::path_too_long:
        return "the local path would be longer than 4095 bytes";
    case NameIssue::invalid_utf8:
        return "the name is not valid UTF-8";
    case NameIssue::control_character:
        return "the name contains a control character";
    case NameIssue::bidi_control:
        return "the name contains a bidirectional-text control character";
    case NameIssue::edge_space:
        return "the name begins or ends with a space";
    case NameIssue::reserved_prefix:
        return "the name starts with \".fios-\", reserved for frameio-sync's temporary files";
    case NameIssue::folder_cycle:
        return "the folder is listed again inside itself or another of its places (a cycle on "
               "Frame.io); it is synced once, where it was met first";
    }
    return "the name is usable";
}

/// True for the issues that would let a path escape the folder or address something other
/// than a child entry (as opposed to names that are legal on Linux but unwise).
constexpr bool is_structural(NameIssue issue) noexcept {
    switch (issue) {
    case NameIssue::empty:
    case NameIssue::dot:
    case NameIssue::dot_dot:
    case NameIssue::contains_slash:
    case NameIssue::contains_nul:
        return true;
    default:
        return false;
    }
}

} // namespace fios::model
