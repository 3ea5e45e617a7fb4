// SPDX-License-Identifier: MIT
#include "fios/remote/v4_remote.hpp"

#include <future>
#include <unordered_set>
#include <utility>

namespace fios::remote {

namespace {

void take_head(Item& stack, const api::v4::File& head) {
    stack.head_asset_id = head.id;
    stack.filesize = head.file_size;
    stack.upload_completed = head.upload_completed();
    stack.checksum.reset();
    stack.created_at = head.created_at;
    stack.updated_at = head.updated_at;
}

template <class T>
Status parse_if_unchanged(api::ListSince<T>& list) {
    if (!list.unchanged)
        return {};
    auto items = list.parse_pages();
    if (!items)
        return items.error();
    list.items = std::move(*items);
    return {};
}

} // namespace

Item V4Remote::file_item(const api::v4::File& f) {
    Item item;
    item.id = f.id;
    item.kind = ItemKind::file;
    item.name = f.name;
    item.parent_id = f.parent_id.value_or(std::string{});
    item.filesize = f.file_size;
    item.upload_completed = f.upload_completed();
    item.created_at = f.created_at;
    item.updated_at = f.updated_at;
    return item;
}

Item V4Remote::folder_item(const api::v4::Folder& f) {
    Item item;
    item.id = f.id;
    item.kind = ItemKind::folder;
    item.name = f.name;
    item.parent_id = f.parent_id.value_or(std::string{});
    item.upload_completed = true;
    item.created_at = f.created_at;
    item.updated_at = f.updated_at;
    return item;
}

Item V4Remote::stack_item(const api::v4::VersionStack& s) {
    Item item;
    item.id = s.id;
    item.kind = ItemKind::version_stack;
    item.name = s.name;
    item.parent_id = s.parent_id.value_or(std::string{});
    item.created_at = s.created_at;
    item.updated_at = s.updated_at;
    if (s.head_version)
        take_head(item, *s.head_version);
    return item;
}

Capabilities V4Remote::capabilities() const {
    Capabilities c;
    c.has_content_checksum = false;
    c.resumable_uploads = true;
    c.uploads_empty_files = false;
    return c;
}

void V4Remote::remember(const std::string& id, ItemKind kind) {
    std::lock_guard lock(m_mutex);
    m_kinds[id] = kind;
}

std::optional<ItemKind> V4Remote::kind_of(const std::string& id) const {
    std::lock_guard lock(m_mutex);
    auto it = m_kinds.find(id);
    if (it == m_kinds.end())
        return std::nullopt;
    return it->second;
}

Result<Item> V4Remote::resolve_stack(const api::v4::VersionStack& stack) {
    if (stack.head_version)
        return stack_item(stack);
    // head_version may be null in VersionStackWithIncludes: ask the stack, then its versions
    // (head first).
    auto shown = m_client.version_stack(m_account, stack.id);
    if (!shown)
        return shown.error().with_context("version stack '" + stack.id + "'");
    if (shown->head_version)
        return stack_item(*shown);
    auto versions = m_client.version_stack_children(m_account, stack.id);
    if (!versions)
        return versions.error().with_context("version stack '" + stack.id + "'");
    Item item = stack_item(stack);
    if (!versions->empty())
        take_head(item, versions->front());
    return item;
}

Result<std::vector<Item>>
V4Remote::list_folder(const std::string& folder_id,
                      bool /*include_deleted: V4 lists no deleted items*/) {
    auto listing = list_folder_since(folder_id, {});
    if (!listing)
        return listing.error();
    return std::move(listing->items);
}

Result<FolderListing> V4Remote::list_folder_since(const std::string& folder_id,
                                                  std::string_view since) {
    // The tag: the fingerprints of the folders, files and version stacks routes.
    const auto earlier = since.empty() ? std::nullopt : api::ListFingerprint::decode_all(since, 3);
    auto since_of = [&](std::size_t route) -> const api::ListFingerprint* {
        return earlier ? &(*earlier)[route] : nullptr;
    };
    // Three routes, three rate-limit buckets: ask them at once.
    auto folders_future = m_helpers.submit(
        [&] { return m_client.folder_folders_since(m_account, folder_id, since_of(0)); });
    std::future<Result<api::ListSince<api::v4::VersionStack>>> stacks_future;
    if (m_options.list_version_stacks) {
        stacks_future = m_helpers.submit([&] {
            return m_client.folder_version_stacks_since(m_account, folder_id, since_of(2));
        });
    }
    auto files = m_client.folder_files_since(m_account, folder_id, since_of(1));
    auto folders = folders_future.get();
    std::optional<Result<api::ListSince<api::v4::VersionStack>>> stacks;
    if (stacks_future.valid())
        stacks = stacks_future.get();
    if (!folders)
        return folders.error();
    if (!files)
        return files.error();
    if (stacks && !*stacks)
        return stacks->error();
    const bool stacks_unchanged = !stacks || (*stacks)->unchanged;
    if (folders->unchanged && files->unchanged && stacks_unchanged)
        return FolderListing{true, {}, std::string(since)};
    // Only some routes changed: the listing is built from all three, so parse the pages of
    // the others too (received already: no request).
    if (auto st = parse_if_unchanged(*folders); !st)
        return st.error();
    if (auto st = parse_if_unchanged(*files); !st)
        return st.error();
    if (stacks) {
        if (auto st = parse_if_unchanged(**stacks); !st)
            return st.error();
    }

    FolderListing out;
    bool asked_more = false; // facts from other routes: the tag cannot vouch for them
    std::unordered_set<std::string> seen;
    auto add = [&](Item item) {
        if (seen.insert(item.id).second) {
            remember(item.id, item.kind);
            out.items.push_back(std::move(item));
        }
    };
    for (const auto& f : folders->items)
        add(folder_item(f));
    for (const auto& a : files->items) {
        switch (a.type) {
        case api::v4::AssetType::file: {
            Item item = file_item(a.file);
            // A listing cannot tell a failed upload from one in progress: ask the upload
            // status of incomplete files only (rare; complete ones need no second request).
            if (!item.upload_completed) {
                asked_more = true;
                if (auto st = apply_upload_status(item); !st)
                    return st.error();
            }
            add(std::move(item));
            break;
        }
        case api::v4::AssetType::folder:
            add(folder_item(a.folder));
            break;
        case api::v4::AssetType::version_stack: {
            if (seen.count(a.id))
                break;
            asked_more = asked_more || !a.stack.head_version;
            auto resolved = resolve_stack(a.stack);
            if (!resolved)
                return resolved.error();
            add(std::move(*resolved));
            break;
        }
        case api::v4::AssetType::other:
            break; // unknown kinds are left out
        }
    }
    if (stacks) {
        for (const auto& s : (*stacks)->items) {
            if (seen.count(s.id))
                continue;
            asked_more = asked_more || !s.head_version;
            auto resolved = resolve_stack(s);
            if (!resolved)
                return resolved.error();
            add(std::move(*resolved));
        }
    }
    if (!asked_more) {
        static const api::ListFingerprint k_not_listed;
        out.tag =
            api::ListFingerprint::encode_all({&folders->fingerprint, &files->fingerprint,
                                              stacks ? &(*stacks)->fingerprint : &k_not_listed});
    }
    return out;
}

Result<Item> V4Remote::item(const std::string& id) {
    const auto hint = kind_of(id);
    auto as_file = [&]() -> Result<Item> {
        auto f = m_client.file(m_account, id, false);
        if (!f)
            return f.error();
        remember(id, ItemKind::file);
        Item item = file_item(*f);
        if (auto st = apply_upload_status(item); !st)
            return st.error();
        return item;
    };
    auto as_stack = [&]() -> Result<Item> {
        auto s = m_client.version_stack(m_account, id);
        if (!s)
            return s.error();
        remember(id, ItemKind::version_stack);
        return resolve_stack(*s);
    };
    auto as_folder = [&]() -> Result<Item> {
        auto f = m_client.folder(m_account, id);
        if (!f)
            return f.error();
        remember(id, ItemKind::folder);
        return folder_item(*f);
    };
    if (hint) {
        switch (*hint) {
        case ItemKind::file:
            return as_file();
        case ItemKind::version_stack:
            return as_stack();
        case ItemKind::folder:
            return as_folder();
        }
    }
    // Unknown id: a wrong-kind route answers 404, so try the kinds in order of likelihood.
    auto r = as_file();
    if (r || r.error().code != ErrorCode::not_found)
        return r;
    r = as_stack();
    if (r || r.error().code != ErrorCode::not_found)
        return r;
    return as_folder();
}

Status V4Remote::apply_upload_status(Item& item) {
    auto st = m_client.upload_status(m_account, item.id);
    if (!st)
        return st.error().with_context("upload status of file '" + item.id + "'");
    // Complete only when both say so: `status` may lag the upload status or (on a failed
    // upload) never move.
    item.upload_completed = item.upload_completed && st->upload_complete && !st->upload_failed;
    item.upload_failed = st->upload_failed;
    return {};
}

Result<std::vector<Item>> V4Remote::find_by_name(const std::string& folder_id,
                                                 std::string_view name) {
    auto all = list_folder(folder_id, false);
    if (!all)
        return all.error();
    std::vector<Item> out;
    for (auto& item : *all) {
        if (item.name == name)
            out.push_back(std::move(item));
    }
    return out;
}

Result<Item> V4Remote::create_folder(const std::string& parent_id, const std::string& name) {
    auto f = m_client.create_folder(m_account, parent_id, name);
    if (!f)
        return f.error();
    remember(f->id, ItemKind::folder);
    return folder_item(*f);
}

Result<UploadSession> V4Remote::create_file(const std::string& parent_id, const std::string& name,
                                            std::uint64_t filesize,
                                            const CreateFileOptions& /*options: V4 derives the
                                                                       media type from the name*/) {
    auto f = m_client.local_upload(m_account, parent_id, name, filesize);
    if (!f)
        return f.error();
    remember(f->id, ItemKind::file);
    UploadSession s;
    s.asset_id = f->id;
    s.parent_id = parent_id;
    s.name = name;
    s.filesize = filesize;
    s.content_type = f->media_type;
    std::uint64_t offset = 0;
    s.parts.reserve(f->upload_urls.size());
    for (const auto& u : f->upload_urls) {
        s.parts.push_back(UploadPart{offset, u.size, u.url});
        offset += u.size;
    }
    if (offset != filesize || f->file_size != filesize) {
        return Error{ErrorCode::parse,
                     "local upload of '" + f->id + "': the part sizes add up to " +
                         std::to_string(offset) + " bytes and file_size is " +
                         std::to_string(f->file_size) + ", expected " + std::to_string(filesize)};
    }
    return s;
}

Status V4Remote::upload_part(const UploadSession& session, std::size_t index, net::BodySource& body,
                             const CancelToken* cancel) {
    return put_session_part(session, index, body, [&](const std::string& url) {
        return m_client.upload_part(url, session.content_type, body, cancel);
    });
}

Result<DownloadResponse> V4Remote::download(const DownloadRequest& request, net::BodySink& sink,
                                            const CancelToken* cancel) {
    std::optional<api::ByteRange> range;
    if (request.range)
        range = api::ByteRange{request.range->first, request.range->last};
    // Links expire (at the next UTC noon or midnight): fetch one right before the transfer,
    // and once more when the CDN refuses it.
    for (int attempt = 1;; ++attempt) {
        auto f = m_client.file(m_account, request.asset_id, true);
        if (!f)
            return f.error();
        remember(f->id, ItemKind::file);
        DownloadResponse out;
        out.item = file_item(*f);
        if (!f->upload_completed()) {
            out.state = DownloadState::not_ready;
            return out;
        }
        if (request.expected_size && *request.expected_size != out.item.filesize) {
            out.state = DownloadState::size_changed;
            return out;
        }
        if (!f->original || !f->original->download_url || f->original->download_url->empty()) {
            out.state = DownloadState::not_downloadable;
            return out;
        }
        auto got = m_client.download(*f->original->download_url, range, sink, cancel);
        if (!got) {
            if (got.error().http_status == 403 && attempt == 1)
                continue; // expired between the two requests: one fresh link
            return got.error().with_context("file '" + request.asset_id + "'");
        }
        out.state = DownloadState::transferred;
        out.bytes = got->bytes;
        out.total_size = got->total_size;
        return out;
    }
}

Status V4Remote::delete_asset(const std::string& asset_id) {
    const auto hint = kind_of(asset_id);
    if (hint == ItemKind::version_stack) {
        return Error{ErrorCode::invalid_request,
                     "version stack '" + asset_id + "': V4 has no route to delete a stack"};
    }
    Status st = hint == ItemKind::folder ? m_client.delete_folder(m_account, asset_id)
                                         : m_client.delete_file(m_account, asset_id);
    if (!st && st.error().code == ErrorCode::not_found)
        return {};
    return st;
}

} // namespace fios::remote
