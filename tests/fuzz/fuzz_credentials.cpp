// SPDX-License-Identifier: MIT
// Fuzz target: the credentials file parser (parse_credentials, lib/fios/auth/credentials.cpp).
// The whole input is the file. Checks: a refusal is invalid_config, names the file and never
// quotes content (its length does not grow with the input); an accepted login has a non-empty
// access token and a kind of its own API generation; and what it saves is a fixed point:
// serialize -> parse succeeds and serializes to the same text (a saved login always loads
// back, unchanged).
#include "fuzz_check.hpp"

#include "fios/auth/credentials.hpp"

namespace {

using namespace fios;
using namespace fios::fuzz;

constexpr std::string_view k_source = "/fuzz/credentials.json";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = as_text(data, size);
    auto parsed = auth::parse_credentials(text, k_source);
    if (!parsed) {
        const std::string& m = parsed.error().message;
        FUZZ_CHECK(parsed.error().code == ErrorCode::invalid_config, m);
        FUZZ_CHECK(m.find(k_source) != std::string::npos, m);
        FUZZ_CHECK(m.size() < 512 && has_no_control(m), m);
        return 0;
    }
    const auth::Credentials& c = *parsed;
    FUZZ_CHECK(!c.access_token.empty(), "empty access token accepted");
    FUZZ_CHECK(c.api == auth::generation_of(c.kind), std::string(auth::to_string(c.kind)));
    FUZZ_CHECK(!c.refresh_token || !c.refresh_token->empty(), "empty refresh token kept");

    const std::string saved = auth::serialize_credentials(c);
    auto again = auth::parse_credentials(saved, k_source);
    FUZZ_CHECK(again.has_value(), again ? std::string() : again.error().message);
    FUZZ_CHECK(auth::serialize_credentials(*again) == saved, saved);
    FUZZ_CHECK(again->access_token == c.access_token && again->kind == c.kind &&
                   again->refresh_token == c.refresh_token && again->expires_at == c.expires_at &&
                   again->scopes == c.scopes,
               saved);
    return 0;
}
