// SPDX-License-Identifier: MIT
// watch::LocalWatcher: real inotify on temp folders.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/watch/local_watcher.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

using namespace fios;
namespace fs = std::filesystem;

namespace {

void touch(const fs::path& p, const std::string& text = "x") {
    std::ofstream(p, std::ios::binary) << text;
}

/// Reads events until `path` of `key` is reported (or the deadline passes); collects all.
bool reported(watch::LocalWatcher& w, const std::string& key, const std::string& path,
              watch::LocalChanges* all = nullptr) {
    return test::wait_until([&] {
        auto c = w.read();
        if (all != nullptr) {
            all->overflow = all->overflow || c.overflow;
            for (auto& f : c.fell_back)
                all->fell_back.push_back(f);
            for (auto& [k, paths] : c.paths)
                all->paths[k].insert(paths.begin(), paths.end());
        }
        auto it = c.paths.find(key);
        return (it != c.paths.end() && it->second.count(path) > 0) ||
               (all != nullptr && all->paths[key].count(path) > 0);
    });
}

std::unique_ptr<watch::LocalWatcher> make(watch::WatcherOptions o = {}) {
    auto w = watch::LocalWatcher::create(o);
    REQUIRE(w);
    return std::move(*w);
}

} // namespace

TEST_CASE("local watcher: changes anywhere in a tree are reported by key and relative path",
          "[watch][inotify]") {
    test::TempDir dir{"fios-watch"};
    fs::create_directories(dir.path() / "a" / "b");
    auto w = make();
    auto tree = w->watch_tree("p1", dir.path());
    CHECK_FALSE(tree.incomplete);
    CHECK(tree.folders == 3);
    CHECK(w->watch_count() == 3);

    touch(dir.path() / "top.txt");
    CHECK(reported(*w, "p1", "top.txt"));
    touch(dir.path() / "a" / "b" / "deep.txt");
    CHECK(reported(*w, "p1", "a/b/deep.txt"));
    fs::rename(dir.path() / "top.txt", dir.path() / "a" / "moved.txt");
    CHECK(reported(*w, "p1", "a/moved.txt"));
}

TEST_CASE("local watcher: what a new folder held before its watch was added is reported with "
          "it",
          "[watch][inotify]") {
    // Nothing watches a new folder until its creation is read: files made in it meanwhile
    // (a user filling a folder the sync just made) raise no event of their own.
    test::TempDir dir{"fios-watch"};
    auto w = make();
    REQUIRE_FALSE(w->watch_tree("p", dir.path()).incomplete);
    fs::create_directories(dir.path() / "made" / "deeper");
    touch(dir.path() / "made" / "early.txt");
    touch(dir.path() / "made" / "deeper" / "earlier.txt");
    touch(dir.path() / "made" / ".fios-download-1");
    const watch::LocalChanges c = w->read();
    REQUIRE(c.paths.count("p") == 1);
    CHECK(c.paths.at("p") == std::set<std::string>{"made", "made/deeper", "made/deeper/earlier.txt",
                                                   "made/early.txt"});
    CHECK(w->watch_count() == 3);
}

TEST_CASE("local watcher: a folder created later is watched, our .fios- temporaries are "
          "ignored",
          "[watch][inotify]") {
    test::TempDir dir{"fios-watch"};
    auto w = make();
    REQUIRE_FALSE(w->watch_tree("p", dir.path()).incomplete);
    fs::create_directories(dir.path() / "new");
    CHECK(reported(*w, "p", "new"));
    CHECK(w->watch_count() == 2);
    touch(dir.path() / "new" / "inside.txt");
    CHECK(reported(*w, "p", "new/inside.txt"));

    touch(dir.path() / ".fios-download-1234");
    touch(dir.path() / "real.txt");
    watch::LocalChanges all;
    CHECK(reported(*w, "p", "real.txt", &all));
    CHECK(all.paths["p"].count(".fios-download-1234") == 0);
}

TEST_CASE("local watcher: out of watches, the tree is incomplete with a message naming the "
          "limit, reported once",
          "[watch][inotify]") {
    test::TempDir dir{"fios-watch"};
    fs::create_directories(dir.path() / "a");
    watch::WatcherOptions o;
    o.max_watches = 2;
    auto w = make(o);
    auto tree = w->watch_tree("p", dir.path());
    CHECK(tree.folders == 2);
    CHECK_FALSE(tree.incomplete);

    // A third folder does not fit: reported once as a fall-back to polling.
    fs::create_directories(dir.path() / "b");
    watch::LocalChanges all;
    CHECK(reported(*w, "p", "b", &all));
    REQUIRE(all.fell_back.size() == 1);
    CHECK(all.fell_back[0].first == "p");
    CHECK(all.fell_back[0].second.message.find("fs.inotify.max_user_watches") != std::string::npos);
    fs::create_directories(dir.path() / "c");
    watch::LocalChanges again;
    CHECK(reported(*w, "p", "c", &again));
    CHECK(again.fell_back.empty());

    // A tree that does not fit at all reports it at once.
    auto small = make(o);
    fs::create_directories(dir.path() / "a" / "x" / "y");
    auto partial = small->watch_tree("q", dir.path());
    REQUIRE(partial.incomplete);
    CHECK(partial.incomplete->message.find("max_user_watches") != std::string::npos);
}

TEST_CASE("local watcher: a folder moved out of the tree is dropped, the root going away "
          "is reported",
          "[watch][inotify]") {
    test::TempDir dir{"fios-watch"};
    test::TempDir outside{"fios-watch-out"};
    fs::create_directories(dir.path() / "tree" / "sub" / "deeper");
    auto w = make();
    REQUIRE(w->watch_tree("p", dir.path() / "tree").folders == 3);
    fs::rename(dir.path() / "tree" / "sub", outside.path() / "sub");
    CHECK(reported(*w, "p", "sub"));
    CHECK(test::wait_until([&] {
        (void)w->read();
        return w->watch_count() == 1;
    }));
    touch(outside.path() / "sub" / "not-ours.txt");
    touch(dir.path() / "tree" / "ours.txt");
    watch::LocalChanges all;
    CHECK(reported(*w, "p", "ours.txt", &all));
    CHECK(all.paths["p"].count("sub/not-ours.txt") == 0);

    fs::remove_all(dir.path() / "tree");
    watch::LocalChanges gone;
    CHECK(test::wait_until([&] {
        auto c = w->read();
        for (auto& f : c.fell_back)
            gone.fell_back.push_back(f);
        return !gone.fell_back.empty();
    }));
    REQUIRE(gone.fell_back.size() == 1);
    CHECK(gone.fell_back[0].second.message.find("moved or deleted") != std::string::npos);
}

TEST_CASE("local watcher: more events than the kernel queues is reported as an overflow",
          "[watch][inotify]") {
    std::size_t queued = 16384;
    if (std::ifstream in("/proc/sys/fs/inotify/max_queued_events"); in)
        in >> queued;
    if (queued > 200000) {
        WARN("max_queued_events is " << queued << ": too many files to overflow it here");
        return;
    }
    test::TempDir dir{"fios-watch"};
    auto w = make();
    REQUIRE_FALSE(w->watch_tree("p", dir.path()).incomplete);
    // Each file makes at least two events (create, close-write); nothing is read meanwhile.
    for (std::size_t i = 0; i < queued / 2 + 100; ++i)
        touch(dir.path() / ("f" + std::to_string(i)));
    watch::LocalChanges c = w->read();
    CHECK(c.overflow);
}
