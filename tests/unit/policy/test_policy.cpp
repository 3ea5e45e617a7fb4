// SPDX-License-Identifier: MIT
#include "fios/policy/policy.hpp"

#include <catch2/catch.hpp>

using fios::model::JournalRecord;
using fios::model::JournalState;
using fios::model::LocalEntry;
using fios::model::LocalObservation;
using fios::model::RelPath;
using fios::model::TimePoint;
using fios::policy::Direction;
using fios::policy::is_settled;
using fios::policy::observe;
using fios::policy::Policy;
using namespace std::chrono_literals;

namespace {
const TimePoint k_now{std::chrono::seconds{1'700'000'000}};

LocalEntry file(TimePoint mtime, std::uint64_t size = 10) {
    LocalEntry e;
    e.path = *RelPath::parse("a.mov");
    e.size = size;
    e.mtime = mtime;
    e.inode = 7;
    return e;
}
} // namespace

TEST_CASE("Policy defaults are the issue's", "[policy]") {
    const Policy p;
    CHECK(p.settle == 5s);
    CHECK(p.max_upload_attempts == 3);
    CHECK(p.max_download_attempts == 3);
    CHECK(p.verify_timeout == 60s);
    CHECK(p.direction == Direction::both);
    CHECK(p.deletions == fios::policy::DeletionRule::never_propagate);
    CHECK(p.duplicates == fios::policy::DuplicateRule::first_seen_wins);
    CHECK(p.changed_locally == fios::policy::ChangedLocallyRule::report_only);
    REQUIRE_FALSE(p.backoff.empty());
    CHECK(std::is_sorted(p.backoff.begin(), p.backoff.end()));
    CHECK(fios::policy::allows_upload(p));
    CHECK(fios::policy::allows_download(p));
    Policy up;
    up.direction = Direction::up;
    CHECK(fios::policy::allows_upload(up));
    CHECK_FALSE(fios::policy::allows_download(up));
    Policy down;
    down.direction = Direction::down;
    CHECK_FALSE(fios::policy::allows_upload(down));
    CHECK(fios::policy::allows_download(down));
}

TEST_CASE("is_settled: a file never seen before is ready when its mtime is old enough",
          "[policy]") {
    const Policy p;
    CHECK(is_settled(p, file(k_now - 5s), nullptr, k_now)); // exactly the window: ready
    CHECK(is_settled(p, file(k_now - 1h), nullptr, k_now));
    CHECK_FALSE(is_settled(p, file(k_now - 4999ms), nullptr, k_now));
    CHECK_FALSE(is_settled(p, file(k_now), nullptr, k_now));
    CHECK_FALSE(is_settled(p, file(k_now + 1h), nullptr, k_now)); // mtime in the future
}

TEST_CASE("is_settled: an earlier sighting with the same size and mtime counts", "[policy]") {
    const Policy p;
    const auto future = k_now + 1h; // a clock-skewed or tool-set mtime
    const auto e = file(future);
    const LocalObservation seen_6s_ago{e.path, e.size, e.mtime, k_now - 6s};
    const LocalObservation seen_2s_ago{e.path, e.size, e.mtime, k_now - 2s};
    CHECK(is_settled(p, e, &seen_6s_ago, k_now));
    CHECK_FALSE(is_settled(p, e, &seen_2s_ago, k_now));

    LocalObservation other_size = seen_6s_ago;
    other_size.size = 11;
    CHECK_FALSE(is_settled(p, e, &other_size, k_now)); // it grew since: changed
    LocalObservation other_mtime = seen_6s_ago;
    other_mtime.mtime = future - 1s;
    CHECK_FALSE(is_settled(p, e, &other_mtime, k_now));
    LocalObservation other_path = seen_6s_ago;
    other_path.path = *RelPath::parse("b.mov");
    CHECK_FALSE(is_settled(p, e, &other_path, k_now));

    Policy slow;
    slow.settle = 30s;
    CHECK_FALSE(is_settled(slow, e, &seen_6s_ago, k_now));
}

TEST_CASE("observe keeps the first sighting while nothing changes", "[policy]") {
    const auto e = file(k_now - 1s);
    const auto first = observe(e, nullptr, k_now);
    CHECK(first == LocalObservation{e.path, e.size, e.mtime, k_now});
    CHECK(observe(e, &first, k_now + 3s) == first);
    auto grown = e;
    grown.size = 20;
    CHECK(observe(grown, &first, k_now + 3s).first_seen == k_now + 3s);
}

TEST_CASE("backoff: each failure waits longer, capped at the last step", "[policy]") {
    const Policy p;
    CHECK(fios::policy::next_retry_at(p, 1, k_now) == k_now + p.backoff[0]);
    CHECK(fios::policy::next_retry_at(p, 2, k_now) == k_now + p.backoff[1]);
    CHECK(fios::policy::next_retry_at(p, 100, k_now) == k_now + p.backoff.back());
    CHECK(fios::policy::next_retry_at(p, 0, k_now) == k_now + p.backoff[0]);

    JournalRecord r;
    r.state = JournalState::failed;
    r.next_retry_at = k_now + 1s;
    CHECK(fios::policy::in_backoff(r, k_now));
    CHECK_FALSE(fios::policy::in_backoff(r, k_now + 1s));
    r.next_retry_at.reset();
    CHECK_FALSE(fios::policy::in_backoff(r, k_now)); // failed for good is not "backoff"
    r.state = JournalState::synced;
    r.next_retry_at = k_now + 1h;
    CHECK_FALSE(fios::policy::in_backoff(r, k_now));
}
