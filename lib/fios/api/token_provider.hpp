// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <string>

namespace fios::api {

/// Supplies the bearer token for API requests. The client calls access_token() before each
/// request and, when the API answers 401 to a token, refresh_after_unauthorized() once with the
/// rejected token, then retries once with the new one. Implementations are thread-safe and
/// must not refresh twice when several threads report the same rejected token.
/// Errors: ErrorCode::unauthorized when no usable credentials exist or a refresh failed
/// (the message says to run `frameio-sync login`); retryable codes when the token endpoint
/// could not be reached.
class TokenProvider {
public:
    virtual ~TokenProvider() = default;
    virtual Result<std::string> access_token() = 0;
    virtual Result<std::string> refresh_after_unauthorized(const std::string& rejected_token) = 0;
};

/// A fixed token (developer tokens, FRAMEIO_TOKEN): never refreshes.
class StaticTokenProvider final : public TokenProvider {
public:
    /// `source` names where the token came from in the rejection message, and `fix` says
    /// what to do about it (defaults: the saved login, run `frameio-sync login` again).
    explicit StaticTokenProvider(std::string token, std::string source = "the saved token",
                                 std::string fix = "run `frameio-sync login` again")
        : m_token(std::move(token)), m_source(std::move(source)), m_fix(std::move(fix)) {}
    Result<std::string> access_token() override { return m_token; }
    Result<std::string> refresh_after_unauthorized(const std::string&) override {
        return Error{ErrorCode::unauthorized, "the API rejected " + m_source +
                                                  " (HTTP 401): it is invalid, expired or "
                                                  "revoked; " +
                                                  m_fix};
    }

private:
    std::string m_token;
    std::string m_source;
    std::string m_fix;
};

} // namespace fios::api
