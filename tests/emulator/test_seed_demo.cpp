// SPDX-License-Identifier: MIT
// --seed-demo: "Demo Project" with nested folders, generated media files (one spanning several
// parts) and a version stack, created once on first start.
#include "emulator/emulator_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

struct Tree {
    int max_folder_depth = 0;
    std::vector<rapidjson::Document> files;
    std::vector<rapidjson::Document> stacks;
};

void walk(const Api& api, const std::string& id, int depth, Tree& tree) {
    for (auto& c : list_children(api, id)) {
        const auto type = str(c, "_type");
        if (type == "folder") {
            tree.max_folder_depth = std::max(tree.max_folder_depth, depth + 1);
            walk(api, str(c, "id"), depth + 1, tree);
        } else if (type == "version_stack") {
            for (auto& v : list_children(api, str(c, "id")))
                tree.files.push_back(std::move(v));
            tree.stacks.push_back(std::move(c));
        } else {
            tree.files.push_back(std::move(c));
        }
    }
}

std::vector<std::string> demo_project_ids(const Api& api) {
    std::vector<std::string> ids;
    auto teams = expect_json(api.get("/v2/teams"));
    for (const auto& t : teams.GetArray()) {
        auto projects = expect_json(api.get("/v2/teams/" + str(t, "id") + "/projects"));
        for (const auto& p : projects.GetArray()) {
            if (str(p, "name") == "Demo Project")
                ids.push_back(str(p, "id"));
        }
    }
    return ids;
}

} // namespace

TEST_CASE("seed-demo creates Demo Project once, with folders, parts and a stack",
          "[emulator][seed_demo]") {
    TempDir data("fios-emu-demo");
    std::string project_id;
    {
        Emu e({"--seed-demo", "--data", data.path().string()});
        Api api = e.api();
        auto ids = demo_project_ids(api);
        REQUIRE(ids.size() == 1);
        project_id = ids[0];
        auto project = expect_json(api.get("/v2/projects/" + project_id));
        Tree tree;
        walk(api, str(project, "root_asset_id"), 0, tree);
        CHECK(tree.max_folder_depth >= 2);
        REQUIRE(tree.files.size() >= 3);
        REQUIRE(tree.stacks.size() >= 1);
        for (const auto& s : tree.stacks)
            CHECK(int64(s, "versions") >= 2);
        CHECK(int64(project, "file_count") > 0);

        // Every file is uploaded and served at its size.
        const rapidjson::Document* largest = nullptr;
        const rapidjson::Document* smallest = nullptr;
        for (const auto& f : tree.files) {
            INFO(str(f, "name"));
            CHECK(looks_like_timestamp(str(f, "upload_completed_at")));
            if (!largest || int64(f, "filesize") > int64(*largest, "filesize"))
                largest = &f;
            if (!smallest || int64(f, "filesize") < int64(*smallest, "filesize"))
                smallest = &f;
        }
        REQUIRE(largest);
        REQUIRE(smallest);
        // "One spanning several parts": a file of the largest demo size gets several URLs here.
        const auto big_size = static_cast<std::uint64_t>(int64(*largest, "filesize"));
        auto probe = create_file(api, str(project, "root_asset_id"), "probe", big_size);
        CHECK(upload_urls(probe).size() >= 2);
        REQUIRE(api.del("/v2/assets/" + str(probe, "id")).status / 100 == 2);
        auto tail =
            fetch(str(get_asset(api, str(*largest, "id")), "original"), {"Range: bytes=-16"});
        CHECK(tail.status == 206);
        CHECK(tail.header("content-range") == "bytes " + std::to_string(big_size - 16) + "-" +
                                                  std::to_string(big_size - 1) + "/" +
                                                  std::to_string(big_size));
        // The smallest file's bytes match its checksum once the delay has passed.
        const auto small_id = str(*smallest, "id");
        advance_clock(api, 3600);
        REQUIRE(wait_until([&] { return get_asset(api, small_id)["checksums"].IsObject(); }));
        auto small = get_asset(api, small_id);
        auto body = fetch(str(small, "original"));
        REQUIRE(body.status == 200);
        CHECK(body.body.size() == static_cast<std::size_t>(int64(small, "filesize")));
        CHECK(str(member(small, "checksums"), "xx_hash") == xxh64_hex(body.body));
        CHECK(e.process().stop() == 0);
    }
    // A second start on the same data does not seed again.
    Emu again({"--seed-demo", "--data", data.path().string()});
    auto ids = demo_project_ids(again.api());
    REQUIRE(ids.size() == 1);
    CHECK(ids[0] == project_id);
}
