// SPDX-License-Identifier: MIT
// watch/watch_status: the file `status` reads while `sync --watch` runs.
#include "support/temp_dir.hpp"

#include "fios/watch/watch_status.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace fios;

TEST_CASE("watch status file: written atomically and read back, damage is an error",
          "[watch][status]") {
    test::TempDir dir{"fios-watch-status"};
    const auto file = watch::watch_status_path(dir.path());
    watch::WatchState s;
    s.pid = 4242;
    s.started_at = watch::TimePoint{std::chrono::seconds{1'800'000'000}};
    s.state = "syncing";
    s.activity = "3/10 files\nwith a newline"; // one line in the file
    s.projects.push_back({"p1", true, s.started_at, s.started_at + std::chrono::seconds{60},
                          s.started_at - std::chrono::seconds{5}});
    s.projects.push_back({"p2", false, std::nullopt, std::nullopt, std::nullopt});
    REQUIRE(watch::write_watch_state(file, s));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto back = watch::read_watch_state(file);
    REQUIRE(back);
    CHECK(back->pid == 4242);
    CHECK(back->started_at == s.started_at);
    CHECK(back->state == "syncing");
    CHECK(back->activity == "3/10 files with a newline");
    REQUIRE(back->projects.size() == 2);
    CHECK(back->projects[0].id == "p1");
    CHECK(back->projects[0].watched);
    CHECK(back->projects[0].next_check == s.started_at + std::chrono::seconds{60});
    CHECK(back->projects[0].checked_whole == s.started_at - std::chrono::seconds{5});
    CHECK_FALSE(back->projects[1].checked_whole);
    CHECK_FALSE(back->projects[1].watched);
    CHECK_FALSE(back->projects[1].last_run);

    // A file of a watcher from before checked_whole (four fields) still reads.
    std::ofstream(file) << "frameio-sync-watch 1\npid 7\nproject p3 watched - -\n";
    auto older = watch::read_watch_state(file);
    REQUIRE(older);
    REQUIRE(older->projects.size() == 1);
    CHECK_FALSE(older->projects[0].checked_whole);

    std::ofstream(file) << "not a status file\n";
    auto bad = watch::read_watch_state(file);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::parse);
    std::ofstream(file) << "frameio-sync-watch 1\npid twelve\n";
    CHECK_FALSE(watch::read_watch_state(file));
    CHECK(watch::read_watch_state(dir.path() / "missing").error().code == ErrorCode::not_found);
}
