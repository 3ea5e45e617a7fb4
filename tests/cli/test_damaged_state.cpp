// SPDX-License-Identifier: MIT
// Issue 9, crash safety: a state database damaged on disk (bytes overwritten in the middle,
// truncated, replaced by text) is found when a command opens it. `sync --once` and `status` exit
// 78 naming the file, the cause and the fix; the damaged file, the local folder and Frame.io are
// left as they were (no request that writes, no delete). Then the fix the message gives (move
// the file aside, select again) rebuilds the journal: equal files are adopted, nothing is
// downloaded or uploaded again, nothing is deleted.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

using namespace fios::test;
namespace fs = std::filesystem;

namespace {

/// Relative path -> bytes of every file under `root`.
std::map<std::string, std::string> tree_of(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file())
            out[fs::relative(e.path(), root).generic_string()] = read_file(e.path());
    }
    return out;
}

/// The emulator's request counts by route key, since the last reset.
std::map<std::string, long> request_counts(CliFixture& f) {
    auto reply = http_request("GET", f.emulator.base_url() + "/_emulator/stats");
    REQUIRE(reply.status == 200);
    auto doc = parse_json(reply.body);
    std::map<std::string, long> out;
    for (const auto& m : doc["requests"].GetObject())
        out[m.name.GetString()] = static_cast<long>(m.value.GetInt64());
    return out;
}

void reset_counts(CliFixture& f) {
    REQUIRE(http_request("DELETE", f.emulator.base_url() + "/_emulator/stats").status == 200);
}

/// Routes that change something on Frame.io, or download a file.
long writes_or_downloads(const std::map<std::string, long>& counts) {
    long n = 0;
    for (const auto& [route, count] : counts) {
        if (route.rfind("GET /originals", 0) == 0 || route.rfind("POST ", 0) == 0 ||
            route.rfind("PUT ", 0) == 0 || route.rfind("DELETE ", 0) == 0)
            n += count;
    }
    return n;
}

} // namespace

TEST_CASE("a damaged state database is found at start: exit 78 with the fix, nothing changed, "
          "moved aside, the next sync adopts every file",
          "[cli][sync][damaged]") {
    CliFixture f({"--token", k_token, "--seed-demo", "--no-rate-limit", "--part-size", "1048576"});
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    f.login();
    const fs::path local = f.home.path() / "Demo";
    auto sel = f.run({"select", "Demo Project", "--to", local.string()});
    INFO(sel.err);
    REQUIRE(sel.exit_code == 0);
    write_file(local / "made-here.txt", "bytes made on this machine");
    auto first = f.run({"sync", "--once"});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const auto synced = tree_of(local);
    REQUIRE(synced.count("made-here.txt") == 1);
    REQUIRE(synced.size() >= 3);

    const fs::path db = f.home.path() / "state" / "frameio-sync" / "state.db";
    REQUIRE(fs::exists(db));
    REQUIRE_FALSE(fs::exists(db.string() + "-wal")); // checkpointed: the file holds everything
    const std::string good = read_file(db);

    const std::map<std::string, std::function<std::string(std::string)>> damages{
        {"bytes overwritten in the middle",
         [](std::string b) {
             for (std::size_t i = b.size() / 3; i < 2 * b.size() / 3; ++i)
                 b[i] = static_cast<char>(0xa5 ^ (i & 0xff));
             return b;
         }},
        {"truncated", [](std::string b) { return b.substr(0, b.size() / 2 + 100); }},
        {"replaced by text", [](const std::string&) { return std::string("my notes\n"); }},
    };
    for (const auto& [what, damage] : damages) {
        CAPTURE(what);
        const std::string bad = damage(good);
        write_file(db, bad);
        reset_counts(f);
        for (const std::vector<std::string>& args :
             {std::vector<std::string>{"sync", "--once"}, {"status"}, {"status", "--json"}}) {
            CAPTURE(args.front());
            auto r = f.run(args);
            INFO(r.err);
            CHECK(r.exit_code == 78);
            CHECK(contains(r.err, db.string()));
            CHECK(contains(r.err, "is not a frameio-sync database or is damaged"));
            CHECK(contains(r.err, "mv '" + db.string() + "' '" + db.string() + ".damaged'"));
            CHECK(contains(r.err, "deletes nothing"));
        }
        CHECK(read_file(db) == bad); // left as it is
        CHECK(tree_of(local) == synced);
        CHECK(writes_or_downloads(request_counts(f)) == 0);
    }

    // The fix the message gives: move it aside, select again, sync.
    fs::rename(db, db.string() + ".damaged");
    reset_counts(f);
    auto again = f.run({"select", "Demo Project", "--to", local.string()});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    auto rebuilt = f.run({"sync", "--once", "--json"});
    INFO(rebuilt.err);
    INFO(rebuilt.out);
    CHECK(rebuilt.exit_code == 0);
    CHECK(tree_of(local) == synced);
    const auto counts = request_counts(f);
    CHECK(writes_or_downloads(counts) == 0); // adopted: nothing fetched, sent or deleted twice
    auto status = f.run({"status", "--json"});
    INFO(status.err);
    REQUIRE(status.exit_code == 0);
    auto s = parse_json(status.out);
    REQUIRE(s["projects"].Size() == 1);
    CHECK(s["projects"][0]["counts"]["synced"].GetInt64() >=
          static_cast<std::int64_t>(synced.size()));
    CHECK(s["projects"][0]["counts"]["failed"].GetInt64() == 0);
    CHECK(s["projects"][0]["counts"]["pending"].GetInt64() == 0);
}
