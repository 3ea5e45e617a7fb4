// SPDX-License-Identifier: MIT
// V4 logins end to end against the emulator's Adobe IMS: the real CLI binary plays the user's
// terminal, the test plays the browser (one GET of the authorize URL, without following the
// redirect, then the Location pasted on the CLI's standard input).
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace fios::test;

namespace {

const std::string k_redirect = "https://localhost:8443/cb";
const std::string k_web = "web1";
const std::string k_web_secret = "s3cret-web";
const std::string k_s2s = "s2s1";
const std::string k_s2s_secret = "s3cret-s2s";
const std::string k_legacy = "legacy-token-0123456789";

/// An emulator with a Web App, a public (SPA) and a server-to-server credential, and the
/// CLI set to V4.
std::vector<std::string> ims_args(std::vector<std::string> more = {}) {
    std::vector<std::string> args{
        "--ims-client", k_web + ":" + k_web_secret + ",type=web,redirect=" + k_redirect,
        "--ims-client", "spa1,type=spa,redirect=" + k_redirect,
        "--ims-s2s",    k_s2s + ":" + k_s2s_secret};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned file_mode(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777u;
}

/// Runs `login --oauth --client-id <client> --redirect-uri <k_redirect>`, fetches the printed
/// authorize URL like a browser that stops at the redirect, and pastes `paste(Location)`.
ProcessResult paste_login(CliFixture& f, const std::string& client,
                          const std::function<std::string(const std::string&)>& paste,
                          const std::map<std::string, std::optional<std::string>>& extra_env = {}) {
    RunOptions o = f.options();
    for (const auto& [k, v] : extra_env)
        o.env[k] = v;
    SpawnedProcess cli(f.argv({"login", "--oauth", "--client-id", client, "--redirect-uri",
                               k_redirect, "--no-browser", "--json"}),
                       o);
    auto url = cli.read_line(std::chrono::seconds(20));
    REQUIRE(url.has_value());
    INFO("authorize URL line: " << *url);
    REQUIRE(url->rfind(f.emulator.base_url() + "/ims/authorize/v2?", 0) == 0);
    CHECK(contains(*url, "code_challenge_method=S256"));
    CHECK(contains(*url, "state="));
    CHECK(contains(*url, "offline_access"));
    CHECK(contains(*url, "additional_info.roles"));
    auto reply = http_request("GET", *url);
    REQUIRE(reply.status == 302);
    const std::string location = reply.headers["location"];
    REQUIRE(location.rfind(k_redirect + "?", 0) == 0);
    cli.write_stdin(paste(location) + "\n", /*close=*/true);
    return cli.wait(std::chrono::seconds(20));
}

std::string whole(const std::string& location) {
    return location;
}

/// Only the code, as a user would copy it out of the address bar.
std::string code_only(const std::string& location) {
    const auto start = location.find("code=") + 5;
    return location.substr(start, location.find('&', start) - start);
}

} // namespace

TEST_CASE("V4 Web App login: paste the redirected address, secret from FRAMEIO_CLIENT_SECRET",
          "[cli][login][v4]") {
    CliFixture f(ims_args());
    f.use_v4();
    auto r = paste_login(f, k_web, whole, {{"FRAMEIO_CLIENT_SECRET", k_web_secret}});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto j = parse_json(r.out);
    CHECK(std::string(j["api"].GetString()) == "v4");
    CHECK(std::string(j["kind"].GetString()) == "ims_user");
    CHECK_FALSE(j.HasMember("expires_at")); // a Web App login renews itself
    CHECK(file_mode(f.credentials_path()) == 0600u);
    const std::string saved = file_text(f.credentials_path());
    CHECK_FALSE(contains(saved, k_web_secret));
    CHECK(f.emulator_request_count_for("POST /ims/token/v3") == 1);

    auto who = f.run({"whoami", "--json"});
    INFO(who.err);
    REQUIRE(who.exit_code == 0);
    auto w = parse_json(who.out);
    CHECK(std::string(w["api"].GetString()) == "v4");
    CHECK(std::string(w["kind"].GetString()) == "ims_user");
    CHECK(std::string(w["token_source"].GetString()) == "saved Adobe login");
    CHECK(w["expires_at"].IsNull());
    CHECK(std::string(w["user"]["account_id"].GetString()).size() > 0);
    auto text = f.run({"whoami"});
    CHECK(contains(text.out, "api:      v4"));
    CHECK(contains(text.out, "renewed automatically"));
    for (const auto& out : {r.out, r.err, who.out, who.err, text.out, text.err})
        CHECK_FALSE(contains(out, k_web_secret));

    // Past the access token's lifetime: the refresh needs the secret again, from the
    // environment (it is never saved).
    advance_emulator_clock(f.emulator.base_url(), 2L * 24 * 3600);
    auto no_secret = f.run({"whoami"});
    CHECK(no_secret.exit_code == 78);
    CHECK(contains(no_secret.err, "FRAMEIO_CLIENT_SECRET"));
    auto renewed = f.run({"whoami"}, {}, {{"FRAMEIO_CLIENT_SECRET", k_web_secret}});
    INFO(renewed.err);
    CHECK(renewed.exit_code == 0);
    CHECK(f.emulator_request_count_for("POST /ims/token/v3") == 2);
}

TEST_CASE("V4 Web App login without its client secret names where the secret comes from",
          "[cli][login][v4]") {
    CliFixture f(ims_args());
    f.use_v4();
    auto r = paste_login(f, k_web, whole);
    CHECK(r.exit_code == 78);
    CHECK(contains(r.err, "FRAMEIO_CLIENT_SECRET"));
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));
}

TEST_CASE("V4 public login: just the code, no refresh, the expired login exits 77",
          "[cli][login][v4]") {
    CliFixture f(ims_args());
    f.use_v4();
    auto r = paste_login(f, "spa1", code_only);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "no refresh token"));
    CHECK(parse_json(r.out)["expires_at"].IsString());

    auto who = f.run({"whoami", "--json"});
    INFO(who.err);
    REQUIRE(who.exit_code == 0);
    CHECK(parse_json(who.out)["expires_at"].IsString());
    CHECK(contains(f.run({"whoami"}).out, "login --oauth --client-id spa1"));

    advance_emulator_clock(f.emulator.base_url(), 2L * 24 * 3600); // past the token's lifetime
    auto expired = f.run({"whoami"});
    CHECK(expired.exit_code == 77);
    CHECK(contains(expired.err, "frameio-sync login --oauth --client-id spa1"));
    CHECK(f.emulator_request_count_for("POST /ims/token/v3") == 1); // nothing to refresh with
}

TEST_CASE("V4 login refuses a pasted address of another attempt and saves nothing",
          "[cli][login][v4]") {
    CliFixture f(ims_args());
    f.use_v4();
    auto r = paste_login(f, "spa1", [](const std::string& location) {
        return location.substr(0, location.find("state=")) + "state=forged";
    });
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "state"));
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));
}

TEST_CASE("V4 loopback http redirect (emulator open mode) is listened on", "[cli][login][v4]") {
    CliFixture f({"--token", k_token}); // no --ims-client: open mode
    f.use_v4();
    SpawnedProcess cli(f.argv({"login", "--oauth", "--client-id", "any-client", "--redirect-uri",
                               "http://127.0.0.1:0/callback", "--no-browser"}),
                       f.options());
    auto url = cli.read_line(std::chrono::seconds(20));
    REQUIRE(url.has_value());
    auto reply = http_request("GET", *url, {}, {}, /*follow_redirects=*/true);
    CHECK(reply.effective_url.rfind("http://127.0.0.1:", 0) == 0);
    CHECK(contains(reply.body, "Login received"));
    auto r = cli.wait(std::chrono::seconds(20));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto who = f.run({"whoami", "--json"});
    REQUIRE(who.exit_code == 0);
    CHECK(std::string(parse_json(who.out)["kind"].GetString()) == "ims_user");
}

TEST_CASE("V4 server-to-server login with the secret on standard input", "[cli][login][v4]") {
    CliFixture f(ims_args());
    f.use_v4();
    auto wrong = f.run({"login", "--s2s", "--client-id", k_s2s}, "not-the-secret\n");
    CHECK(wrong.exit_code == 78);
    CHECK(contains(wrong.err, "client secret"));
    CHECK_FALSE(contains(wrong.err, "not-the-secret"));
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));

    auto r = f.run({"login", "--s2s", "--client-id", k_s2s, "--json"}, k_s2s_secret + "\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(std::string(parse_json(r.out)["kind"].GetString()) == "ims_s2s");
    CHECK(contains(r.err, "FRAMEIO_CLIENT_SECRET")); // the secret is not saved: where to put it
    CHECK_FALSE(contains(file_text(f.credentials_path()), k_s2s_secret));

    auto who = f.run({"whoami", "--json"});
    INFO(who.err);
    REQUIRE(who.exit_code == 0);
    auto w = parse_json(who.out);
    CHECK(std::string(w["kind"].GetString()) == "ims_s2s");
    CHECK(std::string(w["token_source"].GetString()) == "saved server-to-server login");
    CHECK(w["expires_at"].IsNull());
    for (const auto& out : {r.out, r.err, who.out, who.err})
        CHECK_FALSE(contains(out, k_s2s_secret));

    // The saved login is bound to its IMS: another IMS URL gets no token.
    auto moved = f.run({"whoami"}, {}, {{"FRAMEIO_IMS_URL", "https://ims.invalid"}});
    CHECK(moved.exit_code == 77);
    CHECK(contains(moved.err, "IMS URL"));
}

TEST_CASE("V4 legacy developer token refused by the account: exit 77, nothing saved",
          "[cli][login][v4]") {
    CliFixture f(ims_args()); // no --v4-legacy-token: the account accepts none
    f.use_v4();
    auto r = f.run({"login", "--token-stdin"}, k_legacy + "\n");
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "does not accept legacy developer tokens"));
    CHECK(contains(r.err, "login --oauth"));
    CHECK_FALSE(contains(r.err, k_legacy));
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));
}

TEST_CASE("V4 legacy developer token accepted, and FRAMEIO_TOKEN as a legacy token",
          "[cli][login][v4]") {
    CliFixture f(ims_args({"--v4-legacy-token", k_legacy}));
    f.use_v4();
    auto env = f.run({"whoami", "--json"}, {}, {{"FRAMEIO_TOKEN", k_legacy}});
    INFO(env.err);
    REQUIRE(env.exit_code == 0);
    auto e = parse_json(env.out);
    CHECK(std::string(e["kind"].GetString()) == "legacy_token");
    CHECK(std::string(e["token_source"].GetString()) == "environment (FRAMEIO_TOKEN)");

    auto r = f.run({"login", "--token-stdin", "--json"}, k_legacy + "\n");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(std::string(parse_json(r.out)["kind"].GetString()) == "legacy_token");
    auto who = f.run({"whoami", "--json"});
    INFO(who.err);
    REQUIRE(who.exit_code == 0);
    auto w = parse_json(who.out);
    CHECK(std::string(w["kind"].GetString()) == "legacy_token");
    CHECK(std::string(w["api"].GetString()) == "v4");
    CHECK(w["expires_at"].IsNull());
    for (const auto& out : {r.out, r.err, who.out, who.err, env.out, env.err})
        CHECK_FALSE(contains(out, k_legacy));
}

TEST_CASE("a saved login of the other generation is refused with both named and the fix",
          "[cli][login][v4]") {
    CliFixture f(ims_args({"--v4-legacy-token", k_legacy, "--token", k_token}));
    f.login(); // a V2 developer token (the fixture's default generation)
    auto v4 = f.run({"--api", "v4", "whoami"});
    CHECK(v4.exit_code == 77);
    CHECK(contains(v4.err, "saved login is a v2 login"));
    CHECK(contains(v4.err, "the API in use is v4"));
    CHECK(contains(v4.err, "--api v2"));
    CHECK(contains(v4.err, "frameio-sync login --oauth --client-id ID"));

    f.use_v4();
    REQUIRE(f.run({"login", "--token-stdin"}, k_legacy + "\n").exit_code == 0);
    auto v2 = f.run({"--api", "v2", "whoami"});
    CHECK(v2.exit_code == 77);
    CHECK(contains(v2.err, "saved login is a v4 login"));
    CHECK(contains(v2.err, "--api v4"));
}

TEST_CASE("V4 login usage errors name the missing piece", "[cli][login][v4]") {
    CliFixture f(ims_args());
    f.use_v4();
    auto no_redirect = f.run({"login", "--oauth", "--client-id", k_web, "--no-browser"});
    CHECK(no_redirect.exit_code == 2);
    CHECK(contains(no_redirect.err, "--redirect-uri"));
    auto no_client = f.run({"login", "--s2s"}, k_s2s_secret + "\n");
    CHECK(no_client.exit_code == 2);
    CHECK(contains(no_client.err, "--client-id"));
    auto s2s_on_v2 = f.run({"--api", "v2", "login", "--s2s", "--client-id", k_s2s});
    CHECK(s2s_on_v2.exit_code == 2);
    CHECK(contains(s2s_on_v2.err, "V4"));
    auto no_method = f.run({"login"});
    CHECK(no_method.exit_code == 2);
    CHECK(contains(no_method.err, "--s2s"));
}
