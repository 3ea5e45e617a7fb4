// SPDX-License-Identifier: MIT
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/hash/xxh64.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <sstream>
#include <string>
#include <sys/stat.h>

using fios::hash::hash_file;
using fios::hash::Xxh64;
using fios::hash::xxh64_hex;
using fios::test::TempDir;
using fios::test::write_file;

namespace {

/// Deterministic pseudo-random bytes (no std::rand: the same on every machine).
std::string pattern(std::size_t n, std::uint32_t seed) {
    std::string out(n, '\0');
    std::uint32_t x = seed;
    for (auto& c : out) {
        x = x * 1664525U + 1013904223U;
        c = static_cast<char>(x >> 24U);
    }
    return out;
}

std::string find_tool(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = std::filesystem::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
    }
    return {};
}

/// The reference implementation's answer: `xxh64sum FILE` (Debian package xxhash, installed
/// by scripts/install-deps.sh), falling back to `xxhsum -H1 FILE`.
std::string reference_hash(const std::filesystem::path& file) {
    std::vector<std::string> argv;
    if (auto tool = find_tool("xxh64sum"); !tool.empty()) {
        argv = {tool, file.string()};
    } else if (auto xxhsum = find_tool("xxhsum"); !xxhsum.empty()) {
        argv = {xxhsum, "-H1", file.string()};
    }
    REQUIRE_FALSE(argv.empty()); // the package is a declared dependency: fail, do not skip
    const auto result = fios::test::run_process(argv);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return result.out.substr(0, result.out.find(' '));
}

} // namespace

TEST_CASE("XXH64 of the empty input is the known vector", "[hash]") {
    CHECK(xxh64_hex("") == "ef46db3751d8e999");
    Xxh64 h;
    CHECK(h.hex() == "ef46db3751d8e999");
    CHECK(h.finish() == 0xef46db3751d8e999ULL);
}

TEST_CASE("XXH64 canonical form is 16 lowercase, zero-padded hex digits", "[hash]") {
    CHECK(fios::hash::to_hex(0) == "0000000000000000");
    CHECK(fios::hash::to_hex(0xABCULL) == "0000000000000abc");
    CHECK(fios::hash::to_hex(0xFFFFFFFFFFFFFFFFULL) == "ffffffffffffffff");
    CHECK(xxh64_hex("abc") == "44bc2cf5ad770999");
}

TEST_CASE("XXH64 streaming gives the same hash however the input is split", "[hash]") {
    const std::string data = pattern(100'003, 7);
    const std::string whole = xxh64_hex(data);
    const std::size_t split = GENERATE(1U, 3U, 31U, 32U, 33U, 4096U, 65537U);
    Xxh64 h;
    for (std::size_t pos = 0; pos < data.size(); pos += split) {
        h.update(std::string_view(data).substr(pos, split));
    }
    CHECK(h.hex() == whole);
    h.reset();
    CHECK(h.hex() == "ef46db3751d8e999");
}

TEST_CASE("XXH64 matches the xxh64sum reference tool (golden)", "[hash]") {
    TempDir dir;
    // Sizes around XXH64's 32-byte stripe and our 1 MiB read block, including empty.
    const std::size_t size = GENERATE(0U, 1U, 31U, 32U, 33U, 1000U, (1U << 20U) - 1U, 1U << 20U,
                                      (1U << 20U) + 1U, 3U * (1U << 20U) + 12345U);
    const auto file = dir / ("f" + std::to_string(size));
    const std::string data = pattern(size, static_cast<std::uint32_t>(size) + 1U);
    write_file(file, data);

    const std::string expected = reference_hash(file);
    INFO("size " << size);
    CHECK(expected.size() == 16);
    CHECK(xxh64_hex(data) == expected);
    auto hashed = hash_file(file);
    REQUIRE(hashed);
    CHECK(hashed->xxh64 == expected);
    CHECK(hashed->size == size);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK(hashed->inode == static_cast<std::uint64_t>(st.st_ino));
}

TEST_CASE("hash_file refuses symlinks, folders and missing files", "[hash]") {
    TempDir dir;
    write_file(dir / "real", "content");
    std::filesystem::create_symlink(dir / "real", dir / "link");
    auto link = hash_file(dir / "link");
    REQUIRE_FALSE(link);
    CHECK(link.error().code == fios::ErrorCode::io);
    CHECK(link.error().message.find("symlink") != std::string::npos);

    auto folder = hash_file(dir.path());
    REQUIRE_FALSE(folder);
    CHECK(folder.error().code == fios::ErrorCode::io);

    auto missing = hash_file(dir / "missing");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == fios::ErrorCode::io);
}

TEST_CASE("hash_file of a file swapped for a FIFO fails at once - never blocks", "[hash]") {
    // Issue 9: opened without O_NONBLOCK, the open waited for a writer forever.
    TempDir dir;
    const auto fifo = dir / "clip.mov";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto hashing = std::async(std::launch::async, [&] { return hash_file(fifo); });
    const bool finished = hashing.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    if (!finished) { // unblock the stuck open (a reader-writer open never blocks) to end
        const int unblock = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
        if (unblock >= 0)
            ::close(unblock);
    }
    REQUIRE(finished);
    const auto r = hashing.get();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == fios::ErrorCode::io);
    CHECK(r.error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("hash_file honours a cancel token", "[hash]") {
    TempDir dir;
    write_file(dir / "f", "data");
    fios::CancelToken cancel;
    cancel.cancel();
    auto r = hash_file(dir / "f", &cancel);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == fios::ErrorCode::cancelled);
}
