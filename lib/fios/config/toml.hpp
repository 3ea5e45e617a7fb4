// SPDX-License-Identifier: MIT
#pragma once

#include "fios/config/settings.hpp"
#include "fios/core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::config {

/// config.toml: a strict subset of TOML 1.0, enough for flat settings.
///
/// Supported: `# comments`, blank lines, one `key = value` per line, bare or quoted keys,
/// basic strings ("..." with TOML escapes) and literal strings ('...'), decimal integers (with
/// `_` separators), floats, `true`/`false`, and arrays of strings (which may span lines).
/// Refused with a message that says what to write instead: [sections] and [[arrays]] (every
/// setting is top-level, as flags and environment variables are), dotted keys, inline tables,
/// multi-line strings, dates, hex/octal/binary integers, inf/nan, duplicate keys.
///
/// Then each key is checked against the settings registry: an unknown key is an error that
/// suggests the closest known one; a value of the wrong type names the expected type; values
/// are validated (jobs >= 1, URLs start with http:// or https://). Every error is
/// ErrorCode::invalid_config and names the file and line.
Result<ConfigFile> parse_config(std::string_view text, const std::filesystem::path& path);

/// One `key = value` line as written, before it is matched to a setting.
struct TomlEntry {
    std::string key;
    Value value;
    SettingType type = SettingType::string; ///< the TOML type of `value`
    int line = 0;
};

/// The syntax half of parse_config: the entries in file order, duplicates included.
Result<std::vector<TomlEntry>> parse_toml(std::string_view text, const std::filesystem::path& path);

/// Reads and parses `path`; std::nullopt when the file does not exist.
Result<std::optional<ConfigFile>> load_config_file(const std::filesystem::path& path);

} // namespace fios::config
