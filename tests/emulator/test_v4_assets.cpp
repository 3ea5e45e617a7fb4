// SPDX-License-Identifier: MIT
// V4 folders, files and version stacks: create, rename, move, copy, delete, the folder lists
// (children type filter, files sort orders), version stacks and the ancestors' updated_at.
#include "emulator/v4_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

/// One V4 project of a fresh emulator, with helpers on its tree.
struct Tree {
    V4Api api;
    std::string acc;
    std::string project;
    std::string root;

    explicit Tree(const V4Emu& e) : api(e.api()) {
        acc = v4_account_id(api);
        const std::string ws = v4_workspace_id(api, acc);
        auto p = v4_data(api.post("/v4/accounts/" + acc + "/workspaces/" + ws + "/projects",
                                  R"({"data":{"name":"Tree"}})"),
                         201);
        project = str(member(p, "data"), "id");
        root = str(member(p, "data"), "root_folder_id");
    }
    [[nodiscard]] std::string url(const std::string& rest) const {
        return "/v4/accounts/" + acc + rest;
    }
    std::string folder(const std::string& parent, const std::string& name) const {
        auto d = v4_data(api.post(url("/folders/" + parent + "/folders"),
                                  R"({"data":{"name":")" + name + R"("}})"),
                         201);
        return str(member(d, "data"), "id");
    }
    rapidjson::Document file(const std::string& parent, const std::string& name,
                             std::int64_t size) const {
        return v4_data(api.post(url("/folders/" + parent + "/files/local_upload"),
                                R"({"data":{"name":")" + name + R"(","file_size":)" +
                                    std::to_string(size) + "}}"),
                       201);
    }
    std::string file_id(const std::string& parent, const std::string& name,
                        std::int64_t size = 10) const {
        auto d = file(parent, name, size);
        return str(member(d, "data"), "id");
    }
    std::vector<std::string> names(const std::string& list) const {
        std::vector<std::string> out;
        for (const auto& item : v4_list_all(api, url(list)))
            out.push_back(str(item, "name"));
        return out;
    }
    rapidjson::Document show(const std::string& rest) const { return v4_data(api.get(url(rest))); }
};

void check_error(const HttpResponse& r, long status, const std::string& pointer = "") {
    INFO(r.describe());
    REQUIRE(r.status == status);
    auto doc = parse_json(r.body);
    const auto& errors = member(doc, "errors");
    REQUIRE(errors.Size() == 1);
    if (!pointer.empty())
        CHECK(str(member(errors[0], "source"), "pointer") == pointer);
}

} // namespace

TEST_CASE("V4 folders are created renamed moved and deleted with their subtree",
          "[emulator][v4][assets]") {
    V4Emu e;
    const Tree t(e);
    const std::string a = t.folder(t.root, "A");
    const std::string b = t.folder(t.root, "B");
    const std::string inner = t.folder(a, "inner");
    const std::string deep_file = t.file_id(inner, "deep.bin");

    auto shown = t.show("/folders/" + a + "?include=creator,project,metadata");
    const auto& f = member(shown, "data");
    CHECK(str(f, "type") == "folder");
    CHECK(str(f, "parent_id") == t.root);
    CHECK(is_null(f, "cover_file_id"));
    CHECK(member(f, "creator").IsObject());
    CHECK(str(member(f, "project"), "id") == t.project);
    CHECK(member(f, "metadata").IsArray());
    CHECK(str(f, "view_url") == "https://next.frame.io/project/" + t.project + "/view/" + a);
    check_error(t.api.get(t.url("/folders/" + a + "?include=media_links.original")), 422);

    auto renamed = v4_data(t.api.patch(t.url("/folders/" + a), R"({"data":{"name":"A2"}})"));
    CHECK(str(member(renamed, "data"), "name") == "A2");
    check_error(t.api.patch(t.url("/folders/" + a), R"({"data":{"name":"x","color":1}})"), 422,
                "/data/color");
    check_error(t.api.post(t.url("/folders/" + a + "/folders"), R"({"data":{}})"), 422,
                "/data/name");

    auto moved = v4_data(
        t.api.patch(t.url("/folders/" + a + "/move"), R"({"data":{"parent_id":")" + b + R"("}})"));
    CHECK(str(member(moved, "data"), "parent_id") == b);
    check_error(t.api.patch(t.url("/folders/" + b + "/move"),
                            R"({"data":{"parent_id":")" + inner + R"("}})"),
                422);
    CHECK(t.names("/folders/" + t.root + "/folders") == std::vector<std::string>{"B"});

    const auto del = t.api.del(t.url("/folders/" + b));
    CHECK(del.status == 204);
    CHECK(del.body.empty());
    for (const auto& gone :
         {"/folders/" + b, "/folders/" + a, "/folders/" + inner, "/files/" + deep_file})
        check_error(t.api.get(t.url(gone)), 404);
    check_error(t.api.del(t.url("/folders/" + t.root)), 422);
}

TEST_CASE("V4 folder lists filter by type sort files and page with cursors",
          "[emulator][v4][assets]") {
    V4Emu e;
    const Tree t(e);
    t.folder(t.root, "sub");
    t.file_id(t.root, "b.bin", 30);
    t.file_id(t.root, "a.bin", 10);
    t.file_id(t.root, "c.bin", 20);
    const std::string f = "/folders/" + t.root;

    CHECK(t.names(f + "/children?type=folder") == std::vector<std::string>{"sub"});
    CHECK(t.names(f + "/children?type=file,folder").size() == 4);
    check_error(t.api.get(t.url(f + "/children?type=comment")), 422);
    CHECK(t.names(f + "/folders") == std::vector<std::string>{"sub"});
    CHECK(t.names(f + "/files?sort=name_asc") ==
          std::vector<std::string>{"a.bin", "b.bin", "c.bin"});
    CHECK(t.names(f + "/files?sort=name_desc") ==
          std::vector<std::string>{"c.bin", "b.bin", "a.bin"});
    CHECK(t.names(f + "/files?sort=file_size_asc") ==
          std::vector<std::string>{"a.bin", "c.bin", "b.bin"});
    CHECK(t.names(f + "/files?sort=file_size_desc") ==
          std::vector<std::string>{"b.bin", "c.bin", "a.bin"});
    CHECK(t.names(f + "/files?sort=created_at_asc") ==
          std::vector<std::string>{"b.bin", "a.bin", "c.bin"});
    check_error(t.api.get(t.url(f + "/files?sort=size")), 422);
    check_error(t.api.get(t.url(f + "/files?page_size=501")), 422);
    CHECK(t.api.get(t.url(f + "/files?page_size=500")).status == 200);
    check_error(t.api.get(t.url(f + "/files?type=file")), 422);

    // Paging one by one through the children while one is added: nothing lost or repeated.
    auto page = t.show(f + "/children?page_size=2&include_total_count=true");
    CHECK(int64(page, "total_count") == 4);
    std::vector<std::string> seen;
    for (const auto& item : member(page, "data").GetArray())
        seen.push_back(str(item, "name"));
    t.file_id(t.root, "new.bin");
    std::string next = str(member(page, "links"), "next");
    while (!next.empty()) {
        auto p = v4_data(t.api.get(next + "&page_size=2"));
        for (const auto& item : member(p, "data").GetArray())
            seen.push_back(str(item, "name"));
        const auto& n = member(member(p, "links"), "next");
        next = n.IsNull() ? "" : n.GetString();
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::remove(seen.begin(), seen.end(), "new.bin"), seen.end());
    CHECK(seen == std::vector<std::string>{"a.bin", "b.bin", "c.bin", "sub"});
}

TEST_CASE("V4 files are shown renamed moved copied and deleted", "[emulator][v4][assets]") {
    V4Emu e;
    const Tree t(e);
    const std::string dest = t.folder(t.root, "dest");
    const std::string id = t.file_id(t.root, "clip.mov", 100);

    auto shown = t.show("/files/" + id + "?include=media_links.original,creator");
    const auto& f = member(shown, "data");
    CHECK(str(f, "status") == "created");
    CHECK(int64(f, "file_size") == 100);
    CHECK(is_null(member(member(f, "media_links"), "original"), "download_url"));
    CHECK(member(f, "creator").IsObject());

    auto renamed = v4_data(t.api.patch(t.url("/files/" + id), R"({"data":{"name":"cut.mov"}})"));
    CHECK(str(member(renamed, "data"), "name") == "cut.mov");
    CHECK_FALSE(member(renamed, "data").HasMember("media_links"));

    auto copy = v4_data(t.api.post(t.url("/files/" + id + "/copy"), ""));
    CHECK(str(member(copy, "data"), "name") == "cut (1).mov");
    CHECK(str(member(copy, "data"), "parent_id") == t.root);
    auto copy2 = v4_data(t.api.post(t.url("/files/" + id + "/copy"), R"({"data":{}})"));
    CHECK(str(member(copy2, "data"), "name") == "cut (2).mov");
    auto elsewhere = v4_data(
        t.api.post(t.url("/files/" + id + "/copy"), R"({"data":{"parent_id":")" + dest + R"("}})"));
    CHECK(str(member(elsewhere, "data"), "name") == "cut.mov");
    check_error(t.api.post(t.url("/files/" + id + "/copy"), R"({"data":{"name":"x"}})"), 422,
                "/data/name");

    auto moved = v4_data(t.api.patch(t.url("/files/" + id + "/move"),
                                     R"({"data":{"parent_id":")" + dest + R"("}})"));
    CHECK(str(member(moved, "data"), "parent_id") == dest);
    CHECK(t.names("/folders/" + dest + "/files?sort=name_asc").size() == 2);

    const auto del = t.api.del(t.url("/files/" + id));
    CHECK(del.status == 204);
    CHECK(del.body.empty());
    check_error(t.api.get(t.url("/files/" + id)), 404);
    check_error(t.api.patch(t.url("/files/" + id), R"({"data":{"name":"z"}})"), 404);
}

TEST_CASE("V4 version stacks are created listed moved and take moved files as head",
          "[emulator][v4][assets]") {
    V4Emu e;
    const Tree t(e);
    const std::string other = t.folder(t.root, "other");
    const std::string v1 = t.file_id(t.root, "v1.mov");
    const std::string v2 = t.file_id(t.root, "v2.mov");
    const std::string v3 = t.file_id(t.root, "v3.mov");
    const std::string stray = t.file_id(other, "stray.mov");
    const std::string create = t.url("/folders/" + t.root + "/version_stacks");

    check_error(t.api.post(create, R"({"data":{"file_ids":[")" + v1 + R"("]}})"), 422,
                "/data/file_ids");
    check_error(t.api.post(create, R"({"data":{"file_ids":[")" + v1 + R"(",")" + stray + R"("]}})"),
                422);
    check_error(t.api.post(create, R"({"data":{"file_ids":[")" + v1 + R"(",")" + v1 + R"("]}})"),
                422);
    auto made = v4_data(
        t.api.post(create, R"({"data":{"file_ids":[")" + v1 + R"(",")" + v2 + R"("]}})"), 201);
    const auto& stack = member(made, "data");
    const std::string sid = str(stack, "id");
    CHECK(str(stack, "type") == "version_stack");
    CHECK(str(member(stack, "head_version"), "id") == v2);

    auto children = v4_list_all(t.api, t.url("/version_stacks/" + sid + "/children"));
    REQUIRE(children.size() == 2);
    CHECK(str(children[0], "id") == v2);
    CHECK(str(children[1], "id") == v1);
    check_error(t.api.get(t.url("/version_stacks/" + sid + "/children?page_size=101")), 422);

    // Moving a file into the stack makes it the head.
    auto moved = v4_data(
        t.api.patch(t.url("/files/" + v3 + "/move"), R"({"data":{"parent_id":")" + sid + R"("}})"));
    CHECK(str(member(moved, "data"), "parent_id") == sid);
    auto shown = t.show("/version_stacks/" + sid);
    CHECK(str(member(member(shown, "data"), "head_version"), "id") == v3);
    CHECK(t.names("/folders/" + t.root + "/version_stacks").size() == 1);
    CHECK(t.names("/folders/" + t.root + "/children?type=version_stack").size() == 1);
    CHECK(t.names("/folders/" + t.root + "/files").size() == 1); // the stack itself

    auto stack_moved = v4_data(t.api.patch(t.url("/version_stacks/" + sid + "/move"),
                                           R"({"data":{"parent_id":")" + other + R"("}})"));
    CHECK(str(member(stack_moved, "data"), "parent_id") == other);
    CHECK(member(member(stack_moved, "data"), "head_version").IsObject());
    check_error(t.api.patch(t.url("/version_stacks/" + sid + "/move"),
                            R"({"data":{"parent_id":")" + v1 + R"("}})"),
                404);
    CHECK(t.names("/folders/" + other + "/version_stacks").size() == 1);
}

TEST_CASE("V4 ancestors keep updated_at by default and follow with --v4-bump-ancestors",
          "[emulator][v4][assets]") {
    for (const bool bump : {false, true}) {
        V4Emu e(bump ? std::vector<std::string>{"--v4-bump-ancestors"}
                     : std::vector<std::string>{});
        const Tree t(e);
        const std::string parent = t.folder(t.root, "parent");
        const std::string before_folder =
            str(member(t.show("/folders/" + parent), "data"), "updated_at");
        const std::string before_project =
            str(member(t.show("/projects/" + t.project), "data"), "updated_at");
        advance_clock(e.v2_api(), 60);
        t.folder(parent, "child");
        t.file_id(parent, "f.bin");
        const std::string after_folder =
            str(member(t.show("/folders/" + parent), "data"), "updated_at");
        const std::string after_project =
            str(member(t.show("/projects/" + t.project), "data"), "updated_at");
        INFO("bump " << bump);
        CHECK((after_folder != before_folder) == bump);
        CHECK((after_project != before_project) == bump);
    }
}

TEST_CASE("V4 file copies share the original's bytes and count in storage",
          "[emulator][v4][assets]") {
    V4Emu e;
    const Tree t(e);
    const std::string data = make_bytes(3000, 7);
    auto created = t.file(t.root, "data.bin", static_cast<std::int64_t>(data.size()));
    const auto& f = member(created, "data");
    const std::string id = str(f, "id");
    std::size_t offset = 0;
    for (const auto& part : member(f, "upload_urls").GetArray()) {
        const auto size = static_cast<std::size_t>(int64(part, "size"));
        REQUIRE(
            put_part(str(part, "url"), data.substr(offset, size), str(f, "media_type")).status ==
            200);
        offset += size;
    }
    auto uploaded = t.show("/files/" + id);
    REQUIRE(str(member(uploaded, "data"), "status") != "created");

    auto copy = v4_data(t.api.post(t.url("/files/" + id + "/copy"), ""));
    const std::string copy_id = str(member(copy, "data"), "id");
    CHECK(str(member(copy, "data"), "status") != "created");
    REQUIRE(t.api.del(t.url("/files/" + id)).status == 204);
    auto shown = t.show("/files/" + copy_id + "?include=media_links.original");
    const auto& original = member(member(member(shown, "data"), "media_links"), "original");
    const auto body = fetch(str(original, "download_url"));
    REQUIRE(body.status == 200);
    CHECK(body.body == data);
    auto project = t.show("/projects/" + t.project);
    CHECK(int64(member(project, "data"), "storage") == static_cast<std::int64_t>(data.size()));
    auto accounts = v4_data(t.api.get("/v4/accounts"));
    CHECK(int64(member(accounts, "data")[0], "storage_usage") ==
          static_cast<std::int64_t>(data.size()));
}
