// SPDX-License-Identifier: MIT
// Issue 9, security: after a full session of each login kind (log in, whoami, projects, select,
// sync both ways, a second sync, status), run verbosely, no secret appears in any output or in
// any file the CLI wrote, except the login file, which must be 0600. The secrets: the client
// secret, the developer or legacy token, the authorization code, every access and refresh
// token the session held (the emulator expires the access token mid-session, so the refreshed
// and rotated ones are checked too), and the signature of every signed URL (part uploads and
// downloads: "Signature=" appears in no output and, once the uploads are over, in no file).
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace fios::test;
namespace fs = std::filesystem;

namespace {

const std::string k_client = "s2s-secrets";
const std::string k_secret = "SECRET-s2s-8c1f2e0a9b";
const std::string k_web = "web-secrets";
const std::string k_web_secret = "SECRET-web-77d0c3e1f4";
const std::string k_redirect = "https://localhost:8443/cb";
const std::string k_legacy = "SECRET-legacy-5e9a1c7b3d";
/// Access tokens live 10 minutes in these sessions: advancing the emulator's clock by an hour
/// makes the next command refresh (and the refresh token rotate).
const std::vector<std::string> k_short_tokens{"--token-ttl", "600"};
/// What a signed URL's query carries; the CLI prints such URLs without their query.
const std::vector<std::string> k_signed_markers{"Signature=", "Expires="};

std::string bytes_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The value of `key=` in a URL's query.
std::string query_value(const std::string& url, const std::string& key) {
    const auto at = url.find(key + "=");
    REQUIRE(at != std::string::npos);
    const auto start = at + key.size() + 1;
    return url.substr(start, url.find('&', start) - start);
}

/// One login kind's session: every command's output is kept, every secret met is collected.
struct Session {
    CliFixture& f;
    std::map<std::string, std::optional<std::string>> env; ///< for every command
    std::vector<ProcessResult> runs;
    std::set<std::string> secrets;

    ProcessResult& run(const std::vector<std::string>& args, const std::string& in = {}) {
        runs.push_back(f.run(args, in, env));
        INFO(args.front() << ": " << runs.back().err);
        CHECK(runs.back().exit_code == 0);
        return runs.back();
    }

    /// The tokens in the login file now (access, and refresh when there is one).
    void collect_login_tokens() {
        rapidjson::Document doc;
        const std::string login = bytes_of(f.credentials_path());
        doc.Parse(login.c_str());
        REQUIRE(doc.IsObject());
        for (const char* key : {"access_token", "refresh_token"}) {
            if (doc.HasMember(key) && doc[key].IsString()) {
                const std::string token = doc[key].GetString();
                REQUIRE(token.size() >= 16);
                secrets.insert(token);
            }
        }
    }

    /// Plays the browser for an OAuth or IMS login the CLI runs in `cli` (it printed the
    /// authorize URL): GET it without following, and return the redirect's Location.
    static std::string approve(SpawnedProcess& cli) {
        auto url = cli.read_line(std::chrono::seconds(20));
        REQUIRE(url.has_value());
        auto reply = http_request("GET", *url);
        REQUIRE(reply.status == 302);
        return reply.headers["location"];
    }

    /// whoami, projects, select, a local file, two syncs (both ways), status; with `refresh`,
    /// the access token expires before the first sync, so that sync refreshes it.
    void full_session(const std::string& project, bool refresh) {
        const fs::path local = f.home.path() / "Synced";
        fs::create_directories(local);
        { std::ofstream(local / "made-here.txt") << "local bytes"; }
        run({"whoami", "--json", "-v"});
        run({"projects", "--json", "-v"});
        run({"select", project, "--to", local.string(), "--json", "-v"});
        if (refresh) {
            collect_login_tokens();
            const std::string before = bytes_of(f.credentials_path());
            advance_emulator_clock(f.emulator.base_url(), 3600);
            run({"sync", "--once", "--json", "-vv"});
            REQUIRE(bytes_of(f.credentials_path()) != before); // refreshed and saved
        } else {
            run({"sync", "--once", "--json", "-vv"});
        }
        { std::ofstream(local / "made-later.txt") << "more local bytes"; }
        run({"sync", "--once", "-v"});
        run({"status", "--json", "-v"});
        run({"status", "-v"});
        REQUIRE(fs::exists(local / "notes.txt")); // a download happened
        collect_login_tokens();
    }

    /// Every output and every file under HOME but the 0600 login file.
    void check_nothing_leaked() {
        REQUIRE(secrets.size() >= 2);
        for (std::size_t i = 0; i < runs.size(); ++i) {
            CAPTURE(i);
            for (const auto& secret : secrets) {
                CAPTURE(secret);
                CHECK_FALSE(contains(runs[i].out, secret));
                CHECK_FALSE(contains(runs[i].err, secret));
            }
            for (const auto& marker : k_signed_markers) {
                CHECK_FALSE(contains(runs[i].out, marker));
                CHECK_FALSE(contains(runs[i].err, marker));
            }
        }
        std::size_t files = 0;
        for (const auto& e : fs::recursive_directory_iterator(f.home.path())) {
            if (!e.is_regular_file() || e.path() == fs::path(f.credentials_path()))
                continue;
            ++files;
            const std::string bytes = bytes_of(e.path());
            CAPTURE(e.path().string());
            for (const auto& secret : secrets)
                CHECK(bytes.find(secret) == std::string::npos);
            // Part URLs are kept in the journal only while an upload runs (journal-schema.md).
            for (const auto& marker : k_signed_markers)
                CHECK(bytes.find(marker) == std::string::npos);
        }
        CHECK(files >= 3); // at least the state database and the synced files were looked at
        struct stat st {};
        REQUIRE(::stat(f.credentials_path().c_str(), &st) == 0);
        CHECK((st.st_mode & 0777U) == 0600U);
    }
};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

} // namespace

TEST_CASE("no secret in any output or file of a full V4 server-to-server session",
          "[cli][security][v4]") {
    CliFixture f(with({"--ims-s2s", k_client + ":" + k_secret, "--seed-demo", "--no-rate-limit"},
                      k_short_tokens));
    f.use_v4();
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    Session s{f, {{"FRAMEIO_CLIENT_SECRET", k_secret}}, {}, {k_secret}};
    s.runs.push_back(f.run({"login", "--s2s", "--client-id", k_client, "-v"}, k_secret + "\n"));
    REQUIRE(s.runs.back().exit_code == 0);
    // A server-to-server login has no refresh token: an expired one is fetched again.
    s.full_session("Demo Project", true);
    s.check_nothing_leaked();
    CHECK(bytes_of(f.credentials_path()).find(k_secret) == std::string::npos); // never saved
}

TEST_CASE("no secret in any output or file of a V4 Web App (IMS, PKCE) session with a refresh",
          "[cli][security][v4]") {
    CliFixture f(
        with({"--ims-client", k_web + ":" + k_web_secret + ",type=web,redirect=" + k_redirect,
              "--seed-demo", "--no-rate-limit"},
             k_short_tokens));
    f.use_v4();
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    Session s{f, {{"FRAMEIO_CLIENT_SECRET", k_web_secret}}, {}, {k_web_secret}};
    RunOptions o = f.options();
    o.env["FRAMEIO_CLIENT_SECRET"] = k_web_secret;
    SpawnedProcess cli(f.argv({"login", "--oauth", "--client-id", k_web, "--redirect-uri",
                               k_redirect, "--no-browser", "-v"}),
                       o);
    const std::string location = Session::approve(cli);
    s.secrets.insert(query_value(location, "code"));
    cli.write_stdin(location + "\n", /*close=*/true);
    s.runs.push_back(cli.wait(std::chrono::seconds(30)));
    INFO(s.runs.back().err);
    REQUIRE(s.runs.back().exit_code == 0);
    s.collect_login_tokens();
    REQUIRE(s.secrets.size() == 4); // secret, code, access and refresh token
    s.full_session("Demo Project", true);
    CHECK(s.secrets.size() >= 6); // a new access token, and the rotated refresh token
    s.check_nothing_leaked();
}

TEST_CASE("no secret in any output or file of a V4 legacy developer token session",
          "[cli][security][v4]") {
    CliFixture f({"--v4-legacy-token", k_legacy, "--seed-demo", "--no-rate-limit"});
    f.use_v4();
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    Session s{f, {}, {}, {k_legacy}};
    s.runs.push_back(f.run({"login", "--token-stdin", "-v"}, k_legacy + "\n"));
    REQUIRE(s.runs.back().exit_code == 0);
    s.full_session("Demo Project", false);
    s.secrets.insert("SECRET-"); // the token's prefix: not even a part of it
    s.check_nothing_leaked();
}

TEST_CASE("no secret in any output or file of a V2 developer token session",
          "[cli][security][v2]") {
    const std::string token = "SECRET-v2-dev-4b8e2f6a1c";
    CliFixture f({"--token", token, "--seed-demo", "--no-rate-limit", "--part-size", "1048576"});
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    Session s{f, {}, {}, {token}};
    s.runs.push_back(f.run({"login", "--token-stdin", "-v"}, token + "\n"));
    REQUIRE(s.runs.back().exit_code == 0);
    s.full_session("Demo Project", false);
    s.secrets.insert("SECRET-");
    s.check_nothing_leaked();
}

TEST_CASE("no secret in any output or file of a V2 OAuth (PKCE) session with a refresh",
          "[cli][security][v2]") {
    CliFixture f(
        with({"--token", k_token, "--seed-demo", "--no-rate-limit", "--part-size", "1048576"},
             k_short_tokens));
    f.env["FRAMEIO_SYNC_SETTLE_SECONDS"] = "0";
    Session s{f, {}, {}, {}};
    SpawnedProcess cli(
        f.argv({"login", "--oauth", "--client-id", "fios-secrets", "--redirect-uri",
                "http://127.0.0.1:0/callback", "--no-browser", "--timeout", "60", "-v"}),
        f.options());
    // The browser: the emulator approves and redirects to the CLI's loopback listener.
    const std::string location = Session::approve(cli);
    s.secrets.insert(query_value(location, "code"));
    auto delivered = http_request("GET", location);
    CHECK(contains(delivered.body, "Login received"));
    s.runs.push_back(cli.wait(std::chrono::seconds(30)));
    INFO(s.runs.back().err);
    REQUIRE(s.runs.back().exit_code == 0);
    s.collect_login_tokens();
    REQUIRE(s.secrets.size() == 3); // code, access and refresh token
    s.full_session("Demo Project", true);
    CHECK(s.secrets.size() >= 5);
    s.check_nothing_leaked();
}
