// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::api {

/// Frame.io V2 objects as plain values: only the fields a sync client reads (see
/// docs/api-client.md, "Fields"). std::optional marks what the API may send as null or leave
/// out; everything else is required and checked by the parser.

using TimePoint = std::chrono::system_clock::time_point;

struct User {
    std::string id;
    std::string account_id; ///< the user's own account
    std::optional<std::string> name;
    std::optional<std::string> email;
};

struct Account {
    std::string id;
    std::optional<std::string> display_name;
    std::optional<std::string> company_name;
    std::optional<std::string> owner_id;
};

struct Team {
    std::string id;
    std::string name;
    std::string account_id;
};

struct Project {
    std::string id;
    std::string name;
    std::string team_id;
    std::string root_asset_id; ///< the tree root: create and list under this
    std::optional<std::string> owner_id;
    bool is_private = false; ///< `private` (false when the API leaves it out)
    std::int64_t file_count = 0;
    std::int64_t folder_count = 0;
    std::int64_t storage = 0; ///< bytes
    TimePoint inserted_at{};
    TimePoint updated_at{};
    std::optional<TimePoint> deleted_at;
};

enum class AssetType {
    file,
    folder,
    version_stack,
    other, ///< a type this client does not know (the spec also lists "bundle"): skip it
};
std::string_view to_string(AssetType type);

struct Asset {
    std::string id;
    AssetType type = AssetType::other;
    std::string type_name; ///< the `type` string as sent
    std::string name;
    std::optional<std::string> parent_id; ///< null for a project's root asset
    std::string project_id;
    std::optional<std::string> account_id;
    std::optional<std::string> team_id;
    std::int64_t filesize = 0;                    ///< bytes; a version stack: sum of its versions
    std::optional<std::string> filetype;          ///< MIME type; null for folders and stacks
    std::int64_t item_count = 0;                  ///< folders and stacks: direct items
    std::int64_t versions = 0;                    ///< version stacks: number of versions
    std::optional<std::string> cover_asset_id;    ///< version stacks: the head version
    std::optional<double> index;                  ///< custom sort order in the parent
    std::optional<TimePoint> upload_completed_at; ///< null while parts are missing
    std::optional<TimePoint> deleted_at;
    TimePoint inserted_at{};
    TimePoint updated_at{};
    std::optional<std::string> xx_hash;   ///< checksums.xx_hash: 16 lower-case hex digits
    std::optional<std::string> original;  ///< pre-signed download URL: a secret, never log
    std::vector<std::string> upload_urls; ///< create-file response only: secrets
    std::optional<std::string> status;    ///< e.g. "uploaded", "transcoded"
    std::optional<std::string> label;
    bool is_session_watermarked = false;
};

/// Parses the API's ISO-8601 UTC timestamps: "2022-06-10T15:32:06.228191Z" (0 to 9
/// fraction digits; "Z" or a numeric offset "+01:00"). Anything else is ErrorCode::parse.
Result<TimePoint> parse_timestamp(std::string_view text);

/// Formats as the API writes timestamps: "2022-06-10T15:32:06.228191Z" (microseconds, UTC),
/// e.g. for the `updated_at` search filter.
std::string format_timestamp(TimePoint t);

} // namespace fios::api
