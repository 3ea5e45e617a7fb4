// SPDX-License-Identifier: MIT
#pragma once

// Shared steps of the V4 contract tests. A V4 test talks to /v4 with the legacy developer
// token k_v4_token (registered with --v4-legacy-token, sent with x-frameio-legacy-token-auth),
// unless it is testing Adobe IMS logins. Bodies are built and read with rapidjson, never with
// lib/fios, so the emulator is checked independently of the client it serves.

#include "emulator/emulator_fixture.hpp"
#include "emulator/http.hpp"

#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace fios::test::emu {

/// The legacy developer token of the seeded V4 account every V4Emu registers.
inline constexpr const char* k_v4_token = "v4-contract-legacy-token";

/// EmuOptions for V4 tests: --v4-legacy-token k_v4_token plus `args`.
EmuOptions v4_options(std::vector<std::string> args = {}, bool rate_limited = false);

/// Bound to one emulator and one V4 credential: an IMS access token (legacy = false) or a
/// legacy developer token (legacy = true adds x-frameio-legacy-token-auth: true).
class V4Api {
public:
    V4Api(std::string base_url, std::string token, bool legacy)
        : m_api(std::move(base_url), std::move(token)), m_legacy(legacy) {}

    [[nodiscard]] const std::string& base_url() const { return m_api.base_url(); }
    /// `path` is appended to the base URL ("/v4/me"); it may carry a query string.
    [[nodiscard]] HttpResponse get(const std::string& path) const;
    [[nodiscard]] HttpResponse del(const std::string& path) const;
    /// `json` is sent as is (tests wrap it in {"data": ...} themselves).
    [[nodiscard]] HttpResponse post(const std::string& path, const std::string& json) const;
    [[nodiscard]] HttpResponse patch(const std::string& path, const std::string& json) const;
    [[nodiscard]] HttpResponse send(const std::string& method, const std::string& path,
                                    const std::optional<std::string>& body,
                                    std::vector<std::string> extra_headers = {}) const;

private:
    Api m_api;
    bool m_legacy;
};

/// An emulator for V4 tests with a V4Api on k_v4_token.
class V4Emu {
public:
    explicit V4Emu(std::vector<std::string> args = {}, bool rate_limited = false)
        : m_emu(v4_options(std::move(args), rate_limited)) {}

    [[nodiscard]] EmulatorProcess& process() { return m_emu.process(); }
    [[nodiscard]] const std::string& base_url() const { return m_emu.base_url(); }
    [[nodiscard]] V4Api api() const { return V4Api(base_url(), k_v4_token, true); }
    /// The V2 Api (k_token) of the same emulator.
    [[nodiscard]] Api v2_api() const { return m_emu.api(); }

private:
    Emu m_emu;
};

/// GET /v4/accounts: the id of the caller's only account.
std::string v4_account_id(const V4Api& api);
/// The first workspace of the account.
std::string v4_workspace_id(const V4Api& api, const std::string& account_id);
/// Every item of a V4 list, following links.next (at most 1000 pages); `path` may carry a
/// query string, which is re-sent with every page (as a robust client does).
std::vector<rapidjson::Document> v4_list_all(const V4Api& api, const std::string& path);
/// {"data": <object>} of a 200/201 answer; throws naming the request otherwise.
rapidjson::Document v4_data(const HttpResponse& response, long status = 200);

/// Signs in through the emulator's IMS in open mode (GET /ims/authorize/v2, PKCE S256, then
/// POST /ims/token/v3) and returns the access token; throws on any failure.
std::string ims_login(
    const std::string& base_url,
    const std::string& scope = "openid,AdobeID,email,profile,offline_access,additional_info.roles");

} // namespace fios::test::emu
