// SPDX-License-Identifier: MIT
#pragma once

// An in-memory remote::Remote for unit tests of transfer/: assets with parts, scripted
// failures and hooks, a request log. Thread-safe. Integration tests use the emulator.

#include "fios/hash/xxh64.hpp"
#include "fios/remote/remote.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace fios::test {

class FakeRemote final : public remote::Remote {
public:
    struct Asset {
        remote::Item item;
        std::string content;              ///< the bytes (files), assembled as parts arrive
        std::vector<bool> parts_received; ///< files being uploaded
        remote::UploadSession session;
    };

    std::uint64_t part_size = 1000; ///< parts = max(1, ceil(size / part_size))
    bool auto_checksum = true;      ///< set the checksum when the upload completes
    bool has_checksum = true;       ///< capabilities().has_content_checksum
    std::size_t download_chunk = 4096;

    /// Called at the start of every part PUT (outside the lock): may block, or return an
    /// error to fail the PUT before any byte is stored.
    std::function<Status(const std::string& asset_id, std::size_t index)> on_part;
    /// Called at the start of every download (outside the lock) with the range's first byte.
    std::function<Status(const std::string& asset_id, std::uint64_t first)> on_download;
    /// When set, the next download stops with a network error after this many bytes.
    std::optional<std::uint64_t> break_download_after;
    /// Called at every item() (outside the lock), e.g. to make a checksum appear.
    std::function<void(const std::string& id)> on_item;

    // --- setup helpers ---------------------------------------------------------------
    std::string add_folder(const std::string& parent, const std::string& name) {
        std::lock_guard lock(m_mutex);
        Asset a;
        a.item.id = next_id("folder");
        a.item.kind = remote::ItemKind::folder;
        a.item.name = name;
        a.item.parent_id = parent;
        a.item.upload_completed = true;
        m_assets[a.item.id] = a;
        return a.item.id;
    }
    /// A completed file with `content` (checksum as auto_checksum says).
    std::string add_file(const std::string& parent, const std::string& name,
                         const std::string& content) {
        std::lock_guard lock(m_mutex);
        Asset a;
        a.item.id = next_id("file");
        a.item.kind = remote::ItemKind::file;
        a.item.name = name;
        a.item.parent_id = parent;
        a.item.filesize = content.size();
        a.item.upload_completed = true;
        if (auto_checksum)
            a.item.checksum = hash::xxh64_hex(content);
        a.content = content;
        m_assets[a.item.id] = a;
        return a.item.id;
    }
    void set_checksum(const std::string& id, std::optional<std::string> c) {
        std::lock_guard lock(m_mutex);
        m_assets.at(id).item.checksum = std::move(c);
    }
    void set_deleted(const std::string& id) {
        std::lock_guard lock(m_mutex);
        m_assets.at(id).item.deleted = true;
    }
    Asset asset(const std::string& id) {
        std::lock_guard lock(m_mutex);
        return m_assets.at(id);
    }
    bool exists(const std::string& id) {
        std::lock_guard lock(m_mutex);
        return m_assets.count(id) != 0;
    }
    /// Every part PUT that stored bytes, in order: (asset id, index).
    std::vector<std::pair<std::string, std::size_t>> parts_put() {
        std::lock_guard lock(m_mutex);
        return m_parts_put;
    }
    std::vector<std::pair<std::string, std::uint64_t>> downloads() {
        std::lock_guard lock(m_mutex);
        return m_downloads;
    }
    int creates() {
        std::lock_guard lock(m_mutex);
        return m_creates;
    }
    std::vector<std::string> deleted() {
        std::lock_guard lock(m_mutex);
        return m_deleted;
    }

    // --- remote::Remote ----------------------------------------------------------------
    [[nodiscard]] remote::Capabilities capabilities() const override {
        remote::Capabilities c;
        c.has_content_checksum = has_checksum;
        return c;
    }

    Result<std::vector<remote::Item>> list_folder(const std::string& folder_id,
                                                  bool include_deleted) override {
        std::lock_guard lock(m_mutex);
        std::vector<remote::Item> out;
        for (const auto& [id, a] : m_assets) {
            if (a.item.parent_id == folder_id && (include_deleted || !a.item.deleted))
                out.push_back(a.item);
        }
        return out;
    }

    Result<remote::Item> item(const std::string& id) override {
        if (on_item)
            on_item(id);
        std::lock_guard lock(m_mutex);
        auto it = m_assets.find(id);
        if (it == m_assets.end())
            return Error{ErrorCode::not_found, "no asset " + id, 404};
        return it->second.item;
    }

    Result<std::vector<remote::Item>> find_by_name(const std::string& folder_id,
                                                   std::string_view name) override {
        auto all = list_folder(folder_id, false);
        std::vector<remote::Item> out;
        for (auto& i : *all) {
            if (i.name == name)
                out.push_back(i);
        }
        return out;
    }

    Result<remote::Item> create_folder(const std::string& parent_id,
                                       const std::string& name) override {
        const std::string id = add_folder(parent_id, name);
        std::lock_guard lock(m_mutex);
        return m_assets.at(id).item;
    }

    Result<remote::UploadSession> create_file(const std::string& parent_id, const std::string& name,
                                              std::uint64_t filesize,
                                              const remote::CreateFileOptions&) override {
        std::lock_guard lock(m_mutex);
        ++m_creates;
        if (fail_create) {
            Error e = *fail_create;
            fail_create.reset();
            return e;
        }
        Asset a;
        a.item.id = next_id("upload");
        a.item.kind = remote::ItemKind::file;
        a.item.name = name;
        a.item.parent_id = parent_id;
        a.item.filesize = filesize;
        a.content.assign(static_cast<std::size_t>(filesize), '\0');
        const std::uint64_t n = std::max<std::uint64_t>(1, (filesize + part_size - 1) / part_size);
        a.parts_received.assign(static_cast<std::size_t>(n), false);
        remote::UploadSession s;
        s.asset_id = a.item.id;
        s.parent_id = parent_id;
        s.name = name;
        s.filesize = filesize;
        s.content_type = remote::guess_content_type(name);
        const std::uint64_t chunk = filesize == 0 ? 0 : (filesize + n - 1) / n;
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::uint64_t off = std::min(filesize, i * chunk);
            const std::uint64_t len = std::min(filesize - off, chunk);
            s.parts.push_back(
                {off, len,
                 "https://fake/parts/" + a.item.id + "/" + std::to_string(i) + "?sig=SECRET"});
        }
        a.session = s;
        m_assets[a.item.id] = a;
        return s;
    }
    std::optional<Error> fail_create;

    Status upload_part(const remote::UploadSession& session, std::size_t index,
                       net::BodySource& body, const CancelToken* cancel) override {
        if (on_part) {
            auto st = on_part(session.asset_id, index);
            if (!st)
                return st;
        }
        if (cancel && cancel->cancelled())
            return Error{ErrorCode::cancelled, "cancelled"};
        auto rewound = body.rewind();
        if (!rewound)
            return rewound;
        std::string data;
        char buf[333];
        while (true) {
            auto n = body.read(std::span<char>(buf, sizeof buf));
            if (!n)
                return n.error();
            if (*n == 0)
                break;
            data.append(buf, *n);
        }
        std::lock_guard lock(m_mutex);
        auto it = m_assets.find(session.asset_id);
        if (it == m_assets.end() || it->second.item.deleted)
            return Error{ErrorCode::not_found, "NoSuchUpload", 404};
        Asset& a = it->second;
        if (a.item.upload_completed)
            return Error{ErrorCode::not_found, "NoSuchUpload (completed)", 404};
        const auto& part = a.session.parts.at(index);
        if (data.size() != part.length)
            return Error{ErrorCode::invalid_request, "wrong part length", 400};
        a.content.replace(static_cast<std::size_t>(part.offset), data.size(), data);
        a.parts_received.at(index) = true;
        m_parts_put.emplace_back(session.asset_id, index);
        if (std::all_of(a.parts_received.begin(), a.parts_received.end(),
                        [](bool b) { return b; })) {
            a.item.upload_completed = true;
            if (auto_checksum)
                a.item.checksum = hash::xxh64_hex(a.content);
        }
        return {};
    }

    Result<remote::DownloadResponse> download(const remote::DownloadRequest& req,
                                              net::BodySink& sink,
                                              const CancelToken* cancel) override {
        const std::uint64_t first = req.range ? req.range->first : 0;
        if (on_download) {
            auto st = on_download(req.asset_id, first);
            if (!st)
                return st.error();
        }
        remote::DownloadResponse resp;
        std::string slice;
        std::optional<std::uint64_t> break_after;
        {
            std::lock_guard lock(m_mutex);
            m_downloads.emplace_back(req.asset_id, first);
            auto it = m_assets.find(req.asset_id);
            if (it == m_assets.end() || it->second.item.deleted)
                return Error{ErrorCode::not_found, "no asset", 404};
            const Asset& a = it->second;
            resp.item = a.item;
            if (!a.item.upload_completed) {
                resp.state = remote::DownloadState::not_ready;
                return resp;
            }
            if (req.expected_size && *req.expected_size != a.item.filesize) {
                resp.state = remote::DownloadState::size_changed;
                return resp;
            }
            const std::uint64_t last = req.range ? req.range->last : a.content.size() - 1;
            if (!a.content.empty())
                slice = a.content.substr(static_cast<std::size_t>(first),
                                         static_cast<std::size_t>(last - first + 1));
            break_after = break_download_after;
            break_download_after.reset();
        }
        std::size_t at = 0;
        while (at < slice.size()) {
            if (cancel && cancel->cancelled())
                return Error{ErrorCode::cancelled, "cancelled"};
            std::size_t n = std::min(download_chunk, slice.size() - at);
            if (break_after && at + n > *break_after) {
                n = static_cast<std::size_t>(*break_after - at);
                if (n > 0) {
                    auto w = sink.write(std::span<const char>(slice.data() + at, n));
                    if (!w)
                        return w.error();
                }
                return Error{ErrorCode::network, "connection reset mid-body"};
            }
            auto w = sink.write(std::span<const char>(slice.data() + at, n));
            if (!w)
                return w.error();
            at += n;
        }
        resp.state = remote::DownloadState::transferred;
        resp.bytes = slice.size();
        return resp;
    }

    Status delete_asset(const std::string& asset_id) override {
        std::lock_guard lock(m_mutex);
        m_deleted.push_back(asset_id);
        auto it = m_assets.find(asset_id);
        if (it != m_assets.end())
            it->second.item.deleted = true;
        return {};
    }

private:
    std::string next_id(const std::string& prefix) {
        return prefix + "-" + std::to_string(++m_next);
    }

    std::mutex m_mutex;
    std::map<std::string, Asset> m_assets;
    std::vector<std::pair<std::string, std::size_t>> m_parts_put;
    std::vector<std::pair<std::string, std::uint64_t>> m_downloads;
    std::vector<std::string> m_deleted;
    int m_creates = 0;
    int m_next = 0;
};

} // namespace fios::test
