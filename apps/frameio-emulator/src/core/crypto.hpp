// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fioemu {

/// `n` bytes from the OS CSPRNG (OpenSSL RAND_bytes); throws std::runtime_error on failure.
std::string random_bytes(std::size_t n);

/// A random UUID v4 in lowercase canonical form.
std::string new_uuid();

/// True for a canonical UUID (8-4-4-4-12 hex digits, either case).
bool is_uuid(std::string_view s);

/// Lowercases ASCII letters (ids are compared lowercase).
std::string ascii_lower(std::string_view s);

/// A random opaque secret: `prefix` + 32 random bytes in base64url (no padding).
std::string new_secret(std::string_view prefix);

std::string base64url(std::string_view bytes);
/// Decodes base64 in either alphabet (standard or URL-safe), padding optional; nullopt on any
/// other character.
std::optional<std::string> base64_decode(std::string_view in);
/// RFC 3986 percent-encoding of everything but unreserved characters (query values).
std::string percent_encode(std::string_view s);
std::string hex(std::string_view bytes);
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Constant-time equality for secrets (signatures, verifiers).
bool secret_equal(std::string_view a, std::string_view b);

/// SplitMix64: the deterministic mixer behind seeded fault draws.
std::uint64_t splitmix64(std::uint64_t x);

/// FNV-1a, for turning a name into a seed salt.
std::uint64_t fnv1a(std::string_view s);

} // namespace fioemu
