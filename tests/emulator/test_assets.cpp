// SPDX-License-Identifier: MIT
// Asset JSON as Frame.io writes it, create/rename/soft delete, names, GET with a body and
// malformed bodies.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

// Every key, at every depth, is snake_case ("_type" included); returns the offending keys.
void collect_non_snake_keys(const rapidjson::Value& v, std::vector<std::string>& bad) {
    static const std::regex snake("^_?[a-z][a-z0-9]*(_[a-z0-9]+)*$");
    if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            std::string key(m.name.GetString(), m.name.GetStringLength());
            if (!std::regex_match(key, snake))
                bad.push_back(key);
            collect_non_snake_keys(m.value, bad);
        }
    } else if (v.IsArray()) {
        for (const auto& item : v.GetArray())
            collect_non_snake_keys(item, bad);
    }
}

// Every "*_at" key holding a string is a microsecond UTC timestamp.
void collect_bad_timestamps(const rapidjson::Value& v, std::vector<std::string>& bad) {
    if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            std::string key(m.name.GetString(), m.name.GetStringLength());
            if (key.size() > 3 && key.compare(key.size() - 3, 3, "_at") == 0 &&
                m.value.IsString() && !looks_like_timestamp(m.value.GetString())) {
                bad.push_back(key + "=" + m.value.GetString());
            }
            collect_bad_timestamps(m.value, bad);
        }
    } else if (v.IsArray()) {
        for (const auto& item : v.GetArray())
            collect_bad_timestamps(item, bad);
    }
}

void check_frameio_shape(const rapidjson::Value& asset, const std::string& type) {
    INFO(to_json(asset).substr(0, 1500));
    CHECK(str(asset, "_type") == type);
    CHECK(str(asset, "type") == type);
    std::vector<std::string> bad_keys;
    collect_non_snake_keys(asset, bad_keys);
    CHECK(bad_keys.empty());
    std::vector<std::string> bad_times;
    collect_bad_timestamps(asset, bad_times);
    CHECK(bad_times.empty());
    CHECK(looks_like_timestamp(str(asset, "inserted_at")));
    CHECK(looks_like_timestamp(str(asset, "updated_at")));
    CHECK(looks_like_uuid(str(asset, "id")));
    // Absent values are null, not missing keys.
    for (const char* key : {"deleted_at", "hard_deleted_at", "description", "properties"}) {
        INFO(key);
        CHECK(asset.HasMember(key));
    }
    CHECK(is_null(asset, "deleted_at"));
}

} // namespace

TEST_CASE("folder and file JSON: _type and type, snake_case, timestamps, null not missing",
          "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    const auto account_id = str(expect_json(api.get("/v2/me")), "account_id");
    auto p = create_project(api, "Shapes");
    const auto root = str(p, "root_asset_id");

    auto folder = create_folder(api, root, "Dailies");
    check_frameio_shape(folder, "folder");
    CHECK(str(folder, "name") == "Dailies");
    CHECK(str(folder, "parent_id") == root);
    CHECK(str(folder, "project_id") == str(p, "id"));
    CHECK(str(folder, "account_id") == account_id);
    CHECK(is_null(folder, "filetype"));

    auto file = create_file(api, str(folder, "id"), "clip.mov", 1234, "video/quicktime");
    check_frameio_shape(file, "file");
    CHECK(str(file, "parent_id") == str(folder, "id"));
    CHECK(int64(file, "filesize") == 1234);
    CHECK(str(file, "filetype") == "video/quicktime");
    CHECK(is_null(file, "upload_completed_at"));
    CHECK(is_null(file, "checksums"));
    CHECK(is_null(file, "cover_asset_id"));
    CHECK(int64(file, "versions") == 0);

    // GET gives the same asset, with the same shape (upload_urls only on create).
    auto got = get_asset(api, str(file, "id"));
    check_frameio_shape(got, "file");
    CHECK(str(got, "name") == "clip.mov");
    CHECK(got["original"].IsString()); // from the create answer on (test_v2_fidelity.cpp)
    // The folder's item_count follows its children.
    CHECK(int64(get_asset(api, str(folder, "id")), "item_count") == 1);
}

TEST_CASE("rename and other fields via PUT", "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Rename");
    const auto root = str(p, "root_asset_id");
    auto folder = create_folder(api, root, "old name");
    const auto id = str(folder, "id");
    advance_clock(api, 5);
    auto r = api.put_json("/v2/assets/" + id, R"({"name":"new name","description":"notes"})");
    auto put = expect_json(r);
    CHECK(str(put, "name") == "new name");
    auto got = get_asset(api, id);
    CHECK(str(got, "name") == "new name");
    CHECK(str(got, "description") == "notes");
    CHECK(str(got, "updated_at") > str(folder, "updated_at"));
    CHECK(str(got, "inserted_at") == str(folder, "inserted_at"));
    auto children = list_children(api, root);
    REQUIRE(children.size() == 1);
    CHECK(str(children[0], "name") == "new name");
}

TEST_CASE("soft delete hides a whole subtree unless include_deleted=true", "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Delete");
    const auto root = str(p, "root_asset_id");
    auto keep = create_folder(api, root, "keep");
    auto doomed = create_folder(api, root, "doomed");
    auto inner = create_folder(api, str(doomed, "id"), "inner");
    auto file = create_file(api, str(inner, "id"), "deep.bin", 10);
    advance_clock(api, 3);

    auto del = api.del("/v2/assets/" + str(doomed, "id"));
    INFO(del.describe());
    REQUIRE(del.status / 100 == 2);

    auto visible = child_ids(api, root);
    CHECK(visible == std::vector<std::string>{str(keep, "id")});
    auto all = list_children(api, root, 50, "&include_deleted=true");
    REQUIRE(all.size() == 2);
    for (const auto& c : all) {
        if (str(c, "id") == str(doomed, "id")) {
            CHECK(looks_like_timestamp(str(c, "deleted_at")));
        } else {
            CHECK(is_null(c, "deleted_at"));
        }
    }
    // The subtree is deleted too.
    auto inner_all = list_children(api, str(doomed, "id"), 50, "&include_deleted=true");
    REQUIRE(inner_all.size() == 1);
    CHECK(looks_like_timestamp(str(inner_all[0], "deleted_at")));
    auto deep = get_asset(api, str(file, "id"), "?include_deleted=true");
    CHECK(looks_like_timestamp(str(deep, "deleted_at")));
    // Without include_deleted the deleted subtree shows nothing (or is not found at all).
    auto hidden = api.get("/v2/assets/" + str(inner, "id") + "/children");
    if (hidden.status == 200) {
        CHECK(parse_json(hidden.body).Empty());
    } else {
        CHECK(hidden.status == 404);
    }
    // The sibling is untouched.
    CHECK(is_null(get_asset(api, str(keep, "id")), "deleted_at"));
}

TEST_CASE("duplicate names in one folder are allowed", "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Dupes");
    const auto root = str(p, "root_asset_id");
    auto f1 = create_folder(api, root, "same");
    auto f2 = create_folder(api, root, "same");
    auto x1 = create_file(api, root, "same.bin", 1);
    auto x2 = create_file(api, root, "same.bin", 2);
    std::set<std::string> ids;
    for (const auto& c : list_children(api, root))
        ids.insert(str(c, "id"));
    CHECK(ids.size() == 4);
    for (const auto* a : {&f1, &f2, &x1, &x2})
        CHECK(ids.count(str(*a, "id")) == 1);
}

TEST_CASE("hostile names are stored exactly as given", "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Hostile");
    const auto root = str(p, "root_asset_id");
    std::string long_name;
    for (int i = 0; i < 300; ++i)
        long_name += "long-\xC3\xA9";
    const std::vector<std::string> names = {
        "..",
        ".",
        "a/b",
        "back\\slash",
        "\xC3\x9Cn\xC3\xAF"
        "c\xC3\xB8"
        "d\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xAC.mov",
        " leading and trailing spaces ",
        "quote\" and 'apostrophe' <tag> & amp",
        "line\nbreak\ttab",
        "CON",
        long_name,
    };
    std::set<std::string> created_ids;
    for (const auto& name : names) {
        INFO(name.substr(0, 60));
        auto folder = create_folder(api, root, name);
        CHECK(str(folder, "name") == name);
        CHECK(str(get_asset(api, str(folder, "id")), "name") == name);
        auto file = create_file(api, str(folder, "id"), name, 3);
        CHECK(str(get_asset(api, str(file, "id")), "name") == name);
        created_ids.insert(str(folder, "id"));
    }
    std::multiset<std::string> listed;
    for (const auto& c : list_children(api, root))
        listed.insert(str(c, "name"));
    CHECK(listed == std::multiset<std::string>(names.begin(), names.end()));
}

TEST_CASE("a GET that carries a JSON body is accepted", "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Get with body");
    const auto root = str(p, "root_asset_id");
    create_folder(api, root, "one");
    auto r = api.send("GET", "/v2/assets/" + root + "/children", std::string(R"({"page":1})"));
    auto doc = expect_json(r);
    REQUIRE(doc.IsArray());
    CHECK(doc.Size() == 1);
    auto me = api.send("GET", "/v2/me", std::string("{}"));
    CHECK(me.status == 200);
    auto asset = api.send("GET", "/v2/assets/" + root, std::string(R"({"include":"children"})"));
    CHECK(asset.status == 200);
}

TEST_CASE("malformed bodies get a 4xx and the emulator keeps answering", "[emulator][assets]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Malformed");
    const auto root = str(p, "root_asset_id");
    const auto children = "/v2/assets/" + root + "/children";
    const std::vector<std::string> bodies = {
        R"({"type":"folder","name":)",
        "not json at all",
        "",
        "[]",
        "null",
        R"({"type":"folder","name":42})",
        R"({"name":"no type"})",
        R"({"type":"bogus","name":"x"})",
        R"({"type":"file","name":"no size","filetype":"video/mp4"})",
        R"({"type":"file","name":"neg","filetype":"video/mp4","filesize":-5})",
        R"({"type":"file","name":"str","filetype":"video/mp4","filesize":"12"})",
        R"({"type":"file","name":"frac","filetype":"video/mp4","filesize":1.5})",
        R"({"type":"folder","name":"trailing"} garbage)",
        std::string(200000, '[') + std::string(200000, ']'),
        "{\"type\":\"folder\",\"name\":\"" + std::string(1, '\0') + "\"",
    };
    for (const auto& body : bodies) {
        INFO("body: " << body.substr(0, 80));
        auto r = api.post_json(children, body);
        INFO(r.describe());
        CHECK(r.status >= 400);
        CHECK(r.status < 500);
        CHECK(api.get("/v2/me").status == 200);
    }
    CHECK(child_ids(api, root).empty());

    auto folder = create_folder(api, root, "target");
    const auto fid = str(folder, "id");
    for (const std::string body : {"{", R"({"name":["a"]})", R"({"name":7})", "[1,2]"}) {
        INFO("PUT body: " << body);
        auto r = api.put_json("/v2/assets/" + fid, body);
        INFO(r.describe());
        CHECK(r.status >= 400);
        CHECK(r.status < 500);
    }
    CHECK(str(get_asset(api, fid), "name") == "target");

    const auto team = first_team_id(api);
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"POST", "/v2/teams/" + team + "/projects"},
             {"PUT", "/v2/projects/" + str(p, "id")},
             {"POST", "/v2/search/library"},
             {"POST", "/v2/assets/" + fid + "/version"},
             {"POST", "/_emulator/clock"},
             {"POST", "/_emulator/faults"},
             {"POST", "/_emulator/fail-next"}}) {
        INFO(method << " " << path);
        auto r = api.send(method, path, std::string("{\"oops\":"));
        INFO(r.describe());
        CHECK(r.status >= 400);
        CHECK(r.status < 500);
    }
    auto oauth = oauth_token(e.base_url(), {{"grant_type", "\xff\xfe"}});
    CHECK(oauth.status >= 400);
    CHECK(oauth.status < 500);
    // Still alive and consistent.
    CHECK(api.get("/v2/me").status == 200);
    CHECK(child_ids(api, root).size() == 1);
    CHECK(e.process().running());
}
