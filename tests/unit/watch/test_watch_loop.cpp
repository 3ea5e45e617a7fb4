// SPDX-License-Identifier: MIT
// watch::run_watch in process: the real loop, real inotify on temp folders, and a scripted
// stand-in for the engine (WatchHooks::run) that writes where a run would and sends the run's
// events. What reaches the next run (its scope) and what the loop reports (WatchEvents) are
// the observable results.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/core/wakeup.hpp"
#include "fios/watch/watch_loop.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

using namespace fios;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_project = "p1";

void touch(const fs::path& p, const std::string& text = "x") {
    std::ofstream(p, std::ios::binary) << text;
}

model::RelPath rel(std::string_view text) {
    auto p = model::RelPath::parse(text);
    REQUIRE(p);
    return *p;
}

/// The kernel's inotify queue length (fs.inotify.max_queued_events) when a test can overflow
/// it quickly; else 0, with a warning that the test is skipped.
std::size_t overflowable_queue() {
    std::ifstream in("/proc/sys/fs/inotify/max_queued_events");
    std::size_t n = 0;
    in >> n;
    if (n == 0 || n > 100000) {
        WARN("fs.inotify.max_queued_events is " << n << ": skipped");
        return 0;
    }
    return n;
}

class CountingEvents final : public watch::WatchEvents {
public:
    void on_overflow() override { ++overflows; }
    std::atomic<int> overflows{0};
};

/// One scripted run: gets the run's options and its observer (the loop's tee), returns the
/// run's report.
using Script = std::function<engine::RunReport(int n, const engine::RunOptions& options,
                                               engine::Observer& observer)>;

/// The loop on a temp project folder, with runs played by a script. The watch ends when the
/// script cancels it, or after a deadline (then `timed_out`).
struct LoopHarness {
    test::TempDir dir{"fios-loop"};
    fs::path root = dir.path() / "project";
    CancelToken cancel;
    Wakeup wakeup;
    CountingEvents events;
    watch::WatchConfig config;
    std::vector<engine::RunOptions> runs;
    bool timed_out = false;

    LoopHarness() {
        fs::create_directories(root);
        add_project(k_project, root);
        config.schedule.debounce = 50ms;
        config.schedule.settle = std::chrono::seconds{1};
        config.schedule.remote_interval = std::chrono::hours{1};
        config.schedule.rescan_interval = std::chrono::hours{1};
    }

    void add_project(const std::string& id, const fs::path& folder) {
        fs::create_directories(folder);
        store::Selection sel;
        sel.project_id = id;
        sel.local_path = folder;
        sel.generation = store::Generation::v4;
        config.selections.push_back(sel);
    }

    void stop() {
        cancel.cancel();
        wakeup.notify();
    }

    /// Watches until the script stops it (at most 30 s); the loop's result.
    Status run(const Script& script) {
        watch::WatchHooks hooks;
        hooks.configure = [this]() -> Result<watch::WatchConfig> { return config; };
        hooks.run = [this, &script](const engine::RunOptions& options, engine::Observer& observer,
                                    engine::RemoteCache&) -> Result<engine::RunReport> {
            runs.push_back(options);
            return script(static_cast<int>(runs.size()), options, observer);
        };
        watch::WatchDeps deps;
        deps.cancel = &cancel;
        deps.wakeup = &wakeup;
        deps.events = &events;
        deps.lock_file = dir.path() / "sync.lock";

        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        std::thread watchdog([&] {
            std::unique_lock lock(m);
            if (!cv.wait_for(lock, 30s, [&] { return done; })) {
                timed_out = true;
                stop();
            }
        });
        auto result = watch::run_watch(deps, hooks);
        {
            std::lock_guard lock(m);
            done = true;
        }
        cv.notify_one();
        watchdog.join();
        return result;
    }
};

/// A run that synced `options.projects` without news.
engine::RunReport report_of(const engine::RunOptions& options) {
    engine::RunReport report;
    for (const auto& id : options.projects) {
        engine::ProjectReport p;
        p.project_id = id;
        report.projects.push_back(p);
    }
    return report;
}

plan::Action action(plan::ActionKind kind, std::string_view path) {
    plan::Action a;
    a.kind = kind;
    a.path = rel(path);
    return a;
}

/// What the engine's downloader does: a `.fios-` temporary, then a rename into place.
void download_into(const fs::path& root, std::string_view path) {
    const fs::path target = root / std::string(path);
    const fs::path temp = target.parent_path() / ".fios-asset.part";
    touch(temp, "downloaded");
    fs::rename(temp, target);
}

/// What the engine does between a plan's transfer events (RunOptions::meanwhile);
/// `keep_going` plays the run's own transfers going on.
void between_transfers(
    const engine::RunOptions& options, const std::function<void()>& keep_going = [] {}) {
    REQUIRE(options.meanwhile);
    options.meanwhile(keep_going);
}

/// A long transfer: the engine calls RunOptions::meanwhile until the harness has seen `n`
/// runs (the next one goes on beside this one), at most 10 s; `in_long_run` is true meanwhile.
void transfer_until_run(
    LoopHarness& h, std::size_t n, const engine::RunOptions& options, bool& in_long_run,
    const std::function<void()>& keep_going = [] {}) {
    in_long_run = true;
    CHECK(test::wait_until(
        [&] {
            between_transfers(options, keep_going);
            return h.runs.size() >= n;
        },
        10s));
    in_long_run = false;
}

} // namespace

TEST_CASE("watch loop: a run's own download temporaries do not overflow the kernel's queue",
          "[watch][loop]") {
    const std::size_t queue = overflowable_queue();
    if (queue == 0)
        return;
    LoopHarness h;
    // Two downloads write in turns (their events do not merge), more events than the queue
    // holds; the engine calls RunOptions::meanwhile between transfer events, here every 256
    // writes.
    const std::size_t writes = queue + 4096;
    auto script = [&](int n, const engine::RunOptions& options, engine::Observer&) {
        if (n == 1) {
            const int a = ::open((h.root / ".fios-a.part").c_str(), O_WRONLY | O_CREAT, 0600);
            const int b = ::open((h.root / ".fios-b.part").c_str(), O_WRONLY | O_CREAT, 0600);
            REQUIRE(a >= 0);
            REQUIRE(b >= 0);
            std::size_t written = 0;
            for (std::size_t i = 0; i < writes; ++i) {
                if (::write(i % 2 == 0 ? a : b, "x", 1) == 1)
                    ++written;
                if (i % 256 == 255)
                    between_transfers(options);
            }
            ::close(a);
            ::close(b);
            CHECK(written == writes);
        }
        h.stop();
        return report_of(options);
    };
    REQUIRE(h.run(script));
    CHECK_FALSE(h.timed_out);
    CHECK(h.runs.size() == 1);
    CHECK(h.events.overflows == 0);
}

TEST_CASE("watch loop: what changes while a plan executes is synced after it, "
          "what the run itself writes is not",
          "[watch][loop]") {
    LoopHarness h;
    fs::create_directories(h.root / "a");
    fs::create_directories(h.root / "b");
    fs::create_directories(h.root / "c");
    auto script = [&](int n, const engine::RunOptions& options, engine::Observer& observer) {
        if (n == 1) {
            plan::Plan plan;
            plan.actions.push_back(action(plan::ActionKind::download, "a/x.mov"));
            plan.actions.push_back(action(plan::ActionKind::download, "c/z.mov"));
            observer.on_plan(k_project, plan);
            download_into(h.root, "a/x.mov");
            between_transfers(options);    // its event is read before the run says it wrote it
            touch(h.root / "b" / "y.mov"); // the user's, elsewhere
            // ...and at a path the run planned but had not reached when it ended
            touch(h.root / "c" / "z.mov");
            between_transfers(options);
            engine::ItemEvent done;
            done.project_id = k_project;
            done.path = rel("a/x.mov");
            done.action = plan::ActionKind::download;
            observer.on_item(done);
        } else {
            h.stop();
        }
        return report_of(options);
    };
    REQUIRE(h.run(script));
    CHECK_FALSE(h.timed_out);
    REQUIRE(h.runs.size() == 2);
    const auto& second = h.runs[1];
    CHECK_FALSE(second.give_way); // a run for local work, not a remote check
    REQUIRE(second.scope.count(k_project) == 1);
    CHECK(second.scope.at(k_project) == std::set<model::RelPath>{rel("b"), rel("c")});
}

TEST_CASE("watch loop: events lost while a remote check lists make the check give way",
          "[watch][loop]") {
    const std::size_t queue = overflowable_queue();
    if (queue == 0)
        return;
    LoopHarness h;
    std::optional<bool> gave_way;
    auto script = [&](int n, const engine::RunOptions& options, engine::Observer&) {
        if (n == 1) {
            REQUIRE(options.give_way);
            for (std::size_t i = 0; i < queue / 2 + 100; ++i) {
                const fs::path p = h.root / ("churn-" + std::to_string(i));
                touch(p);
                fs::remove(p);
            }
            gave_way = options.give_way(k_project);
            auto report = report_of(options);
            report.projects[0].gave_way = *gave_way;
            return report;
        }
        h.stop();
        return report_of(options);
    };
    REQUIRE(h.run(script));
    CHECK_FALSE(h.timed_out);
    REQUIRE(gave_way);
    CHECK(*gave_way);
    CHECK(h.events.overflows == 1);
    // No baseline to compare a scan with: the run after the recovery looks at everything.
    REQUIRE(h.runs.size() == 2);
    CHECK(h.runs[1].scope.count(k_project) == 0);
}

TEST_CASE("watch loop: each project runs on its own, another project's check and change go on "
          "beside a run still transferring, the running project's own change after it",
          "[watch][loop]") {
    LoopHarness h;
    // V4 (a folder listing budget) and V2 (none: change counters, which need the projects
    // listed on every remote check).
    const double listings_per_second = GENERATE(10.0, 0.0);
    h.config.folder_listings_per_second = listings_per_second;
    const fs::path other = h.dir.path() / "other";
    h.add_project("p2", other);
    bool in_long_run = false;
    std::map<int, bool> beside;
    int long_run_went_on = 0; // its transfers served while a run was beside it
    auto script = [&](int n, const engine::RunOptions& options, engine::Observer&) {
        beside[n] = in_long_run;
        if (n == 1) { // p1's first check; p2's is due as well
            transfer_until_run(h, 2, options, in_long_run, [&] { ++long_run_went_on; });
            touch(h.root / "first.mov");
        } else if (n == 3) { // p1's change
            touch(other / "small.mov");
            transfer_until_run(h, 4, options, in_long_run, [&] { ++long_run_went_on; });
        } else if (n == 4) { // beside p1's run: its transfers go on while this one's do
            // p1 changes again, in the folder its run answers for: read here, this change is
            // still p1's next run's (not lost when p1's run forgets what it answered).
            touch(h.root / "more.mov");
            const int before = long_run_went_on;
            REQUIRE(test::wait_until([&] {
                between_transfers(options);
                return long_run_went_on > before;
            }));
        } else if (n == 5) {
            h.stop();
        }
        return report_of(options);
    };
    REQUIRE(h.run(script));
    CHECK_FALSE(h.timed_out);
    REQUIRE(h.runs.size() == 5);
    using Ids = std::vector<std::string>;
    CHECK(h.runs[0].projects == Ids{k_project});
    CHECK(h.runs[0].list_projects);
    CHECK(h.runs[1].projects == Ids{"p2"}); // its first check, beside
    CHECK(beside.at(2));
    CHECK(h.runs[1].list_projects == (listings_per_second == 0));
    CHECK(h.runs[2].projects == Ids{k_project});
    CHECK_FALSE(beside.at(3));
    CHECK(h.runs[3].projects == Ids{"p2"}); // its change, beside p1's long run
    CHECK(beside.at(4));
    // What changed in p1 while its run went on is its next run's, in the root folder.
    CHECK(h.runs[4].projects == Ids{k_project});
    CHECK_FALSE(beside.at(5));
    REQUIRE(h.runs[4].scope.count(k_project) == 1);
    CHECK(h.runs[4].scope.at(k_project) == std::set<model::RelPath>{model::RelPath::root()});
}

TEST_CASE("watch loop: events lost while a run transfers are recovered for the other projects "
          "beside it, not when it ends",
          "[watch][loop]") {
    const std::size_t queue = overflowable_queue();
    if (queue == 0)
        return;
    LoopHarness h;
    const fs::path other = h.dir.path() / "other";
    h.add_project("p2", other);
    fs::create_directories(other / "churn");
    bool in_long_run = false;
    std::map<int, bool> beside;
    auto script = [&](int n, const engine::RunOptions& options, engine::Observer&) {
        beside[n] = in_long_run;
        if (n == 2) { // p2's first check: then p1 changes
            touch(h.root / "first.mov");
        } else if (n == 3) { // p1's run, long; meanwhile the kernel drops events
            for (std::size_t i = 0; i < queue / 2 + 100; ++i) {
                const fs::path p = other / "churn" / ("file-" + std::to_string(i));
                touch(p);
                fs::remove(p);
            }
            transfer_until_run(h, 4, options, in_long_run);
        } else if (n == 4) {
            h.stop();
        }
        return report_of(options);
    };
    REQUIRE(h.run(script));
    CHECK_FALSE(h.timed_out);
    REQUIRE(h.runs.size() == 4);
    CHECK(h.runs[3].projects == std::vector<std::string>{"p2"});
    CHECK(beside.at(4));
    // No baseline to compare a scan with: p2 runs whole (the events before the overflow alone
    // would have named the churn folder).
    CHECK(h.runs[3].scope.count("p2") == 0);
    CHECK(h.events.overflows == 1); // reported once, not again when p1's run ends
}
