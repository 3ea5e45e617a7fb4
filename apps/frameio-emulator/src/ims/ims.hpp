// SPDX-License-Identifier: MIT
#pragma once
// The Adobe IMS stand-in (/ims/authorize/v2, /ims/token/v3): credentials from --ims-client and
// --ims-s2s, authorization codes with PKCE, rotating refresh tokens, client_credentials.
// Its codes and tokens are persisted in the Store (kinds "ims_*"), never in the V2 OAuth tables,
// so that a V4 login is unknown to /v2 and a V2 token unknown to /v4.

#include "core/clock.hpp"

#include <map>
#include <optional>
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

/// An OAuth 2 error of the token endpoint: {"error": error, "error_description": description}.
struct ImsError {
    int status = 400;
    std::string error;
    std::string description;
};

/// What a successful grant issued (the tokens themselves exist only here and in the answer).
struct ImsGrant {
    std::string access_token;
    std::string refresh_token; ///< empty when none was issued
    std::string user_id;
    std::set<std::string> scopes;
};
using ImsResult = std::variant<ImsGrant, ImsError>;

/// An approved authorization request, as the code remembers it.
struct ImsCodeRequest {
    std::string client_id;
    std::string redirect_uri; ///< the URI the code was sent to
    std::set<std::string> scopes;
    std::string challenge;        ///< empty: no PKCE
    std::string challenge_method; ///< "plain" or "S256"
    bool refresh_allowed = false; ///< offline_access asked and the credential type allows it
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

    /// Issues a single-use code for the seeded V4 user; nullopt when there is no V4 user.
    std::optional<std::string> issue_code(const ImsCodeRequest& request, Micros now);
    /// authorization_code grant. `client_id` is already authenticated (secret) by the caller;
    /// the PKCE verifier is checked here. `scopes`: a narrowing scope list sent with the
    /// exchange, if any.
    ImsResult redeem_code(const std::string& code, const std::string& client_id,
                          const std::optional<std::string>& redirect_uri,
                          const std::optional<std::string>& verifier,
                          const std::optional<std::set<std::string>>& scopes, Micros now);
    /// refresh_token grant (rotation per Options::ims_rotation).
    ImsResult refresh(const std::string& refresh_token, const std::string& client_id,
                      const std::optional<std::set<std::string>>& scopes, Micros now);
    /// client_credentials grant for an authenticated --ims-s2s credential: acts as that
    /// credential's service account user (created on first use).
    ImsResult client_credentials(const std::string& client_id, const std::set<std::string>& scopes,
                                 Micros now);

private:
    struct Code {
        ImsCodeRequest request;
        std::string user_id;
        std::string family_id; ///< set once redeemed (a replay revokes that family)
        Micros expires_at = 0;
        bool used = false;
    };
    /// One login: every token issued from one code, or one s2s credential's tokens.
    struct Family {
        std::string client_id;
        std::string user_id;
        std::set<std::string> scopes;
        Micros refresh_expires_at = 0; ///< absolute: refreshing does not extend it
        bool revoked = false;
    };
    struct Token {
        bool refresh = false;
        std::string family_id;
        std::set<std::string> scopes;
        Micros expires_at = 0;
        bool used = false; ///< refresh tokens: exchanged already (rotation)
    };

    /// Issues tokens in `family_id` and persists them with every pending change (one commit).
    ImsGrant issue(const std::string& family_id, const Family& family,
                   const std::set<std::string>& scopes, bool with_refresh, Micros now);
    void revoke(const std::string& family_id);
    std::string make_token(const char* type, const std::string& client_id,
                           const std::set<std::string>& scopes, Micros now, Micros ttl) const;
    /// Drops codes and tokens that can no longer matter (marks them for erasure).
    void prune(Micros now);
    /// Writes every marked row in one transaction.
    void persist();
    void mark_code(const std::string& hash) { m_dirty.emplace("ims_code", hash); }
    void mark_token(const std::string& hash) { m_dirty.emplace("ims_token", hash); }
    void mark_family(const std::string& id) { m_dirty.emplace("ims_family", id); }

    Model& m_model;
    const Options& m_options;
    std::map<std::string, Code> m_codes;   ///< by SHA-256 of the code
    std::map<std::string, Token> m_tokens; ///< by SHA-256 of the token
    std::map<std::string, Family> m_families;
    std::set<std::pair<std::string, std::string>> m_dirty; ///< (kind, id) to write or erase
};

/// GET /ims/authorize/v2 and POST /ims/token/v3 (docs/emulator.md, "Adobe IMS").
void register_ims_routes(HttpServer& server, Services& s);

} // namespace fioemu
