// SPDX-License-Identifier: MIT
#pragma once

// Shared steps of the frameio-emulator contract tests. Every test case starts its own emulator
// on port 0 (EmulatorProcess), so cases run in parallel under ctest without sharing state.
// Helpers throw std::runtime_error with the request and response when a step that is not under
// test fails, so that the failing case reports what the emulator said.

#include "emulator/http.hpp"
#include "support/process.hpp"

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fios::test::emu {

/// The developer token (all scopes) every emulator gets unless a test says otherwise.
inline constexpr const char* k_token = "contract-test-token";
inline constexpr const char* k_octet = "application/octet-stream";

struct EmuOptions {
    std::vector<std::string> args;
    bool rate_limited = false; ///< false adds --no-rate-limit
    bool default_token = true; ///< adds --token k_token
};

/// A running emulator plus an Api bound to it with k_token.
class Emu {
public:
    explicit Emu(EmuOptions options = {});
    explicit Emu(std::vector<std::string> args) : Emu(EmuOptions{std::move(args)}) {}

    [[nodiscard]] EmulatorProcess& process() { return *m_process; }
    [[nodiscard]] const std::string& base_url() const { return m_process->base_url(); }
    [[nodiscard]] Api api(const std::string& token = k_token) const {
        return Api(m_process->base_url(), token);
    }

private:
    std::unique_ptr<EmulatorProcess> m_process;
};

/// The arguments Emu adds for `options` (for tests that restart an emulator themselves).
std::vector<std::string> emulator_args(const EmuOptions& options);

// --- JSON access -----------------------------------------------------------------------------
/// Throws unless `status` matches; returns the parsed body.
rapidjson::Document expect_json(const HttpResponse& response, long status = 200);
const rapidjson::Value& member(const rapidjson::Value& object, const char* key);
std::string str(const rapidjson::Value& object, const char* key);
std::int64_t int64(const rapidjson::Value& object, const char* key);
bool is_null(const rapidjson::Value& object, const char* key);
/// Lower-case hex UUID (any version), as Frame.io ids are.
bool looks_like_uuid(const std::string& s);
/// ISO-8601 with exactly six fractional digits and Z, like 2022-06-10T15:32:06.228191Z.
bool looks_like_timestamp(const std::string& s);

// --- hierarchy and assets --------------------------------------------------------------------
std::string first_team_id(const Api& api);
/// Creates a project in the first team; returns the project JSON.
rapidjson::Document create_project(const Api& api, const std::string& name);
rapidjson::Document create_folder(const Api& api, const std::string& parent_id,
                                  const std::string& name);
/// Creates a file asset (not uploaded); the JSON includes upload_urls.
rapidjson::Document create_file(const Api& api, const std::string& parent_id,
                                const std::string& name, std::uint64_t size,
                                const std::string& filetype = k_octet);
rapidjson::Document get_asset(const Api& api, const std::string& id, const std::string& query = "");
/// Every child over all pages (follows total-pages); `query` is appended ("&include_deleted=1").
std::vector<rapidjson::Document> list_children(const Api& api, const std::string& id,
                                               int page_size = 50, const std::string& query = "");
/// Ids of `list_children`.
std::vector<std::string> child_ids(const Api& api, const std::string& id,
                                   const std::string& query = "");

// --- upload and download ---------------------------------------------------------------------
std::vector<std::string> upload_urls(const rapidjson::Value& asset);
/// The SDK's split: n parts of ceil(size / n) bytes, the last one the remainder.
std::vector<std::size_t> part_lengths(std::size_t size, std::size_t n);
/// PUTs one part with the headers the contract requires (overridable for negative tests).
HttpResponse put_part(const std::string& url, const std::string& bytes,
                      const std::string& content_type = k_octet, bool with_acl = true);
/// Uploads every part of `data` to the asset's upload_urls (throws on a non-200 part).
void upload_all(const rapidjson::Value& asset, const std::string& data,
                const std::string& content_type = k_octet);
/// Creates a file and uploads `data`; waits for upload_completed_at; returns the final asset.
rapidjson::Document upload_file(const Api& api, const std::string& parent_id,
                                const std::string& name, const std::string& data,
                                const std::string& content_type = k_octet);
/// Polls the asset until upload_completed_at is set (with a deadline); returns success.
bool wait_upload_completed(const Api& api, const std::string& id);
/// Plain GET of a URL with optional extra headers (no Authorization).
HttpResponse fetch(const std::string& url, std::vector<std::string> headers = {});

// --- errors --------------------------------------------------------------------------------
/// Checks the HTTPError shape {"code","message","errors":[{"code","status","title","detail"}]}
/// with code and status equal to the HTTP status; returns "" when it holds, else what is wrong.
std::string http_error_problem(const HttpResponse& response, long status);

// --- OAuth -----------------------------------------------------------------------------------
/// BASE64URL(SHA256(verifier)) without padding (RFC 7636 S256).
std::string pkce_s256(const std::string& verifier);
/// GET /oauth2/auth with the given parameters (empty values are left out).
HttpResponse oauth_authorize(const std::string& base_url, const std::string& client_id,
                             const std::string& redirect_uri, const std::string& scope,
                             const std::string& state, const std::string& challenge);
/// POST /oauth2/token with a form body of `fields` (name, value) pairs.
HttpResponse oauth_token(const std::string& base_url,
                         const std::vector<std::pair<std::string, std::string>>& fields);
struct OAuthGrant {
    std::string access_token;
    std::string refresh_token; ///< empty when none was issued
    std::int64_t expires_in = 0;
};
/// The whole PKCE code flow for `client_id` with a loopback redirect; throws on any failure.
OAuthGrant oauth_login(const std::string& base_url, const std::string& scope,
                       const std::string& client_id = "contract-tests",
                       const std::string& redirect_uri = "http://127.0.0.1:53682/callback");

// --- admin -----------------------------------------------------------------------------------
void advance_clock(const Api& api, std::int64_t seconds);

// --- data ------------------------------------------------------------------------------------
/// Deterministic pseudo-random bytes.
std::string make_bytes(std::size_t size, std::uint64_t seed);
/// XXH64, seed 0, as 16 lowercase hex digits (canonical big-endian form).
std::string xxh64_hex(const std::string& data);

} // namespace fios::test::emu
