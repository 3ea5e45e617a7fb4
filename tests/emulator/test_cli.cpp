// SPDX-License-Identifier: MIT
// Command-line contract: first stdout line, signals, option errors, --help.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

using namespace fios::test;
using namespace fios::test::emu;

TEST_CASE("port 0 picks a free port and the first stdout line is exactly the URL",
          "[emulator][cli]") {
    Emu a;
    Emu b;
    // EmulatorProcess keeps what follows "listening on " on the first line: it must be the
    // whole rest of that line, a bare http://HOST:PORT.
    const std::regex url_re(R"(^http://127\.0\.0\.1:([1-9][0-9]{0,4})$)");
    std::smatch m;
    REQUIRE(std::regex_match(a.base_url(), m, url_re));
    CHECK(std::stoi(m[1].str()) == a.process().port());
    REQUIRE(std::regex_match(b.base_url(), url_re));
    CHECK(a.process().port() != b.process().port());
    // It accepts connections once the line is out.
    CHECK(a.api().get("/v2/me").status == 200);
    CHECK(b.api().get("/v2/me").status == 200);
}

TEST_CASE("SIGTERM stops the emulator with exit code 0", "[emulator][cli]") {
    Emu e;
    REQUIRE(e.api().get("/v2/me").status == 200);
    CHECK(e.process().stop(SIGTERM) == 0);
}

TEST_CASE("SIGINT stops the emulator with exit code 0", "[emulator][cli]") {
    Emu e;
    REQUIRE(e.api().get("/v2/me").status == 200);
    CHECK(e.process().stop(SIGINT) == 0);
}

TEST_CASE("an unknown option or a bad value exits non-zero with a message", "[emulator][cli]") {
    const std::vector<std::vector<std::string>> bad = {
        {"--no-such-option"},
        {"--port", "not-a-number"},
        {"--part-size", "lots"},
        {"--rate-limit", "garbage"},
    };
    for (const auto& extra : bad) {
        std::vector<std::string> argv{emulator_binary()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        RunOptions opts;
        opts.deadline = std::chrono::seconds(20);
        auto r = run_process(argv, opts);
        INFO("argv: " << extra[0] << (extra.size() > 1 ? " " + extra[1] : std::string()));
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        CHECK_FALSE(r.timed_out);
        CHECK(r.exit_code != 0);
        CHECK(r.exit_code < 128); // an orderly exit, not a crash
        CHECK_FALSE((r.out + r.err).empty());
        // Nothing was served: it must not claim to be listening.
        CHECK(r.out.find("listening on") == std::string::npos);
    }
}

TEST_CASE("help names every contract option", "[emulator][cli]") {
    auto r = run_process({emulator_binary(), "--help"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* opt :
         {"--host", "--port", "--data", "--token-file", "--token", "--team", "--seed-demo",
          "--part-size", "--page-size-max", "--url-ttl", "--checksum-delay", "--no-checksum-rate",
          "--token-ttl", "--oauth-client", "--rate-limit", "--no-rate-limit", "--faults",
          "--threads"}) {
        INFO(opt);
        CHECK(r.out.find(opt) != std::string::npos);
    }
    // Defaults the issue fixes: host, token lifetime.
    CHECK(r.out.find("127.0.0.1") != std::string::npos);
    CHECK(r.out.find("3600") != std::string::npos);
}

TEST_CASE("tokens, OAuth codes and URL signatures never appear in the log", "[emulator][cli]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    std::vector<std::string> secrets{k_token, "unknown-secret-token-value"};
    CHECK(e.api("unknown-secret-token-value").get("/v2/me").status == 401);

    // OAuth: the code (from the redirect), the access and the refresh token.
    const std::string verifier = "log-check-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    auto auth = oauth_authorize(e.base_url(), "cli", "http://127.0.0.1:5000/cb",
                                "offline account.read", "s", pkce_s256(verifier));
    REQUIRE(auth.status == 302);
    const auto code = query_params(auth.header("location"))["code"];
    REQUIRE_FALSE(code.empty());
    secrets.push_back(code);
    auto tok = expect_json(oauth_token(e.base_url(), {{"grant_type", "authorization_code"},
                                                      {"code", code},
                                                      {"redirect_uri", "http://127.0.0.1:5000/cb"},
                                                      {"client_id", "cli"},
                                                      {"code_verifier", verifier}}));
    secrets.push_back(str(tok, "access_token"));
    secrets.push_back(str(tok, "refresh_token"));
    CHECK(e.api(str(tok, "access_token")).get("/v2/me").status == 200);
    auto refreshed = oauth_token(e.base_url(), {{"grant_type", "refresh_token"},
                                                {"refresh_token", str(tok, "refresh_token")},
                                                {"client_id", "cli"}});
    CHECK(refreshed.status == 200);

    // Signed URLs: every query value of an upload and a download URL.
    auto p = create_project(api, "Log");
    auto asset = upload_file(api, str(p, "root_asset_id"), "f.bin", make_bytes(2000, 1));
    std::vector<std::string> urls{str(asset, "original")};
    auto pending = create_file(api, str(p, "root_asset_id"), "g.bin", 10);
    for (const auto& u : upload_urls(pending))
        urls.push_back(u);
    CHECK(fetch(urls[0]).status == 200);
    CHECK(put_part(urls[1], "short").status / 100 == 4);
    for (const auto& u : urls) {
        for (const auto& [k, v] : query_params(u)) {
            if (v.size() >= 16)
                secrets.push_back(v); // signatures, not small numbers
        }
    }
    REQUIRE(secrets.size() >= 7);

    e.process().stop();
    const auto log = e.process().log();
    REQUIRE_FALSE(log.empty()); // it does log requests
    for (const auto& s : secrets) {
        INFO("secret of " << s.size() << " characters, starting " << s.substr(0, 4));
        CHECK(log.find(s) == std::string::npos);
    }
}
