// SPDX-License-Identifier: MIT
#include "fake_remote.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/transfer/executor.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace fios;
using namespace fios::transfer;
using fios::test::FakeRemote;
using fios::test::TempDir;
using namespace std::chrono_literals;

namespace {

/// Takes events until every job finished (with a deadline), as the engine's thread does.
std::vector<Event> drain(Executor& ex, std::chrono::milliseconds deadline = 20s) {
    std::vector<Event> out;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!ex.idle() && std::chrono::steady_clock::now() < end) {
        if (auto e = ex.next_event(100ms))
            out.push_back(std::move(*e));
    }
    return out;
}

} // namespace

TEST_CASE("executor runs uploads and downloads and reports events in order",
          "[transfer][executor]") {
    TempDir dir;
    FakeRemote remote;
    remote.part_size = 1000;
    for (std::size_t i = 0; i < 4; ++i)
        fios::test::write_file(dir / ("up" + std::to_string(i)),
                               std::string(3'500 + i, static_cast<char>('a' + i)));
    const std::string content = "downloaded bytes";
    const std::string id = remote.add_file("f", "d", content);
    FakeClock clock;
    ExecutorOptions o;
    o.jobs = 2;
    o.part_jobs = 3;
    o.downloader.free_space_margin = 0;
    Executor ex(remote, clock, o);
    for (int i = 0; i < 4; ++i) {
        UploadRequest r;
        r.root = dir.path();
        r.path = *model::RelPath::parse("up" + std::to_string(i));
        r.parent_id = "f";
        ex.submit_upload(static_cast<JobId>(i), r);
    }
    DownloadRequest d;
    d.root = dir.path();
    d.path = *model::RelPath::parse("down");
    d.asset_id = id;
    d.size = content.size();
    ex.submit_download(100, d);

    const auto events = drain(ex);
    REQUIRE(ex.idle());
    std::map<JobId, std::vector<EventKind>> per_job;
    for (const auto& e : events)
        per_job[e.id].push_back(e.kind);
    for (JobId i = 0; i < 4; ++i) {
        const auto& kinds = per_job[i];
        REQUIRE(kinds.size() == 1 + 4 + 1); // session, 4 parts, finished
        CHECK(kinds.front() == EventKind::session_created);
        CHECK(kinds.back() == EventKind::finished);
        for (std::size_t k = 1; k + 1 < kinds.size(); ++k)
            CHECK(kinds[k] == EventKind::part_done);
    }
    for (const auto& e : events) {
        if (e.kind != EventKind::finished)
            continue;
        if (e.job == JobKind::upload) {
            REQUIRE(e.upload);
            REQUIRE(*e.upload);
            CHECK((*e.upload)->status == UploadStatus::uploaded);
        } else {
            REQUIRE(e.download);
            REQUIRE(*e.download);
            CHECK((*e.download)->status == DownloadStatus::verified);
        }
    }
    CHECK(fios::test::read_file(dir / "down") == content);
    const auto p = ex.progress();
    CHECK(p.bytes_up == 4 * 3'500 + 0 + 1 + 2 + 3);
    CHECK(p.bytes_down == content.size());
}

TEST_CASE("verify jobs wait on the clock without holding a worker", "[transfer][executor]") {
    FakeRemote remote;
    const std::string content = "payload";
    const std::string id = remote.add_file("f", "a", content);
    remote.set_checksum(id, std::nullopt);
    const std::string other = remote.add_file("f", "b", "other");
    FakeClock clock;
    ExecutorOptions o;
    o.jobs = 1; // one worker: the download below can only run if the verify job lets go
    o.verify.timeout = 60s;
    o.verify.first_delay = 1s;
    o.verify.max_delay = 4s;
    o.downloader.free_space_margin = 0;
    TempDir dir;
    Executor ex(remote, clock, o);
    ex.submit_verify(1, {id, content.size(), hash::xxh64_hex(content)});
    DownloadRequest d;
    d.root = dir.path();
    d.path = *model::RelPath::parse("b");
    d.asset_id = other;
    d.size = 5;
    ex.submit_download(2, d);

    // The download finishes while the verification is still waiting on the clock.
    std::optional<Event> first;
    REQUIRE(fios::test::wait_until([&] {
        first = ex.next_event(50ms);
        return first.has_value();
    }));
    CHECK(first->id == 2);
    CHECK_FALSE(ex.idle());

    remote.set_checksum(id, hash::xxh64_hex(content));
    clock.advance(1s);
    std::optional<Event> second;
    REQUIRE(fios::test::wait_until([&] {
        second = ex.next_event(50ms);
        return second.has_value();
    }));
    CHECK(second->id == 1);
    REQUIRE(second->verify);
    REQUIRE(*second->verify);
    CHECK((*second->verify)->state == VerifyState::verified);
    CHECK(ex.idle());
}

TEST_CASE("a verification that times out finishes pending", "[transfer][executor]") {
    FakeRemote remote;
    const std::string id = remote.add_file("f", "a", "x");
    remote.set_checksum(id, std::nullopt);
    FakeClock clock;
    ExecutorOptions o;
    o.verify.timeout = 5s;
    o.verify.first_delay = 1s;
    Executor ex(remote, clock, o);
    ex.submit_verify(7, {id, 1, hash::xxh64_hex("x")});
    std::optional<Event> e;
    REQUIRE(fios::test::wait_until([&] {
        clock.advance(500ms);
        e = ex.next_event(20ms);
        return e.has_value();
    }));
    REQUIRE(e->verify);
    REQUIRE(*e->verify);
    CHECK((*e->verify)->state == VerifyState::awaiting_checksum);
}

TEST_CASE("cancelling the executor finishes queued jobs as cancelled", "[transfer][executor]") {
    TempDir dir;
    FakeRemote remote;
    fios::test::write_file(dir / "a", std::string(5'000, 'a'));
    std::atomic<bool> in_part{false};
    std::atomic<bool> release{false};
    remote.on_part = [&](const std::string&, std::size_t) -> Status {
        in_part = true;
        fios::test::wait_until([&] { return release.load(); }, 20s);
        return {};
    };
    FakeClock clock;
    ExecutorOptions o;
    o.jobs = 1;
    o.part_jobs = 1;
    CancelToken cancel;
    Executor ex(remote, clock, o, &cancel);
    for (JobId i = 0; i < 3; ++i) {
        UploadRequest r;
        r.root = dir.path();
        r.path = *model::RelPath::parse("a");
        r.parent_id = "f";
        ex.submit_upload(i, r);
    }
    REQUIRE(fios::test::wait_until([&] { return in_part.load(); }));
    cancel.cancel(); // the caller's token (a signal handler): seen by the executor
    release = true;
    const auto events = drain(ex);
    REQUIRE(ex.idle());
    int cancelled = 0;
    for (const auto& e : events) {
        if (e.kind == EventKind::finished) {
            REQUIRE(e.upload);
            if (!*e.upload && e.upload->error().code == ErrorCode::cancelled)
                ++cancelled;
        }
    }
    CHECK(cancelled == 3);
    CHECK(remote.creates() == 1); // the queued ones never started
}
