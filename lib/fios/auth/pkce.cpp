// SPDX-License-Identifier: MIT
#include "fios/auth/pkce.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <limits>

namespace fios::auth {

namespace {

constexpr std::string_view k_unreserved =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
static_assert(k_unreserved.size() == 66);

constexpr std::size_t k_min_verifier = 43;
constexpr std::size_t k_max_verifier = 128;

} // namespace

Result<std::string> random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (count == 0)
        return out;
    if (count > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
        return Error{ErrorCode::internal,
                     "the system's random number generator (OpenSSL RAND_bytes) failed"};
    }
    return out;
}

std::string base64url_encode(std::span<const unsigned char> data) {
    static constexpr char k_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | data[i + 2];
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += k_alphabet[(v >> 6) & 63];
        out += k_alphabet[v & 63];
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const unsigned v = unsigned{data[i]} << 16;
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
    } else if (rest == 2) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += k_alphabet[(v >> 6) & 63];
    }
    return out;
}

Result<std::string> make_code_verifier(std::size_t length) {
    if (length < k_min_verifier || length > k_max_verifier) {
        return Error{ErrorCode::invalid_request,
                     "a PKCE code_verifier must be 43 to 128 characters long"};
    }
    // Rejection sampling keeps the distribution uniform: 198 = 3 * 66 is the largest multiple
    // of the alphabet size that fits in a byte.
    constexpr unsigned k_limit = 3 * k_unreserved.size();
    std::string out;
    out.reserve(length);
    while (out.size() < length) {
        auto bytes = random_bytes(length);
        if (!bytes)
            return bytes.error();
        for (char c : *bytes) {
            const auto b = static_cast<unsigned char>(c);
            if (b >= k_limit)
                continue;
            out += k_unreserved[b % k_unreserved.size()];
            if (out.size() == length)
                break;
        }
    }
    return out;
}

bool is_valid_code_verifier(std::string_view verifier) {
    if (verifier.size() < k_min_verifier || verifier.size() > k_max_verifier)
        return false;
    return verifier.find_first_not_of(k_unreserved) == std::string_view::npos;
}

std::string code_challenge_s256(std::string_view verifier) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest.data(), &size, EVP_sha256(), nullptr) !=
        1) {
        // SHA-256 over memory does not fail in practice; an empty challenge would be refused
        // by the server rather than silently accepted.
        return {};
    }
    return base64url_encode(std::span<const unsigned char>(digest.data(), size));
}

Result<std::string> make_state() {
    auto bytes = random_bytes(32);
    if (!bytes)
        return bytes.error();
    return base64url_encode(*bytes);
}

Result<PkceSession> make_pkce_session() {
    auto verifier = make_code_verifier();
    if (!verifier)
        return verifier.error();
    auto state = make_state();
    if (!state)
        return state.error();
    PkceSession s;
    s.challenge = code_challenge_s256(*verifier);
    s.verifier = std::move(*verifier);
    s.state = std::move(*state);
    return s;
}

} // namespace fios::auth
