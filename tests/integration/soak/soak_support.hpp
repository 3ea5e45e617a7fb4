// SPDX-License-Identifier: MIT
#pragma once

// Shared pieces of the soak and crash-point suites (docs/reliability.md, "Fault soak" and
// "Crash points"): sizes and seeds read from the environment, a seeded workload of files in
// nested folders on both sides, the tree every side must end with, and the checks made after
// every run (no duplicate, nothing under a real name that is not the file's true content).
#include "sync_fixture.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fios::test::soak {

using sync::SyncFixture;
using sync::Tree;

/// A size of a suite: the variable `var` when set (a number), else `full` when FIOS_SOAK=full,
/// else `ci`. Throws on a value that is not a positive number.
std::size_t env_size(const char* var, std::size_t ci, std::size_t full);
/// A seed: the variable `var` when set, else FIOS_SOAK_SEED when set, else `fallback`.
std::uint64_t env_seed(const char* var, std::uint64_t fallback);
/// True when FIOS_SOAK=full.
bool full_size();

/// One file of a workload: its path and size (content seeded by the path, as the harness's
/// insert(path, size) writes it on either side).
struct FileSpec {
    std::string path;
    std::uint64_t size = 0;
};

/// Files to create, by side, in nested folders ("a2/b0/c1/..."); names never repeat across
/// sides.
struct Workload {
    std::vector<FileSpec> local;
    std::vector<FileSpec> remote;
    std::vector<std::string> local_empty_folders;
};

/// A seeded workload of `files` files, about half on each side, in folders 1 to `max_depth`
/// levels deep, `multipart_percent` of them taking several parts at the harness's part size
/// (the others 1 B to 40 KB, never empty: V4 accepts no empty file), and an empty local folder
/// per 50 files. `prefix` makes names of a later batch distinct from the first.
Workload make_workload(std::size_t files, std::uint64_t seed, unsigned multipart_percent,
                       unsigned max_depth, const std::string& prefix = "");

/// Creates the workload on both sides (remote uploads through the emulator's API: call with
/// faults off). Adds what was created to `expected`.
void populate(SyncFixture& fx, const Workload& w, Tree& expected);

/// Every fault of the emulator at once, at the rates of issue 9 (docs/emulator.md "Faults"):
/// 10% of API calls 5xx, 10% of part PUTs 5xx, 5% of part PUTs reset mid-body, 2% of downloads
/// truncated, 5% of downloads 5xx, a burst of 4 429s, 10 ms added to every request, and on V4
/// 5% of uploads marked failed by Frame.io. Posting it restarts the seeded streams.
std::string all_faults(sync::Generation generation, std::uint64_t seed);
/// Emulator arguments for links that expire soon: V2 signed upload and download URLs after
/// 20 s, V4 media links after 5 s of emulator time (a download asks for a fresh one).
std::vector<std::string> expiring_links();

/// Remote paths held by several live items ("path #2" entries of the remote tree).
std::vector<std::string> duplicates(const Tree& remote);

/// Whether a path's last segment is a temporary download (".fios-*").
bool is_temp(const std::string& path);

/// Paths of `actual` whose file (under a real name, not ".fios-*") differs from what `expected`
/// says that path holds, or that `expected` does not know: a partial, corrupt or invented file.
/// `incomplete` remote uploads are allowed (an upload still in progress).
std::vector<std::string> wrong_files(const Tree& actual, const Tree& expected);

/// Both sides' trees are `expected` exactly (no temporary file left either).
bool converged(SyncFixture& fx, const Tree& expected);

/// The one line printed at the start of a soak or crash scenario, so that a failure can be
/// replayed ("soak: v2, 60 files, seed 9; replay: FIOS_SOAK_SEED=9 ...").
void announce(const std::string& what, const SyncFixture& fx, std::size_t files,
              std::uint64_t seed);

std::string join(const std::vector<std::string>& items);
/// The last `n` characters of a program's output (for INFO).
std::string tail(const std::string& text, std::size_t n = 3000);

/// CHECKs what must hold after a kill and after every run: no remote path holds two assets,
/// no file under a real name on either side is anything but its path's content in `expected`.
void check_invariants(SyncFixture& fx, const Tree& expected);
/// Every folder of `expected` (and the root) listed through the API, not the admin state:
/// names held by more than one asset.
std::vector<std::string> api_duplicates(SyncFixture& fx, const Tree& expected);
/// The environment of a `frameio-sync` child of these suites: the fixture's, and a failed item
/// retried a second later rather than after the policy's minute (docs/testing.md,
/// FIOS_TEST_RETRY_BACKOFF_SECONDS): what happens after a restart is the point here, not how
/// long the backoff is.
fios::test::RunOptions soak_cli_options(const SyncFixture& fx);
/// `frameio-sync sync --once` until a run exits 0 with both trees as `expected`, at most
/// `bound` runs; CHECKs the invariants after each, and that an exit 0 means exactly that.
/// Returns the number of runs (bound + 1 when it did not converge).
int run_until_converged(SyncFixture& fx, const Tree& expected, int bound);

} // namespace fios::test::soak
