// SPDX-License-Identifier: MIT
// store::Journal: every table round-trips, rows are per project, forget drops everything kept
// for a path, housekeeping keeps live transfer state only, status counts classify rows.
#include "support/temp_dir.hpp"

#include "fios/core/clock.hpp"
#include "fios/store/journal.hpp"
#include "fios/store/schema.hpp"
#include "fios/store/state_db.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <limits>

using namespace fios;
using fios::model::RelPath;
using fios::model::TimePoint;

namespace {

RelPath path(const char* text) {
    auto p = RelPath::parse(text);
    REQUIRE(p);
    return *p;
}

TimePoint at_ns(std::int64_t ns) {
    return TimePoint{std::chrono::nanoseconds{ns}};
}

struct Fixture {
    test::TempDir dir{"fios-journal"};
    FakeClock clock;
    store::StateDb db = open();
    store::Journal journal{db.db()};

    store::StateDb open() {
        auto s = store::StateDb::open(dir.path() / "state" / "state.db", clock);
        REQUIRE(s);
        return std::move(*s);
    }
};

model::JournalRecord full_record() {
    model::JournalRecord r;
    r.path = path("Footage/Day 1/A001.mov");
    r.kind = model::EntryKind::file;
    r.asset_id = "asset-1";
    r.stack_id = "stack-9";
    r.size = std::numeric_limits<std::uint64_t>::max() - 7; // bit-for-bit through INTEGER
    r.local_mtime = at_ns(1'700'000'000'123'456'789);
    r.inode = std::numeric_limits<std::uint64_t>::max();
    r.xxh64 = "0123456789abcdef";
    r.verified = true;
    r.state = model::JournalState::failed;
    r.direction = model::TransferDirection::down;
    r.attempts = 3;
    r.next_retry_at = at_ns(1'700'000'600'000'000'001);
    r.deleted_locally = true;
    r.deleted_remotely = false;
    r.conflict = true;
    r.last_error = "HTTP 503 while downloading";
    return r;
}

} // namespace

TEST_CASE("journal: the schema is migrated to the journal's version", "[journal]") {
    Fixture f;
    auto v = store::schema_version(f.db.db());
    REQUIRE(v);
    CHECK(*v == store::latest_schema_version());
    CHECK(*v >= 2);
}

TEST_CASE("journal: a record round-trips every field, to the nanosecond", "[journal]") {
    Fixture f;
    const auto r = full_record();
    REQUIRE(f.journal.put_record("p1", r));
    auto back = f.journal.record("p1", r.path);
    REQUIRE(back);
    REQUIRE(back->has_value());
    CHECK(**back == r);

    // Optional fields absent, other enum values.
    model::JournalRecord folder;
    folder.path = path("Footage");
    folder.kind = model::EntryKind::folder;
    folder.state = model::JournalState::synced;
    REQUIRE(f.journal.put_record("p1", folder));
    auto all = f.journal.records("p1");
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK(all->at(folder.path) == folder);
    CHECK(!all->at(folder.path).xxh64);
    CHECK(!all->at(folder.path).next_retry_at);

    // Replacing a row keeps one row.
    auto changed = r;
    changed.state = model::JournalState::synced;
    changed.next_retry_at.reset();
    REQUIRE(f.journal.put_record("p1", changed));
    auto again = f.journal.record("p1", r.path);
    REQUIRE(again);
    CHECK(**again == changed);
    CHECK(f.journal.records("p1")->size() == 2);
}

TEST_CASE("journal: rows belong to one project", "[journal]") {
    Fixture f;
    auto r = full_record();
    REQUIRE(f.journal.put_record("p1", r));
    CHECK(f.journal.records("p2")->empty());
    auto missing = f.journal.record("p2", r.path);
    REQUIRE(missing);
    CHECK(!missing->has_value());
}

TEST_CASE("journal: the snapshot carries records, observations and hashes", "[journal]") {
    Fixture f;
    REQUIRE(f.journal.put_record("p1", full_record()));
    std::vector<model::LocalObservation> obs{
        {path("a.mov"), 10, at_ns(5), at_ns(7)},
        {path("b/c.mov"), 20, at_ns(6), at_ns(8)},
    };
    REQUIRE(f.journal.replace_observations("p1", obs));
    model::LocalHash h{path("a.mov"), 10, at_ns(5), 42, "ffffffffffffffff"};
    REQUIRE(f.journal.put_hash("p1", h));

    auto snap = f.journal.snapshot("p1");
    REQUIRE(snap);
    CHECK(snap->records.size() == 1);
    REQUIRE(snap->observations.size() == 2);
    CHECK(snap->observations.at(path("b/c.mov")) == obs[1]);
    REQUIRE(snap->hashes.size() == 1);
    CHECK(snap->hashes.at(path("a.mov")) == h);

    // Replacing observations replaces the whole set.
    REQUIRE(f.journal.replace_observations("p1", std::span(obs).subspan(1)));
    CHECK(f.journal.snapshot("p1")->observations.size() == 1);
    REQUIRE(f.journal.replace_observations("p1", {}));
    CHECK(f.journal.snapshot("p1")->observations.empty());
}

TEST_CASE("journal: a cached hash is used only for the same fingerprint", "[journal]") {
    Fixture f;
    model::LocalHash h{path("a.mov"), 10, at_ns(5), 42, "00000000000000aa"};
    REQUIRE(f.journal.put_hash("p1", h));
    CHECK(f.journal.cached_hash("p1", h.path, 10, at_ns(5), 42)->value_or("") == h.xxh64);
    CHECK(!f.journal.cached_hash("p1", h.path, 11, at_ns(5), 42)->has_value());
    CHECK(!f.journal.cached_hash("p1", h.path, 10, at_ns(6), 42)->has_value());
    CHECK(!f.journal.cached_hash("p1", h.path, 10, at_ns(5), 43)->has_value());
    CHECK(!f.journal.cached_hash("p2", h.path, 10, at_ns(5), 42)->has_value());

    model::LocalHash other{path("b.mov"), 1, at_ns(1), 1, "00000000000000bb"};
    REQUIRE(f.journal.put_hash("p1", other));
    std::vector<RelPath> keep{path("b.mov")};
    REQUIRE(f.journal.prune_hashes("p1", keep));
    auto snap = f.journal.snapshot("p1");
    REQUIRE(snap);
    CHECK(snap->hashes.size() == 1);
    CHECK(snap->hashes.contains(path("b.mov")));
}

TEST_CASE("journal: upload sessions keep their parts and done marks", "[journal]") {
    Fixture f;
    store::UploadSession s;
    s.path = path("clip.mov");
    s.asset_id = "a1";
    s.parent_id = "root";
    s.name = "clip.mov";
    s.filetype = "video/quicktime";
    s.filesize = 300;
    s.local_mtime = at_ns(123'456'789);
    s.inode = 77;
    s.created_at = at_ns(1'000);
    s.urls_expire_at = at_ns(2'000);
    for (std::uint32_t i = 0; i < 3; ++i)
        s.parts.push_back(
            {i, i * 100ull, 100, "https://s3/part" + std::to_string(i) + "?sig", false});
    REQUIRE(f.journal.put_upload_session("p1", s));
    REQUIRE(f.journal.mark_part_done("p1", s.path, 1));
    auto back = f.journal.upload_session("p1", s.path);
    REQUIRE(back);
    REQUIRE(back->has_value());
    auto expected = s;
    expected.parts[1].done = true;
    CHECK(**back == expected);
    CHECK((*back)->parts_done() == 1);

    // A new session for the path (a fresh create) replaces the old one and its parts.
    store::UploadSession stub;
    stub.path = s.path;
    stub.parent_id = "root";
    stub.name = "clip.mov";
    stub.filesize = 300;
    stub.created_at = at_ns(3'000);
    REQUIRE(f.journal.put_upload_session("p1", stub));
    auto replaced = f.journal.upload_session("p1", s.path);
    REQUIRE(replaced);
    CHECK(**replaced == stub);

    REQUIRE(f.journal.delete_upload_session("p1", s.path));
    CHECK(!f.journal.upload_session("p1", s.path)->has_value());
}

TEST_CASE("journal: failures count up until cleared", "[journal]") {
    Fixture f;
    const auto p = path("x.mov");
    CHECK(*f.journal.failures("p1", p) == 0);
    CHECK(*f.journal.add_failure("p1", p, "one", at_ns(1)) == 1);
    CHECK(*f.journal.add_failure("p1", p, "two", at_ns(2)) == 2);
    CHECK(*f.journal.failures("p2", p) == 0);
    REQUIRE(f.journal.clear_failures("p1", p));
    CHECK(*f.journal.failures("p1", p) == 0);
    CHECK(*f.journal.add_failure("p1", p, "again", at_ns(3)) == 1);
}

TEST_CASE("journal: forget drops the row and everything kept for the path", "[journal]") {
    Fixture f;
    auto r = full_record();
    REQUIRE(f.journal.put_record("p1", r));
    store::UploadSession s;
    s.path = r.path;
    s.asset_id = "a";
    s.parts.push_back({0, 0, 1, "u", false});
    REQUIRE(f.journal.put_upload_session("p1", s));
    REQUIRE(f.journal.put_download_temp("p1", {r.path, ".fios-a.part", "a", 5, at_ns(1)}));
    REQUIRE(f.journal.put_hash("p1", {r.path, 1, at_ns(1), 1, "0000000000000001"}));
    std::vector<model::LocalObservation> obs{{r.path, 1, at_ns(1), at_ns(1)}};
    REQUIRE(f.journal.replace_observations("p1", obs));
    REQUIRE(f.journal.add_failure("p1", r.path, "x", at_ns(1)));

    auto gone = f.journal.forget("p1", r.path);
    REQUIRE(gone);
    CHECK(*gone);
    CHECK(!f.journal.record("p1", r.path)->has_value());
    CHECK(!f.journal.upload_session("p1", r.path)->has_value());
    CHECK(!f.journal.download_temp("p1", r.path)->has_value());
    auto snap = f.journal.snapshot("p1");
    CHECK(snap->hashes.empty());
    CHECK(snap->observations.empty());
    CHECK(*f.journal.failures("p1", r.path) == 0);
    CHECK(!*f.journal.forget("p1", r.path));
}

TEST_CASE("journal: housekeeping keeps only live transfer state", "[journal]") {
    Fixture f;
    auto rec = [&](const char* p, model::JournalState st, model::TransferDirection d,
                   const char* asset) {
        model::JournalRecord r;
        r.path = path(p);
        r.state = st;
        r.direction = d;
        r.asset_id = asset;
        REQUIRE(f.journal.put_record("p1", r));
    };
    using S = model::JournalState;
    using D = model::TransferDirection;
    rec("up-live", S::uploading, D::up, "u1");
    rec("up-done", S::awaiting_verification, D::up, "u2");
    rec("down-live", S::downloading, D::down, "d1");
    rec("down-failed", S::failed, D::down, "d2");
    rec("down-done", S::synced, D::none, "d3");
    rec("down-other", S::downloading, D::down, "d4-new");
    rec("down-deleted", S::downloading, D::down, "d6");
    {
        auto r = f.journal.record("p1", path("down-deleted"));
        REQUIRE(r);
        auto marked = **r;
        marked.deleted_remotely = true; // row 62: the asset is gone, the temp is useless
        REQUIRE(f.journal.put_record("p1", marked));
        CHECK((*f.journal.record("p1", path("down-deleted")))->deleted_remotely);
    }
    for (const char* p : {"up-live", "up-done", "up-gone"}) {
        store::UploadSession s;
        s.path = path(p);
        s.asset_id = "x";
        REQUIRE(f.journal.put_upload_session("p1", s));
    }
    for (auto [p, a] : std::vector<std::pair<const char*, const char*>>{{"down-live", "d1"},
                                                                        {"down-failed", "d2"},
                                                                        {"down-done", "d3"},
                                                                        {"down-other", "d4-old"},
                                                                        {"down-gone", "d5"},
                                                                        {"down-deleted", "d6"}}) {
        REQUIRE(f.journal.put_download_temp("p1",
                                            {path(p), std::string(".fios-") + a, a, 1, at_ns(1)}));
    }

    auto dropped = f.journal.prune_transfers("p1");
    REQUIRE(dropped);
    std::vector<std::string> names;
    for (const auto& t : *dropped)
        names.push_back(t.path.str());
    CHECK(names ==
          std::vector<std::string>{"down-deleted", "down-done", "down-gone", "down-other"});
    CHECK(f.journal.upload_session("p1", path("up-live"))->has_value());
    CHECK(!f.journal.upload_session("p1", path("up-done"))->has_value());
    CHECK(!f.journal.upload_session("p1", path("up-gone"))->has_value());
    CHECK(f.journal.download_temp("p1", path("down-live"))->has_value());
    CHECK(f.journal.download_temp("p1", path("down-failed"))->has_value());
}

TEST_CASE("journal: a rolled-back transaction writes nothing", "[journal]") {
    Fixture f;
    {
        auto tx = f.journal.transaction();
        REQUIRE(tx);
        REQUIRE(f.journal.put_record("p1", full_record()));
        // destroyed without commit
    }
    CHECK(f.journal.records("p1")->empty());
    {
        auto tx = f.journal.transaction();
        REQUIRE(tx);
        REQUIRE(f.journal.put_record("p1", full_record()));
        REQUIRE(tx->commit());
    }
    CHECK(f.journal.records("p1")->size() == 1);
}

TEST_CASE("journal: discovery state and the last project run round-trip", "[journal]") {
    Fixture f;
    CHECK(!f.journal.discovery("p1")->has_value());
    store::DiscoveryState d{"p1",   "/data/p1", 12, 3, "2024-01-02T03:04:05.000000Z",
                            "abcd", at_ns(99)};
    REQUIRE(f.journal.put_discovery(d));
    CHECK(**f.journal.discovery("p1") == d);
    REQUIRE(f.journal.clear_discovery("p1"));
    CHECK(!f.journal.discovery("p1")->has_value());

    store::ProjectRun r{"p1", 7, at_ns(1234), "partial", "{\"failed\":1}", 2, 3, 4, 5, 6};
    REQUIRE(f.journal.put_project_run(r));
    CHECK(**f.journal.project_run("p1") == r);
}

TEST_CASE("journal: status counts classify every row once", "[journal]") {
    Fixture f;
    int n = 0;
    auto rec = [&](model::JournalState st, bool del_l, bool del_r, bool conflict) {
        model::JournalRecord r;
        r.path = path(("f" + std::to_string(n++)).c_str());
        r.state = st;
        r.deleted_locally = del_l;
        r.deleted_remotely = del_r;
        r.conflict = conflict;
        REQUIRE(f.journal.put_record("p1", r));
    };
    using S = model::JournalState;
    rec(S::synced, false, false, false);
    rec(S::synced, false, false, false);
    rec(S::synced, true, false, false);
    rec(S::synced, false, true, false);
    rec(S::synced, false, false, true);
    rec(S::failed, false, false, true); // conflict wins
    rec(S::failed, false, false, false);
    rec(S::uploading, false, false, false);
    rec(S::downloading, false, false, false);
    rec(S::awaiting_verification, false, false, false);
    std::vector<model::LocalObservation> obs{{path("settling.mov"), 1, at_ns(1), at_ns(1)}};
    REQUIRE(f.journal.replace_observations("p1", obs));
    REQUIRE(f.journal.put_project_run({"p1", 1, at_ns(5), "ok", "{}", 0, 4, 2, 1, 0}));

    auto c = f.journal.status_counts("p1");
    REQUIRE(c);
    CHECK(c->synced == 2);
    CHECK(c->deleted_locally == 1);
    CHECK(c->deleted_remotely == 1);
    CHECK(c->conflicts == 2);
    CHECK(c->failed == 1);
    CHECK(c->pending == 3); // uploading + downloading + one settling file
    CHECK(c->awaiting_verification == 1);
    CHECK(c->skipped_names == 4);
    CHECK(c->changed_locally == 2);
    CHECK(c->remote_changed == 1);
    REQUIRE(c->last_run);
    CHECK(c->last_run->result == "ok");

    // A run that saw more conflicts (some between never-synced files, without rows) wins.
    REQUIRE(f.journal.put_project_run({"p1", 2, at_ns(6), "partial", "{}", 0, 0, 0, 0, 5}));
    CHECK(f.journal.status_counts("p1")->conflicts == 5);

    auto empty = f.journal.status_counts("other");
    REQUIRE(empty);
    CHECK(*empty == store::StatusCounts{});
}

TEST_CASE("journal: lost creates are kept until deleted, forget does not drop them", "[journal]") {
    Fixture f;
    store::LostCreate a{path("A/one.mov"), "folder-1", "one.mov", 132072, at_ns(1'000)};
    store::LostCreate b{path("two.mov"), "root", "two.mov", 5, at_ns(2'000)};
    REQUIRE(f.journal.put_lost_create("p1", b));
    REQUIRE(f.journal.put_lost_create("p1", a));
    auto all = f.journal.lost_creates("p1");
    REQUIRE(all);
    CHECK(*all == std::vector<store::LostCreate>{a, b});
    CHECK(f.journal.lost_creates("p2")->empty());

    // A create that lands late must still be found after the path's row is gone.
    REQUIRE(f.journal.forget("p1", a.path));
    CHECK(f.journal.lost_creates("p1")->size() == 2);
    REQUIRE(f.journal.delete_lost_create("p1", a.path));
    CHECK(*f.journal.lost_creates("p1") == std::vector<store::LostCreate>{b});
}

// --- the folder a journal belongs to (schema version 5, issue 9) -------------------------------

namespace {

/// One row of every per-project table, for `project`.
void fill_project(store::Journal& j, const std::string& project) {
    auto r = full_record();
    REQUIRE(j.put_record(project, r));
    REQUIRE(j.put_hash(project, {r.path, 5, at_ns(6), 7, "00000000000000aa"}));
    REQUIRE(j.add_failure(project, r.path, "x", at_ns(1)));
    store::UploadSession u;
    u.path = r.path;
    u.asset_id = "asset-1";
    u.parent_id = "root";
    u.name = "A001.mov";
    u.filesize = 10;
    u.parts = {{0, 0, 10, "https://parts.example/0?sig=secret", false}};
    REQUIRE(j.put_upload_session(project, u));
    REQUIRE(j.put_download_temp(project, {r.path, ".fios-x.part", "asset-1", 10, at_ns(2)}));
    const std::vector<model::LocalObservation> obs{{r.path, 5, at_ns(6), at_ns(7)}};
    REQUIRE(j.replace_observations(project, obs));
    REQUIRE(j.put_discovery({project, "/data/one", 1, 0, "t", "digest", at_ns(3)}));
    REQUIRE(j.put_project_run({project, 1, at_ns(5), "ok", "{}", 0, 0, 0, 0, 2}));
    REQUIRE(j.put_lost_create(project, {r.path, "root", "A001.mov", 10, at_ns(4)}));
}

store::ProjectInfo known(const std::string& id) {
    store::ProjectInfo p;
    p.id = id;
    p.team_id = "t";
    p.team_name = "Team";
    p.name = id;
    p.root_asset_id = "root-" + id;
    return p;
}

} // namespace

TEST_CASE("journal: a project's journal belongs to its folder: kept when the project is "
          "selected there again, dropped for another folder",
          "[journal][folder]") {
    Fixture f;
    const std::vector<store::ProjectInfo> projects{known("p1"), known("p2")};
    REQUIRE(f.db.record_projects(projects));
    store::JournalBinding b;
    REQUIRE(f.db.select("p1", "/data/one", &b));
    CHECK(b == store::JournalBinding{store::FolderBinding::fresh, std::nullopt, 0});
    CHECK(*f.journal.folder("p1") == std::optional<std::string>("/data/one"));
    fill_project(f.journal, "p1");
    fill_project(f.journal, "p2"); // another project's rows are never touched

    // unselect keeps the journal, bound to its folder; the same folder again keeps it.
    REQUIRE(*f.db.unselect("p1"));
    CHECK(f.journal.records("p1")->size() == 1);
    REQUIRE(f.db.select("p1", "/data/one/", &b));
    CHECK(b == store::JournalBinding{store::FolderBinding::kept, "/data/one", 1});
    REQUIRE(f.db.select("p1", "/data/one", &b)); // the no-op re-select says the same
    CHECK(b.outcome == store::FolderBinding::kept);
    CHECK(f.journal.snapshot("p1")->records.size() == 1);

    // Another folder: everything kept for the old one is dropped, except the lost creates
    // (they describe Frame.io, and later runs still look for them).
    REQUIRE(*f.db.unselect("p1"));
    REQUIRE(f.db.select("p1", "/data/two", &b));
    CHECK(b == store::JournalBinding{store::FolderBinding::dropped, "/data/one", 1});
    CHECK(*f.journal.folder("p1") == std::optional<std::string>("/data/two"));
    const auto snap = f.journal.snapshot("p1");
    REQUIRE(snap);
    CHECK(snap->records.empty());
    CHECK(snap->observations.empty());
    CHECK(snap->hashes.empty());
    CHECK(*f.journal.failures("p1", full_record().path) == 0);
    CHECK_FALSE(*f.journal.upload_session("p1", full_record().path));
    CHECK(f.journal.download_temps("p1")->empty());
    CHECK_FALSE(*f.journal.discovery("p1"));
    CHECK_FALSE(*f.journal.project_run("p1"));
    CHECK(f.journal.lost_creates("p1")->size() == 1);
    // p2 is untouched.
    CHECK(f.journal.records("p2")->size() == 1);
    CHECK(*f.journal.project_run("p2"));
    CHECK(f.journal.upload_session("p2", full_record().path)->has_value());
}

TEST_CASE("journal: rows whose folder was never recorded are left for the engine to judge",
          "[journal][folder]") {
    Fixture f;
    REQUIRE(f.journal.put_record("p1", full_record()));
    CHECK_FALSE(*f.journal.folder("p1"));
    auto tx = f.journal.transaction();
    REQUIRE(tx);
    auto b = f.journal.bind_folder("p1", "/data/one");
    REQUIRE(b);
    CHECK(*b == store::JournalBinding{store::FolderBinding::unknown, std::nullopt, 1});
    CHECK_FALSE(*f.journal.folder("p1"));
    CHECK(f.journal.records("p1")->size() == 1);
    REQUIRE(f.journal.adopt_folder("p1", "/data/one"));
    CHECK(*f.journal.folder("p1") == std::optional<std::string>("/data/one"));
    REQUIRE(tx->commit());
    CHECK(store::to_string(store::FolderBinding::dropped) == "dropped");
}

// Not run by default (hidden tag): measures what the page check at open costs, for
// docs/reliability.md. Run: build/dev/tests/unit/store/fios_unit_store "[.bench]" -s
TEST_CASE("journal: opening a 10,000-row journal, page check included", "[.bench][journal]") {
    test::TempDir dir{"fios-journal-bench"};
    FakeClock clock;
    const auto file = dir.path() / "state.db";
    {
        auto db = store::StateDb::open(file, clock);
        REQUIRE(db);
        store::Journal journal{db->db()};
        auto tx = store::Transaction::begin(db->db());
        REQUIRE(tx);
        for (int i = 0; i < 10'000; ++i) {
            auto r = full_record();
            const std::string p =
                "Footage/Day " + std::to_string(i % 40) + "/A" + std::to_string(i) + ".mov";
            r.path = path(p.c_str());
            r.asset_id = "asset-" + std::to_string(i);
            REQUIRE(journal.put_record("p1", r));
        }
        REQUIRE(tx->commit());
    }
    std::chrono::nanoseconds best = std::chrono::hours(1);
    std::chrono::nanoseconds check = best;
    for (int round = 0; round < 5; ++round) {
        const auto start = std::chrono::steady_clock::now();
        auto db = store::StateDb::open(file, clock);
        REQUIRE(db);
        const auto opened = std::chrono::steady_clock::now();
        REQUIRE(db->db().exec("PRAGMA quick_check"));
        best = std::min(best, opened - start);
        check = std::min(check, std::chrono::steady_clock::now() - opened);
    }
    const auto ms = [](std::chrono::nanoseconds d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };
    WARN("10,000 journal rows, " << std::filesystem::file_size(file) / 1024 << " KiB: open "
                                 << ms(best) << " ms, of which quick_check about " << ms(check)
                                 << " ms (best of 5)");
}
