// SPDX-License-Identifier: MIT
// Pacing and faults: the emulator's default rate limits with more work than one window allows,
// forced 429 bursts, and seeded 5xx / reset / truncation faults. Whatever happens, a run never
// creates a duplicate, never leaves a partial file under a real name, and a few runs converge
// to equal trees.
#include "sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fios::test::sync;
using fios::engine::RunResult;
using namespace std::chrono_literals;

namespace {

/// No path of the remote tree is held by two live items ("path #2" entries).
std::vector<std::string> duplicates(const Tree& remote) {
    std::vector<std::string> out;
    for (const auto& [path, node] : remote) {
        if (path.find(" #") != std::string::npos)
            out.push_back(path);
    }
    return out;
}

/// Runs until the trees are equal (at most `max_runs`), moving the injected clock past any
/// backoff between runs; checks for duplicates and partial files after every run.
void converge(SyncFixture& fx, int max_runs) {
    for (int i = 1; i <= max_runs; ++i) {
        CAPTURE(i);
        const RunOutcome r = fx.sync_once();
        INFO(r.describe());
        REQUIRE(r.report.has_value());
        const Tree remote = fx.remote_tree();
        REQUIRE(duplicates(remote).empty());
        for (const auto& [path, node] : fx.local_tree()) {
            CAPTURE(path);
            REQUIRE(node.kind != NodeKind::incomplete);
        }
        if (fx.local_tree() == remote && r.report->result == RunResult::ok)
            return;
        fx.clock().advance(std::chrono::hours(7)); // past the longest backoff
    }
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

} // namespace

TEST_CASE("pacing: more creates than the default rate limit allows per second",
          "[sync][faults][rate-limit]") {
    FixtureOptions o;
    o.rate_limited = true; // each generation's default limits (V2: asset-create 5 per second)
    SyncFixture fx(o);
    for (int d = 0; d < 3; ++d) {
        for (int f = 0; f < 5; ++f)
            fx.local().insert("up" + std::to_string(d) + "/f" + std::to_string(f) + ".txt",
                              "small " + std::to_string(d * 10 + f));
    }
    fx.local().insert("big/clip.mov", k_three_parts);
    for (unsigned f = 0; f < 4; ++f)
        fx.remote().insert("down/r" + std::to_string(f) + ".bin", k_three_parts + f);
    fx.publish_checksums();

    const RunOutcome r = fx.sync_once();
    INFO(r.describe());
    REQUIRE(r.report.has_value());
    CHECK(r.report->result == RunResult::ok);
    CHECK(r.totals().uploaded == 16);
    CHECK(r.totals().downloaded == 4);
    CHECK(duplicates(fx.remote_tree()).empty());
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("429 bursts are waited out without duplicates", "[sync][faults][429]") {
    FixtureOptions o;
    o.rate_limited = true;
    SyncFixture fx(o);
    fx.local().insert("A/one.mov", k_three_parts);
    fx.local().insert("A/two.mov", k_three_parts + 1);
    fx.local().mkdir("A/empty");
    fx.remote().insert("B/three.mov", k_three_parts + 2);
    fx.publish_checksums();
    fx.emulator().set_faults(R"({"burst429": 3})");
    const RunOutcome r = fx.sync_once();
    INFO(r.describe());
    REQUIRE(r.report.has_value());
    CHECK(r.report->result == RunResult::ok);
    CHECK(duplicates(fx.remote_tree()).empty());
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
    CHECK(fx.emulator().stats().size() > 0);
}

TEST_CASE("5xx on API calls - parts and downloads: no duplicates - and runs converge",
          "[sync][faults][5xx]") {
    SyncFixture fx;
    for (unsigned i = 0; i < 4; ++i) {
        fx.local().insert("up/u" + std::to_string(i) + ".mov", k_three_parts + i);
        fx.remote().insert("down/d" + std::to_string(i) + ".mov", k_three_parts + 10 + i);
    }
    fx.local().mkdir("up/empty");
    fx.publish_checksums();
    fx.emulator().set_faults(R"({"api5xx": 0.15, "part5xx": 0.2, "download5xx": 0.2, "seed": 7})");
    converge(fx, 6);
}

TEST_CASE("connection resets on parts and truncated downloads: no partial file - converge",
          "[sync][faults][reset]") {
    SyncFixture fx;
    for (unsigned i = 0; i < 3; ++i) {
        fx.local().insert("up/u" + std::to_string(i) + ".mov", k_three_parts + i);
        fx.remote().insert("down/d" + std::to_string(i) + ".mov", k_three_parts + 10 + i);
    }
    fx.publish_checksums();
    fx.emulator().set_faults(R"({"partreset": 0.25, "truncate": 0.3, "seed": 11})");
    converge(fx, 6);
    CHECK(fx.local().temp_files().empty());
}

TEST_CASE("a create whose answer is lost is resolved without a duplicate",
          "[sync][faults][create]") {
    SyncFixture fx;
    fx.local().insert("lost/answer.mov", k_three_parts);
    // The folder create and the file create both happen, and both answers are lost.
    fx.fail_next_creates(500, true, 1, 1);
    converge(fx, 4);
    CHECK(fx.remote().list_names(fx.remote().root_id()) == std::map<std::string, int>{{"lost", 1}});
    CHECK(fx.remote().list_names(fx.remote().id_of("lost")) ==
          std::map<std::string, int>{{"answer.mov", 1}});
}
