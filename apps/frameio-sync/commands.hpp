// SPDX-License-Identifier: MIT
#pragma once

#include "context.hpp"
#include "exit_codes.hpp"

#include <CLI/CLI.hpp>

#include <functional>

namespace fios::cli {

/// What the chosen subcommand will do once parsing succeeded; returns the exit code.
using Action = std::function<ExitCode()>;

/// Each cmd_<name>.cpp adds its subcommands to `app`; a subcommand's parse callback stores
/// its work in `action` (run by main after parsing, so errors map to exit codes in one place).
void add_login_commands(CLI::App& app, Context& ctx, Action& action);   // login logout whoami
void add_project_commands(CLI::App& app, Context& ctx, Action& action); // teams projects
void add_select_commands(CLI::App& app, Context& ctx, Action& action);  // select unselect status
void add_config_command(CLI::App& app, Context& ctx, Action& action);   // config
void add_sync_command(CLI::App& app, Context& ctx, Action& action);     // sync

/// Prints `error` and returns its exit code.
ExitCode fail(Context& ctx, const Error& error);

} // namespace fios::cli
