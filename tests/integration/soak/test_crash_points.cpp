// SPDX-License-Identifier: MIT
// Crash points (issue 9, docs/reliability.md "Crash points"): a `sync --once` child over files
// on both sides (some of ten parts, a version stack) is killed with SIGKILL at a point chosen
// from a seed in one phase of its work, then `sync --once` is run again until it converges.
// After the kill and after every run: no remote path holds two assets, no file under a real
// name is anything but its true content; at the end both trees equal what was created (no
// local file lost), no temporary file is left, and listing every folder through the API
// shows each name once. Also: the emulator itself killed and restarted mid-run.
//
// Points: FIOS_CRASH_POINTS (default 8, one per phase; `all` = 32, four per phase, each at
// another depth); files: FIOS_CRASH_FILES (default 40; 200 with FIOS_SOAK=full); seed:
// FIOS_SOAK_SEED.
#include "soak_support.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <iostream>

using namespace fios::test::sync;
using namespace fios::test::soak;
using fios::test::ProcessResult;
using fios::test::SpawnedProcess;
using fios::test::wait_until;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t k_ten_parts = 10 * 64 * 1024 - 100;
constexpr std::size_t k_points_all = 32;

/// The phases a point can hit, in the order of docs/reliability.md's table.
enum class Phase {
    discovery,        ///< after the k-th folder listing
    create,           ///< after the k-th folder or file create
    part_upload,      ///< after the k-th part PUT
    completion_wait,  ///< after the k-th of our uploads is complete on Frame.io, unverified
    download,         ///< after the k-th download request
    rename,           ///< after the k-th downloaded file appeared under its real name
    journal_write,    ///< after the k-th commit to the state database (its WAL grew)
    version_download, ///< while the head of a version stack is coming down
};
constexpr std::size_t k_phases = 8;

std::string_view name_of(Phase p) {
    switch (p) {
    case Phase::discovery:
        return "discovery";
    case Phase::create:
        return "create";
    case Phase::part_upload:
        return "part upload";
    case Phase::completion_wait:
        return "completion wait";
    case Phase::download:
        return "download";
    case Phase::rename:
        return "rename";
    case Phase::journal_write:
        return "journal write";
    case Phase::version_download:
        return "version stack download";
    }
    return "?";
}

/// How deep into a phase a point may go (k from 1 to this), kept within what every workload
/// of the CI size reaches.
std::uint64_t depth_of(Phase p) {
    switch (p) {
    case Phase::discovery:
        return 4;
    case Phase::create:
        return 10;
    case Phase::part_upload:
        return 24;
    case Phase::completion_wait:
        return 4;
    case Phase::download:
        return 8;
    case Phase::rename:
        return 6;
    case Phase::journal_write:
        return 16;
    case Phase::version_download:
        return 1;
    }
    return 1;
}

/// Number of points in all: FIOS_CRASH_POINTS (`all` or a number), 8 by default (one per
/// phase).
std::size_t point_count() {
    const char* v = std::getenv("FIOS_CRASH_POINTS");
    if (v != nullptr && std::string(v) == "all")
        return k_points_all;
    return env_size("FIOS_CRASH_POINTS", k_phases, k_points_all);
}

/// The k of point `i`, from the seed (splitmix64 of seed and i).
std::uint64_t depth_at(std::uint64_t seed, std::size_t i, Phase p) {
    std::uint64_t z = seed * 0x9e3779b97f4a7c15ULL + i + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return 1 + (z ^ (z >> 31)) % depth_of(p);
}

/// The emulator for crash points: its rate limits lifted (the children still pace themselves
/// to the documented limits), so that restarts spend their time on recovery, not on 429s.
FixtureOptions crash_options() {
    FixtureOptions o;
    o.rate_limited = false;
    return o;
}

/// The scenario of one point: the workload, what each path must hold, and the stack.
struct Scenario {
    Workload work;
    Tree expected;
    std::string stack = "stack/cut.mov";
};

Scenario set_up(SyncFixture& fx, std::size_t files, std::uint64_t seed) {
    Scenario s;
    s.work = make_workload(files, seed, 20, 3);
    s.work.local.push_back({"big/ten-a.mov", k_ten_parts});
    s.work.local.push_back({"big/ten-b.mov", k_ten_parts + 7});
    populate(fx, s.work, s.expected);
    // A version stack whose head takes three parts to come down.
    fx.remote().insert(s.stack, "the first cut");
    const std::string head = make_content(k_three_parts, seed_of(s.stack) + 1);
    fx.remote().add_version(s.stack, head);
    s.expected.insert_or_assign("stack", folder_node());
    s.expected.insert_or_assign(s.stack, file_node(head));
    fx.publish_checksums();
    return s;
}

/// Size of the state database's WAL (0 when there is none).
std::uintmax_t wal_size(SyncFixture& fx) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(fx.state_db_path().string() + "-wal", ec);
    return ec ? 0 : n;
}

/// The condition of a point: true once the child has gone `k` deep into `phase`.
std::function<bool()> condition(SyncFixture& fx, const Scenario& s, Phase phase, std::uint64_t k) {
    auto stats = [&fx] { return fx.emulator().stats(); };
    switch (phase) {
    case Phase::discovery:
        return [=] { return count_listings(stats()) >= static_cast<long>(k); };
    case Phase::create:
        return [=] { return count_creates(stats()) >= static_cast<long>(k); };
    case Phase::part_upload:
        return [=] { return count(stats(), "PUT /parts") >= static_cast<long>(k); };
    case Phase::completion_wait:
        return [&fx, &s, k] {
            const Tree remote = fx.remote_tree();
            std::uint64_t complete = 0;
            for (const auto& f : s.work.local) {
                auto it = remote.find(f.path);
                complete += it != remote.end() && it->second.kind == NodeKind::file ? 1U : 0U;
            }
            return complete >= k;
        };
    case Phase::download:
        return [=] { return count(stats(), "GET /originals") >= static_cast<long>(k); };
    case Phase::rename:
        return [&fx, &s, k] {
            std::uint64_t here = 0;
            for (const auto& f : s.work.remote)
                here += fx.local().exists(f.path) ? 1U : 0U;
            return here >= k;
        };
    case Phase::journal_write:
        return [&fx, k, last = std::uintmax_t{0}, grew = std::uint64_t{0}]() mutable {
            const auto now = wal_size(fx);
            if (now > last) {
                grew += last == 0 && grew == 0 ? 0 : 1; // the first sight is the baseline
                last = now;
            }
            return grew >= k;
        };
    case Phase::version_download:
        return [&fx, &s] {
            for (const auto& [path, size] : fx.local().temp_sizes()) {
                if (path.starts_with("stack/") && size > 0)
                    return true;
            }
            return fx.local().exists(s.stack);
        };
    }
    return [] { return true; };
}

/// SIGKILLs a slowed `sync --once` child at the point; returns whether the point was reached.
bool kill_at(SyncFixture& fx, const std::function<bool()>& reached) {
    fx.emulator().reset_rate_limits();
    fx.emulator().reset_stats();
    // Slowed so that every phase lasts long enough to be caught by polling; half the downloads
    // are cut short so that temporary files hold partial bytes when the kill comes.
    fx.emulator().set_faults(R"({"latency_ms": 40, "truncate": 0.3, "seed": 5})");
    SpawnedProcess child(fx.cli_argv({"sync", "--once", "--jobs", "2", "--part-jobs", "2"}),
                         soak_cli_options(fx));
    const auto started = std::chrono::steady_clock::now();
    const bool met = wait_until(reached, 90s, 2ms);
    std::cerr << "  killed after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms\n";
    ::kill(child.pid(), SIGKILL);
    const ProcessResult r = child.wait(30s);
    fx.emulator().set_faults("{}");
    INFO(tail(r.err));
    CHECK(r.exit_code == 128 + SIGKILL);
    return met;
}

void run_points(Phase phase) {
    const std::size_t files = env_size("FIOS_CRASH_FILES", 40, 200);
    const std::uint64_t seed = env_seed("FIOS_CRASH_SEED", 21);
    const std::size_t points = point_count();
    for (std::size_t i = static_cast<std::size_t>(phase); i < points; i += k_phases) {
        const std::uint64_t k = depth_at(seed, i, phase);
        DYNAMIC_SECTION("point " << i << ": " << name_of(phase) << ", k = " << k) {
            SyncFixture fx(crash_options());
            announce("crash point " + std::to_string(i) + " (" + std::string(name_of(phase)) +
                         ", k = " + std::to_string(k) + ")",
                     fx, files, seed);
            Scenario s = set_up(fx, files, seed);
            REQUIRE(kill_at(fx, condition(fx, s, phase, k)));
            check_invariants(fx, s.expected);
            const int runs = run_until_converged(fx, s.expected, 3);
            INFO(tree_diff(s.expected, fx.local_tree()));
            INFO(tree_diff(s.expected, fx.remote_tree()));
            REQUIRE(runs <= 3);
            CHECK(fx.local().temp_files().empty());
            INFO("listed twice through the API: " << join(api_duplicates(fx, s.expected)));
            CHECK(api_duplicates(fx, s.expected).empty());
        }
    }
}

} // namespace

TEST_CASE("crash points: discovery", "[crash][points]") {
    run_points(Phase::discovery);
}
TEST_CASE("crash points: create", "[crash][points]") {
    run_points(Phase::create);
}
TEST_CASE("crash points: part upload", "[crash][points]") {
    run_points(Phase::part_upload);
}
TEST_CASE("crash points: completion wait", "[crash][points]") {
    run_points(Phase::completion_wait);
}
TEST_CASE("crash points: download", "[crash][points]") {
    run_points(Phase::download);
}
TEST_CASE("crash points: rename", "[crash][points]") {
    run_points(Phase::rename);
}
TEST_CASE("crash points: journal write", "[crash][points]") {
    run_points(Phase::journal_write);
}
TEST_CASE("crash points: version stack download", "[crash][points]") {
    run_points(Phase::version_download);
}

TEST_CASE("crash: the emulator killed and restarted mid-run on its --data - the sync converges",
          "[crash][emulator]") {
    const std::size_t files = env_size("FIOS_CRASH_FILES", 40, 200);
    const std::uint64_t seed = env_seed("FIOS_CRASH_SEED", 21);
    fios::test::TempDir data("fios-emu-data");
    FixtureOptions o = crash_options();
    o.emulator_args = {"--data", data.path().string()};
    SyncFixture fx(o);
    announce("emulator crash", fx, files, seed);
    Scenario s = set_up(fx, files, seed);

    fx.emulator().reset_rate_limits();
    fx.emulator().reset_stats();
    fx.emulator().set_faults(R"({"latency_ms": 40})");
    SpawnedProcess child(fx.cli_argv({"sync", "--once", "--jobs", "2", "--part-jobs", "2"}),
                         soak_cli_options(fx));
    // Uploads and downloads under way: parts stored, a download asked for.
    REQUIRE(wait_until(
        [&] {
            const Stats st = fx.emulator().stats();
            return count(st, "PUT /parts") >= 6 && count(st, "GET /originals") >= 1;
        },
        90s, 2ms));
    fx.emulator().kill_and_restart();
    // The child meets refused connections, then the restarted emulator: it finishes, or ends
    // with a failure it reports (never a crash of its own).
    const ProcessResult first = child.wait(180s);
    INFO(tail(first.err));
    CHECK_FALSE(first.timed_out);
    CHECK((first.exit_code == 0 || first.exit_code == 1 || first.exit_code == 75));
    check_invariants(fx, s.expected);
    const int runs = run_until_converged(fx, s.expected, 3);
    INFO(tree_diff(s.expected, fx.local_tree()));
    INFO(tree_diff(s.expected, fx.remote_tree()));
    REQUIRE(runs <= 3);
    CHECK(fx.local().temp_files().empty());
    INFO("listed twice through the API: " << join(api_duplicates(fx, s.expected)));
    CHECK(api_duplicates(fx, s.expected).empty());
}
