// SPDX-License-Identifier: MIT
// Version stacks: POST /v2/assets/{id}/version; the stack takes the file's place, its children
// are the versions, cover_asset_id is the head, name follows the head, filesize is the sum.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

HttpResponse version(const Api& api, const std::string& target, const std::string& next) {
    return api.post_json("/v2/assets/" + target + "/version",
                         R"({"next_asset_id":")" + next + R"("})");
}

} // namespace

TEST_CASE("versioning a file makes a stack in its place with the versions as children",
          "[emulator][version_stacks]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Versions");
    const auto root = str(p, "root_asset_id");
    auto folder = create_folder(api, root, "shots");
    const auto fid = str(folder, "id");
    auto sibling = create_folder(api, fid, "sibling");
    const std::string d1 = make_bytes(1000, 1), d2 = make_bytes(1500, 2), d3 = make_bytes(700, 3);
    auto v1 = upload_file(api, fid, "clip_v1.mov", d1, "video/quicktime");
    auto v2 = upload_file(api, fid, "clip_v2.mov", d2, "video/quicktime");
    const auto v1_id = str(v1, "id"), v2_id = str(v2, "id");

    auto r = version(api, v1_id, v2_id);
    INFO(r.describe());
    REQUIRE(r.status / 100 == 2);

    // The folder now holds the sibling and one stack, no loose versions.
    auto children = list_children(api, fid);
    REQUIRE(children.size() == 2);
    std::string stack_id;
    for (const auto& c : children) {
        if (str(c, "_type") == "version_stack")
            stack_id = str(c, "id");
    }
    REQUIRE_FALSE(stack_id.empty());
    CHECK(stack_id != v1_id);
    CHECK(stack_id != v2_id);
    std::set<std::string> ids;
    for (const auto& c : children)
        ids.insert(str(c, "id"));
    CHECK(ids == std::set<std::string>{stack_id, str(sibling, "id")});

    auto stack = get_asset(api, stack_id);
    CHECK(str(stack, "_type") == "version_stack");
    CHECK(str(stack, "type") == "version_stack");
    CHECK(str(stack, "parent_id") == fid);
    CHECK(str(stack, "project_id") == str(p, "id"));
    CHECK(str(stack, "cover_asset_id") == v2_id);
    CHECK(int64(stack, "versions") == 2);
    CHECK(int64(stack, "item_count") == 2);
    CHECK(str(stack, "name") == "clip_v2.mov");
    CHECK(is_null(stack, "filetype"));
    CHECK(int64(stack, "filesize") == 2500);

    auto versions = list_children(api, stack_id);
    REQUIRE(versions.size() == 2);
    std::set<std::string> version_ids;
    for (const auto& v : versions) {
        version_ids.insert(str(v, "id"));
        CHECK(str(v, "parent_id") == stack_id);
        CHECK(str(v, "_type") == "file");
    }
    CHECK(version_ids == std::set<std::string>{v1_id, v2_id});
    CHECK(str(get_asset(api, v1_id), "parent_id") == stack_id);

    // A third version on top of the stack becomes the head; the name follows it.
    auto v3 = upload_file(api, fid, "clip_v3.mov", d3, "video/quicktime");
    const auto v3_id = str(v3, "id");
    auto r3 = version(api, stack_id, v3_id);
    INFO(r3.describe());
    REQUIRE(r3.status / 100 == 2);
    auto stack3 = get_asset(api, stack_id);
    CHECK(str(stack3, "cover_asset_id") == v3_id);
    CHECK(int64(stack3, "versions") == 3);
    CHECK(str(stack3, "name") == "clip_v3.mov");
    CHECK(int64(stack3, "filesize") == 3200);
    CHECK(list_children(api, stack_id).size() == 3);
    CHECK(list_children(api, fid).size() == 2); // v3 left the folder for the stack

    // Renaming the head renames the stack.
    REQUIRE(api.put_json("/v2/assets/" + v3_id, R"({"name":"final.mov"})").status == 200);
    CHECK(str(get_asset(api, stack_id), "name") == "final.mov");

    // The head is the content: its original serves v3's bytes.
    auto head = get_asset(api, str(get_asset(api, stack_id), "cover_asset_id"));
    CHECK(fetch(str(head, "original")).body == d3);
}

TEST_CASE("version with a missing or unknown next_asset_id is refused",
          "[emulator][version_stacks]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Bad versions");
    const auto root = str(p, "root_asset_id");
    auto v1 = upload_file(api, root, "a.mov", make_bytes(10, 1));
    const auto id = str(v1, "id");
    auto missing = api.post_json("/v2/assets/" + id + "/version", "{}");
    CHECK(missing.status / 100 == 4);
    auto unknown = version(api, id, "0b1f7c1e-6a52-4c7e-9a4e-2d3c4b5a6f70");
    CHECK(unknown.status / 100 == 4);
    auto self = version(api, id, id);
    CHECK(self.status / 100 == 4);
    // Nothing changed.
    auto children = list_children(api, root);
    REQUIRE(children.size() == 1);
    CHECK(str(children[0], "_type") == "file");
}
