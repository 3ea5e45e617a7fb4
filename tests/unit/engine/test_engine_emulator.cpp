// SPDX-License-Identifier: MIT
// SyncEngine end to end against frameio-emulator: both directions with outcomes recorded in
// the journal, a second run that transfers nothing, unchanged projects not listed again,
// dry runs that change nothing, the lock, late checksums, a lost create answer, a missing
// local folder and an interrupted run; the V4 project directory.
#include "engine_fixture.hpp"
#include "support/http_client.hpp"

#include "fios/api/token_provider.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/engine/run_lock.hpp"
#include "fios/hash/xxh64.hpp"
#include "fios/scan/local_scanner.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <sys/stat.h>

using namespace fios;
using namespace fios::test;
using namespace fios::test::engine_fx;
using namespace std::chrono_literals;

namespace {

std::string blob(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    unsigned x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

/// Sets a local file's mtime an hour back, so it counts as settled at once.
void age(const fs::path& p) {
    const auto t = fs::last_write_time(p) - 1h;
    fs::last_write_time(p, t);
}

} // namespace

TEST_CASE("engine: syncs both ways, records every outcome, then has nothing to do",
          "[engine][e2e]") {
    Fixture f;
    const std::string r_big = blob(200'000, 1); // 4 parts of 64 KiB
    const std::string top = "top level\n";
    const std::string folder_id = f.remote_folder(f.root_id, "Remote");
    f.remote_file(folder_id, "r.bin", r_big);
    f.remote_file(f.root_id, "top.txt", top);

    const std::string l_big = blob(150'000, 2);
    write_file(f.folder / "Local" / "l.bin", l_big);
    write_file(f.folder / "zero.bin", "");
    fs::create_directories(f.folder / "Empty");

    auto first = f.sync();
    INFO(first.error.value_or(Error{}).message);
    CHECK(first.result == engine::RunResult::ok);
    CHECK(first.totals.uploaded == 2);
    CHECK(first.totals.downloaded == 2);
    CHECK(first.totals.folders_created == 3); // Remote here; Local and Empty on Frame.io
    CHECK(first.totals.failed == 0);
    CHECK(first.totals.bytes_uploaded == l_big.size());
    CHECK(first.totals.bytes_downloaded == r_big.size() + top.size());
    CHECK(first.run_id > 0);
    REQUIRE(first.projects.size() == 1);
    CHECK_FALSE(first.projects[0].local_folders); // it downloaded: its scan is out of date

    // Both trees agree.
    auto local = f.local_tree();
    CHECK(local["Remote/r.bin"] == r_big);
    CHECK(local["top.txt"] == top);
    CHECK(local["Empty"] == "<dir>");
    auto remote = f.remote_tree();
    REQUIRE(remote.contains("Local/l.bin"));
    CHECK(remote["Local/l.bin"].size == l_big.size());
    CHECK(remote["Local/l.bin"].checksum == hash::xxh64_hex(l_big));
    REQUIRE(remote.contains("zero.bin"));
    CHECK(remote["zero.bin"].size == 0);
    CHECK(remote["zero.bin"].complete);
    CHECK(remote.contains("Empty"));
    CHECK(remote.size() == 7); // Remote, Remote/r.bin, top.txt, Local, Local/l.bin, zero, Empty

    // The journal holds the agreed state: synced, verified, with the local fingerprint.
    auto journal = f.journal();
    auto records = journal.records(f.project_id);
    REQUIRE(records);
    CHECK(records->size() == 7);
    for (const auto& [path, r] : *records) {
        INFO(path.str());
        CHECK(r.state == model::JournalState::synced);
        CHECK(r.verified);
        CHECK(!r.asset_id.empty());
        if (r.kind == model::EntryKind::file) {
            struct stat st {};
            REQUIRE(::lstat((f.folder / path.str()).c_str(), &st) == 0);
            CHECK(r.size == static_cast<std::uint64_t>(st.st_size));
            CHECK(r.inode == static_cast<std::uint64_t>(st.st_ino));
            CHECK(r.local_mtime.time_since_epoch() ==
                  std::chrono::seconds{st.st_mtim.tv_sec} +
                      std::chrono::nanoseconds{st.st_mtim.tv_nsec});
            CHECK(r.xxh64 == hash::xxh64_hex(read_file(f.folder / path.str())));
            CHECK(r.asset_id == remote[path.str()].id);
        }
    }
    // Transfer state is gone once the transfers are over; no temporary file is left.
    for (const auto& [path, content] : f.local_tree())
        CHECK(path.find(".fios-") == std::string::npos);
    auto status = journal.status_counts(f.project_id);
    REQUIRE(status);
    CHECK(status->synced == 7);
    CHECK(status->pending == 0);
    REQUIRE(status->last_run);
    CHECK(status->last_run->result == "ok");

    // Items were reported with their results, and progress reached the totals.
    std::size_t uploads = 0;
    for (const auto& e : f.recorder.items) {
        if (e.action == plan::ActionKind::upload && e.result == engine::ItemResult::done)
            ++uploads;
    }
    CHECK(uploads == 2);
    REQUIRE(!f.recorder.progress.empty());
    CHECK(f.recorder.progress.back().files_done == f.recorder.progress.back().files_total);

    // A second run transfers nothing (our own uploads changed the counters: listed again).
    auto second = f.sync();
    CHECK(second.result == engine::RunResult::ok);
    CHECK(second.totals == engine::Counts{});
    REQUIRE(second.projects.size() == 1);
    CHECK(second.projects[0].discovered);
    // It scanned and wrote nothing: its scan describes the folder (a watch's rescan baseline).
    const auto scanned_now = [&] {
        auto snapshot = scan::scan_local(f.folder);
        REQUIRE(snapshot);
        return scan::folder_digests(*snapshot);
    };
    CHECK(second.projects[0].local_folders == scanned_now());

    // Now nothing changed on either side since a fully agreed run: not listed again.
    auto third = f.sync();
    CHECK(third.totals == engine::Counts{});
    REQUIRE(third.projects.size() == 1);
    CHECK(!third.projects[0].discovered);
    CHECK_FALSE(third.projects[0].local_folders);

    // A local change is noticed even though the remote counters did not move.
    write_file(f.folder / "new.txt", "new");
    age(f.folder / "new.txt");
    auto fourth = f.sync();
    CHECK(fourth.projects[0].discovered);
    CHECK(fourth.totals.uploaded == 1);
    CHECK(fourth.projects[0].local_folders == scanned_now()); // an upload writes nothing here
}

TEST_CASE("engine: a dry run changes nothing anywhere", "[engine][e2e]") {
    Fixture f;
    f.remote_file(f.root_id, "remote.txt", "remote");
    write_file(f.folder / "local.txt", "local");
    fs::create_directories(f.folder / "Dir");
    const auto local_before = f.local_tree();
    const auto remote_before = f.remote_tree();

    engine::RunOptions o = Fixture::quick();
    o.dry_run = true;
    auto report = f.sync(o);
    CHECK(report.result == engine::RunResult::ok);
    CHECK(report.run_id == 0);
    CHECK(report.totals.uploaded == 1);
    CHECK(report.totals.downloaded == 1);
    CHECK(report.totals.folders_created == 1);
    REQUIRE(f.recorder.plans.size() == 1);
    CHECK(f.recorder.plans[0].count(plan::ActionKind::upload) == 1);
    CHECK(f.recorder.items.empty());

    CHECK(f.local_tree() == local_before);
    CHECK(f.remote_tree() == remote_before);
    auto journal = f.journal();
    CHECK(journal.records(f.project_id)->empty());
    CHECK(!journal.project_run(f.project_id)->has_value());
    auto last = f.state->last_run();
    REQUIRE(last);
    CHECK(!last->has_value());
    CHECK(!fs::exists(f.dir.path() / "state" / "sync.lock"));
}

TEST_CASE("engine: a run while another holds the lock is refused", "[engine][e2e]") {
    Fixture f;
    write_file(f.folder / "a.txt", "a");
    auto held = engine::RunLock::acquire(f.dir.path() / "state" / "sync.lock");
    REQUIRE(held);
    auto refused = f.run();
    REQUIRE(!refused);
    CHECK(engine::is_lock_held(refused.error()));
    CHECK(refused.error().message.find("pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(f.remote_tree().empty());
    CHECK(f.journal().records(f.project_id)->empty());
}

TEST_CASE("engine: a late checksum leaves the upload awaiting verification until a later run",
          "[engine][e2e]") {
    Fixture f({"--checksum-delay", "1000"});
    write_file(f.folder / "late.bin", blob(70'000, 3));
    engine::RunOptions o = Fixture::quick();
    o.verify_timeout = 1s;
    auto first = f.sync(o);
    CHECK(first.result == engine::RunResult::ok); // awaiting a checksum is not an error
    CHECK(first.totals.awaiting_verification == 1);
    CHECK(first.totals.uploaded == 0);
    auto rec = f.journal().record(f.project_id, *model::RelPath::parse("late.bin"));
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    CHECK((*rec)->state == model::JournalState::awaiting_verification);
    CHECK(!(*rec)->verified);

    advance_emulator_clock(f.emulator.base_url(), 2000);
    auto second = f.sync(o);
    CHECK(second.totals.verified == 1);
    rec = f.journal().record(f.project_id, *model::RelPath::parse("late.bin"));
    CHECK((*rec)->state == model::JournalState::synced);
    CHECK((*rec)->verified);
    CHECK(f.remote_named(f.root_id, "late.bin").size() == 1);
}

TEST_CASE("engine: a create whose answer was lost leaves no duplicate", "[engine][e2e]") {
    Fixture f;
    const std::string content = blob(100'000, 4);
    write_file(f.folder / "lost.bin", content);
    // The create happens on the server, then its answer is replaced by a 500.
    f.admin("/_emulator/fail-next",
            R"({"route":"POST /v2/assets/{id}/children","when":"after","status":500})");
    auto first = f.sync();
    CHECK(first.result == engine::RunResult::partial);
    CHECK(first.totals.failed == 1);
    // The incomplete asset the lost create made was ours: it is gone, nothing half-made stays.
    CHECK(f.remote_named(f.root_id, "lost.bin").empty());
    auto rec = f.journal().record(f.project_id, *model::RelPath::parse("lost.bin"));
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    CHECK((*rec)->state == model::JournalState::failed);
    REQUIRE((*rec)->next_retry_at);

    // Within the backoff nothing is tried again.
    auto waiting = f.sync();
    CHECK(waiting.totals.backoff == 1);
    CHECK(f.remote_named(f.root_id, "lost.bin").empty());

    // After it, the upload succeeds once.
    f.clock.advance(std::chrono::minutes{2});
    auto retry = f.sync();
    CHECK(retry.result == engine::RunResult::ok);
    CHECK(retry.totals.uploaded == 1);
    auto named = f.remote_named(f.root_id, "lost.bin");
    REQUIRE(named.size() == 1);
    CHECK(named[0].xx_hash == hash::xxh64_hex(content));
}

TEST_CASE("engine: a missing local folder is a project error, never 'deleted locally'",
          "[engine][e2e]") {
    Fixture f;
    f.remote_file(f.root_id, "keep.txt", "keep");
    auto first = f.sync();
    REQUIRE(first.totals.downloaded == 1);

    const fs::path moved = f.dir.path() / "moved-away";
    fs::rename(f.folder, moved);
    auto second = f.sync();
    CHECK(second.result == engine::RunResult::partial);
    REQUIRE(second.projects.size() == 1);
    REQUIRE(second.projects[0].error);
    CHECK(second.projects[0].error->message.find("does not exist") != std::string::npos);
    CHECK(second.totals.deleted_locally == 0);
    auto rec = f.journal().record(f.project_id, *model::RelPath::parse("keep.txt"));
    REQUIRE(rec);
    CHECK(!(*rec)->deleted_locally);
    CHECK(!fs::exists(f.folder)); // not recreated either

    fs::rename(moved, f.folder);
    auto third = f.sync();
    CHECK(third.result == engine::RunResult::ok);
    CHECK(third.totals.deleted_locally == 0);
}

namespace {
/// Cancels the run as soon as the first transfer finishes.
class CancelAfterFirst : public Recorder {
public:
    explicit CancelAfterFirst(CancelToken& token) : m_token(token) {}
    void on_item(const engine::ItemEvent& e) override {
        Recorder::on_item(e);
        if (e.action == plan::ActionKind::download)
            m_token.cancel();
    }

private:
    CancelToken& m_token;
};
} // namespace

TEST_CASE("engine: an interrupted run stops at a safe point and the next one completes",
          "[engine][e2e]") {
    Fixture f;
    std::map<std::string, std::string> files;
    for (int i = 0; i < 8; ++i) {
        const std::string name = "f" + std::to_string(i) + ".bin";
        files[name] = blob(120'000, static_cast<unsigned>(10 + i));
        f.remote_file(f.root_id, name, files[name]);
    }
    CancelToken cancel;
    CancelAfterFirst observer(cancel);
    engine::RunOptions o = Fixture::quick();
    o.jobs = 1;
    auto first = f.run(o, &observer, &cancel);
    REQUIRE(first);
    CHECK(first->result == engine::RunResult::interrupted);
    REQUIRE(first->error);
    CHECK(first->error->code == ErrorCode::cancelled);
    // Whatever is under a real name is complete; the rest is absent (or a hidden temporary).
    for (const auto& [path, content] : f.local_tree()) {
        if (path.rfind(".fios-", 0) == 0)
            continue;
        INFO(path);
        REQUIRE(files.contains(path));
        CHECK(content == files[path]);
    }
    CHECK(f.local_tree().size() < files.size() + 1);
    auto last = f.state->last_run();
    REQUIRE(last);
    CHECK((*last)->result == "interrupted");

    auto second = f.sync();
    CHECK(second.result == engine::RunResult::ok);
    auto local = f.local_tree();
    for (const auto& [name, content] : files)
        CHECK(local[name] == content);
    for (const auto& [path, content] : local)
        CHECK(path.find(".fios-") == std::string::npos);
    CHECK(f.remote_tree().size() == files.size()); // nothing uploaded back
}

TEST_CASE("engine: a project that is not selected is refused before anything happens",
          "[engine][e2e]") {
    Fixture f;
    engine::RunOptions o = Fixture::quick();
    o.projects = {"no-such-project"};
    auto r = f.run(o);
    REQUIRE(!r);
    CHECK(r.error().code == ErrorCode::not_found);
    auto last = f.state->last_run();
    REQUIRE(last);
    CHECK(!last->has_value());
}

TEST_CASE("project directory: V4 walks accounts, workspaces and projects - and has no counters",
          "[engine][directory][v4]") {
    // The V2 fixture's emulator also serves the V4 account for a legacy developer token.
    Fixture fx({"--v4-legacy-token", "dir-v4-token", "--seed-demo"});
    CHECK(fx.directory->has_change_counters()); // V2: counters move with every change

    api::StaticTokenProvider tokens("dir-v4-token");
    api::V4ClientOptions o;
    o.rest.api_base = fx.emulator.base_url();
    o.rest.jitter_seed = 7;
    o.legacy_token_auth = true;
    api::V4Client client(*fx.transport, tokens, fx.clock, net::RealSleeper::instance(), o);
    auto accounts = client.accounts();
    REQUIRE(accounts);
    REQUIRE(accounts->size() == 1);
    auto workspaces = client.workspaces(accounts->front().id);
    REQUIRE(workspaces);
    REQUIRE(!workspaces->empty());
    auto made = client.create_project(accounts->front().id, workspaces->front().id, "Another");
    REQUIRE(made);

    for (const std::string& account : {std::string(), accounts->front().id}) {
        CAPTURE(account);
        engine::V4ProjectDirectory directory(client, account);
        CHECK_FALSE(directory.has_change_counters()); // every selected project listed each run
        auto listed = directory.list_projects();
        REQUIRE(listed);
        REQUIRE(listed->size() == 2);
        // Ordered by workspace name, project name, id; the team is the workspace.
        CHECK(listed->at(0).name == "Another");
        CHECK(listed->at(1).name == "Demo Project");
        for (const auto& p : *listed) {
            CHECK(p.team_id == workspaces->front().id);
            CHECK(p.team_name == workspaces->front().name);
            CHECK_FALSE(p.root_asset_id.empty());
            CHECK(p.file_count == 0);
            CHECK(p.folder_count == 0);
            // What the state database needs to keep a V4 project a V4 project.
            CHECK(p.generation == store::Generation::v4);
            CHECK(p.account_id == accounts->front().id);
        }
        CHECK(listed->at(0).id == made->id);
        CHECK(listed->at(0).root_asset_id == made->root_folder_id);
    }
}
