// SPDX-License-Identifier: MIT
// Admin API: POST /_emulator/clock moves the emulator's clock; GET/DELETE /_emulator/stats
// count requests by method + route pattern and by status, admin calls excluded.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <ctime>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

// Seconds since the epoch of a "2022-06-10T15:32:06.228191Z" timestamp.
std::int64_t epoch_seconds(const std::string& ts) {
    std::tm tm{};
    if (!strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) {
        throw std::runtime_error("bad timestamp " + ts);
    }
    return static_cast<std::int64_t>(timegm(&tm));
}

std::int64_t count_of(const rapidjson::Value& stats, const char* section, const char* key) {
    const auto& obj = member(stats, section);
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd())
        return 0;
    return it->value.GetInt64();
}

std::int64_t sum_of(const rapidjson::Value& obj) {
    std::int64_t total = 0;
    for (const auto& m : obj.GetObject())
        total += m.value.GetInt64();
    return total;
}

} // namespace

TEST_CASE("POST /_emulator/clock moves every timestamp the emulator writes", "[emulator][admin]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Clock");
    const auto root = str(p, "root_asset_id");
    auto before = create_folder(api, root, "before");
    advance_clock(api, 86400);
    auto after = create_folder(api, root, "after");
    const auto delta =
        epoch_seconds(str(after, "inserted_at")) - epoch_seconds(str(before, "inserted_at"));
    CHECK(delta >= 86400);
    CHECK(delta < 2 * 86400); // moved once, not twice
    // Advances accumulate.
    advance_clock(api, 3600);
    advance_clock(api, 3600);
    auto later = create_folder(api, root, "later");
    CHECK(epoch_seconds(str(later, "inserted_at")) - epoch_seconds(str(after, "inserted_at")) >=
          7200);
    // The project's updated_at moved with it.
    auto project = expect_json(api.get("/v2/projects/" + str(p, "id")));
    CHECK(epoch_seconds(str(project, "updated_at")) >= epoch_seconds(str(later, "inserted_at")));
}

TEST_CASE("stats count by method + route pattern and by status - DELETE resets",
          "[emulator][admin]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Stats");
    const auto root = str(p, "root_asset_id");
    auto file = create_file(api, root, "s.bin", 2048);
    const auto urls = upload_urls(file);
    REQUIRE(urls.size() == 2);

    REQUIRE(api.del("/_emulator/stats").status / 100 == 2);
    auto empty = expect_json(api.get("/_emulator/stats"));
    CHECK(member(empty, "requests").ObjectEmpty());
    CHECK(member(empty, "statuses").ObjectEmpty());

    for (int i = 0; i < 3; ++i)
        REQUIRE(api.get("/v2/assets/" + root + "/children").status == 200);
    CHECK(api.get("/v2/assets/0b1f7c1e-6a52-4c7e-9a4e-2d3c4b5a6f70/children").status == 404);
    CHECK(Api(e.base_url(), "").get("/v2/me").status == 401); // refused requests count
    CHECK(api.get("/v2/me").status == 200);
    CHECK(put_part(urls[1], make_bytes(1024, 2), "text/plain").status == 403);
    REQUIRE(put_part(urls[0], make_bytes(1024, 1)).status == 200);
    REQUIRE(put_part(urls[1], make_bytes(1024, 2)).status == 200);
    advance_clock(api, 1); // admin calls are not counted

    auto stats_r = api.get("/_emulator/stats");
    INFO(stats_r.body);
    auto stats = expect_json(stats_r);
    CHECK(count_of(stats, "requests", "GET /v2/assets/{id}/children") == 4);
    CHECK(count_of(stats, "requests", "GET /v2/me") == 2);
    std::int64_t part_puts = 0;
    for (const auto& m : member(stats, "requests").GetObject()) {
        std::string key = m.name.GetString();
        INFO(key);
        CHECK(key.find("/_emulator") == std::string::npos);
        CHECK(key.find(root) == std::string::npos); // patterns, not concrete ids
        if (key.rfind("PUT ", 0) == 0)
            part_puts += m.value.GetInt64();
    }
    CHECK(part_puts == 3);
    CHECK(sum_of(member(stats, "requests")) == 9);
    CHECK(count_of(stats, "statuses", "200") == 6);
    CHECK(count_of(stats, "statuses", "404") == 1);
    CHECK(count_of(stats, "statuses", "401") == 1);
    CHECK(count_of(stats, "statuses", "403") == 1);
    CHECK(sum_of(member(stats, "statuses")) == 9);

    REQUIRE(api.del("/_emulator/stats").status / 100 == 2);
    auto reset = expect_json(api.get("/_emulator/stats"));
    CHECK(member(reset, "requests").ObjectEmpty());
    CHECK(member(reset, "statuses").ObjectEmpty());
}
