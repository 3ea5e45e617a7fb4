// SPDX-License-Identifier: MIT
#include "fios/config/paths.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace fios::config {

std::optional<std::string> Environment::get(std::string_view name) const {
    if (m_vars) {
        auto it = m_vars->find(name);
        if (it == m_vars->end() || it->second.empty())
            return std::nullopt;
        return it->second;
    }
    const std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value == nullptr || *value == '\0')
        return std::nullopt;
    return std::string(value);
}

namespace {

Result<std::filesystem::path> xdg_dir(const Environment& env, std::string_view xdg_var,
                                      std::string_view home_relative, std::string_view what) {
    if (auto xdg = env.get(xdg_var)) {
        std::filesystem::path p(*xdg);
        if (p.is_absolute())
            return p.lexically_normal() / k_app_dir;
    }
    auto home = env.get("HOME");
    if (!home || !std::filesystem::path(*home).is_absolute()) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("cannot find the {} directory: HOME is not set (to an absolute "
                                 "path) and neither is {}; set one of them",
                                 what, xdg_var)};
    }
    return (std::filesystem::path(*home) / home_relative).lexically_normal() / k_app_dir;
}

} // namespace

Result<std::filesystem::path> config_dir(const Environment& env) {
    return xdg_dir(env, "XDG_CONFIG_HOME", ".config", "configuration");
}

Result<std::filesystem::path> state_dir(const Environment& env) {
    return xdg_dir(env, "XDG_STATE_HOME", ".local/state", "state");
}

Result<std::filesystem::path> config_file(const Environment& env) {
    auto dir = config_dir(env);
    if (!dir)
        return dir.error();
    return *dir / "config.toml";
}

Result<std::filesystem::path> state_database_path(const Environment& env) {
    auto dir = state_dir(env);
    if (!dir)
        return dir.error();
    return *dir / "state.db";
}

} // namespace fios::config
