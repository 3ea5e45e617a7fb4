// SPDX-License-Identifier: MIT
#include "commands.hpp"

namespace fios::cli {

ExitCode fail(Context& ctx, const Error& error) {
    ctx.out.error(error.message);
    return exit_code_for(error);
}

} // namespace fios::cli
