// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace fios::auth {

/// PKCE (RFC 7636) with the S256 method, and the OAuth `state` value.

/// Random bytes from OpenSSL's CSPRNG (RAND_bytes). Errors (ErrorCode::internal) only when
/// the generator cannot be seeded.
Result<std::string> random_bytes(std::size_t count);

/// BASE64URL without padding (RFC 4648 section 5, RFC 7636 appendix A).
std::string base64url_encode(std::span<const unsigned char> data);
inline std::string base64url_encode(std::string_view data) {
    return base64url_encode(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

/// A code_verifier of `length` characters (43..128) drawn uniformly from the unreserved set
/// [A-Z a-z 0-9 - . _ ~]. Errors: invalid_request for a length outside 43..128.
Result<std::string> make_code_verifier(std::size_t length = 64);

/// True when `verifier` is 43..128 characters of the unreserved set.
bool is_valid_code_verifier(std::string_view verifier);

/// code_challenge = BASE64URL-no-padding(SHA-256(ASCII(verifier))).
std::string code_challenge_s256(std::string_view verifier);

/// A random `state` for the authorization request: 32 random bytes, base64url (43 chars).
Result<std::string> make_state();

/// Everything one authorization attempt needs, made at once.
struct PkceSession {
    std::string verifier;
    std::string challenge; ///< S256
    std::string state;
};
Result<PkceSession> make_pkce_session();

} // namespace fios::auth
