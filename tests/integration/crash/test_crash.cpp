// SPDX-License-Identifier: MIT
// Kill-and-restart: `frameio-sync sync --once` as a child process, killed with SIGKILL at a
// chosen point (found by polling the emulator's stats or the sync folder, never by sleeping),
// then run again. Whatever the point: no duplicate asset (the parent is listed through the
// API), no partial or corrupt file under a real name, the transfer resumed (fewer parts or
// bytes the second time), and equal trees at the end. Also rows 55-66 of docs/sync-policy.md
// (interrupted transfers), and SIGINT/SIGTERM (clean stop, exit 130).
#include "sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>
#include <sys/types.h>

using namespace fios::test::sync;
using fios::test::ProcessResult;
using fios::test::SpawnedProcess;
using fios::test::wait_until;
using namespace std::chrono_literals;

namespace {

/// Parts of the upload files below: 10 parts of 64 KiB (the fixture's part size) + a tail.
constexpr std::uint64_t k_ten_parts = 10 * 64 * 1024 - 100;

std::string describe(const ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out.substr(0, 3000) +
           "\n--- stderr\n" + r.err.substr(0, 3000);
}

/// A sync child whose requests the emulator slows down, so that it can be caught mid-way.
class SlowSync {
public:
    SlowSync(SyncFixture& fx, const std::string& faults,
             std::vector<std::string> args = {"sync", "--once", "--jobs", "1", "--part-jobs", "1"})
        : m_fx(fx) {
        fx.emulator().reset_rate_limits();
        fx.emulator().reset_stats();
        fx.emulator().set_faults(faults);
        m_child.emplace(fx.cli_argv(args), fx.cli_options());
    }
    ~SlowSync() { m_fx.emulator().set_faults("{}"); }
    SlowSync(const SlowSync&) = delete;
    SlowSync& operator=(const SlowSync&) = delete;

    [[nodiscard]] pid_t pid() const { return m_child->pid(); }

    /// SIGKILL once `condition` holds (REQUIRE it within the deadline); returns the result.
    template <class F>
    ProcessResult kill_when(F&& condition, std::chrono::milliseconds deadline = 60s) {
        const bool met = wait_until(std::forward<F>(condition), deadline, 2ms);
        ::kill(m_child->pid(), SIGKILL);
        ProcessResult r = m_child->wait(30s);
        m_fx.emulator().set_faults("{}");
        INFO(describe(r));
        REQUIRE(met);
        REQUIRE(r.exit_code == 128 + SIGKILL);
        return r;
    }

    /// Sends `sig` once `condition` holds; returns the exit.
    template <class F>
    ProcessResult signal_when(int sig, F&& condition, int times = 1) {
        const bool met = wait_until(std::forward<F>(condition), 60s, 2ms);
        for (int i = 0; i < times; ++i)
            ::kill(m_child->pid(), sig);
        ProcessResult r = m_child->wait(60s);
        m_fx.emulator().set_faults("{}");
        INFO(describe(r));
        REQUIRE(met);
        return r;
    }

private:
    SyncFixture& m_fx;
    std::optional<SpawnedProcess> m_child;
};

long parts_put(SyncFixture& fx) {
    return count(fx.emulator().stats(), "PUT /parts");
}

/// The upload of `path` is complete on the emulator (every part arrived).
bool remote_complete(SyncFixture& fx, const std::string& path) {
    const Tree t = fx.remote_tree();
    auto it = t.find(path);
    return it != t.end() && it->second.kind == NodeKind::file;
}

/// The bytes of the summary of a `--json` run ("bytes_uploaded" / "bytes_downloaded").
std::int64_t summary_count(const ProcessResult& r, const char* key) {
    const auto s = json_events(r.out, "summary");
    if (s.size() != 1 || !s[0].HasMember("counts") || !s[0]["counts"].HasMember(key))
        return -1;
    return s[0]["counts"][key].GetInt64();
}

bool has_item(const ProcessResult& r, const std::string& path, const std::string& action,
              const std::string& skip = {}) {
    for (const auto& e : json_events(r.out, "item")) {
        if (e["path"].GetString() != path || e["action"].GetString() != action)
            continue;
        if (skip.empty() || (e["skip"].IsString() && e["skip"].GetString() == skip))
            return true;
    }
    return false;
}

ProcessResult rerun(SyncFixture& fx, std::vector<std::string> extra = {}) {
    fx.emulator().reset_stats();
    std::vector<std::string> args{"sync", "--once", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return fx.cli(args);
}

/// No real name holds a partial file: every local file equals the remote one at its path
/// (or has no remote counterpart at all).
void check_no_partial_files(SyncFixture& fx) {
    const Tree local = fx.local_tree();
    const Tree remote = fx.remote_tree();
    for (const auto& [path, node] : local) {
        if (node.kind != NodeKind::file || path.find("/.fios-") != std::string::npos ||
            path.starts_with(".fios-"))
            continue;
        auto it = remote.find(path);
        if (it != remote.end() && it->second.kind == NodeKind::file) {
            CAPTURE(path);
            CHECK(it->second == node);
        }
    }
}

} // namespace

// --- uploads -------------------------------------------------------------------------------------

TEST_CASE("crash: killed after the first parts of an upload - the next run resumes the same asset",
          "[crash][upload][row59]") {
    SyncFixture fx;
    fx.local().insert("big/clip.mov", k_ten_parts);
    {
        SlowSync sync(fx, R"({"latency_ms": 150})");
        sync.kill_when([&] { return parts_put(fx) >= 3; });
    }
    const auto ids = fx.remote().ids_at("big/clip.mov");
    REQUIRE(ids.size() == 1);
    REQUIRE(fx.remote_tree().at("big/clip.mov").kind == NodeKind::incomplete);

    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "big/clip.mov", "resume_upload"));
    const long second = parts_put(fx);
    CHECK(second >= 1);
    CHECK(second < 10);                               // only the missing parts
    CHECK(fx.remote().ids_at("big/clip.mov") == ids); // the same asset, continued
    CHECK(fx.remote().list_names(fx.remote().id_of("big")) ==
          std::map<std::string, int>{{"clip.mov", 1}}); // no duplicate, listed through the API
    CHECK(summary_count(r, "bytes_uploaded") < static_cast<std::int64_t>(k_ten_parts));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 55: an interrupted upload whose file was deleted is marked - not resumed",
          "[crash][upload][row55]") {
    SyncFixture fx;
    fx.local().insert("gone.mov", k_ten_parts);
    {
        SlowSync sync(fx, R"({"latency_ms": 150})");
        sync.kill_when([&] { return parts_put(fx) >= 2; });
    }
    fx.local().remove("gone.mov");
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "gone.mov", "skip", "deleted_locally"));
    CHECK(parts_put(fx) == 0);
    CHECK(fx.remote().ids_at("gone.mov").size() == 1); // what was sent stays
}

TEST_CASE("row 56: a create whose answer was lost is resolved by listing the parent",
          "[crash][upload][row56]") {
    SyncFixture fx; // in-process: the retry after the failure's backoff needs the fake clock
    fx.local().insert("lost.mov", k_three_parts);
    // The create happens on the emulator, then the client gets a 500 instead of the answer.
    fx.fail_next_creates(500, true, 0, 1);
    const RunOutcome first = fx.sync_once();
    REQUIRE_RUN(first);
    INFO(first.describe());
    CHECK(fx.remote().ids_at("lost.mov").size() <= 1); // made (answer lost), maybe cleaned up
    fx.clock().advance(std::chrono::hours(1));         // past any backoff
    const RunOutcome second = fx.sync_once();
    REQUIRE_RUN(second);
    INFO(second.describe());
    CHECK(second.report->result == fios::engine::RunResult::ok);
    CHECK(fx.remote().list_names(fx.remote().root_id()) ==
          std::map<std::string, int>{{"lost.mov", 1}});
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("crash: killed between a create and its answer - no duplicate after a restart",
          "[crash][upload][row56]") {
    SyncFixture fx;
    fx.local().insert("A/one.mov", k_three_parts);
    fx.local().insert("A/two.mov", k_three_parts + 1);
    // Every create's answer is lost; the child is killed once the creates have happened.
    fx.fail_next_creates(502, true, 1, 2);
    {
        SlowSync sync(fx, R"({"latency_ms": 100})");
        sync.kill_when([&] { return count_creates(fx.emulator().stats()) >= 2; });
    }
    fx.emulator().api("DELETE", "/_emulator/fail-next", {}, 0);
    // A create in flight when the child died (held by the 100 ms latency) lands after the kill,
    // possibly after the first rerun looked: a lost create the next run sweeps (row 56). So
    // the trees must agree after two runs in a row, not just once.
    std::string reruns;
    int agreeing = 0;
    for (int i = 0; i < 4 && agreeing < 2; ++i) {
        const ProcessResult r = rerun(fx);
        reruns += describe(r) + "\n";
        agreeing = r.exit_code == 0 && fx.local_tree() == fx.remote_tree() ? agreeing + 1 : 0;
    }
    INFO(reruns);
    CHECK(fx.remote().list_names(fx.remote().root_id()) == std::map<std::string, int>{{"A", 1}});
    CHECK(fx.remote().list_names(fx.remote().id_of("A")) ==
          std::map<std::string, int>{{"one.mov", 1}, {"two.mov", 1}});
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 57: an interrupted upload whose file changed starts over and replaces our asset",
          "[crash][upload][row57]") {
    SyncFixture fx;
    fx.local().insert("edit.mov", k_ten_parts);
    {
        SlowSync sync(fx, R"({"latency_ms": 150})");
        sync.kill_when([&] { return parts_put(fx) >= 2; });
    }
    const auto before = fx.remote().ids_at("edit.mov");
    REQUIRE(before.size() == 1);
    fx.local().insert("edit.mov", make_content(k_ten_parts, 57)); // same size, new bytes
    fx.local().set_mtime("edit.mov", fx.clock().now() - std::chrono::minutes(30));
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "edit.mov", "reupload"));
    const auto after = fx.remote().ids_at("edit.mov");
    REQUIRE(after.size() == 1);
    CHECK(after != before);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 58: an interrupted upload whose asset was deleted is uploaded again",
          "[crash][upload][row58]") {
    SyncFixture fx;
    fx.local().insert("again.mov", k_ten_parts);
    {
        SlowSync sync(fx, R"({"latency_ms": 150})");
        sync.kill_when([&] { return parts_put(fx) >= 2; });
    }
    fx.remote().remove("again.mov");
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "again.mov", "upload"));
    CHECK(fx.remote().ids_at("again.mov").size() == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 60: killed after every part arrived - the next run only verifies",
          "[crash][upload][row60]") {
    FixtureOptions o;
    o.checksum_delay = 3600;    // the first run waits for a checksum that does not come
    o.v4_complete_delay = 3600; // V4: for a completion that does not come
    SyncFixture fx(o);
    fx.local().insert("done.mov", k_three_parts);
    {
        SlowSync sync(fx, "{}", {"sync", "--once", "--verify-timeout-seconds", "60"});
        sync.kill_when([&] { return remote_complete(fx, "done.mov"); });
    }
    fx.publish_checksums();
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(parts_put(fx) == 0);
    CHECK(count_creates(fx.emulator().stats()) == 0);
    CHECK(fx.journal().at("done.mov").state == fios::model::JournalState::synced);
    CHECK(fx.verified(fx.journal().at("done.mov")));
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 61: an interrupted upload replaced by someone else's file is judged as a pair",
          "[crash][upload][row61]") {
    SyncFixture fx;
    const std::string content = make_content(k_ten_parts, 61);
    fx.local().insert("theirs.mov", content);
    {
        SlowSync sync(fx, R"({"latency_ms": 150})");
        sync.kill_when([&] { return parts_put(fx) >= 2; });
    }
    fx.remote().remove("theirs.mov");
    const std::string other = fx.remote().insert("theirs.mov", content); // same bytes
    fx.publish_checksums();
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    // The pair is judged afresh: adopted by checksum on V2; on V4 nothing proves the two
    // equal, so it is a conflict (row 73, exit 1) and the local file is kept.
    if (fx.generation() == Generation::v2) {
        CHECK(r.exit_code == 0);
        CHECK(has_item(r, "theirs.mov", "adopt"));
    } else {
        CHECK(r.exit_code == 1);
        CHECK(has_item(r, "theirs.mov", "skip", "conflict"));
    }
    CHECK(fx.remote().ids_at("theirs.mov") == std::vector<std::string>{other});
    CHECK(parts_put(fx) == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

// --- downloads -----------------------------------------------------------------------------------

namespace {
/// Every download is cut in the middle (and retried slowly): the child is killed once a
/// temporary file holds at least half of the file. Returns the temporary file's name.
std::string kill_mid_download(SyncFixture& fx, const std::string& path, std::uint64_t size) {
    std::string temp;
    SlowSync sync(fx, R"({"truncate": 1.0, "latency_ms": 100})");
    sync.kill_when([&] {
        for (const auto& [p, n] : fx.local().temp_sizes()) {
            if (n >= size / 2) {
                temp = p;
                return true;
            }
        }
        return false;
    });
    CHECK_FALSE(fx.local().exists(path)); // nothing under the real name
    return temp;
}
constexpr std::uint64_t k_download = 2 * 1024 * 1024 + 12345;
} // namespace

TEST_CASE("crash: killed during a download - the next run resumes with a Range",
          "[crash][download][row64]") {
    SyncFixture fx;
    fx.remote().insert("media/take.wav", k_download);
    fx.publish_checksums();
    const std::string temp = kill_mid_download(fx, "media/take.wav", k_download);
    REQUIRE_FALSE(temp.empty());
    CHECK(temp.starts_with("media/.fios-")); // hidden, in the target folder

    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "media/take.wav", "resume_download"));
    const std::int64_t bytes = summary_count(r, "bytes_downloaded");
    CHECK(bytes > 0);
    CHECK(bytes <= static_cast<std::int64_t>(k_download / 2 + 1));
    CHECK(fx.local().temp_files().empty());
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 62: an interrupted download whose asset is gone keeps the local file",
          "[crash][download][row62]") {
    SyncFixture fx;
    fx.remote().insert("x.wav", k_download);
    fx.publish_checksums();
    kill_mid_download(fx, "x.wav", k_download);
    fx.local().insert("x.wav", "the user's own file");
    fx.remote().remove("x.wav");
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "x.wav", "skip", "deleted_remotely"));
    CHECK(fx.local().read("x.wav") == "the user's own file");
    CHECK(fx.remote_tree().empty());        // not uploaded
    CHECK(fx.local().temp_files().empty()); // the interrupted download is not kept forever
}

TEST_CASE("row 63: an interrupted download whose file appeared locally is judged as a pair",
          "[crash][download][row63]") {
    SyncFixture fx;
    fx.remote().insert("y.wav", k_download);
    fx.publish_checksums();
    kill_mid_download(fx, "y.wav", k_download);
    fx.local().insert("y.wav", k_download); // the same bytes (content seeded by the path)
    fx.emulator().reset_stats();
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "y.wav", "adopt"));
    CHECK(count(fx.emulator().stats(), "GET /originals") == 0);
    CHECK(fx.local().temp_files().empty());
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("row 65: an interrupted download of an asset since replaced starts over",
          "[crash][download][row65]") {
    SyncFixture fx;
    fx.remote().insert("z.wav", k_download);
    fx.publish_checksums();
    kill_mid_download(fx, "z.wav", k_download);
    const std::string head = make_content(k_download + 7, 65);
    fx.remote().add_version("z.wav", head);
    fx.publish_checksums();
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "z.wav", "download"));
    CHECK(fx.local_tree() == Tree{{"z.wav", file_node(head)}});
    CHECK(fx.local().temp_files().empty());
}

TEST_CASE("row 66: an interrupted download whose new head is incomplete waits",
          "[crash][download][row66]") {
    SyncFixture fx;
    fx.remote().insert("w.wav", k_download);
    fx.publish_checksums();
    kill_mid_download(fx, "w.wav", k_download);
    fx.remote().add_version("w.wav", make_content(k_three_parts, 66), 1); // 1 of 3 parts
    const ProcessResult r = rerun(fx);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(has_item(r, "w.wav", "skip", "remote_incomplete"));
    CHECK_FALSE(fx.local().exists("w.wav"));
}

// --- signals -------------------------------------------------------------------------------------

TEST_CASE("crash: SIGINT stops cleanly with exit 130 and the next run finishes",
          "[crash][signal]") {
    SyncFixture fx;
    for (int i = 0; i < 3; ++i)
        fx.local().insert("s/f" + std::to_string(i) + ".mov", k_ten_parts);
    ProcessResult r;
    {
        SlowSync sync(fx, R"({"latency_ms": 150})");
        r = sync.signal_when(SIGINT, [&] { return parts_put(fx) >= 2; });
    }
    INFO(describe(r));
    CHECK(r.exit_code == 130);
    check_no_partial_files(fx);
    const ProcessResult again = rerun(fx);
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(fx.remote().list_names(fx.remote().id_of("s")).size() == 3);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("crash: SIGTERM stops cleanly with exit 130", "[crash][signal]") {
    SyncFixture fx;
    fx.remote().insert("t.wav", k_download);
    fx.publish_checksums();
    ProcessResult r;
    {
        SlowSync sync(fx, R"({"truncate": 1.0, "latency_ms": 100})");
        r = sync.signal_when(SIGTERM, [&] { return !fx.local().temp_sizes().empty(); });
    }
    INFO(describe(r));
    CHECK(r.exit_code == 130);
    CHECK_FALSE(fx.local().exists("t.wav"));
    const ProcessResult again = rerun(fx);
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}

TEST_CASE("crash: a second SIGINT exits at once - also 130", "[crash][signal]") {
    SyncFixture fx;
    fx.local().insert("slow.mov", k_ten_parts);
    ProcessResult r;
    {
        SlowSync sync(fx, R"({"latency_ms": 2000})"); // a safe point is far away
        r = sync.signal_when(
            SIGINT, [&] { return count(fx.emulator().stats(), "GET") >= 1; }, 2);
    }
    INFO(describe(r));
    CHECK(r.exit_code == 130);
    const ProcessResult again = rerun(fx);
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(fx.remote().ids_at("slow.mov").size() == 1);
    CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree());
}
