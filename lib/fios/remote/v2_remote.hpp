// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/client.hpp"
#include "fios/remote/remote.hpp"

namespace fios::remote {

/// Remote over the Frame.io V2 API (api::V2Client). Thread-safe as the client is.
///
/// V2 particulars handled here:
/// - A version stack is listed as one item; its head (`cover_asset_id`) is fetched with
///   GET /v2/assets/{head} for the content facts (one extra request per stack; when a stack
///   has no cover_asset_id, its versions are listed and the first one is the head, as the
///   SDK does).
/// - Folders report filesize 0 here (V2 may send an aggregate).
/// - Parts are cut with api::compute_part_ranges over the create response's upload_urls.
/// - download() GETs the asset first for a fresh `original` URL.
/// - Checksums: `checksums.xx_hash` (has_content_checksum = true).
class V2Remote final : public Remote {
public:
    /// `client` must outlive this object.
    explicit V2Remote(api::V2Client& client) : m_client(client) {}

    [[nodiscard]] Capabilities capabilities() const override;
    Result<std::vector<Item>> list_folder(const std::string& folder_id,
                                          bool include_deleted = false) override;
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

    /// The Item for one V2 asset as listed, without resolving a stack's head (exposed for
    /// tests and for a scanner that already holds the assets).
    static Item to_item(const api::Asset& asset);

private:
    Result<Item> resolve_stack(Item stack, const std::optional<std::string>& cover_id);

    api::V2Client& m_client;
};

} // namespace fios::remote
