// SPDX-License-Identifier: MIT
// The --dry-run rendering of a plan, pinned by a golden file. To accept an intended change:
//   FIOS_UPDATE_GOLDEN=1 build/<dir>/tests/unit/plan/fios_unit_plan "[golden]"
// then review the diff of tests/unit/plan/golden/ like code.
#include "plan_world.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace fios::test::plan;
using fios::model::LocalSkipReason;
using fios::model::NameIssue;

namespace {

/// A first run over a project with a bit of everything.
World sample() {
    World w;
    // Remote: a dailies folder with clips, a version stack, a hostile name, a duplicate,
    // an upload still in progress.
    w.rfolder("Dailies", "F-dailies");
    w.rfolder("Dailies/Day 1", "F-day1");
    w.rfile("Dailies/Day 1/A001.mov", "A-001", 1000, H("a001"));
    w.rfile("Dailies/Day 1/A002.mov", "A-002", 2000, std::nullopt, false);
    w.rfile("Dailies/Day 1/A003.mov", "A-003", 3000, H("a003"), true, k_old);
    w.rfile("Dailies/Day 1/A003.mov", "A-003-copy", 3000, H("a003"), true, k_old + 1s);
    w.rfile("Cut.mov", "HEAD-2", 5000, H("cut v2"));
    w.remote.entries.back().version_stack = fios::model::VersionStackRef{"VS-cut", "HEAD-2"};
    w.remote.rejected.push_back(
        {P("Dailies"), "..", "A-evil", EntryKind::file, NameIssue::dot_dot});
    w.remote.rejected.push_back(
        {RelPath::root(), "bad\nname.mov", "A-nl", EntryKind::file, NameIssue::control_character});
    // Both sides: same content (to adopt), different content (conflict).
    const auto same = w.lfile("Dailies/Day 1/A001.mov", 1000);
    w.known_hash(same, H("a001"));
    w.lfile("Dailies/Day 1/A003.mov", 3001);
    // Local only: a new folder with a clip, a file still being written, a symlink, a bad name.
    w.ldir("Dailies");
    w.ldir("Dailies/Day 1");
    w.ldir("Renders");
    w.lfile("Renders/final.mov", 4000);
    w.lfile("Renders/exporting.mov", 10, k_now - 2s);
    w.lskip("Renders/latest", LocalSkipReason::symlink);
    w.local.skipped.push_back({P("Renders"), "caf\xE9.mov", std::nullopt,
                               LocalSkipReason::invalid_name, NameIssue::invalid_utf8, ""});
    // Journal: a file synced earlier and deleted locally since.
    w.rfile("Dailies/old.mov", "A-old", 10, H("old"));
    LocalEntry was{P("Dailies/old.mov"), EntryKind::file, 10, k_old, 77, 1};
    w.jrow(World::synced(was, w.remote.entries.back(), H("old")));
    return w;
}

} // namespace

TEST_CASE("plan rendering is stable (golden)", "[plan][golden]") {
    const std::string got = fios::plan::render(sample().plan());
    const auto golden =
        std::filesystem::path(FIOS_TEST_SOURCE_DIR) / "tests/unit/plan/golden/first_run.plan.txt";
    if (std::getenv("FIOS_UPDATE_GOLDEN") != nullptr) {
        fios::test::write_file(golden, got);
        WARN("updated " << golden.string());
    }
    const std::string expected = fios::test::read_file(golden);
    CHECK(got == expected);
}

TEST_CASE("plan rendering: verbs and escaped paths", "[plan]") {
    fios::plan::Action a;
    a.kind = fios::plan::ActionKind::skip;
    a.skip = fios::plan::SkipReason::hostile_name;
    a.path = P("Dailies");
    a.name = "\x1b[2J";
    a.reason = "r";
    CHECK(fios::plan::verb(a) == "skip:hostile_name");
    CHECK(fios::plan::display_path(a) == "Dailies/\"\\u{001B}[2J\"");
    a.kind = fios::plan::ActionKind::upload;
    a.skip = fios::plan::SkipReason::none;
    a.name.clear();
    CHECK(fios::plan::verb(a) == "upload");
    fios::plan::Plan plan;
    plan.actions.push_back(a);
    CHECK(fios::plan::render(plan) ==
          "upload                      Dailies  (r)\n1 actions: 1 upload\n");
    CHECK(fios::plan::render(fios::plan::Plan{}) == "0 actions\n");
}
