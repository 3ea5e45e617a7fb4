// SPDX-License-Identifier: MIT
#pragma once

#include "fios/config/paths.hpp"
#include "fios/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fios::config {

/// The settings registry and the resolver: every setting can come from a command-line flag,
/// an environment variable, config.toml, or its default, in that order of precedence, and the
/// resolver records where each effective value came from (for `frameio-sync config`).
/// docs/configuration.md lists the settings; a test keeps it in step with the registry.

enum class SettingType { string, integer, number, boolean, string_list };
/// "a string", "an integer", ...: for messages.
std::string_view describe(SettingType type);

using Value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

/// The value as it would be written in config.toml: `"text"`, `4`, `1.5`, `true`, `["a"]`.
std::string format_value(const Value& value);

/// One setting. To add a setting, add an entry to the table in settings.cpp and a row to
/// docs/configuration.md; the flag and environment variable follow from the name.
struct SettingSpec {
    std::string_view name; ///< snake_case: the config.toml key
    SettingType type = SettingType::string;
    std::optional<Value> default_value; ///< std::nullopt: unset unless given
    std::string_view description;       ///< one line, for `config` and docs
    /// The environment variable when it is not FRAMEIO_SYNC_<NAME> (the fixed short names).
    std::string_view env_override;
    // Constraints checked wherever the value comes from:
    std::optional<std::int64_t> min;       ///< integer settings
    std::optional<std::int64_t> max;       ///< integer settings
    bool url = false;                      ///< must start with http:// or https://
    std::vector<std::string_view> choices; ///< string settings: one of these
    /// A secret (client_secret): its value is never shown. Effective::value holds the
    /// placeholder k_secret_placeholder instead, Settings::secret() returns the value, errors
    /// never quote it, and a config file that holds it must be private (load_config_file).
    bool secret = false;
    /// False for a setting that must never be given on the command line, where any user could
    /// read it in the process list: the CLI declares no flag for it and resolve_settings
    /// refuses one. It comes from its environment variable or the config file only.
    bool flag = true;
};

/// What a set secret setting shows instead of its value, wherever settings are printed.
inline constexpr std::string_view k_secret_placeholder = "(set)";

/// Every setting, in the order `config` prints them.
std::span<const SettingSpec> all_settings();
/// The setting called `name`, or nullptr.
const SettingSpec* find_setting(std::string_view name);
/// The known setting whose name is closest to `unknown` (a typo), if any is close enough.
std::optional<std::string_view> closest_setting(std::string_view unknown);

/// FRAMEIO_SYNC_JOBS, or the fixed name (FRAMEIO_API_URL).
std::string env_var_for(const SettingSpec& spec);
/// --jobs, --api-url: the flag the CLI should declare for this setting (only when spec.flag;
/// for the others the name serves messages that say it is not a flag).
std::string flag_for(const SettingSpec& spec);

/// Parses text from a flag or the environment (`where` names it in errors: "--jobs",
/// "FRAMEIO_SYNC_JOBS"). Integers are decimal; booleans true/false/1/0/yes/no/on/off;
/// lists are comma-separated. The result is validated.
Result<Value> parse_text_value(const SettingSpec& spec, std::string_view text,
                               std::string_view where);

/// Checks the spec's constraints. `where` completes "setting 'jobs' <where> must be ...":
/// "from FRAMEIO_SYNC_JOBS", "in /home/u/.config/frameio-sync/config.toml line 3".
Status validate_value(const SettingSpec& spec, const Value& value, std::string_view where);

/// A parsed config.toml: known settings with values of the right type, validated.
struct ConfigFile {
    std::filesystem::path path;
    struct Entry {
        std::string key;
        Value value;
        int line = 0;
    };
    std::vector<Entry> entries;
};

enum class Source { default_value, file, environment, flag };
/// "default", "file", "environment", "flag".
std::string_view to_string(Source source);

/// Where an effective value came from.
struct Origin {
    Source source = Source::default_value;
    /// "default", "--jobs", "FRAMEIO_SYNC_JOBS", "/home/u/.config/frameio-sync/config.toml:3".
    std::string detail;
};

/// One setting's effective value.
struct Effective {
    const SettingSpec* spec = nullptr;
    /// std::nullopt for a setting without default, not given. For a secret setting that is
    /// set: the string k_secret_placeholder, so that whatever prints settings (`config`,
    /// `config --json`, logs) cannot show the secret; Settings::secret() has the value.
    std::optional<Value> value;
    Origin origin;
};

/// The effective settings. Getters take a registered name and the right type: anything else
/// is a programming error and aborts (tests catch it, users never see it).
class Settings {
public:
    [[nodiscard]] const Effective& get(std::string_view name) const;
    [[nodiscard]] std::span<const Effective> all() const { return m_values; }

    [[nodiscard]] std::optional<std::string> optional_string(std::string_view name) const;
    [[nodiscard]] std::string string(std::string_view name) const; ///< "" when unset
    [[nodiscard]] std::int64_t integer(std::string_view name) const;
    [[nodiscard]] double number(std::string_view name) const;
    [[nodiscard]] bool boolean(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> strings(std::string_view name) const;
    /// The value of a secret setting (client_secret), std::nullopt when unset. The string
    /// getters refuse secret settings (a programming error), so a secret is read only here.
    [[nodiscard]] std::optional<std::string> secret(std::string_view name) const;

private:
    friend Result<Settings> resolve_settings(const std::map<std::string, std::string, std::less<>>&,
                                             const Environment&, const ConfigFile*);
    std::vector<Effective> m_values;                           // registry order
    std::map<std::string, std::string, std::less<>> m_secrets; // set secret settings only
};

/// Layers the sources: flag > environment > file > default. `flags` maps setting names to the
/// text given on the command line (only the flags the user passed). `file` may be null (no
/// config.toml). Errors (invalid_config) name the source: the flag, the variable, or the file
/// and line; an unknown name in `flags` is an internal error.
Result<Settings> resolve_settings(const std::map<std::string, std::string, std::less<>>& flags,
                                  const Environment& env, const ConfigFile* file);

} // namespace fios::config
