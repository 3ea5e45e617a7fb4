// SPDX-License-Identifier: MIT
// checksums: null until --checksum-delay has passed on the emulator's clock, then
// {"xx_hash": XXH64 seed 0, 16 lowercase hex}; --no-checksum-rate 1.0 never gets one.
#include "emulator/emulator_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

// The checksum string, or "" while checksums is null.
std::string xx_hash_of(const Api& api, const std::string& id) {
    auto asset = get_asset(api, id);
    const auto& c = member(asset, "checksums");
    if (c.IsNull())
        return {};
    return str(c, "xx_hash");
}

bool wait_checksum(const Api& api, const std::string& id) {
    return wait_until([&] { return !xx_hash_of(api, id).empty(); });
}

// What the xxh64sum tool says, when it is installed (Debian's xxhash package); "" otherwise.
std::string xxh64sum_of(const std::string& data) {
    const std::string tool = "/usr/bin/xxh64sum";
    if (!std::filesystem::exists(tool))
        return {};
    TempDir dir("fios-emu-xxh");
    write_file(dir / "data", data);
    auto r = run_process({tool, (dir / "data").string()});
    if (r.exit_code != 0)
        return {};
    return r.out.substr(0, r.out.find(' '));
}

} // namespace

TEST_CASE("the checksum appears only after --checksum-delay and equals XXH64 seed 0",
          "[emulator][checksums]") {
    Emu e({"--part-size", "1024", "--checksum-delay", "600"});
    Api api = e.api();
    auto p = create_project(api, "Checksums");
    const std::string data = make_bytes(3333, 77);
    const std::string expected = xxh64_hex(data);
    REQUIRE(std::regex_match(expected, std::regex("^[0-9a-f]{16}$")));
    if (auto tool = xxh64sum_of(data); !tool.empty())
        REQUIRE(tool == expected);

    auto asset = upload_file(api, str(p, "root_asset_id"), "sum.bin", data);
    const auto id = str(asset, "id");
    CHECK(is_null(asset, "checksums"));
    advance_clock(api, 590);
    CHECK(xx_hash_of(api, id).empty());
    advance_clock(api, 11);
    REQUIRE(wait_checksum(api, id));
    CHECK(xx_hash_of(api, id) == expected);
    // Stable once set.
    advance_clock(api, 3600);
    CHECK(xx_hash_of(api, id) == expected);
}

TEST_CASE("checksums with the default delay, an empty file and a single part",
          "[emulator][checksums]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Default delay");
    const auto root = str(p, "root_asset_id");
    auto empty = upload_file(api, root, "empty", "");
    const std::string small = make_bytes(100, 3);
    auto one = upload_file(api, root, "small", small);
    advance_clock(api, 3); // default --checksum-delay is 2 s
    REQUIRE(wait_checksum(api, str(empty, "id")));
    REQUIRE(wait_checksum(api, str(one, "id")));
    CHECK(xx_hash_of(api, str(empty, "id")) == "ef46db3751d8e999"); // XXH64("", 0)
    CHECK(xx_hash_of(api, str(one, "id")) == xxh64_hex(small));
}

TEST_CASE("no-checksum-rate 1.0: no asset ever gets a checksum", "[emulator][checksums]") {
    Emu e({"--part-size", "1024", "--checksum-delay", "1", "--no-checksum-rate", "1.0"});
    Api api = e.api();
    auto p = create_project(api, "No checksums");
    const auto root = str(p, "root_asset_id");
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        ids.push_back(str(upload_file(api, root, "f" + std::to_string(i),
                                      make_bytes(1500, static_cast<std::uint64_t>(i))),
                          "id"));
    }
    advance_clock(api, 7 * 24 * 3600);
    // A bounded poll: none may turn up while the emulator has every chance to compute them.
    bool any = wait_until(
        [&] {
            for (const auto& id : ids) {
                if (!xx_hash_of(api, id).empty())
                    return true;
            }
            return false;
        },
        std::chrono::milliseconds(1500));
    CHECK_FALSE(any);
    // The control: the same steps without the option do produce checksums.
    Emu control({"--part-size", "1024", "--checksum-delay", "1"});
    auto cp = create_project(control.api(), "Control");
    auto c = upload_file(control.api(), str(cp, "root_asset_id"), "c", make_bytes(1500, 0));
    advance_clock(control.api(), 7 * 24 * 3600);
    CHECK(wait_checksum(control.api(), str(c, "id")));
}
