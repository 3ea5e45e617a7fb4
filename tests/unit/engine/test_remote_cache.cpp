// SPDX-License-Identifier: MIT
// engine/remote_cache: what a partial look covers, how it is laid over the last view, and
// which folders a remote check lists within its budget. Pure: made-up snapshots and times.
#include "fios/engine/remote_cache.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fios;
using engine::Coverage;
using engine::RemoteCache;
using model::EntryKind;
using model::RelPath;
using model::RemoteEntry;
using model::RemoteSnapshot;

namespace {

RelPath P(const std::string& text) {
    auto p = RelPath::parse(text);
    REQUIRE(p);
    return *p;
}

RemoteEntry entry(const std::string& path, EntryKind kind, const std::string& id) {
    RemoteEntry e;
    e.path = P(path);
    e.kind = kind;
    e.asset_id = id;
    e.upload_completed = true;
    return e;
}

std::set<std::string> paths_of(const RemoteSnapshot& s) {
    std::set<std::string> out;
    for (const auto& e : s.entries)
        out.insert(e.path.str() + "=" + e.asset_id);
    return out;
}

const model::TimePoint t0{std::chrono::seconds{1'800'000'000}};

/// A project of ten folders: the root and F0..F8 in it.
RemoteSnapshot nine_folders() {
    RemoteSnapshot view;
    view.root_folder_id = "root";
    for (int i = 0; i < 9; ++i)
        view.entries.push_back(
            entry("F" + std::to_string(i), EntryKind::folder, "f" + std::to_string(i)));
    return view;
}

} // namespace

TEST_CASE("coverage: listed folders and folders absent from a fresh listing are fresh",
          "[engine][partial]") {
    // Listed: the root and A. A/Agreed is on Frame.io but was not listed; A/Gone is not.
    const Coverage c({P(""), P("A")}, {P("A"), P("A/Agreed"), P("B")});
    CHECK(c.covers(P("top.txt")));
    CHECK(c.covers(P("A/x.txt")));
    CHECK(c.covers(P("A/Agreed"))); // the folder itself: A was listed
    CHECK_FALSE(c.covers(P("A/Agreed/inside.txt")));
    CHECK(c.covers(P("A/Gone/inside.txt"))); // absent from A's listing: nothing there
    CHECK(c.covers(P("A/Gone/deeper/still.txt")));
    CHECK_FALSE(c.covers(P("B/b.txt")));
    CHECK_FALSE(c.covers(RelPath::root()));
    const Coverage none({P("C")}, {});
    CHECK_FALSE(none.covers(P("top.txt"))); // the root was not listed
    CHECK(none.covers(P("C/x")));

    plan::Plan plan;
    plan::Action in;
    in.path = P("A/x.txt");
    plan::Action out;
    out.path = P("B/b.txt");
    plan::Action refused; // a refused name is judged by its folder
    refused.kind = plan::ActionKind::skip;
    refused.skip = plan::SkipReason::hostile_name;
    refused.path = P("A");
    plan.actions = {in, out, refused};
    plan.observations.push_back(model::LocalObservation{});
    const plan::Plan kept = engine::covered_part(plan, c);
    REQUIRE(kept.actions.size() == 2);
    CHECK(kept.actions[0].path == P("A/x.txt"));
    CHECK(kept.actions[1].skip == plan::SkipReason::hostile_name);
    CHECK(kept.observations.size() == 1); // from the complete local scan: kept whole
}

TEST_CASE("overlay: what the fresh listings cover replaces the view - the rest stays",
          "[engine][partial]") {
    RemoteSnapshot cached;
    cached.root_folder_id = "root";
    cached.entries = {
        entry("A", EntryKind::folder, "fa"),      entry("A/old.txt", EntryKind::file, "x1"),
        entry("A/Gone", EntryKind::folder, "fg"), entry("A/Gone/in.txt", EntryKind::file, "x2"),
        entry("B", EntryKind::folder, "fb"),      entry("B/b.txt", EntryKind::file, "x3")};
    cached.rejected.push_back(
        model::RemoteRejected{P("A"), "..", "bad1", EntryKind::file, model::NameIssue::dot});
    RemoteSnapshot fresh;
    fresh.root_folder_id = "root";
    fresh.entries = {entry("A/new.txt", EntryKind::file, "x4")};
    const Coverage c({P("A")}, {});
    const RemoteSnapshot merged = engine::overlay(cached, fresh, c);
    CHECK(paths_of(merged) == std::set<std::string>{"A=fa", "A/new.txt=x4", "B=fb", "B/b.txt=x3"});
    CHECK(merged.rejected.empty()); // A's refused name was in A's old listing
    CHECK(merged.root_folder_id == "root");
    // Deterministic order, as the scanner gives it.
    for (std::size_t i = 1; i < merged.entries.size(); ++i)
        CHECK(merged.entries[i - 1].path < merged.entries[i].path);
}

TEST_CASE("remote check budget: changed folders first - every folder within the period",
          "[engine][partial]") {
    RemoteCache cache;
    const RemoteSnapshot view = nine_folders();
    cache.put_complete("p", "root", "/sync", view, t0);
    CHECK(cache.folder_count("p") == 10);
    CHECK(cache.complete_as_of("p") == t0);
    CHECK(cache.find("p", "root", "/elsewhere") == nullptr); // another folder: no view
    CHECK(cache.find("p", "root", "/sync") != nullptr);

    // Budget 4: every one of the 10 folders is listed within ceil(10 / (4 - 2)) = 5 checks,
    // even with a changed folder taking its share every time.
    std::map<std::string, int> listed;
    model::TimePoint now = t0;
    for (int check = 0; check < 5; ++check) {
        now += std::chrono::minutes{1};
        cache.mark_changed("p", {P("F3")}, now);
        const auto folders = cache.folders_to_check("p", 4, now);
        CHECK(folders.size() == 4);
        CHECK(folders.front() == P("F3")); // the changed one first
        RemoteSnapshot fresh;
        fresh.root_folder_id = "root";
        std::set<RelPath> remote_folders;
        for (const auto& f : folders) {
            ++listed[f.str()];
            for (const auto& e : view.entries) {
                if (!e.path.is_root() && e.path.parent() == f) {
                    fresh.entries.push_back(e);
                    remote_folders.insert(e.path);
                }
            }
        }
        (void)cache.put_partial("p", fresh,
                                Coverage({folders.begin(), folders.end()}, remote_folders), now);
    }
    CHECK(listed.size() == 10);
    CHECK(listed["F3"] == 5);
    CHECK(cache.complete_as_of("p") > t0);
    CHECK(cache.folder_count("p") == 10); // nothing lost by laying fresh listings over it
    CHECK(cache.folders_to_check("p", 0, now).empty());
    CHECK(cache.folders_to_check("unknown", 4, now).empty());
}

TEST_CASE("a remote check that gave way goes on with the folders it has not listed, within "
          "what is left of its budget",
          "[engine][partial]") {
    RemoteCache cache;
    const RemoteSnapshot view = nine_folders();
    cache.put_complete("p", "root", "/sync", view, t0);
    // Lists `folders` at `at`, finding them as they were.
    const auto list = [&](const std::vector<RelPath>& folders, model::TimePoint at) {
        RemoteSnapshot fresh;
        fresh.root_folder_id = "root";
        std::set<RelPath> remote_folders;
        for (const auto& e : view.entries) {
            if (std::find(folders.begin(), folders.end(), e.path.parent()) != folders.end()) {
                fresh.entries.push_back(e);
                remote_folders.insert(e.path);
            }
        }
        (void)cache.put_partial("p", fresh,
                                Coverage({folders.begin(), folders.end()}, remote_folders), at);
    };

    // A check with a budget of 6 begins at t0 + 60 s and gives way after 2 folders.
    const model::TimePoint started = t0 + std::chrono::seconds{60};
    const auto first = cache.folders_to_check("p", 6, started);
    REQUIRE(first.size() == 6);
    list({first[0], first[1]}, started + std::chrono::seconds{1});
    // Going on: 4 left of its budget, none of the 2 listed again.
    const auto rest = cache.folders_to_check("p", 6, started + std::chrono::seconds{5}, started);
    CHECK(rest.size() == 4);
    for (const auto& f : rest) {
        CHECK(f != first[0]);
        CHECK(f != first[1]);
    }
    // Without the check's start the same call would pick the 6 longest unlisted again.
    CHECK(cache.folders_to_check("p", 6, started + std::chrono::seconds{5}).size() == 6);

    // A check that has listed everything since it began still lists one folder.
    std::vector<RelPath> every;
    for (const auto& e : cache.find("p", "root", "/sync")->snapshot.entries)
        every.push_back(e.path);
    every.push_back(RelPath::root());
    list(every, started + std::chrono::seconds{6});
    CHECK(cache.folders_to_check("p", 6, started + std::chrono::seconds{7}, started).size() == 1);
}

TEST_CASE("a listing that finds something new marks its folder changed", "[engine][partial]") {
    RemoteCache cache;
    RemoteSnapshot view;
    view.root_folder_id = "root";
    view.entries = {entry("A", EntryKind::folder, "fa"), entry("B", EntryKind::folder, "fb")};
    cache.put_complete("p", "root", "/sync", view, t0);
    RemoteSnapshot fresh;
    fresh.entries = {entry("B/new.txt", EntryKind::file, "x1")};
    const auto later = t0 + std::chrono::seconds{30};
    (void)cache.put_partial("p", fresh, Coverage({P("A"), P("B")}, {}), later);
    // Budget 2: one changed (B, it has something new), one of the longest unlisted (the root).
    const auto next = cache.folders_to_check("p", 2, later);
    REQUIRE(next.size() == 2);
    CHECK(next[0] == P("B"));
    CHECK(next[1] == RelPath::root());
    // Ten minutes later it is no longer "recently changed".
    const auto much_later = later + RemoteCache::k_changed_for + std::chrono::seconds{1};
    const auto quiet = cache.folders_to_check("p", 2, much_later);
    CHECK(std::find(quiet.begin(), quiet.end(), P("B")) == quiet.end());
}

TEST_CASE("a listing with nothing new keeps the view and its agreement - news clears it",
          "[engine][partial]") {
    RemoteCache cache;
    RemoteSnapshot view;
    view.root_folder_id = "root";
    view.entries = {entry("A", EntryKind::folder, "fa"), entry("A/a.txt", EntryKind::file, "x1"),
                    entry("B", EntryKind::folder, "fb"), entry("B/b.txt", EntryKind::file, "x2")};
    CHECK(cache.put_complete("p", "root", "/sync", view, t0).news); // no view before
    CHECK_FALSE(cache.agreed("p", "root", "/sync"));
    cache.set_agreed("p", true);
    CHECK(cache.agreed("p", "root", "/sync"));
    CHECK_FALSE(cache.agreed("p", "root", "/elsewhere")); // another folder: another view

    // A's listing as it was: nothing new, the view and the agreement stay.
    RemoteSnapshot same;
    same.entries = {entry("A/a.txt", EntryKind::file, "x1")};
    const auto later = t0 + std::chrono::seconds{30};
    const auto seen = cache.put_partial("p", same, Coverage({P("A")}, {}), later);
    CHECK_FALSE(seen.news);
    CHECK(seen.view == view);
    CHECK(cache.agreed("p", "root", "/sync"));
    CHECK_FALSE(cache.put_complete("p", "root", "/sync", view, later).news);
    CHECK(cache.agreed("p", "root", "/sync"));

    SECTION("a file that grew") {
        RemoteSnapshot grown = same;
        grown.entries[0].filesize = 10;
        CHECK(cache.put_partial("p", grown, Coverage({P("A")}, {}), later).news);
    }
    SECTION("a file gone") {
        CHECK(cache.put_partial("p", RemoteSnapshot{}, Coverage({P("A")}, {}), later).news);
    }
    SECTION("a new folder in a listed one") {
        RemoteSnapshot more = same;
        more.entries.push_back(entry("A/N", EntryKind::folder, "fn"));
        CHECK(cache.put_partial("p", more, Coverage({P("A"), P("A/N")}, {P("A/N")}), later).news);
    }
    SECTION("a whole scan that differs") {
        RemoteSnapshot other = view;
        other.entries.pop_back();
        CHECK(cache.put_complete("p", "root", "/sync", other, later).news);
    }
    CHECK_FALSE(cache.agreed("p", "root", "/sync"));
}

TEST_CASE("unchanged listings keep their folders' children and tags - news elsewhere is laid "
          "over them",
          "[engine][partial]") {
    RemoteCache cache;
    RemoteSnapshot view;
    view.root_folder_id = "root";
    view.entries = {
        entry("A", EntryKind::folder, "fa"),   entry("A/a.txt", EntryKind::file, "x1"),
        entry("A/S", EntryKind::folder, "fs"), entry("A/S/s.txt", EntryKind::file, "x3"),
        entry("B", EntryKind::folder, "fb"),   entry("B/b.txt", EntryKind::file, "x2")};
    const scan::ListingTags tags{
        {P(""), {"root", "t-root"}}, {P("A"), {"fa", "t-a"}}, {P("B"), {"fb", "t-b"}}};
    cache.put_complete("p", "root", "/sync", view, t0, tags);
    cache.set_agreed("p", true);
    const auto* v = cache.find("p", "root", "/sync");
    REQUIRE(v);
    CHECK(v->tags == tags);
    const auto later = t0 + std::chrono::seconds{30};

    SECTION("everything unchanged: no news, the view and its agreement stay") {
        const Coverage c({P(""), P("A"), P("B")}, {P("A"), P("B"), P("A/S")});
        const auto seen =
            cache.put_partial("p", RemoteSnapshot{}, c, later, {P(""), P("A"), P("B")}, tags);
        CHECK_FALSE(seen.news);
        CHECK(seen.view == view);
        CHECK(cache.agreed("p", "root", "/sync"));
        CHECK(v->listed_at.at(P("B")) == later);
    }
    SECTION("B changed, A unchanged: A's children (and below) kept, B's replaced") {
        RemoteSnapshot fresh;
        fresh.entries = {entry("B/b2.txt", EntryKind::file, "x4")};
        scan::ListingTags now_tags{{P("A"), {"fa", "t-a"}}}; // B came without a tag
        const Coverage c({P("A"), P("B")}, {P("A/S")});
        const auto seen = cache.put_partial("p", fresh, c, later, {P("A")}, now_tags);
        CHECK(seen.news);
        CHECK(paths_of(seen.view) == std::set<std::string>{"A=fa", "A/a.txt=x1", "A/S=fs",
                                                           "A/S/s.txt=x3", "B=fb", "B/b2.txt=x4"});
        CHECK_FALSE(cache.agreed("p", "root", "/sync"));
        CHECK(v->changed_at.count(P("B")) == 1);
        CHECK(v->changed_at.count(P("A")) == 0);
        CHECK(v->tags == scan::ListingTags{{P(""), {"root", "t-root"}}, {P("A"), {"fa", "t-a"}}});
    }
    SECTION("a folder added to the view by a run loses its parent's tag") {
        cache.add_folder("p", entry("B/N", EntryKind::folder, "fn"));
        CHECK(v->tags.count(P("B")) == 0);
        CHECK(v->tags.count(P("A")) == 1);
    }
    SECTION("a folder gone from the view loses its tag") {
        RemoteSnapshot fresh;
        fresh.entries = {entry("A", EntryKind::folder, "fa")};
        const Coverage c({P("")}, {P("A")});
        CHECK(cache.put_partial("p", fresh, c, later, {}, {}).news);
        CHECK(v->tags.count(P("B")) == 0);
        CHECK(v->tags.count(P("")) == 0); // listed without a tag
        CHECK(v->tags.count(P("A")) == 1);
    }
}
