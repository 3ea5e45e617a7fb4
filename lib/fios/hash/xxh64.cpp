// SPDX-License-Identifier: MIT
#include "fios/hash/xxh64.hpp"

#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <vector>

namespace fios::hash {

struct Xxh64::State {
    XXH64_state_t* state = XXH64_createState();
    State() {
        if (state == nullptr)
            std::abort(); // out of memory for 88 bytes: nothing to recover
        XXH64_reset(state, 0);
    }
    ~State() { XXH64_freeState(state); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;
};

Xxh64::Xxh64() : m_state(std::make_unique<State>()) {}
Xxh64::~Xxh64() = default;
Xxh64::Xxh64(Xxh64&&) noexcept = default;
Xxh64& Xxh64::operator=(Xxh64&&) noexcept = default;

void Xxh64::update(std::span<const std::byte> bytes) {
    if (bytes.empty())
        return;
    XXH64_update(m_state->state, bytes.data(), bytes.size());
}

void Xxh64::update(std::string_view bytes) {
    if (bytes.empty())
        return;
    XXH64_update(m_state->state, bytes.data(), bytes.size());
}

void Xxh64::reset() {
    XXH64_reset(m_state->state, 0);
}

std::uint64_t Xxh64::finish() const {
    return XXH64_digest(m_state->state);
}

std::string Xxh64::hex() const {
    return to_hex(finish());
}

std::string to_hex(std::uint64_t hash) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (std::size_t i = 0; i < 16; ++i) {
        out[15 - i] = k_digits[hash & 0xFU];
        hash >>= 4U;
    }
    return out;
}

std::uint64_t xxh64(std::string_view bytes) {
    return XXH64(bytes.data(), bytes.size(), 0);
}

std::string xxh64_hex(std::string_view bytes) {
    return to_hex(xxh64(bytes));
}

namespace {

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return m_fd; }

private:
    int m_fd;
};

model::TimePoint mtime_of(const struct stat& st) {
    return model::TimePoint{std::chrono::seconds{st.st_mtim.tv_sec} +
                            std::chrono::nanoseconds{st.st_mtim.tv_nsec}};
}

Error io_error(const std::filesystem::path& path, std::string_view what, int err) {
    return Error{ErrorCode::io,
                 "hashing " + path.string() + ": " + std::string(what) + ": " + std::strerror(err)};
}

} // namespace

Result<FileHash> hash_file(const std::filesystem::path& path, const CancelToken* cancel) {
    constexpr std::size_t k_block = std::size_t{1} << 20U;
    // O_NONBLOCK: a file swapped for a FIFO since the scan must not block the open until a
    // writer appears (issue 9); it is refused below as not a regular file. Reads of a
    // regular file ignore the flag.
    const Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ELOOP) {
            return Error{ErrorCode::io,
                         "hashing " + path.string() + ": is a symlink (not followed)"};
        }
        return io_error(path, "open", err);
    }
    struct stat before {};
    if (::fstat(fd.get(), &before) != 0)
        return io_error(path, "fstat", errno);
    if (!S_ISREG(before.st_mode)) {
        return Error{ErrorCode::io, "hashing " + path.string() + ": not a regular file"};
    }

    Xxh64 hasher;
    std::vector<std::byte> buffer(k_block);
    std::uint64_t total = 0;
    while (true) {
        if (cancel != nullptr && cancel->cancelled()) {
            return Error{ErrorCode::cancelled, "hashing " + path.string() + ": cancelled"};
        }
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return io_error(path, "read", errno);
        }
        if (n == 0)
            break;
        const auto count = static_cast<std::size_t>(n);
        hasher.update(std::span<const std::byte>(buffer.data(), count));
        total += count;
    }

    struct stat after {};
    if (::fstat(fd.get(), &after) != 0)
        return io_error(path, "fstat", errno);
    if (after.st_size != before.st_size || mtime_of(after) != mtime_of(before) ||
        total != static_cast<std::uint64_t>(after.st_size)) {
        return Error{ErrorCode::io,
                     "hashing " + path.string() + ": the file changed while it was read"};
    }
    FileHash out;
    out.xxh64 = hasher.hex();
    out.size = total;
    out.mtime = mtime_of(after);
    out.inode = static_cast<std::uint64_t>(after.st_ino);
    out.device = static_cast<std::uint64_t>(after.st_dev);
    return out;
}

} // namespace fios::hash
