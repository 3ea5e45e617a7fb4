// SPDX-License-Identifier: MIT
#include "fios/remote/v2_remote.hpp"

#include <utility>

namespace fios::remote {

namespace {

std::optional<ItemKind> kind_of(api::AssetType type) {
    switch (type) {
    case api::AssetType::file:
        return ItemKind::file;
    case api::AssetType::folder:
        return ItemKind::folder;
    case api::AssetType::version_stack:
        return ItemKind::version_stack;
    case api::AssetType::other:
        return std::nullopt;
    }
    return std::nullopt;
}

std::uint64_t to_size(std::int64_t v) {
    return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

/// Copies a head version's content facts onto its stack's item.
void take_head(Item& stack, const api::Asset& head) {
    stack.head_asset_id = head.id;
    stack.filesize = to_size(head.filesize);
    stack.upload_completed = head.upload_completed_at.has_value();
    stack.checksum = head.xx_hash;
    stack.created_at = head.inserted_at;
    stack.updated_at = head.updated_at;
}

} // namespace

Item V2Remote::to_item(const api::Asset& a) {
    Item item;
    item.id = a.id;
    item.kind = kind_of(a.type).value_or(ItemKind::file);
    item.name = a.name;
    item.parent_id = a.parent_id.value_or(std::string{});
    item.created_at = a.inserted_at;
    item.updated_at = a.updated_at;
    item.deleted = a.deleted_at.has_value();
    switch (item.kind) {
    case ItemKind::file:
        item.filesize = to_size(a.filesize);
        item.upload_completed = a.upload_completed_at.has_value();
        item.checksum = a.xx_hash;
        break;
    case ItemKind::folder:
        item.upload_completed = true;
        item.item_count = to_size(a.item_count);
        break;
    case ItemKind::version_stack:
        // Content facts come from the head (resolve_stack); until then: not complete.
        item.item_count = to_size(a.item_count);
        item.head_asset_id = a.cover_asset_id.value_or(std::string{});
        break;
    }
    return item;
}

Capabilities V2Remote::capabilities() const {
    Capabilities c;
    c.has_content_checksum = true;
    c.resumable_uploads = true;
    return c;
}

Result<Item> V2Remote::resolve_stack(Item stack, const std::optional<std::string>& cover_id) {
    if (cover_id && !cover_id->empty()) {
        auto head = m_client.asset(*cover_id);
        if (head && head->type == api::AssetType::file) {
            take_head(stack, *head);
            return stack;
        }
        if (!head && head.error().code != ErrorCode::not_found)
            return head.error().with_context("version stack '" + stack.id + "' head");
        // The cover vanished between the two requests (a version was removed): fall back.
    }
    // No usable cover_asset_id: the first version of the stack's listing is the head (the
    // SDK's rule).
    auto versions = m_client.children(stack.id);
    if (!versions)
        return versions.error().with_context("version stack '" + stack.id + "'");
    for (const auto& v : *versions) {
        if (v.type == api::AssetType::file && !v.deleted_at) {
            take_head(stack, v);
            return stack;
        }
    }
    stack.head_asset_id.clear();
    stack.upload_completed = false;
    return stack;
}

Result<std::vector<Item>> V2Remote::list_folder(const std::string& folder_id,
                                                bool include_deleted) {
    api::ChildrenOptions opts;
    opts.include_deleted = include_deleted;
    auto assets = m_client.children(folder_id, opts);
    if (!assets)
        return assets.error();
    std::vector<Item> items;
    items.reserve(assets->size());
    for (const auto& a : *assets) {
        if (!kind_of(a.type))
            continue;
        Item item = to_item(a);
        if (item.kind == ItemKind::version_stack) {
            auto resolved = resolve_stack(std::move(item), a.cover_asset_id);
            if (!resolved)
                return resolved.error();
            item = std::move(*resolved);
        }
        items.push_back(std::move(item));
    }
    return items;
}

Result<Item> V2Remote::item(const std::string& id) {
    auto a = m_client.asset(id, true);
    if (!a)
        return a.error();
    if (!kind_of(a->type))
        return Error{ErrorCode::parse,
                     "asset '" + id + "' has an unsupported type '" + a->type_name + "'"};
    Item item = to_item(*a);
    if (item.kind == ItemKind::version_stack)
        return resolve_stack(std::move(item), a->cover_asset_id);
    return item;
}

Result<std::vector<Item>> V2Remote::find_by_name(const std::string& folder_id,
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

Result<Item> V2Remote::create_folder(const std::string& parent_id, const std::string& name) {
    auto a = m_client.create_folder(parent_id, name);
    if (!a)
        return a.error();
    return to_item(*a);
}

Result<UploadSession> V2Remote::create_file(const std::string& parent_id, const std::string& name,
                                            std::uint64_t filesize,
                                            const CreateFileOptions& options) {
    UploadSession s;
    s.parent_id = parent_id;
    s.name = name;
    s.filesize = filesize;
    s.content_type = options.content_type.empty() ? guess_content_type(name) : options.content_type;
    auto a = m_client.create_file(parent_id, name, s.content_type, filesize);
    if (!a)
        return a.error();
    if (a->upload_urls.empty())
        return Error{ErrorCode::parse, "create file '" + a->id + "': no upload_urls"};
    s.asset_id = a->id;
    // The server may answer with its own filetype; the part PUTs must carry that one.
    if (a->filetype && !a->filetype->empty())
        s.content_type = *a->filetype;
    const auto ranges = api::compute_part_ranges(filesize, a->upload_urls.size());
    s.parts.reserve(ranges.size());
    for (std::size_t i = 0; i < ranges.size(); ++i)
        s.parts.push_back(UploadPart{ranges[i].offset, ranges[i].length, a->upload_urls[i]});
    return s;
}

Status V2Remote::upload_part(const UploadSession& session, std::size_t index, net::BodySource& body,
                             const CancelToken* cancel) {
    return put_session_part(session, index, body, [&](const std::string& url) {
        return m_client.upload_part(url, session.content_type, body, cancel);
    });
}

Result<DownloadResponse> V2Remote::download(const DownloadRequest& request, net::BodySink& sink,
                                            const CancelToken* cancel) {
    auto a = m_client.asset(request.asset_id);
    if (!a)
        return a.error();
    DownloadResponse out;
    out.item = to_item(*a);
    if (a->type != api::AssetType::file) {
        out.state = DownloadState::not_downloadable;
        return out;
    }
    if (!a->upload_completed_at) {
        out.state = DownloadState::not_ready;
        return out;
    }
    if (request.expected_size && *request.expected_size != out.item.filesize) {
        out.state = DownloadState::size_changed;
        return out;
    }
    if (!a->original || a->original->empty()) {
        out.state = DownloadState::not_downloadable;
        return out;
    }
    std::optional<api::ByteRange> range;
    if (request.range)
        range = api::ByteRange{request.range->first, request.range->last};
    auto got = m_client.download(*a->original, range, sink, cancel);
    if (!got)
        return got.error();
    out.state = DownloadState::transferred;
    out.bytes = got->bytes;
    out.total_size = got->total_size;
    return out;
}

Status V2Remote::delete_asset(const std::string& asset_id) {
    auto st = m_client.delete_asset(asset_id);
    if (!st && st.error().code == ErrorCode::not_found)
        return {};
    return st;
}

} // namespace fios::remote
