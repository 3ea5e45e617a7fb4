// SPDX-License-Identifier: MIT
// The fault soak (issue 9, docs/reliability.md "Fault soak"): files in nested folders on both
// sides, every emulator fault at once, `sync --once` repeated in-process (the injected clock
// skips every backoff between runs). After every run: no remote path holds two assets, no
// file under a real name on either side is anything but that path's true content, and the
// run's result tells the truth. Within a stated number of runs: both trees equal the union of
// what was created, with no temporary file left.
//
// Sizes: FIOS_SOAK_FILES (default 60; 500 with FIOS_SOAK=full); seed: FIOS_SOAK_SEED.
#include "soak_support.hpp"

#include <catch2/catch.hpp>

#include <iostream>

using namespace fios::test::sync;
using namespace fios::test::soak;
using fios::engine::ItemResult;
using fios::engine::RunResult;

namespace {

/// The result tells the truth: "ok" only when no item failed, and a failure is never "ok".
/// Returns whether the run claims that nothing is left to do.
bool check_truth(const RunOutcome& r) {
    INFO(r.describe());
    REQUIRE(r.report.has_value());
    bool any_failed = false;
    for (const auto& item : r.items)
        any_failed = any_failed || item.result == ItemResult::failed;
    const auto& t = r.totals();
    if (any_failed || t.failed > 0 || t.backoff > 0 || t.conflicts > 0)
        CHECK(r.report->result != RunResult::ok);
    if (r.report->result == RunResult::ok) {
        CHECK_FALSE(any_failed);
        CHECK(t.failed == 0);
        CHECK(t.conflicts == 0);
    }
    return r.report->result == RunResult::ok && t.awaiting_verification == 0 && t.settling == 0 &&
           t.remote_incomplete == 0 && t.cancelled == 0;
}

/// What must hold after every run, converged or not.
void check_after_run(SyncFixture& fx, const Tree& expected) {
    const Tree remote = fx.remote_tree();
    INFO("duplicates: " << join(duplicates(remote)));
    CHECK(duplicates(remote).empty());
    INFO("remote files that are not their path's content: " << join(wrong_files(remote, expected)));
    CHECK(wrong_files(remote, expected).empty());
    const Tree local = fx.local_tree();
    INFO("local files that are not their path's content: " << join(wrong_files(local, expected)));
    CHECK(wrong_files(local, expected).empty());
}

/// Later changes, made between the first and second run (faults off): a new batch of files on
/// both sides, and edits of files the first run did not finish: local files not yet complete
/// on Frame.io get more bytes, remote files not yet downloaded get a new version.
void change_later(SyncFixture& fx, const Workload& first, std::size_t files, std::uint64_t seed,
                  Tree& expected) {
    populate(fx, make_workload(std::max<std::size_t>(4, files / 10), seed + 1, 15, 4, "n"),
             expected);
    const Tree remote = fx.remote_tree();
    int local_edits = 0;
    for (const auto& f : first.local) {
        auto it = remote.find(f.path);
        if (local_edits == 3 || (it != remote.end() && it->second.kind == NodeKind::file))
            continue;
        fx.local().append(f.path, "edited before its upload finished");
        fx.local().set_mtime(f.path, fx.clock().now() - std::chrono::hours(1));
        expected.insert_or_assign(f.path, fx.local_tree().at(f.path));
        ++local_edits;
    }
    int remote_edits = 0;
    for (const auto& f : first.remote) {
        if (remote_edits == 3 || fx.local().exists(f.path))
            continue;
        fx.remote().add_version(f.path, "a new head before the download finished " + f.path);
        expected.insert_or_assign(f.path, fx.remote_tree().at(f.path));
        ++remote_edits;
    }
    std::cerr << "soak: later changes: " << local_edits << " local edits, " << remote_edits
              << " remote new versions\n";
}

} // namespace

TEST_CASE("soak: sync --once under every fault at once converges - no duplicate - no partial "
          "file - truthful results",
          "[soak][faults]") {
    const std::size_t files = env_size("FIOS_SOAK_FILES", 60, 500);
    const std::uint64_t seed = env_seed("FIOS_SOAK_SEED", 9);
    FixtureOptions o;
    o.emulator_args = expiring_links();
    // No pacing and no rate limits but the faults' 429 bursts: on V2 the documented 40
    // listings a minute would make each run of 500 files wait minutes for its own pacer.
    o.rate_limited = false;
    o.pace_requests = false;
    SyncFixture fx(o);
    announce("soak --once", fx, files, seed);

    Tree expected;
    const Workload first = make_workload(files, seed, 15, 4);
    populate(fx, first, expected);
    fx.publish_checksums();

    // The bound: one run to do the work, one for the later changes, the rest for items that
    // failed in a row (each item's retries inside a run make two failed runs in a row rare).
    constexpr int k_max_runs = 8;
    int runs = 0;
    bool done = false;
    while (!done && runs < k_max_runs) {
        ++runs;
        CAPTURE(runs);
        if (runs == 2)
            change_later(fx, first, files, seed, expected);
        fx.emulator().set_faults(all_faults(fx.generation(), seed + static_cast<unsigned>(runs)));
        const RunOutcome r = fx.sync_once();
        fx.emulator().set_faults("{}");
        if (std::getenv("FIOS_SOAK_VERBOSE") != nullptr)
            std::cerr << r.describe() << "\n";
        const bool claims_done = check_truth(r);
        check_after_run(fx, expected);
        const bool equal = converged(fx, expected);
        if (claims_done) {
            INFO(tree_diff(expected, fx.local_tree()) << tree_diff(expected, fx.remote_tree()));
            CHECK(equal); // "ok, nothing pending" with trees apart would be a lie
        }
        std::cerr << "soak: run " << runs << ": " << to_string(r.report->result) << ", "
                  << r.totals().uploaded << " up, " << r.totals().downloaded << " down, "
                  << r.totals().failed << " failed, "
                  << std::chrono::duration_cast<std::chrono::seconds>(r.report->elapsed).count()
                  << " s\n";
        done = runs >= 2 && equal && r.report->result == RunResult::ok;
        fx.publish_checksums();
        fx.clock().advance(std::chrono::hours(7)); // past the longest backoff
    }
    std::cerr << "soak: converged after " << runs << " runs (bound " << k_max_runs << ")\n";
    INFO(tree_diff(expected, fx.local_tree()));
    INFO(tree_diff(expected, fx.remote_tree()));
    REQUIRE(done);
    CHECK(fx.local().temp_files().empty());
}
