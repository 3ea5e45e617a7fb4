// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/error.hpp"

namespace fios::cli {

/// Process exit codes: a contract for cron jobs, scripts and systemd units
/// (documented in docs/cli.md; never renumber). Values follow sysexits(3) where one fits.
enum class ExitCode : int {
    ok = 0,           ///< nothing needs attention
    failed = 1,       ///< some items failed or are in conflict, or a command failed
    usage = 2,        ///< bad command line (CLI11's errors included)
    temporary = 75,   ///< EX_TEMPFAIL: API unreachable for the whole retry budget, lock held
    auth = 77,        ///< EX_NOPERM: not logged in, token rejected, refresh failed: run `login`
    config = 78,      ///< EX_CONFIG: bad configuration file, setting or environment
    interrupted = 130 ///< SIGINT/SIGTERM
};

/// The exit code a command that failed with `error` should end with.
ExitCode exit_code_for(const Error& error);

inline int to_int(ExitCode c) {
    return static_cast<int>(c);
}

} // namespace fios::cli
