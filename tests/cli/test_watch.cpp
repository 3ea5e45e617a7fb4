// SPDX-License-Identifier: MIT
// sync --watch: the real CLI, left running against the emulator, on both API generations.
// Every wait is a condition with a deadline (the deadlines are generous for loaded CI
// machines; the latencies themselves are measured in bench/watch_bench.py).
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

using namespace fios::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string k_legacy = "legacy-token-0123456789";
constexpr auto k_deadline = std::chrono::milliseconds{60s};

enum class Api { v2, v4 };

/// A fixture on `api` with the demo project selected into `<home>/Demo`, files settled after
/// one second.
struct WatchSetup {
    explicit WatchSetup(Api generation, std::vector<std::string> extra_emulator_args = {})
        : api(generation), f(emulator_args(generation, std::move(extra_emulator_args))) {
        f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "1";
        log_in(f.env);
        auto sel = f.run({"select", "Demo Project", "--to", folder.string()});
        INFO(sel.err);
        REQUIRE(sel.exit_code == 0);
    }

    static std::vector<std::string> emulator_args(Api generation, std::vector<std::string> extra) {
        std::vector<std::string> args{"--seed-demo"};
        if (generation == Api::v2)
            args.insert(args.end(), {"--token", k_token});
        else
            args.insert(args.end(), {"--v4-legacy-token", k_legacy});
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    /// Logs in with the environment `env` (the fixture's, or another client's).
    void log_in(std::map<std::string, std::optional<std::string>>& env) {
        if (api == Api::v4)
            env["FRAMEIO_SYNC_API"] = "v4";
        RunOptions o = f.options(api == Api::v2 ? std::string(k_token) + "\n" : k_legacy + "\n");
        o.env = env;
        auto r = run_process(f.argv({"login", "--token-stdin"}), o);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    /// A second frameio-sync with its own state and folder on the same account: how a
    /// colleague adds files on Frame.io.
    ProcessResult other_client(const std::vector<std::string>& args) {
        auto env = f.env;
        env["XDG_CONFIG_HOME"] = (f.home.path() / "other-config").string();
        env["XDG_STATE_HOME"] = (f.home.path() / "other-state").string();
        env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
        if (!other_ready) {
            log_in(env);
            RunOptions o = f.options();
            o.env = env;
            auto sel =
                run_process(f.argv({"select", "Demo Project", "--to", other_folder.string()}), o);
            INFO(sel.err);
            REQUIRE(sel.exit_code == 0);
            other_ready = true;
        }
        RunOptions o = f.options();
        o.env = env;
        return run_process(f.argv(args), o);
    }

    std::unique_ptr<SpawnedProcess> start_watch(std::vector<std::string> args = {},
                                                std::map<std::string, std::string> env = {}) {
        std::vector<std::string> full{"sync", "--watch"};
        full.insert(full.end(), args.begin(), args.end());
        RunOptions o = f.options();
        for (const auto& [k, v] : env)
            o.env[k] = v;
        return std::make_unique<SpawnedProcess>(f.argv(full), o);
    }

    /// The emulator's state dump.
    rapidjson::Document state() {
        auto r = http_request("GET", f.emulator.base_url() + "/_emulator/state");
        REQUIRE(r.status == 200);
        return parse_json(r.body);
    }

    /// How many complete, not deleted files named `name` of `size` bytes Frame.io holds.
    int remote_files(const std::string& name, std::uint64_t size) {
        auto s = state();
        int n = 0;
        for (const auto& a : s["assets"].GetArray()) {
            if (std::string(a["type"].GetString()) != "file" || a["deleted"].GetBool() ||
                std::string(a["name"].GetString()) != name)
                continue;
            if (a["filesize"].GetUint64() != size)
                continue;
            if (a.HasMember("upload_completed_at") && a["upload_completed_at"].IsNull())
                continue;
            ++n;
        }
        return n;
    }

    bool synced_initially() { return fs::exists(folder / "notes.txt"); }

    /// True when `status` shows the watcher in `state` ("idle", "syncing", ...).
    bool in_state(const std::string& state) {
        auto r = f.run({"status", "--json"});
        if (r.exit_code != 0)
            return false;
        auto s = parse_json(r.out);
        return s["watcher"].IsObject() && s["watcher"]["state"].GetString() == state;
    }

    /// True once `status` shows `watcher` as the running watcher (its signal handlers are
    /// installed and its first run has begun).
    bool watching(const SpawnedProcess& watcher) {
        auto r = f.run({"status", "--json"});
        if (r.exit_code != 0)
            return false;
        auto s = parse_json(r.out);
        return s["watcher"].IsObject() && s["watcher"]["pid"].GetInt64() == watcher.pid();
    }

    Api api;
    CliFixture f;
    fs::path folder = f.home.path() / "Demo";
    fs::path other_folder = f.home.path() / "Other";
    bool other_ready = false;
};

/// Sends `signal_number` to a running child (never to a pid <= 0: kill(-1) signals every
/// process).
void signal_child(const SpawnedProcess& child, int signal_number) {
    REQUIRE(child.pid() > 0);
    ::kill(child.pid(), signal_number);
}

/// SIGTERM, as systemd and Ctrl-C stop a watch: it must exit 0 within 10 s. Returns the
/// result (stderr in `err`).
ProcessResult stop(SpawnedProcess& watcher) {
    const auto asked = std::chrono::steady_clock::now();
    signal_child(watcher, SIGTERM);
    auto ended = watcher.wait(20s);
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    CHECK(std::chrono::steady_clock::now() - asked < 10s);
    return ended;
}

Api generation() {
    return GENERATE(Api::v2, Api::v4);
}

std::string name_of(Api api) {
    return api == Api::v2 ? "v2" : "v4";
}

/// What the watcher logged so far ("" before it has written anything).
std::string log_text(const fs::path& log) {
    std::ifstream in(log);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The emulator's stats key of a folder listing (on V4, one of a folder's three lists).
std::string folder_listing_route(Api api) {
    return api == Api::v4 ? "GET /v4/accounts/{account_id}/folders/{folder_id}/files"
                          : "GET /v2/assets/{id}/children";
}

} // namespace

TEST_CASE("sync --watch: local changes reach Frame.io by inotify alone, status shows the "
          "watcher, --once is refused with its pid, SIGTERM stops it with 0",
          "[cli][watch]") {
    const Api api = generation();
    INFO("api " << name_of(api));
    WatchSetup w(api);
    // An hour between remote checks: everything below happens because of local events.
    auto watcher = w.start_watch({"--interval", "1h"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));

    write_file(w.folder / "from-watch.txt", "written while watching");
    CHECK(wait_until([&] { return w.remote_files("from-watch.txt", 22) == 1; }, k_deadline));

    // A folder made while watching is watched: a file put in it later goes up too.
    fs::create_directories(w.folder / "New" / "Deeper");
    REQUIRE(wait_until([&] { return w.remote_files("from-watch.txt", 22) == 1; }, k_deadline));
    std::this_thread::sleep_for(300ms); // let the watcher see the folders before the file
    write_file(w.folder / "New" / "Deeper" / "inside.txt", "in a new folder");
    CHECK(wait_until([&] { return w.remote_files("inside.txt", 15) == 1; }, k_deadline));

    auto status = w.f.run({"status", "--json"});
    INFO(status.err);
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    REQUIRE(s["watcher"].IsObject());
    CHECK(s["watcher"]["pid"].GetInt64() == watcher->pid());
    CHECK(s["running_pid"].GetInt64() == watcher->pid());
    REQUIRE(s["watcher"]["projects"].Size() == 1);
    CHECK(s["watcher"]["projects"][0]["watched"].GetBool());
    CHECK(s["watcher"]["projects"][0]["last_run"].IsString());
    auto text = w.f.run({"status"});
    CHECK(contains(text.out, "sync --watch is running (pid " + std::to_string(watcher->pid())));

    auto once = w.f.run({"sync", "--once"});
    CHECK(once.exit_code == 75);
    CHECK(contains(once.err, "(pid " + std::to_string(watcher->pid()) + ")"));

    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(contains(ended.err, "stopped"));
    // Lines carry a UTC time stamp on a terminal or in a file (not under systemd).
    CHECK(std::regex_search(ended.err, std::regex(R"(^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ )")));
    CHECK(w.remote_files("from-watch.txt", 22) == 1); // never twice

    // After the watcher: status no longer shows it, and --once runs again.
    auto after = w.f.run({"status", "--json"});
    CHECK(parse_json(after.out)["watcher"].IsNull());
    auto again = w.f.run({"sync", "--once"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK_FALSE(contains(again.err, "upload:")); // at most a checksum still to see (V2)
}

TEST_CASE("sync --watch: a new asset on Frame.io arrives within the interval", "[cli][watch]") {
    const Api api = generation();
    INFO("api " << name_of(api));
    WatchSetup w(api, {"--no-rate-limit"});
    auto watcher = w.start_watch({"--interval", "2s"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));

    fs::create_directories(w.other_folder);
    write_file(w.other_folder / "from-colleague.txt", "added elsewhere");
    auto up = w.other_client({"sync", "--once"});
    INFO(up.err);
    REQUIRE(up.exit_code == 0);
    REQUIRE(w.remote_files("from-colleague.txt", 15) == 1);
    CHECK(wait_until([&] { return fs::exists(w.folder / "from-colleague.txt"); }, k_deadline));
    CHECK(read_file(w.folder / "from-colleague.txt") == "added elsewhere");

    auto ended = stop(*watcher);
    INFO(ended.err);
    // The download's echo (its inotify events) did not make the watcher upload it back.
    CHECK(w.remote_files("from-colleague.txt", 15) == 1);
}

TEST_CASE("sync --watch: a file still growing is uploaded only once it has settled",
          "[cli][watch]") {
    WatchSetup w(Api::v2, {"--no-rate-limit"});
    w.f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "2";
    auto watcher = w.start_watch({"--interval", "1h"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));

    const fs::path growing = w.folder / "render.mov";
    std::string content;
    bool seen_early = false;
    for (int i = 0; i < 12; ++i) { // 12 appends, 400 ms apart: never quiet for 2 s
        content += std::string(1000, static_cast<char>('a' + i));
        {
            std::ofstream out(growing, std::ios::app | std::ios::binary);
            out << std::string(1000, static_cast<char>('a' + i));
        }
        std::this_thread::sleep_for(400ms);
        auto s = w.state();
        for (const auto& a : s["assets"].GetArray()) {
            if (std::string(a["name"].GetString()) == "render.mov")
                seen_early = true;
        }
    }
    CHECK_FALSE(seen_early);
    CHECK(
        wait_until([&] { return w.remote_files("render.mov", content.size()) == 1; }, k_deadline));
    stop(*watcher);
}

TEST_CASE("sync --watch: SIGHUP reads the selections again, a new selection is synced",
          "[cli][watch]") {
    WatchSetup w(Api::v2, {"--no-rate-limit"});
    auto watcher = w.start_watch({"--interval", "1h"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));

    const std::string id = w.f.create_project(w.f.first_team_id(), "Second");
    const fs::path second = w.f.home.path() / "Second";
    auto sel = w.f.run({"select", "Second", "--to", second.string()});
    INFO(sel.err);
    REQUIRE(sel.exit_code == 0);
    write_file(second / "second.txt", "for the new selection");
    signal_child(*watcher, SIGHUP);
    CHECK(wait_until([&] { return w.remote_files("second.txt", 21) == 1; }, k_deadline));

    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(contains(ended.err, "SIGHUP: configuration and selections reloaded"));
}

TEST_CASE("sync --watch: out of inotify watches, a project is polled, with one warning that "
          "says how to raise the limit",
          "[cli][watch]") {
    WatchSetup w(Api::v2, {"--no-rate-limit"});
    // The demo project has 8 folders; a limit of 2 watches is reached at once.
    auto watcher = w.start_watch({"--interval", "2s"}, {{"FIOS_WATCH_MAX_WATCHES", "2"}});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    write_file(w.folder / "Footage" / "Day 1" / "polled.txt", "found by a scan");
    CHECK(wait_until([&] { return w.remote_files("polled.txt", 15) == 1; }, k_deadline));

    auto status = w.f.run({"status", "--json"});
    REQUIRE(status.exit_code == 0);
    CHECK_FALSE(parse_json(status.out)["watcher"]["projects"][0]["watched"].GetBool());

    auto ended = stop(*watcher);
    INFO(ended.err);
    std::size_t warnings = 0;
    for (std::size_t at = ended.err.find("max_user_watches"); at != std::string::npos;
         at = ended.err.find("max_user_watches", at + 1))
        ++warnings;
    CHECK(warnings == 1);
}

TEST_CASE("sync --watch: server faults and a 429 burst are survived without exiting",
          "[cli][watch]") {
    const Api api = generation();
    INFO("api " << name_of(api));
    WatchSetup w(api, {"--faults", "api5xx=0.2,part5xx=0.1,seed=11"});
    // A failed item waits 2 s before it is tried again, not the policy's minutes: this test
    // is about surviving faults, not the length of the backoff (docs/testing.md).
    auto watcher = w.start_watch({"--interval", "2s"}, {{"FIOS_TEST_RETRY_BACKOFF_SECONDS", "2"}});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    auto burst = http_request("POST", w.f.emulator.base_url() + "/_emulator/faults",
                              R"({"api5xx": 0.2, "part5xx": 0.1, "seed": 11, "burst429": 6})");
    REQUIRE(burst.status == 200);
    write_file(w.folder / "through-faults.txt", "despite the faults");
    // The watch works through faults until it has met a good number of them (or the file is
    // through), and is still running; then the faults stop. A create is never retried at once
    // (its outcome is unknown), so the file may wait for its backoff.
    const auto arrived = [&] { return w.remote_files("through-faults.txt", 18) == 1; };
    const auto faults_met = [&] {
        auto stats = http_request("GET", w.f.emulator.base_url() + "/_emulator/stats");
        long failed = 0;
        if (stats.status == 200) {
            auto doc = parse_json(stats.body);
            for (const auto& m : doc["statuses"].GetObject()) {
                const std::string code = m.name.GetString();
                if (code == "429" || code[0] == '5')
                    failed += static_cast<long>(m.value.GetInt64());
            }
        }
        return failed >= 15;
    };
    CHECK(wait_until([&] { return arrived() || faults_met(); }, std::chrono::milliseconds{120s},
                     std::chrono::milliseconds{200}));
    CHECK(::kill(watcher->pid(), 0) == 0); // still running
    REQUIRE(http_request("POST", w.f.emulator.base_url() + "/_emulator/faults", "{}").status ==
            200);
    const bool through = wait_until(arrived, std::chrono::milliseconds{240s});
    CHECK(::kill(watcher->pid(), 0) == 0);
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(through);
}

TEST_CASE("sync --watch: an access token that expires mid-watch is renewed", "[cli][watch]") {
    // V4 server-to-server login: IMS access tokens of 2 minutes, renewed 60 s before they end.
    CliFixture f(
        {"--seed-demo", "--ims-s2s", "s2s1:s3cret-s2s", "--token-ttl", "120", "--no-rate-limit"});
    f.use_v4();
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "1";
    f.env["FRAMEIO_CLIENT_SECRET"] = "s3cret-s2s";
    auto login = f.run({"login", "--s2s", "--client-id", "s2s1"});
    INFO(login.err);
    REQUIRE(login.exit_code == 0);
    const fs::path folder = f.home.path() / "Demo";
    REQUIRE(f.run({"select", "Demo Project", "--to", folder.string()}).exit_code == 0);
    SpawnedProcess watcher(f.argv({"sync", "--watch", "--interval", "1h"}), f.options());
    REQUIRE(wait_until([&] { return fs::exists(folder / "notes.txt"); }, k_deadline));
    const long tokens_before = f.emulator_request_count_for("POST /ims/token/v3");

    // Three hours pass on Frame.io's side: the access token the watcher holds has expired.
    advance_emulator_clock(f.emulator.base_url(), 3 * 3600);
    write_file(folder / "after-expiry.txt", "token renewed");
    CHECK(wait_until(
        [&] {
            auto r = http_request("GET", f.emulator.base_url() + "/_emulator/state");
            return contains(r.body, "\"after-expiry.txt\"");
        },
        k_deadline));
    CHECK(f.emulator_request_count_for("POST /ims/token/v3") > tokens_before);
    auto ended = stop(watcher);
    INFO(ended.err);
}

TEST_CASE("sync --watch: SIGTERM during an upload stops within seconds, the next sync "
          "resumes it without a duplicate",
          "[cli][watch]") {
    // 1 MiB parts, 150 ms per part request: a 12 MiB upload takes about two seconds.
    WatchSetup w(Api::v2,
                 {"--no-rate-limit", "--part-size", "1048576", "--faults", "latency_ms=150"});
    w.f.env["FRAMEIO_SYNC_PART_JOBS"] = "1";
    auto watcher = w.start_watch({"--interval", "1h"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, std::chrono::milliseconds{120s}));
    const std::uint64_t size = 12u << 20;
    write_file(w.folder / "big.bin", std::string(size, 'x'));
    REQUIRE(
        wait_until([&] { return w.f.emulator_request_count_for("PUT /parts") >= 2; }, k_deadline));
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(w.remote_files("big.bin", size) == 0); // not complete yet

    auto resumed = w.f.run({"sync", "--once", "--json"});
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(contains(resumed.out, "\"action\":\"resume_upload\""));
    CHECK(w.remote_files("big.bin", size) == 1);
    // Every part was sent about once (the parts stored before SIGTERM were not sent again).
    CHECK(w.f.emulator_request_count_for("PUT /parts") <= 12 + 2);
}

TEST_CASE("sync --watch: usage, login and lock errors exit with their codes, --log-file "
          "appends",
          "[cli][watch]") {
    WatchSetup w(Api::v2, {"--no-rate-limit"});
    CHECK(w.f.run({"sync"}).exit_code == 2);
    CHECK(w.f.run({"sync", "--once", "--watch"}).exit_code == 2);
    CHECK(w.f.run({"sync", "--watch", "--interval", "0"}).exit_code == 2);
    CHECK(w.f.run({"sync", "--watch", "--interval", "5 minutes"}).exit_code == 2);
    CHECK(w.f.run({"sync", "--watch", "--dry-run"}).exit_code == 2);
    CHECK(w.f.run({"sync", "--once", "--interval", "5m"}).exit_code == 2);
    auto unwritable = w.f.run({"sync", "--watch", "--log-file", "/proc/no/such/file"});
    CHECK(unwritable.exit_code == 78);
    CHECK(contains(unwritable.err, "/proc/no/such/file"));
    auto logged_out = w.f.run({"sync", "--watch"}, {},
                              {{"XDG_CONFIG_HOME", (w.f.home.path() / "none").string()}});
    CHECK(logged_out.exit_code == 77);

    const fs::path log = w.f.home.path() / "watch.log";
    for (int round = 0; round < 2; ++round) {
        auto watcher = w.start_watch({"--interval", "1h", "--log-file", log.string()});
        REQUIRE(wait_until([&] { return w.watching(*watcher); }, k_deadline));
        REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
        stop(*watcher);
    }
    const std::string text = read_file(log);
    std::size_t starts = 0;
    for (std::size_t at = text.find("watching 1 project"); at != std::string::npos;
         at = text.find("watching 1 project", at + 1))
        ++starts;
    CHECK(starts == 2); // appended, not replaced
    CHECK(std::regex_search(text, std::regex(R"(\n20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ stopped)")));
    CHECK((fs::status(log).permissions() & fs::perms::others_read) == fs::perms::none);
}

TEST_CASE("sync --watch on V4 at the emulator's default rate limits: never a 429 over many "
          "remote checks",
          "[cli][watch][v4]") {
    WatchSetup w(Api::v4); // default V4 limits: 5/s per folder list, 100/min per show
    auto watcher = w.start_watch({"--interval", "1s"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    write_file(w.folder / "Stills" / "budget.txt", "within the limits");
    const std::string files_route = "GET /v4/accounts/{account_id}/folders/{folder_id}/files";
    // The demo project has 8 folders; a remote check at --interval 1s may list 2 of them
    // (remote_check_budget: 1 s x 5 per second x 0.5): 80 listings are about forty checks.
    CHECK(wait_until([&] { return w.f.emulator_request_count_for(files_route) >= 80; },
                     std::chrono::milliseconds{120s}, std::chrono::milliseconds{200}));
    CHECK(w.remote_files("budget.txt", 17) == 1);
    auto stats = http_request("GET", w.f.emulator.base_url() + "/_emulator/stats");
    REQUIRE(stats.status == 200);
    auto s = parse_json(stats.body);
    INFO(stats.body);
    CHECK_FALSE(s["statuses"].HasMember("429"));
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK_FALSE(contains(ended.err, "rate limited"));
}

TEST_CASE("sync --watch: a local change lists its own folder on Frame.io, not the project, "
          "status shows the last complete check",
          "[cli][watch]") {
    const Api api = generation();
    INFO("api " << name_of(api));
    WatchSetup w(api);
    auto watcher = w.start_watch({"--interval", "1h"}); // no remote check meanwhile
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    REQUIRE(wait_until([&] { return w.in_state("idle"); }, k_deadline));
    REQUIRE(http_request("DELETE", w.f.emulator.base_url() + "/_emulator/stats").status == 200);

    write_file(w.folder / "Stills" / "partial.txt", "one folder");
    CHECK(wait_until([&] { return w.remote_files("partial.txt", 10) == 1; }, k_deadline));
    // The demo project has 8 folders; the run lists Stills alone (the whole project before).
    const std::string listing = folder_listing_route(api);
    CHECK(w.f.emulator_request_count_for(listing) == 1);

    auto status = w.f.run({"status", "--json"});
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    INFO(status.out);
    REQUIRE(s["watcher"].IsObject());
    CHECK(s["watcher"]["projects"][0]["checked_whole"].IsString()); // the first, whole run
    auto text = w.f.run({"status"});
    CHECK(contains(text.out, "every folder checked since"));
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
}

TEST_CASE("sync --watch on V4: a local change does not wait for a long remote check - the "
          "check gives way and goes on after it",
          "[cli][watch][v4]") {
    // Listings at one per 2 s on each route, one at a time (--jobs 1): a remote check of the
    // demo project's 8 folders takes 16 s.
    WatchSetup w(Api::v4,
                 {"--rate-limit", "v4:files.list=1/2000", "--rate-limit", "v4:folders.list=1/2000",
                  "--rate-limit", "v4:version_stacks.list=1/2000"});
    auto watcher = w.start_watch({"--interval", "4s", "--jobs", "1"});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    const std::string files_route = "GET /v4/accounts/{account_id}/folders/{folder_id}/files";
    REQUIRE(
        wait_until([&] { return w.in_state("idle"); }, k_deadline, std::chrono::milliseconds{100}));
    // The first run met the lower limits with the documented ones (a 429 or two); from here
    // on the client paces by what the server said.
    REQUIRE(http_request("DELETE", w.f.emulator.base_url() + "/_emulator/stats").status == 200);
    const long before = w.f.emulator_request_count_for(files_route);
    // The next remote check has begun: its first folder is listed, seven more to go.
    REQUIRE(wait_until([&] { return w.f.emulator_request_count_for(files_route) > before; },
                       k_deadline, std::chrono::milliseconds{50}));
    const auto written = std::chrono::steady_clock::now();
    write_file(w.folder / "Stills" / "during-check.txt", "while Frame.io is checked");
    REQUIRE(wait_until([&] { return w.remote_files("during-check.txt", 25) == 1; }, k_deadline,
                       std::chrono::milliseconds{100}));
    const auto took = std::chrono::steady_clock::now() - written;
    const long listed = w.f.emulator_request_count_for(files_route) - before;
    INFO("uploaded after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms, with " << listed << " folder listings since the check began");
    // Waiting for the check would have listed its 8 folders and then Stills for the change:
    // 9. Giving way: the folders begun before the change was due, then Stills.
    CHECK(listed <= 6);
    // The check goes on after the upload and lists the folders it left.
    CHECK(wait_until([&] { return w.f.emulator_request_count_for(files_route) >= before + 9; },
                     k_deadline, std::chrono::milliseconds{200}));
    auto stats = http_request("GET", w.f.emulator.base_url() + "/_emulator/stats");
    REQUIRE(stats.status == 200);
    INFO(stats.body);
    CHECK_FALSE(parse_json(stats.body)["statuses"].HasMember("429"));
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(contains(ended.err, "during-check.txt"));
}

TEST_CASE("sync --watch: the safety-net rescan compares with the last run's own scan - an "
          "unchanged folder lists nothing on Frame.io",
          "[cli][watch]") {
    const Api api = generation();
    INFO("api " << name_of(api));
    WatchSetup w(api, {"--no-rate-limit"});
    const fs::path log = w.f.home.path() / "watch.log";
    // Rescans every 6 s: time for a change to be uploaded between two of them.
    auto watcher = w.start_watch({"--interval", "1h", "-v", "--log-file", log.string()},
                                 {{"FIOS_WATCH_RESCAN_SECONDS", "6"}});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    const auto lines_with = [&](const std::string& phrase) {
        const std::string text = log_text(log);
        std::size_t n = 0;
        for (auto at = text.find(phrase); at != std::string::npos; at = text.find(phrase, at + 1))
            ++n;
        return n;
    };
    const auto unchanged_scans = [&] { return lines_with("no change since the last look"); };
    // Right after a rescan (and the run it may start: the first run downloaded, so the first
    // rescan has nothing to compare with), a local change is uploaded by a run that scans the
    // folder and writes nothing in it, before the next rescan.
    REQUIRE(wait_until([&] { return lines_with(": scanned ") >= 1 && w.in_state("idle"); },
                       k_deadline, std::chrono::milliseconds{100}));
    write_file(w.folder / "Stills" / "rescanned.txt", "seen by inotify");
    REQUIRE(wait_until([&] { return w.remote_files("rescanned.txt", 15) == 1; }, k_deadline,
                       std::chrono::milliseconds{100}));
    REQUIRE(wait_until([&] { return w.in_state("idle"); }, k_deadline));
    REQUIRE(http_request("DELETE", w.f.emulator.base_url() + "/_emulator/stats").status == 200);
    const std::size_t before = unchanged_scans();
    // The next two rescans find the folder as that run left it, so neither runs the project
    // (compared with the rescan before the change, the new file would look like a change
    // nobody synced, and the project would be listed whole).
    CHECK(wait_until([&] { return unchanged_scans() >= before + 2; }, k_deadline,
                     std::chrono::milliseconds{100}));
    const std::string listing = folder_listing_route(api);
    CHECK(w.f.emulator_request_count_for(listing) == 0);
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
}

TEST_CASE("sync --watch: a change a poll finds lists only the folders that changed",
          "[cli][watch]") {
    const Api api = generation();
    INFO("api " << name_of(api));
    WatchSetup w(api, {"--no-rate-limit"});
    const fs::path log = w.f.home.path() / "watch.log";
    // Out of watches at once (the demo project has 8 folders): the project is polled, every 2 s.
    auto watcher =
        w.start_watch({"--interval", "1h", "-v", "--log-file", log.string()},
                      {{"FIOS_WATCH_MAX_WATCHES", "2"}, {"FIOS_WATCH_POLL_SECONDS", "2"}});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    const auto log_has = [&](const std::string& phrase) {
        return log_text(log).find(phrase) != std::string::npos;
    };
    // The first run downloaded, so the first poll has nothing to compare with and syncs the
    // project whole; that run writes nothing, and its scan is what later polls compare with.
    REQUIRE(
        wait_until([&] { return log_has("no change since the last look") && w.in_state("idle"); },
                   k_deadline, std::chrono::milliseconds{100}));
    REQUIRE(http_request("DELETE", w.f.emulator.base_url() + "/_emulator/stats").status == 200);
    write_file(w.folder / "Footage" / "Day 1" / "polled.txt", "found by a poll");
    REQUIRE(wait_until([&] { return w.remote_files("polled.txt", 15) == 1; }, k_deadline,
                       std::chrono::milliseconds{100}));
    CHECK(log_has("changed since the last look in 1 folder(s), syncing those"));
    // One folder listed (V4: its three lists), where the whole project lists 8.
    const std::string listing = folder_listing_route(api);
    CHECK(w.f.emulator_request_count_for(listing) == 1);
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
}

TEST_CASE("sync --watch: after the kernel drops events, a scan finds what changed - only those "
          "folders are listed",
          "[cli][watch]") {
    std::size_t queued = 16384;
    if (std::ifstream in("/proc/sys/fs/inotify/max_queued_events"); in)
        in >> queued;
    if (queued > 100000) {
        WARN("max_queued_events is " << queued << ": too many files to overflow it here");
        return;
    }
    const Api api = generation();
    INFO("api " << name_of(api));
    // Checksums at once: on V2 a download awaiting its checksum is pending work outside a
    // partial run's folders, and a run that leaves such work leaves no baseline to compare
    // with (the scan would then run the project whole).
    WatchSetup w(api, {"--no-rate-limit", "--checksum-delay", "0"});
    const fs::path log = w.f.home.path() / "watch.log";
    auto watcher = w.start_watch({"--interval", "1h", "-v", "--log-file", log.string()});
    REQUIRE(wait_until([&] { return w.synced_initially(); }, k_deadline));
    const auto log_has = [&](const std::string& phrase) {
        return log_text(log).find(phrase) != std::string::npos;
    };
    // An upload writes nothing here: its run's scan is what the scan after the overflow
    // compares with.
    write_file(w.folder / "Stills" / "before.txt", "seen by inotify");
    if (!wait_until([&] { return w.remote_files("before.txt", 15) == 1; }, k_deadline,
                    std::chrono::milliseconds{100})) {
        FAIL(log_text(log));
    }
    REQUIRE(wait_until([&] { return w.in_state("idle"); }, k_deadline));
    REQUIRE(http_request("DELETE", w.f.emulator.base_url() + "/_emulator/stats").status == 200);

    // While the watcher is stopped, more events than the kernel queues: files made and
    // removed again (no net change), and one new file.
    signal_child(*watcher, SIGSTOP);
    const fs::path churn = w.folder / "Footage";
    for (std::size_t i = 0; i < queued / 2 + 100; ++i) {
        const fs::path p = churn / ("churn-" + std::to_string(i) + ".tmp");
        write_file(p, "x");
        fs::remove(p);
    }
    write_file(w.folder / "Stills" / "after-overflow.txt", "found by the scan");
    signal_child(*watcher, SIGCONT);

    if (!wait_until([&] { return w.remote_files("after-overflow.txt", 17) == 1; }, k_deadline,
                    std::chrono::milliseconds{100})) {
        FAIL(log_text(log));
    }
    INFO(log_text(log));
    CHECK(log_has("too many local changes at once"));
    CHECK(log_has("changed since the last look in 1 folder(s), syncing those"));
    const std::string listing = folder_listing_route(api);
    // Stills (found by the scan) and Footage (the events queued before the overflow name it);
    // the whole project lists 8.
    CHECK(w.f.emulator_request_count_for(listing) <= 2);
    auto ended = stop(*watcher);
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
}

TEST_CASE("sync --watch: a small file in another project is uploaded while a long upload goes "
          "on, not after it",
          "[cli][watch]") {
    const Api api = generation();
    // 1 MiB parts, one at a time, 150 ms per request: the 64 MiB upload takes over 9 s; the
    // small file settles in 1.2 s and its whole run (listings, upload, completion) takes
    // about 2 s.
    WatchSetup w(api, {"--no-rate-limit", "--part-size", "1048576", "--v4-part-size", "1048576",
                       "--faults", "latency_ms=150"});
    w.f.env["FRAMEIO_SYNC_PART_JOBS"] = "1";
    if (api == Api::v2)
        w.f.create_project(w.f.first_team_id(), "Second");
    else
        w.f.create_project_v4(k_legacy, "Second");
    const fs::path second = w.f.home.path() / "Second";
    auto sel = w.f.run({"select", "Second", "--to", second.string()});
    INFO(sel.err);
    REQUIRE(sel.exit_code == 0);
    const fs::path log = w.f.home.path() / "watch.log";
    auto watcher = w.start_watch({"--interval", "1h", "--log-file", log.string()});
    REQUIRE(wait_until([&] { return w.synced_initially() && w.in_state("idle"); },
                       std::chrono::milliseconds{120s}));

    const std::uint64_t big = 64u << 20;
    write_file(w.folder / "big.bin", std::string(big, 'x'));
    REQUIRE(
        wait_until([&] { return w.f.emulator_request_count_for("PUT /parts") >= 2; }, k_deadline));
    const std::string small = "beside the long upload";
    write_file(second / "small.txt", small);
    CHECK(wait_until([&] { return w.remote_files("small.txt", small.size()) == 1; }, k_deadline));
    CHECK(w.remote_files("big.bin", big) == 0); // still going on

    CHECK(wait_until([&] { return w.remote_files("big.bin", big) == 1; },
                     std::chrono::milliseconds{120s}));
    auto ended = stop(*watcher);
    INFO(ended.err);
    INFO(log_text(log));
    CHECK(w.remote_files("small.txt", small.size()) == 1);
    CHECK_FALSE(contains(log_text(log), "error"));
}
