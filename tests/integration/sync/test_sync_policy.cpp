// SPDX-License-Identifier: MIT
// One scenario per policy rule of issue 4 ("Policy" 1-9), plus the first and second run, each
// against frameio-emulator at its DEFAULT rate limits with a checksum delay above zero and
// files of at least 3 parts (the requirement for the main scenarios).
#include "sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sys/stat.h>

using namespace fios::test::sync;
using fios::engine::ItemResult;
using fios::engine::RunResult;
using fios::model::JournalState;
using fios::plan::ActionKind;
using fios::plan::SkipReason;

TEST_CASE("rule 1: the first run syncs both ways: nested folders - empty folders - zero-byte files",
          "[sync][rule1][rule2]") {
    SyncFixture fx;
    // V4 holds no empty file (local_upload's file_size is at least 1): the empty local file is
    // reported as unsupported and stays here (row 79), and there is no empty remote one.
    const bool v4 = fx.generation() == Generation::v4;
    fx.local().insert("A/B/clip.mov", k_three_parts);
    fx.local().insert("A/zero.txt", std::string());
    fx.local().mkdir("A/empty");
    fx.local().mkdir("Empty Local");
    fx.remote().insert("R/S/take.wav", k_three_parts + 17);
    if (!v4)
        fx.remote().insert("R/rzero.bin", std::string());
    fx.remote().mkdir("R/remote-empty");
    fx.remote().insert("top.txt", "hello");

    Tree expected = fx.local_tree();
    for (const auto& [path, node] : fx.remote_tree())
        expected[path] = node;

    fx.publish_checksums();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().uploaded == (v4 ? 1 : 2));
    CHECK(run.totals().downloaded == (v4 ? 2 : 3));
    CHECK(run.totals().failed == 0);
    CHECK(run.totals().conflicts == 0);

    CHECK_TREES_EQUAL(fx.local_tree(), expected);
    if (v4) {
        CHECK(run.has("A/zero.txt", ActionKind::skip, SkipReason::unsupported_type));
        expected.erase("A/zero.txt");
        CHECK_TREES_EQUAL(fx.remote_tree(), expected);
    } else {
        CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
    }
    CHECK(fx.local().temp_files().empty());

    // Every file is recorded synced and verified as the generation allows.
    const auto rows = fx.journal();
    std::vector<std::string> files{"A/B/clip.mov", "R/S/take.wav", "top.txt"};
    if (!v4)
        files.insert(files.end(), {"A/zero.txt", "R/rzero.bin"});
    for (const auto& path : files) {
        CAPTURE(path);
        REQUIRE(rows.count(path));
        CHECK(rows.at(path).state == JournalState::synced);
        CHECK(fx.verified(rows.at(path)));
    }
}

TEST_CASE("rule 1: a second run after success transfers nothing", "[sync][rule1]") {
    SyncFixture fx;
    fx.local().insert("up/a.bin", k_three_parts);
    fx.local().mkdir("up/empty");
    fx.remote().insert("down/b.bin", k_three_parts);
    fx.remote().mkdir("down/empty");
    fx.publish_checksums();
    const RunOutcome first = fx.sync_once();
    REQUIRE_RUN(first);
    REQUIRE(first.report->result == RunResult::ok);
    const Tree before = fx.local_tree();
    REQUIRE_TREES_EQUAL(before, fx.remote_tree());

    fx.emulator().reset_stats();
    const RunOutcome second = fx.sync_once();
    REQUIRE_RUN(second);
    INFO(second.describe());
    CHECK(second.report->result == RunResult::ok);
    const Stats stats = fx.emulator().stats();
    INFO("requests: " << [&] {
        std::string s;
        for (const auto& [k, v] : stats)
            s += k + "=" + std::to_string(v) + " ";
        return s;
    }());
    CHECK(count_creates(stats) == 0);
    CHECK(count(stats, "PUT /parts") == 0);
    CHECK(count(stats, "GET /originals") == 0);
    CHECK(count(stats, "DELETE") == 0);
    CHECK(second.totals().uploaded == 0);
    CHECK(second.totals().downloaded == 0);
    CHECK(second.totals().folders_created == 0);
    CHECK(second.totals().bytes_uploaded == 0);
    CHECK(second.totals().bytes_downloaded == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), before);
    CHECK_TREES_EQUAL(fx.remote_tree(), before);
}

TEST_CASE("rule 2: a file still being written is skipped - then picked up once settled",
          "[sync][rule2]") {
    SyncFixture fx;
    fx.local().insert("growing.mov", k_three_parts);
    fx.local().touch("growing.mov"); // mtime = now: still being written
    fx.local().insert("ready.txt", "old enough");

    const RunOutcome first = fx.sync_once();
    REQUIRE_RUN(first);
    CHECK(first.report->result == RunResult::ok); // settling is not an error
    CHECK(first.has("growing.mov", ActionKind::skip, SkipReason::settling));
    CHECK(first.totals().settling == 1);
    CHECK(fx.remote_tree() == Tree{{"ready.txt", file_node("old enough")}});

    // Written to again within the window: still settling, never forgotten.
    fx.clock().advance(std::chrono::seconds(3));
    fx.local().append("growing.mov", "more");
    fx.local().touch("growing.mov");
    const RunOutcome second = fx.sync_once();
    REQUIRE_RUN(second);
    CHECK(second.has("growing.mov", ActionKind::skip, SkipReason::settling));
    CHECK_FALSE(fx.remote_tree().count("growing.mov"));

    // Unchanged for the settle window (5 s on the injected clock): uploaded.
    fx.clock().advance(std::chrono::seconds(6));
    const RunOutcome third = fx.sync_once();
    REQUIRE_RUN(third);
    INFO(third.describe());
    CHECK(third.has("growing.mov", ActionKind::upload));
    CHECK(third.totals().uploaded == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("rule 3: an upload is sent in parts and verified by Frame.io's checksum",
          "[sync][rule3]") {
    SyncFixture fx; // checksum delay 1 s of emulator time: the run waits for it
    fx.local().insert("deep/er/clip.mov", 3 * 64 * 1024 + 5); // 4 parts
    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().uploaded == 1);
    CHECK(run.totals().awaiting_verification == 0);
    const Stats stats = fx.emulator().stats();
    CHECK(count(stats, "PUT /parts") == 4);
    CHECK(count_creates(stats) == 3); // deep, er, clip.mov
    const auto rows = fx.journal();
    REQUIRE(rows.count("deep/er/clip.mov"));
    const auto& row = rows.at("deep/er/clip.mov");
    CHECK(row.state == JournalState::synced);
    CHECK(fx.verified(row));
    CHECK(row.xxh64 == std::optional<std::string>(xxh64_file(fx.local().abs("deep/er/clip.mov"))));
    CHECK(row.asset_id == fx.remote().id_of("deep/er/clip.mov"));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

// V2 only: a wrong checksum needs one. On V4 a mismatch of our own upload is found by
// reading it back (test_sync_readback.cpp: "a corrupted stored upload is replaced").
TEST_CASE("rule 3: a checksum mismatch uploads again - at most 3 times - then fails for good",
          "[sync][rule3][v2-only]") {
    // A long checksum delay, so that every upload is left awaiting verification and the test
    // can publish a wrong checksum before the next run looks at it.
    FixtureOptions o;
    o.checksum_delay = 3600;
    SyncFixture fx(o);
    fx.local().insert("bad.mov", k_three_parts);
    auto opts = fx.run_options();
    opts.verify_timeout = std::chrono::seconds(0);

    std::vector<std::string> assets;
    for (int attempt = 1; attempt <= 3; ++attempt) {
        CAPTURE(attempt);
        const RunOutcome run = fx.sync_once(opts);
        REQUIRE_RUN(run);
        INFO(run.describe());
        const auto* item = run.item("bad.mov");
        REQUIRE(item != nullptr);
        CHECK(item->action == (attempt == 1 ? ActionKind::upload : ActionKind::reupload));
        CHECK(item->attempt == static_cast<std::uint32_t>(attempt));
        CHECK(item->result == ItemResult::awaiting_verification);
        const auto ids = fx.remote().ids_at("bad.mov");
        REQUIRE(ids.size() == 1); // the earlier attempt was deleted: never two
        assets.push_back(ids.front());
        fx.emulator().corrupt(ids.front(), "checksum");
    }
    CHECK(assets[0] != assets[1]);
    CHECK(assets[1] != assets[2]);

    fx.emulator().reset_stats();
    const RunOutcome last = fx.sync_once(opts);
    REQUIRE_RUN(last);
    INFO(last.describe());
    CHECK(last.report->result == RunResult::partial);
    CHECK(last.totals().failed == 1);
    CHECK(last.has("bad.mov", ActionKind::mark_failed));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    const auto rows = fx.journal();
    REQUIRE(rows.count("bad.mov"));
    CHECK(rows.at("bad.mov").state == JournalState::failed);
    CHECK_FALSE(rows.at("bad.mov").verified);
    CHECK_FALSE(rows.at("bad.mov").next_retry_at.has_value()); // for good

    // Never accepted anyway, and not tried again while the file is unchanged.
    fx.emulator().reset_stats();
    const RunOutcome again = fx.sync_once(opts);
    REQUIRE_RUN(again);
    CHECK(again.has("bad.mov", ActionKind::skip, SkipReason::failed));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(fx.journal().at("bad.mov").state == JournalState::failed);
}

// V2 only: V4 has no checksum to wait for: a complete upload of our size is
// verified at once (rows 75-76; test_sync_generations.cpp "the first run syncs both ways").
TEST_CASE("rule 3: without a checksum an upload stays awaiting verification - re-checked later",
          "[sync][rule3][v2-only]") {
    FixtureOptions o;
    o.emulator_args = {"--no-checksum-rate", "1"};
    SyncFixture fx(o);
    fx.local().insert("nochk.mov", k_three_parts);
    auto opts = fx.run_options();
    opts.verify_timeout = std::chrono::seconds(0); // the injected clock never moves by itself

    const RunOutcome first = fx.sync_once(opts);
    REQUIRE_RUN(first);
    INFO(first.describe());
    CHECK(first.report->result == RunResult::ok); // awaiting is not an error
    CHECK(first.totals().awaiting_verification == 1);
    CHECK(fx.journal().at("nochk.mov").state == JournalState::awaiting_verification);
    CHECK_FALSE(fx.journal().at("nochk.mov").verified);

    fx.emulator().reset_stats();
    fx.emulator().advance_clock(7200);
    const RunOutcome second = fx.sync_once(opts);
    REQUIRE_RUN(second);
    INFO(second.describe());
    CHECK(second.has("nochk.mov", ActionKind::skip, SkipReason::awaiting_verification));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(count_creates(fx.emulator().stats()) == 0);
    CHECK(fx.journal().at("nochk.mov").state == JournalState::awaiting_verification);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

// V2 only: V4 has no checksum to wait for: a download of the asset's size is
// verified by size (row 76; test_sync_generations.cpp "the first run syncs both ways").
TEST_CASE("rule 4: a download without a checksum is kept and recorded unverified",
          "[sync][rule4][v2-only]") {
    FixtureOptions o;
    o.emulator_args = {"--no-checksum-rate", "1"};
    SyncFixture fx(o);
    fx.remote().insert("dl/unverified.wav", k_three_parts);
    auto opts = fx.run_options();
    opts.verify_timeout = std::chrono::seconds(0);
    const RunOutcome run = fx.sync_once(opts);
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().downloaded == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
    const auto row = fx.journal().at("dl/unverified.wav");
    CHECK(row.state == JournalState::awaiting_verification);
    CHECK(row.direction == fios::model::TransferDirection::down);
    CHECK_FALSE(row.verified);
}

TEST_CASE("rule 4: only completed uploads are downloaded - never a partial file", "[sync][rule4]") {
    SyncFixture fx;
    const std::string content = make_content(k_three_parts, 4);
    fx.remote().insert_incomplete("half.mov", content, 2);
    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.has("half.mov", ActionKind::skip, SkipReason::remote_incomplete));
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    CHECK(fx.local_tree().empty());
}

// V2 only: V4 has no checksum to compare a download with: its size is checked
// (a truncated download, test_sync_faults.cpp "connection resets ... truncated downloads").
TEST_CASE("rule 4: a download whose bytes do not match the checksum is retried - then fails",
          "[sync][rule4][v2-only]") {
    SyncFixture fx;
    const std::string id = fx.remote().insert("rotten.mov", k_three_parts);
    fx.publish_checksums();
    fx.emulator().corrupt(id, "content"); // the stored bytes no longer match the checksum
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::partial);
    CHECK(run.totals().failed == 1);
    CHECK(count(fx.emulator().stats(), "GET /originals") == 3); // at most 3 in all
    CHECK_FALSE(fx.local().exists("rotten.mov"));               // never under the real name
    CHECK(fx.local().temp_files().empty());
    CHECK(fx.journal().at("rotten.mov").state == JournalState::failed);
}

TEST_CASE("rule 4: the free space margin is a setting - a download it forbids fails and is retried",
          "[sync][rule4]") {
    SyncFixture fx;
    fx.remote().insert("big/take.wav", k_three_parts);
    fx.publish_checksums();
    auto opts = fx.run_options();
    opts.free_space_margin = std::uint64_t{1} << 60; // more than any disk holds
    const RunOutcome refused = fx.sync_once(opts);
    REQUIRE_RUN(refused);
    INFO(refused.describe());
    CHECK(refused.totals().failed == 1);
    const auto* item = refused.item("big/take.wav");
    REQUIRE(item != nullptr);
    REQUIRE(item->error.has_value());
    CHECK(item->error->message.find("free_space_margin_mb") != std::string::npos);
    CHECK_FALSE(fx.local().exists("big/take.wav"));
    CHECK(fx.local().temp_files().empty());

    fx.clock().advance(std::chrono::hours(1)); // past the failure's backoff
    opts.free_space_margin = 0;
    const RunOutcome allowed = fx.sync_once(opts);
    REQUIRE_RUN(allowed);
    INFO(allowed.describe());
    CHECK(allowed.totals().downloaded == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("rule 5: deletions never propagate - and nothing deleted is brought back",
          "[sync][rule5]") {
    SyncFixture fx;
    fx.local().insert("mine/local-gone.txt", "local");
    fx.remote().insert("theirs/remote-gone.txt", "remote");
    fx.local().insert("keep.txt", "keep");
    fx.publish_checksums();
    {
        const RunOutcome setup = fx.sync_once();
        REQUIRE_RUN(setup);
    }
    REQUIRE_TREES_EQUAL(fx.local_tree(), fx.remote_tree());

    fx.local().remove("mine/local-gone.txt");
    fx.remote().remove("theirs/remote-gone.txt");
    const Tree local_before = fx.local_tree();
    const Tree remote_before = fx.remote_tree();

    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.has("mine/local-gone.txt", ActionKind::skip, SkipReason::deleted_locally));
    CHECK(run.has("theirs/remote-gone.txt", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK(run.totals().deleted_locally == 1);
    CHECK(run.totals().deleted_remotely == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), local_before);   // not downloaded again
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before); // not uploaded again, nothing deleted
    CHECK(count(fx.emulator().stats(), "DELETE") == 0);
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    // The rows stay, marked, for `status`.
    CHECK(fx.journal().at("mine/local-gone.txt").deleted_locally);
    CHECK(fx.journal().at("theirs/remote-gone.txt").deleted_remotely);

    // And a later run still does not bring them back.
    const RunOutcome later = fx.sync_once();
    REQUIRE_RUN(later);
    CHECK_TREES_EQUAL(fx.local_tree(), local_before);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
}

TEST_CASE("rule 6: hostile remote names are skipped - counted - and nothing leaves the folder",
          "[sync][rule6]") {
    SyncFixture fx;
    fx.remote().insert_named("", "..", "dot dot");
    fx.remote().insert_named("", "a/b", "slash");
    // V4 refuses names over 255 bytes (maxLength 255): there, "." stands in for the long one.
    fx.remote().insert_named("", fx.generation() == Generation::v2 ? std::string(300, 'x') : ".",
                             "too long");
    fx.remote().insert_named("", "bell\x07", "control");
    fx.remote().insert_named("", ".fios-temp", "our prefix");
    const std::string evil_folder = fx.remote().mkdir_named("", "..");
    (void)evil_folder;
    fx.remote().insert("fine.txt", "fine");
    std::set<std::string> siblings_before;
    for (const auto& e : fs::directory_iterator(fx.home()))
        siblings_before.insert(e.path().filename().string());

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().hostile_names == 6);
    std::size_t hostile_warnings = 0;
    for (const auto& w : run.warnings) {
        if (w.kind == fios::engine::WarningKind::hostile_name) {
            ++hostile_warnings;
            CHECK_FALSE(w.asset_id.empty()); // names the asset
        }
    }
    CHECK(hostile_warnings == 6);
    CHECK(fx.local_tree() == Tree{{"fine.txt", file_node("fine")}});
    std::set<std::string> siblings_after;
    for (const auto& e : fs::directory_iterator(fx.home()))
        siblings_after.insert(e.path().filename().string());
    CHECK(siblings_after == siblings_before);
}

TEST_CASE("rule 6: local symlinks and fifos are skipped - never followed", "[sync][rule6]") {
    SyncFixture fx;
    fios::test::TempDir outside("fios-outside");
    fios::test::write_file(outside / "secret.txt", "secret");
    fx.local().symlink("link-to-file", outside / "secret.txt");
    fx.local().symlink("link-to-dir", outside.path());
    fx.local().fifo("pipe");
    fx.local().insert("real.txt", "real");

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().skipped_local == 3);
    CHECK(fx.remote_tree() == Tree{{"real.txt", file_node("real")}});
}

TEST_CASE("rule 6: a symlinked folder inside the sync folder cannot redirect a download",
          "[sync][rule6]") {
    SyncFixture fx;
    fios::test::TempDir outside("fios-outside");
    fx.local().symlink("Media", outside.path());
    fx.remote().insert("Media/payload.bin", k_three_parts);
    fx.publish_checksums();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(fs::is_empty(outside.path())); // nothing written through the link
    const Tree local = fx.local_tree();
    CHECK(local.at("Media").kind == NodeKind::symlink);
    CHECK_FALSE(local.count("Media/payload.bin"));
    CHECK(fx.remote_tree().count("Media/payload.bin")); // nothing deleted remotely either
}

TEST_CASE("rule 6: a local name that is not UTF-8 is skipped with a warning", "[sync][rule6]") {
    SyncFixture fx;
    fx.local().insert("bad\xff\xfe.txt", "latin-1 name");
    fx.local().insert("good.txt", "good");
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().hostile_names == 1);
    CHECK(std::any_of(run.warnings.begin(), run.warnings.end(), [](const auto& w) {
        return w.kind == fios::engine::WarningKind::hostile_name;
    }));
    CHECK(fx.remote_tree() == Tree{{"good.txt", file_node("good")}});
}

// V2 only: without a checksum nothing proves two files equal: on V4 the same pair
// is a conflict (row 73; test_sync_generations.cpp "adopted by checksum on V2 - a conflict on V4").
TEST_CASE("rule 7: equal content on both sides is adopted without any transfer",
          "[sync][rule7][v2-only]") {
    SyncFixture fx;
    const std::string content = make_content(k_three_parts, 77);
    fx.local().insert("same/clip.mov", content);
    fx.remote().insert("same/clip.mov", content);
    fx.emulator().advance_clock(10); // the remote checksum is published
    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().adopted >= 1);
    CHECK(run.has("same/clip.mov", ActionKind::adopt));
    const Stats stats = fx.emulator().stats();
    CHECK(count(stats, "PUT /parts") == 0);
    CHECK(count(stats, "GET /originals") == 0);
    CHECK(count_creates(stats) == 0);
    const auto row = fx.journal().at("same/clip.mov");
    CHECK(row.state == JournalState::synced);
    CHECK(row.verified);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("rule 7: different content at one path is a conflict and the local file stays",
          "[sync][rule7]") {
    SyncFixture fx;
    fx.local().insert("clash.mov", make_content(k_three_parts, 1));
    fx.remote().insert("clash.mov", make_content(k_three_parts, 2)); // same size, other bytes
    fx.local().insert("clash2.txt", "short");
    fx.remote().insert("clash2.txt", "a longer remote text");
    fx.emulator().advance_clock(10);
    const Tree local_before = fx.local_tree();
    const Tree remote_before = fx.remote_tree();
    fx.emulator().reset_stats();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::partial);
    CHECK(run.totals().conflicts == 2);
    CHECK_TREES_EQUAL(fx.local_tree(), local_before);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    // Never synced, so there is no journal row to mark: `status` counts them from the run.
    CHECK(run.items_at("clash.mov").size() == 1);
    CHECK(run.item("clash.mov")->result == ItemResult::conflict);
    CHECK(run.item("clash2.txt")->result == ItemResult::conflict);
}

TEST_CASE("rule 8: a version stack is one file with its head's content", "[sync][rule8]") {
    SyncFixture fx;
    fx.remote().insert("cut.mov", make_content(k_three_parts, 10));
    fx.remote().add_version("cut.mov", make_content(k_three_parts + 3, 11));
    const std::string head = make_content(k_three_parts + 5, 12);
    fx.remote().add_version("cut.mov", head);
    fx.publish_checksums();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.totals().downloaded == 1);
    CHECK(run.totals().duplicates == 0);
    CHECK(fx.local_tree() == Tree{{"cut.mov", file_node(head)}});
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("rule 9: a synced file changed locally is reported - not uploaded again",
          "[sync][rule9]") {
    SyncFixture fx;
    fx.local().insert("edit.txt", "version one");
    {
        const RunOutcome setup = fx.sync_once();
        REQUIRE_RUN(setup);
    }
    const Tree remote_before = fx.remote_tree();
    fx.local().insert("edit.txt", "version two, longer");
    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.has("edit.txt", ActionKind::skip, SkipReason::changed_locally));
    CHECK(run.totals().changed_locally == 1);
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
    CHECK(fx.local().read("edit.txt") == "version two, longer");
}

TEST_CASE("direction up writes only to Frame.io - down only locally", "[sync][direction]") {
    SyncFixture fx;
    fx.local().insert("L/up.bin", k_three_parts);
    fx.remote().insert("R/down.bin", k_three_parts);
    const Tree local_only = fx.local_tree();
    const Tree remote_only = fx.remote_tree();
    fx.publish_checksums();

    auto up = fx.run_options();
    up.direction = fios::policy::Direction::up;
    const RunOutcome run_up = fx.sync_once(up);
    REQUIRE_RUN(run_up);
    INFO(run_up.describe());
    CHECK(run_up.totals().uploaded == 1);
    CHECK(run_up.totals().downloaded == 0);
    CHECK(run_up.totals().direction_excluded >= 1);
    CHECK_TREES_EQUAL(fx.local_tree(), local_only);
    Tree both = local_only;
    both.insert(remote_only.begin(), remote_only.end());
    CHECK_TREES_EQUAL(fx.remote_tree(), both);

    auto down = fx.run_options();
    down.direction = fios::policy::Direction::down;
    const RunOutcome run_down = fx.sync_once(down);
    REQUIRE_RUN(run_down);
    INFO(run_down.describe());
    CHECK(run_down.totals().downloaded == 1);
    CHECK(run_down.totals().uploaded == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), both);
    CHECK_TREES_EQUAL(fx.remote_tree(), both);
}

TEST_CASE("dry run changes nothing: trees - journal and emulator writes", "[sync][dry-run]") {
    SyncFixture fx;
    fx.local().insert("L/a.bin", k_three_parts);
    fx.local().mkdir("L/empty");
    fx.remote().insert("R/b.bin", k_three_parts);
    const Tree local_before = fx.local_tree();
    const Tree remote_before = fx.remote_tree();
    fx.emulator().reset_stats();

    auto opts = fx.run_options();
    opts.dry_run = true;
    const RunOutcome run = fx.sync_once(opts);
    REQUIRE_RUN(run);
    INFO(run.describe());
    REQUIRE(run.plans.size() == 1);
    CHECK(run.plans[0].count(ActionKind::upload) == 1);
    CHECK(run.plans[0].count(ActionKind::download) == 1);
    CHECK(run.items.empty());
    const Stats stats = fx.emulator().stats();
    for (const auto& [route, n] : stats) {
        CAPTURE(route);
        CHECK_FALSE((route.starts_with("POST") || route.starts_with("PUT") ||
                     route.starts_with("DELETE") || route.starts_with("GET /originals")));
    }
    CHECK_TREES_EQUAL(fx.local_tree(), local_before);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
    CHECK(fx.journal().empty());
}

TEST_CASE("rule 1: a new project is recorded but not synced until selected", "[sync][rule1]") {
    SyncFixture fx;
    RemoteSide other_side = fx.create_project("Unselected");
    const std::string other_id = other_side.project_id();
    other_side.insert("not-mine.txt", "stays there");
    fx.publish_checksums();
    fx.emulator().reset_stats();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(std::find(run.report->new_projects.begin(), run.report->new_projects.end(), other_id) !=
          run.report->new_projects.end());
    REQUIRE(run.report->projects.size() == 1); // only the selected one was synced
    CHECK(run.report->projects[0].project_id == fx.remote().project_id());
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    CHECK(fx.local_tree().empty());

    // Recorded once: a second run does not call it new again.
    const RunOutcome again = fx.sync_once();
    REQUIRE_RUN(again);
    CHECK(again.report->new_projects.empty());
}

// V2 only: V4 has no project counters, so every V4 run lists (test_v4_listing_cost.cpp counts
// what that costs).
TEST_CASE("rule 1: a project unchanged since its last agreed run is not listed again",
          "[sync][rule1][v2-only]") {
    SyncFixture fx;
    fx.local().insert("a.txt", "a");
    fx.remote().insert("R/b.txt", "b");
    fx.publish_checksums();
    const RunOutcome first = fx.sync_once();
    REQUIRE_RUN(first);
    REQUIRE(first.report->result == RunResult::ok);
    const RunOutcome settle = fx.sync_once(); // everything verified and agreed
    REQUIRE_RUN(settle);

    fx.emulator().reset_stats();
    const RunOutcome quiet = fx.sync_once();
    REQUIRE_RUN(quiet);
    INFO(quiet.describe());
    REQUIRE(quiet.report->projects.size() == 1);
    CHECK_FALSE(quiet.report->projects[0].discovered);
    CHECK(count_listings(fx.emulator().stats()) == 0);

    // A change on either side makes it listed again.
    fx.remote().insert("R/c.txt", "c");
    fx.publish_checksums();
    fx.emulator().reset_stats();
    const RunOutcome changed = fx.sync_once();
    REQUIRE_RUN(changed);
    CHECK(changed.report->projects[0].discovered);
    CHECK(count_listings(fx.emulator().stats()) >= 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("rule 1: a selection overlapping another project's folder is refused", "[sync][rule1]") {
    SyncFixture fx;
    const RemoteSide other = fx.create_project("Inner");
    const auto r =
        fx.cli({"select", other.project_id(), "--to", fx.local().abs("inside").string()});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK_FALSE(fx.local().exists("inside"));
}
