// SPDX-License-Identifier: MIT
#include "core/blobs.hpp"

#include "core/crypto.hpp"
#include "core/model.hpp"

#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace fioemu {

namespace {

constexpr std::size_t k_io_buffer = 1 << 20;

std::string hex64(XXH64_hash_t h) {
    XXH64_canonical_t c;
    XXH64_canonicalFromHash(&c, h);
    return hex(std::string_view(reinterpret_cast<const char*>(c.digest), sizeof c.digest));
}

} // namespace

// --- UrlSigner ---------------------------------------------------------------------------

std::string UrlSigner::signature(std::string_view method, std::string_view path,
                                 std::int64_t expires_s) const {
    std::string msg;
    msg.append(method).append("\n").append(path).append("\n").append(std::to_string(expires_s));
    return base64url(hmac_sha256(m_key, msg));
}

std::string UrlSigner::tag(std::string_view data) const {
    return base64url(hmac_sha256(m_key, std::string("tag\n").append(data)));
}

std::string UrlSigner::part_url(std::string_view base, std::string_view asset_id, std::int64_t part,
                                std::int64_t expires_s) const {
    const std::string path = "/parts/" + std::string(asset_id) + "/" + std::to_string(part);
    return std::string(base) + path + "?Expires=" + std::to_string(expires_s) +
           "&Signature=" + signature("PUT", path, expires_s);
}

std::string UrlSigner::original_url(std::string_view base, std::string_view asset_id,
                                    std::int64_t expires_s) const {
    const std::string path = "/originals/" + std::string(asset_id);
    return std::string(base) + path + "?Expires=" + std::to_string(expires_s) +
           "&Signature=" + signature("GET", path, expires_s);
}

UrlSigner::Check UrlSigner::check(std::string_view method, std::string_view path,
                                  std::string_view expires, std::string_view sig,
                                  Micros now) const {
    if (expires.empty() || sig.empty())
        return Check::missing;
    std::int64_t e = 0;
    for (char c : expires) {
        if (c < '0' || c > '9' || e > 1'000'000'000'000LL)
            return Check::bad_signature;
        e = e * 10 + (c - '0');
    }
    if (!secret_equal(signature(method, path, e), sig))
        return Check::bad_signature;
    if (now / k_micros_per_second >= e)
        return Check::expired;
    return Check::ok;
}

// --- BlobStore ---------------------------------------------------------------------------

std::filesystem::path BlobStore::asset_dir(std::string_view asset_id) const {
    return m_root / std::string(asset_id.substr(0, 2)) / std::string(asset_id);
}

std::filesystem::path BlobStore::part_path(std::string_view asset_id, std::int64_t index) const {
    return asset_dir(asset_id) / std::to_string(index);
}

std::filesystem::path BlobStore::temp_path(std::string_view asset_id, std::int64_t index) const {
    return asset_dir(asset_id) /
           ("." + std::to_string(index) + "." + hex(random_bytes(8)) + ".tmp");
}

std::vector<std::pair<std::filesystem::path, std::int64_t>>
BlobStore::parts_of(const Asset& a) const {
    std::vector<std::pair<std::filesystem::path, std::int64_t>> out;
    out.reserve(static_cast<std::size_t>(a.part_count));
    for (std::int64_t i = 0; i < a.part_count; ++i)
        out.emplace_back(part_path(a.id, i), a.part_length(i));
    return out;
}

std::string BlobStore::hash_content(const Asset& a) const {
    XXH64_state_t* state = XXH64_createState();
    if (!state)
        throw std::runtime_error("out of memory");
    XXH64_reset(state, 0);
    std::vector<char> buf(k_io_buffer);
    for (std::int64_t i = 0; i < a.part_count; ++i) {
        const auto path = part_path(a.id, i);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            XXH64_freeState(state);
            throw std::runtime_error("cannot open part " + path.string());
        }
        for (;;) {
            const ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                ::close(fd);
                XXH64_freeState(state);
                throw std::runtime_error("cannot read part " + path.string());
            }
            if (n == 0)
                break;
            XXH64_update(state, buf.data(), static_cast<std::size_t>(n));
        }
        ::close(fd);
    }
    const std::string out = hex64(XXH64_digest(state));
    XXH64_freeState(state);
    return out;
}

// --- ContentReader -----------------------------------------------------------------------

ContentReader::~ContentReader() {
    if (m_fd >= 0)
        ::close(m_fd);
}

std::int64_t ContentReader::read(std::int64_t offset, char* buf, std::int64_t len) {
    if (m_parts.empty() || offset < 0)
        return 0;
    // Every part but the last has the same length (ceil split), so the part is a division.
    const std::int64_t chunk = m_parts.front().second;
    const std::size_t last = m_parts.size() - 1;
    const std::size_t i =
        chunk > 0 ? std::min(static_cast<std::size_t>(offset / chunk), last) : last;
    const std::int64_t start = static_cast<std::int64_t>(i) * chunk;
    const std::int64_t size = m_parts[i].second;
    if (offset >= start + size)
        return 0;
    const auto idx = static_cast<std::int64_t>(i);
    if (m_open_index != idx) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = ::open(m_parts[i].first.c_str(), O_RDONLY | O_CLOEXEC);
        m_open_index = m_fd >= 0 ? idx : -1;
        if (m_fd < 0)
            return -1;
    }
    const std::int64_t want = std::min(len, start + size - offset);
    for (;;) {
        const ssize_t n = ::pread(m_fd, buf, static_cast<std::size_t>(want), offset - start);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1; // a short part file is an error, not an end
        return n;
    }
}

// --- BufferedFile ------------------------------------------------------------------------

BufferedFile::~BufferedFile() {
    if (m_fd >= 0)
        discard();
}

bool BufferedFile::open(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (m_fd < 0)
        return false;
    m_path = path;
    m_buf.resize(k_io_buffer);
    m_used = 0;
    m_written = 0;
    return true;
}

bool BufferedFile::flush() {
    std::size_t off = 0;
    while (off < m_used) {
        const ssize_t n = ::write(m_fd, m_buf.data() + off, m_used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += static_cast<std::size_t>(n);
    }
    m_used = 0;
    return true;
}

bool BufferedFile::write(const char* data, std::size_t len) {
    m_written += static_cast<std::int64_t>(len);
    while (len > 0) {
        if (m_used == 0 && len >= m_buf.size() / 8) {
            // Large writes bypass the buffer.
            const ssize_t n = ::write(m_fd, data, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            data += n;
            len -= static_cast<std::size_t>(n);
            continue;
        }
        const std::size_t take = std::min(len, m_buf.size() - m_used);
        std::memcpy(m_buf.data() + m_used, data, take);
        m_used += take;
        data += take;
        len -= take;
        if (m_used == m_buf.size() && !flush())
            return false;
    }
    return true;
}

bool BufferedFile::close() {
    const bool ok = flush();
    const bool closed = ::close(m_fd) == 0;
    m_fd = -1;
    return ok && closed;
}

void BufferedFile::discard() {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    if (!m_path.empty())
        ::unlink(m_path.c_str());
}

} // namespace fioemu
