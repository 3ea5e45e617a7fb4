// SPDX-License-Identifier: MIT
// docs/sync-policy.md, end to end: one TEST_CASE per row of the decision table, named "row N",
// each driving the real engine against frameio-emulator (default rate limits, checksum delay
// above zero) and ending in a tree comparison or an explicit expected difference.
// Rows 55-66 (interrupted transfers) need a process killed mid-transfer: they are in
// tests/integration/crash/. Rows that the policy scenarios (test_sync_policy.cpp) already
// tell as a story are still here, reduced to the row itself.
#include "sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sys/stat.h>

using namespace fios::test::sync;
using fios::engine::ItemResult;
using fios::engine::RunResult;
using fios::model::JournalState;
using fios::model::TransferDirection;
using fios::plan::ActionKind;
using fios::plan::SkipReason;
using namespace std::chrono_literals;

namespace {

/// A fixture whose uploads stay awaiting verification until the test publishes checksums
/// (the emulator clock must pass an hour), with runs that do not wait for checksums.
struct SlowChecksums {
    SlowChecksums() : fx(options()) { opts.verify_timeout = 0s; }
    static FixtureOptions options() {
        FixtureOptions o;
        o.checksum_delay = 3600;
        o.v4_complete_delay = 3600; // V4: our upload does not show complete either
        return o;
    }
    SyncFixture fx;
    fios::engine::RunOptions opts = fx.run_options();
};

const fios::model::JournalRecord& row(SyncFixture& fx, const std::string& path) {
    static std::map<std::string, fios::model::JournalRecord> rows;
    rows = fx.journal();
    auto it = rows.find(path);
    if (it == rows.end())
        FAIL("no journal row for " << path);
    return it->second;
}

RunOutcome run_ok(SyncFixture& fx, fios::engine::RunOptions opts) {
    RunOutcome r = fx.sync_once(opts);
    REQUIRE_RUN(r);
    return r;
}

RunOutcome run_ok(SyncFixture& fx) {
    return run_ok(fx, fx.run_options());
}

/// Syncs `path` up (content) and back to a steady state: synced and verified.
void synced_file(SyncFixture& fx, const std::string& path, const std::string& content) {
    fx.local().insert(path, content);
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    REQUIRE(row(fx, path).state == JournalState::synced);
    REQUIRE(fx.verified(row(fx, path)));
}

} // namespace

// --- names, types, duplicates, parents ---------------------------------------------------------

TEST_CASE("row 1: a refused remote name is skipped and a refused folder is not listed",
          "[sync][table]") {
    SyncFixture fx;
    fx.remote().mkdir("ok");
    fx.remote().insert_named("ok", "a/b", "slash");
    const std::string evil = fx.remote().mkdir_named("", "..");
    // Something inside the refused folder: never listed, never downloaded.
    fx.remote().mkdir_into(evil, "inside");
    fx.publish_checksums();
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.report->result == RunResult::ok);
    CHECK(r.totals().hostile_names == 2);
    CHECK(r.has("ok", ActionKind::skip, SkipReason::hostile_name));
    CHECK(r.has("", ActionKind::skip, SkipReason::hostile_name));
    // Listed: the root and "ok" only (the refused folder's children never).
    CHECK(count_listings(fx.emulator().stats()) == 2);
    CHECK(fx.local_tree() == Tree{{"ok", folder_node()}});
}

TEST_CASE("row 2: a local name that is not UTF-8 is skipped and such a folder is not entered",
          "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("caf\xe9/inside.txt", "latin-1 folder");
    fx.local().insert("plain.txt", "plain");
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.totals().hostile_names == 1);
    CHECK(fx.remote_tree() == Tree{{"plain.txt", file_node("plain")}});
}

TEST_CASE("row 3: our own temporary files are neither synced nor warned about", "[sync][table]") {
    SyncFixture fx;
    fx.local().insert(".fios-download-leftover", "partial bytes");
    fx.local().insert("real.txt", "real");
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.warnings.empty());
    CHECK(r.totals().hostile_names == 0);
    CHECK(r.totals().skipped_local == 0);
    CHECK(fx.remote_tree() == Tree{{"real.txt", file_node("real")}});
}

TEST_CASE("row 4: a symlink or fifo is skipped as unsupported and its journal row untouched",
          "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "was-a-file", "content");
    // The synced file is replaced by a symlink: not followed, not "deleted", row untouched.
    fx.local().remove("was-a-file");
    fx.local().symlink("was-a-file", "/etc/hostname");
    fx.local().fifo("pipe");
    const auto before = row(fx, "was-a-file");
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("was-a-file", ActionKind::skip, SkipReason::unsupported_type));
    CHECK(r.has("pipe", ActionKind::skip, SkipReason::unsupported_type));
    CHECK(r.totals().deleted_locally == 0);
    CHECK(row(fx, "was-a-file") == before);
    CHECK(fx.remote_tree() == Tree{{"was-a-file", file_node("content")}});
}

TEST_CASE("row 5: a folder nested too deep is skipped as unreadable", "[sync][table]") {
    SyncFixture fx;
    std::string deep = "d";
    for (int i = 0; i < 260; ++i)
        deep += "/d";
    fx.local().insert(deep + "/bottom.txt", "too deep");
    // Writing ~260 remote folders is not the point: only look (direction down).
    auto opts = fx.run_options();
    opts.direction = fios::policy::Direction::down;
    const RunOutcome r = run_ok(fx, opts);
    INFO(r.describe().substr(0, 3000));
    const bool unreadable = std::any_of(r.items.begin(), r.items.end(), [](const auto& e) {
        return e.skip == SkipReason::local_unreadable;
    });
    CHECK(unreadable);
    CHECK(r.totals().skipped_local >= 1);
    CHECK(fx.remote_tree().empty());
}

TEST_CASE("row 6: below a symlinked local folder nothing is downloaded", "[sync][table]") {
    SyncFixture fx;
    fios::test::TempDir outside("fios-outside");
    fx.local().symlink("Media", outside.path());
    fx.remote().insert("Media/clip.mov", k_three_parts);
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("Media", ActionKind::skip, SkipReason::unsupported_type));
    CHECK(r.has("Media/clip.mov", ActionKind::skip, SkipReason::parent_skipped));
    CHECK(fs::is_empty(outside.path()));
    CHECK(fx.remote_tree().count("Media/clip.mov"));
}

TEST_CASE("row 7: of several remote items at one path the first created wins", "[sync][table]") {
    SyncFixture fx;
    fx.remote().insert("dup.txt", "first");
    fx.remote().insert("dup.txt", "second, later");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.report->result == RunResult::ok);
    CHECK(r.totals().duplicates == 1);
    CHECK(r.has("dup.txt", ActionKind::skip, SkipReason::duplicate));
    CHECK(fx.local_tree() == Tree{{"dup.txt", file_node("first")}});
    // A second run keeps following the same one.
    const RunOutcome again = run_ok(fx);
    CHECK(again.totals().downloaded == 0);
    CHECK(fx.local().read("dup.txt") == "first");
}

TEST_CASE("row 8: items inside a same-named folder that lost are duplicates", "[sync][table]") {
    SyncFixture fx;
    const std::string first = fx.remote().mkdir_named("", "D");
    const std::string second = fx.remote().mkdir_named("", "D");
    fx.remote().insert_into(first, "a.txt", "in the first D");
    fx.remote().insert_into(second, "b.txt", "in the second D");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.totals().duplicates == 2); // the second D and its child
    CHECK(r.has("D/b.txt", ActionKind::skip, SkipReason::duplicate));
    const Tree local = fx.local_tree();
    // One D on disk, the first created, with only its own child.
    CHECK(local == Tree{{"D", folder_node()}, {"D/a.txt", file_node("in the first D")}});
    // A second run changes nothing (the winner was already chosen).
    const RunOutcome again = run_ok(fx);
    INFO(again.describe());
    CHECK_TREES_EQUAL(fx.local_tree(), local);
}

TEST_CASE("row 9: nothing is written into a folder deleted on the other side", "[sync][table]") {
    SyncFixture fx;
    fx.local().mkdir("Gone");
    fx.local().insert("Gone/old.txt", "old");
    fx.publish_checksums();
    run_ok(fx);
    fx.remote().remove("Gone");
    fx.local().insert("Gone/new.txt", "new");
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("Gone", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK(r.has("Gone/new.txt", ActionKind::skip, SkipReason::parent_skipped));
    CHECK(count(fx.emulator().stats(), "POST") == 0);
    CHECK(fx.remote_tree().empty());
}

TEST_CASE("row 10: --direction excludes writes to the other side", "[sync][table]") {
    SyncFixture fx;
    fx.remote().insert("remote.txt", "remote");
    fx.local().insert("local.txt", "local");
    fx.publish_checksums();
    auto opts = fx.run_options();
    opts.direction = fios::policy::Direction::up;
    const RunOutcome r = run_ok(fx, opts);
    INFO(r.describe());
    CHECK(r.has("remote.txt", ActionKind::skip, SkipReason::direction_excluded));
    CHECK(r.has("local.txt", ActionKind::upload));
    CHECK_FALSE(fx.local().exists("remote.txt"));
}

TEST_CASE("row 11: a local folder against a remote file is a conflict - the folder kept",
          "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("X/inside.txt", "inside");
    fx.remote().insert("X", "a file named X");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.report->result == RunResult::partial);
    CHECK(r.has("X", ActionKind::skip, SkipReason::conflict));
    CHECK(fx.local_tree().at("X").kind == NodeKind::folder);
    CHECK(fx.remote_tree().at("X").kind == NodeKind::file);
}

TEST_CASE("row 12: a local file against a remote folder is a conflict - the file kept",
          "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("Y", "a file named Y");
    fx.remote().insert("Y/inside.txt", "inside");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.report->result == RunResult::partial);
    CHECK(r.has("Y", ActionKind::skip, SkipReason::conflict));
    CHECK(fx.local().read("Y") == "a file named Y");
    CHECK_FALSE(fx.local().exists("Y/inside.txt"));
}

TEST_CASE("row 13: a path gone on both sides is forgotten", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "both-gone.txt", "x");
    fx.local().remove("both-gone.txt");
    fx.remote().remove("both-gone.txt");
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("both-gone.txt", ActionKind::forget));
    CHECK_FALSE(fx.journal().count("both-gone.txt"));
}

// --- folders -----------------------------------------------------------------------------------

TEST_CASE("row 14: a new local folder is created on Frame.io", "[sync][table]") {
    SyncFixture fx;
    fx.local().mkdir("New/Nested");
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("New", ActionKind::create_remote_folder));
    CHECK(r.has("New/Nested", ActionKind::create_remote_folder));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
    CHECK(row(fx, "New/Nested").kind == fios::model::EntryKind::folder);
}

TEST_CASE("row 15: a new remote folder is created locally", "[sync][table]") {
    SyncFixture fx;
    fx.remote().mkdir("Remote/Nested");
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("Remote", ActionKind::create_local_folder));
    CHECK(r.has("Remote/Nested", ActionKind::create_local_folder));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 16: a folder on both sides is adopted", "[sync][table]") {
    SyncFixture fx;
    fx.local().mkdir("Both");
    fx.remote().mkdir("Both");
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("Both", ActionKind::adopt));
    CHECK(count(fx.emulator().stats(), "POST") == 0);
    CHECK(row(fx, "Both").asset_id == fx.remote().id_of("Both"));
}

TEST_CASE("row 17: a synced folder needs nothing", "[sync][table]") {
    SyncFixture fx;
    fx.local().mkdir("Synced");
    run_ok(fx);
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.items_at("Synced").empty());
}

TEST_CASE("row 18: a marked folder present on both sides again is adopted - marks cleared",
          "[sync][table]") {
    SyncFixture fx;
    fx.local().mkdir("Back");
    run_ok(fx);
    fx.local().remove("Back");
    const RunOutcome gone = run_ok(fx);
    REQUIRE(gone.has("Back", ActionKind::skip, SkipReason::deleted_locally));
    REQUIRE(row(fx, "Back").deleted_locally);
    fx.local().mkdir("Back");
    const RunOutcome back = run_ok(fx);
    INFO(back.describe());
    CHECK(back.has("Back", ActionKind::adopt));
    CHECK_FALSE(row(fx, "Back").deleted_locally);
}

TEST_CASE("row 19: a synced folder deleted locally is not downloaded again", "[sync][table]") {
    SyncFixture fx;
    fx.remote().mkdir("Kept/Sub");
    run_ok(fx);
    fx.local().remove("Kept");
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("Kept", ActionKind::skip, SkipReason::deleted_locally));
    CHECK(row(fx, "Kept").deleted_locally);
    CHECK(fx.local_tree().empty());
    CHECK(fx.remote_tree().count("Kept/Sub"));
}

TEST_CASE("row 20: a synced folder deleted on Frame.io is not uploaded again", "[sync][table]") {
    SyncFixture fx;
    fx.local().mkdir("Here");
    run_ok(fx);
    fx.remote().remove("Here");
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("Here", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK(row(fx, "Here").deleted_remotely);
    CHECK(count(fx.emulator().stats(), "POST") == 0);
    CHECK(fx.local_tree().count("Here"));
}

// --- new files ---------------------------------------------------------------------------------

TEST_CASE("row 21: a new settled local file is uploaded", "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("new.mov", k_three_parts);
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("new.mov", ActionKind::upload));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 22: a new local file that is not settled waits", "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("fresh.mov", k_three_parts);
    fx.local().touch("fresh.mov");
    fx.set_clock_pump(false); // only this test's advances count
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("fresh.mov", ActionKind::skip, SkipReason::settling));
    CHECK(fx.remote_tree().empty());
}

TEST_CASE("row 23: a new complete remote file is downloaded", "[sync][table]") {
    SyncFixture fx;
    fx.remote().insert("in/new.wav", k_three_parts);
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("in/new.wav", ActionKind::download));
    CHECK(fx.verified(row(fx, "in/new.wav")));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 24: an incomplete remote file is not downloaded", "[sync][table]") {
    SyncFixture fx;
    fx.remote().insert_incomplete("partial.wav", make_content(k_three_parts, 24), 1);
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("partial.wav", ActionKind::skip, SkipReason::remote_incomplete));
    CHECK(fx.local_tree().empty());
}

TEST_CASE("row 25: a local file against an incomplete remote one waits", "[sync][table]") {
    SyncFixture fx;
    const std::string content = make_content(k_three_parts, 25);
    fx.local().insert("both.wav", content);
    fx.remote().insert_incomplete("both.wav", content, 2);
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("both.wav", ActionKind::skip, SkipReason::remote_incomplete));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(fx.local().read("both.wav") == content);
}

TEST_CASE("row 26: a local file against a remote one waits while not settled", "[sync][table]") {
    SyncFixture fx;
    const std::string content = make_content(k_three_parts, 26);
    fx.local().insert("both.wav", content);
    fx.local().touch("both.wav");
    fx.remote().insert("both.wav", content);
    fx.publish_checksums();
    fx.set_clock_pump(false);
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("both.wav", ActionKind::skip, SkipReason::settling));
}

TEST_CASE("row 27: files of different sizes at one path are a conflict", "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("size.txt", "short");
    fx.remote().insert("size.txt", "much longer text");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("size.txt", ActionKind::skip, SkipReason::conflict));
    CHECK(r.report->result == RunResult::partial);
    CHECK(fx.local().read("size.txt") == "short");
}

// V2 only: without a checksum the pair is row 73 (a conflict) at once
// (test_sync_generations.cpp "adopted by checksum on V2 - a conflict on V4").
TEST_CASE("row 28: a same-size pair without a remote checksum awaits verification",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    const std::string content = make_content(k_three_parts, 28);
    s.fx.local().insert("pair.wav", content);
    s.fx.remote().insert("pair.wav", content);
    s.fx.emulator().reset_stats();
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("pair.wav", ActionKind::skip, SkipReason::awaiting_verification));
    CHECK(r.report->result == RunResult::ok);
    CHECK(count(s.fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(count(s.fx.emulator().stats(), "GET /originals") == 0);
}

// V2 only: row 73 on V4 (see row 28).
TEST_CASE("row 29: a same-size pair with a checksum is hashed locally - then decided",
          "[sync][table][v2-only]") {
    SyncFixture fx;
    const std::string content = make_content(k_three_parts, 29);
    fx.local().insert("hash-me.wav", content);
    fx.remote().insert("hash-me.wav", content);
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    // The final plan never holds hash_local: the engine hashed and reconciled again.
    REQUIRE(r.plans.size() == 1);
    CHECK(r.plans[0].count(ActionKind::hash_local) == 0);
    CHECK(r.has("hash-me.wav", ActionKind::adopt));
    CHECK(row(fx, "hash-me.wav").xxh64 == std::optional<std::string>(xxh64_hex(content)));
}

// V2 only: row 73 on V4 (see row 28).
TEST_CASE("row 30: equal content is adopted without transfer", "[sync][table][v2-only]") {
    SyncFixture fx;
    const std::string content = make_content(k_three_parts, 30);
    fx.local().insert("eq.wav", content);
    fx.remote().insert("eq.wav", content);
    fx.publish_checksums();
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("eq.wav", ActionKind::adopt));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    CHECK(row(fx, "eq.wav").verified);
}

TEST_CASE("row 31: same size but another checksum is a conflict", "[sync][table]") {
    SyncFixture fx;
    fx.local().insert("ne.wav", make_content(k_three_parts, 311));
    fx.remote().insert("ne.wav", make_content(k_three_parts, 312));
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("ne.wav", ActionKind::skip, SkipReason::conflict));
    CHECK(fx.local().read("ne.wav") == make_content(k_three_parts, 311));
}

// --- synced files ------------------------------------------------------------------------------

TEST_CASE("row 32: a synced file needs nothing", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "s.txt", "synced");
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    CHECK_FALSE(r.has("s.txt", ActionKind::upload));
    CHECK_FALSE(r.has("s.txt", ActionKind::download));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
}

TEST_CASE("row 33: a synced file with marks is adopted again when both sides match",
          "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "away.txt", "content");
    // Moved away and back: same inode, size and mtime (L = J again).
    const fs::path parked = fx.home() / "parked.txt";
    fs::rename(fx.local().abs("away.txt"), parked);
    REQUIRE(run_ok(fx).has("away.txt", ActionKind::skip, SkipReason::deleted_locally));
    REQUIRE(row(fx, "away.txt").deleted_locally);
    fs::rename(parked, fx.local().abs("away.txt"));
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("away.txt", ActionKind::adopt));
    CHECK_FALSE(row(fx, "away.txt").deleted_locally);
}

TEST_CASE("row 34: a synced file deleted locally is kept on Frame.io", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "del.txt", "x");
    fx.local().remove("del.txt");
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("del.txt", ActionKind::skip, SkipReason::deleted_locally));
    CHECK(fx.remote_tree().count("del.txt"));
    CHECK_FALSE(fx.local().exists("del.txt"));
}

TEST_CASE("row 35: a synced file deleted on Frame.io is kept locally", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "rdel.txt", "x");
    fx.remote().remove("rdel.txt");
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("rdel.txt", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK(fx.remote_tree().empty());
    CHECK(fx.local().read("rdel.txt") == "x");
}

TEST_CASE("row 36: a synced file grown locally is reported as changed", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "grow.txt", "x");
    fx.local().insert("grow.txt", "xx");
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("grow.txt", ActionKind::skip, SkipReason::changed_locally));
    CHECK(fx.remote_tree().at("grow.txt") == file_node("x"));
}

TEST_CASE("row 37: a synced file rewritten at the same size waits while not settled",
          "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "same.txt", "aaaa");
    fx.local().insert("same.txt", "bbbb");
    fx.local().touch("same.txt");
    fx.set_clock_pump(false);
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("same.txt", ActionKind::skip, SkipReason::settling));
}

TEST_CASE("row 38: a synced file only touched is hashed before anything is decided",
          "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "touched.txt", "same bytes");
    fx.local().set_mtime("touched.txt", fx.clock().now() - 2h);
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    REQUIRE(r.plans.size() == 1);
    CHECK(r.plans[0].count(ActionKind::hash_local) == 0);
    CHECK_FALSE(r.has("touched.txt", ActionKind::upload));
}

TEST_CASE("row 39: a touched file with the same content gets its new fingerprint adopted",
          "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "t.txt", "same bytes");
    const auto new_mtime = fx.clock().now() - 2h;
    fx.local().set_mtime("t.txt", new_mtime);
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("t.txt", ActionKind::adopt));
    CHECK(row(fx, "t.txt").local_mtime == new_mtime);
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
}

TEST_CASE("row 40: same size but other bytes locally is reported as changed", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "c.txt", "aaaa");
    fx.local().insert("c.txt", "bbbb");
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("c.txt", ActionKind::skip, SkipReason::changed_locally));
    CHECK(fx.remote_tree().at("c.txt") == file_node("aaaa"));
}

// V2 only: following a new asset needs its checksum; on V4 a new asset id is row 42
// (remote_changed), which runs on both.
TEST_CASE("row 41: a new remote asset with the same content is followed",
          "[sync][table][v2-only]") {
    SyncFixture fx;
    synced_file(fx, "v.txt", "same content");
    const std::string head = fx.remote().add_version("v.txt", "same content");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("v.txt", ActionKind::adopt));
    CHECK(row(fx, "v.txt").asset_id == head);
}

TEST_CASE("row 42: a new remote head with other content is reported - not downloaded",
          "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "w.txt", "mine");
    fx.remote().add_version("w.txt", "their new head");
    fx.publish_checksums();
    fx.emulator().reset_stats();
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("w.txt", ActionKind::skip, SkipReason::remote_changed));
    CHECK(fx.local().read("w.txt") == "mine");
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
}

TEST_CASE("row 43: changed on both sides is judged as a new pair", "[sync][table]") {
    SyncFixture fx;
    synced_file(fx, "eq.txt", "old");
    synced_file(fx, "ne.txt", "old");
    fx.local().insert("eq.txt", "both wrote this");
    fx.remote().add_version("eq.txt", "both wrote this");
    fx.local().insert("ne.txt", "local edit");
    fx.remote().add_version("ne.txt", "remote edit, other");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    // Equal content is adopted by checksum on V2; nothing proves it equal on V4 (row 73).
    if (fx.generation() == Generation::v2)
        CHECK(r.has("eq.txt", ActionKind::adopt));
    else
        CHECK(r.has("eq.txt", ActionKind::skip, SkipReason::conflict));
    CHECK(r.has("ne.txt", ActionKind::skip, SkipReason::conflict));
    CHECK(fx.local().read("ne.txt") == "local edit");
}

// --- awaiting verification ---------------------------------------------------------------------

TEST_CASE("row 44: an unverified upload deleted locally is marked", "[sync][table]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    REQUIRE(row(s.fx, "a.wav").state == JournalState::awaiting_verification);
    s.fx.local().remove("a.wav");
    const RunOutcome r = run_ok(s.fx, s.opts);
    CHECK(r.has("a.wav", ActionKind::skip, SkipReason::deleted_locally));
    CHECK(s.fx.remote_tree().count("a.wav"));
}

TEST_CASE("row 45: an unverified upload deleted on Frame.io is marked", "[sync][table]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    s.fx.remote().remove("a.wav");
    s.fx.emulator().reset_stats();
    const RunOutcome r = run_ok(s.fx, s.opts);
    CHECK(r.has("a.wav", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK(count(s.fx.emulator().stats(), "PUT /parts") == 0);
    CHECK(s.fx.local().exists("a.wav"));
}

TEST_CASE("row 46: an unverified upload replaced on Frame.io is reported", "[sync][table]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    s.fx.remote().add_version("a.wav", "someone else's head");
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("a.wav", ActionKind::skip, SkipReason::remote_changed));
}

// On V4 (no checksum) the item waits while the upload does not show complete.
TEST_CASE("row 47: without a checksum yet the item keeps awaiting", "[sync][table]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    const RunOutcome r = run_ok(s.fx, s.opts);
    CHECK(r.has("a.wav", ActionKind::skip, SkipReason::awaiting_verification));
    CHECK(row(s.fx, "a.wav").state == JournalState::awaiting_verification);
}

// On V4: completion that appears with our size verifies (row 75).
TEST_CASE("row 48: a checksum that appears and matches verifies the upload", "[sync][table]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    s.fx.publish_checksums();
    s.fx.emulator().reset_stats();
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("a.wav", ActionKind::verify));
    CHECK(row(s.fx, "a.wav").state == JournalState::synced);
    CHECK(s.fx.verified(row(s.fx, "a.wav")));
    CHECK(count(s.fx.emulator().stats(), "PUT /parts") == 0);
}

// V2 only: a wrong checksum needs one. On V4 a mismatch of our own upload is found by
// reading it back (test_sync_readback.cpp: "a corrupted stored upload is replaced").
TEST_CASE("row 49: a checksum mismatch replaces our own asset with a new upload",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    const std::string first = s.fx.remote().id_of("a.wav");
    s.fx.emulator().corrupt(first, "checksum");
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("a.wav", ActionKind::reupload));
    const auto ids = s.fx.remote().ids_at("a.wav");
    REQUIRE(ids.size() == 1);
    CHECK(ids.front() != first);
    CHECK(row(s.fx, "a.wav").attempts == 2);
}

// V2 only: a checksum mismatch needs a checksum (see row 49).
TEST_CASE("row 50: a checksum mismatch waits while the file is not settled",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    s.fx.emulator().corrupt(s.fx.remote().id_of("a.wav"), "checksum");
    s.fx.local().touch("a.wav");
    s.fx.set_clock_pump(false);
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("a.wav", ActionKind::skip, SkipReason::settling));
}

// V2 only: a wrong checksum needs one. On V4 a mismatch of our own upload is found by
// reading it back (test_sync_readback.cpp: "a corrupted stored upload is replaced" and "after the
// last attempt fails for good").
TEST_CASE("row 51: after 3 mismatches the upload fails for good", "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    for (int i = 0; i < 3; ++i) {
        run_ok(s.fx, s.opts);
        s.fx.emulator().corrupt(s.fx.remote().id_of("a.wav"), "checksum");
    }
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("a.wav", ActionKind::mark_failed));
    CHECK(row(s.fx, "a.wav").state == JournalState::failed);
    CHECK_FALSE(row(s.fx, "a.wav").next_retry_at);
}

// V2 only: a download has no checksum to disagree with on V4 (row 76: size).
TEST_CASE("row 52: an unverified download whose checksum disagrees is downloaded again",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.remote().insert("d.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    REQUIRE(row(s.fx, "d.wav").state == JournalState::awaiting_verification);
    REQUIRE(row(s.fx, "d.wav").direction == TransferDirection::down);
    s.fx.emulator().corrupt(s.fx.remote().id_of("d.wav"), "checksum");
    s.fx.emulator().reset_stats();
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("d.wav", ActionKind::download));
    CHECK(count(s.fx.emulator().stats(), "GET /originals") >= 1);
    // The replacement cannot verify either (the published checksum is wrong): our copy stays.
    CHECK(s.fx.local().read("d.wav") == make_content(k_three_parts, seed_of("d.wav")));
    CHECK(s.fx.local().temp_files().empty());
}

// V2 only: see row 52.
TEST_CASE("row 53: an unverified download that keeps disagreeing fails for good",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.remote().insert("d.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    s.fx.emulator().corrupt(s.fx.remote().id_of("d.wav"), "checksum");
    bool failed_for_good = false;
    for (int i = 0; i < 6 && !failed_for_good; ++i) {
        const RunOutcome r = run_ok(s.fx, s.opts);
        INFO(r.describe());
        failed_for_good = row(s.fx, "d.wav").state == JournalState::failed &&
                          !row(s.fx, "d.wav").next_retry_at.has_value();
        s.fx.clock().advance(std::chrono::hours(7)); // past any backoff
    }
    CHECK(failed_for_good);
    CHECK(s.fx.local().exists("d.wav")); // never deleted
}

// V2 only: see row 52.
TEST_CASE("row 54: an unverified download changed locally is a conflict",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.remote().insert("d.wav", k_three_parts);
    run_ok(s.fx, s.opts);
    s.fx.local().insert("d.wav", "edited by hand");
    s.fx.emulator().corrupt(s.fx.remote().id_of("d.wav"), "checksum");
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    CHECK(r.has("d.wav", ActionKind::skip, SkipReason::conflict));
    CHECK(s.fx.local().read("d.wav") == "edited by hand");
}

// --- failed ------------------------------------------------------------------------------------

namespace {
/// An upload that fails with a non-retryable part error: recorded failed with a backoff.
void failed_upload(SyncFixture& fx, const std::string& path) {
    fx.local().insert(path, k_three_parts);
    fx.emulator().fail_next("PUT /parts", 403, false, 20);
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    fx.emulator().api("DELETE", "/_emulator/fail-next", {}, 0);
    REQUIRE(row(fx, path).state == JournalState::failed);
    REQUIRE(row(fx, path).next_retry_at.has_value());
}
} // namespace

TEST_CASE("row 67: a failed item waits for its retry time", "[sync][table]") {
    SyncFixture fx;
    failed_upload(fx, "f.wav");
    fx.emulator().reset_stats();
    fx.set_clock_pump(false);
    const RunOutcome r = run_ok(fx);
    CHECK(r.has("f.wav", ActionKind::skip, SkipReason::backoff));
    CHECK(count(fx.emulator().stats(), "PUT /parts") == 0);
}

// V2 only: failing for good needs a checksum mismatch; on V4 a read-back mismatch
// (test_sync_readback.cpp "after the last attempt fails for good").
TEST_CASE("row 68: an upload failed for good is not tried while unchanged",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    for (int i = 0; i < 3; ++i) {
        run_ok(s.fx, s.opts);
        s.fx.emulator().corrupt(s.fx.remote().id_of("a.wav"), "checksum");
    }
    run_ok(s.fx, s.opts); // mark_failed
    s.fx.emulator().reset_stats();
    const RunOutcome r = run_ok(s.fx, s.opts);
    CHECK(r.has("a.wav", ActionKind::skip, SkipReason::failed));
    CHECK(count(s.fx.emulator().stats(), "PUT /parts") == 0);
}

// V2 only: see row 68.
TEST_CASE("row 69: an upload failed for good starts again at attempt 1 once the file changes",
          "[sync][table][v2-only]") {
    SlowChecksums s;
    s.fx.local().insert("a.wav", k_three_parts);
    for (int i = 0; i < 3; ++i) {
        run_ok(s.fx, s.opts);
        s.fx.emulator().corrupt(s.fx.remote().id_of("a.wav"), "checksum");
    }
    run_ok(s.fx, s.opts); // mark_failed
    s.fx.local().insert("a.wav", make_content(k_three_parts + 1, 69));
    const RunOutcome r = run_ok(s.fx, s.opts);
    INFO(r.describe());
    const auto* item = r.item("a.wav");
    REQUIRE(item != nullptr);
    CHECK((item->action == ActionKind::upload || item->action == ActionKind::reupload));
    CHECK(item->attempt == 1);
}

TEST_CASE("row 70: a failed upload is retried once its retry time has come", "[sync][table]") {
    SyncFixture fx;
    failed_upload(fx, "f.wav");
    fx.clock().advance(std::chrono::minutes(2));
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    const auto* item = r.item("f.wav");
    REQUIRE(item != nullptr);
    CHECK((item->action == ActionKind::upload || item->action == ActionKind::reupload));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
    CHECK(fx.remote().ids_at("f.wav").size() == 1);
}

TEST_CASE("row 71: a failed download is retried once its retry time has come", "[sync][table]") {
    SyncFixture fx;
    fx.remote().insert("d.wav", k_three_parts);
    fx.publish_checksums();
    fx.emulator().fail_next("GET /originals", 403, false, 20);
    const RunOutcome first = run_ok(fx);
    INFO(first.describe());
    fx.emulator().api("DELETE", "/_emulator/fail-next", {}, 0);
    REQUIRE(row(fx, "d.wav").state == JournalState::failed);
    CHECK_FALSE(fx.local().exists("d.wav"));
    fx.clock().advance(std::chrono::minutes(2));
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.has("d.wav", ActionKind::download));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

// --- version stacks ----------------------------------------------------------------------------

TEST_CASE("row 72: a version stack syncs as one file with its head's content", "[sync][table]") {
    SyncFixture fx;
    fx.remote().insert("stack.mov", "v1");
    fx.remote().add_version("stack.mov", "v2 is the head");
    fx.publish_checksums();
    const RunOutcome r = run_ok(fx);
    INFO(r.describe());
    CHECK(r.totals().downloaded == 1);
    CHECK(fx.local_tree() == Tree{{"stack.mov", file_node("v2 is the head")}});
    CHECK(row(fx, "stack.mov").stack_id == fx.remote().id_of("stack.mov"));
}
