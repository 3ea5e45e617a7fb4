// SPDX-License-Identifier: MIT
// Partial runs (`sync --watch`; docs/cli.md, "How a watch checks Frame.io"): with a
// RemoteCache, a run whose RunOptions::scope names some folders lists only those (and what is
// new or gone below them), acts only on what those listings cover, and leaves the rest to
// their own turn. Listing counts come from the emulator's /_emulator/stats.
#include "sync_fixture.hpp"

#include "fios/engine/remote_cache.hpp"
#include "fios/scan/local_scanner.hpp"

#include <catch2/catch.hpp>

using namespace fios::test::sync;
using fios::engine::RemoteCache;
using fios::engine::RunResult;
using fios::model::RelPath;
using namespace std::chrono_literals;

namespace {

RelPath P(const std::string& text) {
    auto p = RelPath::parse(text);
    REQUIRE(p);
    return *p;
}

/// A run of `fx` listing `folders` only (the cache must already hold the project).
RunOutcome partial_run(SyncFixture& fx, const std::vector<std::string>& folders) {
    auto options = fx.run_options();
    std::set<RelPath> scope;
    for (const auto& f : folders)
        scope.insert(P(f));
    options.scope[fx.remote().project_id()] = scope;
    fx.emulator().reset_stats();
    return fx.sync_once(options);
}

/// A file older than any settle time, written locally.
void insert_settled(SyncFixture& fx, const std::string& path, const std::string& content) {
    fx.local().insert(path, content);
    fx.local().set_mtime(path, fx.clock().now() - 30min);
}

/// Settled files F0/a.txt .. F<n-1>/a.txt, one folder each.
void insert_folders(SyncFixture& fx, int n) {
    for (int i = 0; i < n; ++i)
        insert_settled(fx, "F" + std::to_string(i) + "/a.txt", "a" + std::to_string(i));
}

/// A remote check of the agreed project of `fx` as a watch makes it: `folders` listed, no
/// local change reported.
RunOutcome quiet_check(SyncFixture& fx, std::set<RelPath> folders) {
    auto options = fx.run_options();
    const std::string pid = fx.remote().project_id();
    options.scope[pid] = std::move(folders);
    options.local_unchanged.insert(pid);
    fx.emulator().reset_stats();
    return fx.sync_once(options);
}

} // namespace

TEST_CASE("partial run: a change in one folder lists that folder only - the rest waits its turn",
          "[sync][partial]") {
    SyncFixture fx;
    RemoteCache cache;
    fx.set_remote_cache(&cache);
    insert_folders(fx, 6);
    const RunOutcome first = fx.sync_once(); // no view yet: the whole project
    INFO(first.describe());
    REQUIRE(first.report.has_value());
    REQUIRE(first.report->result == RunResult::ok);
    // The view is Frame.io before the run (the root alone): the folders the run created are
    // learnt from the journal when a scope needs them.
    CHECK(cache.folder_count(fx.remote().project_id()) == 1);
    CHECK(cache.complete_as_of(fx.remote().project_id()).has_value());

    insert_settled(fx, "F2/new.txt", "new here");
    fx.remote().insert("F4/theirs.txt", "new there");
    fx.publish_checksums();
    const RunOutcome r = partial_run(fx, {"F2"});
    INFO(r.describe());
    REQUIRE(r.report.has_value());
    CHECK(r.report->result == RunResult::ok);
    CHECK(r.totals().uploaded == 1);
    CHECK(r.totals().downloaded == 0); // F4 was not looked at
    CHECK(count_listings(fx.emulator().stats()) == 1);
    CHECK(fx.remote_tree().count("F2/new.txt") == 1);
    CHECK_FALSE(fx.local().exists("F4/theirs.txt"));

    // F4's turn (a remote check's budget): the colleague's file comes down.
    const RunOutcome check = partial_run(fx, {"F4"});
    INFO(check.describe());
    REQUIRE(check.report.has_value());
    CHECK(check.totals().downloaded == 1);
    CHECK(count_listings(fx.emulator().stats()) == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("partial run: new - gone and replaced folders below a listed one are followed down",
          "[sync][partial]") {
    SyncFixture fx;
    RemoteCache cache;
    fx.set_remote_cache(&cache);
    insert_settled(fx, "A/a.txt", "a");
    insert_settled(fx, "B/b.txt", "b");
    insert_settled(fx, "C/c.txt", "c");
    insert_settled(fx, "D/d.txt", "d");
    REQUIRE(fx.sync_once().report->result == RunResult::ok);

    insert_settled(fx, "A/N/M/deep.txt", "a new local tree inside A"); // local, new, nested
    fx.remote().remove("B");                                           // gone on Frame.io
    fx.remote().remove("C");                                           // replaced on Frame.io:
    fx.remote().insert("C/x.txt", "a new C");                          // same name, new folder
    fx.remote().insert("D/unseen.txt", "D is not looked at");
    fx.publish_checksums();

    const RunOutcome r = partial_run(fx, {"", "A"});
    INFO(r.describe());
    REQUIRE(r.report.has_value());
    // The root and A are listed; the new C below the root too (it is not the C the journal
    // knows); A/N and A/N/M are not on Frame.io, so there is nothing to list; D is agreed.
    CHECK(count_listings(fx.emulator().stats()) == 3);
    CHECK(r.totals().uploaded == 1);         // A/N/M/deep.txt (its folders created first)
    CHECK(r.totals().downloaded == 1);       // C/x.txt
    CHECK(r.totals().deleted_remotely >= 2); // B/b.txt and C/c.txt stay here, marked
    CHECK(fx.local().exists("B/b.txt"));
    CHECK(fx.local().exists("C/c.txt"));
    CHECK(fx.remote_tree().count("A/N/M/deep.txt") == 1);
    CHECK_FALSE(fx.local().exists("D/unseen.txt"));

    // A scope folder that is gone on Frame.io: the run looks at the whole project instead.
    fx.remote().remove("A");
    const RunOutcome whole = partial_run(fx, {"A/N"});
    INFO(whole.describe());
    REQUIRE(whole.report.has_value());
    CHECK_FALSE(whole.report->error.has_value());
    CHECK(fx.local().exists("D/unseen.txt"));
    CHECK(fx.local().exists("A/N/M/deep.txt")); // never deleted here
}

TEST_CASE("partial run: a remote check of an agreed project with nothing new stops after its "
          "listings",
          "[sync][partial]") {
    SyncFixture fx;
    RemoteCache cache;
    fx.set_remote_cache(&cache);
    insert_settled(fx, "A/a.txt", "a");
    insert_settled(fx, "B/b.txt", "b");
    REQUIRE(fx.sync_once().report->result == RunResult::ok);
    fx.publish_checksums();
    const auto check = [&] { return quiet_check(fx, {P(""), P("A"), P("B")}); };

    // The first check learns what the first run did (its view predates the uploads): the
    // listings are news, so it reconciles; both sides agree, nothing to do.
    const RunOutcome learn = check();
    INFO(learn.describe());
    REQUIRE(learn.report.has_value());
    REQUIRE(learn.report->projects.size() == 1);
    CHECK(learn.report->projects[0].discovered);
    CHECK(learn.totals().uploaded == 0);

    // Now the listings alone decide: nothing new, so no local scan. A local file the caller
    // did not report is therefore not seen (the contract of RunOptions::local_unchanged).
    insert_settled(fx, "A/unreported.txt", "the caller said nothing changed here");
    const RunOutcome idle = check();
    INFO(idle.describe());
    REQUIRE(idle.report.has_value());
    CHECK(idle.report->result == RunResult::ok);
    CHECK_FALSE(idle.report->projects[0].discovered);
    CHECK(count_listings(fx.emulator().stats()) == 3);
    CHECK(idle.totals().uploaded == 0);
    CHECK(fx.remote_tree().count("A/unreported.txt") == 0);

    // Something new on Frame.io: the same check reconciles (scanning the local folder, so the
    // unreported file goes up now) and brings the new file down.
    fx.remote().insert("B/theirs.txt", "new there");
    fx.publish_checksums();
    const RunOutcome news = check();
    INFO(news.describe());
    REQUIRE(news.report.has_value());
    CHECK(news.report->projects[0].discovered);
    CHECK(news.totals().downloaded == 1);
    CHECK(news.totals().uploaded == 1);
    CHECK(count_listings(fx.emulator().stats()) == 3); // listed once, not again to reconcile
    CHECK(fx.local().exists("B/theirs.txt"));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());

    // A run that acted is not "agreed": the next check reconciles again (and learns the
    // upload), the one after stops at its listings.
    fx.publish_checksums();
    const RunOutcome learn_again = check();
    INFO(learn_again.describe());
    REQUIRE(learn_again.report.has_value());
    CHECK(learn_again.report->projects[0].discovered);
    const RunOutcome idle_again = check();
    INFO(idle_again.describe());
    REQUIRE(idle_again.report.has_value());
    CHECK_FALSE(idle_again.report->projects[0].discovered);
}

TEST_CASE("partial run: after an idle remote check, every kind of remote change is seen by the "
          "next one",
          "[sync][partial]") {
    // On V4 an idle check's listings come back byte for byte as before and are not parsed
    // (remote::FolderListing::unchanged): any change in any of a folder's routes must still
    // show. V2 lists in full every time; the same story must hold.
    SyncFixture fx;
    RemoteCache cache;
    fx.set_remote_cache(&cache);
    insert_settled(fx, "A/a.txt", "a");
    insert_settled(fx, "A/b.txt", "b");
    insert_settled(fx, "B/c.txt", "c");
    REQUIRE(fx.sync_once().report->result == RunResult::ok);
    fx.publish_checksums();
    const auto check = [&] { return quiet_check(fx, {P(""), P("A"), P("B")}); };
    // Checks until one stops at its listings (each run that acted is followed by one that
    // learns what it did); at most four.
    const auto settle = [&] {
        for (int i = 0; i < 4; ++i) {
            fx.publish_checksums();
            const RunOutcome r = check();
            INFO(r.describe());
            REQUIRE(r.report.has_value());
            REQUIRE(r.report->result == RunResult::ok);
            if (!r.report->projects[0].discovered)
                return;
        }
        FAIL("four remote checks in a row found news with nothing changing");
    };
    // The next check finds the change and acts on it as the policy says (docs/sync-policy.md:
    // a remote rename or deletion keeps the local file, a new head is not downloaded over it).
    using fios::plan::ActionKind;
    using fios::plan::SkipReason;
    const auto next_check = [&](const char* what, long listings = 3) {
        fx.publish_checksums();
        RunOutcome r = check();
        INFO(what << "\n" << r.describe());
        REQUIRE(r.report.has_value());
        CHECK(r.report->result == RunResult::ok);
        CHECK(r.report->projects[0].discovered);
        CHECK(count_listings(fx.emulator().stats()) == listings);
        return r;
    };
    settle();

    fx.remote().rename("A/a.txt", "renamed.txt"); // same count, same sizes
    RunOutcome renamed = next_check("a rename");
    CHECK(renamed.has("A/a.txt", ActionKind::skip, SkipReason::deleted_remotely));
    CHECK(renamed.has("A/renamed.txt", ActionKind::download));
    CHECK(fx.local().read("A/renamed.txt") == "a");
    settle();

    fx.remote().mkdir("B/N");      // the folders route only
    next_check("a new folder", 4); // and the new folder itself
    CHECK(fx.local().exists("B/N"));
    settle();

    fx.remote().add_version("B/c.txt", "c, second version"); // a version stack on V4
    RunOutcome versioned = next_check("a new version");
    CHECK(versioned.has("B/c.txt", ActionKind::skip, SkipReason::remote_changed));
    settle();

    fx.remote().remove("A/b.txt");
    RunOutcome removed = next_check("a deletion");
    CHECK(removed.has("A/b.txt", ActionKind::skip, SkipReason::deleted_remotely));
    settle();
}

TEST_CASE("partial run: its local scan stands for the folder afterwards only when nothing it "
          "saw went unanswered",
          "[sync][partial]") {
    SyncFixture fx;
    RemoteCache cache;
    fx.set_remote_cache(&cache);
    insert_folders(fx, 3);
    REQUIRE(fx.sync_once().report->result == RunResult::ok);
    const auto digest_now = [&] {
        auto snapshot = fios::scan::scan_local(fx.local().root());
        REQUIRE(snapshot);
        return fios::scan::folder_digests(*snapshot);
    };
    const auto local_digest = [](const RunOutcome& r) {
        REQUIRE(r.report.has_value());
        REQUIRE(r.report->projects.size() == 1);
        return r.report->projects[0].local_folders;
    };

    // A new file in F2, and a run that lists F1 only: the scan saw F2/new.txt, nothing acted
    // on it, so the scan must not become a baseline that hides it.
    insert_settled(fx, "F2/new.txt", "unanswered");
    const RunOutcome elsewhere = partial_run(fx, {"F1"});
    INFO(elsewhere.describe());
    CHECK(elsewhere.totals().uploaded == 0);
    CHECK_FALSE(local_digest(elsewhere));

    // F2's own run uploads it and leaves the folder as it scanned it.
    const RunOutcome answered = partial_run(fx, {"F2"});
    INFO(answered.describe());
    CHECK(answered.totals().uploaded == 1);
    CHECK(local_digest(answered) == digest_now());

    // A run that downloads has written in the folder: its scan is out of date.
    fx.remote().insert("F0/theirs.txt", "from a colleague");
    fx.publish_checksums();
    const RunOutcome downloaded = partial_run(fx, {"F0"});
    INFO(downloaded.describe());
    CHECK(downloaded.totals().downloaded == 1);
    CHECK_FALSE(local_digest(downloaded));
}

TEST_CASE("partial run: a check that gives way says so - one that fell back to the whole tree "
          "has finished",
          "[sync][partial]") {
    SyncFixture fx;
    RemoteCache cache;
    fx.set_remote_cache(&cache);
    insert_folders(fx, 4);
    REQUIRE(fx.sync_once().report->result == RunResult::ok);
    fx.publish_checksums();
    int asked = 0;
    // A remote check during which local work is due all along.
    const auto check = [&](std::set<RelPath> folders) {
        auto options = fx.run_options();
        const std::string pid = fx.remote().project_id();
        options.scope[pid] = std::move(folders);
        options.local_unchanged.insert(pid);
        options.give_way = [&](const std::string& project_id) {
            CHECK(project_id == pid);
            ++asked;
            return true;
        };
        fx.emulator().reset_stats();
        return fx.sync_once(options);
    };
    const auto gave_way = [](const RunOutcome& r) {
        REQUIRE(r.report.has_value());
        REQUIRE(r.report->projects.size() == 1);
        CHECK_FALSE(r.report->projects[0].error.has_value());
        return r.report->projects[0].gave_way;
    };

    // Four folders to list: the first is, the rest wait for the check to go on.
    const RunOutcome cut = check({P("F0"), P("F1"), P("F2"), P("F3")});
    INFO(cut.describe());
    CHECK(gave_way(cut));
    CHECK(asked >= 1);
    CHECK(count_listings(fx.emulator().stats()) < 4);

    // A check with one folder has nothing to leave: it is never cut.
    asked = 0;
    const RunOutcome single = check({P("F1")});
    INFO(single.describe());
    CHECK_FALSE(gave_way(single));
    CHECK(asked == 0);

    // A folder to list is gone on Frame.io: the check lists the whole tree instead, which
    // finishes it, whatever it was told before.
    fx.remote().remove("F0");
    const RunOutcome whole = check({P("F0"), P("F1"), P("F2"), P("F3")});
    INFO(whole.describe());
    CHECK_FALSE(gave_way(whole));
    CHECK(count_listings(fx.emulator().stats()) >= 5); // the root and every folder left
}
