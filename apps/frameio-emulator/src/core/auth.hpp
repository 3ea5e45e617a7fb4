// SPDX-License-Identifier: MIT
#pragma once

#include "core/clock.hpp"
#include "core/errors.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fioemu {

class Model;
struct DevToken;

/// The scope vocabulary of Frame.io's published OpenAPI spec.
const std::vector<std::string>& scope_vocabulary();
bool is_known_scope(std::string_view scope);

/// Who is calling, and with which scopes.
struct Principal {
    std::string user_id;
    bool all_scopes = false;
    std::set<std::string> scopes;
    [[nodiscard]] bool has(std::string_view scope) const {
        return all_scopes || scopes.count(std::string(scope)) > 0;
    }
};

/// Developer tokens (from the command line, or added by the admin API). They never expire.
class TokenRegistry {
public:
    void add(const DevToken& t);
    bool revoke(const std::string& token);
    /// nullopt: unknown; otherwise the token's scopes (nullopt inside: every scope).
    std::optional<std::optional<std::set<std::string>>> find(const std::string& token) const;
    [[nodiscard]] std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::optional<std::set<std::string>>> m_tokens; ///< by SHA-256
};

/// Resolves `Authorization: Bearer ...` to a Principal, or a 401.
/// Takes the model lock itself (OAuth tokens live in the model).
std::variant<Principal, ApiError> authenticate(std::string_view authorization, Model& model,
                                               const TokenRegistry& tokens, Micros now);

} // namespace fioemu
