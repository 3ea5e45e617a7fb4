// SPDX-License-Identifier: MIT
#pragma once
// The Adobe IMS stand-in (/ims/authorize/v2, /ims/token/v3): credentials from --ims-client and
// --ims-s2s, authorization codes with PKCE, rotating refresh tokens, client_credentials.
// Its codes and tokens are persisted in the Store (kinds "ims_*"), never in the V2 OAuth tables,
// so that a V4 login is unknown to /v2 and a V2 token unknown to /v4.

#include "core/clock.hpp"

#include <set>
#include <string>
#include <variant>

namespace fioemu {

class HttpServer;
class Model;
struct Options;
struct Services;

/// Who an IMS access token acts as: a user of the V4 account (the seeded user for user logins,
/// a service account user for server-to-server credentials), and the scopes granted.
struct ImsIdentity {
    std::string user_id;
    std::set<std::string> scopes;
};

/// Thread-safe: every member takes the model lock itself.
class ImsAuthority {
public:
    ImsAuthority(Model& model, const Options& options);
    /// Loads persisted codes and tokens (call once, after the model is loaded).
    void load();
    /// Resolves an access token; a string with the reason (unknown, expired, revoked) when it
    /// does not resolve.
    std::variant<ImsIdentity, std::string> authenticate(const std::string& access_token,
                                                        Micros now);

private:
    Model& m_model;
    const Options& m_options;
};

/// GET /ims/authorize/v2 and POST /ims/token/v3 (docs/emulator.md, "Adobe IMS").
void register_ims_routes(HttpServer& server, Services& s);

} // namespace fioemu
