// SPDX-License-Identifier: MIT
// docs/sync-policy.md, row by row: one SECTION per row of the decision table, named by the
// row number. Keep the three (table, reconcile.cpp's "row N" comments, this file) in step.
#include "plan_world.hpp"

#include <catch2/catch.hpp>

using namespace fios::test::plan;
using fios::model::LocalSkipReason;
using fios::model::NameIssue;
using fios::plan::Action;
using AK = fios::plan::ActionKind;
using SR = fios::plan::SkipReason;

namespace {

const std::string A = "content-a";
const std::string B = "content-b";

JournalRecord awaiting_row(const LocalEntry& l, const RemoteEntry& r, const std::string& sent_hash,
                           TransferDirection dir, std::uint32_t attempts) {
    JournalRecord j = World::synced(l, r, sent_hash);
    j.verified = false;
    j.state = JournalState::awaiting_verification;
    j.direction = dir;
    j.attempts = attempts;
    return j;
}

JournalRecord uploading_row(const LocalEntry& l, std::string asset_id, std::uint32_t attempts = 1) {
    JournalRecord j;
    j.path = l.path;
    j.size = l.size;
    j.local_mtime = l.mtime;
    j.inode = l.inode;
    j.asset_id = std::move(asset_id);
    j.state = JournalState::uploading;
    j.direction = TransferDirection::up;
    j.attempts = attempts;
    return j;
}

JournalRecord downloading_row(const RemoteEntry& r, std::uint64_t expected_size) {
    JournalRecord j;
    j.path = r.path;
    j.asset_id = r.asset_id;
    j.size = expected_size;
    j.state = JournalState::downloading;
    j.direction = TransferDirection::down;
    j.attempts = 1;
    return j;
}

JournalRecord failed_row(JournalRecord j, TransferDirection dir, std::uint32_t attempts,
                         std::optional<TimePoint> retry) {
    j.state = JournalState::failed;
    j.direction = dir;
    j.attempts = attempts;
    j.next_retry_at = retry;
    j.last_error = "HTTP 503";
    return j;
}

} // namespace

TEST_CASE("decision table: names, types, duplicates, parents (rows 1-13)", "[plan][table]") {
    World w;

    SECTION("row 1: a remote name path_map refused is skipped as hostile_name") {
        w.remote.rejected.push_back(
            {P("Dailies"), "..", "A9", EntryKind::file, NameIssue::dot_dot});
        w.rfolder("Dailies", "F1");
        w.ldir("Dailies");
        w.jrow(World::synced(w.local.entries.at(P("Dailies")), w.remote.entries[0], ""));
        const auto plan = w.plan();
        REQUIRE(plan.actions.size() == 1);
        const Action& a = plan.actions[0];
        CHECK(a.skip == SR::hostile_name);
        CHECK(a.path == P("Dailies"));
        CHECK(a.name == "..");
        CHECK(a.asset_id == "A9");
        CHECK(fios::plan::display_path(a) == "Dailies/\"..\"");
    }
    SECTION("row 2: a local name that is not UTF-8 is skipped as hostile_name") {
        w.local.skipped.push_back({RelPath::root(), "caf\xE9", std::nullopt,
                                   LocalSkipReason::invalid_name, NameIssue::invalid_utf8, ""});
        const auto plan = w.plan();
        REQUIRE(plan.actions.size() == 1);
        CHECK(plan.actions[0].skip == SR::hostile_name);
        CHECK(plan.actions[0].name == "caf\xE9");
        CHECK(fios::plan::display_path(plan.actions[0]) == "\"caf\\xE9\"");
    }
    SECTION("row 3: our own temporary file produces nothing") {
        w.lskip(".fios-1234.part", LocalSkipReason::own_temporary);
        CHECK(w.plan().actions.empty());
    }
    SECTION("row 4: a symlink (or special file) is never followed nor written over") {
        w.lskip("clip.mov", LocalSkipReason::symlink);
        w.rfile("clip.mov", "A1", 10, H(A));
        w.lskip("pipe", LocalSkipReason::special_file);
        const auto plan = w.plan();
        expect(plan, "clip.mov", AK::skip, SR::unsupported_type);
        CHECK_FALSE(one(plan, "clip.mov").record);
        expect(plan, "pipe", AK::skip, SR::unsupported_type);
    }
    SECTION("row 5: a local folder that cannot be read (or is too deep) is not synced") {
        w.lskip("Locked", LocalSkipReason::unreadable);
        w.rfolder("Locked", "F1");
        w.lskip("Deep", LocalSkipReason::too_deep);
        const auto plan = w.plan();
        expect(plan, "Locked", AK::skip, SR::local_unreadable);
        expect(plan, "Deep", AK::skip, SR::local_unreadable);
    }
    SECTION("row 6: nothing below a symlinked or unreadable folder is decided") {
        w.lskip("Link", LocalSkipReason::symlink);
        w.rfolder("Link", "F1");
        w.rfile("Link/new.mov", "A1", 10, H(A));
        const auto y = w.rfile("Link/old.mov", "A2", 10, H(B));
        LocalEntry ghost{P("Link/old.mov"), EntryKind::file, 10, k_old, 5, 1};
        w.jrow(World::synced(ghost, y, H(B)));
        const auto plan = w.plan();
        expect(plan, "Link", AK::skip, SR::unsupported_type);
        expect(plan, "Link/new.mov", AK::skip, SR::parent_skipped);
        expect(plan, "Link/old.mov", AK::skip, SR::parent_skipped); // not "deleted locally"
    }
    SECTION("row 7: several remote items at one path: first seen wins") {
        SECTION("earliest created wins") {
            w.rfile("a.mov", "A-late", 10, H(A), true, k_old + 1s);
            w.rfile("a.mov", "A-early", 10, H(B), true, k_old);
            const auto plan = w.plan();
            const auto acts = at(plan, "a.mov");
            REQUIRE(acts.size() == 2);
            CHECK(acts[0].kind == AK::download);
            CHECK(acts[0].asset_id == "A-early");
            CHECK(acts[1].skip == SR::duplicate);
            CHECK(acts[1].asset_id == "A-late");
        }
        SECTION("a completed upload wins over an incomplete one") {
            w.rfile("a.mov", "A-stuck", 10, std::nullopt, false, k_old - 1h);
            w.rfile("a.mov", "A-done", 10, H(A), true, k_old);
            const auto acts = at(w.plan(), "a.mov");
            REQUIRE(acts.size() == 2);
            CHECK(acts[0].asset_id == "A-done");
            CHECK(acts[1].asset_id == "A-stuck");
        }
        SECTION("the item the journal follows keeps winning") {
            const auto l = w.lfile("a.mov", 10);
            w.rfile("a.mov", "A-early", 10, H(B), true, k_old - 1h);
            const auto synced = w.rfile("a.mov", "A-synced", 10, H(A), true, k_old);
            w.jrow(World::synced(l, synced, H(A)));
            const auto acts = at(w.plan(), "a.mov");
            REQUIRE(acts.size() == 1); // in sync: only the duplicate is reported
            CHECK(acts[0].skip == SR::duplicate);
            CHECK(acts[0].asset_id == "A-early");
        }
        SECTION("the smallest id breaks a tie") {
            w.rfile("a.mov", "A2", 10, H(A));
            w.rfile("a.mov", "A1", 10, H(A));
            CHECK(at(w.plan(), "a.mov")[0].asset_id == "A1");
        }
    }
    SECTION("row 8: items inside a same-named folder that lost are duplicates") {
        w.rfolder("F", "F1", k_old);
        w.rfolder("F", "F2", k_old + 1s);
        RemoteEntry child;
        child.path = P("F/x.mov");
        child.asset_id = "A1";
        child.parent_id = "F2";
        child.filesize = 1;
        child.upload_completed = true;
        w.remote.entries.push_back(child);
        const auto plan = w.plan();
        const auto f = at(plan, "F");
        REQUIRE(f.size() == 2);
        CHECK(f[0].kind == AK::create_local_folder);
        CHECK(f[0].asset_id == "F1");
        CHECK(f[1].skip == SR::duplicate);
        expect(plan, "F/x.mov", AK::skip, SR::duplicate);
    }
    SECTION("row 9: nothing is written into a folder that is not synced on that side") {
        // Deleted locally: a new remote file inside is not downloaded.
        const auto gone = w.rfolder("Gone", "F1");
        LocalEntry was{P("Gone"), EntryKind::folder, 0, k_old, 7, 1};
        w.jrow(World::synced(was, gone, ""));
        w.rfile("Gone/new.mov", "A1", 10, H(A));
        // Deleted on Frame.io: a new local file inside is not uploaded.
        const auto old_dir = w.ldir("Old");
        RemoteEntry old_folder;
        old_folder.path = P("Old");
        old_folder.kind = EntryKind::folder;
        old_folder.asset_id = "F9";
        w.jrow(World::synced(old_dir, old_folder, ""));
        w.lfile("Old/new.mov");
        const auto plan = w.plan();
        expect(plan, "Gone", AK::skip, SR::deleted_locally);
        expect(plan, "Gone/new.mov", AK::skip, SR::parent_skipped);
        expect(plan, "Old", AK::skip, SR::deleted_remotely);
        expect(plan, "Old/new.mov", AK::skip, SR::parent_skipped);
    }
    SECTION("row 10: --direction forbids writing to one side") {
        w.rfile("remote.mov", "A1", 10, H(A));
        w.rfolder("RemoteDir", "F1");
        w.lfile("local.mov");
        w.ldir("LocalDir");
        SECTION("up") {
            w.policy.direction = fios::policy::Direction::up;
            const auto plan = w.plan();
            expect(plan, "remote.mov", AK::skip, SR::direction_excluded);
            expect(plan, "RemoteDir", AK::skip, SR::direction_excluded);
            expect(plan, "local.mov", AK::upload);
            expect(plan, "LocalDir", AK::create_remote_folder);
        }
        SECTION("down") {
            w.policy.direction = fios::policy::Direction::down;
            const auto plan = w.plan();
            expect(plan, "remote.mov", AK::download);
            expect(plan, "RemoteDir", AK::create_local_folder);
            expect(plan, "local.mov", AK::skip, SR::direction_excluded);
            expect(plan, "LocalDir", AK::skip, SR::direction_excluded);
            // Not "settling" either: it would not be uploaded once settled.
            w.lfile("writing.mov", 10, k_now);
            expect(w.plan(), "writing.mov", AK::skip, SR::direction_excluded);
            CHECK(w.plan().observations.empty());
        }
    }
    SECTION("row 11: a local folder and a remote file at one path: conflict, folder kept") {
        const auto l = w.ldir("x");
        const auto r = w.rfile("x", "A1", 10, H(A));
        w.lfile("x/inner.mov");
        JournalRecord row = World::synced(l, r, "");
        row.kind = EntryKind::folder;
        w.jrow(row);
        const auto plan = w.plan();
        expect(plan, "x", AK::skip, SR::conflict);
        const auto a = one(plan, "x");
        REQUIRE(a.record);
        CHECK(a.record->conflict);
        expect(plan, "x/inner.mov", AK::skip, SR::parent_skipped);
    }
    SECTION("row 12: a local file and a remote folder at one path: conflict, file kept") {
        w.lfile("x");
        w.rfolder("x", "F1");
        w.rfile("x/inner.mov", "A1", 10, H(A));
        const auto plan = w.plan();
        expect(plan, "x", AK::skip, SR::conflict);
        CHECK_FALSE(one(plan, "x").record); // nothing agreed: no row to mark
        expect(plan, "x/inner.mov", AK::skip, SR::parent_skipped);
    }
    SECTION("row 13: gone on both sides: the journal row is forgotten") {
        LocalEntry l{P("old.mov"), EntryKind::file, 10, k_old, 5, 1};
        RemoteEntry r;
        r.asset_id = "A1";
        w.jrow(World::synced(l, r, H(A)));
        expect(w.plan(), "old.mov", AK::forget);
    }
}

TEST_CASE("decision table: folders (rows 14-20)", "[plan][table]") {
    World w;
    SECTION("row 14: a new local folder is created on Frame.io, parents first") {
        w.ldir("a");
        w.ldir("a/b");
        const auto plan = w.plan();
        expect(plan, "a", AK::create_remote_folder);
        expect(plan, "a/b", AK::create_remote_folder);
        CHECK(one(plan, "a").parent_asset_id == "root");
        CHECK(one(plan, "a/b").parent_asset_id.empty()); // created by the action before
        CHECK(plan.actions[0].path == P("a"));
    }
    SECTION("row 15: a new remote folder is created locally") {
        w.rfolder("a", "F1");
        w.rfolder("a/b", "F2");
        const auto plan = w.plan();
        expect(plan, "a", AK::create_local_folder);
        expect(plan, "a/b", AK::create_local_folder);
        CHECK(one(plan, "a/b").asset_id == "F2");
    }
    SECTION("row 16: the same folder on both sides is adopted") {
        w.ldir("a");
        w.rfolder("a", "F1");
        const auto plan = w.plan();
        expect(plan, "a", AK::adopt);
        const auto a = one(plan, "a");
        REQUIRE(a.record);
        CHECK(a.record->asset_id == "F1");
        CHECK(a.record->kind == EntryKind::folder);
        CHECK(a.record->state == JournalState::synced);
    }
    SECTION("row 16 (other asset): a folder replaced on Frame.io by another of the same name") {
        const auto l = w.ldir("a");
        const auto r = w.rfolder("a", "F2");
        auto row = World::synced(l, r, "");
        row.asset_id = "F1";
        w.jrow(row);
        const auto a = one(w.plan(), "a");
        CHECK(a.kind == AK::adopt);
        CHECK(a.record->asset_id == "F2");
    }
    SECTION("row 17: a synced folder needs nothing") {
        const auto l = w.ldir("a");
        const auto r = w.rfolder("a", "F1");
        w.jrow(World::synced(l, r, ""));
        CHECK(w.plan().actions.empty());
    }
    SECTION("row 18: a synced folder with stale marks gets them cleared") {
        const auto l = w.ldir("a");
        const auto r = w.rfolder("a", "F1");
        w.jrow(World::synced(l, r, "")).deleted_locally = true;
        const auto a = one(w.plan(), "a");
        CHECK(a.kind == AK::adopt);
        CHECK_FALSE(a.record->deleted_locally);
    }
    SECTION("row 19: a synced folder deleted locally is not downloaded again") {
        const auto r = w.rfolder("a", "F1");
        LocalEntry was{P("a"), EntryKind::folder, 0, k_old, 5, 1};
        w.jrow(World::synced(was, r, ""));
        const auto a = one(w.plan(), "a");
        CHECK(a.skip == SR::deleted_locally);
        REQUIRE(a.record);
        CHECK(a.record->deleted_locally);
    }
    SECTION("row 20: a synced folder deleted on Frame.io is not uploaded again") {
        const auto l = w.ldir("a");
        RemoteEntry was;
        was.asset_id = "F1";
        w.jrow(World::synced(l, was, ""));
        const auto a = one(w.plan(), "a");
        CHECK(a.skip == SR::deleted_remotely);
        REQUIRE(a.record);
        CHECK(a.record->deleted_remotely);
    }
}

TEST_CASE("decision table: new files (rows 21-31)", "[plan][table]") {
    World w;
    SECTION("row 21: a settled new local file is uploaded (zero-byte files too)") {
        w.lfile("a.mov", 10);
        w.lfile("empty.bin", 0);
        const auto plan = w.plan();
        expect(plan, "a.mov", AK::upload);
        expect(plan, "empty.bin", AK::upload);
        const auto a = one(plan, "a.mov");
        CHECK(a.parent_asset_id == "root");
        CHECK(a.attempt == 1);
        REQUIRE(a.record);
        CHECK(a.record->state == JournalState::uploading);
        CHECK(a.record->direction == TransferDirection::up);
        CHECK(a.record->asset_id.empty());
        CHECK(a.record->size == 10);
        CHECK(plan.observations.empty());
    }
    SECTION("row 22: a new local file still changing is settling, and observed") {
        const auto l = w.lfile("a.mov", 10, k_now - 1s);
        auto plan = w.plan();
        expect(plan, "a.mov", AK::skip, SR::settling);
        REQUIRE(plan.observations.size() == 1);
        CHECK(plan.observations[0] == fios::model::LocalObservation{l.path, 10, l.mtime, k_now});
        // Seen again unchanged 5 s later: ready.
        w.journal.observations[l.path] = plan.observations[0];
        w.now = k_now + 3s;
        plan = w.plan();
        expect(plan, "a.mov", AK::skip, SR::settling);
        CHECK(plan.observations[0].first_seen == k_now); // the first sighting is kept
        w.now = k_now + 5s;
        expect(w.plan(), "a.mov", AK::upload);
    }
    SECTION("row 22 (future mtime): ready once seen unchanged for the window") {
        const auto l = w.lfile("a.mov", 10, k_now + 1h);
        expect(w.plan(), "a.mov", AK::skip, SR::settling);
        w.journal.observations[l.path] = {l.path, l.size, l.mtime, k_now - 6s};
        expect(w.plan(), "a.mov", AK::upload);
    }
    SECTION("row 23: a complete remote file is downloaded to a free path") {
        w.rfile("a.mov", "A1", 10, H(A));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::download);
        CHECK(a.asset_id == "A1");
        CHECK_FALSE(a.local); // the path must be free
        REQUIRE(a.record);
        CHECK(a.record->state == JournalState::downloading);
        CHECK(a.record->size == 10);
    }
    SECTION("row 24: an incomplete remote file is not downloaded") {
        w.rfile("a.mov", "A1", 10, std::nullopt, false);
        expect(w.plan(), "a.mov", AK::skip, SR::remote_incomplete);
    }
    SECTION("row 25: local file and incomplete remote file: wait") {
        w.lfile("a.mov", 10);
        w.rfile("a.mov", "A1", 10, std::nullopt, false);
        expect(w.plan(), "a.mov", AK::skip, SR::remote_incomplete);
    }
    SECTION("row 26: local file still changing next to a remote file: wait") {
        w.lfile("a.mov", 10, k_now - 1s);
        w.rfile("a.mov", "A1", 20, H(A));
        expect(w.plan(), "a.mov", AK::skip, SR::settling);
    }
    SECTION("row 27: different sizes: conflict, nothing overwritten") {
        w.lfile("a.mov", 10);
        w.rfile("a.mov", "A1", 20, H(A));
        expect(w.plan(), "a.mov", AK::skip, SR::conflict);
    }
    SECTION("row 28: same size, no remote checksum yet: awaiting verification") {
        w.lfile("a.mov", 10);
        w.rfile("a.mov", "A1", 10, std::nullopt);
        expect(w.plan(), "a.mov", AK::skip, SR::awaiting_verification);
    }
    SECTION("row 29: same size and a checksum: hash the local file first") {
        const auto l = w.lfile("a.mov", 10);
        w.rfile("a.mov", "A1", 10, H(A));
        auto plan = w.plan();
        expect(plan, "a.mov", AK::hash_local);
        CHECK(plan.needs_hashes());
        CHECK(one(plan, "a.mov").local == l);
        // A hash for another fingerprint (the file changed since) is not used.
        auto stale = l;
        stale.inode += 1;
        w.known_hash(stale, H(A));
        expect(w.plan(), "a.mov", AK::hash_local);
    }
    SECTION("row 30: equal content is adopted without a transfer") {
        const auto l = w.lfile("a.mov", 10);
        w.rfile("a.mov", "A1", 10, H(A));
        w.known_hash(l, H(A));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::adopt);
        REQUIRE(a.record);
        CHECK(a.record->asset_id == "A1");
        CHECK(a.record->xxh64 == H(A));
        CHECK(a.record->verified);
        CHECK(a.record->state == JournalState::synced);
        CHECK(a.record->inode == l.inode);
    }
    SECTION("row 31: same size, different content: conflict, local kept") {
        const auto l = w.lfile("a.mov", 10);
        w.rfile("a.mov", "A1", 10, H(A));
        w.known_hash(l, H(B));
        expect(w.plan(), "a.mov", AK::skip, SR::conflict);
    }
}

TEST_CASE("decision table: synced files (rows 32-43)", "[plan][table]") {
    World w;
    const auto l = w.lfile("a.mov", 10);
    const auto r = w.rfile("a.mov", "A1", 10, H(A));
    JournalRecord& j = w.jrow(World::synced(l, r, H(A)));

    SECTION("row 32: in sync: nothing to do") {
        CHECK(w.plan().actions.empty());
    }
    SECTION("row 33: in sync with stale marks: cleared") {
        j.conflict = true;
        j.deleted_remotely = true;
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::adopt);
        CHECK(a.record == World::synced(l, r, H(A)));
    }
    SECTION("row 34: deleted locally: not downloaded again, marked") {
        w.local.entries.clear();
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::deleted_locally);
        REQUIRE(a.record);
        CHECK(a.record->deleted_locally);
        // Marked already: the same skip, nothing to write.
        j.deleted_locally = true;
        CHECK_FALSE(one(w.plan(), "a.mov").record);
    }
    SECTION("row 35: deleted on Frame.io: not uploaded again, even when changed locally") {
        w.remote.entries.clear();
        expect(w.plan(), "a.mov", AK::skip, SR::deleted_remotely);
        w.lfile("a.mov", 99);
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::deleted_remotely);
        CHECK(a.record->deleted_remotely);
    }
    SECTION("row 36: changed locally (other size): reported, not uploaded") {
        w.lfile("a.mov", 11, k_now - 1s); // even while still being written
        expect(w.plan(), "a.mov", AK::skip, SR::changed_locally);
    }
    SECTION("row 37: same size, newer mtime, still changing: settling") {
        auto touched = l;
        touched.mtime = k_now - 1s;
        w.local.entries[l.path] = touched;
        expect(w.plan(), "a.mov", AK::skip, SR::settling);
    }
    SECTION("row 38: same size, other mtime: hash to see whether the content changed") {
        auto touched = l;
        touched.mtime = k_old + 1s;
        w.local.entries[l.path] = touched;
        expect(w.plan(), "a.mov", AK::hash_local);
    }
    SECTION("row 39: only touched (same hash): adopted with the new fingerprint") {
        auto touched = l;
        touched.mtime = k_old + 1s;
        touched.inode = 4242; // e.g. restored from a backup
        w.local.entries[l.path] = touched;
        w.known_hash(touched, H(A));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::adopt);
        CHECK(a.record->local_mtime == touched.mtime);
        CHECK(a.record->inode == 4242);
        CHECK(a.record->asset_id == "A1");
    }
    SECTION("row 40: same size, other content: changed locally") {
        auto edited = l;
        edited.mtime = k_old + 1s;
        w.local.entries[l.path] = edited;
        w.known_hash(edited, H(B));
        expect(w.plan(), "a.mov", AK::skip, SR::changed_locally);
    }
    SECTION("row 41: same content under a new asset id (new version-stack head) is adopted") {
        w.remote.entries.clear();
        w.rfile("a.mov", "A2", 10, H(A));
        w.remote.entries.back().version_stack = fios::model::VersionStackRef{"VS1", "A2"};
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::adopt);
        CHECK(a.record->asset_id == "A2");
        CHECK(a.record->stack_id == "VS1");
    }
    SECTION("row 42: changed on Frame.io: not downloaded over the local file") {
        w.remote.entries.clear();
        w.rfile("a.mov", "A2", 12, H(B));
        w.remote.entries.back().version_stack = fios::model::VersionStackRef{"VS1", "A2"};
        expect(w.plan(), "a.mov", AK::skip, SR::remote_changed);
        // No checksum yet for the new asset: not provably equal: same answer.
        w.remote.entries.back().checksum.reset();
        w.remote.entries.back().filesize = 10;
        expect(w.plan(), "a.mov", AK::skip, SR::remote_changed);
    }
    SECTION("row 43: changed on both sides: equal -> adopt, different -> conflict") {
        w.remote.entries.clear();
        w.rfile("a.mov", "A2", 20, H(B));
        const auto edited = w.lfile("a.mov", 20);
        SECTION("equal") {
            w.known_hash(edited, H(B));
            expect(w.plan(), "a.mov", AK::adopt);
        }
        SECTION("different") {
            w.known_hash(edited, H(A));
            const auto a = one(w.plan(), "a.mov");
            CHECK(a.skip == SR::conflict);
            CHECK(a.reason.find("changed on both sides") != std::string::npos);
            CHECK(a.record->conflict);
        }
    }
}

TEST_CASE("decision table: awaiting verification (rows 44-54)", "[plan][table]") {
    World w;
    const auto l = w.lfile("a.mov", 10);

    SECTION("row 44: deleted locally before verification") {
        const auto r = w.rfile("a.mov", "A1", 10, std::nullopt);
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        w.local.entries.clear();
        expect(w.plan(), "a.mov", AK::skip, SR::deleted_locally);
    }
    SECTION("row 45: deleted on Frame.io before verification") {
        RemoteEntry gone;
        gone.asset_id = "A1";
        w.jrow(awaiting_row(l, gone, H(A), TransferDirection::up, 1));
        expect(w.plan(), "a.mov", AK::skip, SR::deleted_remotely);
    }
    SECTION("row 46: replaced on Frame.io before verification") {
        w.rfile("a.mov", "A2", 10, H(B));
        RemoteEntry old;
        old.asset_id = "A1";
        w.jrow(awaiting_row(l, old, H(A), TransferDirection::down, 1));
        expect(w.plan(), "a.mov", AK::skip, SR::remote_changed);
    }
    SECTION("row 47: no checksum yet: still awaiting, never accepted without it") {
        const auto r = w.rfile("a.mov", "A1", 10, std::nullopt);
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::awaiting_verification);
        CHECK_FALSE(a.record); // already awaiting: nothing to write
    }
    SECTION("row 48: the checksum appeared and matches: verified") {
        const auto r = w.rfile("a.mov", "A1", 10, H(A));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::down, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::verify);
        REQUIRE(a.record);
        CHECK(a.record->state == JournalState::synced);
        CHECK(a.record->verified);
        CHECK(a.record->attempts == 0);
    }
    SECTION("row 49: upload mismatch with attempts left: our asset is replaced") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.asset_id == "A1");
        CHECK(a.attempt == 2);
        CHECK(a.record->asset_id == "A1"); // the intent still names the asset to delete
        CHECK(a.record->attempts == 2);
        CHECK(a.parent_asset_id == "root");
    }
    SECTION("row 49 (changed since sent): new content starts again at attempt 1") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 3));
        w.lfile("a.mov", 12);
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.attempt == 1);
    }
    SECTION("row 50: upload mismatch, local file still changing: settling") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        w.lfile("a.mov", 12, k_now - 1s);
        expect(w.plan(), "a.mov", AK::skip, SR::settling);
    }
    SECTION("row 51: upload mismatch after 3 attempts: failed for good, never accepted") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 3));
        auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::mark_failed);
        REQUIRE(a.record);
        CHECK(a.record->state == JournalState::failed);
        CHECK_FALSE(a.record->next_retry_at);
        CHECK_FALSE(a.record->last_error.empty());
        // Now part of a version stack: not replaced either.
        w.journal.records.at(l.path).attempts = 1;
        w.remote.entries.back().version_stack = fios::model::VersionStackRef{"VS", "A1"};
        expect(w.plan(), "a.mov", AK::mark_failed);
    }
    SECTION("row 52: download mismatch, our copy untouched: downloaded again over it") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::down, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::download);
        REQUIRE(a.local);
        CHECK(*a.local == l); // replace exactly this file, nothing else
        CHECK(a.attempt == 2);
    }
    SECTION("row 53: download mismatch after 3 attempts: failed for good") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::down, 3));
        expect(w.plan(), "a.mov", AK::mark_failed);
    }
    SECTION("row 54: download mismatch, but the local copy was changed: conflict, kept") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::down, 1));
        w.lfile("a.mov", 10, k_old + 1s);
        expect(w.plan(), "a.mov", AK::skip, SR::conflict);
    }
}

TEST_CASE("decision table: interrupted uploads (rows 55-61)", "[plan][table]") {
    World w;
    const auto l = w.lfile("a.mov", 10);

    SECTION("row 55: deleted locally while its upload was interrupted") {
        w.rfile("a.mov", "A1", 10, std::nullopt, false);
        w.jrow(uploading_row(l, "A1"));
        w.local.entries.clear();
        expect(w.plan(), "a.mov", AK::skip, SR::deleted_locally);
    }
    SECTION("row 56: the create's answer was lost: resume (engine resolves the asset)") {
        w.jrow(uploading_row(l, ""));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::resume_upload);
        CHECK(a.record == w.journal.records.at(l.path));
    }
    SECTION("row 57: the file changed since the upload began: our asset is replaced") {
        w.rfile("a.mov", "A1", 10, std::nullopt, false);
        w.jrow(uploading_row(l, "A1", 2));
        w.lfile("a.mov", 20);
        auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.asset_id == "A1");
        CHECK(a.attempt == 3);
        w.journal.records.at(l.path).asset_id.clear();
        a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.asset_id.empty());
        w.lfile("a.mov", 20, k_now);
        expect(w.plan(), "a.mov", AK::skip, SR::settling);
    }
    SECTION("row 58: the asset of the interrupted upload is gone: upload again") {
        w.jrow(uploading_row(l, "A1"));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::upload);
        CHECK(a.attempt == 2);
    }
    SECTION("row 59: our incomplete asset is there: continue with the missing parts") {
        w.rfile("a.mov", "A1", 10, std::nullopt, false);
        w.jrow(uploading_row(l, "A1"));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::resume_upload);
        CHECK(a.asset_id == "A1");
    }
    SECTION("row 60: all parts arrived before the interruption: verify") {
        w.jrow(uploading_row(l, "A1"));
        SECTION("hash unknown") {
            w.rfile("a.mov", "A1", 10, H(A));
            expect(w.plan(), "a.mov", AK::hash_local);
        }
        SECTION("no checksum yet: the row becomes awaiting_verification") {
            w.rfile("a.mov", "A1", 10, std::nullopt);
            w.known_hash(l, H(A));
            const auto a = one(w.plan(), "a.mov");
            CHECK(a.skip == SR::awaiting_verification);
            REQUIRE(a.record);
            CHECK(a.record->state == JournalState::awaiting_verification);
            CHECK(a.record->xxh64 == H(A));
        }
        SECTION("checksum matches") {
            w.rfile("a.mov", "A1", 10, H(A));
            w.known_hash(l, H(A));
            const auto a = one(w.plan(), "a.mov");
            CHECK(a.kind == AK::verify);
            CHECK(a.record->xxh64 == H(A));
        }
        SECTION("checksum differs") {
            w.rfile("a.mov", "A1", 10, H(B));
            w.known_hash(l, H(A));
            expect(w.plan(), "a.mov", AK::reupload);
        }
    }
    SECTION("row 61: another item stands at the path, ours is gone: compare") {
        w.rfile("a.mov", "A2", 10, H(A));
        w.jrow(uploading_row(l, "A1"));
        w.known_hash(l, H(A));
        expect(w.plan(), "a.mov", AK::adopt);
    }
}

TEST_CASE("decision table: interrupted downloads (rows 62-66)", "[plan][table]") {
    World w;
    SECTION("row 62: deleted on Frame.io while downloading; a local file is kept") {
        RemoteEntry gone;
        gone.path = P("a.mov");
        gone.asset_id = "A1";
        w.jrow(downloading_row(gone, 10));
        w.lfile("a.mov", 10);
        expect(w.plan(), "a.mov", AK::skip, SR::deleted_remotely);
    }
    SECTION("row 63: a local file is there (renamed before it was recorded): compare") {
        const auto r = w.rfile("a.mov", "A1", 10, H(A));
        w.jrow(downloading_row(r, 10));
        const auto l = w.lfile("a.mov", 10);
        w.known_hash(l, H(A));
        expect(w.plan(), "a.mov", AK::adopt);
    }
    SECTION("row 64: same asset, same size: resume from the temporary file") {
        const auto r = w.rfile("a.mov", "A1", 10, H(A));
        w.jrow(downloading_row(r, 10));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::resume_download);
        CHECK(a.asset_id == "A1");
    }
    SECTION("row 65: the asset changed: start over") {
        const auto r = w.rfile("a.mov", "A1", 12, H(A));
        w.jrow(downloading_row(r, 10));
        expect(w.plan(), "a.mov", AK::download);
        w.remote.entries.back().asset_id = "A2";
        w.remote.entries.back().filesize = 10;
        expect(w.plan(), "a.mov", AK::download);
    }
    SECTION("row 66: the asset is incomplete now: wait") {
        const auto r = w.rfile("a.mov", "A2", 10, std::nullopt, false);
        w.jrow(downloading_row(r, 10));
        expect(w.plan(), "a.mov", AK::skip, SR::remote_incomplete);
    }
}

TEST_CASE("decision table: failed items (rows 67-71)", "[plan][table]") {
    World w;
    const auto l = w.lfile("a.mov", 10);
    SECTION("row 67: before its retry time: backoff") {
        w.jrow(failed_row(uploading_row(l, ""), TransferDirection::up, 2, k_now + 10min));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::backoff);
        CHECK(a.reason.find("10 min") != std::string::npos);
    }
    SECTION("row 68: failed for good and unchanged: reported, not retried") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        auto row = awaiting_row(l, r, H(A), TransferDirection::up, 3);
        w.jrow(failed_row(row, TransferDirection::up, 3, std::nullopt));
        expect(w.plan(), "a.mov", AK::skip, SR::failed);
    }
    SECTION("row 69: failed for good, but the local file changed: retried from attempt 1") {
        const auto r = w.rfile("a.mov", "A1", 10, H(B));
        auto row = awaiting_row(l, r, H(A), TransferDirection::up, 3);
        w.jrow(failed_row(row, TransferDirection::up, 3, std::nullopt));
        w.lfile("a.mov", 11);
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.asset_id == "A1");
        CHECK(a.attempt == 1);
    }
    SECTION("row 70: an upload whose retry time has come") {
        w.jrow(failed_row(uploading_row(l, "A1"), TransferDirection::up, 2, k_now - 1s));
        SECTION("asset gone: upload") {
            const auto a = one(w.plan(), "a.mov");
            CHECK(a.kind == AK::upload);
            CHECK(a.attempt == 3);
        }
        SECTION("our asset is there: replace it") {
            w.rfile("a.mov", "A1", 10, std::nullopt, false);
            expect(w.plan(), "a.mov", AK::reupload);
        }
        SECTION("someone else's item: compare") {
            w.rfile("a.mov", "A7", 99, H(B));
            expect(w.plan(), "a.mov", AK::skip, SR::conflict);
        }
        SECTION("deleted locally meanwhile") {
            w.rfile("a.mov", "A1", 10, std::nullopt, false);
            w.local.entries.clear();
            expect(w.plan(), "a.mov", AK::skip, SR::deleted_locally);
        }
    }
    SECTION("row 71: a download whose retry time has come") {
        w.local.entries.clear();
        const auto r = w.rfile("a.mov", "A1", 10, H(A));
        w.jrow(failed_row(downloading_row(r, 10), TransferDirection::down, 1, k_now - 1s));
        SECTION("nothing local: download") {
            const auto a = one(w.plan(), "a.mov");
            CHECK(a.kind == AK::download);
            CHECK(a.attempt == 2);
            CHECK_FALSE(a.local);
        }
        SECTION("incomplete now: wait") {
            w.remote.entries.back().upload_completed = false;
            expect(w.plan(), "a.mov", AK::skip, SR::remote_incomplete);
        }
        SECTION("our unverified copy is there untouched: downloaded again over it") {
            const auto mine = w.lfile("a.mov", 10);
            auto& row = w.journal.records.at(mine.path);
            row.local_mtime = mine.mtime;
            row.inode = mine.inode;
            const auto a = one(w.plan(), "a.mov");
            CHECK(a.kind == AK::download);
            REQUIRE(a.local);
            CHECK(*a.local == mine);
        }
        SECTION("a local file of someone else's: compare") {
            w.lfile("a.mov", 33);
            expect(w.plan(), "a.mov", AK::skip, SR::conflict);
        }
        SECTION("asset deleted: our copy is not uploaded back, a user's file is") {
            w.remote.entries.clear();
            const auto mine = w.lfile("a.mov", 10);
            auto& row = w.journal.records.at(mine.path);
            row.local_mtime = mine.mtime;
            row.inode = mine.inode;
            expect(w.plan(), "a.mov", AK::skip, SR::deleted_remotely);
            w.lfile("a.mov", 44);
            expect(w.plan(), "a.mov", AK::upload);
        }
    }
}

TEST_CASE("decision table: version stacks (row 72)", "[plan][table]") {
    World w;
    SECTION("row 72: a version stack is one file whose content is its head") {
        w.rfile("cut.mov", "HEAD3", 30, H(A));
        w.remote.entries.back().version_stack = fios::model::VersionStackRef{"VS1", "HEAD3"};
        const auto a = one(w.plan(), "cut.mov");
        CHECK(a.kind == AK::download);
        CHECK(a.asset_id == "HEAD3");
        CHECK(a.record->stack_id == "VS1");
    }
}
