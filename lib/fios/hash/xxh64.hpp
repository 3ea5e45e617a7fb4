// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/model/entry.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace fios::hash {

/// Streaming XXH64 with seed 0: the checksum Frame.io reports as `checksums.xx_hash`.
/// Feed bytes with update() in any split; finish() does not reset, so it may be called
/// between updates to read the hash of everything so far. Not thread-safe; movable.
class Xxh64 {
public:
    Xxh64();
    ~Xxh64();
    Xxh64(Xxh64&&) noexcept;
    Xxh64& operator=(Xxh64&&) noexcept;
    Xxh64(const Xxh64&) = delete;
    Xxh64& operator=(const Xxh64&) = delete;

    void update(std::span<const std::byte> bytes);
    void update(std::string_view bytes);
    /// Starts over, as if newly constructed.
    void reset();
    [[nodiscard]] std::uint64_t finish() const;
    /// finish() in canonical form: 16 lowercase hex digits, zero-padded (Python's
    /// xxhash.xxh64().hexdigest(), `xxh64sum`).
    [[nodiscard]] std::string hex() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

/// 16 lowercase hex digits, zero-padded, most significant first.
std::string to_hex(std::uint64_t hash);

/// XXH64 of a whole byte string.
std::uint64_t xxh64(std::string_view bytes);
std::string xxh64_hex(std::string_view bytes);

/// The hash of one local file, with the fingerprint of the exact bytes hashed.
struct FileHash {
    std::string xxh64; ///< 16 lowercase hex digits
    std::uint64_t size = 0;
    model::TimePoint mtime{};
    std::uint64_t inode = 0;
    std::uint64_t device = 0;
};

/// Reads a regular file in 1 MiB blocks and hashes it. Never follows a symlink (O_NOFOLLOW);
/// refuses anything but a regular file. Fails with ErrorCode::io when the file cannot be
/// read, and when its size, mtime or inode changed while it was being read (it is still
/// being written: hash it again later). Honours `cancel` between blocks (ErrorCode::cancelled).
Result<FileHash> hash_file(const std::filesystem::path& path, const CancelToken* cancel = nullptr);

} // namespace fios::hash
