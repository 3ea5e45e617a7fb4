// SPDX-License-Identifier: MIT
// Fuzz target: what the OAuth and Adobe IMS servers send back (lib/fios/auth/oauth.cpp,
// ims.cpp). The first input byte picks the parser ('a' + case number below):
//   a: a 2xx token body (parse_token_body): an access token is non-empty, scopes are
//      non-empty words, and `expires_in` is positive and small enough that the login's
//      expiry, now + expires_in, is a representable time (every caller adds it to now());
//   b: a refusal body (parse_error_body) with a secret in front (up to the first newline):
//      the fields are printable ASCII, at most ~200 characters, and never hold the secret;
//   c, d: a pasted redirect address (parse_redirect, ims_code_from_paste): a code is never
//      empty (a bare IMS code is printable without spaces), errors are single printable lines.
// Every refusal of a token body is ErrorCode::parse naming the endpoint, on one line.
#include "fuzz_check.hpp"

#include "fios/auth/ims.hpp"
#include "fios/auth/oauth.hpp"

#include <chrono>
#include <string>

namespace {

using namespace fios;
using namespace fios::fuzz;

const std::string k_url = "https://ims.example/ims/token/v3";

void check_token_body(std::string_view body) {
    auto r = auth::parse_token_body(body, k_url);
    if (!r) {
        FUZZ_CHECK(r.error().code == ErrorCode::parse, r.error().message);
        FUZZ_CHECK(r.error().message.starts_with("token endpoint " + k_url), r.error().message);
        FUZZ_CHECK(has_no_control(r.error().message), r.error().message);
        return;
    }
    FUZZ_CHECK(!r->access_token.empty(), "empty access token accepted");
    FUZZ_CHECK(r->access_token.size() <= body.size(), "access token longer than the body");
    for (const auto& scope : r->scopes) {
        FUZZ_CHECK(!scope.empty() && scope.find(' ') == std::string::npos, scope);
    }
    if (r->expires_in) {
        using namespace std::chrono;
        const auto seconds_left =
            duration_cast<seconds>(system_clock::time_point::max() - system_clock::now());
        FUZZ_CHECK(r->expires_in->count() > 0, std::to_string(r->expires_in->count()));
        FUZZ_CHECK(*r->expires_in <= seconds_left, "expires_in " +
                                                       std::to_string(r->expires_in->count()) +
                                                       " s: now + expires_in overflows the clock");
    }
}

bool is_alnum_secret(std::string_view s) {
    if (s.size() < 4)
        return false;
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

void check_error_body(std::string_view input) {
    const auto newline = input.find('\n');
    const std::string_view secret = input.substr(0, newline);
    const std::string_view body =
        newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
    const auto fields = auth::parse_error_body(body, {secret});
    for (const std::string& text : {fields.error, fields.description}) {
        FUZZ_CHECK(text.size() <= 203, std::to_string(text.size()) + " bytes");
        for (char c : text) {
            const auto u = static_cast<unsigned char>(c);
            FUZZ_CHECK(u >= 0x20 && u < 0x7f, text);
        }
        // Tokens are letters and digits: a redacted one cannot reappear.
        if (is_alnum_secret(secret))
            FUZZ_CHECK(text.find(secret) == std::string::npos, text);
    }
}

void check_redirect(std::string_view pasted) {
    auto r = auth::parse_redirect(pasted);
    if (!r) {
        FUZZ_CHECK(r.error().code == ErrorCode::invalid_request ||
                       r.error().code == ErrorCode::unauthorized,
                   r.error().message);
        FUZZ_CHECK(has_no_control(r.error().message), r.error().message);
        return;
    }
    FUZZ_CHECK(!r->code.empty() && !r->state.empty(), "empty code or state accepted");
    for (const auto& scope : r->scopes)
        FUZZ_CHECK(!scope.empty() && scope.find(' ') == std::string::npos, scope);
}

void check_ims_paste(std::string_view pasted) {
    auto r = auth::ims_code_from_paste(pasted, "STATE", "ID");
    if (!r) {
        FUZZ_CHECK(has_no_control(r.error().message), r.error().message);
        return;
    }
    FUZZ_CHECK(!r->empty(), "empty code accepted");
    if (pasted.find_first_of("?=&/") == std::string_view::npos) {
        for (char c : *r) {
            const auto u = static_cast<unsigned char>(c);
            FUZZ_CHECK(u > 0x20 && u < 0x7f, *r);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string_view rest = as_text(data + 1, size - 1);
    switch (pick(data[0], 4)) {
    case 0:
        check_token_body(rest);
        break;
    case 1:
        check_error_body(rest);
        break;
    case 2:
        check_redirect(rest);
        break;
    default:
        check_ims_paste(rest);
        break;
    }
    return 0;
}
