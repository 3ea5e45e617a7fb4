// SPDX-License-Identifier: MIT
#include "fios/engine/readback.hpp"

#include "fios/hash/xxh64.hpp"

#include <fmt/format.h>

namespace fios::engine {

namespace {

/// Hashes what it is given and keeps nothing.
class HashingSink final : public net::BodySink {
public:
    Status write(std::span<const char> data) override {
        m_hash.update(std::string_view{data.data(), data.size()});
        m_bytes += data.size();
        return {};
    }
    [[nodiscard]] std::string hex() const { return m_hash.hex(); }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return m_bytes; }

private:
    hash::Xxh64 m_hash;
    std::uint64_t m_bytes = 0;
};

std::string_view describe(remote::DownloadState state) noexcept {
    switch (state) {
    case remote::DownloadState::transferred:
        return "transferred";
    case remote::DownloadState::not_ready:
        return "its upload is not complete";
    case remote::DownloadState::size_changed:
        return "its size changed";
    case remote::DownloadState::not_downloadable:
        return "it cannot be downloaded (no original available)";
    }
    return "unknown";
}

} // namespace

Result<std::string> read_back_xxh64(remote::Remote& remote, const std::string& asset_id,
                                    std::uint64_t size, const CancelToken* cancel) {
    // The whole object in one request, started over on a retryable break: a partial hash
    // cannot be resumed with a range without keeping the bytes.
    constexpr int k_attempts = 3;
    for (int attempt = 1;; ++attempt) {
        HashingSink sink;
        remote::DownloadRequest request;
        request.asset_id = asset_id;
        request.expected_size = size;
        auto got = remote.download(request, sink, cancel);
        if (!got) {
            if (got.error().retryable() && sink.bytes() > 0 && attempt < k_attempts)
                continue;
            return got.error().with_context("reading back " + asset_id);
        }
        if (got->state != remote::DownloadState::transferred)
            return Error{ErrorCode::conflict,
                         fmt::format("reading back {}: {}", asset_id, describe(got->state))};
        return sink.hex();
    }
}

} // namespace fios::engine
