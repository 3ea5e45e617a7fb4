// SPDX-License-Identifier: MIT
#pragma once

#include "core/options.hpp"

namespace fioemu {

/// Runs the emulator until SIGINT or SIGTERM: opens (or creates) the state, seeds it, serves
/// HTTP, prints `listening on http://HOST:PORT` once it accepts connections. The caller must
/// have blocked SIGINT and SIGTERM in every thread (they are taken with sigtimedwait).
/// Returns the process exit code.
int run_emulator(const Options& options);

} // namespace fioemu
