// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/model/entry.hpp"
#include "fios/net/http.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The backend-neutral seam between the sync engine (and the remote scanner, and transfer/)
/// and a Frame.io API version. Everything V2-specific (`cover_asset_id`, `upload_urls` as
/// bare strings, `original` URLs that must be re-fetched, `checksums.xx_hash`) stays inside
/// V2Remote; a V4 backend implements the same interface. docs/transfer.md has the overview.
///
/// Ids are opaque strings. Names are raw (exactly as the server has them): mapping a name to
/// a local path is scan/path_map's job, never this module's.
namespace fios::remote {

using TimePoint = model::TimePoint;

/// What an item of a folder is.
enum class ItemKind : std::uint8_t {
    file,
    folder,
    version_stack, ///< one file at its name whose content is the head version
};

std::string_view to_string(ItemKind kind) noexcept;

/// One item of a remote folder, or one asset's fresh state.
///
/// For a version stack, `id` is the stack (the thing that sits in the folder) and every
/// *content* field (filesize, upload_completed, checksum, created_at, updated_at) describes
/// the head version, whose id is `head_asset_id`. For files and folders `head_asset_id` is
/// empty. content_id() is the asset whose bytes are "the file" in both cases: download it,
/// verify it, record it.
struct Item {
    std::string id;
    ItemKind kind = ItemKind::file;
    std::string name;              ///< raw remote name (a stack: its head's name, as V2 reports it)
    std::string parent_id;         ///< the containing folder ("" for a project's root folder)
    std::uint64_t filesize = 0;    ///< bytes; folders: 0 (never an aggregate)
    bool upload_completed = false; ///< every part landed (folders: true)
    /// Frame.io gave up on this upload: every part may have arrived, yet the file will never
    /// complete nor become downloadable (V4 `upload_failed` of GET /files/{id}/status; V2:
    /// always false). Only a new upload can fix it; upload_completed is false.
    bool upload_failed = false;
    std::optional<std::string> checksum; ///< XXH64, 16 lowercase hex digits, when the backend
                                         ///< computed one (never on V4)
    TimePoint created_at{};
    TimePoint updated_at{};
    bool deleted = false;      ///< soft-deleted (only seen when asked for deleted items)
    std::string head_asset_id; ///< version stacks: the current head version
    /// Folders and stacks: number of direct items when the backend says (V2 item_count).
    /// A remote scanner may skip listing a folder that reports 0.
    std::optional<std::uint64_t> item_count;

    /// The asset holding the bytes: head_asset_id for a stack, id otherwise.
    [[nodiscard]] const std::string& content_id() const noexcept {
        return kind == ItemKind::version_stack ? head_asset_id : id;
    }
    friend bool operator==(const Item&, const Item&) = default;
};

/// What a backend can do; the engine asks instead of knowing which backend it talks to.
struct Capabilities {
    /// Items carry an XXH64 `checksum` once computed (V2: true; V4: false, verify by size).
    bool has_content_checksum = false;
    /// create_file's part URLs stay usable across process restarts for a while, so an
    /// interrupted upload can be resumed with its missing parts (both V2 and V4: ~24 h).
    bool resumable_uploads = true;
    /// A file of 0 bytes can be uploaded (V2: yes; V4: no, local_upload's `file_size` has
    /// `minimum: 1` in the OpenAPI document and a 0 is refused with 422).
    bool uploads_empty_files = true;
};

/// One part of an upload: PUT exactly `length` bytes of the file, from `offset`, to `url`.
struct UploadPart {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::string url; ///< pre-signed: a SECRET (never log it, never put it in an error)
    friend bool operator==(const UploadPart&, const UploadPart&) = default;
};

/// A created file asset waiting for its bytes. The engine persists it (encode_session) as
/// soon as Uploader reports it, so that a later run can resume with the missing parts.
/// Contains secrets (the part URLs): store it only where tokens may be stored.
struct UploadSession {
    std::string asset_id;
    std::string parent_id;
    std::string name;
    std::uint64_t filesize = 0;
    std::string content_type;      ///< sent with every part (V2: the `filetype` of the create)
    std::vector<UploadPart> parts; ///< in file order; contiguous; lengths sum to filesize
    friend bool operator==(const UploadSession&, const UploadSession&) = default;
};

/// A line-based text form of a session for the journal (one opaque TEXT column), and back.
/// decode_session fails (ErrorCode::parse) on anything encode_session did not produce.
std::string encode_session(const UploadSession& session);
Result<UploadSession> decode_session(std::string_view text);

/// Inclusive byte range of a download.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

struct DownloadRequest {
    std::string asset_id; ///< a file asset (a stack's head: Item::content_id())
    std::optional<ByteRange> range;
    /// When set, the transfer does not start unless the asset still has exactly this size
    /// (DownloadState::size_changed): resuming a temporary file is only valid for the same
    /// bytes.
    std::optional<std::uint64_t> expected_size;
};

enum class DownloadState : std::uint8_t {
    transferred,      ///< bytes were written to the sink (see DownloadResponse::bytes)
    not_ready,        ///< the upload of this asset is not complete: nothing to fetch yet
    size_changed,     ///< expected_size did not match: nothing written
    not_downloadable, ///< no original available (permissions, watermarked): nothing written
};

/// A folder's items, as list_folder gives them, and a tag for a later list_folder_since.
struct FolderListing {
    /// The server answered byte for byte as it did for the listing `since` came from: `items`
    /// is empty and the caller's copy of that listing is current.
    bool unchanged = false;
    std::vector<Item> items;
    /// Opaque (backend-defined); empty when the backend cannot vouch for a later comparison,
    /// and then every listing is a full one.
    std::string tag;
};

struct DownloadResponse {
    DownloadState state = DownloadState::transferred;
    Item item;               ///< the asset's state fetched right before the transfer
    std::uint64_t bytes = 0; ///< written to the sink
    std::optional<std::uint64_t> total_size; ///< from Content-Range, when sent
};

/// Options of create_file.
struct CreateFileOptions {
    /// MIME type; empty = guess_content_type(name). V4 ignores it (derived from the name).
    std::string content_type;
};

/// A Frame.io backend. Implementations are thread-safe: the scanner, the engine and every
/// transfer worker share one instance. Each call retries what is safe to retry (network
/// errors, 5xx of idempotent requests, 429) before returning; an Error's retryable() says
/// whether trying later can help. ErrorCode::unauthorized, ::cancelled are run-wide.
class Remote {
public:
    virtual ~Remote() = default;

    [[nodiscard]] virtual Capabilities capabilities() const = 0;

    /// The items of a folder (a project's root folder or any folder): files, folders and
    /// version stacks (with their head's content facts; the versions inside a stack are
    /// never items of the folder). Items of unknown kinds are left out. All pages.
    /// Deleted items only with `include_deleted`.
    virtual Result<std::vector<Item>> list_folder(const std::string& folder_id,
                                                  bool include_deleted = false) = 0;

    /// list_folder (no deleted items), told the tag of the caller's last listing of this
    /// folder ("" for none). The default keeps no tags: always the full listing, tag "".
    virtual Result<FolderListing> list_folder_since(const std::string& folder_id,
                                                    std::string_view since);

    /// One item's fresh state (for verification polling and re-checks). A stack resolves
    /// its head. Deleted items come back with deleted = true; a purged or unknown id is
    /// ErrorCode::not_found. A file's upload_completed and upload_failed are as authoritative
    /// as the backend allows (V4: the upload status route, not only the file's `status`).
    virtual Result<Item> item(const std::string& id) = 0;

    /// Items of `folder_id` named exactly `name` (byte for byte), deleted ones excluded,
    /// incomplete uploads included. Resolves a create whose outcome is unknown
    /// (is_outcome_unknown): look before creating again.
    virtual Result<std::vector<Item>> find_by_name(const std::string& folder_id,
                                                   std::string_view name) = 0;

    /// Creates a folder. NOT retried once the request may have reached the server: an
    /// error for which is_outcome_unknown() is true means "maybe created": find_by_name.
    virtual Result<Item> create_folder(const std::string& parent_id, const std::string& name) = 0;

    /// Creates a file asset of `filesize` bytes and returns its upload plan. Same rule on
    /// unknown outcomes as create_folder.
    virtual Result<UploadSession> create_file(const std::string& parent_id, const std::string& name,
                                              std::uint64_t filesize,
                                              const CreateFileOptions& options = {}) = 0;

    /// PUTs part `index` of `session`, streamed from `body` (size() == the part's length;
    /// rewound for retries). Network errors and 5xx are retried inside. An expired URL
    /// gives ErrorCode::forbidden, an upload that completed or was deleted
    /// ErrorCode::not_found: the session cannot be continued.
    /// `cancel` ends this transfer promptly with ErrorCode::cancelled.
    virtual Status upload_part(const UploadSession& session, std::size_t index,
                               net::BodySource& body, const CancelToken* cancel = nullptr) = 0;

    /// Streams the asset's bytes (or `range` of them) into `sink`. V2 fetches the asset
    /// each time for a fresh signed URL (they expire), so every call may start or resume a
    /// download. Transient failures are retried only while nothing reached the sink; after
    /// that a retryable error comes back and the caller resumes with a range from the
    /// bytes it has. States other than `transferred` wrote nothing.
    virtual Result<DownloadResponse> download(const DownloadRequest& request, net::BodySink& sink,
                                              const CancelToken* cancel = nullptr) = 0;

    /// Deletes an asset (soft delete). Only ever used on our own unverified uploads, to
    /// upload again. Deleting an already deleted asset is success.
    virtual Status delete_asset(const std::string& asset_id) = 0;
};

/// The part of upload_part both backends share: checks that `index` names a part of `session`
/// and that `body` has its length, calls `put(url)`, and names the part in an error.
Status put_session_part(const UploadSession& session, std::size_t index,
                        const net::BodySource& body,
                        const std::function<Status(const std::string& url)>& put);

/// True for the error a create returns when the request was sent but its answer was lost
/// (network error, timeout, 5xx): the item may or may not exist. Not retryable as such:
/// resolve with find_by_name first.
bool is_outcome_unknown(const Error& error);

/// MIME type from a file name's extension (case-insensitive): "clip.MOV" ->
/// "video/quicktime"; unknown -> "application/octet-stream". Deterministic, so a resumed
/// session sends the same Content-Type as the create did.
std::string guess_content_type(std::string_view name);

} // namespace fios::remote
