// SPDX-License-Identifier: MIT
// The cost of a V4 listing (issue 8, §3; docs/sync-policy.md, "Cost of a V4 run"): a full
// listing through V4Remote and the remote scanner asks exactly the requests the documented
// formula counts, read from the emulator's /_emulator/stats, and a second run over an
// unchanged tree asks the same listing again and writes nothing. Counts only, never time: the
// timing at the default rate limits is bench/v4_scale_bench.py.
#include "harness_json.hpp"
#include "sync_fixture.hpp"

#include "fios/api/token_provider.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/core/clock.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/net/retry.hpp"
#include "fios/remote/v4_remote.hpp"
#include "fios/scan/remote_scanner.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fios::test::sync;
using fios::test::sync::detail::get_str;
using fios::test::sync::detail::parse;

namespace {

constexpr long k_page = 500; // the client's page size on folder lists

long pages(long items) {
    return items == 0 ? 1 : (items + k_page - 1) / k_page; // an empty list is one page
}

/// One listed folder: its direct subfolders and its direct items of /files (files and
/// stacks) and of /version_stacks.
struct FolderShape {
    long subfolders = 0;
    long files = 0; ///< files not in a stack, plus stacks (a stack is one item of /files)
    long stacks = 0;
};

/// The formula of docs/sync-policy.md: per listed folder, the pages of each of its three
/// routes. Stacks whose listing carries head_version (the emulator's always do) cost nothing
/// more.
struct Expected {
    long folders_pages = 0;
    long files_pages = 0;
    long stacks_pages = 0;
};

Expected expected_for(const std::vector<FolderShape>& listed) {
    Expected e;
    for (const auto& f : listed) {
        e.folders_pages += pages(f.subfolders);
        e.files_pages += pages(f.files);
        e.stacks_pages += pages(f.stacks);
    }
    return e;
}

const std::string k_folders = "GET /v4/accounts/{account_id}/folders/{folder_id}/folders";
const std::string k_files = "GET /v4/accounts/{account_id}/folders/{folder_id}/files";
const std::string k_stacks = "GET /v4/accounts/{account_id}/folders/{folder_id}/version_stacks";

long writes(const Stats& stats) {
    return count(stats, "POST ") + count(stats, "PUT ") + count(stats, "PATCH ") +
           count(stats, "DELETE ");
}

std::string describe(const Stats& stats) {
    std::string s;
    for (const auto& [k, v] : stats)
        s += k + ": " + std::to_string(v) + "\n";
    return s;
}

} // namespace

TEST_CASE("v4 listing cost: a full listing asks exactly the documented requests",
          "[sync][v4][cost]") {
    FixtureOptions o;
    o.generation = Generation::v4;
    o.rate_limited = false; // counts, not time
    SyncFixture fx(o);
    auto& emu = fx.emulator();

    // 4 top folders of 4 subfolders each: 20 folders below the root; 3 files in each (60);
    // in two of them two files become a stack (2 stacks, 58 items of /files left).
    std::vector<std::string> leaves;
    for (int t = 0; t < 4; ++t) {
        const std::string top = "t" + std::to_string(t);
        for (int f = 0; f < 3; ++f)
            fx.remote().insert(top + "/f" + std::to_string(f) + ".bin", "x" + top);
        for (int s = 0; s < 4; ++s) {
            const std::string leaf = top + "/s" + std::to_string(s);
            leaves.push_back(leaf);
            for (int f = 0; f < 3; ++f)
                fx.remote().insert(leaf + "/f" + std::to_string(f) + ".bin", "y" + leaf);
        }
    }
    const auto accounts = parse(emu.api("GET", "/v4/accounts").body, "V4 accounts");
    const std::string account = get_str(accounts["data"][0], "id");
    for (const std::string& leaf : {leaves[0], leaves[5]}) {
        const std::string folder = fx.remote().id_of(leaf);
        const std::string a = fx.remote().id_of(leaf + "/f0.bin");
        const std::string b = fx.remote().id_of(leaf + "/f1.bin");
        emu.api("POST", "/v4/accounts/" + account + "/folders/" + folder + "/version_stacks",
                "{\"data\": {\"file_ids\": [\"" + a + "\", \"" + b + "\"]}}", 201);
    }

    std::vector<FolderShape> listed;
    listed.push_back({4, 0, 0}); // the root
    for (int t = 0; t < 4; ++t)  // the top folders
        listed.push_back({4, 3, 0});
    for (std::size_t i = 0; i < leaves.size(); ++i) { // the leaves
        const bool stacked = i == 0 || i == 5;
        listed.push_back({0, stacked ? 2 : 3, stacked ? 1 : 0});
    }
    const Expected expected = expected_for(listed);
    REQUIRE(expected.folders_pages == 21);

    SECTION("V4Remote and the remote scanner") {
        auto transport = fios::net::CurlTransport::create();
        REQUIRE(transport);
        fios::api::StaticTokenProvider tokens(k_v4_token);
        fios::api::V4ClientOptions copts;
        copts.rest.api_base = emu.base_url();
        copts.legacy_token_auth = true;
        fios::api::V4Client client(**transport, tokens, fios::SystemClock::instance(),
                                   fios::net::RealSleeper::instance(), copts);
        fios::remote::V4Remote remote(client, account);

        for (int run = 1; run <= 2; ++run) {
            CAPTURE(run);
            emu.reset_stats();
            fios::scan::RemoteScanner scanner(remote);
            auto snapshot = scanner.scan(fx.remote().root_id());
            REQUIRE(snapshot);
            CHECK(snapshot->entries.size() == 20 + 58);
            CHECK(scanner.stats().folders_listed == listed.size());

            const Stats stats = emu.stats();
            INFO(describe(stats));
            CHECK(count(stats, k_folders) == expected.folders_pages);
            CHECK(count(stats, k_files) == expected.files_pages);
            CHECK(count(stats, k_stacks) == expected.stacks_pages);
            // Nothing else: no stack fetched, no children asked, no write.
            CHECK(count(stats, "GET ") ==
                  expected.folders_pages + expected.files_pages + expected.stacks_pages);
            CHECK(writes(stats) == 0);
        }
    }

    SECTION("a second sync run over an unchanged tree lists the same and writes nothing") {
        const auto first = fx.sync_once();
        REQUIRE_RUN(first);
        CHECK(first.totals().downloaded == 58);

        emu.reset_stats();
        const auto second = fx.sync_once();
        REQUIRE_RUN(second);
        CHECK(second.totals().downloaded == 0);
        CHECK(second.totals().uploaded == 0);
        CHECK(second.totals().bytes_downloaded == 0);
        CHECK(second.totals().bytes_uploaded == 0);

        const Stats stats = emu.stats();
        INFO(describe(stats));
        CHECK(count(stats, k_folders) == expected.folders_pages);
        CHECK(count(stats, k_files) == expected.files_pages);
        CHECK(count(stats, k_stacks) == expected.stacks_pages);
        CHECK(writes(stats) == 0);
        CHECK(count(stats, "GET /originals") == 0);
    }
}
