// SPDX-License-Identifier: MIT
#pragma once

namespace fioemu {

class HttpServer;
struct Services;

/// GET /oauth2/auth and POST /oauth2/token, like applications.frame.io (an Ory Hydra):
/// authorization code with PKCE S256, refresh tokens only with `offline`, rotation and reuse
/// detection (docs/emulator.md, "OAuth").
void register_oauth_routes(HttpServer& server, Services& s);

} // namespace fioemu
