// SPDX-License-Identifier: MIT
#pragma once

namespace fioemu {

class HttpServer;
struct Services;

/// The admin API under /_emulator/ (no auth, not counted, not rate-limited): stats, clock,
/// faults, fail-next, a state dump, simulated corruption, developer tokens at run time.
void register_admin_routes(HttpServer& server, Services& s);

} // namespace fioemu
