// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace fios {

/// What went wrong, as far as a caller needs to decide what to do next.
/// Reaches `--json` output as a string (to_string): never rename a value.
enum class ErrorCode {
    network,         ///< connection refused/reset, DNS, TLS: retryable
    timeout,         ///< connect, first-byte or minimum-rate deadline: retryable
    server,          ///< HTTP 5xx: retryable for idempotent requests
    rate_limited,    ///< HTTP 429: retryable after a wait (retry_after when known)
    unauthorized,    ///< HTTP 401 or no usable credentials: run `frameio-sync login`
    forbidden,       ///< HTTP 403: token lacks a scope, or the user lacks access
    not_found,       ///< HTTP 404
    conflict,        ///< HTTP 409 / local state disagrees
    invalid_request, ///< HTTP 400/422 or other 4xx: our request was wrong
    parse,           ///< a response body was not what the API promises
    io,              ///< local filesystem error
    disk_full,       ///< ENOSPC / EDQUOT, or a download would not fit
    db,              ///< state database error
    cancelled,       ///< SIGINT/SIGTERM or an explicit cancel
    invalid_config,  ///< bad configuration or user input
    internal,        ///< a bug: an invariant did not hold
};

std::string_view to_string(ErrorCode code);

/// An expected failure, as a value. `message` says what failed and, where the user can act,
/// how to fix it; it never contains a secret (tokens, signed URLs' signatures).
struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    int http_status = 0;                                  ///< 0 when not an HTTP error
    std::optional<std::chrono::milliseconds> retry_after; ///< server-given wait, when known
    /// The request never left this machine (no connection could be made: refused, no route,
    /// the name did not resolve): the server cannot have acted on it, so even a create may be
    /// sent again.
    bool request_not_sent = false;

    Error() = default;
    Error(ErrorCode c, std::string msg, int status = 0)
        : code(c), message(std::move(msg)), http_status(status) {}

    /// True when trying again later can help: network, timeout, 5xx, 429.
    [[nodiscard]] bool retryable() const;

    /// Prefixes context at a module boundary: "listing /Dailies: " + message.
    [[nodiscard]] Error with_context(std::string_view context) const;
};

/// Maps an HTTP status (>= 400) to the ErrorCode callers switch on.
ErrorCode error_code_for_http_status(int status);

} // namespace fios
