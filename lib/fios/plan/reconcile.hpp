// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/entry.hpp"
#include "fios/model/snapshot.hpp"
#include "fios/plan/plan.hpp"
#include "fios/policy/policy.hpp"

/// Phase "reconcile" of a sync run: lock → discover remote → scan local → read journal →
/// **reconcile** → execute → record.
///
/// Inputs: the remote snapshot (names already mapped by scan/path_map), the local snapshot
/// (scan/local_scanner), the journal's records, settle observations and known local hashes,
/// the policy, and `now`. Output: a Plan. No side effects of any kind: no I/O, no clock, no
/// globals; the same inputs always give the same plan (byte for byte in render()).
///
/// It is a three-way merge per path (local × remote × journal), implementing
/// docs/sync-policy.md row by row (the comments "row N" below refer to that table). What
/// counts as verified follows `policy.verification` (the backend's checksum capability): on a
/// backend without a checksum no row waits for one (rows 73-77). Its
/// guarantees, tested as properties:
///   - no action targets a path outside the folder (every path is a RelPath);
///   - nothing is ever deleted: deletions never propagate and are never undone; the only
///     remote asset ever replaced is our own unverified or incomplete upload (reupload),
///     the only local file ever replaced is our own unverified download, unchanged since;
///   - a conflict keeps the local file and never writes the remote one over it;
///   - after the plan's effects are applied, reconciling again yields only skips that
///     change nothing.
namespace fios::plan {

/// Decides what to do for every path of one sync folder. See the file comment.
/// When the plan needs_hashes(), hash those files, add them to `journal.hashes` and call
/// again: the second plan asks for no hash it was given (unless the file changed meanwhile,
/// in which case treat the remaining hash_local actions as skipped for this run).
[[nodiscard]] Plan reconcile(const model::RemoteSnapshot& remote, const model::LocalSnapshot& local,
                             const model::JournalSnapshot& journal, const policy::Policy& policy,
                             model::TimePoint now);

} // namespace fios::plan
