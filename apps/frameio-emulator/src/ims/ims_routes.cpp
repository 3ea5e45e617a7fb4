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
#include "ims/redirect_uri.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

namespace fioemu {

namespace {

using ims_uri::hex_value;
using ims_uri::is_loopback_host;
using ims_uri::is_native_scheme;
using ims_uri::parse_redirect;
using ims_uri::redirect_matches;

const std::string k_authorize_key = "GET /ims/authorize/v2";
const std::string k_token_key = "POST /ims/token/v3";
constexpr std::size_t k_max_state = 4096;
/// cpp-httplib's limit for the form bodies it parses itself (exact lowercase Content-Type),
/// applied to every spelling so that the limit does not depend on the header's case.
constexpr std::size_t k_max_form_body = 8192;

/// Every scope the emulator knows; anything else is invalid_scope.
const std::set<std::string>& scope_vocabulary() {
    static const std::set<std::string> k_scopes = {
        "openid",       "AdobeID", "email", "profile", "offline_access", "additional_info.roles",
        "frame.s2s.all"};
    return k_scopes;
}
const std::string k_s2s_scope = "frame.s2s.all";
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

/// Request parameters as sent, in order; a name may occur more than once (refused: RFC 6749
/// 3.1 and 3.2). Read from the raw query and body, not cpp-httplib's params, which fold
/// identical pairs and skip bodies whose Content-Type differs in case.
using Form = std::multimap<std::string, std::string>;

/// application/x-www-form-urlencoded decoding ('+' is a space); nullopt on a malformed escape.
std::optional<std::string> form_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] != '%') {
            out += text[i];
        } else if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

/// Adds the pairs of `text` (a query string or form body) to `out`; false on a malformed escape.
bool add_form(std::string_view text, Form& out) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto amp = std::min(text.find('&', pos), text.size());
        const std::string_view pair = text.substr(pos, amp - pos);
        pos = amp + 1;
        if (pair.empty())
            continue;
        const auto eq = std::min(pair.find('='), pair.size());
        auto key = form_decode(pair.substr(0, eq));
        auto value = form_decode(eq < pair.size() ? pair.substr(eq + 1) : std::string_view());
        if (!key || !value)
            return false;
        out.emplace(std::move(*key), std::move(*value));
    }
    return true;
}

std::string_view query_of(const httplib::Request& req) {
    const auto q = req.target.find('?');
    return q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1);
}

std::string param(const Form& form, const char* name) {
    const auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
}
std::optional<std::string> optional_param(const Form& form, const char* name) {
    const auto it = form.find(name);
    if (it == form.end())
        return std::nullopt;
    return it->second;
}
/// The first parameter name sent more than once, or "".
std::string duplicated_name(const Form& form) {
    for (auto it = form.begin(); it != form.end(); it = form.upper_bound(it->first)) {
        if (form.count(it->first) > 1)
            return it->first;
    }
    return {};
}

bool has_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
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

/// User logins (authorization code, refresh) may not carry the server-to-server scope: a user
/// token with it must never pass V4's s2s scope rule.
std::optional<ImsError> refuse_s2s_scope(const std::set<std::string>& scopes) {
    if (!scopes.count(k_s2s_scope))
        return std::nullopt;
    return ImsError{400, "invalid_scope",
                    "frame.s2s.all is for server-to-server credentials (client_credentials) only"};
}

/// Why `uri` may not receive a code for this credential, or "" when it may.
std::string redirect_problem(const std::string& uri, const ImsClient* client) {
    std::string why;
    const auto parts = parse_redirect(uri, false, why);
    if (!parts)
        return why;
    const bool http = parts->scheme == "http", https = parts->scheme == "https";
    if ((http || https) && parts->host.empty())
        return "redirect_uri has no host";
    if (parts->host.empty() && parts->path.empty())
        return "redirect_uri has nothing after ://";
    if (!client) {
        // Open mode: anything but plain http to another machine (a loopback listener is
        // allowed here only; Adobe itself requires https even for localhost).
        if (http && !is_loopback_host(parts->host))
            return "redirect_uri must be https (or http to 127.0.0.1, [::1] or localhost)";
        return {};
    }
    if (client->type == ImsClient::Type::native) {
        if (!is_native_scheme(parts->scheme))
            return "a native credential redirects to its adobe+<hash>:// scheme only";
    } else if (!https) {
        return "web and spa redirect URIs must be https (localhost included)";
    }
    if (client->redirect.empty())
        return {};
    const auto pattern = parse_redirect(client->redirect, true, why);
    if (!pattern)
        return "the redirect URI pattern of this credential is malformed";
    if (!redirect_matches(*pattern, *parts))
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

/// The part of an authorization request after its redirect URI is trusted: errors go back to
/// that URI (RFC 6749 4.1.2.1), success issues a code. True when a code was issued.
bool approve(Services& s, const Form& form, const ImsClient* client, const std::string& redirect,
             httplib::Response& res) {
    const std::string duplicate = duplicated_name(form);
    const auto state = duplicate == "state" ? std::nullopt : optional_param(form, "state");
    const auto redirect_error = [&](std::string_view error, std::string_view description,
                                    bool with_state = true) {
        std::string q = "error=" + percent_encode(error) +
                        "&error_description=" + percent_encode(oauth_text(description));
        if (state && with_state)
            q += "&state=" + percent_encode(*state);
        res.set_redirect(append_query(redirect, q), 302);
        return false;
    };
    if (!duplicate.empty())
        return redirect_error("invalid_request", "parameter " + duplicate + " sent twice");
    if (state && state->size() > k_max_state)
        return redirect_error("invalid_request", "state is longer than 4096 characters", false);
    if (form.count("response_type") && param(form, "response_type") != "code") {
        return redirect_error("unsupported_response_type",
                              "the emulator supports response_type=code only");
    }
    std::string unknown;
    const auto scopes = parse_scopes(param(form, "scope"), unknown);
    if (!scopes)
        return redirect_error("invalid_scope", "unknown scope " + unknown);
    if (const auto e = refuse_s2s_scope(*scopes))
        return redirect_error(e->error, e->description);
    const auto type = client ? client->type : ImsClient::Type::web;
    const std::string challenge = param(form, "code_challenge");
    const std::string method =
        form.count("code_challenge_method") ? param(form, "code_challenge_method") : "plain";
    if (challenge.empty() && type != ImsClient::Type::web)
        return redirect_error("invalid_request", "code_challenge is required for public clients");
    if (!challenge.empty()) {
        if (method != "S256" && method != "plain")
            return redirect_error("invalid_request", "code_challenge_method must be S256 or plain");
        if (!valid_challenge(challenge, method))
            return redirect_error("invalid_request", "code_challenge is malformed");
    }
    ImsCodeRequest request;
    request.client_id = param(form, "client_id");
    request.redirect_uri = redirect;
    request.scopes = *scopes;
    request.challenge = challenge;
    request.challenge_method = challenge.empty() ? std::string() : method;
    request.refresh_allowed = scopes->count("offline_access") > 0 &&
                              (type == ImsClient::Type::web || s.options.ims_refresh_for_public);
    const auto code = s.ims->issue_code(request, s.clock.now());
    if (!code) {
        send_error_page(res, 500, "the emulator has no V4 user to sign in");
        return false;
    }
    std::string q = "code=" + percent_encode(*code);
    if (state)
        q += "&state=" + percent_encode(*state);
    res.set_redirect(append_query(redirect, q), 302);
    return true;
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
    Form form;
    if (!add_form(query_of(req), form))
        return send_error_page(res, 400, "the query string has a malformed %-escape");
    // Until the redirect URI is trusted, nothing may go to it.
    for (const char* name : {"client_id", "redirect_uri"}) {
        if (form.count(name) > 1)
            return send_error_page(res, 400, std::string(name) + " must be sent once");
    }
    const bool open = s.options.ims_clients.empty();
    const std::string client_id = param(form, "client_id");
    if (client_id.empty())
        return send_error_page(res, 400, "client_id is required");
    const ImsClient* client = open ? nullptr : find_client(s.options, client_id);
    if (!open && !client)
        return send_error_page(res, 400, "invalid_client: unknown client_id");
    std::string redirect = param(form, "redirect_uri");
    if (redirect.empty()) {
        // As at Adobe, the credential's default redirect (a pattern without wildcard).
        if (!client || client->redirect.empty() || client->redirect.find('*') != std::string::npos)
            return send_error_page(res, 400, "redirect_uri is required for this credential");
        redirect = client->redirect;
    }
    if (const std::string problem = redirect_problem(redirect, client); !problem.empty())
        return send_error_page(res, 400, "invalid redirect_uri: " + problem);
    // A state the redirect could not carry unchanged is refused like a bad redirect.
    if (const auto states = form.equal_range("state"); std::any_of(
            states.first, states.second, [](const auto& kv) { return has_control(kv.second); }))
        return send_error_page(res, 400, "state must not contain control characters");
    if (approve(s, form, client, redirect, res) && rule && rule->after) {
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

std::variant<Presented, ImsError> presented_client(const httplib::Request& req, const Form& form) {
    Presented p;
    const std::string auth = req.get_header_value("Authorization");
    if (!auth.empty()) {
        const auto space = auth.find(' ');
        const auto decoded =
            space == std::string::npos || ascii_lower(auth.substr(0, space)) != "basic"
                ? std::nullopt
                : base64_decode(auth.substr(space + 1));
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        // RFC 6749 2.3.1: both halves are form-urlencoded before base64.
        const auto id = colon == std::string::npos
                            ? std::nullopt
                            : form_decode(std::string_view(*decoded).substr(0, colon));
        const auto secret = colon == std::string::npos
                                ? std::nullopt
                                : form_decode(std::string_view(*decoded).substr(colon + 1));
        if (!id || !secret)
            return ImsError{401, "invalid_client", "malformed Basic Authorization header"};
        p.client_id = *id;
        p.secret = *secret;
    }
    const std::string field_id = param(form, "client_id");
    if (!field_id.empty() && !p.client_id.empty() && field_id != p.client_id)
        return ImsError{401, "invalid_client", "client_id differs from the Basic credential"};
    if (p.client_id.empty())
        p.client_id = field_id;
    if (!p.secret && form.count("client_secret"))
        p.secret = param(form, "client_secret");
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

ImsResult client_credentials_grant(Services& s, const Form& form, const Presented& p, Micros now) {
    const auto& list = s.options.ims_s2s_clients;
    const auto it = std::find_if(list.begin(), list.end(),
                                 [&](const ImsS2sClient& c) { return c.id == p.client_id; });
    if (it == list.end() || !p.secret || !secret_equal(*p.secret, it->secret))
        return ImsError{401, "invalid_client", "invalid client credentials"};
    if (!form.count("scope"))
        return ImsError{400, "invalid_request", "scope is required"};
    std::string unknown;
    const auto scopes = parse_scopes(param(form, "scope"), unknown);
    if (!scopes)
        return ImsError{400, "invalid_scope", "unknown scope " + unknown};
    for (const auto& sc : *scopes) {
        if (!s2s_scopes().count(sc))
            return ImsError{400, "invalid_scope", "scope " + sc + " is not available here"};
    }
    return s.ims->client_credentials(p.client_id, *scopes, now);
}

ImsResult user_grant(Services& s, const Form& form, const std::string& grant, const Presented& p,
                     Micros now) {
    if (auto e = check_user_client(s.options, p))
        return *e;
    std::optional<std::set<std::string>> scopes;
    if (form.count("scope")) {
        std::string unknown;
        scopes = parse_scopes(param(form, "scope"), unknown);
        if (!scopes)
            return ImsError{400, "invalid_scope", "unknown scope " + unknown};
        if (auto e = refuse_s2s_scope(*scopes))
            return *e;
    }
    if (grant == "authorization_code") {
        const std::string code = param(form, "code");
        if (code.empty())
            return ImsError{400, "invalid_request", "code is required"};
        return s.ims->redeem_code(code, p.client_id, optional_param(form, "redirect_uri"),
                                  optional_param(form, "code_verifier"), scopes, now);
    }
    const std::string refresh = param(form, "refresh_token");
    if (refresh.empty())
        return ImsError{400, "invalid_request", "refresh_token is required"};
    return s.ims->refresh(refresh, p.client_id, scopes, now);
}

/// The token request's parameters: the query string (IMS accepts both) and a form body.
std::variant<Form, ImsError> token_form(const httplib::Request& req) {
    Form form;
    if (!add_form(query_of(req), form))
        return ImsError{400, "invalid_request", "the query string has a malformed %-escape"};
    if (req.body.empty())
        return form;
    // Media types are case-insensitive; parameters (charset) are ignored.
    const std::string type = req.get_header_value("Content-Type");
    const std::string media = ascii_lower(type.substr(0, type.find(';')));
    const auto first = media.find_first_not_of(" \t");
    const auto last = media.find_last_not_of(" \t");
    if (first == std::string::npos ||
        media.substr(first, last - first + 1) != "application/x-www-form-urlencoded") {
        return ImsError{400, "invalid_request",
                        "the body must be application/x-www-form-urlencoded"};
    }
    if (req.body.size() > k_max_form_body) {
        return ImsError{413, "invalid_request", "the form body is larger than 8192 bytes"};
    }
    if (!add_form(req.body, form))
        return ImsError{400, "invalid_request", "the form body has a malformed %-escape"};
    return form;
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
    const auto parsed = token_form(req);
    if (const auto* e = std::get_if<ImsError>(&parsed))
        return oauth_error(res, *e);
    const Form& form = std::get<Form>(parsed);
    if (const std::string duplicate = duplicated_name(form); !duplicate.empty()) {
        return oauth_error(res, ImsError{400, "invalid_request",
                                         "parameter " + duplicate + " sent more than once"});
    }
    const std::string grant = param(form, "grant_type");
    if (grant.empty())
        return oauth_error(res, ImsError{400, "invalid_request", "grant_type is required"});
    if (grant != "authorization_code" && grant != "refresh_token" &&
        grant != "client_credentials") {
        return oauth_error(res, ImsError{400, "unsupported_grant_type",
                                         "grant_type must be authorization_code, refresh_token or "
                                         "client_credentials"});
    }
    const auto presented = presented_client(req, form);
    if (const auto* e = std::get_if<ImsError>(&presented))
        return oauth_error(res, *e);
    const Presented& p = std::get<Presented>(presented);
    const Micros now = s.clock.now();
    const ImsResult result = grant == "client_credentials"
                                 ? client_credentials_grant(s, form, p, now)
                                 : user_grant(s, form, grant, p, now);
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
