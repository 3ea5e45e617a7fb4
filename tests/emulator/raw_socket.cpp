// SPDX-License-Identifier: MIT
#include "emulator/raw_socket.hpp"

#include <poll.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cstdint>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

namespace fios::test::emu {

std::string raw_exchange(int port, const std::string& request, std::chrono::milliseconds deadline,
                         bool half_close, const std::string& until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to 127.0.0.1");
    }
    // A server may answer and close before the whole request is sent (a body over a limit):
    // stop sending then and read what it said.
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += static_cast<std::size_t>(n);
    }
    if (half_close)
        ::shutdown(fd, SHUT_WR);
    std::string got;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (until.empty() || got.find(until) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            break;
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return got;
}

std::string first_response_line(int port, const std::string& request,
                                std::chrono::milliseconds deadline) {
    const std::string got = raw_exchange(port, request, deadline);
    const auto eol = got.find("\r\n");
    return eol == std::string::npos ? std::string() : got.substr(0, eol);
}

} // namespace fios::test::emu
