// SPDX-License-Identifier: MIT
#pragma once

// Requests no HTTP library sends on its own, written byte for byte on a raw loopback socket.

#include <chrono>
#include <string>

namespace fios::test::emu {

/// Sends `request` to 127.0.0.1:`port`; with `half_close`, then shuts the sending side down
/// (the peer sees end of input). Returns everything that arrives until the peer closes, the
/// response holds `until` (when not empty), or `deadline` passes.
std::string raw_exchange(int port, const std::string& request, std::chrono::milliseconds deadline,
                         bool half_close = false, const std::string& until = "\r\n");

/// The first line of raw_exchange's answer, or "" when none arrived in time.
std::string first_response_line(int port, const std::string& request,
                                std::chrono::milliseconds deadline);

} // namespace fios::test::emu
