// SPDX-License-Identifier: MIT
// Property checks over many generated worlds: determinism, nothing outside the folder,
// nothing deleted or resurrected, conflicts never overwritten, parents first, and a fixpoint:
// after the plan's effects are applied (by a simulator that does what docs/sync-policy.md
// tells the engine to do), reconciling again yields only skips that change nothing.
#include "plan_world.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using namespace fios::test::plan;
using fios::plan::Action;
using fios::plan::Plan;
using fios::policy::Verification;
using AK = fios::plan::ActionKind;
using SR = fios::plan::SkipReason;

namespace {

/// A tiny deterministic generator (the same sequence on every platform).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    std::uint32_t next() {
        m_state = m_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(m_state >> 33U);
    }
    std::uint32_t below(std::uint32_t n) { return next() % n; }
    bool chance(std::uint32_t percent) { return below(100) < percent; }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[below(static_cast<std::uint32_t>(v.size()))];
    }

private:
    std::uint64_t m_state;
};

/// A World plus the bytes behind it, so effects can be simulated.
struct Sim {
    World w;
    std::map<RelPath, std::string> local_content;
    std::map<std::string, std::string> remote_content; // by asset id
    int next_id = 1;

    std::string new_id() { return "N" + std::to_string(next_id++); }
};

const std::vector<std::string> k_contents = {"aa", "bb", "ccc"}; // aa/bb: same size, other hash

std::vector<RelPath> universe() {
    std::vector<RelPath> out;
    for (const char* a : {"a", "b", "c"}) {
        out.push_back(P(a));
        for (const char* b : {"a", "b", "c"}) {
            out.push_back(P(std::string(a) + "/" + b));
            for (const char* c : {"a", "b"})
                out.push_back(P(std::string(a) + "/" + b + "/" + c));
        }
    }
    return out; // parents before children
}

bool local_dir_at(const World& w, const RelPath& p) {
    if (p.is_root())
        return true;
    const auto it = w.local.entries.find(p);
    return it != w.local.entries.end() && it->second.kind == EntryKind::folder;
}

std::vector<const RemoteEntry*> remote_folders_at(const World& w, const RelPath& p) {
    std::vector<const RemoteEntry*> out;
    for (const auto& r : w.remote.entries) {
        if (r.path == p && r.kind == EntryKind::folder)
            out.push_back(&r);
    }
    return out;
}

/// `verification`: size = a backend without checksums (V4): no remote entry carries one, and
/// synced rows are verified by size (policy::verified_by).
Sim generate(std::uint64_t seed, Verification verification = Verification::checksum) {
    Rng rng(seed);
    Sim s;
    World& w = s.w;
    w.policy.verification = verification;
    const bool by_size = verification == Verification::size;
    const auto paths = universe();
    // Local tree.
    for (const RelPath& p : paths) {
        if (!local_dir_at(w, p.parent()))
            continue;
        const auto roll = rng.below(100);
        if (roll < 40)
            continue;
        if (roll < 45) {
            w.lskip(p.str(), rng.chance(70) ? fios::model::LocalSkipReason::symlink
                                            : fios::model::LocalSkipReason::unreadable);
        } else if (roll < 70) {
            w.ldir(p.str());
        } else {
            const std::string& c = rng.pick(k_contents);
            w.lfile(p.str(), c.size(), rng.chance(80) ? k_old : k_now - 1s);
            s.local_content[p] = c;
        }
    }
    // Remote tree (items in a folder that lost a duplicate contest included).
    for (const RelPath& p : paths) {
        const auto parents = p.parent().is_root() ? std::vector<const RemoteEntry*>{nullptr}
                                                  : remote_folders_at(w, p.parent());
        if (parents.empty())
            continue;
        const int copies = rng.chance(10) ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            const auto* parent = rng.pick(parents);
            const std::string parent_id = parent ? parent->asset_id : w.remote.root_folder_id;
            const auto roll = rng.below(100);
            if (roll < 35)
                continue;
            const TimePoint created = k_old + std::chrono::seconds(rng.below(3));
            if (roll < 60) {
                w.rfolder(p.str(), s.new_id(), created, parent_id);
            } else {
                const std::string& c = rng.pick(k_contents);
                const bool complete = rng.chance(85);
                const bool checksum = !by_size && complete && rng.chance(80);
                const std::string id = s.new_id();
                w.rfile(p.str(), id, c.size(), checksum ? std::optional(H(c)) : std::nullopt,
                        complete, created);
                w.remote.entries.back().parent_id = parent_id;
                if (rng.chance(10)) {
                    w.remote.entries.back().version_stack =
                        fios::model::VersionStackRef{"VS" + id, id};
                }
                s.remote_content[id] = c;
            }
        }
    }
    if (rng.chance(30)) {
        w.remote.rejected.push_back(
            {RelPath::root(), "..", "BAD1", EntryKind::file, fios::model::NameIssue::dot_dot});
    }
    if (rng.chance(20)) {
        w.local.skipped.push_back({RelPath::root(), "caf\xE9", std::nullopt,
                                   fios::model::LocalSkipReason::invalid_name,
                                   fios::model::NameIssue::invalid_utf8, ""});
    }
    // Journal rows, consistent or not with what is there.
    std::set<RelPath> touched;
    for (const auto& [p, e] : w.local.entries)
        touched.insert(p);
    for (const auto& r : w.remote.entries)
        touched.insert(r.path);
    touched.insert(rng.pick(paths));
    for (const RelPath& p : touched) {
        if (!rng.chance(55))
            continue;
        JournalRecord j;
        j.path = p;
        const auto lit = w.local.entries.find(p);
        const RemoteEntry* r = nullptr;
        for (const auto& e : w.remote.entries) {
            if (e.path == p) {
                r = &e;
                break;
            }
        }
        j.kind = lit != w.local.entries.end() ? lit->second.kind
                 : r != nullptr               ? r->kind
                                : (rng.chance(50) ? EntryKind::file : EntryKind::folder);
        if (rng.chance(10))
            j.kind = j.kind == EntryKind::file ? EntryKind::folder : EntryKind::file;
        const auto roll = rng.below(100);
        j.asset_id = (r != nullptr && roll < 70) ? r->asset_id : roll < 80 ? "" : "Z9";
        if (r != nullptr && r->version_stack && rng.chance(50))
            j.stack_id = r->version_stack->stack_id;
        const auto st = rng.below(100);
        j.state = j.kind == EntryKind::folder || st < 50 ? JournalState::synced
                  : st < 65                              ? JournalState::awaiting_verification
                  : st < 75                              ? JournalState::uploading
                  : st < 85                              ? JournalState::downloading
                                                         : JournalState::failed;
        // Physical invariants: xxh64 is the hash of the bytes the fingerprint describes, and
        // a verified synced row's asset holds exactly those bytes.
        bool same_file = lit != w.local.entries.end() && rng.chance(70);
        const std::optional<std::string> local_hash = same_file && s.local_content.contains(p)
                                                          ? std::optional(H(s.local_content[p]))
                                                          : std::nullopt;
        const std::optional<std::string> remote_hash =
            r != nullptr && j.asset_id == r->asset_id && s.remote_content.contains(r->asset_id)
                ? std::optional(H(s.remote_content[r->asset_id]))
                : std::nullopt;
        if (j.state == JournalState::synced && local_hash && remote_hash &&
            *local_hash != *remote_hash) {
            same_file = false; // the local file changed since they agreed
        }
        if (same_file) {
            j.size = lit->second.size;
            j.local_mtime = lit->second.mtime;
            j.inode = lit->second.inode;
        } else {
            j.size = 2 + rng.below(2);
            j.local_mtime = k_old - 1h;
            j.inode = 1;
        }
        if (j.kind == EntryKind::file) {
            if (j.state == JournalState::synced) {
                j.xxh64 = remote_hash               ? remote_hash
                          : same_file && local_hash ? local_hash
                                                    : std::optional(H(rng.pick(k_contents)));
            } else if (same_file && local_hash) {
                if (!rng.chance(20))
                    j.xxh64 = local_hash;
            } else if (rng.chance(70)) {
                j.xxh64 = H(rng.pick(k_contents));
            }
        }
        j.verified = j.state == JournalState::synced && !by_size;
        j.direction = j.state == JournalState::uploading            ? TransferDirection::up
                      : j.state == JournalState::downloading        ? TransferDirection::down
                      : j.state == JournalState::synced && !by_size ? TransferDirection::none
                      : rng.chance(50)                              ? TransferDirection::up
                                                                    : TransferDirection::down;
        j.attempts = j.state == JournalState::synced ? 0 : 1 + rng.below(4);
        if (j.state == JournalState::failed) {
            const auto t = rng.below(3);
            if (t == 1)
                j.next_retry_at = k_now - 1min;
            if (t == 2)
                j.next_retry_at = k_now + 1min;
            j.last_error = "boom";
        }
        j.deleted_locally = rng.chance(10);
        j.deleted_remotely = rng.chance(10);
        j.conflict = rng.chance(10);
        w.jrow(j);
    }
    // Hashes already known, observations of settling files.
    for (const auto& [p, e] : w.local.entries) {
        if (e.kind != EntryKind::file)
            continue;
        if (rng.chance(30))
            w.known_hash(e, H(s.local_content[p]));
        if (e.mtime > k_now - 5s && rng.chance(30)) {
            w.journal.observations[p] = {p, e.size, e.mtime, k_now - 10s};
        }
    }
    const auto d = rng.below(100);
    w.policy.direction = d < 70   ? fios::policy::Direction::both
                         : d < 85 ? fios::policy::Direction::up
                                  : fios::policy::Direction::down;
    return s;
}

/// reconcile, then hash what it asks for and reconcile again, as the engine does.
Plan resolve(Sim& s) {
    Plan plan = s.w.plan();
    for (int round = 0; round < 3 && plan.needs_hashes(); ++round) {
        for (const Action& a : plan.actions) {
            if (a.kind != AK::hash_local)
                continue;
            REQUIRE(a.local);
            REQUIRE(s.w.local.entries.at(a.path) == *a.local);
            s.w.known_hash(*a.local, H(s.local_content.at(a.path)));
        }
        plan = s.w.plan();
    }
    INFO(fios::plan::render(plan));
    REQUIRE_FALSE(plan.needs_hashes()); // a supplied hash is never asked for again
    return plan;
}

const JournalRecord* row(const World& w, const RelPath& p) {
    const auto it = w.journal.records.find(p);
    return it == w.journal.records.end() ? nullptr : &it->second;
}

bool local_occupied(const World& w, const RelPath& p) {
    if (w.local.entries.contains(p))
        return true;
    for (const auto& s : w.local.skipped) {
        if (s.path && *s.path == p)
            return true;
    }
    return false;
}

/// Checks the safety properties of one plan over the world it was made from.
void check_safety(const World& w, const Plan& plan) {
    INFO("plan:\n" << fios::plan::render(plan));
    const std::filesystem::path root = "/sync/root";
    std::map<RelPath, std::size_t> first_index;
    bool seen_file_action = false;
    for (std::size_t i = 0; i < plan.actions.size(); ++i) {
        const Action& a = plan.actions[i];
        INFO("action " << i << ": " << fios::plan::verb(a) << " " << a.path.str());
        // Inside the folder: a valid RelPath that stays below the root when joined.
        REQUIRE(fios::model::RelPath::parse(a.path.str()));
        const auto joined = (root / a.path.str()).lexically_normal();
        CHECK(joined.string().starts_with(root.string()));
        CHECK(!a.reason.empty());
        if (!a.name.empty())
            CHECK(a.skip == SR::hostile_name);
        if (a.skip == SR::hostile_name)
            CHECK(a.kind == AK::skip);
        // Order: folder actions first (unless below a path with a non-folder action);
        // parents before children.
        if (a.entry_kind == EntryKind::folder && seen_file_action) {
            bool below_file_action = false;
            for (std::size_t k = 0; k < i; ++k) {
                const Action& b = plan.actions[k];
                if (b.entry_kind != EntryKind::file || !b.name.empty())
                    continue;
                const RelPath own = a.name.empty() ? a.path : a.path.join("x").value();
                if (b.path.is_ancestor_of(own))
                    below_file_action = true;
            }
            CHECK(below_file_action);
        }
        if (a.entry_kind == EntryKind::file)
            seen_file_action = true;
        for (RelPath anc = a.path.parent(); !anc.is_root(); anc = anc.parent()) {
            const auto it = first_index.find(anc);
            if (it != first_index.end())
                CHECK(it->second < i);
        }
        for (std::size_t k = i + 1; k < plan.actions.size(); ++k) {
            if (plan.actions[k].name.empty())
                CHECK_FALSE(plan.actions[k].path.is_ancestor_of(a.path));
        }
        if (a.name.empty())
            first_index.emplace(a.path, i);

        const JournalRecord* j = row(w, a.path);
        // Nothing deleted: the only remote asset replaced is our own unfinished upload.
        if (a.kind == AK::reupload && !a.asset_id.empty()) {
            REQUIRE(j != nullptr);
            CHECK(j->asset_id == a.asset_id);
            CHECK(j->direction == TransferDirection::up);
            CHECK(j->state != JournalState::synced);
            REQUIRE(a.remote);
            CHECK(a.remote->asset_id == a.asset_id);
            CHECK_FALSE(a.remote->version_stack);
        }
        // Conflicts never overwritten: a local write targets a free path, or our own
        // unverified download, unchanged since.
        if (a.kind == AK::download || a.kind == AK::resume_download ||
            a.kind == AK::create_local_folder) {
            if (a.local) {
                REQUIRE(a.kind == AK::download);
                REQUIRE(j != nullptr);
                CHECK(j->direction == TransferDirection::down);
                CHECK(j->state != JournalState::synced);
                CHECK(w.local.entries.at(a.path) == *a.local);
                CHECK(a.local->size == j->size);
                CHECK(a.local->inode == j->inode);
            } else {
                CHECK_FALSE(local_occupied(w, a.path));
            }
        }
        // Deletions never undone: an agreed item gone on one side is not brought back.
        if (j != nullptr && j->state == JournalState::synced && j->kind == a.entry_kind) {
            const bool local_gone = !local_occupied(w, a.path);
            const bool remote_gone =
                std::none_of(w.remote.entries.begin(), w.remote.entries.end(),
                             [&](const RemoteEntry& r) { return r.path == a.path; });
            if (local_gone) {
                CHECK(a.kind != AK::download);
                CHECK(a.kind != AK::create_local_folder);
            }
            if (remote_gone) {
                CHECK(a.kind != AK::upload);
                CHECK(a.kind != AK::reupload);
                CHECK(a.kind != AK::create_remote_folder);
            }
        }
        // No second item with the same name in one remote folder.
        if ((a.kind == AK::upload || a.kind == AK::create_remote_folder) &&
            !a.parent_asset_id.empty()) {
            for (const auto& r : w.remote.entries) {
                if (r.path == a.path)
                    CHECK(r.parent_id != a.parent_asset_id);
            }
        }
    }
    CHECK(plan.count(SR::hostile_name) ==
          w.remote.rejected.size() +
              static_cast<std::size_t>(
                  std::count_if(w.local.skipped.begin(), w.local.skipped.end(), [](const auto& s) {
                      return s.reason == fios::model::LocalSkipReason::invalid_name;
                  })));
}

/// Applies a plan's effects the way the engine is told to (docs/sync-policy.md).
void apply(Sim& s, const Plan& plan) {
    World& w = s.w;
    const bool by_size = w.policy.verification == Verification::size;
    // The row a verified transfer leaves: by checksum, or by size (verified false, the
    // direction kept: policy::verified_by).
    const auto synced_as = [&](const LocalEntry& l, const RemoteEntry& r, const std::string& hash,
                               TransferDirection dir) {
        JournalRecord j = World::synced(l, r, hash);
        if (by_size) {
            j.verified = false;
            j.direction = dir;
        }
        return j;
    };
    std::map<RelPath, std::string> created_remote;
    const auto parent_id = [&](const Action& a) -> std::string {
        if (!a.parent_asset_id.empty())
            return a.parent_asset_id;
        const RelPath pp = a.path.parent();
        if (pp.is_root())
            return w.remote.root_folder_id;
        const auto it = created_remote.find(pp);
        INFO("no folder created before " << a.path.str());
        REQUIRE(it != created_remote.end()); // parents are created first
        return it->second;
    };
    const auto require_local_parent = [&](const Action& a) {
        INFO("local parent of " << a.path.str());
        REQUIRE(local_dir_at(w, a.path.parent()));
    };
    const auto write_local = [&](const Action& a, const std::string& content) {
        require_local_parent(a);
        if (a.local) {
            REQUIRE(w.local.entries.at(a.path) == *a.local);
        } else {
            REQUIRE_FALSE(local_occupied(w, a.path));
        }
        LocalEntry e{a.path, EntryKind::file, content.size(), w.now, w.next_inode++, 1};
        w.local.entries[a.path] = e;
        s.local_content[a.path] = content;
        return e;
    };
    const auto upload = [&](const Action& a) {
        const std::string pid = parent_id(a);
        const std::string& content = s.local_content.at(a.path);
        RemoteEntry r;
        r.path = a.path;
        r.asset_id = s.new_id();
        r.parent_id = pid;
        r.filesize = content.size();
        r.upload_completed = true;
        if (!by_size)
            r.checksum = H(content);
        r.created_at = w.now;
        w.remote.entries.push_back(r);
        s.remote_content[r.asset_id] = content;
        w.journal.records[a.path] =
            synced_as(w.local.entries.at(a.path), r, H(content), TransferDirection::up);
    };
    for (const Action& a : plan.actions) {
        switch (a.kind) {
        case AK::create_remote_folder: {
            RemoteEntry r;
            r.path = a.path;
            r.kind = EntryKind::folder;
            r.asset_id = s.new_id();
            r.parent_id = parent_id(a);
            r.upload_completed = true;
            r.created_at = w.now;
            w.remote.entries.push_back(r);
            created_remote[a.path] = r.asset_id;
            w.journal.records[a.path] = World::synced(w.local.entries.at(a.path), r, "");
            break;
        }
        case AK::create_local_folder: {
            require_local_parent(a);
            REQUIRE_FALSE(local_occupied(w, a.path));
            REQUIRE(a.remote);
            w.ldir(a.path.str());
            w.journal.records[a.path] = World::synced(w.local.entries.at(a.path), *a.remote, "");
            break;
        }
        case AK::upload:
            upload(a);
            break;
        case AK::reupload: {
            if (!a.asset_id.empty()) {
                std::erase_if(w.remote.entries,
                              [&](const RemoteEntry& r) { return r.asset_id == a.asset_id; });
            }
            upload(a);
            break;
        }
        case AK::resume_upload: {
            const std::string& content = s.local_content.at(a.path);
            auto it = std::find_if(
                w.remote.entries.begin(), w.remote.entries.end(), [&](const RemoteEntry& r) {
                    return !a.record->asset_id.empty() && r.asset_id == a.record->asset_id;
                });
            if (it == w.remote.entries.end()) {
                upload(a);
                break;
            }
            it->upload_completed = true;
            it->filesize = content.size();
            if (!by_size)
                it->checksum = H(content);
            s.remote_content[it->asset_id] = content;
            w.journal.records[a.path] =
                synced_as(w.local.entries.at(a.path), *it, H(content), TransferDirection::up);
            break;
        }
        case AK::download:
        case AK::resume_download: {
            REQUIRE(a.remote);
            const std::string content = s.remote_content.at(a.asset_id);
            const auto e = write_local(a, content);
            // Without checksums the engine verifies a download by its size (row 76's rule).
            JournalRecord j = synced_as(e, *a.remote, H(content), TransferDirection::down);
            if (!by_size && !a.remote->checksum) {
                j.verified = false;
                j.state = JournalState::awaiting_verification;
                j.direction = TransferDirection::down;
                j.attempts = a.attempt;
            }
            w.journal.records[a.path] = j;
            break;
        }
        case AK::adopt:
        case AK::verify:
        case AK::mark_failed:
            REQUIRE(a.record);
            w.journal.records[a.path] = *a.record;
            break;
        case AK::forget:
            w.journal.records.erase(a.path);
            break;
        case AK::skip:
            if (a.record)
                w.journal.records[a.path] = *a.record;
            break;
        case AK::hash_local:
            FAIL("hash_local reached apply");
            break;
        }
    }
    w.journal.observations.clear();
    for (const auto& o : plan.observations)
        w.journal.observations[o.path] = o;
}

} // namespace

TEST_CASE("reconcile properties over generated worlds", "[plan][property]") {
    const auto verification = GENERATE(Verification::checksum, Verification::size);
    const auto seed = GENERATE(range(1, 401));
    Sim s = generate(static_cast<std::uint64_t>(seed), verification);
    INFO("seed " << seed << ", verification " << fios::policy::to_string(verification));

    // Determinism: the same inputs give the same plan, byte for byte.
    const Plan first = s.w.plan();
    const Plan again = s.w.plan();
    CHECK(first == again);
    CHECK(fios::plan::render(first) == fios::plan::render(again));
    check_safety(s.w, first);

    // Fixpoint: after the effects, only skips that change nothing.
    const Plan plan = resolve(s);
    check_safety(s.w, plan);
    // Only equal content is adopted or verified: the local bytes are what Frame.io holds.
    for (const Action& a : plan.actions) {
        if ((a.kind != AK::adopt && a.kind != AK::verify) || a.entry_kind != EntryKind::file)
            continue;
        INFO(fios::plan::verb(a) << " " << a.path.str());
        REQUIRE(a.remote);
        if (a.remote->checksum) {
            CHECK(*a.remote->checksum == H(s.remote_content.at(a.remote->asset_id)));
        }
        // Without a checksum nothing is ever called equal by content, except row 77: our own
        // interrupted download found in place with the asset's size (docs/sync-policy.md
        // states that residual risk).
        const JournalRecord* j = row(s.w, a.path);
        const bool found_download = verification == Verification::size && j != nullptr &&
                                    j->state == JournalState::downloading &&
                                    j->asset_id == a.remote->asset_id;
        if (a.kind == AK::adopt && !found_download) {
            CHECK(s.local_content.at(a.path) == s.remote_content.at(a.remote->asset_id));
        }
        if (verification == Verification::size) {
            CHECK_FALSE(a.remote->checksum);
            if (a.record)
                CHECK_FALSE(a.record->verified); // nothing claims a checksum it never saw
        }
    }
    apply(s, plan);
    const Plan second = resolve(s);
    INFO("first plan:\n"
         << fios::plan::render(plan) << "second plan:\n"
         << fios::plan::render(second));
    for (const Action& a : second.actions) {
        INFO(fios::plan::verb(a) << " " << a.path.str());
        CHECK(a.kind == AK::skip);
        CHECK_FALSE(a.record);
    }
}

TEST_CASE("reconcile ignores input order", "[plan][property]") {
    const auto verification = GENERATE(Verification::checksum, Verification::size);
    const auto seed = GENERATE(range(1, 101));
    Sim s = generate(static_cast<std::uint64_t>(seed), verification);
    const Plan plan = s.w.plan();
    std::reverse(s.w.remote.entries.begin(), s.w.remote.entries.end());
    std::reverse(s.w.local.skipped.begin(), s.w.local.skipped.end());
    INFO("seed " << seed);
    CHECK(fios::plan::render(s.w.plan()) == fios::plan::render(plan));
}
