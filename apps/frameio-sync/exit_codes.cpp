// SPDX-License-Identifier: MIT
#include "exit_codes.hpp"

#include "fios/store/sqlite.hpp"

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
    case ErrorCode::db:
        // A damaged, newer or unwritable state database needs the user (the message says
        // what to do), as a bad configuration does; a busy one only time.
        switch (store::db_trouble(error)) {
        case store::DbTrouble::damaged:
        case store::DbTrouble::unusable:
            return ExitCode::config;
        case store::DbTrouble::busy:
            return ExitCode::temporary;
        case store::DbTrouble::not_db:
        case store::DbTrouble::other:
            return ExitCode::failed;
        }
        return ExitCode::failed;
    default:
        return ExitCode::failed;
    }
}

} // namespace fios::cli
