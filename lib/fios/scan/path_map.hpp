// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/name_issue.hpp"
#include "fios/model/rel_path.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

/// Names to local paths: the one place that decides whether a remote or local name may
/// become part of a path under a sync folder. Nothing else may build a local path from a
/// remote name (issue 4, policy rule 6).
///
/// Rules (the same both ways, so that whatever we upload maps back to the same path):
///   refused because the name would escape the folder or cannot exist: "", ".", "..",
///   a '/' or a NUL byte inside, over 255 bytes (NAME_MAX), a local path over 4095 bytes
///   (PATH_MAX including the terminating NUL), invalid UTF-8;
///   skipped because the name is legal on Linux but dangerous: control characters
///   (U+0000..U+001F, U+007F, U+0080..U+009F: they rewrite terminals and break scripts),
///   bidirectional-text controls (U+202A..U+202E, U+2066..U+2069: "evil.exe" can display as
///   "exe.live"), a leading or trailing space (looks identical to the name without it), and
///   the prefix ".fios-" (our temporary files use it; the scanner ignores such names).
/// A name is never rewritten: a rewritten name could collide with a real one, and an upload
/// of the rewritten file would not map back. Skipped items are reported with the issue.
/// Unicode normalisation (NFC vs NFD) is left alone: Linux names are bytes.
namespace fios::scan {

/// Prefix of the hidden temporary files downloads are written to before the atomic rename.
/// The local scanner ignores these names; a remote name with this prefix is refused.
inline constexpr std::string_view k_temp_prefix = ".fios-";

struct PathLimits {
    std::size_t name_max = 255;  ///< NAME_MAX
    std::size_t path_max = 4096; ///< PATH_MAX, including the terminating NUL
    std::size_t root_bytes = 0;  ///< length of the sync folder's absolute path (0: unknown)
};

/// The outcome of mapping one name: a path, or the reason there is none.
struct MappedPath {
    std::optional<model::RelPath> path;
    model::NameIssue issue = model::NameIssue::none;
    explicit operator bool() const noexcept { return path.has_value(); }
};

/// Judges one name on its own (every rule but the whole-path length).
[[nodiscard]] model::NameIssue check_name(std::string_view name,
                                          const PathLimits& limits = {}) noexcept;

/// Maps remote item `name`, listed in the remote folder whose local path is `parent`, to
/// the local path parent/name, or says why it must be skipped.
[[nodiscard]] MappedPath map_remote_name(const model::RelPath& parent, std::string_view name,
                                         const PathLimits& limits = {});

/// Judges a local directory entry's raw name (any bytes). Same rules as for remote names;
/// a name that is not valid UTF-8 is NameIssue::invalid_utf8 (skipped with a warning).
[[nodiscard]] model::NameIssue validate_local_name(std::string_view raw_name,
                                                   const PathLimits& limits = {}) noexcept;

/// parent/raw_name for a local entry, or why it must be skipped.
[[nodiscard]] MappedPath map_local_name(const model::RelPath& parent, std::string_view raw_name,
                                        const PathLimits& limits = {});

/// A name made safe to print on one line: valid printable UTF-8 stays as it is; '"' and '\'
/// are backslash-escaped; control and bidi characters become \u{XXXX}; bytes that are not
/// valid UTF-8 become \xNN. Does not add quotes.
[[nodiscard]] std::string escape_name(std::string_view raw);

} // namespace fios::scan
