// SPDX-License-Identifier: MIT
// engine::RunLock: one sync per state directory, across attempts and across processes; a
// dead owner never leaves the lock behind.
#include "support/temp_dir.hpp"

#include "fios/engine/run_lock.hpp"
#include "fios/engine/sync_engine.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <csignal>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>

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
