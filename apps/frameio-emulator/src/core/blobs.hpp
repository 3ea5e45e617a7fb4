// SPDX-License-Identifier: MIT
#pragma once

#include "core/clock.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fioemu {

struct Asset;

/// Signs and checks the emulator's pre-signed URLs (HMAC-SHA256 over method, path and expiry,
/// with a key persisted in the state database so that URLs survive a restart).
class UrlSigner {
public:
    explicit UrlSigner(std::string key) : m_key(std::move(key)) {}

    /// `part` is 1-based, like S3's partNumber.
    [[nodiscard]] std::string part_url(std::string_view base, std::string_view asset_id,
                                       std::int64_t part, std::int64_t expires_s) const;
    [[nodiscard]] std::string original_url(std::string_view base, std::string_view asset_id,
                                           std::int64_t expires_s) const;

    /// An unforgeable tag of `data` (HMAC-SHA256 with the URL-signing key, base64url): opaque
    /// tokens the emulator hands out (V4 cursors) carry it to prove they are its own.
    [[nodiscard]] std::string tag(std::string_view data) const;

    enum class Check { ok, missing, bad_signature, expired };
    /// Checks a request for `method` on `path` with the URL's Expires and Signature values.
    [[nodiscard]] Check check(std::string_view method, std::string_view path,
                              std::string_view expires, std::string_view signature,
                              Micros now) const;

private:
    [[nodiscard]] std::string signature(std::string_view method, std::string_view path,
                                        std::int64_t expires_s) const;
    std::string m_key;
};

/// Stored upload parts: one file per part under <data>/blobs/<id[0:2]>/<id>/<n>.
/// Parts are written to a temp file, then renamed into place (under the model lock), so a
/// part file is always whole.
class BlobStore {
public:
    explicit BlobStore(std::filesystem::path root) : m_root(std::move(root)) {}

    [[nodiscard]] std::filesystem::path asset_dir(std::string_view asset_id) const;
    [[nodiscard]] std::filesystem::path part_path(std::string_view asset_id,
                                                  std::int64_t index) const;
    /// A fresh temp path next to the part (unique per call).
    [[nodiscard]] std::filesystem::path temp_path(std::string_view asset_id,
                                                  std::int64_t index) const;

    /// XXH64 (seed 0) of the whole content, as 16 lowercase hex digits. Throws on I/O errors.
    [[nodiscard]] std::string hash_content(const Asset& a) const;

    /// The (path, length) of every part, in order: a snapshot for streaming outside the lock.
    [[nodiscard]] std::vector<std::pair<std::filesystem::path, std::int64_t>>
    parts_of(const Asset& a) const;

private:
    std::filesystem::path m_root;
};

/// Reads a byte range of an asset's content across its part files, in order. The parts are a
/// ceil split: every part but the last has the first part's length.
class ContentReader {
public:
    explicit ContentReader(std::vector<std::pair<std::filesystem::path, std::int64_t>> parts)
        : m_parts(std::move(parts)) {}
    ~ContentReader();
    ContentReader(const ContentReader&) = delete;
    ContentReader& operator=(const ContentReader&) = delete;

    /// Reads up to `len` bytes at `offset` into `buf`; returns the count, 0 at the end, -1 on
    /// error.
    std::int64_t read(std::int64_t offset, char* buf, std::int64_t len);

private:
    std::vector<std::pair<std::filesystem::path, std::int64_t>> m_parts;
    std::int64_t m_open_index = -1;
    int m_fd = -1;
};

/// Writes a file through a large buffer (part bodies arrive in 4 KiB pieces).
class BufferedFile {
public:
    BufferedFile() = default;
    ~BufferedFile();
    BufferedFile(const BufferedFile&) = delete;
    BufferedFile& operator=(const BufferedFile&) = delete;

    bool open(const std::filesystem::path& path);
    bool write(const char* data, std::size_t len);
    bool close();
    void discard(); ///< closes and removes the file
    [[nodiscard]] std::int64_t written() const { return m_written; }

private:
    bool flush();
    int m_fd = -1;
    std::filesystem::path m_path;
    std::vector<char> m_buf;
    std::size_t m_used = 0;
    std::int64_t m_written = 0;
};

} // namespace fioemu
