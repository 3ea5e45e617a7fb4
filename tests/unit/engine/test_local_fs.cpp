// SPDX-License-Identifier: MIT
// Issue 9: a folder nothing can be written to is reported as such, before free space is
// looked at (a read-only folder used to be blamed on free space).
#include "support/temp_dir.hpp"

#include "fios/engine/local_fs.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>

using fios::engine::detail::check_writable_below;
using fios::model::RelPath;
using fios::test::TempDir;

namespace {

constexpr uid_t k_nobody = 65534;

/// The check as an unprivileged user would see it: as root, in a child that drops to
/// `nobody` (root may write anywhere). 0: writable; 1: refused as not writable; 2: other.
int check_as_user(const std::filesystem::path& root, const RelPath& path) {
    const auto classify = [&] {
        const auto s = check_writable_below(root, path);
        if (s)
            return 0;
        return s.error().message.find("not writable by this user") != std::string::npos ? 1 : 2;
    };
    if (::geteuid() != 0)
        return classify();
    const pid_t child = ::fork();
    if (child == 0) {
        if (::setgid(k_nobody) != 0 || ::setuid(k_nobody) != 0)
            ::_exit(3);
        ::_exit(classify());
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}

} // namespace

TEST_CASE("check_writable_below: a folder the user may not write to is said so",
          "[engine][local_fs]") {
    TempDir dir{"fios-writable"};
    const auto root = dir.path() / "sync";
    std::filesystem::create_directories(root / "locked");
    std::filesystem::create_directories(root / "open");
    // Everyone may enter; only "open" may be written by others.
    ::chmod(dir.path().c_str(), 0755);
    ::chmod(root.c_str(), 0755);
    ::chmod((root / "locked").c_str(), 0555);
    ::chmod((root / "open").c_str(), 0777);

    CHECK(check_as_user(root, RelPath::parse("open/clip.mov").value()) == 0);
    CHECK(check_as_user(root, RelPath::parse("locked/clip.mov").value()) == 1);
    // The owner (and root) may write into their own folder.
    CHECK(check_writable_below(root, RelPath::parse("open/clip.mov").value()));
}
