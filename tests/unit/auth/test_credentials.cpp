// SPDX-License-Identifier: MIT
#include "support/temp_dir.hpp"

#include "fios/auth/credentials.hpp"
#include "fios/config/paths.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>

using fios::ErrorCode;
using fios::auth::CredentialKind;
using fios::auth::Credentials;
using fios::auth::CredentialStore;
using fios::test::TempDir;
namespace fs = std::filesystem;

namespace {

/// Sets an environment variable for the scope of a test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : m_name(name) {
        if (const char* old = std::getenv(name))
            m_old = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

/// XDG_CONFIG_HOME inside a temp dir, and the store the CLI would build from it.
struct Env {
    TempDir dir;
    ScopedEnv xdg{"XDG_CONFIG_HOME", (dir.path() / "xdg").string()};
    CredentialStore store{fios::config::config_dir().value()};
};

Credentials sample() {
    Credentials c;
    c.kind = CredentialKind::oauth;
    c.access_token = "access-SECRET-1";
    c.refresh_token = "refresh-SECRET-1";
    c.expires_at = fios::Clock::time_point(std::chrono::seconds(1'700'003'600));
    c.scopes = {"offline", "asset.read"};
    c.client_id = "cid";
    c.api_url = "http://127.0.0.1:1";
    c.auth_url = "http://127.0.0.1:2";
    c.user = {"u1", "Ada \"Quote\" Lovelace", "ada@example.com"};
    c.account_id = "acc1";
    return c;
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

void check_no_secret(const std::string& message) {
    INFO(message);
    CHECK(message.find("SECRET") == std::string::npos);
}

/// Files in `dir` other than the credentials and lock files (temporaries left behind).
std::vector<std::string> stray_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto name = e.path().filename().string();
        if (name != "credentials.json" && name != "credentials.lock")
            out.push_back(name);
    }
    return out;
}

} // namespace

TEST_CASE("the store lives in $XDG_CONFIG_HOME/frameio-sync", "[auth][credentials]") {
    Env env;
    CHECK(env.store.file() == env.dir.path() / "xdg" / "frameio-sync" / "credentials.json");
}

TEST_CASE("nothing saved loads as logged out", "[auth][credentials]") {
    Env env;
    auto r = env.store.load();
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
    auto removed = env.store.remove();
    REQUIRE(removed);
    CHECK_FALSE(*removed);
}

TEST_CASE("save creates the folder 0700 and the file 0600 whatever the umask, and round-trips",
          "[auth][credentials]") {
    Env env;
    const mode_t old_umask = ::umask(0);
    auto saved = env.store.save(sample());
    ::umask(old_umask);
    REQUIRE(saved);
    CHECK(mode_of(env.store.dir()) == 0700);
    CHECK(mode_of(env.store.file()) == 0600);

    auto loaded = env.store.load();
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    const Credentials& c = **loaded;
    const Credentials want = sample();
    CHECK(c.kind == want.kind);
    CHECK(c.access_token == want.access_token);
    CHECK(c.refresh_token == want.refresh_token);
    CHECK(c.expires_at == want.expires_at);
    CHECK(c.scopes == want.scopes);
    CHECK(c.client_id == want.client_id);
    CHECK(c.api_url == want.api_url);
    CHECK(c.auth_url == want.auth_url);
    CHECK(c.user.id == want.user.id);
    CHECK(c.user.name == want.user.name);
    CHECK(c.user.email == want.user.email);
    CHECK(c.account_id == want.account_id);
    CHECK(stray_files(env.store.dir()).empty());
}

TEST_CASE("a developer token without optional fields round-trips", "[auth][credentials]") {
    Env env;
    Credentials c;
    c.kind = CredentialKind::developer_token;
    c.access_token = "dev-SECRET";
    REQUIRE(env.store.save(c));
    auto loaded = env.store.load();
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->kind == CredentialKind::developer_token);
    CHECK((*loaded)->access_token == "dev-SECRET");
    CHECK_FALSE((*loaded)->refresh_token.has_value());
    CHECK_FALSE((*loaded)->expires_at.has_value());
}

TEST_CASE("a credentials file others can read or write is refused with the fix",
          "[auth][credentials]") {
    for (unsigned mode : {0644u, 0640u, 0604u, 0620u, 0602u, 0660u, 0666u}) {
        DYNAMIC_SECTION("mode " << std::oct << mode) {
            Env env;
            REQUIRE(env.store.save(sample()));
            REQUIRE(::chmod(env.store.file().c_str(), mode) == 0);
            auto r = env.store.load();
            REQUIRE_FALSE(r);
            CHECK(r.error().code == ErrorCode::invalid_config);
            const auto& m = r.error().message;
            INFO(m);
            CHECK(m.find("chmod 600 " + env.store.file().string()) != std::string::npos);
            check_no_secret(m);
            // The fix works.
            REQUIRE(::chmod(env.store.file().c_str(), 0600) == 0);
            CHECK(env.store.load());
        }
    }
}

TEST_CASE("a symlinked credentials file is refused", "[auth][credentials]") {
    Env env;
    REQUIRE(env.store.save(sample()));
    const auto real = env.dir.path() / "elsewhere.json";
    fs::rename(env.store.file(), real);
    fs::create_symlink(real, env.store.file());
    auto r = env.store.load();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid_config);
    CHECK(r.error().message.find("symbolic link") != std::string::npos);
}

TEST_CASE("save replaces the file atomically", "[auth][credentials]") {
    Env env;
    REQUIRE(env.store.save(sample()));
    const std::string before = fios::test::read_file(env.store.file());
    struct stat st_before {};
    REQUIRE(::stat(env.store.file().c_str(), &st_before) == 0);
    // A reader that opened the old file keeps seeing the complete old content.
    const int reader = ::open(env.store.file().c_str(), O_RDONLY);
    REQUIRE(reader >= 0);

    Credentials next = sample();
    next.access_token = "access-SECRET-2";
    next.refresh_token = "refresh-SECRET-2";
    REQUIRE(env.store.save(next));

    struct stat st_after {};
    REQUIRE(::stat(env.store.file().c_str(), &st_after) == 0);
    CHECK(st_after.st_ino != st_before.st_ino); // a new file was renamed over the old one
    CHECK(mode_of(env.store.file()) == 0600);
    std::string old_content(before.size() + 16, '\0');
    const auto n = ::read(reader, old_content.data(), old_content.size());
    ::close(reader);
    REQUIRE(n >= 0);
    old_content.resize(static_cast<std::size_t>(n));
    CHECK(old_content == before);

    auto loaded = env.store.load();
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->access_token == "access-SECRET-2");
    CHECK(stray_files(env.store.dir()).empty());
}

TEST_CASE("a failed save leaves the previous login intact", "[auth][credentials]") {
    Env env;
    REQUIRE(env.store.save(sample()));
    const std::string before = fios::test::read_file(env.store.file());
    // Make the write fail half-way, even as root: a 64-byte file size limit (EFBIG).
    struct rlimit old_limit {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    Credentials next = sample();
    next.access_token = "access-SECRET-2";
    auto r = env.store.save(next);
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::signal(SIGXFSZ, old_handler);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::io);
    check_no_secret(r.error().message);
    CHECK(fios::test::read_file(env.store.file()) == before);
    CHECK(stray_files(env.store.dir()).empty()); // the temporary file was removed
}

TEST_CASE("remove deletes the saved login", "[auth][credentials]") {
    Env env;
    REQUIRE(env.store.save(sample()));
    auto removed = env.store.remove();
    REQUIRE(removed);
    CHECK(*removed);
    CHECK_FALSE(fs::exists(env.store.file()));
    auto loaded = env.store.load();
    REQUIRE(loaded);
    CHECK_FALSE(loaded->has_value());
}

// Found by tests/fuzz/fuzz_credentials: a damaged expires_at beyond the clock's range (years
// 1678-2261 in nanoseconds) overflowed while it was converted (undefined behaviour, a garbage
// expiry) instead of being refused as damage.
TEST_CASE("an expires_at the clock cannot hold is refused as damage", "[auth][credentials]") {
    for (const char* seconds : {"61733586399", "-9300000000", "9223372036854775807"}) {
        INFO(seconds);
        auto parsed = fios::auth::parse_credentials(
            std::string(R"({"version":1,"kind":"oauth","access_token":"a","expires_at":)") +
                seconds + "}",
            "/c/credentials.json");
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == ErrorCode::invalid_config);
        CHECK(parsed.error().message.find("'expires_at'") != std::string::npos);
        CHECK(parsed.error().message.find("frameio-sync login") != std::string::npos);
    }
    // The last second the clock holds still loads.
    auto edge = fios::auth::parse_credentials(
        R"({"version":1,"kind":"oauth","access_token":"a","expires_at":9223372035})", "f");
    REQUIRE(edge);
    CHECK(edge->expires_at == fios::Clock::time_point(std::chrono::seconds(9'223'372'035)));
}

TEST_CASE("V2 logins keep format 1, V4 logins round-trip in format 2", "[auth][credentials]") {
    const std::string v2 = fios::auth::serialize_credentials(sample());
    CHECK(v2.find("\"version\": 1,") != std::string::npos);
    CHECK(v2.find("\"api\"") == std::string::npos);
    CHECK(v2.find("ims_url") == std::string::npos);
    auto old = fios::auth::parse_credentials(v2, "f");
    REQUIRE(old);
    CHECK(old->api == fios::auth::ApiGeneration::v2);
    CHECK(old->kind == CredentialKind::oauth);

    Env env;
    Credentials c;
    c.api = fios::auth::ApiGeneration::v4;
    c.kind = CredentialKind::ims_user;
    c.access_token = "access-SECRET-1";
    c.refresh_token = "refresh-SECRET-1";
    c.expires_at = fios::Clock::time_point(std::chrono::seconds(1'700'086'399));
    c.scopes = {"openid", "additional_info.roles"};
    c.client_id = "web1";
    c.confidential = true;
    c.ims_url = "https://ims.example.test";
    c.api_url = "https://api.example.test";
    c.user = {"u1", "Ada", "ada@example.com"};
    c.account_id = "acc1";
    REQUIRE(env.store.save(c));
    const std::string text = fios::test::read_file(env.store.file());
    CHECK(text.find("\"version\": 2,") != std::string::npos);
    CHECK(text.find("\"api\": \"v4\"") != std::string::npos);
    CHECK(text.find("secret") == std::string::npos); // no client secret field, ever
    auto loaded = env.store.load();
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    const Credentials& l = **loaded;
    CHECK(l.api == fios::auth::ApiGeneration::v4);
    CHECK(l.kind == CredentialKind::ims_user);
    CHECK(l.refresh_token == c.refresh_token);
    CHECK(l.expires_at == c.expires_at);
    CHECK(l.scopes == c.scopes);
    CHECK(l.client_id == "web1");
    CHECK(l.confidential);
    CHECK(l.ims_url == c.ims_url);
    CHECK(l.account_id == "acc1");
    CHECK(l.login_command() == "frameio-sync login --oauth --client-id web1");
    for (auto kind : {CredentialKind::ims_s2s, CredentialKind::legacy_token}) {
        c.kind = kind;
        c.confidential = kind == CredentialKind::ims_s2s;
        auto back = fios::auth::parse_credentials(fios::auth::serialize_credentials(c), "f");
        REQUIRE(back);
        CHECK(back->kind == kind);
        CHECK(back->confidential == c.confidential);
        CHECK(back->legacy_token_auth() == (kind == CredentialKind::legacy_token));
    }
}

TEST_CASE("a damaged or newer credentials file is refused without quoting it",
          "[auth][credentials]") {
    struct Row {
        const char* name;
        std::string content;
        const char* says;
    };
    const std::vector<Row> rows = {
        {"truncated", R"({"version":1,"kind":"oauth","access_token":"access-SECRET)", "damaged"},
        {"not an object", R"(["access-SECRET"])", "damaged"},
        {"no version", R"({"kind":"oauth","access_token":"access-SECRET"})", "'version'"},
        {"bad kind", R"({"version":1,"kind":"SECRET","access_token":"x"})", "'kind'"},
        {"no token", R"({"version":1,"kind":"oauth"})", "'access_token'"},
        {"token type", R"({"version":1,"kind":"oauth","access_token":1})", "'access_token'"},
        {"expiry type",
         R"({"version":1,"kind":"oauth","access_token":"access-SECRET","expires_at":"x"})",
         "'expires_at'"},
        {"newer", R"({"version":3,"kind":"oauth","access_token":"access-SECRET"})",
         "newer frameio-sync"},
        {"bad api", R"({"version":2,"api":"v9","kind":"oauth","access_token":"x"})", "'api'"},
        {"V4 kind without api", R"({"version":2,"kind":"ims_user","access_token":"x"})",
         "does not belong to API generation v2"},
        {"V2 kind on V4", R"({"version":2,"api":"v4","kind":"oauth","access_token":"x"})",
         "does not belong to API generation v4"},
        {"confidential type",
         R"({"version":2,"api":"v4","kind":"ims_s2s","access_token":"x","confidential":1})",
         "'confidential'"},
    };
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.name) {
            Env env;
            fs::create_directories(env.store.dir());
            fios::test::write_file(env.store.file(), row.content);
            REQUIRE(::chmod(env.store.file().c_str(), 0600) == 0);
            auto r = env.store.load();
            REQUIRE_FALSE(r);
            CHECK(r.error().code == ErrorCode::invalid_config);
            INFO(r.error().message);
            CHECK(r.error().message.find(row.says) != std::string::npos);
            CHECK(r.error().message.find(env.store.file().string()) != std::string::npos);
            check_no_secret(r.error().message);
        }
    }
}

TEST_CASE("the refresh lock excludes a second holder until released", "[auth][credentials]") {
    Env env;
    CredentialStore other(env.store.dir()); // another process's view of the same folder
    auto held = env.store.lock();
    REQUIRE(held);
    CHECK(mode_of(env.store.lock_file()) == 0600);
    {
        auto attempt = other.try_lock();
        REQUIRE(attempt);
        CHECK_FALSE(attempt->has_value());
    }
    // A blocking lock() in another thread completes once the holder lets go.
    std::optional<bool> got;
    std::thread waiter([&] { got = other.lock().has_value(); });
    {
        auto attempt = other.try_lock();
        REQUIRE(attempt);
        CHECK_FALSE(attempt->has_value());
    }
    { auto release = std::move(*held); }
    waiter.join();
    CHECK(got == std::optional<bool>(true));
    auto free_again = other.try_lock();
    REQUIRE(free_again);
    CHECK(free_again->has_value());
}
