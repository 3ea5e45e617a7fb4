// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <string>
#include <vector>

namespace fios::test {

/// A minimal HTTP client for tests that must talk to the emulator directly (admin routes,
/// setting up data through the API, following an OAuth redirect) without going through the
/// library under test. libcurl underneath; throws std::runtime_error on transport failure.
struct HttpReply {
    long status = 0;
    std::map<std::string, std::string> headers; ///< lower-case names
    std::string body;
    std::string effective_url; ///< after redirects
};

HttpReply http_request(const std::string& method, const std::string& url,
                       const std::string& body = {}, const std::vector<std::string>& headers = {},
                       bool follow_redirects = false);

/// `{"advance_seconds": N}` to POST /_emulator/clock.
void advance_emulator_clock(const std::string& base_url, long seconds);

/// The emulator's request counter for "METHOD /route/pattern" (GET /_emulator/stats).
long emulator_request_count(const std::string& base_url, const std::string& route);

} // namespace fios::test
