// SPDX-License-Identifier: MIT
// login --oauth end to end: the test plays the browser, following the printed authorize URL;
// the emulator approves at once and redirects to the CLI's loopback listener.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace fios::test;

namespace {

const std::vector<std::string> k_oauth_args{"login",
                                            "--oauth",
                                            "--client-id",
                                            "fios-test-client",
                                            "--redirect-uri",
                                            "http://127.0.0.1:0/callback",
                                            "--no-browser",
                                            "--timeout",
                                            "60"};

/// Runs `login --oauth`, follows the authorize URL like a browser, returns the CLI's result.
ProcessResult oauth_login(CliFixture& f,
                          const std::function<std::string(std::string)>& edit_url = {}) {
    SpawnedProcess cli(f.argv(k_oauth_args), f.options());
    auto url = cli.read_line(std::chrono::seconds(30));
    REQUIRE(url.has_value());
    INFO("authorize URL line: " << *url);
    REQUIRE(url->rfind(f.emulator.base_url() + "/oauth2/auth?", 0) == 0);
    CHECK(contains(*url, "code_challenge_method=S256"));
    CHECK(contains(*url, "code_challenge="));
    CHECK(contains(*url, "state="));
    CHECK(contains(*url, "offline"));
    std::string target = edit_url ? edit_url(*url) : *url;
    auto reply = http_request("GET", target, {}, {}, /*follow_redirects=*/true);
    CHECK(reply.effective_url.rfind("http://127.0.0.1:", 0) == 0);
    auto result = cli.wait(std::chrono::seconds(60));
    // The browser page tells the truth about the outcome.
    CHECK(contains(reply.body, result.exit_code == 0 ? "Login received" : "Login not approved"));
    return result;
}

std::string saved_access_token(const CliFixture& f) {
    std::ifstream in(f.credentials_path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto d = parse_json(text);
    REQUIRE(d.HasMember("access_token"));
    return d["access_token"].GetString();
}

} // namespace

TEST_CASE("OAuth PKCE login end to end, then whoami uses the saved login", "[cli][oauth]") {
    CliFixture f;
    auto r = oauth_login(f);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto who = f.run({"whoami", "--json"});
    INFO(who.err);
    REQUIRE(who.exit_code == 0);
    auto w = parse_json(who.out);
    CHECK(std::string(w["token_source"].GetString()) == "saved OAuth login");
    CHECK(w["expires_at"].IsString());
    const std::string token = saved_access_token(f);
    CHECK_FALSE(contains(r.out + r.err + who.out + who.err, token));
    CHECK(f.emulator_request_count_for("POST /oauth2/token") == 1);
}

TEST_CASE("OAuth redirect with a wrong state is refused and nothing is saved", "[cli][oauth]") {
    CliFixture f;
    auto r = oauth_login(f, [](std::string url) {
        return std::regex_replace(url, std::regex("state=[^&]*"), "state=forged-by-attacker");
    });
    CHECK(r.exit_code == 77);
    CHECK(contains(r.err, "state"));
    CHECK_FALSE(std::filesystem::exists(f.credentials_path()));
}

TEST_CASE("the redirected URL can be pasted on stdin (headless server)", "[cli][oauth]") {
    // A redirect URI that is not loopback (a server's own address, registered with the app):
    // the CLI does not listen, it waits for the user to paste where the browser was sent.
    const std::string redirect = "http://sync-server.invalid:5111/callback";
    CliFixture f({"--token", k_token, "--oauth-client", "fios-test-client=" + redirect});
    SpawnedProcess cli(f.argv({"login", "--oauth", "--client-id", "fios-test-client",
                               "--redirect-uri", redirect, "--no-browser"}),
                       f.options());
    auto url = cli.read_line(std::chrono::seconds(30));
    REQUIRE(url.has_value());
    // Play the browser without following the redirect, then paste its Location.
    auto reply = http_request("GET", *url);
    REQUIRE(reply.status / 100 == 3);
    REQUIRE(reply.headers.count("location") == 1);
    REQUIRE(reply.headers["location"].rfind(redirect + "?", 0) == 0);
    cli.write_stdin(reply.headers["location"] + "\n");
    auto r = cli.wait(std::chrono::seconds(60));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::exists(f.credentials_path()));
}

TEST_CASE("an expired access token is refreshed after the 401 and saved", "[cli][oauth]") {
    CliFixture f({"--token", k_token, "--token-ttl", "600"});
    REQUIRE(oauth_login(f).exit_code == 0);
    const std::string before = saved_access_token(f);
    advance_emulator_clock(f.emulator.base_url(), 3600); // the emulator's tokens expire
    auto who = f.run({"whoami"});
    INFO(who.err);
    CHECK(who.exit_code == 0);
    CHECK(saved_access_token(f) != before);
    CHECK(f.emulator_request_count_for("POST /oauth2/token") == 2); // code exchange + 1 refresh
}

TEST_CASE("two processes needing a refresh at once refresh exactly once", "[cli][oauth]") {
    // Refresh tokens rotate by default in the emulator: two refreshes with the same refresh
    // token would log one process out. The credentials lock must prevent that.
    CliFixture f({"--token", k_token, "--token-ttl", "600"});
    REQUIRE(oauth_login(f).exit_code == 0);
    advance_emulator_clock(f.emulator.base_url(), 3600);
    SpawnedProcess a(f.argv({"whoami"}), f.options());
    SpawnedProcess b(f.argv({"whoami"}), f.options());
    auto ra = a.wait();
    auto rb = b.wait();
    INFO(ra.err << rb.err);
    CHECK(ra.exit_code == 0);
    CHECK(rb.exit_code == 0);
    CHECK(f.emulator_request_count_for("POST /oauth2/token") == 2);
    // And the login keeps working afterwards.
    CHECK(f.run({"whoami"}).exit_code == 0);
}

TEST_CASE("a revoked or expired refresh token asks for login with exit 77", "[cli][oauth]") {
    CliFixture f({"--token", k_token, "--token-ttl", "600"});
    REQUIRE(oauth_login(f).exit_code == 0);
    advance_emulator_clock(f.emulator.base_url(), 31L * 24 * 3600); // past the 30-day refresh
    auto who = f.run({"whoami"});
    CHECK(who.exit_code == 77);
    CHECK(contains(who.err, "frameio-sync login"));
}
