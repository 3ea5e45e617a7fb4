// SPDX-License-Identifier: MIT
// Requests no HTTP library sends on its own, written byte for byte on a raw socket.
#include <chrono>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "emulator_fixture.hpp"

using namespace fios::test::emu;

namespace {

/// Sends `request` to 127.0.0.1:port and returns the first response line, or "" when none
/// arrives within `deadline`.
std::string first_response_line(int port, const std::string& request,
                                 std::chrono::milliseconds deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    std::string got;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (got.find("\r\n") == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            break;
        char buf[512];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    auto eol = got.find("\r\n");
    return eol == std::string::npos ? std::string() : got.substr(0, eol);
}

} // namespace

TEST_CASE("a write without Content-Length has an empty body and is answered at once",
          "[emulator][raw]") {
    Emu emu;
    const int port = emu.process().port();
    // RFC 9112 6.3: no Content-Length and no Transfer-Encoding means an empty body. Waiting
    // for the client to close (or for the I/O timeout) would be a hang.
    for (const std::string& target : {std::string("POST /_emulator/rate-limits/reset"),
                                      std::string("POST /v2/search/library")}) {
        INFO(target);
        const std::string line = first_response_line(
            port,
            target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + k_token +
                "\r\n\r\n",
            std::chrono::seconds(5));
        REQUIRE_FALSE(line.empty());
        CHECK(line.rfind("HTTP/1.1 ", 0) == 0);
        CHECK(line.substr(9, 1) != "5");
    }
}
