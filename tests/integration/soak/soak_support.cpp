// SPDX-License-Identifier: MIT
#include "soak_support.hpp"

#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace fios::test::soak {

using namespace fios::test::sync;

namespace {

/// splitmix64: the same sequence on every platform and standard library (std::*_distribution
/// is not), so a seed names one workload everywhere.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0')
        return std::nullopt;
    return std::string(v);
}

std::uint64_t parse_number(const char* var, const std::string& text) {
    std::size_t used = 0;
    unsigned long long n = 0;
    try {
        n = std::stoull(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size())
        throw std::runtime_error(std::string(var) + "=" + text + ": expected a number");
    return n;
}

/// A folder path 1 to `max_depth` levels deep, 3 choices at the top and 2 below ("a2/b0/c1"),
/// so that folders are shared by several files and some hold both local and remote files.
/// At most 3 + 6 + 12 + 24 folders for 4 levels: on V2 every run lists each folder once, at
/// the documented 40 listings a minute.
std::string folder_for(Rng& rng, unsigned max_depth) {
    const std::uint64_t depth = 1 + rng.below(max_depth);
    std::string out;
    for (std::uint64_t level = 0; level < depth; ++level) {
        if (!out.empty())
            out += '/';
        out += static_cast<char>('a' + level);
        out += std::to_string(rng.below(level == 0 ? 3 : 2));
    }
    return out;
}

} // namespace

bool full_size() {
    return env("FIOS_SOAK") == std::optional<std::string>("full");
}

std::size_t env_size(const char* var, std::size_t ci, std::size_t full) {
    if (auto v = env(var)) {
        const std::uint64_t n = parse_number(var, *v);
        if (n == 0)
            throw std::runtime_error(std::string(var) + " must be at least 1");
        return static_cast<std::size_t>(n);
    }
    return full_size() ? full : ci;
}

std::uint64_t env_seed(const char* var, std::uint64_t fallback) {
    if (auto v = env(var))
        return parse_number(var, *v);
    if (auto v = env("FIOS_SOAK_SEED"))
        return parse_number("FIOS_SOAK_SEED", *v);
    return fallback;
}

Workload make_workload(std::size_t files, std::uint64_t seed, unsigned multipart_percent,
                       unsigned max_depth, const std::string& prefix) {
    Rng rng{seed};
    Workload w;
    for (std::size_t i = 0; i < files; ++i) {
        const bool local = rng.below(2) == 0;
        const bool multipart = rng.below(100) < multipart_percent;
        // Several parts: 2 full parts of the harness's 64 KiB and a tail; else up to 40 KB.
        const std::uint64_t size =
            multipart ? 2 * 64 * 1024 + 1 + rng.below(64 * 1024) : 1 + rng.below(40 * 1000);
        FileSpec f{folder_for(rng, max_depth) + "/" + prefix + (local ? "l" : "r") +
                       std::to_string(i) + ".bin",
                   size};
        (local ? w.local : w.remote).push_back(std::move(f));
    }
    for (std::size_t i = 0; i < 1 + files / 50; ++i)
        w.local_empty_folders.push_back(folder_for(rng, max_depth) + "/" + prefix + "empty" +
                                        std::to_string(i));
    return w;
}

namespace {
/// `path` and every folder above it in `expected`.
void expect_parents(const std::string& path, Tree& expected) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
        expected.insert_or_assign(path.substr(0, slash), folder_node());
}
} // namespace

void populate(SyncFixture& fx, const Workload& w, Tree& expected) {
    // What each path holds is known from the spec (content seeded by the path), never read
    // back from a side a sync may be writing to at the same time.
    for (const auto& f : w.local) {
        fx.local().insert(f.path, f.size);
        expect_parents(f.path, expected);
        expected.insert_or_assign(f.path, file_node(make_content(f.size, seed_of(f.path))));
    }
    for (const auto& d : w.local_empty_folders) {
        fx.local().mkdir(d);
        expect_parents(d, expected);
        expected.insert_or_assign(d, folder_node());
    }
    for (const auto& f : w.remote) {
        fx.remote().insert(f.path, f.size);
        expect_parents(f.path, expected);
        expected.insert_or_assign(f.path, file_node(make_content(f.size, seed_of(f.path))));
    }
}

std::string all_faults(Generation generation, std::uint64_t seed) {
    if (auto mix = env("FIOS_SOAK_FAULTS")) // another mix, for finding what costs time
        return *mix;
    std::string json = R"({"api5xx": 0.10, "part5xx": 0.10, "partreset": 0.05, "truncate": 0.02,)"
                       R"( "download5xx": 0.05, "burst429": 4, "latency_ms": 10)";
    if (generation == Generation::v4)
        json += R"(, "upload_failed": 0.05)";
    return json + ", \"seed\": " + std::to_string(seed) + "}";
}

std::vector<std::string> expiring_links() {
    return {"--url-ttl", "20", "--v4-link-ttl", "5"};
}

std::vector<std::string> duplicates(const Tree& remote) {
    std::vector<std::string> out;
    for (const auto& [path, node] : remote) {
        if (path.find(" #") != std::string::npos)
            out.push_back(path);
    }
    return out;
}

bool is_temp(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return name.starts_with(".fios-");
}

std::vector<std::string> wrong_files(const Tree& actual, const Tree& expected) {
    std::vector<std::string> out;
    for (const auto& [path, node] : actual) {
        if (node.kind == NodeKind::folder || node.kind == NodeKind::incomplete || is_temp(path))
            continue;
        auto it = expected.find(path);
        if (it == expected.end() || !(it->second == node))
            out.push_back(path + " (" + std::string(to_string(node.kind)) + ", " +
                          std::to_string(node.size) + " B)");
    }
    return out;
}

bool converged(SyncFixture& fx, const Tree& expected) {
    return fx.local_tree() == expected && fx.remote_tree() == expected;
}

void announce(const std::string& what, const SyncFixture& fx, std::size_t files,
              std::uint64_t seed) {
    std::cerr << what << ": " << to_string(fx.generation()) << ", " << files << " files, seed "
              << seed << " (replay: FIOS_SOAK_SEED=" << seed
              << (fx.generation() == Generation::v4 ? " FIOS_HARNESS_GENERATION=v4" : "") << ")\n";
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

void check_invariants(SyncFixture& fx, const Tree& expected) {
    const Tree remote = fx.remote_tree();
    INFO("duplicates: " << join(duplicates(remote)));
    CHECK(duplicates(remote).empty());
    INFO("wrong remote files: " << join(wrong_files(remote, expected)));
    CHECK(wrong_files(remote, expected).empty());
    INFO("wrong local files: " << join(wrong_files(fx.local_tree(), expected)));
    CHECK(wrong_files(fx.local_tree(), expected).empty());
}

std::vector<std::string> api_duplicates(SyncFixture& fx, const Tree& expected) {
    std::vector<std::string> out;
    std::vector<std::pair<std::string, std::string>> folders{{"", fx.remote().root_id()}};
    for (const auto& [path, node] : expected) {
        if (node.kind == NodeKind::folder)
            folders.emplace_back(path, fx.remote().id_of(path));
    }
    for (const auto& [path, id] : folders) {
        for (const auto& [name, n] : fx.remote().list_names(id)) {
            if (n > 1)
                out.push_back(path + "/" + name + " x" + std::to_string(n));
        }
    }
    return out;
}

std::string tail(const std::string& text, std::size_t n) {
    return text.size() > n ? text.substr(text.size() - n) : text;
}

fios::test::RunOptions soak_cli_options(const SyncFixture& fx) {
    auto options = fx.cli_options();
    options.env["FIOS_TEST_RETRY_BACKOFF_SECONDS"] = "1";
    return options;
}

int run_until_converged(SyncFixture& fx, const Tree& expected, int bound) {
    const auto options = soak_cli_options(fx);
    for (int run = 1; run <= bound; ++run) {
        const auto started = std::chrono::steady_clock::now();
        fx.emulator().reset_rate_limits();
        const fios::test::ProcessResult r =
            fios::test::run_process(fx.cli_argv({"sync", "--once"}), options);
        std::cerr << "  sync --once: exit " << r.exit_code << " after "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count()
                  << " ms\n";
        if (std::getenv("FIOS_SOAK_VERBOSE") != nullptr)
            std::cerr << r.err << "\n";
        INFO("run " << run << ": exit " << r.exit_code << "\n" << tail(r.err));
        check_invariants(fx, expected);
        const bool equal = converged(fx, expected);
        if (r.exit_code == 0) {
            INFO(tree_diff(expected, fx.local_tree()) << tree_diff(expected, fx.remote_tree()));
            CHECK(equal); // exit 0 with the trees apart would be a lie
        }
        if (r.exit_code == 0 && equal)
            return run;
        // The retry of an item that failed is due a second later (the hook below): a known
        // schedule, not a wait for an effect.
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    }
    return bound + 1;
}

} // namespace fios::test::soak
