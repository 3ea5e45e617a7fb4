// SPDX-License-Identifier: MIT
#include "fios/core/error.hpp"

namespace fios {

std::string_view to_string(ErrorCode code) {
    switch (code) {
    case ErrorCode::network:
        return "network";
    case ErrorCode::timeout:
        return "timeout";
    case ErrorCode::server:
        return "server";
    case ErrorCode::rate_limited:
        return "rate_limited";
    case ErrorCode::unauthorized:
        return "unauthorized";
    case ErrorCode::forbidden:
        return "forbidden";
    case ErrorCode::not_found:
        return "not_found";
    case ErrorCode::conflict:
        return "conflict";
    case ErrorCode::invalid_request:
        return "invalid_request";
    case ErrorCode::parse:
        return "parse";
    case ErrorCode::io:
        return "io";
    case ErrorCode::disk_full:
        return "disk_full";
    case ErrorCode::db:
        return "db";
    case ErrorCode::cancelled:
        return "cancelled";
    case ErrorCode::invalid_config:
        return "invalid_config";
    case ErrorCode::internal:
        return "internal";
    }
    return "internal";
}

bool Error::retryable() const {
    switch (code) {
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::server:
    case ErrorCode::rate_limited:
        return true;
    default:
        return false;
    }
}

Error Error::with_context(std::string_view context) const {
    Error e = *this;
    e.message = std::string(context) + ": " + message;
    return e;
}

ErrorCode error_code_for_http_status(int status) {
    if (status == 401)
        return ErrorCode::unauthorized;
    if (status == 403)
        return ErrorCode::forbidden;
    if (status == 404 || status == 410)
        return ErrorCode::not_found;
    if (status == 409)
        return ErrorCode::conflict;
    if (status == 429)
        return ErrorCode::rate_limited;
    if (status == 408)
        return ErrorCode::timeout;
    if (status >= 500)
        return ErrorCode::server;
    return ErrorCode::invalid_request;
}

} // namespace fios
