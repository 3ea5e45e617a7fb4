// SPDX-License-Identifier: MIT
#include "fake_remote.hpp"
#include "support/temp_dir.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/transfer/downloader.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <sys/stat.h>

using namespace fios;
using namespace fios::transfer;
using fios::test::FakeRemote;
using fios::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(std::size_t n, unsigned seed = 1) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng() & 0xFF);
    return s;
}

model::RelPath rel(const char* p) {
    return *model::RelPath::parse(p);
}

/// Names in a folder, for "nothing else was left behind" checks.
std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

DownloaderOptions no_margin() {
    DownloaderOptions o;
    o.free_space_margin = 0;
    return o;
}

} // namespace

TEST_CASE("temporary names are hidden, per asset, and safe", "[transfer][downloader]") {
    CHECK(temp_name("6f2c9e1a-0000-4000-8000-000000000001") ==
          ".fios-6f2c9e1a-0000-4000-8000-000000000001.part");
    const std::string hostile = temp_name("../../etc/passwd");
    CHECK(hostile.rfind(".fios-", 0) == 0);
    CHECK(hostile.find('/') == std::string::npos);
}

TEST_CASE("download streams into a temporary file, verifies, renames into place",
          "[transfer][downloader]") {
    TempDir dir;
    fs::create_directories(dir / "sub");
    FakeRemote remote;
    const std::string content = random_bytes(50'000);
    const std::string id = remote.add_file("f", "clip.mov", content);
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("sub/clip.mov");
    req.asset_id = id;
    req.size = content.size();
    std::uint64_t progress = 0;
    bool visible_early = false;
    auto r = down.download(req, [&](std::uint64_t n) {
        progress += n;
        visible_early = visible_early || fs::exists(dir / "sub/clip.mov");
    });
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::verified);
    CHECK(r->xxh64 == hash::xxh64_hex(content));
    CHECK(r->remote_checksum == hash::xxh64_hex(content));
    CHECK(r->bytes_transferred == content.size());
    CHECK(progress == content.size());
    CHECK_FALSE(visible_early);
    CHECK(fios::test::read_file(dir / "sub/clip.mov") == content);
    CHECK(names_in(dir / "sub") == std::vector<std::string>{"clip.mov"});
    struct stat st {};
    REQUIRE(::stat((dir / "sub/clip.mov").c_str(), &st) == 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((st.st_mode & 0777) == (0644 & ~mask));
    CHECK(r->fingerprint.size == content.size());
    CHECK(r->fingerprint.inode == st.st_ino);
}

TEST_CASE("download without a remote checksum is unverified, a wrong one is a mismatch",
          "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    const std::string content = random_bytes(3'000);
    const std::string id = remote.add_file("f", "a.bin", content);
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("a.bin");
    req.asset_id = id;
    req.size = content.size();

    SECTION("no checksum yet") {
        remote.set_checksum(id, std::nullopt);
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::unverified);
        CHECK(r->xxh64 == hash::xxh64_hex(content));
        CHECK(fios::test::read_file(dir / "a.bin") == content);
    }
    SECTION("wrong checksum") {
        remote.set_checksum(id, "0000000000000000");
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::checksum_mismatch);
        CHECK(r->xxh64 == hash::xxh64_hex(content));
        CHECK(names_in(dir.path()).empty()); // neither the file nor the temporary file
    }
}

TEST_CASE("download resumes from its temporary file with a range", "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    const std::string content = random_bytes(40'000, 5);
    const std::string id = remote.add_file("f", "clip.mov", content);
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = content.size();

    SECTION("a temporary file from an earlier run") {
        fios::test::write_file(dir / temp_name(id), content.substr(0, 12'345));
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::verified);
        CHECK(r->resumed_from == 12'345);
        CHECK(r->bytes_transferred == content.size() - 12'345);
        REQUIRE(remote.downloads().size() == 1);
        CHECK(remote.downloads()[0].second == 12'345);
    }
    SECTION("a complete temporary file needs no transfer") {
        fios::test::write_file(dir / temp_name(id), content);
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::verified);
        CHECK(r->bytes_transferred == 0);
        CHECK(remote.downloads().empty());
    }
    SECTION("a temporary file longer than the asset starts over") {
        fios::test::write_file(dir / temp_name(id), content + "junk");
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::verified);
        CHECK(r->resumed_from == 0);
    }
    SECTION("a transfer that breaks mid-body resumes in the same call") {
        remote.break_download_after = 10'000;
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::verified);
        const auto d = remote.downloads();
        REQUIRE(d.size() == 2);
        CHECK(d[0].second == 0);
        CHECK(d[1].second == 10'000);
    }
    CHECK(fios::test::read_file(dir / "clip.mov") == content);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"clip.mov"});
}

TEST_CASE("download never replaces a file that appeared meanwhile", "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    const std::string content = random_bytes(9'000);
    const std::string id = remote.add_file("f", "clip.mov", content);
    remote.on_download = [&](const std::string&, std::uint64_t) -> Status {
        fios::test::write_file(dir / "clip.mov", "the user's own file");
        return {};
    };
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = content.size();
    auto r = down.download(req);
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::target_exists);
    CHECK(fios::test::read_file(dir / "clip.mov") == "the user's own file");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"clip.mov"});

    // Replacing is explicit.
    remote.on_download = nullptr;
    req.replace_existing = true;
    auto again = down.download(req);
    REQUIRE(again);
    CHECK(again->status == DownloadStatus::verified);
    CHECK(fios::test::read_file(dir / "clip.mov") == content);
}

TEST_CASE("download refuses a folder swapped for a symlink", "[transfer][downloader]") {
    TempDir dir;
    TempDir outside;
    fs::create_directory_symlink(outside.path(), dir / "sub");
    FakeRemote remote;
    const std::string id = remote.add_file("f", "clip.mov", "data");
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("sub/clip.mov");
    req.asset_id = id;
    req.size = 4;
    auto r = down.download(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::io);
    CHECK(names_in(outside.path()).empty());
    CHECK(remote.downloads().empty());
}

TEST_CASE("a symlink planted at the temporary name is removed, not followed",
          "[transfer][downloader]") {
    TempDir dir;
    TempDir outside;
    fios::test::write_file(outside / "victim", "keep me");
    FakeRemote remote;
    const std::string id = remote.add_file("f", "clip.mov", "fresh bytes");
    fs::create_symlink(outside / "victim", dir / temp_name(id));
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = 11;
    auto r = down.download(req);
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::verified);
    CHECK(fios::test::read_file(outside / "victim") == "keep me");
    CHECK(fios::test::read_file(dir / "clip.mov") == "fresh bytes");
}

TEST_CASE("download refuses to start when the data would not fit", "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    const std::string id = remote.add_file("f", "clip.mov", random_bytes(5'000));
    DownloaderOptions o;
    o.free_space_margin = 1'000;
    o.free_space = [](int) -> Result<std::uint64_t> { return std::uint64_t{5'500}; };
    Downloader down(remote, o);
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = 5'000;
    auto r = down.download(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::disk_full);
    CHECK(scope_of(r.error()) == ErrorScope::run);
    CHECK(remote.downloads().empty());
    CHECK(names_in(dir.path()).empty());
}

TEST_CASE("download reports remote changes instead of writing", "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    const std::string id = remote.add_file("f", "clip.mov", "12345");
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    SECTION("another size") {
        fios::test::write_file(dir / temp_name(id), "12");
        req.size = 6;
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::remote_changed);
    }
    SECTION("deleted") {
        remote.set_deleted(id);
        req.size = 5;
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::remote_changed);
    }
    SECTION("not uploaded yet") {
        auto s = remote.create_file("f", "new.mov", 5, {});
        REQUIRE(s);
        req.asset_id = s->asset_id;
        req.size = 5;
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::remote_not_ready);
    }
    CHECK(names_in(dir.path()).empty());
}

TEST_CASE("a cancelled download keeps its temporary file for a resume", "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    remote.download_chunk = 1000;
    const std::string content = random_bytes(30'000);
    const std::string id = remote.add_file("f", "clip.mov", content);
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = content.size();
    CancelToken cancel;
    std::uint64_t got = 0;
    auto r = down.download(
        req,
        [&](std::uint64_t n) {
            got += n;
            if (got >= 5'000)
                cancel.cancel();
        },
        &cancel);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK_FALSE(fs::exists(dir / "clip.mov"));
    REQUIRE(fs::exists(dir / temp_name(id)));
    const auto kept = fs::file_size(dir / temp_name(id));
    CHECK(kept >= 5'000);

    auto resumed = down.download(req);
    REQUIRE(resumed);
    CHECK(resumed->status == DownloadStatus::verified);
    CHECK(resumed->resumed_from == kept);
    CHECK(fios::test::read_file(dir / "clip.mov") == content);
}

TEST_CASE("an empty remote file downloads as an empty file", "[transfer][downloader]") {
    TempDir dir;
    FakeRemote remote;
    const std::string id = remote.add_file("f", "empty", "");
    Downloader down(remote, no_margin());
    DownloadRequest req;
    req.root = dir.path();
    req.path = rel("empty");
    req.asset_id = id;
    req.size = 0;
    auto r = down.download(req);
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::verified);
    CHECK(fs::file_size(dir / "empty") == 0);
}
