// SPDX-License-Identifier: MIT
// POST /v2/search/library with project_id and updated_at gte filters and paging: how a sync
// client discovers what changed since its last scan.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

std::string search_body(const std::string& account, const std::string& project,
                        const std::string& since, int page, int page_size) {
    return R"({"account_id":")" + account + R"(","page":)" + std::to_string(page) +
           R"(,"page_size":)" + std::to_string(page_size) +
           R"(,"sort":"-inserted_at","filter":{"project_id":{"op":"eq","value":")" + project +
           R"("},"updated_at":{"op":"gte","value":")" + since + R"("}}})";
}

} // namespace

TEST_CASE("search/library finds what changed since a time, in one project, over pages",
          "[emulator][search]") {
    Emu e({"--part-size", "1024", "--page-size-max", "50"});
    Api api = e.api();
    const auto account = str(expect_json(api.get("/v2/me")), "account_id");
    auto p1 = create_project(api, "Searched");
    auto p2 = create_project(api, "Elsewhere");
    const auto root1 = str(p1, "root_asset_id");
    const auto root2 = str(p2, "root_asset_id");

    auto old_dir = create_folder(api, root1, "old-dir");
    auto old_file = upload_file(api, str(old_dir, "id"), "old.bin", make_bytes(10, 1));
    auto old_sub = create_folder(api, str(old_dir, "id"), "old-sub");
    auto to_rename = create_folder(api, root1, "to-rename");
    const std::set<std::string> unchanged{str(old_dir, "id"), str(old_file, "id"),
                                          str(old_sub, "id")};

    advance_clock(api, 3600);
    // The marker's own timestamp is "now" on the emulator's clock: the scan boundary.
    auto marker = create_folder(api, root1, "marker");
    const auto since = str(marker, "updated_at");
    auto new_dir = create_folder(api, root1, "new-dir");
    auto new_file = upload_file(api, str(new_dir, "id"), "new.bin", make_bytes(20, 2));
    auto new_a = create_folder(api, str(new_dir, "id"), "new-a");
    REQUIRE(api.put_json("/v2/assets/" + str(to_rename, "id"), R"({"name":"renamed"})").status ==
            200);
    auto other_project = create_folder(api, root2, "other project, same time");
    const std::set<std::string> changed{str(marker, "id"), str(new_dir, "id"), str(new_file, "id"),
                                        str(new_a, "id"), str(to_rename, "id")};

    std::set<std::string> found;
    std::size_t returned = 0;
    int total_pages = 1;
    for (int page = 1; page <= total_pages; ++page) {
        auto r = api.post_json("/v2/search/library",
                               search_body(account, str(p1, "id"), since, page, 2));
        auto doc = expect_json(r);
        REQUIRE(doc.IsArray());
        REQUIRE(r.has_header("total-pages"));
        CHECK(r.header("page-number") == std::to_string(page));
        total_pages = std::stoi(r.header("total-pages"));
        REQUIRE(total_pages <= 10);
        CHECK(doc.Size() <= 2);
        for (const auto& a : doc.GetArray()) {
            found.insert(str(a, "id"));
            ++returned;
            CHECK(str(a, "project_id") == str(p1, "id"));
            CHECK(str(a, "updated_at") >= since);
        }
    }
    CHECK(total_pages >= 3);
    CHECK(returned == found.size()); // nothing repeated across pages
    for (const auto& id : changed) {
        INFO("changed asset " << id);
        CHECK(found.count(id) == 1);
    }
    for (const auto& id : unchanged) {
        INFO("unchanged asset " << id);
        CHECK(found.count(id) == 0);
    }
    CHECK(found.count(str(other_project, "id")) == 0);

    // A time after everything finds nothing.
    advance_clock(api, 3600);
    auto later = create_folder(api, root2, "later");
    auto r = api.post_json("/v2/search/library",
                           search_body(account, str(p1, "id"), str(later, "updated_at"), 1, 50));
    auto none = expect_json(r);
    CHECK(none.Size() == 0);
}
