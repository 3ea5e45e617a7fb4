// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fios::config {

/// The environment variables the configuration reads, so tests can supply their own.
/// An empty value counts as unset (`FRAMEIO_API_URL= frameio-sync ...` means "the default").
class Environment {
public:
    /// The process environment, read at each get() (getenv).
    static Environment process() { return Environment(); }
    /// A fixed set of variables (tests).
    static Environment from(std::map<std::string, std::string, std::less<>> vars) {
        Environment e;
        e.m_vars = std::move(vars);
        return e;
    }

    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;

private:
    Environment() = default;
    std::optional<std::map<std::string, std::string, std::less<>>> m_vars;
};

/// The folder name under the XDG base directories.
inline constexpr std::string_view k_app_dir = "frameio-sync";

/// $XDG_CONFIG_HOME/frameio-sync, or ~/.config/frameio-sync: config.toml and credentials.json.
/// As the XDG spec says, a relative XDG_CONFIG_HOME is ignored. Errors (invalid_config) when
/// neither an absolute XDG_CONFIG_HOME nor HOME is set. Nothing is created here.
Result<std::filesystem::path> config_dir(const Environment& env = Environment::process());

/// $XDG_STATE_HOME/frameio-sync, or ~/.local/state/frameio-sync: the state database and logs.
/// Same rules as config_dir.
Result<std::filesystem::path> state_dir(const Environment& env = Environment::process());

/// config_dir()/config.toml
Result<std::filesystem::path> config_file(const Environment& env = Environment::process());

/// state_dir()/state.db
Result<std::filesystem::path> state_database_path(const Environment& env = Environment::process());

} // namespace fios::config
