// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/// Frame.io V4 objects as plain values: only the fields a sync client reads, as the official
/// OpenAPI document (../shared/fixtures/frameio-v4/openapi.json) defines them. std::optional
/// marks what the API may send as null or leave out; everything else is required and checked
/// by the parser (v4_json.cpp). docs/api-client.md, "V4", has the field table.
namespace fios::api::v4 {

/// GET /v4/me (`Profile`): no account id in V4; accounts come from GET /v4/accounts.
struct Profile {
    std::string id; ///< opaque (not always a UUID for Adobe users)
    std::string name;
    std::string email;
};

struct Account {
    std::string id;
    std::string display_name;
    std::vector<std::string> roles;
    TimePoint created_at{};
    TimePoint updated_at{};
};

struct Workspace {
    std::string id;
    std::string name;
    std::string account_id;
    TimePoint created_at{};
    TimePoint updated_at{};
};

struct Project {
    std::string id;
    std::string name;
    std::string workspace_id;
    std::string root_folder_id; ///< every tree starts there
    std::string status;         ///< "active" or "inactive"
    std::int64_t storage = 0;   ///< bytes
    TimePoint created_at{};
    TimePoint updated_at{};
};

enum class FileStatus : std::uint8_t {
    created,    ///< placeholder: not every byte arrived
    uploaded,   ///< bytes stored, original downloadable
    transcoded, ///< renditions ready too
    other,      ///< a value outside the document's enum (kept in File::status_name)
};

/// `media_links.original`: both keys required, both nullable (null before the upload
/// completed, for failed uploads, or under watermark restrictions).
struct OriginalLink {
    std::optional<std::string> download_url; ///< pre-signed: a SECRET, expires
    std::optional<std::string> inline_url;   ///< pre-signed: a SECRET, expires
};

/// One `upload_urls` entry of a local upload: PUT exactly `size` bytes to `url`.
struct UploadUrl {
    std::uint64_t size = 0;
    std::string url; ///< pre-signed: a SECRET
};

struct File {
    std::string id;
    std::string name;
    std::optional<std::string> parent_id; ///< a folder or a version stack
    std::string project_id;
    TimePoint created_at{};
    TimePoint updated_at{};
    std::uint64_t file_size = 0;
    std::string media_type;
    FileStatus status = FileStatus::created;
    std::string status_name;
    std::optional<OriginalLink> original; ///< with include=media_links.original only
    std::vector<UploadUrl> upload_urls;   ///< in a local_upload answer only

    /// `status` is uploaded or transcoded: every byte is stored.
    [[nodiscard]] bool upload_completed() const noexcept {
        return status == FileStatus::uploaded || status == FileStatus::transcoded;
    }
};

struct Folder {
    std::string id;
    std::string name;
    std::optional<std::string> parent_id; ///< null for a project's root folder
    std::string project_id;
    TimePoint created_at{};
    TimePoint updated_at{};
};

struct VersionStack {
    std::string id;
    std::string name;
    std::optional<std::string> parent_id;
    std::string project_id;
    TimePoint created_at{};
    TimePoint updated_at{};
    /// The top version. Required but nullable in VersionStackWithIncludes.
    std::optional<File> head_version;
};

enum class AssetType : std::uint8_t { file, folder, version_stack, other };

/// One item of a mixed list (`/folders/{id}/files` may hold version stacks): switch on type.
struct Asset {
    AssetType type = AssetType::other;
    std::string type_name;
    std::string id;
    File file;          ///< type == file
    Folder folder;      ///< type == folder
    VersionStack stack; ///< type == version_stack
};

/// GET /files/{id}/status (`FileUploadStatus`).
struct FileUploadStatus {
    std::string id;
    std::string filetype;
    bool upload_complete = false;
    bool upload_failed = false;
    std::optional<TimePoint> uploaded_at;
    std::optional<TimePoint> upload_completed_at;
};

/// One page of a V4 list: its items and `links.next` (null on the last page).
template <class T>
struct Page {
    std::vector<T> items;
    std::optional<std::string> next;
};

} // namespace fios::api::v4
