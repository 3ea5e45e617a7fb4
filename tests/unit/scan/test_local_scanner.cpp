// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/scan/local_scanner.hpp"
#include "fios/scan/path_map.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

using fios::model::EntryKind;
using fios::model::LocalSkip;
using fios::model::LocalSkipReason;
using fios::model::LocalSnapshot;
using fios::model::NameIssue;
using fios::model::RelPath;
using fios::scan::scan_local;
using fios::test::TempDir;
using fios::test::write_file;

namespace fs = std::filesystem;

namespace {

RelPath P(const char* s) {
    return *RelPath::parse(s);
}

const LocalSkip* find_skip(const LocalSnapshot& snap, const std::string& raw_relative) {
    for (const auto& s : snap.skipped) {
        const std::string full = s.parent.is_root() ? s.name : s.parent.str() + "/" + s.name;
        if (full == raw_relative)
            return &s;
    }
    return nullptr;
}

bool has_entry_under(const LocalSnapshot& snap, const std::string& prefix) {
    return std::any_of(snap.entries.begin(), snap.entries.end(), [&](const auto& kv) {
        return kv.first.str() == prefix || kv.first.str().starts_with(prefix + "/");
    });
}

void set_mtime(const fs::path& p, time_t sec, long nsec) {
    const timespec times[2] = {{sec, nsec}, {sec, nsec}};
    REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

} // namespace

TEST_CASE("local scanner reports files and folders with size, ns mtime, inode, device",
          "[scan][local]") {
    TempDir dir;
    write_file(dir / "a.mov", "12345");
    write_file(dir / "empty.bin", "");
    write_file(dir / "Dailies/Day 1/clip.mov", std::string(70000, 'x'));
    fs::create_directories(dir / "Empty/Nested/Deeper");
    set_mtime(dir / "a.mov", 1'600'000'000, 123'456'789);

    auto snap = scan_local(dir.path());
    REQUIRE(snap);
    std::vector<std::string> paths;
    for (const auto& [p, e] : snap->entries)
        paths.push_back(p.str());
    CHECK(paths == std::vector<std::string>{"Dailies", "Dailies/Day 1", "Dailies/Day 1/clip.mov",
                                            "Empty", "Empty/Nested", "Empty/Nested/Deeper", "a.mov",
                                            "empty.bin"});
    CHECK(snap->skipped.empty());

    const auto& a = snap->entries.at(P("a.mov"));
    CHECK(a.kind == EntryKind::file);
    CHECK(a.size == 5);
    CHECK(a.path == P("a.mov"));
    CHECK(a.mtime.time_since_epoch() ==
          std::chrono::seconds{1'600'000'000} + std::chrono::nanoseconds{123'456'789});
    struct stat st {};
    REQUIRE(::lstat((dir / "a.mov").c_str(), &st) == 0);
    CHECK(a.inode == static_cast<std::uint64_t>(st.st_ino));
    CHECK(a.device == static_cast<std::uint64_t>(st.st_dev));

    CHECK(snap->entries.at(P("empty.bin")).size == 0);
    CHECK(snap->entries.at(P("Dailies/Day 1/clip.mov")).size == 70000);
    const auto& deeper = snap->entries.at(P("Empty/Nested/Deeper"));
    CHECK(deeper.kind == EntryKind::folder);
    CHECK(deeper.size == 0);
}

TEST_CASE("local scanner never follows symlinks", "[scan][local]") {
    TempDir outside;
    write_file(outside / "secret.txt", "outside the sync folder");
    write_file(outside / "tree/inner.mov", "x");
    TempDir dir;
    write_file(dir / "real/file.mov", "y");
    fs::create_symlink(outside / "secret.txt", dir / "link-to-file");
    fs::create_symlink(outside / "tree", dir / "link-to-folder");
    fs::create_symlink(dir / "real", dir / "real/loop");
    fs::create_symlink("does-not-exist", dir / "dangling");

    auto snap = scan_local(dir.path());
    REQUIRE(snap);
    for (const char* name : {"link-to-file", "link-to-folder", "real/loop", "dangling"}) {
        INFO(name);
        const auto* s = find_skip(*snap, name);
        REQUIRE(s != nullptr);
        CHECK(s->reason == LocalSkipReason::symlink);
        REQUIRE(s->path);
        CHECK(s->path->str() == name);
        CHECK_FALSE(snap->entries.contains(*s->path));
    }
    CHECK_FALSE(has_entry_under(*snap, "link-to-folder")); // not entered
    CHECK(snap->entries.contains(P("real/file.mov")));
    CHECK(snap->entries.size() == 2); // real, real/file.mov
}

TEST_CASE("local scanner skips fifos and sockets", "[scan][local]") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "pipe").c_str(), 0600) == 0);
    const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(sock >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string sock_path = (dir / "sock").string();
    REQUIRE(sock_path.size() < sizeof(addr.sun_path));
    std::copy(sock_path.begin(), sock_path.end(), addr.sun_path);
    REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    write_file(dir / "ok.txt", "ok");

    auto snap = scan_local(dir.path());
    ::close(sock);
    REQUIRE(snap);
    for (const char* name : {"pipe", "sock"}) {
        const auto* s = find_skip(*snap, name);
        REQUIRE(s != nullptr);
        CHECK(s->reason == LocalSkipReason::special_file);
    }
    CHECK(snap->entries.size() == 1);
}

TEST_CASE("local scanner skips names that are not valid UTF-8 or are dangerous", "[scan][local]") {
    TempDir dir;
    const std::string latin1_file = "caf\xE9.mov"; // raw bytes, as an old tool would write them
    const std::string latin1_dir = "Pr\xEAt";
    write_file(dir.path() / latin1_file, "x");
    write_file(dir.path() / latin1_dir / "inside.mov", "y");
    write_file(dir / "new\nline.mov", "z");
    write_file(dir / " leading.mov", "z");
    write_file(dir / "fine.mov", "z");

    auto snap = scan_local(dir.path());
    REQUIRE(snap);
    const auto* f = find_skip(*snap, latin1_file);
    REQUIRE(f != nullptr);
    CHECK(f->reason == LocalSkipReason::invalid_name);
    CHECK(f->name_issue == NameIssue::invalid_utf8);
    CHECK_FALSE(f->path);
    CHECK(f->parent.is_root());
    CHECK(f->name == latin1_file);

    const auto* d = find_skip(*snap, latin1_dir);
    REQUIRE(d != nullptr);
    CHECK(d->name_issue == NameIssue::invalid_utf8);
    CHECK(find_skip(*snap, latin1_dir + "/inside.mov") == nullptr); // not entered

    CHECK(find_skip(*snap, "new\nline.mov")->name_issue == NameIssue::control_character);
    CHECK(find_skip(*snap, " leading.mov")->name_issue == NameIssue::edge_space);
    REQUIRE(snap->entries.size() == 1);
    CHECK(snap->entries.begin()->first == P("fine.mov"));
}

TEST_CASE("local scanner ignores its own temporary download files", "[scan][local]") {
    TempDir dir;
    const std::string temp = std::string(fios::scan::k_temp_prefix) + "0a1b2c.part";
    write_file(dir / "Dailies" / temp, "partial");
    write_file(dir / "Dailies/clip.mov", "whole");
    fs::create_directories(dir / (std::string(fios::scan::k_temp_prefix) + "dir"));

    auto snap = scan_local(dir.path());
    REQUIRE(snap);
    const auto* s = find_skip(*snap, "Dailies/" + temp);
    REQUIRE(s != nullptr);
    CHECK(s->reason == LocalSkipReason::own_temporary);
    CHECK(find_skip(*snap, std::string(fios::scan::k_temp_prefix) + "dir")->reason ==
          LocalSkipReason::own_temporary);
    CHECK(snap->entries.size() == 2); // Dailies, Dailies/clip.mov
}

TEST_CASE("local scanner skips folders nested deeper than its limit", "[scan][local]") {
    TempDir dir;
    write_file(dir / "1/2/3/4/file.mov", "x");
    fios::scan::LocalScanOptions options;
    options.max_depth = 2;
    auto snap = scan_local(dir.path(), options);
    REQUIRE(snap);
    const auto* s = find_skip(*snap, "1/2/3");
    REQUIRE(s != nullptr);
    CHECK(s->reason == LocalSkipReason::too_deep);
    CHECK_FALSE(snap->entries.contains(P("1/2/3"))); // not an entry: nothing below looks deleted
    CHECK(snap->entries.size() == 2);
}

TEST_CASE("local scanner reports a folder it cannot read, and not as an entry", "[scan][local]") {
    TempDir dir;
    write_file(dir / "locked/inner.mov", "x");
    fs::permissions(dir / "locked", fs::perms::none);
    auto snap = scan_local(dir.path());
    fs::permissions(dir / "locked", fs::perms::owner_all);
    REQUIRE(snap);
    if (::geteuid() == 0) {
        // root reads through permissions; the too_deep case covers the same code path.
        WARN("running as root: permission denial cannot be produced");
        CHECK(snap->entries.contains(P("locked/inner.mov")));
        return;
    }
    const auto* s = find_skip(*snap, "locked");
    REQUIRE(s != nullptr);
    CHECK(s->reason == LocalSkipReason::unreadable);
    CHECK_FALSE(s->detail.empty());
    CHECK_FALSE(snap->entries.contains(P("locked")));
}

TEST_CASE("local scanner fails cleanly on a bad root and on cancel", "[scan][local]") {
    TempDir dir;
    auto missing = scan_local(dir / "missing");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == fios::ErrorCode::io);
    write_file(dir / "file", "x");
    auto not_dir = scan_local(dir / "file");
    REQUIRE_FALSE(not_dir);
    CHECK(not_dir.error().code == fios::ErrorCode::io);

    fios::CancelToken cancel;
    cancel.cancel();
    fios::scan::LocalScanOptions options;
    options.cancel = &cancel;
    auto cancelled = scan_local(dir.path(), options);
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == fios::ErrorCode::cancelled);
}

TEST_CASE("local scanner output is deterministic and sorted", "[scan][local]") {
    TempDir dir;
    for (const char* n : {"b", "a", "c b", "c/b", "c/a"})
        write_file(dir / n / "f", "x");
    fs::create_symlink("x", dir / "z-link");
    fs::create_symlink("x", dir / "a-link");
    auto first = scan_local(dir.path());
    auto second = scan_local(dir.path());
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->entries == second->entries);
    CHECK(first->skipped == second->skipped);
    REQUIRE(first->skipped.size() == 2);
    CHECK(first->skipped[0].name == "a-link");
    CHECK(first->skipped[1].name == "z-link");
}

TEST_CASE("folder digests differ exactly at the folders where something changed", "[scan][local]") {
    using fios::scan::changed_folders;
    using fios::scan::folder_digests;
    using Folders = std::set<RelPath>;
    TempDir dir;
    write_file(dir / "r.txt", "root file");
    write_file(dir / "A/a.txt", "a");
    write_file(dir / "A/B/b.txt", "b");
    write_file(dir / "C/c.txt", "c");
    fs::create_directories(dir / "Empty");
    const auto digests = [&] {
        auto snap = scan_local(dir.path());
        REQUIRE(snap);
        return folder_digests(*snap);
    };
    auto before = digests();
    std::vector<std::string> keys;
    for (const auto& [path, d] : before)
        keys.push_back(path.str());
    CHECK(keys == std::vector<std::string>{"", "A", "A/B", "C", "Empty"});
    CHECK(changed_folders(before, digests()).empty());

    // Each change, against the scan just before it.
    const auto after = [&](const Folders& expected) {
        auto now = digests();
        CHECK(changed_folders(before, now) == expected);
        CHECK(changed_folders(now, before) == expected);
        before = std::move(now);
    };
    write_file(dir / "A/B/b.txt", "b, longer");
    after({P("A/B")});
    set_mtime(dir / "C/c.txt", 1'600'000'000, 1); // same size, another mtime
    after({P("C")});
    write_file(dir / "A/N/n.txt", "new folder");
    after({P("A"), P("A/N")});
    fs::remove(dir / "Empty");
    after({RelPath::root(), P("Empty")});
    fs::rename(dir / "A/a.txt", dir / "A/z.txt");
    after({P("A")});
    fs::rename(dir / "A/B", dir / "C/B"); // a folder moved: both parents, and itself
    after({P("A"), P("A/B"), P("C"), P("C/B")});
    write_file(dir / "C" / "bad\xff.txt", "a name the scan skips");
    after({P("C")});
    write_file(dir / "r.txt", "root file, changed");
    after({RelPath::root()});
    // Our own download temporaries come and go with runs: no change of the user's.
    write_file(dir / "C" / ".fios-dl-0123.part", "half a download");
    after({});
    fs::remove(dir / "C" / ".fios-dl-0123.part");
    after({});
}
