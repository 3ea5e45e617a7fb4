// SPDX-License-Identifier: MIT
// `--verify readback` (issue 8 §4, docs/sync-policy.md "Without a content checksum"): on V4
// an upload verified by Content-MD5 + size is downloaded again and its XXH64 compared with
// the bytes sent. On V2 the setting is ignored (Frame.io's checksum is compared).
#include "sync_fixture.hpp"

#include "fios/policy/policy.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace fios::test::sync;
using fios::engine::ItemResult;
using fios::engine::RunResult;
using fios::model::JournalState;
using fios::plan::ActionKind;

namespace {

fios::engine::RunOptions readback(const SyncFixture& fx) {
    auto o = fx.run_options();
    o.readback = true;
    return o;
}

/// The row a run leaves when our upload of `path` (asset `asset_id`) completed but was not
/// verified yet: awaiting verification, direction up, the XXH64 of the bytes sent.
fios::model::JournalRecord awaiting_row(SyncFixture& fx, const std::string& path,
                                        const std::string& asset_id, std::uint32_t attempts) {
    struct stat st {};
    REQUIRE(::lstat(fx.local().abs(path).c_str(), &st) == 0);
    fios::model::JournalRecord j;
    j.path = *fios::model::RelPath::parse(path);
    j.asset_id = asset_id;
    j.size = static_cast<std::uint64_t>(st.st_size);
    j.local_mtime = fios::model::TimePoint{std::chrono::seconds{st.st_mtim.tv_sec} +
                                           std::chrono::nanoseconds{st.st_mtim.tv_nsec}};
    j.inode = st.st_ino;
    j.xxh64 = xxh64_file(fx.local().abs(path));
    j.state = JournalState::awaiting_verification;
    j.direction = fios::model::TransferDirection::up;
    j.attempts = attempts;
    return j;
}

} // namespace

TEST_CASE("readback: a fresh V4 upload is read back, V2 ignores the setting", "[sync][readback]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    fx.local().insert("up/clip.mov", k_three_parts);
    fx.local().insert("note.txt", "local note");
    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once(readback(fx));
    REQUIRE_RUN(run);
    INFO(run.describe());
    REQUIRE(run.report->result == RunResult::ok);
    CHECK(run.totals().uploaded == 2);
    CHECK(run.totals().awaiting_verification == 0);
    const std::string expected = g == Generation::v4 ? "readback" : "checksum";
    for (const std::string path : {"up/clip.mov", "note.txt"}) {
        CAPTURE(path);
        const auto* e = run.item(path);
        REQUIRE(e != nullptr);
        CHECK(e->result == ItemResult::done);
        CHECK(e->verified_by == expected);
        // The journal keeps it, for `status`.
        CHECK(fios::policy::verified_by(fx.journal().at(path)) == expected);
    }
    // One download per upload on V4 (the readback), none on V2.
    CHECK(count(fx.emulator().stats(), "GET /originals") == (g == Generation::v4 ? 2 : 0));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
    // Read back once: a later run downloads nothing again.
    fx.emulator().reset_stats();
    const RunOutcome again = fx.sync_once(readback(fx));
    REQUIRE_RUN(again);
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    CHECK(fios::policy::verified_by(fx.journal().at("note.txt")) == expected);
}

TEST_CASE("readback: a later run reads back our upload left awaiting verification",
          "[sync][readback]") {
    SyncFixture fx(options_for(Generation::v4));
    fx.local().insert("clip.mov", k_three_parts);
    const std::string id = fx.remote().insert("clip.mov", k_three_parts);
    fx.put_journal_row(awaiting_row(fx, "clip.mov", id, 1));

    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once(readback(fx));
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    const auto* e = run.item("clip.mov");
    REQUIRE(e != nullptr);
    CHECK(e->action == ActionKind::verify); // row 75
    CHECK(e->result == ItemResult::done);
    CHECK(e->verified_by == "readback");
    const Stats stats = fx.emulator().stats();
    CHECK(count(stats, "GET /originals") == 1);
    CHECK(count(stats, "PUT") == 0);
    CHECK(count(stats, "DELETE") == 0);
    const auto row = fx.journal().at("clip.mov");
    CHECK(row.state == JournalState::synced);
    CHECK(row.asset_id == id);
    CHECK(fios::policy::verified_by(row) == "readback");
}

TEST_CASE("readback: a corrupted stored upload is replaced, as on a checksum mismatch",
          "[sync][readback]") {
    SyncFixture fx(options_for(Generation::v4));
    fx.local().insert("clip.mov", k_three_parts);
    const std::string id = fx.remote().insert("clip.mov", k_three_parts);
    fx.put_journal_row(awaiting_row(fx, "clip.mov", id, 1));
    // Frame.io still reports the right size; only the stored bytes differ.
    fx.emulator().corrupt(id, "content");

    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once(readback(fx));
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.has("clip.mov", ActionKind::reupload)); // row 49: attempt 2
    const auto* e = run.item("clip.mov");
    REQUIRE(e != nullptr);
    CHECK(e->result == ItemResult::done);
    CHECK(e->attempt == 2);
    CHECK(e->verified_by == "readback"); // the new upload was read back as well
    CHECK(count(fx.emulator().stats(), "DELETE") == 1);
    const auto row = fx.journal().at("clip.mov");
    CHECK(row.state == JournalState::synced);
    CHECK(row.asset_id != id);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("readback: a corrupted upload after the last attempt fails for good",
          "[sync][readback]") {
    SyncFixture fx(options_for(Generation::v4));
    fx.local().insert("clip.mov", k_three_parts);
    const std::string id = fx.remote().insert("clip.mov", k_three_parts);
    fx.put_journal_row(awaiting_row(fx, "clip.mov", id, 3));
    fx.emulator().corrupt(id, "content");

    const RunOutcome run = fx.sync_once(readback(fx));
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result != RunResult::ok);
    const auto* e = run.item("clip.mov");
    REQUIRE(e != nullptr);
    CHECK(e->result == ItemResult::failed);
    REQUIRE(e->error);
    CHECK_THAT(e->error->message, Catch::Contains("reading it back gave XXH64"));
    CHECK(e->verified_by.empty());
    const auto row = fx.journal().at("clip.mov");
    CHECK(row.state == JournalState::failed);
    CHECK_FALSE(row.next_retry_at); // failed for good (row 51), never accepted
    CHECK(row.asset_id == id);
}
