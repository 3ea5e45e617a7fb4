// SPDX-License-Identifier: MIT
// Issue 9: a project's journal belongs to the folder it was recorded for. Re-selecting a project
// into another folder starts that folder from nothing (every remote file comes down, equal files
// are adopted, nothing is uploaded twice or deleted anywhere); re-selecting the same folder keeps
// the journal; `unselect` says what it keeps. Rows from before schema version 5 (no folder
// recorded) are kept only where the folder's files still carry their fingerprints.
#include "sync_fixture.hpp"

#include "fios/store/sqlite.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace fios::test::sync;
using fios::test::ProcessResult;

namespace {

std::string describe(const ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out.substr(0, 4000) +
           "\n--- stderr\n" + r.err.substr(0, 4000);
}

/// The member `key` of `v`, or a null value when `v` is not an object or has no such member
/// (so that a missing field fails a CHECK instead of ending the test case).
const rapidjson::Value& member(const rapidjson::Value& v, const char* key) {
    static const rapidjson::Value k_null;
    if (!v.IsObject())
        return k_null;
    auto it = v.FindMember(key);
    return it != v.MemberEnd() ? it->value : k_null;
}

std::int64_t int_of(const rapidjson::Value& v, const char* key) {
    const auto& m = member(v, key);
    return m.IsInt64() ? m.GetInt64() : -1;
}

std::string str_of(const rapidjson::Value& v, const char* key) {
    const auto& m = member(v, key);
    return m.IsString() ? m.GetString() : std::string();
}

bool true_at(const rapidjson::Value& v, const char* object, const char* key) {
    const auto& m = member(member(v, object), key);
    return m.IsBool() && m.GetBool();
}

/// The files of the first sync, the same content on both sides once it has run.
void write_story(LocalSide& local, RemoteSide& remote) {
    local.insert("up/a.mov", k_three_parts);
    local.insert("up/b.txt", "written here");
    remote.insert("down/c.wav", k_three_parts);
    remote.insert("down/d.txt", "written on Frame.io");
}

/// Syncs the story into the fixture's folder with the CLI; returns the agreed tree.
Tree first_sync(SyncFixture& fx) {
    write_story(fx.local(), fx.remote());
    fx.publish_checksums();
    const ProcessResult r = fx.cli({"sync", "--once"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const Tree agreed = fx.local_tree();
    REQUIRE_TREES_EQUAL(agreed, fx.remote_tree());
    REQUIRE(agreed.size() == 6); // 2 folders, 4 files
    return agreed;
}

/// `unselect --json` then `select --to folder --json`; returns select's JSON object.
rapidjson::Document reselect(SyncFixture& fx, const fs::path& folder) {
    const std::string pid = fx.remote().project_id();
    const ProcessResult un = fx.cli({"unselect", pid, "--json"});
    INFO(describe(un));
    REQUIRE(un.exit_code == 0);
    const auto u = parse_json_line(un.out);
    REQUIRE(u.has_value());
    // What unselect keeps: the folder and its files, the Frame.io project, the journal.
    CHECK(true_at(*u, "kept", "local_folder"));
    CHECK(true_at(*u, "kept", "frameio_project"));
    CHECK(true_at(*u, "kept", "journal"));
    CHECK(int_of(*u, "journal_records") == 6);
    CHECK(un.err.find("journal") != std::string::npos);

    const ProcessResult sel = fx.cli({"select", pid, "--to", folder.string(), "--json"});
    INFO(describe(sel));
    REQUIRE(sel.exit_code == 0);
    auto s = parse_json_line(sel.out);
    REQUIRE(s.has_value());
    return std::move(*s);
}

/// The single summary of a `sync --once --json` run.
rapidjson::Document summary_of(const ProcessResult& r) {
    auto summaries = json_events(r.out, "summary");
    REQUIRE(summaries.size() == 1);
    return std::move(summaries[0]);
}

/// Nothing was written on Frame.io: no create, no part, no delete.
void check_no_remote_write(const Stats& stats) {
    CHECK(count(stats, "POST") == 0);
    CHECK(count(stats, "PUT") == 0);
    CHECK(count(stats, "DELETE") == 0);
}

} // namespace

TEST_CASE("cli: re-selecting a project into a new, empty folder downloads every file and "
          "deletes nothing (issue 9)",
          "[sync][cli][reselect]") {
    SyncFixture fx;
    const Tree agreed = first_sync(fx);

    const fs::path elsewhere = fx.home() / "elsewhere" / "Harness";
    const auto sel = reselect(fx, elsewhere);
    const auto& journal = member(sel, "journal");
    CHECK(str_of(journal, "outcome") == "dropped");
    CHECK(str_of(journal, "previous_folder") == fs::canonical(fx.local().root()).string());
    CHECK(int_of(journal, "records") == 6);

    fx.emulator().reset_stats();
    const ProcessResult r = fx.cli({"sync", "--once", "--json"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const auto s = summary_of(r);
    const auto& counts = member(s, "counts");
    CHECK(str_of(s, "result") == "ok");
    CHECK(int_of(counts, "downloaded") == 4); // every remote file, ours included
    CHECK(int_of(counts, "folders_created") == 2);
    CHECK(int_of(counts, "uploaded") == 0);
    CHECK(int_of(counts, "deleted_locally") == 0);
    CHECK(int_of(counts, "deleted_remotely") == 0);
    CHECK(int_of(counts, "conflicts") == 0);
    check_no_remote_write(fx.emulator().stats());

    CHECK_TREES_EQUAL(LocalSide(elsewhere, fx.clock()).tree(), agreed);
    CHECK_TREES_EQUAL(fx.remote_tree(), agreed); // nothing uploaded twice or deleted
    CHECK_TREES_EQUAL(fx.local_tree(), agreed);  // the old folder is untouched

    // status agrees: everything synced, nothing deleted on either side.
    const ProcessResult st = fx.cli({"status", "--json"});
    INFO(describe(st));
    REQUIRE(st.exit_code == 0);
    const auto d = parse_json_line(st.out);
    REQUIRE(d.has_value());
    REQUIRE((*d)["projects"].Size() == 1);
    const auto& p = (*d)["projects"][0];
    CHECK(str_of(p, "local_path") == fs::canonical(elsewhere).string());
    CHECK(int_of(member(p, "counts"), "synced") == 6);
    CHECK(int_of(member(p, "counts"), "deleted_locally") == 0);
    CHECK(int_of(member(p, "counts"), "deleted_remotely") == 0);
}

TEST_CASE("cli: re-selecting the same folder keeps the journal: nothing is sent or fetched again",
          "[sync][cli][reselect]") {
    SyncFixture fx;
    const Tree agreed = first_sync(fx);
    // The harness selected its folder in-process; the CLI stores folders with symlinks
    // resolved. Both must name the same folder for "the same folder" to mean anything.
    REQUIRE(fs::canonical(fx.local().root()) == fx.local().root());

    const auto sel = reselect(fx, fx.local().root());
    CHECK(str_of(member(sel, "journal"), "outcome") == "kept");
    CHECK(int_of(member(sel, "journal"), "records") == 6);

    fx.emulator().reset_stats();
    const ProcessResult r = fx.cli({"sync", "--once", "--json"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const auto s = summary_of(r);
    CHECK(int_of(member(s, "counts"), "downloaded") == 0);
    CHECK(int_of(member(s, "counts"), "uploaded") == 0);
    CHECK(int_of(member(s, "counts"), "adopted") == 0);
    check_no_remote_write(fx.emulator().stats());
    CHECK_TREES_EQUAL(fx.local_tree(), agreed);
    CHECK_TREES_EQUAL(fx.remote_tree(), agreed);
}

TEST_CASE("cli: re-selecting into a folder that already holds the files overwrites nothing: "
          "adopted by checksum on V2, conflicts on V4 (row 73)",
          "[sync][cli][reselect]") {
    SyncFixture fx;
    const bool v4 = fx.generation() == Generation::v4;
    const Tree agreed = first_sync(fx);

    // A copy of the project's files, as a second disk would hold them (settled mtimes).
    const fs::path copy = fx.home() / "copy";
    LocalSide other(copy, fx.clock());
    other.insert("up/a.mov", k_three_parts);
    other.insert("up/b.txt", "written here");
    other.insert("down/c.wav", k_three_parts);
    other.insert("down/d.txt", "written on Frame.io");
    REQUIRE_TREES_EQUAL(other.tree(), agreed);

    const auto sel = reselect(fx, copy);
    CHECK(str_of(member(sel, "journal"), "outcome") == "dropped");

    fx.emulator().reset_stats();
    const ProcessResult r = fx.cli({"sync", "--once", "--json"});
    INFO(describe(r));
    const auto s = summary_of(r);
    const auto& counts = member(s, "counts");
    CHECK(int_of(counts, "downloaded") == 0);
    CHECK(int_of(counts, "uploaded") == 0);
    CHECK(int_of(counts, "deleted_locally") == 0);
    CHECK(int_of(counts, "deleted_remotely") == 0);
    if (v4) {
        // Without a content checksum a same-size pair cannot be proven equal: kept, reported.
        CHECK(r.exit_code == 1);
        CHECK(int_of(counts, "conflicts") == 4);
    } else {
        CHECK(r.exit_code == 0);
        CHECK(int_of(counts, "conflicts") == 0);
        CHECK(int_of(counts, "adopted") == 6); // 4 files by checksum, 2 folders
    }
    check_no_remote_write(fx.emulator().stats());
    CHECK_TREES_EQUAL(other.tree(), agreed);
    CHECK_TREES_EQUAL(fx.remote_tree(), agreed);
}

namespace {

/// Removes the record of which folder the journal belongs to, as a state database from before
/// schema version 5 had it for a project that was not selected when it was upgraded.
void forget_journal_folder(SyncFixture& fx) {
    auto db = fios::store::Db::open(fx.state_db_path());
    REQUIRE(db);
    REQUIRE(db->exec("DELETE FROM journal_folders"));
}

bool journal_folder_recorded(SyncFixture& fx) {
    auto db = fios::store::Db::open(fx.state_db_path());
    REQUIRE(db);
    auto st = db->prepare("SELECT count(*) FROM journal_folders");
    REQUIRE(st);
    auto row = st->step();
    REQUIRE(row);
    REQUIRE(*row);
    return st->column_int64(0) == 1;
}

} // namespace

TEST_CASE("rows whose folder was not recorded are kept where the files carry their fingerprints",
          "[sync][reselect]") {
    SyncFixture fx;
    write_story(fx.local(), fx.remote());
    fx.publish_checksums();
    REQUIRE_RUN(fx.sync_once());
    const Tree agreed = fx.local_tree();
    REQUIRE_TREES_EQUAL(agreed, fx.remote_tree());
    forget_journal_folder(fx);

    fx.emulator().reset_stats();
    const RunOutcome again = fx.sync_once();
    REQUIRE_RUN(again);
    CHECK(again.totals().downloaded == 0);
    CHECK(again.totals().uploaded == 0);
    CHECK(again.totals().adopted == 0);
    CHECK(again.warnings.empty());
    check_no_remote_write(fx.emulator().stats());
    CHECK(journal_folder_recorded(fx));
    CHECK(fx.journal().size() == 6);
}

TEST_CASE("rows whose folder was not recorded do not apply to a folder without their files",
          "[sync][reselect]") {
    SyncFixture fx;
    fx.remote().insert("down/c.wav", k_three_parts);
    fx.remote().insert("down/d.txt", "written on Frame.io");
    fx.publish_checksums();
    REQUIRE_RUN(fx.sync_once());
    const Tree agreed = fx.remote_tree();
    REQUIRE_TREES_EQUAL(fx.local_tree(), agreed);
    // The rows were written for another folder (a pre-version-5 database, re-selected into
    // this empty one): nothing here carries their fingerprints.
    fx.local().remove("down");
    REQUIRE(fx.local_tree().empty());
    forget_journal_folder(fx);

    // A dry run plans from nothing, as the run will, and writes nothing.
    auto dry_options = fx.run_options();
    dry_options.dry_run = true;
    const RunOutcome dry = fx.sync_once(dry_options);
    REQUIRE_RUN(dry);
    CHECK(dry.totals().downloaded == 2);
    CHECK(dry.totals().deleted_locally == 0);
    CHECK_FALSE(journal_folder_recorded(fx));

    const RunOutcome run = fx.sync_once();
    REQUIRE_RUN(run);
    CHECK(run.totals().downloaded == 2);
    CHECK(run.totals().deleted_locally == 0);
    CHECK(run.totals().uploaded == 0);
    REQUIRE(run.warnings.size() == 1);
    CHECK(run.warnings[0].message.find("starts from nothing") != std::string::npos);
    CHECK(journal_folder_recorded(fx));
    CHECK_TREES_EQUAL(fx.local_tree(), agreed);
    CHECK_TREES_EQUAL(fx.remote_tree(), agreed);
}
