// SPDX-License-Identifier: MIT
#include "v2/oauth.hpp"

#include "core/api.hpp"
#include "core/crypto.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"

#include <algorithm>

namespace fioemu {

namespace {

constexpr Micros k_code_ttl = 600 * k_micros_per_second;

struct Uri {
    std::string scheme, host, port, rest; ///< rest: path and query
};

std::optional<Uri> parse_uri(const std::string& s) {
    const auto sep = s.find("://");
    if (sep == std::string::npos)
        return std::nullopt;
    Uri u;
    u.scheme = ascii_lower(s.substr(0, sep));
    if (u.scheme != "http" && u.scheme != "https")
        return std::nullopt;
    std::string authority = s.substr(sep + 3);
    const auto slash = authority.find_first_of("/?#");
    if (slash != std::string::npos) {
        u.rest = authority.substr(slash);
        authority.resize(slash);
    }
    if (u.rest.find('#') != std::string::npos)
        return std::nullopt; // no fragments (RFC 6749)
    if (authority.empty() || authority.find('@') != std::string::npos)
        return std::nullopt;
    if (authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string::npos)
            return std::nullopt;
        u.host = authority.substr(0, close + 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':')
                return std::nullopt;
            u.port = authority.substr(close + 2);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = ascii_lower(authority.substr(0, colon));
        if (colon != std::string::npos)
            u.port = authority.substr(colon + 1);
    }
    if (!std::all_of(u.port.begin(), u.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    if (u.rest.empty())
        u.rest = "/";
    return u;
}

bool is_loopback(const Uri& u) {
    return u.scheme == "http" &&
           (u.host == "localhost" || u.host == "[::1]" || u.host.rfind("127.", 0) == 0);
}

/// RFC 8252 7.3: a loopback redirect matches a registered one whatever its port.
bool redirect_matches(const std::string& registered, const std::string& given) {
    if (registered == given)
        return true;
    const auto r = parse_uri(registered);
    const auto g = parse_uri(given);
    return r && g && is_loopback(*r) && is_loopback(*g) && r->host == g->host && r->rest == g->rest;
}

std::set<std::string> split_scopes(const std::string& s) {
    std::set<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        auto sp = s.find_first_of(" +", pos);
        if (sp == std::string::npos)
            sp = s.size();
        if (sp > pos)
            out.insert(s.substr(pos, sp - pos));
        pos = sp + 1;
    }
    return out;
}

std::string join_scopes(const std::set<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes)
        out += (out.empty() ? "" : " ") + s;
    return out;
}

void oauth_error(httplib::Response& res, int status, std::string_view error,
                 std::string_view description) {
    Json j;
    j.begin_object();
    j.key("error").str(error);
    j.key("error_description").str(description);
    j.end_object();
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(j.take(), k_json_type);
}

std::string append_query(const std::string& uri, const std::string& query) {
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

bool valid_pkce_value(const std::string& v) {
    return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                      c == '_' || c == '~';
           });
}

std::string param(const httplib::Request& req, const char* name) {
    return req.has_param(name) ? req.get_param_value(name) : std::string();
}

void authorize(Services& s, const httplib::Request& req, httplib::Response& res) {
    const std::string key = "GET /oauth2/auth";
    count_request(s, key);
    apply_latency(s);
    const auto rule = s.faults.take_fail_next(key);
    if (rule && !rule->after)
        return send_api_error(res, rule->status, "injected failure");

    const std::string client_id = param(req, "client_id");
    std::string redirect = param(req, "redirect_uri");
    if (client_id.empty())
        return send_api_error(res, 400, "invalid_request: client_id is required");
    if (!s.options.oauth_clients.empty()) {
        std::vector<std::string> uris;
        for (const auto& c : s.options.oauth_clients) {
            if (c.id == client_id)
                uris.push_back(c.redirect_uri);
        }
        if (uris.empty())
            return send_api_error(res, 400, "invalid_client: unknown client_id");
        if (redirect.empty()) {
            if (uris.size() != 1) {
                return send_api_error(res, 400, "invalid_request: redirect_uri is required");
            }
        } else if (std::none_of(uris.begin(), uris.end(), [&](const std::string& u) {
                       return redirect_matches(u, redirect);
                   })) {
            return send_api_error(
                res, 400, "invalid_request: redirect_uri is not registered for this client");
        }
    } else {
        if (redirect.empty())
            return send_api_error(res, 400, "invalid_request: redirect_uri is required");
        const auto u = parse_uri(redirect);
        if (!u || !is_loopback(*u)) {
            return send_api_error(res, 400,
                                  "invalid_request: redirect_uri must be a loopback http "
                                  "URI (register others with --oauth-client)");
        }
    }
    const std::string given_redirect = param(req, "redirect_uri");
    const std::string target = redirect.empty() ? [&] {
        for (const auto& c : s.options.oauth_clients) {
            if (c.id == client_id) return c.redirect_uri;
        }
        return std::string();
    }() : redirect;
    if (!parse_uri(target))
        return send_api_error(res, 400, "invalid_request: bad redirect_uri");

    const std::string state = param(req, "state");
    const auto redirect_error = [&](std::string_view error, std::string_view description) {
        std::string q =
            "error=" + percent_encode(error) + "&error_description=" + percent_encode(description);
        if (req.has_param("state"))
            q += "&state=" + percent_encode(state);
        res.set_redirect(append_query(target, q), 302);
    };
    if (param(req, "response_type") != "code") {
        return redirect_error("unsupported_response_type", "response_type must be code");
    }
    const std::string challenge = param(req, "code_challenge");
    if (challenge.empty()) {
        return redirect_error("invalid_request", "code_challenge is required (PKCE)");
    }
    if (param(req, "code_challenge_method") != "S256") {
        return redirect_error("invalid_request", "code_challenge_method must be S256");
    }
    if (challenge.size() != 43 || !valid_pkce_value(challenge)) {
        return redirect_error("invalid_request",
                              "code_challenge must be BASE64URL(SHA256(verifier)) without padding");
    }
    const std::set<std::string> scopes = split_scopes(param(req, "scope"));
    if (scopes.empty())
        return redirect_error("invalid_scope", "scope is required");
    for (const auto& sc : scopes) {
        if (!is_known_scope(sc))
            return redirect_error("invalid_scope", "unknown scope " + sc);
    }

    const std::string code = new_secret("fioemu_ac_");
    {
        auto lock = s.model.lock();
        const User* u = s.model.first_user(Generation::v2);
        if (!u)
            return send_api_error(res, 500, "no user");
        const Micros now = s.clock.now();
        s.model.expire_oauth(now);
        OAuthCode c;
        c.hash = sha256(code);
        c.client_id = client_id;
        c.redirect_uri = given_redirect;
        c.scopes = scopes;
        c.challenge = challenge;
        c.user_id = u->id;
        c.expires_at = now + k_code_ttl;
        s.model.put_code(std::move(c));
    }
    std::string q =
        "code=" + percent_encode(code) + "&scope=" + percent_encode(join_scopes(scopes));
    if (req.has_param("state"))
        q += "&state=" + percent_encode(state);
    res.set_redirect(append_query(target, q), 302);
    if (rule && rule->after) {
        res.headers.erase("Location");
        send_api_error(res, rule->status, "injected failure (after the code was issued)");
    }
}

struct Issued {
    std::string access, refresh;
    std::set<std::string> scopes;
};

/// Issues an access token (and a refresh token when `with_refresh`) in `family`.
Issued issue(Services& s, const OAuthFamily& family, const std::set<std::string>& scopes,
             bool with_refresh, Micros now) {
    Issued out;
    out.scopes = scopes;
    out.access = new_secret("fioemu_at_");
    OAuthToken at;
    at.hash = sha256(out.access);
    at.family_id = family.id;
    at.scopes = scopes;
    at.expires_at = now + s.options.token_ttl * k_micros_per_second;
    s.model.put_token(std::move(at));
    if (with_refresh) {
        out.refresh = new_secret("fioemu_rt_");
        OAuthToken rt;
        rt.hash = sha256(out.refresh);
        rt.refresh = true;
        rt.family_id = family.id;
        rt.scopes = family.scopes;
        rt.expires_at = family.refresh_expires_at;
        s.model.put_token(std::move(rt));
    }
    return out;
}

void revoke_family(Services& s, const std::string& family_id) {
    if (OAuthFamily* f = s.model.family(family_id); f && !f->revoked) {
        f->revoked = true;
        s.model.save_family(*f);
    }
}

void token(Services& s, const httplib::Request& req, httplib::Response& res) {
    const std::string key = "POST /oauth2/token";
    count_request(s, key);
    apply_latency(s);
    const auto rule = s.faults.take_fail_next(key);
    if (rule && !rule->after)
        return oauth_error(res, rule->status, "server_error", "injected failure");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Pragma", "no-cache");

    const std::string type = req.get_header_value("Content-Type");
    if (!req.body.empty() && type.rfind("application/x-www-form-urlencoded", 0) != 0) {
        return oauth_error(res, 400, "invalid_request",
                           "the token endpoint takes an application/x-www-form-urlencoded body");
    }
    const std::string grant = param(req, "grant_type");
    const std::string client_id = param(req, "client_id");
    if (grant != "authorization_code" && grant != "refresh_token") {
        return oauth_error(res, 400, "unsupported_grant_type",
                           "grant_type must be authorization_code or refresh_token");
    }
    if (client_id.empty()) {
        return oauth_error(res, 401, "invalid_client", "client_id is required in the body");
    }
    if (!s.options.oauth_clients.empty() &&
        std::none_of(s.options.oauth_clients.begin(), s.options.oauth_clients.end(),
                     [&](const OAuthClient& c) { return c.id == client_id; })) {
        return oauth_error(res, 401, "invalid_client", "unknown client_id");
    }

    auto lock = s.model.lock();
    const Micros now = s.clock.now();
    Issued issued;
    if (grant == "authorization_code") {
        const std::string code = param(req, "code");
        const std::string verifier = param(req, "code_verifier");
        if (code.empty())
            return oauth_error(res, 400, "invalid_request", "code is required");
        OAuthCode* c = s.model.code(sha256(code));
        if (!c || c->expires_at <= now) {
            return oauth_error(res, 400, "invalid_grant",
                               "the authorization code is invalid or expired");
        }
        if (c->used) {
            // A replayed code: revoke what it issued (RFC 6749 4.1.2).
            revoke_family(s, c->family_id);
            return oauth_error(res, 400, "invalid_grant",
                               "the authorization code was already used");
        }
        if (c->client_id != client_id) {
            return oauth_error(res, 400, "invalid_grant", "the code was issued to another client");
        }
        if (!c->redirect_uri.empty() && param(req, "redirect_uri") != c->redirect_uri) {
            return oauth_error(res, 400, "invalid_grant",
                               "redirect_uri differs from the one of the authorization request");
        }
        if (verifier.empty())
            return oauth_error(res, 400, "invalid_request", "code_verifier is required");
        if (!valid_pkce_value(verifier)) {
            return oauth_error(res, 400, "invalid_request",
                               "code_verifier must be 43-128 unreserved characters");
        }
        if (!secret_equal(base64url(sha256(verifier)), c->challenge)) {
            return oauth_error(res, 400, "invalid_grant",
                               "code_verifier does not match the code_challenge");
        }
        OAuthFamily f;
        f.id = new_uuid();
        f.client_id = client_id;
        f.user_id = c->user_id;
        f.scopes = c->scopes;
        f.refresh_expires_at = now + s.options.refresh_ttl * k_micros_per_second;
        c->used = true;
        c->family_id = f.id;
        s.model.save_code(*c);
        s.model.put_family(f);
        issued = issue(s, f, f.scopes, f.scopes.count("offline") > 0, now);
    } else {
        const std::string refresh = param(req, "refresh_token");
        if (refresh.empty())
            return oauth_error(res, 400, "invalid_request", "refresh_token is required");
        OAuthToken* t = s.model.token(sha256(refresh));
        OAuthFamily* f = t && t->refresh ? s.model.family(t->family_id) : nullptr;
        if (!t || !f || f->revoked || t->expires_at <= now || f->refresh_expires_at <= now) {
            return oauth_error(res, 400, "invalid_grant",
                               "the refresh token is invalid, expired or revoked");
        }
        if (f->client_id != client_id) {
            return oauth_error(res, 400, "invalid_grant",
                               "the refresh token was issued to another client");
        }
        if (t->used) {
            // Reuse of a rotated refresh token: someone holds a stale copy; end the login.
            revoke_family(s, f->id);
            return oauth_error(
                res, 400, "invalid_grant",
                "the refresh token was already used (rotation); the login is revoked");
        }
        std::set<std::string> scopes = f->scopes;
        if (req.has_param("scope")) {
            scopes = split_scopes(param(req, "scope"));
            for (const auto& sc : scopes) {
                if (!f->scopes.count(sc)) {
                    return oauth_error(res, 400, "invalid_scope",
                                       "scope " + sc + " was not granted");
                }
            }
        }
        if (s.options.refresh_rotation) {
            t->used = true;
            s.model.save_token(*t);
        }
        issued = issue(s, *f, scopes, s.options.refresh_rotation, now);
    }
    Json j;
    j.begin_object();
    j.key("access_token").str(issued.access);
    j.key("expires_in").i64(s.options.token_ttl);
    if (!issued.refresh.empty())
        j.key("refresh_token").str(issued.refresh);
    j.key("scope").str(join_scopes(issued.scopes));
    j.key("token_type").str("bearer");
    j.end_object();
    res.status = 200;
    res.set_content(j.take(), k_json_type);
    if (rule && rule->after)
        oauth_error(res, rule->status, "server_error", "injected failure (after)");
}

} // namespace

void register_oauth_routes(HttpServer& server, Services& s) {
    s.route_keys.insert("GET /oauth2/auth");
    s.route_keys.insert("POST /oauth2/token");
    server.Get(R"(/oauth2/auth/?)", [&s](const httplib::Request& req, httplib::Response& res) {
        authorize(s, req, res);
    });
    server.Post(R"(/oauth2/token/?)",
                [&s](const httplib::Request& req, httplib::Response& res) { token(s, req, res); });
}

} // namespace fioemu
