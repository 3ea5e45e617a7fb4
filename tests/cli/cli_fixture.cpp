// SPDX-License-Identifier: MIT
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

namespace fios::test {

CliFixture::CliFixture(std::vector<std::string> emulator_args)
    : emulator(std::move(emulator_args)) {
    env = {
        {"HOME", home.path().string()},
        {"XDG_CONFIG_HOME", (home.path() / "config").string()},
        {"XDG_STATE_HOME", (home.path() / "state").string()},
        {"FRAMEIO_API_URL", emulator.base_url()},
        {"FRAMEIO_AUTH_URL", emulator.base_url()},
        {"FRAMEIO_IMS_URL", emulator.base_url()},
        // The V2 tests; V4 tests set it to v4 (see CliFixture::use_v4).
        {"FRAMEIO_SYNC_API", "v2"},
        {"FRAMEIO_TOKEN", std::nullopt},
        {"FRAMEIO_CLIENT_SECRET", std::nullopt},
        {"FRAMEIO_SYNC_CLIENT_ID", std::nullopt},
        {"FRAMEIO_SYNC_REDIRECT_URI", std::nullopt},
        {"DISPLAY", std::nullopt},
        {"WAYLAND_DISPLAY", std::nullopt},
        {"NO_COLOR", "1"},
        {"http_proxy", std::nullopt},
        {"https_proxy", std::nullopt},
        {"HTTPS_PROXY", std::nullopt},
        {"ALL_PROXY", std::nullopt},
        {"all_proxy", std::nullopt},
    };
}

RunOptions CliFixture::options(const std::string& stdin_data) const {
    RunOptions o;
    o.env = env;
    o.stdin_data = stdin_data;
    o.deadline = std::chrono::seconds(120);
    return o;
}

std::vector<std::string> CliFixture::argv(const std::vector<std::string>& args) const {
    std::vector<std::string> full{cli_binary()};
    full.insert(full.end(), args.begin(), args.end());
    return full;
}

ProcessResult CliFixture::run(const std::vector<std::string>& args, const std::string& stdin_data,
                              const std::map<std::string, std::optional<std::string>>& extra_env) {
    RunOptions o = options(stdin_data);
    for (const auto& [k, v] : extra_env)
        o.env[k] = v;
    auto r = run_process(argv(args), o);
    if (r.timed_out)
        FAIL("frameio-sync timed out; stderr: " << r.err);
    return r;
}

void CliFixture::login() {
    auto r = run({"login", "--token-stdin"}, std::string(k_token) + "\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

HttpReply CliFixture::api(const std::string& method, const std::string& path,
                          const std::string& body) {
    return http_request(
        method, emulator.base_url() + path, body,
        {std::string("Authorization: Bearer ") + k_token, "Content-Type: application/json"});
}

std::vector<std::string> CliFixture::team_ids() {
    auto r = api("GET", "/v2/teams");
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    std::vector<std::string> ids;
    for (const auto& t : d.GetArray())
        ids.emplace_back(t["id"].GetString());
    return ids;
}

std::string CliFixture::first_team_id() {
    auto ids = team_ids();
    REQUIRE_FALSE(ids.empty());
    return ids.front();
}

std::string CliFixture::create_project(const std::string& team_id, const std::string& name) {
    auto r = api("POST", "/v2/teams/" + team_id + "/projects",
                 "{\"name\": \"" + name + "\", \"private\": false}");
    INFO(r.body);
    REQUIRE(r.status / 100 == 2);
    auto d = parse_json(r.body);
    return d["id"].GetString();
}

std::string CliFixture::create_project_v4(const std::string& legacy_token,
                                          const std::string& name) {
    const std::vector<std::string> headers{"Authorization: Bearer " + legacy_token,
                                           "x-frameio-legacy-token-auth: true",
                                           "Content-Type: application/json"};
    auto first_id = [&](const std::string& path) {
        auto r = http_request("GET", emulator.base_url() + path, {}, headers);
        INFO(r.body);
        REQUIRE(r.status == 200);
        auto d = parse_json(r.body);
        REQUIRE(d["data"].IsArray());
        REQUIRE_FALSE(d["data"].Empty());
        return std::string(d["data"][0]["id"].GetString());
    };
    const std::string account = first_id("/v4/accounts");
    const std::string workspace = first_id("/v4/accounts/" + account + "/workspaces");
    auto r = http_request("POST",
                          emulator.base_url() + "/v4/accounts/" + account + "/workspaces/" +
                              workspace + "/projects",
                          "{\"data\": {\"name\": \"" + name + "\"}}", headers);
    INFO(r.body);
    REQUIRE(r.status / 100 == 2);
    auto d = parse_json(r.body);
    return d["data"]["id"].GetString();
}

std::string CliFixture::credentials_path() const {
    return (home.path() / "config" / "frameio-sync" / "credentials.json").string();
}

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str());
    INFO("JSON text: " << text);
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

} // namespace fios::test
