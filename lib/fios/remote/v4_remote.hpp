// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/v4_client.hpp"
#include "fios/core/task_threads.hpp"
#include "fios/remote/remote.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

namespace fios::remote {

struct V4RemoteOptions {
    /// Also list `/folders/{id}/version_stacks` (the reference leaves open whether `/files`
    /// lists stacks; the emulator's does): one more request per folder, items de-duplicated.
    bool list_version_stacks = true;
};

/// Remote over the Frame.io V4 API (api::V4Client), for one account. Thread-safe as the
/// client is.
///
/// V4 particulars handled here:
/// - A folder is listed with `/folders`, `/files` (which may hold version stacks: switched on
///   `type`) and `/version_stacks`, de-duplicated by id. A stack is one item whose content
///   facts are its `head_version`'s (when a listing leaves head_version null, the stack is
///   fetched, then its children, head first).
/// - Ids do not say what they name and every kind has its own route: item() and
///   delete_asset() use the kind seen in a listing or a create; unknown ids are tried as a
///   file, then a version stack, then a folder.
/// - upload_completed = `status` uploaded or transcoded. No checksum (has_content_checksum
///   false): verification falls back to completion plus size. item() of a file also asks
///   GET /files/{id}/status (paced by its own route limit, 5/s): complete only when
///   `upload_complete` says so too, and `upload_failed` is taken from there. A listing asks
///   the status of its incomplete files only (a failed upload looks like one in progress).
/// - create_file: local_upload; parts exactly as `upload_urls` sizes them; the session's
///   content type is the server's `media_type`. An empty file cannot be uploaded on V4.
/// - upload_part: Content-Type, x-amz-acl: private and Content-MD5 of the part.
/// - download: a fresh `media_links.original.download_url` right before each transfer; a
///   403 on it (expired) gets one more fresh link and one more try.
class V4Remote final : public Remote {
public:
    /// Folders listed per second at most: each of the three listing routes (folders, files,
    /// version stacks) allows 5 calls per second per account user (their OpenAPI
    /// descriptions; docs/frameio-api-notes.md), and a folder takes one call of each.
    static constexpr double k_folder_listings_per_second = 5;

    /// `client` must outlive this object.
    V4Remote(api::V4Client& client, std::string account_id, V4RemoteOptions options = {})
        : m_client(client), m_account(std::move(account_id)), m_options(options) {}

    [[nodiscard]] Capabilities capabilities() const override;
    Result<std::vector<Item>> list_folder(const std::string& folder_id,
                                          bool include_deleted = false) override;
    /// The tag holds the three routes' fingerprints (api::ListFingerprint); a listing that
    /// had to ask more than the three routes (an incomplete file's upload status, a stack
    /// without its head) gets none, as those answers may change while the listing does not.
    Result<FolderListing> list_folder_since(const std::string& folder_id,
                                            std::string_view since) override;
    Result<Item> item(const std::string& id) override;
    Result<std::vector<Item>> find_by_name(const std::string& folder_id,
                                           std::string_view name) override;
    Result<Item> create_folder(const std::string& parent_id, const std::string& name) override;
    Result<UploadSession> create_file(const std::string& parent_id, const std::string& name,
                                      std::uint64_t filesize,
                                      const CreateFileOptions& options = {}) override;
    Status upload_part(const UploadSession& session, std::size_t index, net::BodySource& body,
                       const CancelToken* cancel = nullptr) override;
    Result<DownloadResponse> download(const DownloadRequest& request, net::BodySink& sink,
                                      const CancelToken* cancel = nullptr) override;
    Status delete_asset(const std::string& asset_id) override;

    [[nodiscard]] const std::string& account_id() const noexcept { return m_account; }

    /// Items for V4 objects (exposed for tests). A stack without a head has no content:
    /// head_asset_id empty, upload_completed false.
    static Item file_item(const api::v4::File& file);
    static Item folder_item(const api::v4::Folder& folder);
    static Item stack_item(const api::v4::VersionStack& stack);

private:
    Result<Item> resolve_stack(const api::v4::VersionStack& stack);
    /// Refines a file item's upload_completed / upload_failed from its upload status.
    Status apply_upload_status(Item& item);
    void remember(const std::string& id, ItemKind kind);
    std::optional<ItemKind> kind_of(const std::string& id) const;

    api::V4Client& m_client;
    std::string m_account;
    V4RemoteOptions m_options;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, ItemKind> m_kinds;
    /// Ask a listing's folders and version stacks routes beside its files route: two per
    /// scanner thread at most (the scanner runs up to 8). Last member: joined first.
    TaskThreads m_helpers{16};
};

} // namespace fios::remote
