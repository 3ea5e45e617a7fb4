// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/v4_model.hpp"
#include "fios/core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

/// The V4 JSON layer (v4_json.cpp; with json.cpp the only RapidJSON users). Every answer is
/// an envelope: `{"data": {...}}` for one object, `{"data": [...], "links": {"next": ...}}`
/// for a list page. Parsers take the endpoint (route pattern) so that an error names it and
/// the field: "GET /v4/accounts/{account_id}/folders/{folder_id}/files: item 3: field
/// 'file_size' is a string, expected an integer". Items are numbered from 0 in the page.
namespace fios::api::v4json {

Result<v4::Profile> parse_profile(std::string_view body, std::string_view endpoint);
Result<v4::Page<v4::Account>> parse_accounts(std::string_view body, std::string_view endpoint);
Result<v4::Page<v4::Workspace>> parse_workspaces(std::string_view body, std::string_view endpoint);
Result<v4::Project> parse_project(std::string_view body, std::string_view endpoint);
Result<v4::Page<v4::Project>> parse_projects(std::string_view body, std::string_view endpoint);
Result<v4::Folder> parse_folder(std::string_view body, std::string_view endpoint);
Result<v4::Page<v4::Folder>> parse_folders(std::string_view body, std::string_view endpoint);
/// `require_upload_urls`: a local_upload answer must carry a non-empty `upload_urls`.
Result<v4::File> parse_file(std::string_view body, std::string_view endpoint,
                            bool require_upload_urls = false);
Result<v4::Page<v4::File>> parse_files(std::string_view body, std::string_view endpoint);
/// A mixed list (files and version stacks, or any asset type): items switch on `type`; an
/// unknown type is kept as AssetType::other with its id.
Result<v4::Page<v4::Asset>> parse_assets(std::string_view body, std::string_view endpoint);
Result<v4::VersionStack> parse_version_stack(std::string_view body, std::string_view endpoint);
Result<v4::Page<v4::VersionStack>> parse_version_stacks(std::string_view body,
                                                        std::string_view endpoint);
Result<v4::FileUploadStatus> parse_upload_status(std::string_view body, std::string_view endpoint);

/// A short diagnostic from a V4 error body (`{"errors":[{"detail","title"?,"source"?}]}`):
/// the details, with their `source.pointer`; empty when the body is not one. At most ~300
/// characters, control characters replaced.
std::string error_detail(std::string_view body);

// Request bodies, `{"data": {...}}`.
std::string name_body(std::string_view name); ///< create folder
std::string local_upload_body(std::string_view name, std::uint64_t file_size);

} // namespace fios::api::v4json
