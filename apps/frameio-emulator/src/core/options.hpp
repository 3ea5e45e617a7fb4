// SPDX-License-Identifier: MIT
#pragma once

#include "core/faults.hpp"
#include "core/rate_limit.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace fioemu {

/// A developer token from --token or --token-file. No scopes listed = every scope.
struct DevToken {
    std::string token;
    std::optional<std::set<std::string>> scopes;
};

/// A registered OAuth client (--oauth-client ID=URI).
struct OAuthClient {
    std::string id;
    std::string redirect_uri;
};

/// An Adobe Developer Console credential registered with --ims-client ID[:SECRET],type=...,
/// redirect=PATTERN. `web` authenticates with its secret; `spa` and `native` with PKCE.
struct ImsClient {
    enum class Type { web, spa, native };
    std::string id;
    std::optional<std::string> secret;
    Type type = Type::web;
    /// Redirect URI pattern: exact, or with `*` standing for one host label, the port digits,
    /// or characters of one path segment or of the query (ims/redirect_uri.hpp). Empty: any
    /// URI the type allows (open mode).
    std::string redirect;
};

/// A server-to-server credential (--ims-s2s ID:SECRET): client_credentials grant.
struct ImsS2sClient {
    std::string id;
    std::string secret;
};

constexpr std::int64_t k_mib = 1024 * 1024;
constexpr std::int64_t k_v4_default_part_size = 20'000'000;
constexpr std::int64_t k_ims_default_token_ttl = 86399;
constexpr std::int64_t k_ims_default_refresh_ttl = 14LL * 86400;
constexpr std::int64_t k_default_part_size = 20 * k_mib;
constexpr std::int64_t k_max_part_size = 5LL * 1024 * k_mib;        // S3: 5 GiB per part
constexpr std::int64_t k_max_file_size = 5LL * 1024 * 1024 * k_mib; // S3: 5 TiB per object
constexpr std::int64_t k_max_parts = 10'000;                        // S3: parts per upload

/// Every command-line setting (docs/emulator.md, "Command line").
struct Options {
    std::string host = "127.0.0.1";
    int port = 8765;
    std::string data_dir;
    std::string token_file;
    std::vector<DevToken> tokens;
    std::vector<std::string> teams;
    bool seed_demo = false;
    std::int64_t part_size = k_default_part_size;
    std::int64_t page_size_max = 500;
    std::int64_t url_ttl = 86400;
    double checksum_delay = 2.0;
    double no_checksum_rate = 0.0;
    std::int64_t token_ttl = 3600;
    std::vector<OAuthClient> oauth_clients;
    std::vector<RateClass> rate_limits;
    bool no_rate_limit = false;
    FaultConfig faults;
    int threads = 64;

    // Choices on behaviours the reference marks UNCONFIRMED (defaults: hardest on a client).
    std::int64_t refresh_ttl = 30LL * 24 * 3600;
    bool refresh_rotation = true;
    bool retry_after = false;
    int delete_status = 200; ///< V2 reference: a delete answers 200 with the deleted resource
    bool deleted_visible = false;
    bool folder_size_aggregate = true;
    bool parts_after_completion = false;
    std::string project_updated_on = "any";

    // V4 and Adobe IMS (docs/emulator.md, "V4" and "IMS").
    std::vector<std::string> v4_legacy_tokens; ///< --v4-legacy-token: need the legacy header
    std::vector<ImsClient> ims_clients;        ///< empty: open mode (any client, as `web`)
    std::vector<ImsS2sClient> ims_s2s_clients;
    bool ims_rotation = true;            ///< false: --ims-no-rotation
    bool ims_refresh_for_public = false; ///< --ims-refresh-for-public (UNCONFIRMED at Adobe)
    /// IMS lifetimes: --token-ttl / --refresh-ttl when given, else 86399 s and 14 days.
    std::int64_t ims_token_ttl = k_ims_default_token_ttl;
    std::int64_t ims_refresh_ttl = k_ims_default_refresh_ttl;
    std::int64_t v4_part_size = k_v4_default_part_size;
    bool v4_page_size_clamp = false; ///< --v4-page-size-policy clamp (default: 422)
    bool v4_lenient_query = false;   ///< --v4-lenient-query: ignore unknown query parameters
    bool v4_bump_ancestors = false;  ///< --v4-bump-ancestors: parents' updated_at follow changes
    double transcode_delay = 5.0;    ///< seconds from upload completion to `transcoded`
    double v4_complete_delay = 0.0;  ///< seconds from a V4 upload's last part to complete
    std::int64_t v4_link_ttl = 0;    ///< seconds; 0: links expire at the next UTC noon/midnight

    // Operational.
    int keep_alive_timeout = 5;
    int io_timeout = 30;
    bool quiet = false;
};

/// Parses the command line. Returns an exit code when the program must stop (0 after --help or
/// --version, 2 for a bad option, printed to `err`), or nullopt to run.
std::optional<int> parse_command_line(int argc, const char* const* argv, Options& out,
                                      std::ostream& out_stream, std::ostream& err);

/// Parses "TOKEN[:scope,scope...]"; returns an error message or nullopt.
std::optional<std::string> parse_token_spec(const std::string& spec, DevToken& out);

} // namespace fioemu
