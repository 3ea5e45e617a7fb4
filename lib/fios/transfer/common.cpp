// SPDX-License-Identifier: MIT
#include "fios/transfer/common.hpp"

namespace fios::transfer {

ErrorScope scope_of(const Error& error) noexcept {
    switch (error.code) {
    case ErrorCode::disk_full:
    case ErrorCode::unauthorized:
    case ErrorCode::cancelled:
    case ErrorCode::db:
        return ErrorScope::run;
    default:
        return error.retryable() ? ErrorScope::item_retryable : ErrorScope::item_permanent;
    }
}

std::string_view to_string(ErrorScope scope) noexcept {
    switch (scope) {
    case ErrorScope::item_retryable:
        return "item_retryable";
    case ErrorScope::item_permanent:
        return "item_permanent";
    case ErrorScope::run:
        return "run";
    }
    return "item_permanent";
}

} // namespace fios::transfer
