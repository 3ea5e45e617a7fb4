// SPDX-License-Identifier: MIT
// Parity with real Frame.io V2 responses (../shared/fixtures/frameio-v2/*.json): every field the
// fixtures share with the emulator's JSON of the same kind has the same JSON type, and every
// field the reference (docs/frameio-api.md sections 3 and 4) lists for users, teams, projects
// and assets is present in the emulator's output.
#include "emulator/emulator_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

const std::filesystem::path k_fixtures =
    std::filesystem::path(FIOS_TEST_SHARED_DIR) / "fixtures" / "frameio-v2";

rapidjson::Document load_fixture(const std::string& name) {
    return parse_json(read_file(k_fixtures / name));
}

// --- field lists, written from the reference --------------------------------------------------
// Space-separated, in the reference's order.

// 3.1 "User fields (observed)".
const char* const k_user_fields =
    "id name email account_id _type inserted_at updated_at deleted_at first_login_at last_seen "
    "timezone_value image_32 image_64 image_128 image_256 profile_image from_adobe from_google "
    "joined_via roles context upload_url digest_frequency";

// 3.2 "Team fields (spec)".
const char* const k_team_fields =
    "id name account_id account creator_id storage storage_limit file_count folder_count "
    "project_count member_count member_limit collaborator_count archived_storage "
    "asset_lifecycle_policy inserted_at updated_at deleted_at";

// 3.3 "Project JSON (observed in a real response; all keys present, many null)", then the keys
// the spec lists in addition.
const char* const k_project_fields =
    "_type id name description team_id owner_id root_asset_id private shared read_only "
    "ignore_archive archive_status archived_at archived_file_count archived_storage storage "
    "file_count folder_count collaborator_count inserted_at updated_at deleted_at invite_url "
    "resource_id user_permissions "
    "root_asset team project_preferences user_preferences watermark";
const char* const k_project_permission_fields =
    "can_download can_manage_devices can_modify_template can_public_share_presentation "
    "can_public_share_review_link can_share_downloadable_presentation "
    "can_share_downloadable_review_link can_share_unwatermarked_presentation "
    "can_share_unwatermarked_review_link can_view_devices";

// 4 "Minimal emulator asset (what the SDK and sync tools actually read)", less `original` and
// `downloads` (a real version stack has neither): every asset kind.
const char* const k_minimal_asset_fields =
    "id _type type name parent_id project_id account_id filesize filetype item_count versions "
    "index inserted_at updated_at upload_completed_at deleted_at checksums "
    "is_session_watermarked cover_asset_id creator_id label status";

// 4 "Key fields for sync": the whole table, for files. Rendition URLs as the fixture names the
// table's `webm_*` and `page_*` families; `asset_type` from the section's introduction.
const char* const k_file_fields =
    "id _type type name parent_id project_id account_id team_id creator_id creator filesize "
    "filetype item_count versions cover_asset_id index label upload_completed_at "
    "upload_failed_at uploaded_at inserted_at updated_at deleted_at hard_deleted_at "
    "transcoded_at status checksums original downloads is_session_watermarked is_hls_required "
    "is_360 private shared copy properties description metadata metadata_flags duration fps "
    "frames timecode comment_count view_count public_item_count archive_status archived_at "
    "archive_from archive_scheduled_at required_transcodes transcode_statuses transcodes "
    "includes thumb thumb_540 thumb_scrub cover image_full image_small h264_360 h264_540 "
    "h264_720 h264_1080_best h264_2160 hls_manifest webm_360 webm_540 webm_720 webm_1080_best "
    "page_full page_high page_small page_thumb waveform user_permissions project "
    "autoversion_id source drm rating resource_id asset_type";

std::vector<std::string> words(const char* list) {
    std::vector<std::string> out;
    std::string current;
    for (const char* c = list; *c; ++c) {
        if (*c == ' ') {
            if (!current.empty())
                out.push_back(current);
            current.clear();
        } else {
            current += *c;
        }
    }
    if (!current.empty())
        out.push_back(current);
    return out;
}

// Fields the reference types as "... | null" (or says are absent until known).
const std::set<std::string> k_nullable_by_reference{
    "upload_completed_at", "upload_failed_at", "deleted_at", "hard_deleted_at", "transcoded_at",
    "checksums",           "cover_asset_id",   "filetype",   "original"};

// Records of transcoding and media analysis: the emulator makes no renditions, so their
// insides (frame sizes, thumbnail counts) are null there; only the record's own type is compared.
const std::set<std::string> k_media_records{"transcodes", "transcode_statuses"};

std::vector<std::string> missing_fields(const rapidjson::Value& object,
                                        const std::vector<std::string>& fields) {
    std::vector<std::string> missing;
    for (const auto& f : fields) {
        if (!object.HasMember(f.c_str()))
            missing.push_back(f);
    }
    return missing;
}

// --- type comparison ---------------------------------------------------------------------------

enum class Kind { null, boolean, integer, real, string, array, object };

Kind kind_of(const rapidjson::Value& v) {
    if (v.IsNull())
        return Kind::null;
    if (v.IsBool())
        return Kind::boolean;
    if (v.IsDouble())
        return Kind::real;
    if (v.IsNumber())
        return Kind::integer;
    if (v.IsString())
        return Kind::string;
    if (v.IsArray())
        return Kind::array;
    return Kind::object;
}

const char* kind_name(Kind k) {
    switch (k) {
    case Kind::null:
        return "null";
    case Kind::boolean:
        return "bool";
    case Kind::integer:
        return "integer";
    case Kind::real:
        return "real";
    case Kind::string:
        return "string";
    case Kind::array:
        return "array";
    case Kind::object:
        return "object";
    }
    return "?";
}

// What the fixtures as a whole say about a key: null somewhere (so nullable), or a real number
// somewhere (so an integer is fine as well).
struct FixtureFacts {
    std::set<std::string> nullable;
    std::set<std::string> real;
};

void gather_facts(const rapidjson::Value& v, FixtureFacts& facts) {
    if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            std::string key = m.name.GetString();
            if (m.value.IsNull())
                facts.nullable.insert(key);
            if (m.value.IsDouble())
                facts.real.insert(key);
            // Pre-signed, expiring URLs are absent (null) when a rendition or the right to
            // download does not exist.
            if (m.value.IsString() && std::string(m.value.GetString()).rfind("https://", 0) == 0) {
                facts.nullable.insert(key);
            }
            gather_facts(m.value, facts);
        }
    } else if (v.IsArray()) {
        for (const auto& item : v.GetArray())
            gather_facts(item, facts);
    }
}

// Compares the JSON types of every key both objects have, recursing into objects both have.
void compare_types(const rapidjson::Value& fixture, const rapidjson::Value& emulator,
                   const FixtureFacts& facts, const std::string& path,
                   std::vector<std::string>& problems, std::size_t& shared) {
    for (const auto& m : fixture.GetObject()) {
        const std::string key = m.name.GetString();
        auto it = emulator.FindMember(key.c_str());
        if (it == emulator.MemberEnd())
            continue;
        ++shared;
        const Kind f = kind_of(m.value);
        const Kind e = kind_of(it->value);
        const bool nullable = facts.nullable.count(key) || k_nullable_by_reference.count(key);
        bool ok = f == e;
        if (f == Kind::null || (e == Kind::null && nullable))
            ok = true;
        if (f == Kind::real && e == Kind::integer)
            ok = true;
        if (f == Kind::integer && e == Kind::real && facts.real.count(key))
            ok = true;
        if (!ok) {
            problems.push_back(path + key + ": fixture " + kind_name(f) + ", emulator " +
                               kind_name(e));
        } else if (f == Kind::object && e == Kind::object && !k_media_records.count(key)) {
            compare_types(m.value, it->value, facts, path + key + ".", problems, shared);
        }
    }
}

struct EmulatorSample {
    rapidjson::Document user;
    rapidjson::Document team;
    rapidjson::Document project;
    rapidjson::Document folder;
    rapidjson::Document file;         ///< completed upload, checksum computed
    rapidjson::Document created_file; ///< the create response (with upload_urls)
    rapidjson::Document stack;
    rapidjson::Document stack_child; ///< a version, from the stack's children listing
};

EmulatorSample sample(const Api& api) {
    EmulatorSample s;
    s.user = expect_json(api.get("/v2/me"));
    s.team = expect_json(api.get("/v2/teams/" + first_team_id(api)));
    auto p = create_project(api, "Parity");
    const auto root = str(p, "root_asset_id");
    s.folder = create_folder(api, root, "folder");
    const std::string d1 = make_bytes(2000, 1), d2 = make_bytes(2100, 2);
    s.created_file = create_file(api, str(s.folder, "id"), "v1.mp4", d1.size(), "video/mp4");
    upload_all(s.created_file, d1, "video/mp4");
    if (!wait_upload_completed(api, str(s.created_file, "id"))) {
        throw std::runtime_error("upload never completed");
    }
    auto v2 = upload_file(api, str(s.folder, "id"), "v2.mp4", d2, "video/mp4");
    advance_clock(api, 60);
    const auto v1_id = str(s.created_file, "id");
    wait_until([&] { return get_asset(api, v1_id)["checksums"].IsObject(); });
    s.file = get_asset(api, v1_id);
    auto r = api.post_json("/v2/assets/" + v1_id + "/version",
                           R"({"next_asset_id":")" + str(v2, "id") + R"("})");
    if (r.status / 100 != 2)
        throw std::runtime_error("version failed: " + r.describe());
    for (auto& c : list_children(api, str(s.folder, "id"))) {
        if (str(c, "_type") == "version_stack")
            s.stack = get_asset(api, str(c, "id"));
    }
    if (!s.stack.IsObject())
        throw std::runtime_error("no version stack in the folder");
    auto versions = list_children(api, str(s.stack, "id"));
    if (versions.empty())
        throw std::runtime_error("empty version stack");
    s.stack_child.CopyFrom(versions.front(), s.stack_child.GetAllocator());
    s.project = expect_json(api.get("/v2/projects/" + str(p, "id")));
    return s;
}

} // namespace

TEST_CASE("fixtures and emulator agree on the JSON type of every shared field",
          "[emulator][fixtures]") {
    auto stack_fixture = load_fixture("example-version-stack.json");
    auto children_fixture = load_fixture("example-version-stack-children.json");
    REQUIRE(stack_fixture.IsObject());
    REQUIRE(children_fixture.IsArray());
    REQUIRE(children_fixture.Size() >= 1);
    FixtureFacts facts;
    gather_facts(stack_fixture, facts);
    gather_facts(children_fixture, facts);

    Emu e({"--part-size", "1024", "--checksum-delay", "1"});
    auto s = sample(e.api());

    std::vector<std::string> problems;
    std::size_t shared = 0;
    compare_types(stack_fixture, s.stack, facts, "version_stack.", problems, shared);
    for (const auto& child : children_fixture.GetArray()) {
        REQUIRE(str(child, "_type") == "file");
        compare_types(child, s.file, facts, "file.", problems, shared);
        compare_types(child, s.stack_child, facts, "version(child).", problems, shared);
        compare_types(member(child, "project"), s.project, facts, "project.", problems, shared);
        compare_types(member(child, "creator"), s.user, facts, "user.", problems, shared);
    }
    compare_types(member(stack_fixture, "project"), s.project, facts, "project.", problems, shared);
    compare_types(member(stack_fixture, "creator"), s.user, facts, "user.", problems, shared);
    // Embedded objects in the emulator's assets, where it has them.
    if (s.file.HasMember("project") && s.file["project"].IsObject()) {
        compare_types(member(children_fixture[0], "project"), s.file["project"], facts,
                      "file.project.", problems, shared);
    }
    if (s.file.HasMember("creator") && s.file["creator"].IsObject()) {
        compare_types(member(children_fixture[0], "creator"), s.file["creator"], facts,
                      "file.creator.", problems, shared);
    }
    INFO("shared fields compared: " << shared);
    for (const auto& p : problems)
        UNSCOPED_INFO(p);
    CHECK(problems.empty());
    // The comparison compared something: most fields of the fixtures are shared.
    CHECK(shared > 100);
}

TEST_CASE("every field the reference lists is present", "[emulator][fixtures]") {
    Emu e({"--part-size", "1024", "--checksum-delay", "1"});
    auto s = sample(e.api());
    auto report = [](const char* what, const std::vector<std::string>& missing) {
        std::string joined;
        for (const auto& m : missing)
            joined += m + " ";
        INFO(what << " lacks: " << joined);
        CHECK(missing.empty());
    };
    report("user (/v2/me)", missing_fields(s.user, words(k_user_fields)));
    report("team", missing_fields(s.team, words(k_team_fields)));
    report("project", missing_fields(s.project, words(k_project_fields)));
    if (s.project.HasMember("user_permissions") && s.project["user_permissions"].IsObject()) {
        report("project.user_permissions",
               missing_fields(s.project["user_permissions"], words(k_project_permission_fields)));
    }
    report("file", missing_fields(s.file, words(k_file_fields)));
    report("version (stack child)", missing_fields(s.stack_child, words(k_minimal_asset_fields)));
    report("folder", missing_fields(s.folder, words(k_minimal_asset_fields)));
    report("version_stack", missing_fields(s.stack, words(k_minimal_asset_fields)));
    // upload_urls only in the create response.
    report("file (create response)", missing_fields(s.created_file, {"upload_urls"}));
    // The version stack has every key the real stack has that the reference lists for assets.
    auto stack_fixture = load_fixture("example-version-stack.json");
    std::vector<std::string> listed_in_fixture;
    for (const auto& f : words(k_file_fields)) {
        if (stack_fixture.HasMember(f.c_str()))
            listed_in_fixture.push_back(f);
    }
    report("version_stack (fixture keys)", missing_fields(s.stack, listed_in_fixture));
}
