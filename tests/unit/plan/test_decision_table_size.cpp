// SPDX-License-Identifier: MIT
// docs/sync-policy.md, "Without a content checksum": rows 73-77, and what each checksum row
// becomes on a backend without one (policy::Verification::size, e.g. V4). One SECTION per
// row, named by its number, like test_decision_table.cpp.
#include "plan_world.hpp"

#include <catch2/catch.hpp>

using namespace fios::test::plan;
using fios::plan::Action;
using fios::policy::Verification;
using AK = fios::plan::ActionKind;
using SR = fios::plan::SkipReason;

namespace {

const std::string A = "content-a";
const std::string B = "content-b"; // same size as A, other content

/// A world on a backend without checksums: no remote entry ever carries one.
World size_world() {
    World w;
    w.policy.verification = Verification::size;
    return w;
}

JournalRecord awaiting_row(const LocalEntry& l, const RemoteEntry& r, const std::string& sent_hash,
                           TransferDirection dir, std::uint32_t attempts) {
    JournalRecord j = World::synced(l, r, sent_hash);
    j.verified = false;
    j.state = JournalState::awaiting_verification;
    j.direction = dir;
    j.attempts = attempts;
    return j;
}

JournalRecord uploading_row(const LocalEntry& l, std::string asset_id) {
    JournalRecord j;
    j.path = l.path;
    j.size = l.size;
    j.local_mtime = l.mtime;
    j.inode = l.inode;
    j.asset_id = std::move(asset_id);
    j.state = JournalState::uploading;
    j.direction = TransferDirection::up;
    j.attempts = 1;
    return j;
}

JournalRecord downloading_row(const RemoteEntry& r) {
    JournalRecord j;
    j.path = r.path;
    j.asset_id = r.asset_id;
    j.size = r.filesize;
    j.state = JournalState::downloading;
    j.direction = TransferDirection::down;
    j.attempts = 1;
    return j;
}

/// A synced row as a size-verified transfer leaves it (policy::verified_by).
JournalRecord synced_by_size(const LocalEntry& l, const RemoteEntry& r, const std::string& hash,
                             TransferDirection dir) {
    JournalRecord j = World::synced(l, r, hash);
    j.verified = false;
    j.direction = dir;
    return j;
}

} // namespace

TEST_CASE("decision table without a checksum: new rows (73-77)", "[plan][table][size]") {
    World w = size_world();
    const auto l = w.lfile("a.mov", A.size());

    SECTION("row 73: a same-size pair with no row is a conflict, never adopted nor hashed") {
        w.rfile("a.mov", "A1", A.size());
        w.known_hash(l, H(A)); // even a known local hash proves nothing without a remote one
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::skip);
        CHECK(a.skip == SR::conflict);
        CHECK(a.reason.find("no content checksum") != std::string::npos);
    }
    SECTION("row 73: changed on both sides (row 43) ends the same way") {
        const auto r = w.rfile("a.mov", "A2", A.size());
        RemoteEntry old = r;
        old.asset_id = "A1";
        LocalEntry before = l;
        before.inode = 1;
        w.jrow(synced_by_size(before, old, H(B), TransferDirection::up));
        expect(w.plan(), "a.mov", AK::skip, SR::conflict);
    }
    SECTION("row 74: the synced asset now reports another size: remote_changed") {
        const auto r = w.rfile("a.mov", "A1", A.size() + 5);
        RemoteEntry as_synced = r;
        as_synced.filesize = A.size();
        w.jrow(synced_by_size(l, as_synced, H(A), TransferDirection::up));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::remote_changed);
        CHECK_FALSE(a.record); // no mark to set: the row stays as synced, reported each run
    }
    SECTION("row 74 does not fire while the asset keeps its size (row 32: in sync)") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        w.jrow(synced_by_size(l, r, H(A), TransferDirection::up));
        CHECK(w.plan().actions.empty());
    }
    SECTION("row 75: our upload, complete with the size sent: verified by content-md5+size") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::verify);
        REQUIRE(a.record);
        CHECK(a.record->state == JournalState::synced);
        CHECK(a.record->xxh64 == H(A)); // our own hash of the bytes sent is kept
        CHECK_FALSE(a.record->verified);
        CHECK(fios::policy::verified_by(*a.record) == "content-md5+size");
    }
    SECTION("row 75: an interrupted upload that arrived complete (row 60) is verified so") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        w.jrow(uploading_row(l, "A1"));
        const auto first = one(w.plan(), "a.mov");
        CHECK(first.kind == AK::hash_local); // our XXH64 of what was sent is recorded
        w.known_hash(l, H(A));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::verify);
        REQUIRE(a.record);
        CHECK(a.record->xxh64 == H(A));
        CHECK(fios::policy::verified_by(*a.record) == "content-md5+size");
        (void)r;
    }
    SECTION("row 75 mismatch: another size than sent is replaced (rows 49-51)") {
        const auto r = w.rfile("a.mov", "A1", A.size() - 1);
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.asset_id == "A1");
        CHECK(a.attempt == 2);
        CHECK(a.reason.find("bytes") != std::string::npos);
        w.journal.records.at(P("a.mov")).attempts = 3;
        CHECK(one(w.plan(), "a.mov").kind == AK::mark_failed); // row 51
    }
    SECTION("row 76: our download, complete with the size received: verified by size") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::down, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::verify);
        REQUIRE(a.record);
        CHECK_FALSE(a.record->verified);
        CHECK(fios::policy::verified_by(*a.record) == "size");
    }
    SECTION("row 76 mismatch: another size than received is downloaded again (rows 52-54)") {
        const auto r = w.rfile("a.mov", "A1", A.size() + 1);
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::down, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::download);
        CHECK(a.attempt == 2);
        REQUIRE(a.local);
        w.journal.records.at(P("a.mov")).attempts = 3;
        CHECK(one(w.plan(), "a.mov").kind == AK::mark_failed); // row 53
    }
    SECTION("row 77: an interrupted download in place with the asset's size is recorded") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        w.jrow(downloading_row(r));
        const auto first = one(w.plan(), "a.mov");
        CHECK(first.kind == AK::hash_local);
        w.known_hash(l, H(A));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::adopt);
        REQUIRE(a.record);
        CHECK(a.record->state == JournalState::synced);
        CHECK(a.record->asset_id == "A1");
        CHECK(a.record->xxh64 == H(A));
        CHECK(a.record->inode == l.inode);
        CHECK(fios::policy::verified_by(*a.record) == "size");
    }
    SECTION("row 77 needs the very asset and size: otherwise row 63 (a conflict)") {
        const auto r = w.rfile("a.mov", "A2", A.size());
        RemoteEntry other = r;
        other.asset_id = "A1";
        w.jrow(downloading_row(other));
        expect(w.plan(), "a.mov", AK::skip, SR::conflict);
    }
}

TEST_CASE("decision table without a checksum: the checksum rows", "[plan][table][size]") {
    World w = size_world();
    const auto l = w.lfile("a.mov", A.size());

    SECTION("rows 28-31 become row 73; row 27 (sizes differ) stays a conflict") {
        w.rfile("a.mov", "A1", A.size() + 1);
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::conflict);
        CHECK(a.reason.find("different size") != std::string::npos);
    }
    SECTION("row 41 needs a checksum: a new asset id is row 42 (remote_changed)") {
        const auto r = w.rfile("a.mov", "A2", A.size());
        RemoteEntry old = r;
        old.asset_id = "A1";
        w.jrow(synced_by_size(l, old, H(A), TransferDirection::up));
        expect(w.plan(), "a.mov", AK::skip, SR::remote_changed);
    }
    SECTION("rows 36-40 are unchanged: our recorded hash decides a touched file") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        LocalEntry before = l;
        before.inode = 1;
        w.jrow(synced_by_size(before, r, H(A), TransferDirection::down));
        CHECK(one(w.plan(), "a.mov").kind == AK::hash_local); // row 38
        w.known_hash(l, H(A));
        const auto a = one(w.plan(), "a.mov"); // row 39
        CHECK(a.kind == AK::adopt);
        REQUIRE(a.record);
        CHECK(fios::policy::verified_by(*a.record) == "size"); // how it was verified stays
    }
    SECTION("row 47 waits only for completion, never for a checksum") {
        const auto r = w.rfile("a.mov", "A1", A.size(), std::nullopt, false);
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 1));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.skip == SR::awaiting_verification);
        CHECK(a.reason.find("complete") != std::string::npos);
    }
    SECTION("row 23: a new remote file is downloaded as on V2") {
        w.local.entries.clear();
        w.rfile("a.mov", "A1", A.size());
        expect(w.plan(), "a.mov", AK::download);
    }
    SECTION("no checksum row asks to wait on a complete asset of the right size") {
        const auto r = w.rfile("a.mov", "A1", A.size());
        for (const TransferDirection dir : {TransferDirection::up, TransferDirection::down}) {
            w.jrow(awaiting_row(l, r, H(A), dir, 1));
            CHECK(one(w.plan(), "a.mov").skip != SR::awaiting_verification);
        }
    }
}

TEST_CASE("verified_by names how a row was verified", "[plan][size]") {
    World w;
    const auto l = w.lfile("a.mov");
    const auto r = w.rfile("a.mov", "A1");
    JournalRecord j = World::synced(l, r, H(A));
    CHECK(fios::policy::verified_by(j) == "checksum");
    CHECK(fios::policy::verified_by(synced_by_size(l, r, H(A), TransferDirection::up)) ==
          "content-md5+size");
    CHECK(fios::policy::verified_by(synced_by_size(l, r, H(A), TransferDirection::down)) == "size");
    j.state = JournalState::awaiting_verification;
    CHECK(fios::policy::verified_by(j).empty());
}

TEST_CASE("decision table without a checksum: a failed upload, an empty file (rows 78-79)",
          "[plan][table][size]") {
    World w = size_world();
    const auto l = w.lfile("a.mov", A.size());
    // Our asset as a listing shows it once Frame.io gave up on it: never complete.
    auto failed_asset = [&] {
        w.rfile("a.mov", "A1", A.size(), std::nullopt, false);
        w.remote.entries.back().upload_failed = true;
        return w.remote.entries.back();
    };

    SECTION("row 78: an interrupted upload Frame.io marked failed is sent again (not row 59)") {
        const auto r = failed_asset();
        w.jrow(uploading_row(l, "A1"));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.asset_id == "A1"); // ours is deleted first
        CHECK(a.attempt == 2);
        CHECK(a.reason.find("marked our upload failed") != std::string::npos);
    }
    SECTION("row 78: an awaiting upload Frame.io marked failed is sent again (not row 47)") {
        const auto r = failed_asset();
        w.jrow(awaiting_row(l, r, H(A), TransferDirection::up, 3));
        const auto a = one(w.plan(), "a.mov");
        CHECK(a.kind == AK::reupload);
        CHECK(a.attempt == 4); // past the limit: the runner backs off after this attempt
    }
    SECTION("row 78 is ours only: someone else's failed upload is an incomplete file (row 25)") {
        failed_asset();
        expect(w.plan(), "a.mov", AK::skip, SR::remote_incomplete);
    }
    SECTION("row 79: an empty local file is not uploaded where the backend refuses 0 bytes") {
        const auto empty = w.lfile("empty.txt", 0);
        w.policy.uploads_empty_files = false;
        const auto a = one(w.plan(), "empty.txt");
        CHECK(a.kind == AK::skip);
        CHECK(a.skip == SR::unsupported_type);
        CHECK_FALSE(a.record.has_value()); // the journal is not touched
        w.policy.uploads_empty_files = true;
        CHECK(one(w.plan(), "empty.txt").kind == AK::upload);
        (void)empty;
    }
}
