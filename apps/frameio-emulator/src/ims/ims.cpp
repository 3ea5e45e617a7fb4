// SPDX-License-Identifier: MIT
// ImsAuthority: the state of the IMS stand-in (codes, logins, tokens) and its persistence.
// Tokens are stored by SHA-256 only; every change is committed before the answer is sent.
#include "ims/ims.hpp"

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "core/store.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fioemu {

namespace {

/// Adobe's codes live a few minutes; the emulator's expire after 5 minutes of emulator time.
constexpr Micros k_code_ttl = 300 * k_micros_per_second;
/// A redeemed or expired code is kept this long so that a replay still revokes its login.
constexpr Micros k_code_keep = 3600 * k_micros_per_second;
constexpr std::string_view k_s2s_family_prefix = "s2s:";
constexpr std::string_view k_service_account_name = "Service Account User";

std::string join_scopes(const std::set<std::string>& scopes) {
    std::string out;
    for (const auto& sc : scopes)
        out += (out.empty() ? "" : " ") + sc;
    return out;
}

std::set<std::string> split_scopes(const std::string& text) {
    std::set<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto sp = text.find(' ', pos);
        if (sp == std::string::npos)
            sp = text.size();
        if (sp > pos)
            out.insert(text.substr(pos, sp - pos));
        pos = sp + 1;
    }
    return out;
}

bool valid_verifier(const std::string& v) {
    return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                      c == '_' || c == '~';
           });
}

ImsError grant_error(std::string error, std::string description) {
    return ImsError{400, std::move(error), std::move(description)};
}

void read_document(const std::string& json, rapidjson::Document& doc) {
    std::string err;
    if (!parse_json(json, doc, err) || !doc.IsObject())
        throw std::runtime_error("corrupt IMS row: " + err);
}

std::string get_string(ObjectReader& r, std::string_view key) {
    std::string out;
    r.get_string(key, out);
    return out;
}

Micros get_micros(ObjectReader& r, std::string_view key) {
    std::int64_t out = 0;
    r.get_int64(key, out);
    return out;
}

bool get_flag(ObjectReader& r, std::string_view key) {
    bool out = false;
    r.get_bool(key, out);
    return out;
}

} // namespace

ImsAuthority::ImsAuthority(Model& model, const Options& options)
    : m_model(model), m_options(options) {}

void ImsAuthority::load() {
    auto lock = m_model.lock();
    Store& store = m_model.store();
    store.for_each("ims_family", [&](const std::string& id, const std::string& json) {
        rapidjson::Document d;
        read_document(json, d);
        ObjectReader r(d);
        Family f;
        f.client_id = get_string(r, "client_id");
        f.user_id = get_string(r, "user_id");
        f.scopes = split_scopes(get_string(r, "scopes"));
        f.refresh_expires_at = get_micros(r, "refresh_expires_at");
        f.revoked = get_flag(r, "revoked");
        m_families[id] = std::move(f);
    });
    store.for_each("ims_code", [&](const std::string& hash, const std::string& json) {
        rapidjson::Document d;
        read_document(json, d);
        ObjectReader r(d);
        Code c;
        c.request.client_id = get_string(r, "client_id");
        c.request.redirect_uri = get_string(r, "redirect_uri");
        c.request.scopes = split_scopes(get_string(r, "scopes"));
        c.request.challenge = get_string(r, "challenge");
        c.request.challenge_method = get_string(r, "challenge_method");
        c.request.refresh_allowed = get_flag(r, "refresh_allowed");
        c.user_id = get_string(r, "user_id");
        c.family_id = get_string(r, "family_id");
        c.expires_at = get_micros(r, "expires_at");
        c.used = get_flag(r, "used");
        m_codes[hash] = std::move(c);
    });
    store.for_each("ims_token", [&](const std::string& hash, const std::string& json) {
        rapidjson::Document d;
        read_document(json, d);
        ObjectReader r(d);
        Token t;
        t.refresh = get_flag(r, "refresh");
        t.family_id = get_string(r, "family_id");
        t.scopes = split_scopes(get_string(r, "scopes"));
        t.expires_at = get_micros(r, "expires_at");
        t.used = get_flag(r, "used");
        m_tokens[hash] = std::move(t);
    });
}

void ImsAuthority::persist() {
    if (m_dirty.empty())
        return;
    Store& store = m_model.store();
    store.begin();
    try {
        for (const auto& [kind, id] : m_dirty) {
            Json j;
            j.begin_object();
            if (kind == "ims_code") {
                const auto it = m_codes.find(id);
                if (it == m_codes.end()) {
                    store.erase(kind, id);
                    continue;
                }
                const Code& c = it->second;
                j.key("client_id").str(c.request.client_id);
                j.key("redirect_uri").str(c.request.redirect_uri);
                j.key("scopes").str(join_scopes(c.request.scopes));
                j.key("challenge").str(c.request.challenge);
                j.key("challenge_method").str(c.request.challenge_method);
                j.key("refresh_allowed").boolean(c.request.refresh_allowed);
                j.key("user_id").str(c.user_id);
                j.key("family_id").str(c.family_id);
                j.key("expires_at").i64(c.expires_at);
                j.key("used").boolean(c.used);
            } else if (kind == "ims_token") {
                const auto it = m_tokens.find(id);
                if (it == m_tokens.end()) {
                    store.erase(kind, id);
                    continue;
                }
                const Token& t = it->second;
                j.key("refresh").boolean(t.refresh);
                j.key("family_id").str(t.family_id);
                j.key("scopes").str(join_scopes(t.scopes));
                j.key("expires_at").i64(t.expires_at);
                j.key("used").boolean(t.used);
            } else {
                const auto it = m_families.find(id);
                if (it == m_families.end()) {
                    store.erase(kind, id);
                    continue;
                }
                const Family& f = it->second;
                j.key("client_id").str(f.client_id);
                j.key("user_id").str(f.user_id);
                j.key("scopes").str(join_scopes(f.scopes));
                j.key("refresh_expires_at").i64(f.refresh_expires_at);
                j.key("revoked").boolean(f.revoked);
            }
            j.end_object();
            store.put(kind, id, j.take());
        }
        store.commit();
    } catch (...) {
        store.rollback();
        m_dirty.clear();
        throw;
    }
    m_dirty.clear();
}

void ImsAuthority::prune(Micros now) {
    for (auto it = m_codes.begin(); it != m_codes.end();) {
        if (it->second.expires_at + k_code_keep <= now) {
            mark_code(it->first);
            it = m_codes.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = m_tokens.begin(); it != m_tokens.end();) {
        if (it->second.expires_at <= now) {
            mark_token(it->first);
            it = m_tokens.erase(it);
        } else {
            ++it;
        }
    }
    const Micros access_ttl = m_options.ims_token_ttl * k_micros_per_second;
    for (auto it = m_families.begin(); it != m_families.end();) {
        // Its last access token expired by then; s2s families live as long as the credential.
        const bool s2s = it->first.rfind(k_s2s_family_prefix, 0) == 0;
        if (!s2s && it->second.refresh_expires_at + access_ttl <= now) {
            mark_family(it->first);
            it = m_families.erase(it);
        } else {
            ++it;
        }
    }
}

std::string ImsAuthority::make_token(const char* type, const std::string& client_id,
                                     const std::set<std::string>& scopes, Micros now,
                                     Micros ttl) const {
    // Shaped like IMS's JWTs (their payload carries created_at and expires_in in milliseconds,
    // as strings); the signature part is random, which makes every token unique.
    Json header;
    header.begin_object().key("alg").str("RS256").key("kid").str("ims_na1-key-at-1");
    header.key("itt").str(std::string_view(type) == "access_token" ? "at" : "rt").end_object();
    Json payload;
    payload.begin_object();
    payload.key("id").str(new_uuid());
    payload.key("type").str(type);
    payload.key("client_id").str(client_id);
    payload.key("as").str("ims-na1");
    payload.key("created_at").str(std::to_string(now / 1000));
    payload.key("expires_in").str(std::to_string(ttl / 1000));
    payload.key("scope").str(join_scopes(scopes));
    payload.end_object();
    return base64url(header.take()) + "." + base64url(payload.take()) + "." +
           base64url(random_bytes(32));
}

ImsGrant ImsAuthority::issue(const std::string& family_id, const Family& family,
                             const std::set<std::string>& scopes, bool with_refresh, Micros now) {
    ImsGrant out;
    out.user_id = family.user_id;
    out.scopes = scopes;
    const Micros access_ttl = m_options.ims_token_ttl * k_micros_per_second;
    out.access_token = make_token("access_token", family.client_id, scopes, now, access_ttl);
    const std::string access_hash = sha256(out.access_token);
    m_tokens[access_hash] = Token{false, family_id, scopes, now + access_ttl, false};
    mark_token(access_hash);
    if (with_refresh) {
        out.refresh_token = make_token("refresh_token", family.client_id, family.scopes, now,
                                       family.refresh_expires_at - now);
        const std::string refresh_hash = sha256(out.refresh_token);
        m_tokens[refresh_hash] =
            Token{true, family_id, family.scopes, family.refresh_expires_at, false};
        mark_token(refresh_hash);
    }
    prune(now);
    persist();
    return out;
}

void ImsAuthority::revoke(const std::string& family_id) {
    const auto it = m_families.find(family_id);
    if (it == m_families.end() || it->second.revoked)
        return;
    it->second.revoked = true;
    mark_family(family_id);
    persist();
}

std::variant<ImsIdentity, std::string> ImsAuthority::authenticate(const std::string& access_token,
                                                                  Micros now) {
    auto lock = m_model.lock();
    const auto t = m_tokens.find(sha256(access_token));
    if (t == m_tokens.end() || t->second.refresh)
        return std::string("unknown access token");
    if (t->second.expires_at <= now)
        return std::string("expired access token");
    const auto f = m_families.find(t->second.family_id);
    if (f == m_families.end() || f->second.revoked)
        return std::string("revoked access token");
    return ImsIdentity{f->second.user_id, t->second.scopes};
}

std::optional<std::string> ImsAuthority::issue_code(const ImsCodeRequest& request, Micros now) {
    auto lock = m_model.lock();
    const User* user = m_model.first_user(Generation::v4);
    if (!user)
        return std::nullopt;
    const std::string code = new_secret("");
    const std::string hash = sha256(code);
    m_codes[hash] = Code{request, user->id, {}, now + k_code_ttl, false};
    mark_code(hash);
    prune(now);
    persist();
    return code;
}

ImsResult ImsAuthority::redeem_code(const std::string& code, const std::string& client_id,
                                    const std::optional<std::string>& redirect_uri,
                                    const std::optional<std::string>& verifier,
                                    const std::optional<std::set<std::string>>& scopes,
                                    Micros now) {
    auto lock = m_model.lock();
    const std::string hash = sha256(code);
    const auto it = m_codes.find(hash);
    if (it == m_codes.end())
        return grant_error("invalid_grant", "the authorization code is invalid");
    Code& c = it->second;
    if (c.used) {
        // A replayed code: whoever holds it may be an attacker; end the login it started.
        revoke(c.family_id);
        return grant_error("invalid_grant", "the authorization code was already used");
    }
    if (c.expires_at <= now)
        return grant_error("invalid_grant", "the authorization code expired");
    if (c.request.client_id != client_id)
        return grant_error("invalid_grant", "the authorization code was issued to another client");
    if (redirect_uri && *redirect_uri != c.request.redirect_uri) {
        return grant_error("invalid_grant",
                           "redirect_uri differs from the one of the authorization request");
    }
    if (!c.request.challenge.empty()) {
        if (!verifier || verifier->empty())
            return grant_error("invalid_request", "code_verifier is required (PKCE)");
        if (!valid_verifier(*verifier)) {
            return grant_error("invalid_request",
                               "code_verifier must be 43 to 128 unreserved characters");
        }
        const std::string expected =
            c.request.challenge_method == "S256" ? base64url(sha256(*verifier)) : *verifier;
        if (!secret_equal(expected, c.request.challenge))
            return grant_error("invalid_grant", "code_verifier does not match code_challenge");
    }
    std::set<std::string> granted = c.request.scopes;
    if (scopes) {
        for (const auto& sc : *scopes) {
            if (!granted.count(sc))
                return grant_error("invalid_scope", "scope " + sc + " was not authorized");
        }
        granted = *scopes;
    }
    const bool with_refresh = c.request.refresh_allowed && granted.count("offline_access") > 0;
    const std::string family_id = new_uuid();
    Family f{client_id, c.user_id, granted, now + m_options.ims_refresh_ttl * k_micros_per_second,
             false};
    m_families[family_id] = f;
    mark_family(family_id);
    c.used = true;
    c.family_id = family_id;
    mark_code(hash);
    return issue(family_id, f, granted, with_refresh, now);
}

ImsResult ImsAuthority::refresh(const std::string& refresh_token, const std::string& client_id,
                                const std::optional<std::set<std::string>>& scopes, Micros now) {
    auto lock = m_model.lock();
    const std::string hash = sha256(refresh_token);
    const auto t = m_tokens.find(hash);
    const auto f = t == m_tokens.end() || !t->second.refresh ? m_families.end()
                                                             : m_families.find(t->second.family_id);
    if (f == m_families.end() || f->second.revoked || t->second.expires_at <= now ||
        f->second.refresh_expires_at <= now) {
        return grant_error("invalid_grant", "the refresh token is invalid, expired or revoked");
    }
    if (f->second.client_id != client_id)
        return grant_error("invalid_grant", "the refresh token was issued to another client");
    if (t->second.used) {
        // A rotated refresh token came back: a stale copy exists somewhere; end the login.
        revoke(f->first);
        return grant_error("invalid_grant", "the refresh token was already used (revoked)");
    }
    std::set<std::string> granted = f->second.scopes;
    if (granted.count("frame.s2s.all")) {
        // A login granted before user logins lost that scope (persisted with --data).
        return grant_error("invalid_scope",
                           "frame.s2s.all is for server-to-server credentials only");
    }
    if (scopes) {
        for (const auto& sc : *scopes) {
            if (!granted.count(sc))
                return grant_error("invalid_scope", "scope " + sc + " was not granted");
        }
        granted = *scopes;
    }
    if (!m_options.ims_rotation) {
        ImsGrant g = issue(f->first, f->second, granted, false, now);
        g.refresh_token = refresh_token; // the same one stays valid
        return g;
    }
    t->second.used = true;
    mark_token(hash);
    return issue(f->first, f->second, granted, true, now);
}

ImsResult ImsAuthority::client_credentials(const std::string& client_id,
                                           const std::set<std::string>& scopes, Micros now) {
    auto lock = m_model.lock();
    const std::string family_id = std::string(k_s2s_family_prefix) + client_id;
    auto it = m_families.find(family_id);
    if (it == m_families.end()) {
        const User* seeded = m_model.first_user(Generation::v4);
        if (!seeded)
            return ImsError{500, "server_error", "the emulator has no V4 account"};
        const std::string account_id = seeded->account_id;
        std::size_t taken = 0;
        for (const auto& [id, u] : m_model.users()) {
            if (u.account_id == account_id && u.name.rfind(k_service_account_name, 0) == 0)
                ++taken;
        }
        std::string name(k_service_account_name);
        if (taken > 0)
            name += " " + std::to_string(taken + 1);
        const std::string local = hex(random_bytes(12));
        // The user row commits on its own; the family row follows in issue()'s commit.
        const User& sa = m_model.create_user(account_id, name, local + "@techacct.adobe.com", now);
        it = m_families.emplace(family_id, Family{client_id, sa.id, {}, 0, false}).first;
        mark_family(family_id);
    }
    return issue(family_id, it->second, scopes, false, now);
}

} // namespace fioemu
