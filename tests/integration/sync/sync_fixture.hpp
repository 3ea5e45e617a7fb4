// SPDX-License-Identifier: MIT
#pragma once

// The sync harness, in the style of nextcloud's FakeFolder (docs/testing.md, "Sync harness"):
// frameio-emulator on loopback, a real temporary sync folder, the real state database and
// journal (XDG_STATE_HOME in a TempDir), and the engine run in-process with an injected
// FakeClock (sync_once) or `frameio-sync sync --once` run as a child process (cli).
//
// Both sides share one vocabulary of verbs (insert / remove / touch / mkdir), and both trees
// come back as the same comparable map path -> (kind, size, XXH64), so that a scenario reads
// as a short story ending in CHECK_TREES_EQUAL(fx.local_tree(), fx.remote_tree()).
//
// The oracle never uses the code under test: local trees are read with lstat and xxHash,
// remote trees from the emulator's admin state (GET /_emulator/state), set-up goes through the
// emulator's real API with a plain libcurl client (support/http_client.hpp).

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/core/clock.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/model/journal_record.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace fios::api {
class V2Client;
class V4Client;
class TokenProvider;
} // namespace fios::api
namespace fios::net {
class CurlTransport;
}
namespace fios::remote {
class Remote;
class V2Remote;
class V4Remote;
} // namespace fios::remote
namespace fios::store {
class StateDb;
struct ProjectInfo;
} // namespace fios::store

namespace fios::test::sync {

namespace fs = std::filesystem;

inline constexpr const char* k_token = "sync-harness-token";
/// The V4 account's legacy developer token (`--v4-legacy-token`); sent with
/// `x-frameio-legacy-token-auth: true`.
inline constexpr const char* k_v4_token = "sync-harness-v4-token";

/// The Frame.io API generation a scenario runs against. V2: the emulator's V2 team, V2Client,
/// V2Remote, V2ProjectDirectory. V4: the emulator's V4 workspace (legacy token), V4Client,
/// V4Remote, V4ProjectDirectory: no checksums (policy::Verification::size), no counters.
enum class Generation { v2, v4 };
std::string_view to_string(Generation generation);
/// The generation a scenario runs on unless it chooses one: FIOS_HARNESS_GENERATION (`v2` or
/// `v4`; `v2` when unset). ctest runs the harness suites once per generation (tests/integration
/// /sync/CMakeLists.txt); a scenario tagged [v2-only] or [v4-only] tells a story one
/// generation cannot have, and names its counterpart.
Generation harness_generation();

// --- trees -------------------------------------------------------------------------------------

enum class NodeKind { file, folder, symlink, special, incomplete };
std::string_view to_string(NodeKind kind);

/// One path of a tree. Files: size and XXH64 (16 lower-case hex). Folders: size 0, no hash.
/// Remote files whose upload never completed are `incomplete` (they have no content yet).
struct Node {
    NodeKind kind = NodeKind::file;
    std::uint64_t size = 0;
    std::string xxh64;
    friend bool operator==(const Node&, const Node&) = default;
};

/// path ("A/b.txt") -> node. A remote path held by several live items appears once per extra
/// item as "path #2", "path #3", so that duplicates can never compare equal to a local tree.
using Tree = std::map<std::string, Node>;

Node file_node(const std::string& content);
Node folder_node();
/// A readable list of the differences ("" when equal).
std::string tree_diff(const Tree& expected, const Tree& actual);
std::string describe(const Tree& tree);

/// `tree` without the given paths (and everything below them).
Tree without(Tree tree, const std::vector<std::string>& paths);

#define CHECK_TREES_EQUAL(a, b)                                                                    \
    do {                                                                                           \
        const auto fios_tree_a_ = (a);                                                             \
        const auto fios_tree_b_ = (b);                                                             \
        INFO(::fios::test::sync::tree_diff(fios_tree_a_, fios_tree_b_));                           \
        CHECK(fios_tree_a_ == fios_tree_b_);                                                       \
    } while (false)
#define REQUIRE_TREES_EQUAL(a, b)                                                                  \
    do {                                                                                           \
        const auto fios_tree_a_ = (a);                                                             \
        const auto fios_tree_b_ = (b);                                                             \
        INFO(::fios::test::sync::tree_diff(fios_tree_a_, fios_tree_b_));                           \
        REQUIRE(fios_tree_a_ == fios_tree_b_);                                                     \
    } while (false)

/// REQUIREs that a run produced a report (it did not fail to start), printing its items.
#define REQUIRE_RUN(outcome)                                                                       \
    do {                                                                                           \
        const ::fios::test::sync::RunOutcome& fios_run_ = (outcome);                               \
        INFO(fios_run_.describe());                                                                \
        REQUIRE(fios_run_.report.has_value());                                                     \
    } while (false)

// --- content -----------------------------------------------------------------------------------

/// Deterministic pseudo-random bytes (seeded), fast enough for GiB files.
std::string make_content(std::uint64_t size, std::uint64_t seed);
/// Writes make_content(size, seed) to `path` in chunks (constant memory).
void write_content_file(const fs::path& path, std::uint64_t size, std::uint64_t seed);
/// XXH64 of a file, streamed, as 16 lower-case hex digits.
std::string xxh64_file(const fs::path& path);
std::string xxh64_hex(const std::string& bytes);
/// A seed derived from a path, so that equal paths get equal content across sides.
std::uint64_t seed_of(const std::string& path);

// --- the emulator's admin API --------------------------------------------------------------------

/// Request counts by route ("PUT /parts", "POST /v2/assets/{id}/children", ...).
using Stats = std::map<std::string, long>;

class Emulator {
public:
    explicit Emulator(std::vector<std::string> extra_args);
    [[nodiscard]] const std::string& base_url() const { return m_process->base_url(); }
    [[nodiscard]] EmulatorProcess& process() { return *m_process; }

    /// Kills the emulator with SIGKILL (a crash) and starts it again on the same port and
    /// `--data` directory, so that every URL it signed stays valid (docs/emulator.md,
    /// "Persistence"). Stats, faults and rate-limit buckets start empty. Throws unless it was
    /// started with `--data`.
    void kill_and_restart();

    Stats stats() const;
    void reset_stats() const;
    void advance_clock(long seconds) const;
    /// POST /_emulator/faults with a JSON object body, e.g. R"({"burst429": 5})".
    void set_faults(const std::string& json) const;
    /// POST /_emulator/fail-next.
    void fail_next(const std::string& route, int status, bool after, long count = 1) const;
    void reset_rate_limits() const;
    /// POST /_emulator/assets/{id}/corrupt {"what": "checksum"|"content"}.
    void corrupt(const std::string& asset_id, const std::string& what) const;
    /// GET /_emulator/state.
    rapidjson::Document state() const;
    /// A call to the API with the harness token (a path under /v4: the V4 token and its legacy
    /// header). A 429 resets the rate limiter and retries (set-up must not depend on pacing;
    /// the code under test does). Throws on transport failure and, unless `expect` is 0, on a
    /// status other than `expect`.
    HttpReply api(const std::string& method, const std::string& path, const std::string& body = {},
                  long expect = 200) const;

private:
    std::vector<std::string> m_args;
    std::unique_ptr<EmulatorProcess> m_process;
};

/// Sum of the request counts whose route starts with `prefix`.
long count(const Stats& stats, const std::string& route);
/// Creates of folders and files, on either generation (V2: POST /v2/assets/{id}/children; V4:
/// folder creates and local_upload).
long count_creates(const Stats& stats);
/// Folder listings, one per folder listed, on either generation (V2: GET .../children; V4:
/// the folder's `folders` list, the first of its three lists).
long count_listings(const Stats& stats);

// --- the two sides
// ---------------------------------------------------------------------------------

/// The local sync folder: verbs on a real directory.
class LocalSide {
public:
    LocalSide(fs::path root, const FakeClock& clock) : m_root(std::move(root)), m_clock(&clock) {}

    [[nodiscard]] const fs::path& root() const { return m_root; }
    [[nodiscard]] fs::path abs(const std::string& rel) const { return m_root / rel; }

    /// A file of `size` bytes of content seeded by its path (the same as RemoteSide::insert
    /// with a size), parents created, mtime one hour before the clock: settled.
    void insert(const std::string& path, std::uint64_t size);
    void insert(const std::string& path, const std::string& content);
    void mkdir(const std::string& path);
    void remove(const std::string& path);
    /// Sets the mtime to the injected clock's now: the file is "still being written".
    void touch(const std::string& path);
    void set_mtime(const std::string& path, model::TimePoint when);
    void append(const std::string& path, const std::string& bytes);
    void symlink(const std::string& path, const fs::path& target);
    void fifo(const std::string& path);
    [[nodiscard]] std::string read(const std::string& path) const;
    [[nodiscard]] bool exists(const std::string& path) const;

    /// Everything below the root, symlinks and special files included (never followed).
    [[nodiscard]] Tree tree() const;
    /// Sizes of the files named ".fios-*" below the root (temporary downloads), by path;
    /// lstat only, cheap enough to poll.
    [[nodiscard]] std::map<std::string, std::uint64_t> temp_sizes() const;
    /// Names starting with ".fios-" anywhere below the root (temporary downloads).
    [[nodiscard]] std::vector<std::string> temp_files() const;

private:
    fs::path m_root;
    const FakeClock* m_clock;
};

/// The project on the emulator: verbs through the real API.
class RemoteSide {
public:
    /// `account_id`: V4 only, the account every /v4 route is under.
    RemoteSide(const Emulator& emulator, std::string project_id, std::string root_id,
               Generation generation = Generation::v2, std::string account_id = {})
        : m_emu(&emulator), m_project_id(std::move(project_id)), m_root_id(std::move(root_id)),
          m_generation(generation), m_account_id(std::move(account_id)) {}

    [[nodiscard]] Generation generation() const { return m_generation; }
    [[nodiscard]] const std::string& account_id() const { return m_account_id; }
    [[nodiscard]] const std::string& project_id() const { return m_project_id; }
    [[nodiscard]] const std::string& root_id() const { return m_root_id; }

    /// Creates the folder (and its parents, reusing existing ones); returns its id.
    std::string mkdir(const std::string& path);
    /// Creates a file (parents as mkdir) and uploads every part; returns the asset id.
    std::string insert(const std::string& path, std::uint64_t size);
    std::string insert(const std::string& path, const std::string& content);
    /// Creates the file but uploads only the first `parts` parts (never completes).
    std::string insert_incomplete(const std::string& path, const std::string& content,
                                  std::size_t parts);
    /// DELETE of the live item at `path`.
    void remove(const std::string& path);
    /// Uploads `content` as a new version on top of the item at `path` (making a stack when
    /// it is a file); returns the new version's id. V4 stacks files only (version_stacks.create
    /// takes files of one folder): on V4 `path` must be a file.
    std::string add_version(const std::string& path, const std::string& content,
                            std::size_t max_parts = SIZE_MAX);
    /// Renames the item at `path` (hostile names come through this or insert_named).
    void rename(const std::string& path, const std::string& new_name);
    /// A file whose name is taken raw (may be "..", contain '/', be 300 bytes...), in the
    /// folder at `parent` ("" = root). Returns the asset id.
    std::string insert_named(const std::string& parent, const std::string& raw_name,
                             const std::string& content);
    /// A file uploaded into the folder with id `folder_id`; returns the asset id.
    std::string insert_into(const std::string& folder_id, const std::string& raw_name,
                            const std::string& content) {
        return upload(folder_id, raw_name, content, SIZE_MAX);
    }
    /// A folder with a raw name; returns its id.
    std::string mkdir_named(const std::string& parent, const std::string& raw_name);
    /// A folder with a raw name in the folder with id `folder_id`; returns its id.
    std::string mkdir_into(const std::string& folder_id, const std::string& raw_name) {
        return create_folder(folder_id, raw_name);
    }

    /// The live item at `path` (throws when none); with several, the smallest id.
    [[nodiscard]] std::string id_of(const std::string& path) const;
    /// Every live item id at `path` (duplicates included).
    [[nodiscard]] std::vector<std::string> ids_at(const std::string& path) const;
    /// Live children of a folder through the API (GET children, every page): name -> count.
    [[nodiscard]] std::map<std::string, int> list_names(const std::string& folder_id) const;

    /// The live tree from the emulator's admin state: a version stack is one file with its
    /// head's content; versions inside stacks are not listed; incomplete files are
    /// `incomplete`; names that are not valid relative path segments are listed raw.
    [[nodiscard]] Tree tree() const;

private:
    std::string create_folder(const std::string& parent_id, const std::string& name);
    std::string upload(const std::string& parent_id, const std::string& name,
                       const std::string& content, std::size_t max_parts);
    // V4 set-up through plain HTTP (sync_fixture_v4.cpp).
    std::string create_folder_v4(const std::string& parent_id, const std::string& name);
    std::string upload_v4(const std::string& parent_id, const std::string& name,
                          const std::string& content, std::size_t max_parts);
    void remove_v4(const std::string& id, bool folder);
    /// version_stacks.create of [bottom, top] in the folder.
    void stack_v4(const std::string& folder_id, const std::string& bottom, const std::string& top);
    /// PATCH of a file's name, else of a folder's.
    void rename_v4(const std::string& id, const std::string& new_name);
    [[nodiscard]] std::map<std::string, int> list_names_v4(const std::string& folder_id) const;
    /// XXH64 of a completed file's stored bytes (admin API: not counted in the stats).
    std::string content_hash_v4(const std::string& id) const;

    const Emulator* m_emu;
    std::string m_project_id;
    std::string m_root_id;
    Generation m_generation = Generation::v2;
    std::string m_account_id;
};

// --- the fixture ---------------------------------------------------------------------------------

struct FixtureOptions {
    Generation generation = harness_generation();
    /// Emulator arguments besides the harness's own (--token, --checksum-delay, --part-size).
    std::vector<std::string> emulator_args;
    /// The emulator's default rate limits unless false (`--no-rate-limit`). Unset: V2 runs at
    /// its defaults (its scenarios always have), V4 lifts them (its per-operation limits would
    /// make the breadth of the harness take hours); the pacing and 429 scenarios set it.
    std::optional<bool> rate_limited;
    /// The in-process client paces its own requests to the documented limits (V2: 40 folder
    /// listings a minute) unless false. The soak turns it off with the emulator's limits, so
    /// that its runs spend their time on faults, not on the pacer (pacing has its scenarios).
    bool pace_requests = true;
    double checksum_delay = 1.0; ///< seconds of emulator time; > 0 by default (V2)
    /// V4 (no checksum): seconds of emulator time until an upload shows complete
    /// (--v4-complete-delay): the scenarios where our upload is left awaiting verification set
    /// it with checksum_delay. 0: complete with the last part.
    double v4_complete_delay = 0;
    std::int64_t part_size = 64 * 1024; ///< --part-size and --v4-part-size (k_three_parts)
    std::string project_name = "Harness";
};

/// Options of a scenario on `generation`, with that generation's default rate-limit choice.
inline FixtureOptions options_for(Generation generation) {
    FixtureOptions o;
    o.generation = generation;
    return o;
}

/// Bytes of a file that takes 3 parts (2 full + a remainder) at the default part size.
inline constexpr std::uint64_t k_three_parts = 2 * 64 * 1024 + 1000;

/// What one in-process run produced.
struct RunOutcome {
    std::optional<engine::RunReport> report; ///< unset when run() returned an Error
    std::optional<Error> error;
    std::vector<engine::ItemEvent> items;
    std::vector<engine::Warning> warnings;
    std::vector<plan::Plan> plans;

    /// The report's totals (REQUIRE that the run produced a report first).
    [[nodiscard]] const engine::Counts& totals() const;
    /// Items of a path (several when an action was retried).
    [[nodiscard]] std::vector<const engine::ItemEvent*> items_at(const std::string& path) const;
    /// The last item event of a path, or nullptr.
    [[nodiscard]] const engine::ItemEvent* item(const std::string& path) const;
    /// True when some item event of `path` has this action (and skip reason).
    [[nodiscard]] bool has(const std::string& path, plan::ActionKind action,
                           plan::SkipReason skip = plan::SkipReason::none) const;
    /// "path: action/skip -> result (error)" lines, for INFO().
    [[nodiscard]] std::string describe() const;
};

class SyncFixture {
public:
    explicit SyncFixture(FixtureOptions options = {});
    ~SyncFixture();
    SyncFixture(const SyncFixture&) = delete;
    SyncFixture& operator=(const SyncFixture&) = delete;

    [[nodiscard]] Generation generation() const { return m_options.generation; }
    LocalSide& local() { return m_local; }
    RemoteSide& remote() { return *m_remote; }
    Emulator& emulator() { return m_emulator; }
    FakeClock& clock() { return m_clock; }

    [[nodiscard]] Tree local_tree() const { return m_local.tree(); }
    [[nodiscard]] Tree remote_tree() const { return m_remote->tree(); }

    /// Run options for scenarios: settle 5 s (on the injected clock), a verify timeout long
    /// enough for the emulator's checksum delay, every project.
    [[nodiscard]] engine::RunOptions run_options() const;
    /// One in-process SyncEngine::run over the fixture's state database and the emulator.
    /// Resets the emulator's rate limiter first, so each run starts from a full budget.
    RunOutcome sync_once(engine::RunOptions options);
    RunOutcome sync_once() { return sync_once(run_options()); }

    /// Another project beside the scenario's, in the same team (V4: workspace), not selected.
    RemoteSide create_project(const std::string& name);

    /// Queues failures (docs/emulator.md, fail-next) for the next creates: `folders` folder
    /// creates and `files` file creates on V4; the next folders + files creates of either kind
    /// on V2 (one route).
    void fail_next_creates(int status, bool after, long folders, long files);

    /// Moves the emulator clock past the checksum delay (V4: the completion delay), so that
    /// every upload completed so far has its checksum published / shows complete (as for
    /// files uploaded long before the run).
    void publish_checksums();

    /// Whether the injected clock follows real time while sync_once() runs (default: yes;
    /// see sync_once). Between runs it only moves by clock().advance().
    void set_clock_pump(bool on) { m_pump_clock = on; }
    /// sync_once() runs with this EngineDeps::remote_cache (partial runs); null: none.
    void set_remote_cache(engine::RemoteCache* cache) { m_remote_cache = cache; }

    /// Environment of a `frameio-sync` child: HOME, XDG_*, FRAMEIO_SYNC_API (the fixture's
    /// generation), FRAMEIO_TOKEN, FRAMEIO_API_URL, FRAMEIO_IMS_URL. The CLI scenarios and the
    /// crash suite run on V2 so far.
    [[nodiscard]] RunOptions
    cli_options(std::chrono::milliseconds deadline = std::chrono::seconds(120)) const;
    [[nodiscard]] std::vector<std::string> cli_argv(const std::vector<std::string>& args) const;
    /// Runs `frameio-sync args...` to completion.
    ProcessResult cli(const std::vector<std::string>& args,
                      std::chrono::milliseconds deadline = std::chrono::seconds(120));

    /// Whether a journal row is synced and verified as well as the generation allows: by
    /// Frame.io's checksum on V2, by Content-MD5 + size (up) or size (down) on V4.
    [[nodiscard]] bool verified(const model::JournalRecord& row) const;

    /// The journal's rows of the project (read through the library's Journal).
    std::map<std::string, model::JournalRecord> journal();
    /// Writes one journal row of the project, as a run killed at that point would have left
    /// it (in-process stand-in for kill-and-restart scenarios).
    void put_journal_row(const model::JournalRecord& record);
    [[nodiscard]] const fs::path& state_db_path() const { return m_state_path; }
    /// Closes the fixture's own connection to the state database, so that only the CLI's
    /// children use the file (scenarios that damage or move it). sync_once() and journal()
    /// throw afterwards.
    void release_state_db();
    [[nodiscard]] const fs::path& home() const { return m_home.path(); }

private:
    /// Creates the scenario's project on the generation's API and wires its backend;
    /// returns the project as a listing would show it.
    store::ProjectInfo connect_v2();
    store::ProjectInfo connect_v4(); // sync_fixture_v4.cpp
    RemoteSide create_project_v4(const std::string& name);

    FixtureOptions m_options;
    TempDir m_home{"fios-sync"};
    FakeClock m_clock;
    Emulator m_emulator;
    LocalSide m_local;
    std::unique_ptr<RemoteSide> m_remote;
    fs::path m_state_path;
    bool m_pump_clock = true;
    engine::RemoteCache* m_remote_cache = nullptr;

    std::unique_ptr<net::CurlTransport> m_transport;
    std::unique_ptr<api::TokenProvider> m_tokens;
    std::unique_ptr<api::V2Client> m_client;
    std::unique_ptr<remote::V2Remote> m_v2;
    std::unique_ptr<api::V4Client> m_v4_client;
    std::unique_ptr<remote::V4Remote> m_v4;
    remote::Remote* m_backend = nullptr; ///< m_v2 or m_v4
    std::unique_ptr<engine::ProjectDirectory> m_directory;
    std::unique_ptr<store::StateDb> m_state;
};

/// Parses a JSON line; empty optional when it is not JSON.
std::optional<rapidjson::Document> parse_json_line(const std::string& line);
/// Every JSON object of `out` (one per line) whose "event" is `event`.
std::vector<rapidjson::Document> json_events(const std::string& out, const std::string& event);

} // namespace fios::test::sync

namespace Catch {
template <>
struct StringMaker<fios::test::sync::Tree> {
    static std::string convert(const fios::test::sync::Tree& tree) {
        return fios::test::sync::describe(tree);
    }
};
} // namespace Catch
