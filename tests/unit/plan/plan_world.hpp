// SPDX-License-Identifier: MIT
#pragma once

// Test helpers for reconcile: a small world builder (local, remote, journal) and a simulator
// that applies a plan's effects the way docs/sync-policy.md tells the engine to.

#include "fios/hash/xxh64.hpp"
#include "fios/plan/reconcile.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fios::test::plan {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using model::LocalEntry;
using model::RelPath;
using model::RemoteEntry;
using model::TimePoint;
using model::TransferDirection;
using namespace std::chrono_literals;

inline const TimePoint k_now{std::chrono::seconds{1'700'000'000}};
inline const TimePoint k_old = k_now - 1h; // an mtime long settled

inline RelPath P(std::string_view s) {
    auto p = RelPath::parse(s);
    REQUIRE(p);
    return *p;
}

/// XXH64 of a content token: what Frame.io would report for a file with that content.
inline std::string H(const std::string& content) {
    return hash::xxh64_hex(content);
}

struct World {
    model::RemoteSnapshot remote{"root", {}, {}};
    model::LocalSnapshot local;
    model::JournalSnapshot journal;
    policy::Policy policy;
    TimePoint now = k_now;
    std::uint64_t next_inode = 1000;

    // -- local ------------------------------------------------------------------------------
    LocalEntry lfile(std::string_view path, std::uint64_t size = 10, TimePoint mtime = k_old) {
        LocalEntry e{P(path), EntryKind::file, size, mtime, next_inode++, 1};
        local.entries[e.path] = e;
        return e;
    }
    LocalEntry ldir(std::string_view path) {
        LocalEntry e{P(path), EntryKind::folder, 0, k_old, next_inode++, 1};
        local.entries[e.path] = e;
        return e;
    }
    void lskip(std::string_view path, model::LocalSkipReason reason) {
        const RelPath p = P(path);
        local.skipped.push_back(model::LocalSkip{p.parent(), std::string(p.name()), p, reason,
                                                 model::NameIssue::none, ""});
    }

    // -- remote -----------------------------------------------------------------------------
    std::string folder_id(const RelPath& p) const {
        if (p.is_root())
            return remote.root_folder_id;
        for (const auto& r : remote.entries) {
            if (r.path == p && r.kind == EntryKind::folder)
                return r.asset_id;
        }
        FAIL("no remote folder at " << p.str());
        return {};
    }
    RemoteEntry rfile(std::string_view path, std::string id, std::uint64_t size = 10,
                      std::optional<std::string> checksum = std::nullopt, bool complete = true,
                      TimePoint created = k_old) {
        RemoteEntry r;
        r.path = P(path);
        r.kind = EntryKind::file;
        r.asset_id = std::move(id);
        r.parent_id = folder_id(r.path.parent());
        r.filesize = size;
        r.upload_completed = complete;
        r.checksum = std::move(checksum);
        r.created_at = created;
        r.updated_at = created;
        remote.entries.push_back(r);
        return r;
    }
    RemoteEntry rfolder(std::string_view path, std::string id, TimePoint created = k_old,
                        std::optional<std::string> parent_id = std::nullopt) {
        RemoteEntry r;
        r.path = P(path);
        r.kind = EntryKind::folder;
        r.asset_id = std::move(id);
        r.parent_id = parent_id ? *parent_id : folder_id(r.path.parent());
        r.upload_completed = true;
        r.created_at = created;
        r.updated_at = created;
        remote.entries.push_back(r);
        return r;
    }

    // -- journal ----------------------------------------------------------------------------
    JournalRecord& jrow(const JournalRecord& r) {
        journal.records[r.path] = r;
        return journal.records[r.path];
    }
    /// The row both sides agreed on for a file: l's fingerprint, r's asset, `hash`.
    static JournalRecord synced(const LocalEntry& l, const RemoteEntry& r, std::string hash) {
        JournalRecord j;
        j.path = l.path;
        j.kind = l.kind;
        j.asset_id = r.asset_id;
        j.stack_id = r.version_stack ? r.version_stack->stack_id : std::string();
        j.size = l.size;
        j.local_mtime = l.mtime;
        j.inode = l.inode;
        if (l.kind == EntryKind::file)
            j.xxh64 = std::move(hash);
        j.verified = true;
        j.state = JournalState::synced;
        return j;
    }
    void known_hash(const LocalEntry& l, std::string hash) {
        journal.hashes[l.path] =
            model::LocalHash{l.path, l.size, l.mtime, l.inode, std::move(hash)};
    }

    [[nodiscard]] fios::plan::Plan plan() const {
        return fios::plan::reconcile(remote, local, journal, policy, now);
    }
};

/// The actions at `path` (hostile-name skips, which carry a name, excluded).
inline std::vector<fios::plan::Action> at(const fios::plan::Plan& plan, std::string_view path) {
    std::vector<fios::plan::Action> out;
    for (const auto& a : plan.actions) {
        if (a.path.str() == path && a.name.empty())
            out.push_back(a);
    }
    return out;
}

/// The one action at `path`; fails the test when there is not exactly one.
inline fios::plan::Action one(const fios::plan::Plan& plan, std::string_view path) {
    const auto found = at(plan, path);
    INFO("plan:\n" << fios::plan::render(plan));
    REQUIRE(found.size() == 1);
    return found.front();
}

inline void expect(const fios::plan::Plan& plan, std::string_view path, fios::plan::ActionKind kind,
                   fios::plan::SkipReason why = fios::plan::SkipReason::none) {
    const auto a = one(plan, path);
    INFO("plan:\n" << fios::plan::render(plan));
    CHECK(fios::plan::to_string(a.kind) == fios::plan::to_string(kind));
    CHECK(fios::plan::to_string(a.skip) == fios::plan::to_string(why));
    CHECK_FALSE(a.reason.empty());
}

} // namespace fios::test::plan
