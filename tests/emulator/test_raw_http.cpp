// SPDX-License-Identifier: MIT
// Requests no HTTP library sends on its own, written byte for byte on a raw socket.
#include "emulator/emulator_fixture.hpp"
#include "emulator/raw_socket.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace fios::test::emu;

TEST_CASE("a write without Content-Length has an empty body and is answered at once",
          "[emulator][raw]") {
    Emu emu;
    const int port = emu.process().port();
    // RFC 9112 6.3: no Content-Length and no Transfer-Encoding means an empty body. Waiting
    // for the client to close (or for the I/O timeout) would be a hang.
    for (const std::string& target : {std::string("POST /_emulator/rate-limits/reset"),
                                      std::string("POST /v2/search/library")}) {
        INFO(target);
        const std::string line =
            first_response_line(port,
                                target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                    k_token + "\r\n\r\n",
                                std::chrono::seconds(5));
        REQUIRE_FALSE(line.empty());
        CHECK(line.rfind("HTTP/1.1 ", 0) == 0);
        CHECK(line.substr(9, 1) != "5");
    }
}
