// SPDX-License-Identifier: MIT
// GET /ims/authorize/v2 and POST /ims/token/v3: request parsing, credential checks (secrets,
// redirect patterns), faults and rendering. The state lives in ImsAuthority (ims.cpp).
#include "core/api.hpp"
#include "core/crypto.hpp"
#include "core/errors.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/json.hpp"
#include "core/options.hpp"
#include "ims/ims.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace fioemu {

namespace {

const std::string k_authorize_key = "GET /ims/authorize/v2";
const std::string k_token_key = "POST /ims/token/v3";
constexpr std::size_t k_max_state = 4096;

/// Every scope the emulator knows; anything else is invalid_scope.
const std::set<std::string>& scope_vocabulary() {
    static const std::set<std::string> k_scopes = {
        "openid",       "AdobeID", "email", "profile", "offline_access", "additional_info.roles",
        "frame.s2s.all"};
    return k_scopes;
}
const std::set<std::string>& s2s_scopes() {
    static const std::set<std::string> k_scopes = {"openid", "AdobeID", "frame.s2s.all"};
    return k_scopes;
}

/// RFC 6749 5.2: error_description holds %x20-21 / %x23-5B / %x5D-7E only; a scope name
/// echoed from the request may not, so anything else becomes '?'.
std::string oauth_text(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
            c = '?';
    }
    return out;
}

std::string param(const httplib::Request& req, const char* name) {
    return req.has_param(name) ? req.get_param_value(name) : std::string();
}
std::optional<std::string> optional_param(const httplib::Request& req, const char* name) {
    if (!req.has_param(name))
        return std::nullopt;
    return req.get_param_value(name);
}

/// Splits a scope list on spaces and commas. nullopt (with the culprit) on an unknown scope.
std::optional<std::set<std::string>> parse_scopes(const std::string& text, std::string& unknown) {
    std::set<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto sep = text.find_first_of(" ,", pos);
        if (sep == std::string::npos)
            sep = text.size();
        if (sep > pos) {
            std::string scope = text.substr(pos, sep - pos);
            if (!scope_vocabulary().count(scope)) {
                unknown = std::move(scope);
                return std::nullopt;
            }
            out.insert(std::move(scope));
        }
        pos = sep + 1;
    }
    return out;
}

/// `*` matches any run of characters (none included); everything else literally.
bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

/// The host of an http(s) URI, lowercased, without the port ("" when malformed).
std::string uri_host(const std::string& uri) {
    const auto sep = uri.find("://");
    if (sep == std::string::npos)
        return {};
    std::string authority = uri.substr(sep + 3);
    authority.resize(std::min(authority.size(), authority.find_first_of("/?#")));
    if (authority.find('@') != std::string::npos)
        return {};
    if (!authority.empty() && authority[0] == '[')
        return ascii_lower(authority.substr(0, authority.find(']') + 1));
    return ascii_lower(authority.substr(0, authority.rfind(':')));
}

bool has_scheme(const std::string& uri, std::string_view scheme) {
    return ascii_lower(uri.substr(0, scheme.size())) == scheme;
}

bool is_loopback_http(const std::string& uri) {
    if (!has_scheme(uri, "http://"))
        return false;
    const std::string host = uri_host(uri);
    return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

/// Why `uri` may not receive a code for this credential, or "" when it may.
std::string redirect_problem(const std::string& uri, const ImsClient* client) {
    if (uri.find('#') != std::string::npos)
        return "redirect_uri must not contain a fragment";
    if (!client) {
        // Open mode: anything but plain http to a remote host (a loopback listener is allowed
        // here only; Adobe itself requires https even for localhost).
        if (has_scheme(uri, "http://") && !is_loopback_http(uri))
            return "redirect_uri must be https (or a loopback http URI in open mode)";
        if (uri.find("://") == std::string::npos || uri_host(uri).empty())
            return "redirect_uri is not an absolute URI";
        return {};
    }
    if (client->type == ImsClient::Type::native) {
        if (!has_scheme(uri, "adobe+"))
            return "a native credential redirects to its adobe+<hash>:// scheme only";
    } else if (!has_scheme(uri, "https://") || uri_host(uri).empty()) {
        return "web and spa redirect URIs must be https (localhost included)";
    }
    if (!client->redirect.empty() && !glob_match(client->redirect, uri))
        return "redirect_uri does not match the redirect URI pattern of this credential";
    return {};
}

void send_error_page(httplib::Response& res, int status, std::string_view message) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content("<!DOCTYPE html>\n<html><head><title>Adobe ID - error</title></head><body>"
                    "<h1>Something went wrong</h1><p>" +
                        markup_escape(message) + "</p></body></html>\n",
                    "text/html; charset=utf-8");
}

std::string append_query(const std::string& uri, const std::string& query) {
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

bool valid_challenge(const std::string& challenge, const std::string& method) {
    const bool charset = std::all_of(challenge.begin(), challenge.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
               c == '~';
    });
    if (method == "S256")
        return charset && challenge.size() == 43;
    return charset && challenge.size() >= 43 && challenge.size() <= 128;
}

const ImsClient* find_client(const Options& o, const std::string& id) {
    const auto it = std::find_if(o.ims_clients.begin(), o.ims_clients.end(),
                                 [&](const ImsClient& c) { return c.id == id; });
    return it == o.ims_clients.end() ? nullptr : &*it;
}

void authorize(Services& s, const httplib::Request& req, httplib::Response& res) {
    count_request(s, k_authorize_key);
    apply_latency(s);
    const auto rule = s.faults.take_fail_next(k_authorize_key);
    if (rule && !rule->after) {
        if (rule->status >= 502 && rule->status <= 504)
            return send_gateway_error(res, rule->status);
        return send_error_page(res, rule->status, "injected failure (fail-next)");
    }
    const bool open = s.options.ims_clients.empty();
    const std::string client_id = param(req, "client_id");
    if (client_id.empty())
        return send_error_page(res, 400, "client_id is required");
    const ImsClient* client = open ? nullptr : find_client(s.options, client_id);
    if (!open && !client)
        return send_error_page(res, 400, "invalid_client: unknown client_id");
    std::string redirect = param(req, "redirect_uri");
    if (redirect.empty()) {
        // As at Adobe, the credential's default redirect (a pattern without wildcard).
        if (!client || client->redirect.empty() || client->redirect.find('*') != std::string::npos)
            return send_error_page(res, 400, "redirect_uri is required for this credential");
        redirect = client->redirect;
    }
    if (const std::string problem = redirect_problem(redirect, client); !problem.empty())
        return send_error_page(res, 400, "invalid redirect_uri: " + problem);

    // From here on the redirect URI is trusted: errors go back to it (RFC 6749 4.1.2.1).
    const auto state = optional_param(req, "state");
    const auto redirect_error = [&](std::string_view error, std::string_view description,
                                    bool with_state = true) {
        std::string q = "error=" + percent_encode(error) +
                        "&error_description=" + percent_encode(oauth_text(description));
        if (state && with_state)
            q += "&state=" + percent_encode(*state);
        res.set_redirect(append_query(redirect, q), 302);
    };
    if (state && state->size() > k_max_state)
        return redirect_error("invalid_request", "state is longer than 4096 characters", false);
    if (req.has_param("response_type") && param(req, "response_type") != "code") {
        return redirect_error("unsupported_response_type",
                              "the emulator supports response_type=code only");
    }
    std::string unknown;
    const auto scopes = parse_scopes(param(req, "scope"), unknown);
    if (!scopes)
        return redirect_error("invalid_scope", "unknown scope " + unknown);
    const auto type = client ? client->type : ImsClient::Type::web;
    const std::string challenge = param(req, "code_challenge");
    const std::string method =
        req.has_param("code_challenge_method") ? param(req, "code_challenge_method") : "plain";
    if (challenge.empty() && type != ImsClient::Type::web)
        return redirect_error("invalid_request", "code_challenge is required for public clients");
    if (!challenge.empty()) {
        if (method != "S256" && method != "plain")
            return redirect_error("invalid_request", "code_challenge_method must be S256 or plain");
        if (!valid_challenge(challenge, method))
            return redirect_error("invalid_request", "code_challenge is malformed");
    }
    ImsCodeRequest request;
    request.client_id = client_id;
    request.redirect_uri = redirect;
    request.scopes = *scopes;
    request.challenge = challenge;
    request.challenge_method = challenge.empty() ? std::string() : method;
    request.refresh_allowed = scopes->count("offline_access") > 0 &&
                              (type == ImsClient::Type::web || s.options.ims_refresh_for_public);
    const auto code = s.ims->issue_code(request, s.clock.now());
    if (!code)
        return send_error_page(res, 500, "the emulator has no V4 user to sign in");
    std::string q = "code=" + percent_encode(*code);
    if (state)
        q += "&state=" + percent_encode(*state);
    res.set_redirect(append_query(redirect, q), 302);
    if (rule && rule->after) {
        res.headers.erase("Location");
        send_error_page(res, rule->status, "injected failure (after the code was issued)");
    }
}

void oauth_error(httplib::Response& res, const ImsError& e) {
    Json j;
    j.begin_object().key("error").str(e.error);
    j.key("error_description").str(oauth_text(e.description));
    j.end_object();
    res.status = e.status;
    if (e.status == 401)
        res.set_header("WWW-Authenticate", "Basic realm=\"ims\"");
    res.set_content(j.take(), k_json_type);
}

void fail_token(httplib::Response& res, int status, std::string_view what) {
    res.body.clear();
    if (status >= 502 && status <= 504)
        return send_gateway_error(res, status);
    oauth_error(res, ImsError{status, status >= 500 ? "server_error" : "temporarily_unavailable",
                              std::string(what)});
}

/// The credential a token request presents: HTTP Basic, or client_id/client_secret fields
/// (body or query, as IMS accepts both).
struct Presented {
    std::string client_id;
    std::optional<std::string> secret;
};

std::variant<Presented, ImsError> presented_client(const httplib::Request& req) {
    Presented p;
    const std::string auth = req.get_header_value("Authorization");
    if (!auth.empty()) {
        const auto space = auth.find(' ');
        const auto decoded =
            space == std::string::npos || ascii_lower(auth.substr(0, space)) != "basic"
                ? std::nullopt
                : base64_decode(auth.substr(space + 1));
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
            return ImsError{401, "invalid_client", "malformed Basic Authorization header"};
        p.client_id = decoded->substr(0, colon);
        p.secret = decoded->substr(colon + 1);
    }
    const std::string field_id = param(req, "client_id");
    if (!field_id.empty() && !p.client_id.empty() && field_id != p.client_id)
        return ImsError{401, "invalid_client", "client_id differs from the Basic credential"};
    if (p.client_id.empty())
        p.client_id = field_id;
    if (!p.secret && req.has_param("client_secret"))
        p.secret = param(req, "client_secret");
    if (p.client_id.empty())
        return ImsError{401, "invalid_client", "client_id is required"};
    return p;
}

/// Checks a user credential (authorization_code, refresh_token grants); nullopt when accepted.
std::optional<ImsError> check_user_client(const Options& o, const Presented& p) {
    if (o.ims_clients.empty())
        return std::nullopt; // open mode: any client, any or no secret
    const ImsClient* c = find_client(o, p.client_id);
    if (!c)
        return ImsError{401, "invalid_client", "unknown client_id"};
    if (c->type == ImsClient::Type::web &&
        (!p.secret || !c->secret || !secret_equal(*p.secret, *c->secret))) {
        return ImsError{401, "invalid_client", "invalid client credentials"};
    }
    return std::nullopt;
}

ImsResult client_credentials_grant(Services& s, const httplib::Request& req, const Presented& p,
                                   Micros now) {
    const auto& list = s.options.ims_s2s_clients;
    const auto it = std::find_if(list.begin(), list.end(),
                                 [&](const ImsS2sClient& c) { return c.id == p.client_id; });
    if (it == list.end() || !p.secret || !secret_equal(*p.secret, it->secret))
        return ImsError{401, "invalid_client", "invalid client credentials"};
    if (!req.has_param("scope"))
        return ImsError{400, "invalid_request", "scope is required"};
    std::string unknown;
    const auto scopes = parse_scopes(param(req, "scope"), unknown);
    if (!scopes)
        return ImsError{400, "invalid_scope", "unknown scope " + unknown};
    for (const auto& sc : *scopes) {
        if (!s2s_scopes().count(sc))
            return ImsError{400, "invalid_scope", "scope " + sc + " is not available here"};
    }
    return s.ims->client_credentials(p.client_id, *scopes, now);
}

ImsResult user_grant(Services& s, const httplib::Request& req, const std::string& grant,
                     const Presented& p, Micros now) {
    if (auto e = check_user_client(s.options, p))
        return *e;
    std::optional<std::set<std::string>> scopes;
    if (req.has_param("scope")) {
        std::string unknown;
        scopes = parse_scopes(param(req, "scope"), unknown);
        if (!scopes)
            return ImsError{400, "invalid_scope", "unknown scope " + unknown};
    }
    if (grant == "authorization_code") {
        const std::string code = param(req, "code");
        if (code.empty())
            return ImsError{400, "invalid_request", "code is required"};
        return s.ims->redeem_code(code, p.client_id, optional_param(req, "redirect_uri"),
                                  optional_param(req, "code_verifier"), scopes, now);
    }
    const std::string refresh = param(req, "refresh_token");
    if (refresh.empty())
        return ImsError{400, "invalid_request", "refresh_token is required"};
    return s.ims->refresh(refresh, p.client_id, scopes, now);
}

/// A JWT-looking OpenID Connect ID token (unsigned: the signature part is random).
std::string id_token(const Services& s, const ImsGrant& g, const std::string& client_id,
                     Micros now) {
    Json header;
    header.begin_object().key("alg").str("RS256").key("kid").str("ims_na1-key-1").end_object();
    Json payload;
    payload.begin_object();
    payload.key("iss").str(s.base_url);
    payload.key("sub").str(g.user_id);
    payload.key("aud").str(client_id);
    payload.key("iat").i64(now / k_micros_per_second);
    payload.key("exp").i64(now / k_micros_per_second + s.options.ims_token_ttl);
    payload.end_object();
    return base64url(header.take()) + "." + base64url(payload.take()) + "." +
           base64url(random_bytes(32));
}

void token(Services& s, const httplib::Request& req, httplib::Response& res) {
    count_request(s, k_token_key);
    apply_latency(s);
    const auto rule = s.faults.take_fail_next(k_token_key);
    if (rule && !rule->after)
        return fail_token(res, rule->status, "injected failure (fail-next, before)");
    if (s.faults.draw(FaultStream::api5xx)) {
        static constexpr std::array<int, 3> k_statuses = {500, 502, 503};
        const auto pick = static_cast<std::size_t>(s.faults.uniform(FaultStream::status) * 3);
        return fail_token(res, k_statuses[std::min<std::size_t>(pick, 2)],
                          "injected failure (api5xx)");
    }
    res.set_header("Cache-Control", "no-store");
    res.set_header("Pragma", "no-cache");
    const std::string type = ascii_lower(req.get_header_value("Content-Type"));
    if (!req.body.empty() && type.rfind("application/x-www-form-urlencoded", 0) != 0) {
        return oauth_error(res, ImsError{400, "invalid_request",
                                         "the body must be application/x-www-form-urlencoded"});
    }
    const std::string grant = param(req, "grant_type");
    if (grant != "authorization_code" && grant != "refresh_token" &&
        grant != "client_credentials") {
        return oauth_error(res, ImsError{400, "unsupported_grant_type",
                                         "grant_type must be authorization_code, refresh_token or "
                                         "client_credentials"});
    }
    const auto presented = presented_client(req);
    if (const auto* e = std::get_if<ImsError>(&presented))
        return oauth_error(res, *e);
    const Presented& p = std::get<Presented>(presented);
    const Micros now = s.clock.now();
    const ImsResult result = grant == "client_credentials"
                                 ? client_credentials_grant(s, req, p, now)
                                 : user_grant(s, req, grant, p, now);
    if (const auto* e = std::get_if<ImsError>(&result))
        return oauth_error(res, *e);
    const ImsGrant& g = std::get<ImsGrant>(result);
    Json j;
    j.begin_object();
    j.key("access_token").str(g.access_token);
    if (!g.refresh_token.empty())
        j.key("refresh_token").str(g.refresh_token);
    if (grant == "authorization_code") {
        j.key("sub").str(g.user_id);
        if (g.scopes.count("openid"))
            j.key("id_token").str(id_token(s, g, p.client_id, now));
    }
    j.key("token_type").str("bearer");
    j.key("expires_in").i64(s.options.ims_token_ttl);
    j.end_object();
    res.status = 200;
    res.set_content(j.take(), k_json_type);
    if (rule && rule->after)
        fail_token(res, rule->status, "injected failure (fail-next, after the tokens were issued)");
}

} // namespace

void register_ims_routes(HttpServer& server, Services& s) {
    s.route_keys.insert(k_authorize_key);
    s.route_keys.insert(k_token_key);
    server.Get(R"(/ims/authorize/v2/?)", [&s](const httplib::Request& req, httplib::Response& res) {
        authorize(s, req, res);
    });
    server.Post(R"(/ims/token/v3/?)",
                [&s](const httplib::Request& req, httplib::Response& res) { token(s, req, res); });
}

} // namespace fioemu
