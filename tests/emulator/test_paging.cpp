// SPDX-License-Identifier: MIT
// Children paging: page, page_size (capped by --page-size-max), the four headers, sort,
// include_deleted.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

struct Page {
    HttpResponse response;
    std::vector<std::string> ids;
    std::vector<std::string> names;
};

Page get_page(const Api& api, const std::string& parent, const std::string& query) {
    Page p;
    p.response = api.get("/v2/assets/" + parent + "/children?" + query);
    auto doc = expect_json(p.response);
    REQUIRE(doc.IsArray());
    for (const auto& item : doc.GetArray()) {
        p.ids.push_back(str(item, "id"));
        p.names.push_back(str(item, "name"));
    }
    return p;
}

std::string name_for(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "item-%02d", i);
    return buf;
}

} // namespace

TEST_CASE("children across three pages: headers, no item repeated or lost", "[emulator][paging]") {
    Emu e({"--page-size-max", "10"});
    Api api = e.api();
    auto p = create_project(api, "Paging");
    const auto root = str(p, "root_asset_id");
    std::set<std::string> created;
    // Reverse creation order so that any default order that happens to be "by name" and one
    // that is "by creation" differ.
    for (int i = 24; i >= 0; --i)
        created.insert(str(create_folder(api, root, name_for(i)), "id"));

    std::vector<std::string> seen;
    const std::vector<std::size_t> expected_sizes{10, 10, 5};
    for (int page = 1; page <= 3; ++page) {
        auto pg = get_page(api, root, "page=" + std::to_string(page) + "&page_size=10");
        const auto& r = pg.response;
        INFO("page " << page);
        CHECK(r.header("page-number") == std::to_string(page));
        CHECK(r.header("per-page") == "10");
        CHECK(r.header("total") == "25");
        CHECK(r.header("total-pages") == "3");
        CHECK(pg.ids.size() == expected_sizes[static_cast<std::size_t>(page - 1)]);
        seen.insert(seen.end(), pg.ids.begin(), pg.ids.end());
    }
    CHECK(seen.size() == 25);
    CHECK(std::set<std::string>(seen.begin(), seen.end()) == created);

    // Past the last page: nothing more (an empty page or a 4xx, never a repeat).
    auto past = api.get("/v2/assets/" + root + "/children?page=4&page_size=10");
    if (past.status == 200) {
        CHECK(parse_json(past.body).Empty());
    } else {
        CHECK(past.status / 100 == 4);
    }
}

TEST_CASE("page_size is capped by --page-size-max and the headers say so", "[emulator][paging]") {
    Emu e({"--page-size-max", "10"});
    Api api = e.api();
    auto p = create_project(api, "Cap");
    const auto root = str(p, "root_asset_id");
    for (int i = 0; i < 25; ++i)
        create_folder(api, root, name_for(i));

    auto pg = get_page(api, root, "page=1&page_size=500");
    CHECK(pg.ids.size() == 10);
    CHECK(pg.response.header("per-page") == "10");
    CHECK(pg.response.header("total-pages") == "3");
    CHECK(pg.response.header("total") == "25");
    // Following total-pages with the oversized request still gets every item once.
    std::set<std::string> all;
    for (int page = 1; page <= 3; ++page) {
        auto q = get_page(api, root, "page=" + std::to_string(page) + "&page_size=500");
        all.insert(q.ids.begin(), q.ids.end());
    }
    CHECK(all.size() == 25);
    // Without page_size, the page is still capped.
    auto def = get_page(api, root, "page=1");
    CHECK(def.ids.size() <= 10);
    CHECK(def.response.has_header("total-pages"));
}

TEST_CASE("sort by name, ascending and descending, holds across pages", "[emulator][paging]") {
    Emu e({"--page-size-max", "10"});
    Api api = e.api();
    auto p = create_project(api, "Sort");
    const auto root = str(p, "root_asset_id");
    std::vector<std::string> names;
    for (int i : {7, 3, 11, 0, 14, 5, 9, 1, 12, 2, 8, 13, 4, 10, 6}) {
        create_folder(api, root, name_for(i));
        names.push_back(name_for(i));
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> asc, desc;
    for (int page = 1; page <= 2; ++page) {
        auto a = get_page(api, root, "sort=name&page_size=10&page=" + std::to_string(page));
        asc.insert(asc.end(), a.names.begin(), a.names.end());
        auto d = get_page(api, root, "sort=-name&page_size=10&page=" + std::to_string(page));
        desc.insert(desc.end(), d.names.begin(), d.names.end());
    }
    CHECK(asc == names);
    std::reverse(names.begin(), names.end());
    CHECK(desc == names);
}

TEST_CASE("paging counts only visible children unless include_deleted", "[emulator][paging]") {
    Emu e({"--page-size-max", "10"});
    Api api = e.api();
    auto p = create_project(api, "Deleted paging");
    const auto root = str(p, "root_asset_id");
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i)
        ids.push_back(str(create_folder(api, root, name_for(i)), "id"));
    for (int i = 0; i < 3; ++i)
        REQUIRE(api.del("/v2/assets/" + ids[static_cast<std::size_t>(i)]).status / 100 == 2);

    auto visible = get_page(api, root, "page=1&page_size=10");
    CHECK(visible.response.header("total") == "9");
    CHECK(visible.response.header("total-pages") == "1");
    CHECK(visible.ids.size() == 9);
    auto all = get_page(api, root, "page=2&page_size=10&include_deleted=true");
    CHECK(all.response.header("total") == "12");
    CHECK(all.response.header("total-pages") == "2");
    CHECK(all.ids.size() == 2);
}

TEST_CASE("odd paging parameters never cause a 5xx", "[emulator][paging]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Odd");
    const auto root = str(p, "root_asset_id");
    create_folder(api, root, "x");
    for (const char* q : {"page=0", "page=-1", "page_size=0", "page_size=-3", "page=abc",
                          "page_size=99999999999999999999", "page=1&page=2", "sort=nonsense"}) {
        auto r = api.get("/v2/assets/" + root + "/children?" + q);
        INFO(q << ": " << r.describe());
        CHECK(r.status != 0);
        CHECK(r.status < 500);
    }
    // Huge numbers in a search body, too.
    const auto project = str(p, "id");
    for (const char* paging : {R"("page":9223372036854775807,"page_size":500)",
                               R"("page":1,"page_size":9223372036854775807)",
                               R"("page":-9223372036854775807,"page_size":50)",
                               R"("page":99999999999999999999,"page_size":50)"}) {
        auto r = api.post_json("/v2/search/library",
                               std::string("{") + paging +
                                   R"(,"filter":{"project_id":{"op":"eq","value":")" + project +
                                   R"("}}})");
        INFO(paging << ": " << r.describe());
        CHECK(r.status != 0);
        CHECK(r.status < 500);
    }
    CHECK(api.get("/v2/me").status == 200);
}
