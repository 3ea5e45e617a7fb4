// SPDX-License-Identifier: MIT
// watch::WatchSchedule: when `sync --watch` runs which project, with made-up times.
#include "fios/watch/schedule.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace fios;
using namespace std::chrono_literals;
using watch::DueWork;
using watch::ProjectOutcome;
using watch::ScheduleOptions;
using watch::TimePoint;
using watch::WatchSchedule;

namespace {

const TimePoint t0{std::chrono::seconds{1'800'000'000}};

bool runs(const DueWork& w, const std::string& id) {
    return std::find(w.run.begin(), w.run.end(), id) != w.run.end();
}

bool scans(const DueWork& w, const std::string& id) {
    return std::find(w.scan.begin(), w.scan.end(), id) != w.scan.end();
}

/// The work of a run for local changes (or settle re-runs) of `ids`.
DueWork local_run(std::vector<std::string> ids) {
    DueWork w;
    w.run = std::move(ids);
    return w;
}

/// A schedule with projects "a" and "b" that have both just been synced at t0.
WatchSchedule synced_pair(ScheduleOptions o = {}) {
    WatchSchedule s(o, t0);
    s.set_projects({"a", "b"}, t0);
    auto first = s.due(t0);
    REQUIRE(first.remote_check == (std::vector<std::string>{"a", "b"}));
    s.ran(first, true, {{"a", {}}, {"b", {}}}, t0);
    s.recovered();
    return s;
}

} // namespace

TEST_CASE("watch schedule: a new project is synced at once, then every interval",
          "[watch][schedule]") {
    WatchSchedule s(ScheduleOptions{}, t0);
    s.set_projects({"a"}, t0);
    auto first = s.due(t0);
    CHECK(runs(first, "a"));
    CHECK(first.list_projects);
    s.ran(first, true, {{"a", {}}}, t0 + 3s);
    CHECK(s.due(t0 + 3s).empty());
    CHECK(s.due(t0 + 62s).empty());
    auto later = s.due(t0 + 63s);
    CHECK(runs(later, "a"));
    CHECK(later.list_projects);
    CHECK(later.remote_check == std::vector<std::string>{"a"});
    REQUIRE(s.next_due());
    CHECK(*s.next_due() == t0 + 63s);
    CHECK(s.last_run("a") == t0 + 3s);
}

TEST_CASE("watch schedule: a local change runs its project after the debounce, without the "
          "project listing",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.settle = 0s; // only the debounce
    auto s = synced_pair(o);
    s.local_change("a", t0 + 10s);
    CHECK(s.due(t0 + 10s + 499ms).empty());
    auto due = s.due(t0 + 10s + 500ms);
    CHECK(runs(due, "a"));
    CHECK_FALSE(runs(due, "b"));
    CHECK_FALSE(due.list_projects);
    CHECK(due.remote_check.empty()); // a local change's run: not a remote check
    REQUIRE(s.next_due());
    CHECK(*s.next_due() == t0 + 10s + 500ms);
}

TEST_CASE("watch schedule: the remote check budget is a share of the listing rate over one "
          "interval",
          "[watch][schedule]") {
    CHECK(watch::remote_check_budget(60s, 5) == 150); // 60 s x 5/s x 0.5
    CHECK(watch::remote_check_budget(1s, 5) == 2);
    CHECK(watch::remote_check_budget(1s, 1) == 1);  // never below one folder
    CHECK(watch::remote_check_budget(60s, 0) == 0); // no rate: whole-project checks
}

TEST_CASE("watch schedule: a change is acted on once the changed file has settled, so one run "
          "uploads it",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.settle = 2s;
    auto s = synced_pair(o);
    s.local_change("a", t0 + 10s);
    s.local_change("a", t0 + 11s); // still being written
    CHECK(s.due(t0 + 13s + 199ms).empty());
    CHECK(runs(s.due(t0 + 13s + 200ms), "a")); // 2 s + 200 ms after the last change
}

TEST_CASE("watch schedule: changes that never stop still run within the longest debounce",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.settle = 1s;
    o.max_debounce = 3s;
    auto s = synced_pair(o);
    TimePoint t = t0 + 10s;
    bool ran = false;
    for (int i = 0; i < 20 && !ran; ++i, t += 400ms) {
        s.local_change("a", t);
        ran = runs(s.due(t), "a");
    }
    CHECK(ran);
    // Due max_debounce (3 s) after the first change; seen at the next change after that.
    CHECK(t - 400ms <= t0 + 10s + 3s + 400ms);
}

TEST_CASE("watch schedule: a run that left files settling runs again after the settle time",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.settle = 5s;
    auto s = synced_pair(o);
    s.local_change("a", t0 + 10s);
    s.ran(local_run({"a"}), false, {{"a", ProjectOutcome{true}}}, t0 + 16s);
    CHECK(s.due(t0 + 21s).empty());
    CHECK(runs(s.due(t0 + 21s + 200ms), "a"));
    // Once settled nothing more is due before the remote interval (counted from t0: a local
    // run is no remote check).
    s.ran(local_run({"a"}), false, {{"a", ProjectOutcome{false}}}, t0 + 22s);
    CHECK(s.due(t0 + 59s).empty());
    CHECK(runs(s.due(t0 + 60s), "a"));
}

TEST_CASE("watch schedule: a change during a run starts a new burst after it",
          "[watch][schedule]") {
    auto s = synced_pair();
    s.local_change("a", t0 + 10s);
    // The run ends at 16 s; the change seen after it (read after ran()) is due again.
    s.ran(local_run({"a"}), false, {{"a", {}}}, t0 + 16s);
    CHECK(s.due(t0 + 17s).empty());
    s.local_change("a", t0 + 16s);
    CHECK(runs(s.due(t0 + 16s + 5s + 200ms), "a")); // settled (5 s) after the new change
}

TEST_CASE("watch schedule: a project the run did not reach stays due", "[watch][schedule]") {
    auto s = synced_pair();
    s.local_change("a", t0 + 10s);
    s.local_change("b", t0 + 10s);
    auto due = s.due(t0 + 16s);
    REQUIRE(due.run == (std::vector<std::string>{"a", "b"}));
    s.ran(due, false, {{"a", {}}}, t0 + 17s);
    auto again = s.due(t0 + 17s);
    CHECK(runs(again, "b"));
    CHECK_FALSE(runs(again, "a"));
}

TEST_CASE("watch schedule: temporary failures back off 5 s, doubling, capped, a success "
          "resets it",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.max_backoff = 30s;
    auto s = synced_pair(o);
    s.local_change("a", t0 + 10s);
    TimePoint t = t0 + 11s;
    CHECK(s.failed(t) == t + 5s);
    CHECK(s.due(t + 4s).empty());
    CHECK(runs(s.due(t + 5s), "a"));
    REQUIRE(s.next_due());
    CHECK(*s.next_due() == t + 5s);
    CHECK(s.failed(t) == t + 10s);
    CHECK(s.failed(t) == t + 20s);
    CHECK(s.failed(t) == t + 30s); // capped
    CHECK(s.failed(t) == t + 30s);
    s.recovered();
    CHECK_FALSE(s.backoff_until());
    CHECK(s.failed(t) == t + 5s);
}

TEST_CASE("watch schedule: unwatched folders are scanned every poll interval, watched ones "
          "every rescan interval",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.remote_interval = 3600s; // no remote check in the way
    o.poll_interval = 30s;
    o.rescan_interval = 600s;
    auto s = synced_pair(o);
    s.set_watched("b", false, t0);
    auto due = s.due(t0 + 30s);
    CHECK(due.run.empty());
    CHECK(due.scan == std::vector<std::string>{"b"});
    s.scanned({"b"}, t0 + 30s);
    CHECK(s.due(t0 + 59s).empty());
    CHECK(s.due(t0 + 60s).scan == std::vector<std::string>{"b"});
    // The watched one only at the safety-net rescan.
    CHECK_FALSE(scans(s.due(t0 + 599s), "a"));
    CHECK(scans(s.due(t0 + 600s), "a"));
}

TEST_CASE("watch schedule: removed projects are forgotten, everything_due runs the rest",
          "[watch][schedule]") {
    auto s = synced_pair();
    s.set_projects({"b", "c"}, t0 + 5s);
    auto due = s.due(t0 + 5s);
    CHECK(due.run == std::vector<std::string>{"c"}); // new: at once
    REQUIRE(due.remote_check == std::vector<std::string>{"c"});
    s.ran(due, false, {{"c", {}}}, t0 + 6s);
    s.everything_due(t0 + 7s);
    CHECK(s.due(t0 + 7s).run == (std::vector<std::string>{"b", "c"}));
    CHECK_FALSE(s.last_run("a"));
}

TEST_CASE("watch schedule: local work goes first, and a local run does not restart the remote "
          "interval",
          "[watch][schedule]") {
    auto s = synced_pair();
    s.local_change("a", t0 + 55s);
    // At 61 s both the remote checks (due at 60 s) and a's change (settled at 60.2 s) are due:
    // the change runs alone, the checks wait for it.
    auto first = s.due(t0 + 61s);
    CHECK(first.run == std::vector<std::string>{"a"});
    CHECK(first.remote_check.empty());
    CHECK_FALSE(first.list_projects);
    CHECK(s.local_work_due(t0 + 61s));
    s.ran(first, false, {{"a", {}}}, t0 + 62s);
    CHECK_FALSE(s.local_work_due(t0 + 62s));
    auto second = s.due(t0 + 62s);
    CHECK(second.run == (std::vector<std::string>{"a", "b"}));
    CHECK(second.remote_check == second.run);
    CHECK(second.list_projects);
    s.ran(second, true, {{"a", {}}, {"b", {}}}, t0 + 63s);
    CHECK(s.due(t0 + 122s).empty());
    CHECK(s.due(t0 + 123s).remote_check.size() == 2);
}

TEST_CASE("watch schedule: a remote check that gave way to local work stays due and goes on "
          "after it",
          "[watch][schedule]") {
    auto s = synced_pair();
    auto check = s.due(t0 + 60s);
    REQUIRE(check.remote_check.size() == 2);
    s.local_change("b", t0 + 61s);
    CHECK_FALSE(s.local_work_due(t0 + 66s));
    CHECK(s.local_work_due(t0 + 66s + 200ms)); // what the check asks between listings
    ProjectOutcome cut;
    cut.gave_way = true;
    s.ran(check, true, {{"a", {}}, {"b", cut}}, t0 + 67s);
    auto local = s.due(t0 + 67s);
    CHECK(local.run == std::vector<std::string>{"b"});
    CHECK(local.remote_check.empty());
    s.ran(local, false, {{"b", {}}}, t0 + 68s);
    auto rest = s.due(t0 + 68s);
    CHECK(rest.remote_check == std::vector<std::string>{"b"}); // a finished its check
    CHECK_FALSE(rest.list_projects);                           // listed at 67 s
    s.ran(rest, false, {{"b", {}}}, t0 + 70s);
    CHECK(s.due(t0 + 126s).empty());
    CHECK(s.due(t0 + 127s).run == std::vector<std::string>{"a"});
    CHECK(s.due(t0 + 130s).run == (std::vector<std::string>{"a", "b"}));
}

TEST_CASE("watch schedule: a local run of the whole project counts as its remote check",
          "[watch][schedule]") {
    auto s = synced_pair();
    s.local_change("a", t0 + 30s);
    auto due = s.due(t0 + 36s);
    REQUIRE(due.run == std::vector<std::string>{"a"});
    ProjectOutcome whole;
    whole.whole = true;
    s.ran(due, false, {{"a", whole}}, t0 + 37s);
    CHECK(s.due(t0 + 60s).run == std::vector<std::string>{"b"});
    CHECK(s.next_remote_check("a") == t0 + 97s);
}

TEST_CASE("watch schedule: changes that never stop do not starve the remote checks",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.settle = 1s;
    o.max_debounce = 3s;
    auto s = synced_pair(o);
    // A file written every 200 ms for five minutes; every run takes 500 ms, and a remote
    // check gives way whenever local work is due.
    int checks = 0;
    TimePoint busy_until = t0;
    for (TimePoint t = t0 + 1s; t < t0 + 300s; t += 200ms) {
        s.local_change("a", t);
        auto due = s.due(t);
        if (t < busy_until || due.run.empty())
            continue;
        busy_until = t + 500ms;
        const bool check = !due.remote_check.empty();
        const bool cut = check && s.local_work_due(busy_until);
        std::map<std::string, ProjectOutcome> outcomes;
        for (const auto& id : due.run)
            outcomes[id].gave_way = cut;
        if (check && !cut)
            ++checks;
        s.ran(due, false, outcomes, busy_until);
    }
    CHECK(checks >= 4); // every 60 s: at 60, 120, 180 and 240 s
}

TEST_CASE("watch schedule: a failed local run is tried again a poll interval later - not at "
          "once, not never",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.poll_interval = 30s;
    auto s = synced_pair(o);
    s.local_change("a", t0 + 10s);
    auto due = s.due(t0 + 16s);
    REQUIRE(due.run == std::vector<std::string>{"a"});
    ProjectOutcome failed;
    failed.failed = true;
    s.ran(due, false, {{"a", failed}}, t0 + 17s);
    CHECK_FALSE(s.local_work_due(t0 + 46s));
    CHECK(s.due(t0 + 46s).empty());
    auto retry = s.due(t0 + 47s);
    CHECK(retry.run == std::vector<std::string>{"a"});
    s.ran(retry, false, {{"a", {}}}, t0 + 48s);
    // A failed remote check waits for its interval too (what failed would fail again at once).
    auto check = s.due(t0 + 60s);
    REQUIRE(check.remote_check == (std::vector<std::string>{"a", "b"}));
    s.ran(check, false, {{"a", failed}, {"b", {}}}, t0 + 61s);
    CHECK(s.next_remote_check("a") == t0 + 121s);
}

TEST_CASE("watch schedule: a whole remote check answers the local changes seen before it",
          "[watch][schedule]") {
    auto s = synced_pair();
    s.local_change("a", t0 + 58s); // found by a scan: the project runs whole
    auto check = s.due(t0 + 60s);
    REQUIRE(check.remote_check == (std::vector<std::string>{"a", "b"}));
    ProjectOutcome whole;
    whole.whole = true;
    s.ran(check, true, {{"a", whole}, {"b", {}}}, t0 + 61s);
    CHECK_FALSE(s.local_work_due(t0 + 70s)); // no second, local run of the whole project
    CHECK(s.due(t0 + 120s).empty());
}

TEST_CASE("watch schedule: what is due beside a run leaves that run's projects out",
          "[watch][schedule]") {
    ScheduleOptions o;
    o.poll_interval = 30s;
    WatchSchedule s = synced_pair(o);
    s.set_watched("b", false, t0); // polled: scanned every 30 s
    // "a" is being synced and changes again meanwhile; "b" has its remote check due.
    s.local_change("a", t0 + 60s);
    const TimePoint t = t0 + 70s;
    const DueWork everything = s.due(t);
    CHECK(everything.run == std::vector<std::string>{"a"}); // local work first
    CHECK(everything.remote_check.empty());
    CHECK(s.local_work_due(t));

    const DueWork beside = s.due(t, {"a"});
    CHECK(beside.run == std::vector<std::string>{"b"}); // a's local work hides nothing
    CHECK(beside.remote_check == std::vector<std::string>{"b"});
    CHECK_FALSE(s.local_work_due(t, {"a"}));
    CHECK(s.due(t, {"a", "b"}).empty());         // nor is "b" scanned while it is busy
    CHECK(scans(s.due(t, {"a"}), "b") == false); // it runs instead of being scanned
    CHECK(scans(s.due(t0 + 40s, {"a"}), "b"));
}
