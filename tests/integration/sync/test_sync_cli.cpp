// SPDX-License-Identifier: MIT
// `frameio-sync sync --once` as a child process, where what matters is what a cron job sees:
// exit codes, `--json` lines, `--dry-run`, `status --json`, and the one-sync-at-a-time lock.
#include "sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>
#include <string>

using namespace fios::test::sync;
using fios::test::ProcessResult;
using fios::test::SpawnedProcess;
using namespace std::chrono_literals;

namespace {

std::string str_of(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

std::int64_t int_of(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : -1;
}

std::string describe(const ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out.substr(0, 4000) +
           "\n--- stderr\n" + r.err.substr(0, 4000);
}

} // namespace

TEST_CASE("cli: sync --once --json syncs both ways and exits 0 with a summary",
          "[sync][cli][exit-code]") {
    SyncFixture fx;
    // V4 accepts no empty file: up/zero is reported as unsupported and stays here (row 79).
    const bool v4 = fx.generation() == Generation::v4;
    fx.local().insert("up/a.mov", k_three_parts);
    fx.local().insert("up/zero", std::string());
    fx.remote().insert("down/b.wav", k_three_parts);
    fx.publish_checksums();

    const ProcessResult r = fx.cli({"sync", "--once", "--json"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    Tree local = fx.local_tree();
    if (v4)
        local.erase("up/zero");
    CHECK_TREES_EQUAL(local, fx.remote_tree());

    // Every stdout line is one JSON object with "v": 1 and an "event".
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        CAPTURE(line);
        const auto d = parse_json_line(line);
        REQUIRE(d.has_value());
        CHECK(int_of(*d, "v") == 1);
        CHECK_FALSE(str_of(*d, "event").empty());
    }
    const auto summaries = json_events(r.out, "summary");
    REQUIRE(summaries.size() == 1);
    const auto& s = summaries[0];
    CHECK(str_of(s, "result") == "ok");
    REQUIRE(s.HasMember("counts"));
    CHECK(int_of(s["counts"], "uploaded") == (v4 ? 1 : 2));
    CHECK(int_of(s["counts"], "downloaded") == 1);
    CHECK(int_of(s["counts"], "bytes_uploaded") == static_cast<std::int64_t>(k_three_parts));
    const auto items = json_events(r.out, "item");
    CHECK(items.size() >= 5); // 2 folders, 3 files
}

TEST_CASE("cli: a second sync --once transfers nothing", "[sync][cli]") {
    SyncFixture fx;
    fx.local().insert("a.mov", k_three_parts);
    fx.remote().insert("b.wav", k_three_parts);
    fx.publish_checksums();
    REQUIRE(fx.cli({"sync", "--once"}).exit_code == 0);
    fx.emulator().reset_stats();
    const ProcessResult r = fx.cli({"sync", "--once", "--json"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const Stats stats = fx.emulator().stats();
    CHECK(count(stats, "POST") == 0);
    CHECK(count(stats, "PUT /parts") == 0);
    CHECK(count(stats, "GET /originals") == 0);
}

TEST_CASE("cli: a conflict exits 1 and status --json reports it", "[sync][cli][exit-code]") {
    SyncFixture fx;
    fx.local().insert("clash.txt", "mine");
    fx.remote().insert("clash.txt", "theirs, longer");
    fx.local().insert("fine.txt", "fine");
    fx.publish_checksums();
    const ProcessResult r = fx.cli({"sync", "--once"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty()); // human output goes to stderr
    CHECK(r.err.find("clash.txt") != std::string::npos);
    CHECK(fx.local().read("clash.txt") == "mine");
    CHECK(fx.remote_tree().at("fine.txt") == file_node("fine")); // the rest synced

    const ProcessResult st = fx.cli({"status", "--json"});
    INFO(describe(st));
    REQUIRE(st.exit_code == 0);
    const auto d = parse_json_line(st.out);
    REQUIRE(d.has_value());
    REQUIRE((*d)["projects"].Size() == 1);
    const auto& counts = (*d)["projects"][0]["counts"];
    CHECK(int_of(counts, "conflicts") == 1);
    CHECK(int_of(counts, "synced") >= 1);
}

TEST_CASE("cli: hostile names are skipped and counted in the summary and in status",
          "[sync][cli]") {
    SyncFixture fx;
    fx.remote().insert_named("", "..", "x");
    fx.remote().insert_named("", "a/b", "y");
    fx.remote().insert_named("", fx.generation() == Generation::v2 ? std::string(256, 'n') : ".",
                             "z"); // V4 holds no name over 255 bytes
    fx.remote().insert("ok.txt", "ok");
    fx.publish_checksums();
    const ProcessResult r = fx.cli({"sync", "--once", "--json"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const auto summaries = json_events(r.out, "summary");
    REQUIRE(summaries.size() == 1);
    const auto& s = summaries[0];
    REQUIRE(s.HasMember("counts"));
    const auto& c = s["counts"];
    CHECK(int_of(c, "hostile_names") == 3);
    CHECK(json_events(r.out, "warning").size() == 3);
    const ProcessResult st = fx.cli({"status", "--json"});
    const auto d = parse_json_line(st.out);
    REQUIRE(d.has_value());
    CHECK(int_of((*d)["projects"][0]["counts"], "skipped_names") == 3);
    CHECK(fx.local_tree() == Tree{{"ok.txt", file_node("ok")}});
}

TEST_CASE("cli: --dry-run prints the plan and changes nothing anywhere", "[sync][cli][dry-run]") {
    SyncFixture fx;
    fx.local().insert("L/a.bin", k_three_parts);
    fx.remote().insert("R/b.bin", k_three_parts);
    fx.publish_checksums();
    const Tree local_before = fx.local_tree();
    const Tree remote_before = fx.remote_tree();
    fx.emulator().reset_stats();

    const ProcessResult human = fx.cli({"sync", "--once", "--dry-run"});
    INFO(describe(human));
    CHECK(human.exit_code == 0);
    CHECK(human.out.find("upload") != std::string::npos);
    CHECK(human.out.find("L/a.bin") != std::string::npos);
    CHECK(human.out.find("download") != std::string::npos);

    const ProcessResult json = fx.cli({"sync", "--once", "--dry-run", "--json"});
    INFO(describe(json));
    CHECK(json.exit_code == 0);
    const auto plan = json_events(json.out, "plan");
    CHECK(plan.size() >= 4);
    for (const auto& p : plan)
        CHECK_FALSE(str_of(p, "reason").empty());
    CHECK(json_events(json.out, "item").empty());

    for (const auto& [route, n] : fx.emulator().stats()) {
        CAPTURE(route);
        CHECK_FALSE((route.starts_with("POST") || route.starts_with("PUT") ||
                     route.starts_with("DELETE") || route.starts_with("GET /originals")));
    }
    CHECK_TREES_EQUAL(fx.local_tree(), local_before);
    CHECK_TREES_EQUAL(fx.remote_tree(), remote_before);
    CHECK(fx.journal().empty());
}

TEST_CASE("cli: --direction up and down", "[sync][cli][direction]") {
    SyncFixture fx;
    fx.local().insert("up.bin", k_three_parts);
    fx.remote().insert("down.bin", k_three_parts);
    fx.publish_checksums();
    const ProcessResult up = fx.cli({"sync", "--once", "--direction", "up"});
    INFO(describe(up));
    CHECK(up.exit_code == 0);
    CHECK_FALSE(fx.local().exists("down.bin"));
    CHECK(fx.remote_tree().count("up.bin"));
    const ProcessResult down = fx.cli({"sync", "--once", "--direction", "down"});
    INFO(describe(down));
    CHECK(down.exit_code == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("cli: a bad --direction is a usage error (exit 2)", "[sync][cli][exit-code]") {
    SyncFixture fx;
    const ProcessResult r = fx.cli({"sync", "--once", "--direction", "sideways"});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
}

TEST_CASE("cli: a rejected token exits 77", "[sync][cli][exit-code]") {
    SyncFixture fx;
    fx.local().insert("a.txt", "a");
    auto opts = fx.cli_options();
    opts.env["FRAMEIO_TOKEN"] = std::string("not-a-valid-token");
    const ProcessResult r = fios::test::run_process(fx.cli_argv({"sync", "--once"}), opts);
    INFO(describe(r));
    CHECK(r.exit_code == 77);
    CHECK(r.err.find("not-a-valid-token") == std::string::npos); // never echo a secret
    CHECK(fx.remote_tree().empty());
}

TEST_CASE("cli: a second concurrent sync exits 75 naming the running one's pid",
          "[sync][cli][exit-code][lock]") {
    SyncFixture fx;
    for (int i = 0; i < 4; ++i)
        fx.local().insert("f" + std::to_string(i) + ".bin", k_three_parts);
    fx.emulator().reset_stats();
    fx.emulator().set_faults(R"({"latency_ms": 300})"); // the first run takes a while
    SpawnedProcess first(fx.cli_argv({"sync", "--once", "--jobs", "1"}), fx.cli_options());
    // Holding the lock by the time it talks to the API beyond the project listing.
    REQUIRE(
        fios::test::wait_until([&] { return count_listings(fx.emulator().stats()) >= 1; }, 60s));

    const ProcessResult second = fx.cli({"sync", "--once"}, 60s);
    INFO(describe(second));
    CHECK(second.exit_code == 75);
    CHECK(second.err.find("another frameio-sync (pid " + std::to_string(first.pid()) + ")") !=
          std::string::npos);

    fx.emulator().set_faults(R"({"latency_ms": 0})");
    const ProcessResult done = first.wait(120s);
    INFO(describe(done));
    CHECK(done.exit_code == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}
