// SPDX-License-Identifier: MIT
#include "exit_codes.hpp"

namespace fios::cli {

ExitCode exit_code_for(const Error& error) {
    switch (error.code) {
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
        return ExitCode::auth; // a missing scope needs a new login too
    case ErrorCode::invalid_config:
        return ExitCode::config;
    case ErrorCode::cancelled:
        return ExitCode::interrupted;
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::server:
    case ErrorCode::rate_limited:
        return ExitCode::temporary;
    default:
        return ExitCode::failed;
    }
}

} // namespace fios::cli
