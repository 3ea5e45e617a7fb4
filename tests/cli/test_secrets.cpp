// SPDX-License-Identifier: MIT
// Issue 9, security: after a full V4 session (server-to-server login, whoami, projects, select,
// sync both ways, a second sync, status) run verbosely, neither the client secret nor the
// access token appears in any output or in any file the CLI wrote, except the login file,
// which must be 0600.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace fios::test;
namespace fs = std::filesystem;

namespace {

const std::string k_client = "s2s-secrets";
const std::string k_secret = "SECRET-s2s-8c1f2e0a9b";

std::string bytes_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("no secret in any output or file of a full V4 session but the 0600 login file",
          "[cli][security][v4]") {
    CliFixture f({"--ims-s2s", k_client + ":" + k_secret, "--seed-demo", "--no-rate-limit"});
    f.use_v4();
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    std::vector<ProcessResult> runs;
    const auto run = [&](const std::vector<std::string>& args, const std::string& in = {}) {
        runs.push_back(f.run(args, in, {{"FRAMEIO_CLIENT_SECRET", k_secret}}));
        INFO(runs.back().err);
        CHECK(runs.back().exit_code == 0);
    };
    runs.push_back(f.run({"login", "--s2s", "--client-id", k_client, "-v"}, k_secret + "\n"));
    REQUIRE(runs.back().exit_code == 0);
    const fs::path local = f.home.path() / "Demo";
    fs::create_directories(local);
    { std::ofstream(local / "made-here.txt") << "local bytes"; }
    run({"whoami", "--json", "-v"});
    run({"projects", "--json", "-v"});
    run({"select", "Demo Project", "--to", local.string(), "--json", "-v"});
    run({"sync", "--once", "--json", "-v"});
    run({"sync", "--once", "-v"});
    run({"status", "--json", "-v"});
    run({"status", "-v"});

    // The access token in use, from the login file.
    const std::string login = bytes_of(f.credentials_path());
    rapidjson::Document doc;
    doc.Parse(login.c_str());
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("access_token"));
    const std::string token = doc["access_token"].GetString();
    REQUIRE(token.size() >= 16);
    const std::vector<std::string> secrets{k_secret, token};

    for (std::size_t i = 0; i < runs.size(); ++i) {
        CAPTURE(i);
        for (const auto& secret : secrets) {
            CHECK_FALSE(contains(runs[i].out, secret));
            CHECK_FALSE(contains(runs[i].err, secret));
        }
    }
    // Every file below HOME (config, state database, journal, synced files), but the login.
    std::size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(f.home.path())) {
        if (!e.is_regular_file() || e.path() == fs::path(f.credentials_path()))
            continue;
        ++files;
        const std::string bytes = bytes_of(e.path());
        CAPTURE(e.path().string());
        for (const auto& secret : secrets)
            CHECK(bytes.find(secret) == std::string::npos);
    }
    CHECK(files >= 3); // at least the state database and the synced files were looked at
    CHECK(login.find(k_secret) == std::string::npos); // the secret is never saved
    struct stat st {};
    REQUIRE(::stat(f.credentials_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777U) == 0600U);
}
