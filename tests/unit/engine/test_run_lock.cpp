// SPDX-License-Identifier: MIT
// engine::RunLock: one sync per state directory, across attempts and across processes; a
// dead owner never leaves the lock behind.
#include "support/temp_dir.hpp"

#include "fios/engine/run_lock.hpp"
#include "fios/engine/sync_engine.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

using namespace fios;

TEST_CASE("run lock: a second attempt is refused with the owner's pid", "[engine][lock]") {
    test::TempDir dir{"fios-lock"};
    const auto file = dir.path() / "sync.lock";
    auto first = engine::RunLock::acquire(file);
    REQUIRE(first);

    auto second = engine::RunLock::acquire(file);
    REQUIRE(!second);
    CHECK(engine::is_lock_held(second.error()));
    CHECK(second.error().code == ErrorCode::conflict);
    CHECK(second.error().message.find("another frameio-sync (pid " + std::to_string(::getpid()) +
                                      ") is running") != std::string::npos);

    // The file is private.
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // Released by destruction: the next attempt succeeds.
    { auto moved = std::move(*first); }
    auto third = engine::RunLock::acquire(file);
    CHECK(third);
}

TEST_CASE("run lock: a status probe's brief shared lock does not look like a running sync",
          "[engine][lock]") {
    // `status` (RunLock::holder) holds a shared lock for a moment; a `sync --once` starting
    // just then used to exit 75 naming a sync that was not running.
    test::TempDir dir{"fios-lock"};
    const auto file = dir.path() / "sync.lock";
    { REQUIRE(engine::RunLock::acquire(file)); } // the file exists, unlocked
    const int probe = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(probe >= 0);
    REQUIRE(::flock(probe, LOCK_SH | LOCK_NB) == 0);
    std::thread release([probe] {
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
        ::close(probe); // the probe ends
    });
    auto lock = engine::RunLock::acquire(file);
    release.join();
    INFO((lock ? std::string() : lock.error().message));
    CHECK(lock);
    CHECK(engine::RunLock::holder(file) == std::optional<long>(::getpid())); // held: by us
}

TEST_CASE("run lock: other errors are not 'lock held'", "[engine][lock]") {
    test::TempDir dir{"fios-lock"};
    auto bad = engine::RunLock::acquire(dir.path() / "missing-folder" / "sync.lock");
    REQUIRE(!bad);
    CHECK(bad.error().code == ErrorCode::io);
    CHECK(!engine::is_lock_held(bad.error()));
    CHECK(!engine::is_lock_held(Error{ErrorCode::conflict, "some other conflict"}));
}

TEST_CASE("run lock: held by another process until it dies, even by SIGKILL", "[engine][lock]") {
    test::TempDir dir{"fios-lock"};
    const auto file = dir.path() / "sync.lock";
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(ready[0]);
        auto lock = engine::RunLock::acquire(file);
        const char c = lock ? 'y' : 'n';
        (void)!::write(ready[1], &c, 1);
        ::pause(); // hold it until killed
        ::_exit(0);
    }
    ::close(ready[1]);
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    REQUIRE(c == 'y');

    auto mine = engine::RunLock::acquire(file);
    REQUIRE(!mine);
    CHECK(engine::is_lock_held(mine.error()));
    CHECK(mine.error().message.find("(pid " + std::to_string(child) + ")") != std::string::npos);

    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    auto after = engine::RunLock::acquire(file);
    CHECK(after);
}
