// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/model.hpp"
#include "fios/core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The API module's JSON layer. json.cpp is the only file of the library that includes
/// RapidJSON; nothing here exposes its types.
///
/// Parsers take the endpoint (route pattern, e.g. "GET /v2/assets/{id}/children") so that
/// an error names it: a missing field or a wrong type is ErrorCode::parse with a message like
/// "GET /v2/assets/{id}/children: item 3: field 'filesize' is a string, expected an integer".
/// Items of a list are numbered from 0 within the response. Nullable fields accept null.
namespace fios::api::json {

Result<User> parse_user(std::string_view body, std::string_view endpoint);
Result<Account> parse_account(std::string_view body, std::string_view endpoint);
Result<std::vector<Account>> parse_accounts(std::string_view body, std::string_view endpoint);
Result<Team> parse_team(std::string_view body, std::string_view endpoint);
Result<std::vector<Team>> parse_teams(std::string_view body, std::string_view endpoint);
Result<Project> parse_project(std::string_view body, std::string_view endpoint);
Result<std::vector<Project>> parse_projects(std::string_view body, std::string_view endpoint);

/// `require_upload_urls`: the create-file response must carry a non-empty `upload_urls`.
Result<Asset> parse_asset(std::string_view body, std::string_view endpoint,
                          bool require_upload_urls = false);
Result<std::vector<Asset>> parse_assets(std::string_view body, std::string_view endpoint);

/// A short diagnostic from an HTTPError body ({"message", "errors":[{"detail"}]}); empty
/// when the body is not one. Never more than ~300 characters.
std::string error_detail(std::string_view body);

// Request bodies.
std::string folder_body(std::string_view name);
std::string file_body(std::string_view name, std::string_view filetype, std::uint64_t filesize);
std::string project_body(std::string_view name, bool is_private);
std::string rename_body(std::string_view name);
std::string version_body(std::string_view next_asset_id);

struct SearchBody {
    std::optional<std::string> account_id;
    std::string project_id;
    std::string updated_since; ///< already formatted (format_timestamp)
    int page = 1;
    int page_size = 500;
};
std::string search_body(const SearchBody& search);

} // namespace fios::api::json
