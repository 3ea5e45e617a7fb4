// SPDX-License-Identifier: MIT
// Bounded memory (issue 4, "Execution"): a 1 GiB file is uploaded and then downloaded by
// `frameio-sync sync --once`, and the peak resident set of the sync process stays under
// 64 MiB both ways. The peak is read twice: VmHWM from /proc/<pid>/status while the child
// runs (the last value before it exits), and getrusage(RUSAGE_CHILDREN).ru_maxrss after it
// was reaped (the largest of this test's reaped children: only sync processes are reaped
// before the check; the emulator is reaped at the very end).
//
// Needs ~3 GiB of free space in $TMPDIR (the local file, the emulator's blobs, the download);
// with less it is skipped with a warning. Label "memory": `ctest -L memory`.
#include "sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <thread>

using namespace fios::test::sync;
using fios::test::ProcessResult;
using fios::test::SpawnedProcess;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t k_gib = 1024ULL * 1024 * 1024;
constexpr std::uint64_t k_limit_kib = 64 * 1024;

/// VmHWM of a running process in KiB, or 0 when it cannot be read (already exited).
std::uint64_t vm_hwm_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            std::istringstream in(line.substr(6));
            std::uint64_t kib = 0;
            in >> kib;
            return kib;
        }
    }
    return 0;
}

struct Measured {
    ProcessResult result;
    std::uint64_t hwm_kib = 0;    ///< last VmHWM seen while running
    std::uint64_t maxrss_kib = 0; ///< RUSAGE_CHILDREN after it was reaped
};

/// Runs `frameio-sync args` and watches its peak RSS until it exits.
Measured run_measured(const std::vector<std::string>& argv, const fios::test::RunOptions& env) {
    Measured m;
    SpawnedProcess child(argv, env);
    // stdout is a pipe: --json is not used here, so nothing fills it.
    const auto deadline = std::chrono::steady_clock::now() + 10min;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::uint64_t hwm = vm_hwm_kib(child.pid());
        if (hwm == 0)
            break; // gone (zombie or reaped): status has no VmHWM any more
        m.hwm_kib = std::max(m.hwm_kib, hwm);
        // A zombie keeps /proc/<pid>/status without VmHWM; a running child keeps updating.
        std::this_thread::sleep_for(20ms);
    }
    m.result = child.wait(10min);
    rusage ru{};
    if (::getrusage(RUSAGE_CHILDREN, &ru) == 0)
        m.maxrss_kib = static_cast<std::uint64_t>(ru.ru_maxrss);
    return m;
}

std::string describe(const Measured& m) {
    return "exit " + std::to_string(m.result.exit_code) + ", VmHWM " + std::to_string(m.hwm_kib) +
           " KiB, ru_maxrss " + std::to_string(m.maxrss_kib) + " KiB\n--- stderr\n" +
           m.result.err.substr(0, 3000);
}

} // namespace

TEST_CASE("memory: 1 GiB up and 1 GiB down with a peak RSS under 64 MiB", "[memory]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    WARN("skipped: a sanitizer build's shadow memory says nothing about the real peak RSS");
    return;
#endif
    const auto tmp = fs::temp_directory_path();
    const auto space = fs::space(tmp);
    if (space.available < 3 * k_gib + k_gib / 2) {
        WARN("skipped: " << tmp << " has " << space.available / (1024 * 1024)
                         << " MiB free, the memory test needs about 3.5 GiB");
        return;
    }

    FixtureOptions o;
    o.part_size = 20LL * 1024 * 1024; // 52 parts of 20 MiB, as Frame.io would cut it
    SyncFixture fx(o);
    const std::uint64_t size = k_gib;
    write_content_file(fx.local().abs("big/one-gib.bin"), size, 1);
    fx.local().set_mtime("big/one-gib.bin", fx.clock().now() - 1h);
    const std::string local_hash = xxh64_file(fx.local().abs("big/one-gib.bin"));

    // Up.
    const Measured up = run_measured(fx.cli_argv({"sync", "--once"}), fx.cli_options(10min));
    INFO("upload: " << describe(up));
    REQUIRE(up.result.exit_code == 0);
    CHECK(up.hwm_kib > 0);
    CHECK(up.hwm_kib < k_limit_kib);
    CHECK(up.maxrss_kib < k_limit_kib);
    const Tree remote = fx.remote_tree();
    REQUIRE(remote.count("big/one-gib.bin"));
    CHECK(remote.at("big/one-gib.bin") == Node{NodeKind::file, size, local_hash});

    // Down: the same project into a second folder, with its own state directory.
    const fs::path second = fx.home() / "second";
    fs::create_directories(second);
    auto env2 = fx.cli_options(10min);
    env2.env["XDG_STATE_HOME"] = (fx.home() / "state2").string();
    const ProcessResult sel = fios::test::run_process(
        fx.cli_argv({"select", fx.remote().project_id(), "--to", second.string()}), env2);
    INFO(sel.err);
    REQUIRE(sel.exit_code == 0);
    fs::remove(fx.local().abs("big/one-gib.bin")); // free the space before the download
    const Measured down = run_measured(fx.cli_argv({"sync", "--once"}), env2);
    INFO("download: " << describe(down));
    REQUIRE(down.result.exit_code == 0);
    CHECK(down.hwm_kib > 0);
    CHECK(down.hwm_kib < k_limit_kib);
    CHECK(down.maxrss_kib < k_limit_kib);
    CHECK(xxh64_file(second / "big" / "one-gib.bin") == local_hash);
}
