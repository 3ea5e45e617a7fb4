// SPDX-License-Identifier: MIT
#include "core/auth.hpp"

#include "core/crypto.hpp"
#include "core/model.hpp"
#include "core/options.hpp"

#include <algorithm>

namespace fioemu {

const std::vector<std::string>& scope_vocabulary() {
    static const std::vector<std::string> k_scopes = {
        "account.read",        "team.read",
        "team.create",         "team.update",
        "project.read",        "project.create",
        "project.update",      "project.delete",
        "asset.read",          "asset.create",
        "asset.update",        "asset.delete",
        "comment.read",        "comment.create",
        "comment.update",      "comment.delete",
        "reviewlink.read",     "reviewlink.create",
        "reviewlink.update",   "reviewlink.delete",
        "presentation.read",   "presentation.create",
        "presentation.update", "presentation.delete",
        "webhook.read",        "webhook.create",
        "webhook.update",      "webhook.delete",
        "action.read",         "action.create",
        "action.update",       "action.delete",
        "auditlog.read",       "offline",
    };
    return k_scopes;
}

bool is_known_scope(std::string_view scope) {
    const auto& v = scope_vocabulary();
    return std::find(v.begin(), v.end(), scope) != v.end();
}

void TokenRegistry::add(const DevToken& t) {
    std::lock_guard lock(m_mutex);
    m_tokens[sha256(t.token)] = t.scopes;
}

bool TokenRegistry::revoke(const std::string& token) {
    std::lock_guard lock(m_mutex);
    return m_tokens.erase(sha256(token)) > 0;
}

std::optional<std::optional<std::set<std::string>>>
TokenRegistry::find(const std::string& token) const {
    std::lock_guard lock(m_mutex);
    auto it = m_tokens.find(sha256(token));
    if (it == m_tokens.end())
        return std::nullopt;
    return it->second;
}

std::size_t TokenRegistry::size() const {
    std::lock_guard lock(m_mutex);
    return m_tokens.size();
}

std::variant<Principal, ApiError> authenticate(std::string_view header, Model& model,
                                               const TokenRegistry& tokens, Micros now) {
    while (!header.empty() && header.front() == ' ')
        header.remove_prefix(1);
    if (header.empty())
        return ApiError{401, "missing bearer token (Authorization: Bearer ...)"};
    const auto space = header.find(' ');
    if (space == std::string_view::npos || ascii_lower(header.substr(0, space)) != "bearer") {
        return ApiError{401, "the Authorization header must be 'Bearer <token>'"};
    }
    std::string_view value = header.substr(space);
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ')
        value.remove_suffix(1);
    if (value.empty())
        return ApiError{401, "empty bearer token"};
    const std::string token(value);

    if (auto dev = tokens.find(token)) {
        auto lock = model.lock();
        const User* u = model.first_user(Generation::v2);
        if (!u)
            return ApiError{401, "no user to act as"};
        Principal p;
        p.user_id = u->id;
        p.all_scopes = !dev->has_value();
        if (dev->has_value())
            p.scopes = **dev;
        return p;
    }
    auto lock = model.lock();
    const OAuthToken* t = model.token(sha256(token));
    if (!t || t->refresh)
        return ApiError{401, "invalid token"};
    if (t->expires_at <= now)
        return ApiError{401, "the access token has expired"};
    const OAuthFamily* f = model.family(t->family_id);
    if (!f || f->revoked)
        return ApiError{401, "the access token has been revoked"};
    Principal p;
    p.user_id = f->user_id;
    p.scopes = t->scopes;
    return p;
}

} // namespace fioemu
