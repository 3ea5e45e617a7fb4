// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/rest.hpp"
#include "fios/api/v4_model.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fios::api {

struct V4ClientOptions {
    /// Base URL, retries, pacing, traces, cancellation (api_base without `/v4`). The client
    /// fills `error_detail` (V4 error bodies) and `scoped_tokens` (false: V4 has no scopes).
    RestOptions rest;
    /// The token is a legacy developer token of a V4-migrated account: every request also
    /// sends `x-frameio-legacy-token-auth: true`.
    bool legacy_token_auth = false;
    /// page_size on folder lists (the document allows 1..500 there).
    int page_size = 500;
    /// page_size on every other list (the document allows 1..100 there).
    int small_page_size = 100;
    /// A listing that grows beyond this many items fails (a server that never ends a list).
    std::size_t max_list_items = 1'000'000;
};

/// MD5 of everything `body` produces, base64 (the `Content-MD5` header), reading it from the
/// start (rewound before and after). `cancel` tokens are checked between reads.
Result<std::string> content_md5(net::BodySource& body, const CancelToken* cancel = nullptr,
                                const CancelToken* also = nullptr);

/// What one list looked like on the wire: for each page, the XXH64 of its body and the cursor
/// it led to ("" on the last page). A later listing whose every page is byte-identical is the
/// same list, so its pages need no parsing.
struct ListFingerprint {
    struct Page {
        std::uint64_t body_hash = 0;
        std::string next; ///< decoded `after` cursor of the next page; "" on the last page
        friend bool operator==(const Page&, const Page&) = default;
    };
    std::vector<Page> pages;
    friend bool operator==(const ListFingerprint&, const ListFingerprint&) = default;

    /// A compact text form (for a caller that keeps it between runs), and back. decode()
    /// refuses anything encode() would not produce.
    [[nodiscard]] std::string encode() const;
    [[nodiscard]] static std::optional<ListFingerprint> decode(std::string_view text);
    /// Several fingerprints as one text, and back (exactly `count` of them).
    [[nodiscard]] static std::string
    encode_all(std::initializer_list<const ListFingerprint*> lists);
    [[nodiscard]] static std::optional<std::vector<ListFingerprint>>
    decode_all(std::string_view text, std::size_t count);
};

/// A list fetched against the fingerprint of an earlier listing of the same route and path.
template <class T>
struct ListSince {
    /// Every page came back byte-identical to `since`: `items` is empty, the caller's copy of
    /// the earlier list is current, and `fingerprint` is `since`.
    bool unchanged = false;
    std::vector<T> items;
    ListFingerprint fingerprint;
    /// When unchanged: parses the pages received (no request), for a caller that needs the
    /// items after all.
    std::function<Result<std::vector<T>>()> parse_pages;
};

/// Extracts the `after` cursor from a `links.next` (root-relative or absolute), decoded.
/// ErrorCode::parse when it has none.
Result<std::string> next_cursor(std::string_view next);

/// Typed Frame.io V4 client over the shared RestClient (docs/api-client.md, "V4"). Thread-safe.
/// Lists follow `links.next` by re-sending their own parameters plus `after`, de-duplicate by
/// id, and fail (ErrorCode::parse) on a repeated cursor, a page of only known ids, or more
/// than max_list_items items.
class V4Client {
public:
    V4Client(net::HttpTransport& transport, TokenProvider& tokens, const Clock& clock,
             net::Sleeper& sleeper, V4ClientOptions options = {});
    ~V4Client();
    V4Client(const V4Client&) = delete;
    V4Client& operator=(const V4Client&) = delete;

    // Identity and hierarchy.
    Result<v4::Profile> me();
    Result<std::vector<v4::Account>> accounts();
    Result<std::vector<v4::Workspace>> workspaces(const std::string& account_id);
    Result<std::vector<v4::Project>> projects(const std::string& account_id,
                                              const std::string& workspace_id);
    Result<v4::Project> project(const std::string& account_id, const std::string& project_id);
    /// A create (never repeated once it may have reached the server). For tests and demos.
    Result<v4::Project> create_project(const std::string& account_id,
                                       const std::string& workspace_id, const std::string& name);

    // Folders, files, version stacks.
    Result<v4::Folder> folder(const std::string& account_id, const std::string& folder_id);
    Result<std::vector<v4::Folder>> folder_folders(const std::string& account_id,
                                                   const std::string& folder_id);
    /// Files of a folder; the list may hold version stacks too (switch on Asset::type).
    Result<std::vector<v4::Asset>> folder_files(const std::string& account_id,
                                                const std::string& folder_id);
    Result<std::vector<v4::VersionStack>> folder_version_stacks(const std::string& account_id,
                                                                const std::string& folder_id);
    /// The three folder lists against an earlier fingerprint (`since` null or empty: a full
    /// listing, with its fingerprint). The same requests as above: a page that differs from
    /// `since` is parsed with the rest, never asked for twice.
    Result<ListSince<v4::Folder>> folder_folders_since(const std::string& account_id,
                                                       const std::string& folder_id,
                                                       const ListFingerprint* since);
    Result<ListSince<v4::Asset>> folder_files_since(const std::string& account_id,
                                                    const std::string& folder_id,
                                                    const ListFingerprint* since);
    Result<ListSince<v4::VersionStack>> folder_version_stacks_since(const std::string& account_id,
                                                                    const std::string& folder_id,
                                                                    const ListFingerprint* since);
    Result<v4::VersionStack> version_stack(const std::string& account_id,
                                           const std::string& stack_id);
    /// The versions of a stack, head first.
    Result<std::vector<v4::File>> version_stack_children(const std::string& account_id,
                                                         const std::string& stack_id);
    /// One file; with `media_links`, `include=media_links.original` (fresh download links).
    Result<v4::File> file(const std::string& account_id, const std::string& file_id,
                          bool media_links = true);
    Result<v4::FileUploadStatus> upload_status(const std::string& account_id,
                                               const std::string& file_id);

    // Creates: never repeated once they may have reached the server
    // (is_create_outcome_unknown).
    Result<v4::Folder> create_folder(const std::string& account_id, const std::string& parent_id,
                                     const std::string& name);
    /// POST /folders/{id}/files/local_upload: the placeholder File with its upload_urls
    /// (sizes chosen by the server: use them, never your own chunking). file_size >= 1.
    Result<v4::File> local_upload(const std::string& account_id, const std::string& parent_id,
                                  const std::string& name, std::uint64_t file_size);

    /// 204 is success; so is a 404 after an earlier attempt of the same call got no answer.
    Status delete_file(const std::string& account_id, const std::string& file_id);
    Status delete_folder(const std::string& account_id, const std::string& folder_id);

    // Transfers on pre-signed URLs: no Authorization header, no API rate limit.
    /// PUTs one part: Content-Type = media_type, x-amz-acl: private, Content-MD5 of the part
    /// (computed by reading `body` once before the PUT; the body is rewound for it and for
    /// retries). Retried on network errors, timeouts, 5xx and 429.
    Status upload_part(const std::string& url, const std::string& media_type, net::BodySource& body,
                       const CancelToken* cancel = nullptr);
    /// GETs a media link into `sink` (see RestClient::download). An expired link is
    /// ErrorCode::forbidden with http_status 403: fetch the file again for a fresh one.
    Result<DownloadResult> download(const std::string& url, std::optional<ByteRange> range,
                                    net::BodySink& sink, const CancelToken* cancel = nullptr);

    [[nodiscard]] const RateLimiter& rate_limiter() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace fios::api
