// SPDX-License-Identifier: MIT
#include "fake_remote.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/transfer/uploader.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sys/stat.h>
#include <thread>

using namespace fios;
using namespace fios::transfer;
using fios::test::FakeRemote;
using fios::test::TempDir;
using namespace std::chrono_literals;

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

struct Recorder {
    std::mutex m;
    std::vector<remote::UploadSession> sessions;
    std::vector<std::size_t> parts;
    std::atomic<std::uint64_t> progress{0};
    UploadCallbacks callbacks() {
        UploadCallbacks cb;
        cb.on_session = [this](const remote::UploadSession& s) {
            std::lock_guard l(m);
            sessions.push_back(s);
        };
        cb.on_part_done = [this](std::size_t i) {
            std::lock_guard l(m);
            parts.push_back(i);
        };
        cb.on_progress = [this](std::uint64_t n) { progress += n; };
        return cb;
    }
};

} // namespace

TEST_CASE("upload sends every part, hashes the file once and reports parts",
          "[transfer][uploader]") {
    TempDir dir;
    const std::string content = random_bytes(10'500);
    fios::test::write_file(dir / "a/clip.mov", content);
    FakeRemote remote;
    remote.part_size = 1000; // 11 parts
    // Hold part 0 back until every other part is stored: parts finish out of order.
    std::atomic<int> stored{0};
    remote.on_part = [&](const std::string&, std::size_t i) -> Status {
        if (i == 0)
            fios::test::wait_until([&] { return stored.load() >= 10; }, 10s);
        else
            ++stored;
        return {};
    };
    PartPool pool(4);
    Uploader up(remote, pool);
    Recorder rec;
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("a/clip.mov");
    req.parent_id = "folder-x";
    auto r = up.upload(req, rec.callbacks());
    REQUIRE(r);
    CHECK(r->status == UploadStatus::uploaded);
    CHECK(r->xxh64 == hash::xxh64_hex(content));
    CHECK(r->bytes_sent == content.size());
    CHECK(r->parts_sent == 11);
    CHECK(r->fingerprint.size == content.size());
    REQUIRE(rec.sessions.size() == 1);
    CHECK(rec.sessions[0].asset_id == r->asset_id);
    CHECK(rec.sessions[0].name == "clip.mov");
    CHECK(std::set<std::size_t>(rec.parts.begin(), rec.parts.end()).size() == 11);
    CHECK(rec.parts.back() == 0); // part 0 finished last
    CHECK(rec.progress == content.size());
    const auto a = remote.asset(r->asset_id);
    CHECK(a.content == content);
    CHECK(a.item.upload_completed);
    CHECK(a.item.parent_id == "folder-x");
}

TEST_CASE("a zero-byte file uploads as one empty part", "[transfer][uploader]") {
    TempDir dir;
    fios::test::write_file(dir / "empty.txt", "");
    FakeRemote remote;
    PartPool pool(2);
    Uploader up(remote, pool);
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("empty.txt");
    req.parent_id = "f";
    auto r = up.upload(req);
    REQUIRE(r);
    CHECK(r->status == UploadStatus::uploaded);
    CHECK(r->xxh64 == hash::xxh64_hex(""));
    CHECK(remote.asset(r->asset_id).item.upload_completed);
}

TEST_CASE("a failed part stops the upload, resuming sends only the missing parts",
          "[transfer][uploader]") {
    TempDir dir;
    const std::string content = random_bytes(5'000, 7);
    fios::test::write_file(dir / "clip.mov", content);
    FakeRemote remote;
    remote.part_size = 1000; // 5 parts
    remote.on_part = [&](const std::string&, std::size_t i) -> Status {
        if (i == 3)
            return Error{ErrorCode::server, "HTTP 503 after retries", 503};
        return {};
    };
    PartPool pool(1); // in order: parts 0..2 are stored, 3 fails, 4 is dropped
    Uploader up(remote, pool);
    Recorder rec;
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.parent_id = "f";
    auto first = up.upload(req, rec.callbacks());
    REQUIRE_FALSE(first);
    CHECK(first.error().code == ErrorCode::server);
    CHECK(first.error().retryable());
    CHECK(scope_of(first.error()) == ErrorScope::item_retryable);
    REQUIRE(rec.sessions.size() == 1);
    const auto session = rec.sessions[0];
    const std::vector<std::size_t> done = rec.parts;
    CHECK(done == std::vector<std::size_t>{0, 1, 2});
    CHECK_FALSE(remote.asset(session.asset_id).item.upload_completed);

    // The journal's copy goes through the text form.
    auto stored = remote::decode_session(remote::encode_session(session));
    REQUIRE(stored);
    CHECK(*stored == session);

    remote.on_part = nullptr;
    const auto puts_before = remote.parts_put().size();
    UploadRequest again = req;
    again.resume = *stored;
    again.done_parts = done;
    Recorder rec2;
    auto second = up.upload(again, rec2.callbacks());
    REQUIRE(second);
    CHECK(second->status == UploadStatus::uploaded);
    CHECK(second->asset_id == session.asset_id);
    CHECK(second->xxh64 == hash::xxh64_hex(content));
    CHECK(second->parts_sent == 2);
    CHECK(rec2.sessions.empty()); // no new asset
    CHECK(remote.creates() == 1);
    const auto puts = remote.parts_put();
    REQUIRE(puts.size() == puts_before + 2);
    CHECK(puts[puts_before].second == 3);
    CHECK(puts[puts_before + 1].second == 4);
    CHECK(remote.asset(session.asset_id).content == content);
}

TEST_CASE("resuming a session whose upload already completed sends nothing",
          "[transfer][uploader]") {
    TempDir dir;
    const std::string content = random_bytes(3'000, 9);
    fios::test::write_file(dir / "x.bin", content);
    FakeRemote remote;
    PartPool pool(2);
    Uploader up(remote, pool);
    Recorder rec;
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("x.bin");
    req.parent_id = "f";
    auto first = up.upload(req, rec.callbacks());
    REQUIRE(first);
    const auto puts = remote.parts_put().size();

    SECTION("the server says complete") {
        req.resume = rec.sessions.at(0);
        req.done_parts = {}; // the journal lost the part records (crash)
        auto r = up.upload(req);
        REQUIRE(r);
        CHECK(r->status == UploadStatus::uploaded);
        CHECK(r->parts_sent == 0);
        CHECK(r->xxh64 == hash::xxh64_hex(content));
        CHECK(remote.parts_put().size() == puts);
    }
    SECTION("the asset was deleted: the session is invalid") {
        remote.set_deleted(first->asset_id);
        req.resume = rec.sessions.at(0);
        auto r = up.upload(req);
        REQUIRE(r);
        CHECK(r->status == UploadStatus::session_invalid);
        CHECK(r->asset_id == first->asset_id);
    }
    SECTION("the file no longer matches the session") {
        fios::test::write_file(dir / "x.bin", content + "more");
        req.resume = rec.sessions.at(0);
        auto r = up.upload(req);
        REQUIRE(r);
        CHECK(r->status == UploadStatus::session_invalid);
    }
}

TEST_CASE("refused part URLs make a resumed session invalid", "[transfer][uploader]") {
    TempDir dir;
    fios::test::write_file(dir / "x.bin", random_bytes(2'500));
    FakeRemote remote;
    remote.on_part = [](const std::string&, std::size_t) -> Status {
        return Error{ErrorCode::forbidden, "Request has expired", 403};
    };
    PartPool pool(2);
    Uploader up(remote, pool);
    Recorder rec;
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("x.bin");
    req.parent_id = "f";
    auto r = up.upload(req, rec.callbacks());
    REQUIRE(r);
    CHECK(r->status == UploadStatus::session_invalid);
    CHECK(r->asset_id == rec.sessions.at(0).asset_id);
    CHECK(r->detail.find("SECRET") == std::string::npos);
}

TEST_CASE("a file that changes during the upload is reported, not accepted",
          "[transfer][uploader]") {
    TempDir dir;
    const std::string content = random_bytes(4'000, 3);
    fios::test::write_file(dir / "clip.mov", content);
    // 0: appended; 1: rewritten in place with the same size; 2: replaced by another file.
    const int how = GENERATE(0, 1, 2);
    INFO("change kind " << how);
    FakeRemote remote;
    remote.on_part = [&](const std::string&, std::size_t i) -> Status {
        if (i != 1)
            return {};
        if (how == 0) {
            std::ofstream(dir / "clip.mov", std::ios::app) << "tail";
        } else if (how == 1) {
            std::fstream f(dir / "clip.mov", std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(10);
            f.write("XXXX", 4);
            f.close();
            // The mtime moves (set explicitly: coarse clocks may not tick between writes).
            struct timespec ts[2] = {{0, UTIME_OMIT}, {1'000'000'000, 0}};
            ::utimensat(AT_FDCWD, (dir / "clip.mov").c_str(), ts, 0);
        } else {
            fios::test::write_file(dir / "clip.mov.new", content);
            std::filesystem::rename(dir / "clip.mov.new", dir / "clip.mov");
        }
        return {};
    };
    PartPool pool(1);
    Uploader up(remote, pool);
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.parent_id = "f";
    auto r = up.upload(req);
    REQUIRE(r);
    CHECK(r->status == UploadStatus::local_changed);
    CHECK_FALSE(r->asset_id.empty()); // the engine deletes this unverified asset
}

TEST_CASE("a file that differs from the plan's fingerprint is not uploaded",
          "[transfer][uploader]") {
    TempDir dir;
    fios::test::write_file(dir / "clip.mov", "abc");
    FakeRemote remote;
    PartPool pool(1);
    Uploader up(remote, pool);
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.parent_id = "f";
    req.expected = LocalFingerprint{2, {}, 0, 0};
    auto r = up.upload(req);
    REQUIRE(r);
    CHECK(r->status == UploadStatus::local_changed);
    CHECK(r->asset_id.empty());
    CHECK(remote.creates() == 0);

    req.path = rel("missing.mov");
    req.expected.reset();
    auto gone = up.upload(req);
    REQUIRE(gone);
    CHECK(gone->status == UploadStatus::local_changed);
}

TEST_CASE("uploads never follow symlinks", "[transfer][uploader]") {
    TempDir dir;
    TempDir outside;
    fios::test::write_file(outside / "secret.txt", "outside the sync folder");
    std::filesystem::create_directory_symlink(outside.path(), dir / "linkdir");
    std::filesystem::create_symlink(outside / "secret.txt", dir / "link.txt");
    FakeRemote remote;
    PartPool pool(1);
    Uploader up(remote, pool);
    UploadRequest req;
    req.root = dir.path();
    req.parent_id = "f";
    for (const char* p : {"linkdir/secret.txt", "link.txt"}) {
        req.path = rel(p);
        auto r = up.upload(req);
        INFO(p);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::io);
    }
    CHECK(remote.creates() == 0);
}

TEST_CASE("cancelling stops an upload at the next part", "[transfer][uploader]") {
    TempDir dir;
    fios::test::write_file(dir / "big.bin", random_bytes(20'000));
    FakeRemote remote;
    CancelToken cancel;
    remote.on_part = [&](const std::string&, std::size_t i) -> Status {
        if (i == 2)
            cancel.cancel();
        return {};
    };
    PartPool pool(1);
    Uploader up(remote, pool);
    Recorder rec;
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("big.bin");
    req.parent_id = "f";
    auto r = up.upload(req, rec.callbacks(), &cancel);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK(scope_of(r.error()) == ErrorScope::run);
    CHECK(rec.parts.size() < 20);
}

TEST_CASE("a create whose outcome is unknown is resolved by deleting the lost asset",
          "[transfer][uploader]") {
    FakeRemote remote;
    // The lost create left an incomplete asset; a completed same-name file is someone's.
    auto lost = remote.create_file("f", "clip.mov", 1234, {});
    REQUIRE(lost);
    const std::string done_id = remote.add_file("f", "clip.mov", std::string(1234, 'x'));
    auto other_size = remote.create_file("f", "clip.mov", 99, {});
    REQUIRE(other_size);
    auto n = discard_lost_creates(remote, "f", "clip.mov", 1234);
    REQUIRE(n);
    CHECK(*n == 1);
    CHECK(remote.deleted() == std::vector<std::string>{lost->asset_id});
    CHECK_FALSE(remote.asset(done_id).item.deleted);
}
