// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/store/state_db.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using fios::ErrorCode;
using fios::FakeClock;
using fios::store::Generation;
using fios::store::ProjectInfo;
using fios::store::StateDb;
using fios::test::TempDir;
using namespace std::chrono_literals;

namespace {

ProjectInfo project(const std::string& id, const std::string& team, const std::string& name) {
    ProjectInfo p;
    p.id = id;
    p.team_id = "team-" + team;
    p.team_name = team;
    p.name = name;
    p.root_asset_id = "root-" + id;
    p.file_count = 3;
    p.folder_count = 1;
    p.storage = 1000;
    p.updated_at = "2024-01-01T00:00:00.000000Z";
    return p;
}

struct Fixture {
    TempDir dir;
    FakeClock clock;
    StateDb db = open();

    StateDb open() {
        auto r = StateDb::open(dir / "state" / "state.db", clock);
        REQUIRE(r);
        return std::move(*r);
    }
    void know(std::vector<ProjectInfo> list) { REQUIRE(db.record_projects(list)); }
};

} // namespace

TEST_CASE("StateDb::open creates the state folder with mode 0700", "[store][state]") {
    TempDir dir;
    FakeClock clock;
    auto db = StateDb::open(dir / "a" / "b" / "state.db", clock);
    REQUIRE(db);
    CHECK(std::filesystem::status(dir / "a" / "b").permissions() ==
          std::filesystem::perms::owner_all);
}

TEST_CASE("record_projects inserts new projects and updates known ones", "[store][state]") {
    Fixture f;
    const auto t0 = f.clock.now();
    std::vector<ProjectInfo> listing{project("p2", "Beta", "Zeta"), project("p1", "Alpha", "One")};
    auto fresh = f.db.record_projects(listing);
    REQUIRE(fresh);
    CHECK(*fresh == std::vector<std::string>{"p2", "p1"});

    f.clock.advance(60s);
    listing[0].file_count = 10;
    listing[0].name = "Zeta renamed";
    listing[0].updated_at = "2024-02-02T00:00:00.000000Z";
    listing.push_back(project("p3", "Alpha", "Two"));
    auto fresh2 = f.db.record_projects(listing);
    REQUIRE(fresh2);
    CHECK(*fresh2 == std::vector<std::string>{"p3"});

    auto all = f.db.projects();
    REQUIRE(all);
    REQUIRE(all->size() == 3);
    // Ordered by team name, then name.
    CHECK((*all)[0].info.id == "p1");
    CHECK((*all)[1].info.id == "p3");
    CHECK((*all)[2].info.id == "p2");

    auto p2 = f.db.find_project("p2");
    REQUIRE(p2);
    REQUIRE(p2->has_value());
    const auto& k = **p2;
    CHECK(k.info.name == "Zeta renamed");
    CHECK(k.info.file_count == 10);
    CHECK(k.info.folder_count == 1);
    CHECK(k.info.storage == 1000);
    CHECK(k.info.team_id == "team-Beta");
    CHECK(k.info.root_asset_id == "root-p2");
    CHECK(k.info.updated_at == "2024-02-02T00:00:00.000000Z");
    CHECK(k.first_seen_at == t0);
    CHECK(k.last_seen_at == t0 + 60s);

    auto missing = f.db.find_project("nope");
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
}

TEST_CASE("projects missing from a later listing are kept", "[store][state]") {
    Fixture f;
    f.know({project("p1", "A", "One"), project("p2", "A", "Two")});
    f.know({project("p1", "A", "One")});
    auto all = f.db.projects();
    REQUIRE(all);
    CHECK(all->size() == 2);
}

TEST_CASE("normalise_selection_path", "[store][state]") {
    struct Row {
        const char* in;
        const char* out; // nullptr: refused
    };
    const Row rows[] = {
        {"/a/b", "/a/b"},   {"/a/b/", "/a/b"}, {"/a/./b/../c/", "/a/c"},
        {"//a//b", "/a/b"}, {"/", "/"},        {"/a/..", "/"},
        {"a/b", nullptr},   {"", nullptr},     {"./x", nullptr},
    };
    for (const auto& row : rows) {
        INFO(row.in);
        auto r = fios::store::normalise_selection_path(row.in);
        if (row.out == nullptr) {
            REQUIRE_FALSE(r);
            CHECK(r.error().code == ErrorCode::invalid_config);
        } else {
            REQUIRE(r);
            CHECK(r->string() == row.out);
        }
    }
}

TEST_CASE("folders_overlap compares whole path components", "[store][state]") {
    struct Row {
        const char* a;
        const char* b;
        bool overlap;
    };
    const Row rows[] = {
        {"/a/foo", "/a/foo", true},     {"/a", "/a/foo", true},
        {"/a/foo/bar", "/a/foo", true}, {"/a/foo", "/a/foobar", false},
        {"/a/foobar", "/a/foo", false}, {"/a/b", "/a/c", false},
        {"/", "/anything/deep", true},  {"/x/y", "/y", false},
    };
    for (const auto& row : rows) {
        INFO(row.a << " vs " << row.b);
        CHECK(fios::store::folders_overlap(row.a, row.b) == row.overlap);
        CHECK(fios::store::folders_overlap(row.b, row.a) == row.overlap);
    }
}

TEST_CASE("select stores a normalised folder and lists it with the project's names",
          "[store][state]") {
    Fixture f;
    f.know({project("p1", "Team", "One"), project("p2", "Team", "Two")});
    const auto folder = f.dir / "sync" / "one";
    auto sel = f.db.select("p1", folder.string() + "/./");
    REQUIRE(sel);
    CHECK(sel->local_path == folder);
    CHECK(sel->project_name == "One");
    CHECK(sel->team_name == "Team");
    CHECK(sel->root_asset_id == "root-p1");
    CHECK(sel->selected_at == f.clock.now());

    auto list = f.db.selections();
    REQUIRE(list);
    REQUIRE(list->size() == 1);
    CHECK((*list)[0].project_id == "p1");
    CHECK((*list)[0].local_path == folder);
    CHECK((*list)[0].project_name == "One");
    CHECK((*list)[0].team_id == "team-Team");

    auto one = f.db.find_selection("p1");
    REQUIRE(one);
    REQUIRE(one->has_value());
    CHECK((*one)->local_path == folder);
    auto none = f.db.find_selection("p2");
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
}

TEST_CASE("select refuses relative paths and unknown projects", "[store][state]") {
    Fixture f;
    f.know({project("p1", "Team", "One")});
    auto rel = f.db.select("p1", "relative/dir");
    REQUIRE_FALSE(rel);
    CHECK(rel.error().code == ErrorCode::invalid_config);
    auto unknown = f.db.select("zzz", "/abs/dir");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == ErrorCode::not_found);
    CHECK(unknown.error().message.find("zzz") != std::string::npos);
    auto list = f.db.selections();
    REQUIRE(list);
    CHECK(list->empty());
}

TEST_CASE("selecting the same project again: same folder is a no-op, another is refused",
          "[store][state]") {
    Fixture f;
    f.know({project("p1", "Team", "One")});
    auto first = f.db.select("p1", "/data/one");
    REQUIRE(first);
    f.clock.advance(10s);
    auto again = f.db.select("p1", "/data/one/");
    REQUIRE(again);
    CHECK(again->selected_at == first->selected_at);
    auto moved = f.db.select("p1", "/data/elsewhere");
    REQUIRE_FALSE(moved);
    CHECK(moved.error().code == ErrorCode::conflict);
    CHECK(moved.error().message.find("/data/one") != std::string::npos);
    CHECK(moved.error().message.find("unselect p1") != std::string::npos);
}

TEST_CASE("selections whose folders overlap are refused, naming both", "[store][state]") {
    struct Row {
        const char* second_folder;
        bool allowed;
        const char* relation; // text expected in the refusal
    };
    const Row rows[] = {
        {"/a/foo", false, "is already"},
        {"/a", false, "contains /a/foo"},
        {"/", false, "contains /a/foo"},
        {"/a/foo/bar", false, "is inside /a/foo"},
        {"/a/foo/bar/baz/", false, "is inside /a/foo"},
        {"/a/foobar", true, ""},
        {"/a/fo", true, ""},
        {"/a/bar", true, ""},
        {"/b/foo", true, ""},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.second_folder) {
            Fixture f;
            f.know({project("p1", "Team", "First"), project("p2", "Team", "Second")});
            REQUIRE(f.db.select("p1", "/a/foo"));
            auto r = f.db.select("p2", row.second_folder);
            if (row.allowed) {
                REQUIRE(r);
                auto list = f.db.selections();
                REQUIRE(list);
                CHECK(list->size() == 2);
            } else {
                REQUIRE_FALSE(r);
                CHECK(r.error().code == ErrorCode::conflict);
                const auto& m = r.error().message;
                INFO(m);
                CHECK(m.find("'Team/Second' (id p2)") != std::string::npos);
                CHECK(m.find("'Team/First' (id p1)") != std::string::npos);
                CHECK(m.find("/a/foo") != std::string::npos);
                CHECK(m.find(row.relation) != std::string::npos);
                auto list = f.db.selections();
                REQUIRE(list);
                CHECK(list->size() == 1);
            }
        }
    }
}

TEST_CASE("unselect removes the selection and touches nothing on disk", "[store][state]") {
    Fixture f;
    f.know({project("p1", "Team", "One"), project("p2", "Team", "Two")});
    const auto folder = f.dir / "one";
    fios::test::write_file(folder / "clip.mov", "data");
    REQUIRE(f.db.select("p1", folder));

    auto removed = f.db.unselect("p1");
    REQUIRE(removed);
    CHECK(*removed);
    auto list = f.db.selections();
    REQUIRE(list);
    CHECK(list->empty());
    CHECK(fios::test::read_file(folder / "clip.mov") == "data");
    auto known = f.db.find_project("p1");
    REQUIRE(known);
    CHECK(known->has_value()); // the project stays known

    auto again = f.db.unselect("p1");
    REQUIRE(again);
    CHECK_FALSE(*again);

    // The folder is free again, for this project or another.
    REQUIRE(f.db.select("p2", folder));
}

TEST_CASE("runs record start, end, result and counts", "[store][state]") {
    Fixture f;
    auto none = f.db.last_run();
    REQUIRE(none);
    CHECK_FALSE(none->has_value());

    const auto t0 = f.clock.now();
    auto r1 = f.db.begin_run("sync --once");
    REQUIRE(r1);
    f.clock.advance(5s);
    REQUIRE(f.db.finish_run(*r1, "ok", R"({"uploaded":2})"));
    f.clock.advance(5s);
    auto r2 = f.db.begin_run("sync --watch");
    REQUIRE(r2);

    auto last = f.db.last_run();
    REQUIRE(last);
    REQUIRE(last->has_value());
    CHECK((*last)->id == *r2);
    CHECK_FALSE((*last)->finished_at.has_value());
    CHECK_FALSE((*last)->result.has_value());
    CHECK((*last)->counts_json == "{}");

    auto recent = f.db.recent_runs(10);
    REQUIRE(recent);
    REQUIRE(recent->size() == 2);
    const auto& first = (*recent)[1];
    CHECK(first.id == *r1);
    CHECK(first.command == "sync --once");
    CHECK(first.started_at == t0);
    CHECK(first.finished_at == std::optional(t0 + 5s));
    CHECK(first.result == std::optional<std::string>("ok"));
    CHECK(first.counts_json == R"({"uploaded":2})");

    auto limited = f.db.recent_runs(1);
    REQUIRE(limited);
    CHECK(limited->size() == 1);

    auto bad = f.db.finish_run(9999, "ok", "{}");
    REQUIRE_FALSE(bad);
}

TEST_CASE("state survives re-opening, and two connections share it", "[store][state]") {
    TempDir dir;
    FakeClock clock;
    const auto path = dir / "state.db";
    auto a = StateDb::open(path, clock);
    REQUIRE(a);
    auto b = StateDb::open(path, clock);
    REQUIRE(b);
    REQUIRE(a->record_projects(std::vector{project("p1", "T", "One")}));
    REQUIRE(b->select("p1", "/x/one"));
    auto seen = a->selections();
    REQUIRE(seen);
    REQUIRE(seen->size() == 1);
    CHECK((*seen)[0].local_path == "/x/one");
}

TEST_CASE("generation and account round-trip through projects and selections", "[store][state]") {
    Fixture f;
    auto v4 = project("p4", "Studio", "Film");
    v4.generation = Generation::v4;
    v4.account_id = "acc-9";
    const auto legacy = project("p2", "Alpha", "Old"); // callers that do not say: V2
    f.know({v4, legacy});

    auto known = f.db.find_project("p4");
    REQUIRE(known);
    REQUIRE(known->has_value());
    CHECK((*known)->info.generation == Generation::v4);
    CHECK((*known)->info.account_id == "acc-9");
    auto old = f.db.find_project("p2");
    REQUIRE(old);
    REQUIRE(old->has_value());
    CHECK((*old)->info.generation == Generation::v2);
    CHECK((*old)->info.account_id.empty());

    // A selection takes the project's generation and account.
    auto sel4 = f.db.select("p4", f.dir / "film");
    REQUIRE(sel4);
    CHECK(sel4->generation == Generation::v4);
    CHECK(sel4->account_id == "acc-9");
    REQUIRE(f.db.select("p2", f.dir / "old"));

    auto only4 = f.db.selections(Generation::v4);
    REQUIRE(only4);
    REQUIRE(only4->size() == 1);
    CHECK((*only4)[0].project_id == "p4");
    CHECK((*only4)[0].account_id == "acc-9");
    CHECK((*only4)[0].project_name == "Film");
    auto only2 = f.db.selections(Generation::v2);
    REQUIRE(only2);
    REQUIRE(only2->size() == 1);
    CHECK((*only2)[0].project_id == "p2");
    auto all = f.db.selections();
    REQUIRE(all);
    CHECK(all->size() == 2);

    // A later listing updates the project; the selection keeps what it was made under.
    v4.account_id = "acc-10";
    f.know({v4});
    auto moved = f.db.find_project("p4");
    REQUIRE(moved);
    CHECK((*moved)->info.account_id == "acc-10");
    auto kept = f.db.find_selection("p4");
    REQUIRE(kept);
    REQUIRE(kept->has_value());
    CHECK((*kept)->account_id == "acc-9");

    // Re-opened, everything reads back the same.
    auto reopened = f.open();
    auto again = reopened.selections(Generation::v4);
    REQUIRE(again);
    REQUIRE(again->size() == 1);
    CHECK((*again)[0].generation == Generation::v4);
}

TEST_CASE("a V4 project without its account is refused", "[store][state]") {
    Fixture f;
    auto v4 = project("p4", "Studio", "Film");
    v4.generation = Generation::v4;
    auto r = f.db.record_projects(std::vector<ProjectInfo>{project("ok", "A", "B"), v4});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::internal);
    // Nothing of the listing was written.
    auto none = f.db.projects();
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("generation names", "[store][state]") {
    CHECK(fios::store::to_string(Generation::v2) == "v2");
    CHECK(fios::store::to_string(Generation::v4) == "v4");
    CHECK(fios::store::parse_generation("v4") == Generation::v4);
    CHECK(fios::store::parse_generation("v2") == Generation::v2);
    CHECK_FALSE(fios::store::parse_generation("V4").has_value());
    CHECK_FALSE(fios::store::parse_generation("").has_value());
}

TEST_CASE("the runs table keeps only the newest runs (a watch records one a minute for "
          "months)",
          "[store][state]") {
    Fixture f;
    const std::size_t kept = StateDb::k_runs_kept;
    // A long run that other runs go on beside (a watch's): never pruned while it goes on.
    auto long_run = f.db.begin_run("sync --watch");
    REQUIRE(long_run);
    std::int64_t last = 0;
    for (std::size_t i = 0; i < kept + 25; ++i) {
        auto r = f.db.begin_run("sync --watch");
        REQUIRE(r);
        REQUIRE(f.db.finish_run(*r, "ok", "{}"));
        last = *r;
    }
    auto recent = f.db.recent_runs(kept * 2);
    REQUIRE(recent);
    REQUIRE(recent->size() == kept + 1);
    CHECK(recent->front().id == last);
    CHECK((*recent)[kept - 1].id == last - static_cast<std::int64_t>(kept) + 1);
    CHECK(recent->back().id == *long_run);
    CHECK(f.db.finish_run(*long_run, "ok", "{}"));
    // Once finished, it goes with the next run begun.
    REQUIRE(f.db.begin_run("sync --watch"));
    auto after = f.db.recent_runs(kept * 2);
    REQUIRE(after);
    CHECK(after->size() == kept);
    CHECK(after->back().id != *long_run);
}
