// SPDX-License-Identifier: MIT
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "unit/auth/fake_transport.hpp"

#include "fios/auth/credentials.hpp"
#include "fios/auth/oauth_token_provider.hpp"
#include "fios/auth/token_providers.hpp"
#include "fios/auth/url.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

using fios::ErrorCode;
using fios::FakeClock;
using fios::Result;
using fios::auth::CredentialKind;
using fios::auth::Credentials;
using fios::auth::CredentialStore;
using fios::auth::OAuthTokenProvider;
using fios::net::HttpRequest;
using fios::net::HttpResponse;
using fios::test::FakeTransport;
using fios::test::json_response;
using fios::test::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string form_value(const HttpRequest& r, const std::string& key) {
    auto pairs = fios::auth::parse_query(r.body);
    if (!pairs)
        return {};
    for (auto& [k, v] : *pairs) {
        if (k == key)
            return v;
    }
    return {};
}

/// A token endpoint with rotating refresh tokens: each refresh spends the refresh token it was
/// given and issues generation N+1 of both tokens; a spent refresh token gets invalid_grant.
class TokenServer {
public:
    bool rotate = true;
    /// When set, answers every request with this failure instead.
    std::optional<Result<HttpResponse>> failure;
    /// Called inside each request, before answering (checks made "during the POST").
    std::function<void()> during_request;

    Result<HttpResponse> handle(const HttpRequest& r) {
        if (during_request)
            during_request();
        std::lock_guard lock(m_mutex);
        if (failure)
            return *failure;
        if (form_value(r, "grant_type") != "refresh_token" ||
            form_value(r, "refresh_token") != refresh_token()) {
            return json_response(400, R"({"error":"invalid_grant"})");
        }
        ++m_generation;
        std::string body = R"({"access_token":")" + access_token() +
                           R"(","expires_in":3600,"token_type":"bearer")";
        if (rotate) {
            body += R"(,"refresh_token":")" + refresh_token() + "\"";
        } else {
            m_fixed_refresh = true;
        }
        return json_response(200, body + "}");
    }

    [[nodiscard]] std::string access_token() const {
        return "access-SECRET-" + std::to_string(m_generation);
    }
    [[nodiscard]] std::string refresh_token() const {
        return m_fixed_refresh ? "refresh-SECRET-1"
                               : "refresh-SECRET-" + std::to_string(m_generation);
    }

private:
    std::mutex m_mutex;
    int m_generation = 1;
    bool m_fixed_refresh = false;
};

struct Fixture {
    TempDir dir;
    FakeClock clock;
    CredentialStore store{dir.path() / "config" / "frameio-sync"};
    TokenServer server;
    FakeTransport transport{[this](const HttpRequest& r) { return server.handle(r); }};

    Credentials initial(std::chrono::seconds valid_for = 3600s) {
        Credentials c;
        c.kind = CredentialKind::oauth;
        c.access_token = "access-SECRET-1";
        c.refresh_token = "refresh-SECRET-1";
        c.expires_at = clock.now() + valid_for;
        c.client_id = "cid";
        c.auth_url = "http://127.0.0.1:9";
        c.api_url = "http://127.0.0.1:8";
        c.scopes = {"offline"};
        return c;
    }
    /// Saves the initial login and returns a provider for it.
    std::unique_ptr<OAuthTokenProvider> provider(std::chrono::seconds valid_for = 3600s) {
        auto c = initial(valid_for);
        REQUIRE(store.save(c));
        return std::make_unique<OAuthTokenProvider>(store, transport, clock, c);
    }
    Credentials saved() {
        auto r = store.load();
        REQUIRE(r);
        REQUIRE(r->has_value());
        return **r;
    }
};

void check_no_secret(const std::string& message) {
    INFO(message);
    CHECK(message.find("SECRET") == std::string::npos);
}

} // namespace

TEST_CASE("a token far from expiry is returned without a request", "[auth][provider]") {
    Fixture f;
    auto p = f.provider();
    for (int i = 0; i < 3; ++i) {
        auto t = p->access_token();
        REQUIRE(t);
        CHECK(*t == "access-SECRET-1");
    }
    f.clock.advance(3600s - 61s);
    auto t = p->access_token();
    REQUIRE(t);
    CHECK(*t == "access-SECRET-1");
    CHECK(f.transport.count() == 0);
}

TEST_CASE("the token is refreshed within 60 s of expiry, rotated and saved", "[auth][provider]") {
    Fixture f;
    auto p = f.provider();
    f.clock.advance(3600s - 59s);
    auto t = p->access_token();
    REQUIRE(t);
    CHECK(*t == "access-SECRET-2");
    REQUIRE(f.transport.count() == 1);
    const auto req = f.transport.requests()[0];
    CHECK(req.url == "http://127.0.0.1:9/oauth2/token");
    CHECK(form_value(req, "refresh_token") == "refresh-SECRET-1");
    CHECK(form_value(req, "client_id") == "cid");

    const Credentials s = f.saved();
    CHECK(s.access_token == "access-SECRET-2");
    CHECK(s.refresh_token == std::optional<std::string>("refresh-SECRET-2"));
    CHECK(s.expires_at == std::optional(f.clock.now() + 3600s));
    CHECK(s.client_id == "cid");
    struct stat st {};
    REQUIRE(::stat(f.store.file().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(p->current().access_token == "access-SECRET-2");

    // Fresh again: no more requests until the new expiry approaches.
    f.clock.advance(3000s);
    REQUIRE(p->access_token());
    CHECK(f.transport.count() == 1);
    f.clock.advance(600s);
    auto t3 = p->access_token();
    REQUIRE(t3);
    CHECK(*t3 == "access-SECRET-3");
    CHECK(form_value(f.transport.requests()[1], "refresh_token") == "refresh-SECRET-2");
}

TEST_CASE("the old refresh token is kept when the server sends none", "[auth][provider]") {
    Fixture f;
    f.server.rotate = false;
    auto p = f.provider(30s);
    auto t = p->access_token();
    REQUIRE(t);
    CHECK(*t == "access-SECRET-2");
    CHECK(f.saved().refresh_token == std::optional<std::string>("refresh-SECRET-1"));
    f.clock.advance(3600s);
    auto t2 = p->access_token();
    REQUIRE(t2);
    CHECK(*t2 == "access-SECRET-3");
}

TEST_CASE("a 401 refreshes once per rejected token", "[auth][provider]") {
    Fixture f;
    auto p = f.provider();
    auto t = p->refresh_after_unauthorized("access-SECRET-1");
    REQUIRE(t);
    CHECK(*t == "access-SECRET-2");
    // A late report of the same old token reuses the new one.
    auto again = p->refresh_after_unauthorized("access-SECRET-1");
    REQUIRE(again);
    CHECK(*again == "access-SECRET-2");
    CHECK(f.transport.count() == 1);
    // The new token rejected too: refresh again.
    auto t3 = p->refresh_after_unauthorized("access-SECRET-2");
    REQUIRE(t3);
    CHECK(*t3 == "access-SECRET-3");
    CHECK(f.transport.count() == 2);
}

TEST_CASE("threads that need a refresh at once share one request", "[auth][provider]") {
    for (bool via_401 : {true, false}) {
        DYNAMIC_SECTION((via_401 ? "after 401" : "ahead of expiry")) {
            Fixture f;
            auto p = f.provider(via_401 ? 3600s : 10s);
            constexpr int k_threads = 8;
            std::latch start(k_threads);
            std::vector<std::string> got(k_threads);
            std::vector<std::thread> threads;
            for (int i = 0; i < k_threads; ++i) {
                threads.emplace_back([&, i] {
                    start.arrive_and_wait();
                    auto t = via_401 ? p->refresh_after_unauthorized("access-SECRET-1")
                                     : p->access_token();
                    got[static_cast<std::size_t>(i)] = t ? *t : "error: " + t.error().message;
                });
            }
            for (auto& t : threads)
                t.join();
            CHECK(f.transport.count() == 1);
            for (const auto& g : got)
                CHECK(g == "access-SECRET-2");
        }
    }
}

TEST_CASE("the refresh request is sent while the credentials lock is held", "[auth][provider]") {
    Fixture f;
    std::optional<bool> lock_was_free;
    f.server.during_request = [&] {
        CredentialStore other(f.store.dir());
        auto attempt = other.try_lock();
        lock_was_free = attempt && attempt->has_value();
    };
    auto p = f.provider(10s);
    REQUIRE(p->access_token());
    CHECK(lock_was_free == std::optional<bool>(false));
    // And released afterwards.
    CredentialStore other(f.store.dir());
    auto attempt = other.try_lock();
    REQUIRE(attempt);
    CHECK(attempt->has_value());
}

TEST_CASE("a token saved by another process while we waited for the lock is adopted",
          "[auth][provider]") {
    for (bool via_401 : {true, false}) {
        DYNAMIC_SECTION((via_401 ? "after 401" : "ahead of expiry")) {
            Fixture f;
            auto p = f.provider(via_401 ? 3600s : 10s);
            CredentialStore other_process(f.store.dir());
            auto held = other_process.lock();
            REQUIRE(held);

            Result<std::string> result = std::string();
            std::thread waiter([&] {
                result =
                    via_401 ? p->refresh_after_unauthorized("access-SECRET-1") : p->access_token();
            });
            // The other process refreshes (spending refresh-SECRET-1) and saves, then unlocks.
            Credentials theirs = f.initial();
            theirs.access_token = "access-SECRET-9";
            theirs.refresh_token = "refresh-SECRET-9";
            theirs.expires_at = f.clock.now() + 3600s;
            REQUIRE(other_process.save(theirs));
            { auto release = std::move(*held); }
            waiter.join();

            REQUIRE(result);
            CHECK(*result == "access-SECRET-9");
            CHECK(f.transport.count() == 0);
            CHECK(p->current().refresh_token == std::optional<std::string>("refresh-SECRET-9"));
        }
    }
}

TEST_CASE("a refused refresh says to log in again and leaks no token", "[auth][provider]") {
    Fixture f;
    f.server.failure = json_response(
        400, R"({"error":"invalid_grant","error_description":"refresh-SECRET-1 was revoked"})");
    auto p = f.provider(10s);
    auto t = p->access_token();
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK(t.error().message.find("frameio-sync login") != std::string::npos);
    check_no_secret(t.error().message);
    auto u = p->refresh_after_unauthorized("access-SECRET-1");
    REQUIRE_FALSE(u);
    CHECK(u.error().code == ErrorCode::unauthorized);
    check_no_secret(u.error().message);
    // Nothing was overwritten.
    CHECK(f.saved().refresh_token == std::optional<std::string>("refresh-SECRET-1"));
}

TEST_CASE("an early refresh that fails for a passing reason keeps the valid token",
          "[auth][provider]") {
    Fixture f;
    f.server.failure = Result<HttpResponse>(fios::Error{ErrorCode::network, "connection refused"});
    auto p = f.provider(30s);
    auto t = p->access_token();
    REQUIRE(t);
    CHECK(*t == "access-SECRET-1");
    // Once it has really expired, the failure is reported, as retryable.
    f.clock.advance(31s);
    auto expired = p->access_token();
    REQUIRE_FALSE(expired);
    CHECK(expired.error().retryable());
    check_no_secret(expired.error().message);
    // A 401 cannot be answered with the rejected token either.
    auto after401 = p->refresh_after_unauthorized("access-SECRET-1");
    REQUIRE_FALSE(after401);
    CHECK(after401.error().retryable());
    // The endpoint comes back: the next call refreshes.
    f.server.failure.reset();
    auto back = p->access_token();
    REQUIRE(back);
    CHECK(*back == "access-SECRET-2");
}

TEST_CASE("logging out, or a loose file, stops refreshing with a clear error", "[auth][provider]") {
    Fixture f;
    auto p = f.provider(10s);
    REQUIRE(f.store.remove());
    auto t = p->access_token();
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK(t.error().message.find("frameio-sync login") != std::string::npos);

    auto p2 = f.provider(10s);
    REQUIRE(::chmod(f.store.file().c_str(), 0644) == 0);
    auto t2 = p2->access_token();
    REQUIRE_FALSE(t2);
    CHECK(t2.error().code == ErrorCode::invalid_config);
    CHECK(t2.error().message.find("chmod 600") != std::string::npos);
    CHECK(f.transport.count() == 0);
}

TEST_CASE("a login without a refresh token cannot be refreshed", "[auth][provider]") {
    Fixture f;
    auto c = f.initial(10s);
    c.refresh_token.reset();
    REQUIRE(f.store.save(c));
    OAuthTokenProvider p(f.store, f.transport, f.clock, c);
    auto t = p.access_token();
    REQUIRE_FALSE(t);
    CHECK(t.error().code == ErrorCode::unauthorized);
    CHECK(t.error().message.find("offline") != std::string::npos);
    CHECK(f.transport.count() == 0);
}

TEST_CASE("make_token_provider picks the provider for the saved login", "[auth][provider]") {
    Fixture f;
    auto none = fios::auth::make_token_provider(f.store, f.transport, f.clock);
    REQUIRE_FALSE(none);
    CHECK(none.error().code == ErrorCode::unauthorized);
    CHECK(none.error().message.find("frameio-sync login") != std::string::npos);

    Credentials dev;
    dev.kind = CredentialKind::developer_token;
    dev.access_token = "dev-SECRET";
    REQUIRE(f.store.save(dev));
    auto s = fios::auth::make_token_provider(f.store, f.transport, f.clock);
    REQUIRE(s);
    auto tok = (*s)->access_token();
    REQUIRE(tok);
    CHECK(*tok == "dev-SECRET");
    CHECK(dynamic_cast<OAuthTokenProvider*>(s->get()) == nullptr);
    auto rejected = (*s)->refresh_after_unauthorized("dev-SECRET");
    REQUIRE_FALSE(rejected);
    CHECK(rejected.error().code == ErrorCode::unauthorized);

    REQUIRE(f.store.save(f.initial()));
    auto o = fios::auth::make_token_provider(f.store, f.transport, f.clock);
    REQUIRE(o);
    CHECK(dynamic_cast<OAuthTokenProvider*>(o->get()) != nullptr);
    auto otok = (*o)->access_token();
    REQUIRE(otok);
    CHECK(*otok == "access-SECRET-1");
}

namespace {

/// True when /proc/locks shows a process blocked waiting for a flock on inode `ino`.
bool flock_waiter_on(ino_t ino) {
    std::string locks;
    try {
        locks = fios::test::read_file("/proc/locks");
    } catch (...) {
        return false;
    }
    const std::string needle = ":" + std::to_string(ino) + " ";
    std::size_t pos = 0;
    while (pos < locks.size()) {
        const auto end = std::min(locks.find('\n', pos), locks.size());
        const std::string_view line(locks.data() + pos, end - pos);
        if (line.find("-> FLOCK") != std::string_view::npos &&
            line.find(needle) != std::string_view::npos) {
            return true;
        }
        pos = end + 1;
    }
    return false;
}

/// The body of one child process in the two-process test. Returns its exit code.
int refresh_in_child(const fs::path& dir, const CredentialStore& store, int index) {
    try {
        const auto posts = dir / "posts";
        const auto server_state = dir / "server-refresh-token";
        // The "server" lives in files so both processes share it: it counts requests and
        // accepts only the current refresh token (rotating it).
        FakeTransport transport([&](const HttpRequest& r) -> Result<HttpResponse> {
            // Make the race real: answer only once the other process is blocked on the lock
            // (visible in /proc/locks), so both are refreshing at the same moment.
            struct stat lock_stat {};
            const bool waiter =
                ::stat(store.lock_file().c_str(), &lock_stat) == 0 &&
                fios::test::wait_until([&] { return flock_waiter_on(lock_stat.st_ino); }, 20s, 1ms);
            fios::test::write_file(dir / ("waiter-seen-" + std::to_string(index)),
                                   waiter ? "yes" : "no");
            const int fd = ::open(posts.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
            if (fd >= 0) {
                (void)!::write(fd, "post\n", 5);
                ::close(fd);
            }
            if (form_value(r, "refresh_token") != fios::test::read_file(server_state)) {
                return json_response(400, R"({"error":"invalid_grant"})");
            }
            const auto suffix = std::to_string(index);
            fios::test::write_file(server_state, "refresh-SECRET-2-" + suffix);
            return json_response(200, R"({"access_token":"access-SECRET-2-)" + suffix +
                                          R"(","refresh_token":"refresh-SECRET-2-)" + suffix +
                                          R"(","expires_in":3600})");
        });
        FakeClock clock;
        auto saved = store.load();
        if (!saved || !*saved)
            return 10;
        OAuthTokenProvider provider(store, transport, clock, **saved);

        // Both children start refreshing at the same moment.
        fios::test::write_file(dir / ("ready-" + std::to_string(index)), "");
        const bool both = fios::test::wait_until(
            [&] { return fs::exists(dir / "ready-0") && fs::exists(dir / "ready-1"); }, 20s, 1ms);
        if (!both)
            return 11;

        auto token = provider.access_token();
        if (!token)
            return 12;
        fios::test::write_file(dir / ("result-" + std::to_string(index)), *token);
        return 0;
    } catch (...) {
        return 13;
    }
}

} // namespace

TEST_CASE("two processes refreshing at once send one request and agree on the token",
          "[auth][provider][process]") {
    Fixture f;
    auto c = f.initial(10s); // inside the refresh margin: both children want to refresh
    REQUIRE(f.store.save(c));
    fios::test::write_file(f.dir / "server-refresh-token", "refresh-SECRET-1");

    std::vector<pid_t> children;
    for (int i = 0; i < 2; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0)
            ::_exit(refresh_in_child(f.dir.path(), f.store, i));
        children.push_back(pid);
    }
    std::vector<int> codes;
    for (pid_t pid : children) {
        int status = 0;
        const bool done =
            fios::test::wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 60s);
        if (!done) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    CHECK(codes == std::vector<int>{0, 0});
    CHECK(fios::test::read_file(f.dir / "posts") == "post\n");
    // The one that sent the request saw the other waiting for the lock meanwhile.
    const bool seen0 = fs::exists(f.dir / "waiter-seen-0");
    const bool seen1 = fs::exists(f.dir / "waiter-seen-1");
    CHECK(seen0 != seen1);
    CHECK(fios::test::read_file(f.dir / (seen0 ? "waiter-seen-0" : "waiter-seen-1")) == "yes");
    const std::string a = fios::test::read_file(f.dir / "result-0");
    const std::string b = fios::test::read_file(f.dir / "result-1");
    CHECK(a == b);
    const Credentials s = f.saved();
    CHECK(s.access_token == a);
    CHECK(s.refresh_token ==
          std::optional<std::string>(fios::test::read_file(f.dir / "server-refresh-token")));
}
