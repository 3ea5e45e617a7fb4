// SPDX-License-Identifier: MIT
// A representative set of scenarios run on BOTH API generations of the emulator (issue 8, §5):
// V2 (V2Remote, checksums) and V4 (V4Remote over a legacy developer token: no checksum, no
// project counters). The same story must end the same way on both; where the generations
// differ by design (what counts as verified, a same-size pair without a checksum), the
// scenario says so. The V4 runs lift the rate limits except the pacing scenario, which runs
// at the V4 defaults.
#include "sync_fixture.hpp"

#include "fios/policy/policy.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace fios::test::sync;
using fios::engine::RunResult;
using fios::model::JournalState;
using fios::plan::ActionKind;
using fios::plan::SkipReason;

namespace {

/// How a synced file is recorded as verified on this generation, by transfer direction.
std::string_view expected_method(Generation g, bool uploaded) {
    if (g == Generation::v2)
        return "checksum";
    return uploaded ? "content-md5+size" : "size";
}

std::string requests(const Stats& stats) {
    std::string s;
    for (const auto& [k, v] : stats)
        s += k + "=" + std::to_string(v) + " ";
    return s;
}

/// Syncs a small tree both ways (a 3-part upload and a 3-part download) and checks it agrees.
void first_sync(SyncFixture& fx) {
    fx.local().insert("up/clip.mov", k_three_parts);
    fx.local().insert("up/note.txt", "local note");
    fx.local().mkdir("up/empty");
    fx.remote().insert("down/take.wav", k_three_parts + 17);
    fx.remote().insert("down/deeper/doc.txt", "remote doc");
    fx.remote().mkdir("down/empty");
    fx.publish_checksums();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    REQUIRE(run.report->result == RunResult::ok);
    REQUIRE(run.totals().uploaded == 2);
    REQUIRE(run.totals().downloaded == 2);
    REQUIRE(run.totals().awaiting_verification == 0);
    REQUIRE_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

} // namespace

TEST_CASE("generations: the first run syncs both ways - verified as the backend allows",
          "[sync][generations]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    first_sync(fx);
    CHECK(fx.local().temp_files().empty());
    const auto rows = fx.journal();
    for (const auto& [path, uploaded] :
         std::vector<std::pair<std::string, bool>>{{"up/clip.mov", true},
                                                   {"up/note.txt", true},
                                                   {"down/take.wav", false},
                                                   {"down/deeper/doc.txt", false}}) {
        CAPTURE(path);
        REQUIRE(rows.count(path));
        const auto& row = rows.at(path);
        CHECK(row.state == JournalState::synced);
        CHECK(row.xxh64); // our own XXH64 of the bytes sent or received
        CHECK(fios::policy::verified_by(row) == expected_method(g, uploaded));
    }
}

TEST_CASE("generations: a second run transfers nothing and writes nothing", "[sync][generations]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    first_sync(fx);
    const Tree before = fx.local_tree();

    fx.emulator().reset_stats();
    const RunOutcome second = fx.sync_once();
    REQUIRE_RUN(second);
    INFO(second.describe());
    CHECK(second.report->result == RunResult::ok);
    const Stats stats = fx.emulator().stats();
    INFO("requests: " << requests(stats));
    CHECK(count(stats, "POST") == 0);
    CHECK(count(stats, "PUT") == 0);
    CHECK(count(stats, "DELETE") == 0);
    CHECK(second.totals().uploaded == 0);
    CHECK(second.totals().downloaded == 0);
    CHECK(second.totals().bytes_uploaded == 0);
    CHECK(second.totals().bytes_downloaded == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), before);
    CHECK_TREES_EQUAL(fx.remote_tree(), before);
    if (g == Generation::v4) {
        // No counters to trust: the project is listed again (ProjectDirectory capability).
        CHECK(count(stats, "GET /v4/accounts/{account_id}/folders") > 0);
    }
}

TEST_CASE("generations: a new remote file comes down - a replaced one is only reported",
          "[sync][generations]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    first_sync(fx);
    const std::string kept = fx.local().read("down/deeper/doc.txt");
    fx.remote().insert("down/new.bin", k_three_parts + 3);
    fx.remote().remove("down/deeper/doc.txt");
    fx.remote().insert("down/deeper/doc.txt", "replaced on Frame.io");
    fx.publish_checksums();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.has("down/new.bin", ActionKind::download));
    CHECK(run.totals().downloaded == 1);
    CHECK(run.has("down/deeper/doc.txt", ActionKind::skip, SkipReason::remote_changed));
    CHECK(fx.local().read("down/deeper/doc.txt") == kept); // never written over
    CHECK_TREES_EQUAL(without(fx.local_tree(), {"down/deeper/doc.txt"}),
                      without(fx.remote_tree(), {"down/deeper/doc.txt"}));
}

TEST_CASE("generations: a synced file changed locally is reported - not uploaded again",
          "[sync][generations]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    first_sync(fx);
    const Tree remote_before = fx.remote_tree();
    fx.local().append("up/note.txt", " and more");
    fx.clock().advance(std::chrono::minutes(1));

    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.has("up/note.txt", ActionKind::skip, SkipReason::changed_locally));
    CHECK(count(fx.emulator().stats(), "PUT") == 0);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
}

TEST_CASE("generations: deletions on either side are not propagated", "[sync][generations]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    first_sync(fx);
    fx.local().remove("up/note.txt");
    fx.remote().remove("down/take.wav");
    const Tree local_before = fx.local_tree();
    const Tree remote_before = fx.remote_tree();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.has("up/note.txt", ActionKind::skip, SkipReason::deleted_locally));
    CHECK(run.has("down/take.wav", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK_TREES_EQUAL(fx.local_tree(), local_before);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
    const auto rows = fx.journal();
    CHECK(rows.at("up/note.txt").deleted_locally);
    CHECK(rows.at("down/take.wav").deleted_remotely);
}

TEST_CASE("generations: a same-size pair is adopted by checksum on V2 - a conflict on V4",
          "[sync][generations]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    fx.local().insert("same.bin", "same bytes");
    fx.remote().insert("same.bin", "same bytes");
    fx.publish_checksums();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.totals().uploaded == 0);
    CHECK(run.totals().downloaded == 0);
    if (g == Generation::v2) {
        CHECK(run.has("same.bin", ActionKind::adopt)); // row 30
    } else {
        // Row 73: nothing proves the bytes equal; nothing is written on either side.
        CHECK(run.has("same.bin", ActionKind::skip, SkipReason::conflict));
        CHECK(run.totals().conflicts == 1);
    }
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

namespace {

/// The journal row a run killed mid-transfer leaves for `path` (the local fingerprint read
/// with lstat, as the scanner does).
fios::model::JournalRecord interrupted_row(SyncFixture& fx, const std::string& path,
                                           const std::string& asset_id, JournalState state) {
    struct stat st {};
    REQUIRE(::lstat(fx.local().abs(path).c_str(), &st) == 0);
    fios::model::JournalRecord j;
    j.path = *fios::model::RelPath::parse(path);
    j.asset_id = asset_id;
    j.size = static_cast<std::uint64_t>(st.st_size);
    if (state == JournalState::uploading) {
        j.local_mtime = fios::model::TimePoint{std::chrono::seconds{st.st_mtim.tv_sec} +
                                               std::chrono::nanoseconds{st.st_mtim.tv_nsec}};
        j.inode = st.st_ino;
    }
    j.state = state;
    j.direction = state == JournalState::uploading ? fios::model::TransferDirection::up
                                                   : fios::model::TransferDirection::down;
    j.attempts = 1;
    return j;
}

} // namespace

TEST_CASE("generations: killed after every part arrived - the next run only verifies",
          "[sync][generations][restart]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    fx.local().insert("clip.mov", k_three_parts);
    // Every part arrived; the run died before it recorded anything but the asset id.
    const std::string id = fx.remote().insert("clip.mov", k_three_parts);
    fx.put_journal_row(interrupted_row(fx, "clip.mov", id, JournalState::uploading));
    fx.publish_checksums();

    fx.emulator().reset_stats();
    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.has("clip.mov", ActionKind::verify)); // row 60, then 48 (V2) or 75 (V4)
    const Stats stats = fx.emulator().stats();
    INFO("requests: " << requests(stats));
    CHECK(count(stats, "POST") == 0);
    CHECK(count(stats, "PUT") == 0);
    CHECK(count(stats, "DELETE") == 0);
    const auto row = fx.journal().at("clip.mov");
    CHECK(row.state == JournalState::synced);
    CHECK(row.xxh64 == xxh64_file(fx.local().abs("clip.mov")));
    CHECK(fios::policy::verified_by(row) == expected_method(g, true));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("generations: killed after a download's rename - the next run records it",
          "[sync][generations][restart]") {
    const Generation g = GENERATE(Generation::v2, Generation::v4);
    CAPTURE(to_string(g));
    SyncFixture fx(options_for(g));
    const std::string id = fx.remote().insert("take.wav", k_three_parts);
    fx.local().insert("take.wav", k_three_parts); // the renamed download, same bytes
    fx.put_journal_row(interrupted_row(fx, "take.wav", id, JournalState::downloading));
    fx.publish_checksums();

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    INFO(run.describe());
    CHECK(run.report->result == RunResult::ok);
    CHECK(run.has("take.wav", ActionKind::adopt)); // row 63 -> 30 (V2) or row 77 (V4)
    CHECK(run.totals().downloaded == 0);
    CHECK(run.totals().bytes_downloaded == 0);
    const auto row = fx.journal().at("take.wav");
    CHECK(row.state == JournalState::synced);
    CHECK(row.asset_id == id);
    CHECK(fios::policy::verified_by(row) == expected_method(g, false));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("generations: V4 pacing at the default rate limits - no 429 reaches the run",
          "[sync][generations][rate-limit]") {
    FixtureOptions o;
    o.generation = Generation::v4;
    o.rate_limited = true; // the V4 defaults
    SyncFixture fx(o);
    for (int d = 0; d < 3; ++d) {
        for (int f = 0; f < 4; ++f)
            fx.local().insert("up" + std::to_string(d) + "/f" + std::to_string(f) + ".txt",
                              "small " + std::to_string(d * 10 + f));
    }
    fx.local().insert("big/clip.mov", k_three_parts);
    for (unsigned f = 0; f < 3; ++f)
        fx.remote().insert("down/r" + std::to_string(f) + ".bin", k_three_parts + f);

    const RunOutcome r = fx.sync_once();
    INFO(r.describe());
    REQUIRE_RUN(r);
    CHECK(r.report->result == RunResult::ok);
    CHECK(r.totals().uploaded == 13);
    CHECK(r.totals().downloaded == 3);
    CHECK(r.totals().failed == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("generations: a V4 upload Frame.io marks failed is sent 3 times, then retried later",
          "[sync][generations][upload-failed]") {
    SyncFixture fx(options_for(Generation::v4));
    fx.local().insert("up/clip.mov", k_three_parts);
    fx.emulator().set_faults(R"({"upload_failed": 1, "seed": 1})");

    fx.emulator().reset_stats();
    const RunOutcome failed = fx.sync_once();
    REQUIRE_RUN(failed);
    INFO(failed.describe());
    CHECK(failed.report->result == RunResult::partial);
    CHECK(failed.totals().failed == 1);
    CHECK(failed.totals().uploaded == 0);
    Stats stats = fx.emulator().stats();
    INFO("requests: " << requests(stats));
    CHECK(count(stats, "POST /v4/accounts/{account_id}/folders/{folder_id}/files/local_upload") ==
          3);
    CHECK(count(stats, "DELETE /v4/accounts/{account_id}/files/") == 3); // every placeholder
    CHECK(count(stats, "GET /v4/accounts/{account_id}/files/{file_id}/status") >= 3);
    auto row = fx.journal().at("up/clip.mov");
    CHECK(row.state == JournalState::failed);
    CHECK(row.attempts == 3);
    CHECK(row.asset_id.empty());
    CHECK(row.next_retry_at.has_value()); // backoff, not "failed for good"
    CHECK(row.last_error.find("Frame.io marked the upload failed after 3 attempts") !=
          std::string::npos);
    const Tree remote = fx.remote_tree(); // no placeholder, no duplicate
    CHECK(remote.count("up/clip.mov") == 0);
    CHECK(std::none_of(remote.begin(), remote.end(),
                       [](const auto& kv) { return kv.second.kind == NodeKind::incomplete; }));

    // The fault is gone, but the retry is not due yet: nothing is sent.
    fx.emulator().set_faults("{}");
    fx.emulator().reset_stats();
    const RunOutcome waiting = fx.sync_once();
    REQUIRE_RUN(waiting);
    INFO(waiting.describe());
    CHECK(waiting.has("up/clip.mov", ActionKind::skip, SkipReason::backoff));
    CHECK(count(fx.emulator().stats(), "POST") == 0);

    // Once due (row 70, our asset gone): uploaded and verified by Content-MD5 and size.
    fx.clock().advance(std::chrono::hours(1));
    const RunOutcome retried = fx.sync_once();
    REQUIRE_RUN(retried);
    INFO(retried.describe());
    CHECK(retried.report->result == RunResult::ok);
    CHECK(retried.totals().uploaded == 1);
    row = fx.journal().at("up/clip.mov");
    CHECK(row.state == JournalState::synced);
    CHECK(fios::policy::verified_by(row) == "content-md5+size");
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}
