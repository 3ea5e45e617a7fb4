// SPDX-License-Identifier: MIT
// --data DIR: state, blobs and the URL-signing key survive kill -9; restarted on the same port,
// URLs issued before stay valid.
#include "emulator/emulator_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>

using namespace fios::test;
using namespace fios::test::emu;

TEST_CASE("kill -9 then restart on the same port with --data keeps state and URLs",
          "[emulator][persistence]") {
    TempDir data("fios-emu-persist");
    const EmuOptions options{{"--data", data.path().string(), "--part-size", "1024"}};
    const std::string complete_data = make_bytes(3000, 1);
    const std::string pending_data = make_bytes(2500, 2);

    auto first = std::make_unique<EmulatorProcess>(emulator_args(options));
    const int port = first->port();
    Api api(first->base_url(), k_token);
    auto project = create_project(api, "Persistent");
    const auto pid = str(project, "id");
    const auto root = str(project, "root_asset_id");
    auto folder = create_folder(api, root, "dir");
    auto nested = create_folder(api, str(folder, "id"), "nested \xE2\x9C\x93");
    auto gone = create_folder(api, root, "deleted");
    REQUIRE(api.del("/v2/assets/" + str(gone, "id")).status / 100 == 2);
    auto renamed = create_folder(api, root, "before rename");
    REQUIRE(api.put_json("/v2/assets/" + str(renamed, "id"), R"({"name":"after rename"})").status ==
            200);
    auto complete = upload_file(api, str(nested, "id"), "complete.bin", complete_data);
    const auto download_url = str(complete, "original");
    auto pending = create_file(api, str(folder, "id"), "pending.bin", pending_data.size());
    const auto pending_urls = upload_urls(pending);
    REQUIRE(pending_urls.size() == 3);
    const auto lengths = part_lengths(pending_data.size(), 3);
    REQUIRE(put_part(pending_urls[0], pending_data.substr(0, lengths[0])).status == 200);
    REQUIRE(put_part(pending_urls[2], pending_data.substr(lengths[0] + lengths[1])).status == 200);
    // The last acknowledged write before the crash.
    auto last = create_folder(api, root, "last write");
    first->kill_hard();
    first.reset();

    auto args = emulator_args(options);
    args.emplace_back("--port");
    args.emplace_back(std::to_string(port));
    EmulatorProcess second(args);
    REQUIRE(second.port() == port);
    Api api2(second.base_url(), k_token);

    // Hierarchy and assets are intact.
    auto p2 = expect_json(api2.get("/v2/projects/" + pid));
    CHECK(str(p2, "root_asset_id") == root);
    CHECK(str(p2, "name") == "Persistent");
    std::set<std::string> names;
    for (const auto& c : list_children(api2, root))
        names.insert(str(c, "name"));
    CHECK(names == std::set<std::string>{"dir", "after rename", "last write"});
    std::set<std::string> with_deleted;
    for (const auto& c : list_children(api2, root, 50, "&include_deleted=true")) {
        with_deleted.insert(str(c, "id"));
        if (str(c, "id") == str(gone, "id"))
            CHECK_FALSE(is_null(c, "deleted_at"));
    }
    CHECK(with_deleted.count(str(gone, "id")) == 1);
    CHECK(with_deleted.count(str(last, "id")) == 1);
    auto complete2 = get_asset(api2, str(complete, "id"));
    CHECK(str(complete2, "upload_completed_at") == str(complete, "upload_completed_at"));
    CHECK(str(complete2, "name") == "complete.bin");
    CHECK(str(get_asset(api2, str(nested, "id")), "name") == "nested \xE2\x9C\x93");

    // The download URL issued before the crash still works and serves the same bytes.
    auto old_download = fetch(download_url);
    INFO(old_download.describe());
    CHECK(old_download.status == 200);
    CHECK(old_download.body == complete_data);
    auto ranged = fetch(download_url, {"Range: bytes=1000-1999"});
    CHECK(ranged.status == 206);
    CHECK(ranged.body == complete_data.substr(1000, 1000));

    // The upload resumes with the URL issued before the crash; the parts sent before are kept.
    CHECK(get_asset(api2, str(pending, "id"))["upload_completed_at"].IsNull());
    auto resumed = put_part(pending_urls[1], pending_data.substr(lengths[0], lengths[1]));
    INFO(resumed.describe());
    CHECK(resumed.status == 200);
    REQUIRE(wait_upload_completed(api2, str(pending, "id")));
    auto pending2 = get_asset(api2, str(pending, "id"));
    CHECK(fetch(str(pending2, "original")).body == pending_data);

    // Checksums still come for both, whether or not the first run had got to them.
    advance_clock(api2, 3600);
    for (const auto* a : {&complete, &pending}) {
        const auto id = str(*a, "id");
        CHECK(wait_until([&] { return get_asset(api2, id)["checksums"].IsObject(); }));
    }
    CHECK(str(member(get_asset(api2, str(complete, "id")), "checksums"), "xx_hash") ==
          xxh64_hex(complete_data));

    // The counters were kept too, and new work goes on.
    CHECK(int64(expect_json(api2.get("/v2/projects/" + pid)), "file_count") == 2);
    CHECK(create_folder(api2, root, "after restart").IsObject());
    CHECK(second.stop() == 0);
}

namespace {

// Sets TMPDIR for children started while alive, and restores it after.
class TmpdirOverride {
public:
    explicit TmpdirOverride(const std::string& value) {
        if (const char* old = std::getenv("TMPDIR"))
            m_old = old;
        ::setenv("TMPDIR", value.c_str(), 1);
    }
    ~TmpdirOverride() {
        if (m_old) {
            ::setenv("TMPDIR", m_old->c_str(), 1);
        } else {
            ::unsetenv("TMPDIR");
        }
    }
    TmpdirOverride(const TmpdirOverride&) = delete;
    TmpdirOverride& operator=(const TmpdirOverride&) = delete;

private:
    std::optional<std::string> m_old;
};

bool dir_empty(const std::filesystem::path& dir) {
    return std::filesystem::directory_iterator(dir) == std::filesystem::directory_iterator();
}

} // namespace

TEST_CASE("without --data the state lives in a temp dir that is removed at exit",
          "[emulator][persistence]") {
    TempDir tmp("fios-emu-tmpdir");
    bool used_tmpdir = false;
    {
        TmpdirOverride env(tmp.path().string());
        Emu e({"--part-size", "1024"});
        Api api = e.api();
        auto p = create_project(api, "Ephemeral");
        upload_file(api, str(p, "root_asset_id"), "blob.bin", make_bytes(3000, 1));
        used_tmpdir = !dir_empty(tmp.path());
        CHECK(e.process().stop(SIGTERM) == 0);
    }
    // The emulator should honour TMPDIR like every POSIX tool; if it did, nothing is left.
    CHECK(used_tmpdir);
    CHECK(dir_empty(tmp.path()));
    // And a new emulator starts empty.
    Emu fresh;
    auto projects =
        expect_json(fresh.api().get("/v2/teams/" + first_team_id(fresh.api()) + "/projects"));
    CHECK(projects.Empty());
}
