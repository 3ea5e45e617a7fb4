// SPDX-License-Identifier: MIT
#include "fake_transport.hpp"
#include "json_builders.hpp"

#include "fios/api/client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

using namespace fios;
using namespace fios::api;
using namespace std::chrono_literals;
using fios::test::CountingTokens;
using fios::test::FakeTransport;
using fios::test::file_json;
using fios::test::folder_json;
using fios::test::response;

namespace {

using Millis = std::chrono::milliseconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

Headers paging(int page, int total_pages, int per_page = 2) {
    return {{"page-number", std::to_string(page)},
            {"per-page", std::to_string(per_page)},
            {"total", std::to_string(total_pages * per_page)},
            {"total-pages", std::to_string(total_pages)}};
}

/// Client plus fakes, wired as production wires the real ones.
struct Harness {
    FakeTransport transport;
    CountingTokens tokens;
    FakeClock clock;
    net::FakeSleeper sleeper{clock};
    std::mutex trace_mutex;
    std::vector<TraceEvent> traces;
    std::vector<std::string> trace_paths;
    CancelToken cancel;
    std::unique_ptr<V2Client> client;

    explicit Harness(V2ClientOptions o = {}) {
        o.api_base = "https://api.test";
        o.jitter_seed = 1234;
        o.cancel = &cancel;
        o.trace = [this](const TraceEvent& e) {
            std::lock_guard lock(trace_mutex);
            traces.push_back(e);
            trace_paths.push_back(std::string(e.method) + " " + std::string(e.route) + " " +
                                  e.path);
        };
        client = std::make_unique<V2Client>(transport, tokens, clock, sleeper, std::move(o));
    }
};

net::HttpResponse ok_json(std::string body, Headers h = {}) {
    return response(200, std::move(body), std::move(h));
}

Error net_error() {
    return Error{ErrorCode::network, "GET https://api.test/x: connection reset"};
}

} // namespace

TEST_CASE("me sends the bearer token, user agent and accept header", "[api][client]") {
    Harness h;
    h.transport.push(ok_json(fios::test::user_json().render()));
    auto me = h.client->me();
    REQUIRE(me);
    CHECK(me->id == "user-1");
    auto reqs = h.transport.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == net::Method::get);
    CHECK(reqs[0].url == "https://api.test/v2/me");
    CHECK(reqs[0].header("Authorization") == "Bearer token-1");
    CHECK(reqs[0].header("User-Agent").value().rfind("frameio-sync/", 0) == 0);
    CHECK(reqs[0].header("Accept") == "application/json");
}

TEST_CASE("a parse error from the server names the endpoint", "[api][client]") {
    Harness h;
    auto bad = fios::test::array({file_json("a0"), file_json("a1"), file_json("a2"),
                                  file_json("a3").set("filesize", "\"12\"")});
    h.transport.push(ok_json(bad, paging(1, 1, 4)));
    auto r = h.client->children("root-1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::parse);
    CHECK(r.error().message == "GET /v2/assets/{id}/children: item 3: field 'filesize' is a "
                               "string, expected an integer");
    CHECK(h.transport.count() == 1); // a parse error is not retried
}

TEST_CASE("children follows total-pages even when page_size is not honoured",
          "[api][client][paging]") {
    Harness h;
    // We ask for 500 per page; the server sends 2 per page over 3 pages.
    h.transport.push(ok_json(fios::test::array({file_json("a"), file_json("b")}), paging(1, 3)));
    h.transport.push(ok_json(fios::test::array({file_json("c"), folder_json("d")}), paging(2, 3)));
    h.transport.push(ok_json(fios::test::array({file_json("e")}), paging(3, 3)));
    auto r = h.client->children("root 1");
    REQUIRE(r);
    REQUIRE(r->size() == 5);
    CHECK((*r)[3].type == AssetType::folder);
    auto reqs = h.transport.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].url == "https://api.test/v2/assets/root%201/children?page=1&page_size=500");
    CHECK(reqs[1].query() == "page=2&page_size=500");
    CHECK(reqs[2].query() == "page=3&page_size=500");
}

TEST_CASE("paging: include_deleted, a page size option, duplicates across pages",
          "[api][client][paging]") {
    V2ClientOptions o;
    o.page_size = 2;
    Harness h(o);
    h.transport.push(ok_json(fios::test::array({file_json("a"), file_json("b")}), paging(1, 2)));
    // An insert shifted "b" onto page 2.
    h.transport.push(ok_json(fios::test::array({file_json("b"), file_json("c")}), paging(2, 2)));
    auto r = h.client->children("root", ChildrenOptions{true});
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[2].id == "c");
    CHECK(h.transport.requests()[0].query() == "page=1&page_size=2&include_deleted=true");
}

TEST_CASE("paging that lies is bounded: repeated pages, endless growth, an empty page",
          "[api][client][paging]") {
    using fios::test::array;
    SECTION("pages that repeat while total-pages grows fail after 3 stale pages") {
        Harness h;
        for (int page = 1; page <= 6; ++page)
            h.transport.push(
                ok_json(array({file_json("a"), file_json("b")}), paging(page, page + 1)));
        auto r = h.client->children("root");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::parse);
        CHECK(r.error().message.find("repeat only items") != std::string::npos);
        CHECK(r.error().message.find("page 4") != std::string::npos);
        CHECK(h.transport.requests().size() == 4);
    }
    SECTION("a list that never ends fails at max_list_items") {
        V2ClientOptions o;
        o.max_list_items = 5;
        Harness h(o);
        for (int page = 1; page <= 6; ++page) {
            const std::string n = std::to_string(page);
            h.transport.push(
                ok_json(array({file_json("a" + n), file_json("b" + n)}), paging(page, page + 1)));
        }
        auto r = h.client->children("root");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("more than 5 items") != std::string::npos);
        CHECK(h.transport.requests().size() == 3);
    }
    SECTION("an empty page ends the list whatever total-pages says") {
        Harness h;
        h.transport.push(ok_json(array({file_json("a"), file_json("b")}), paging(1, 1000)));
        h.transport.push(ok_json("[]", paging(2, 1000)));
        auto r = h.client->children("root");
        REQUIRE(r);
        CHECK(r->size() == 2);
        CHECK(h.transport.requests().size() == 2);
    }
}

TEST_CASE("a list without total-pages is one page, a bad one is an error",
          "[api][client][paging]") {
    Harness h;
    h.transport.push(ok_json(fios::test::array({fios::test::team_json("t1")})));
    auto r = h.client->teams();
    REQUIRE(r);
    CHECK(r->size() == 1);
    h.transport.push(ok_json("[]", {{"total-pages", "many"}}));
    auto r2 = h.client->teams();
    REQUIRE_FALSE(r2);
    CHECK(r2.error().code == ErrorCode::parse);
    CHECK(r2.error().message.find("total-pages") != std::string::npos);
}

TEST_CASE("a page error stops the listing with that page's number", "[api][client][paging]") {
    Harness h;
    h.transport.push(ok_json(fios::test::array({file_json("a")}), paging(1, 2)));
    h.transport.push(ok_json("[7]", paging(2, 2)));
    auto r = h.client->children("root");
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "GET /v2/assets/{id}/children: page 2: item 0 is an integer, expected an object");
}

TEST_CASE("429 backs off exponentially with jitter, then succeeds", "[api][client][429]") {
    Harness h;
    h.transport.push(response(429, R"({"code":429,"message":"Too Many Requests"})"));
    h.transport.push(response(429));
    h.transport.push(response(429));
    h.transport.push(ok_json(fios::test::user_json().render()));
    auto r = h.client->me();
    REQUIRE(r);
    CHECK(h.transport.count() == 4);
    auto sleeps = h.sleeper.sleeps();
    REQUIRE(sleeps.size() == 3);
    const Millis bounds[] = {1000ms, 2000ms, 4000ms};
    for (std::size_t i = 0; i < sleeps.size(); ++i) {
        CHECK(sleeps[i] >= 250ms);
        CHECK(sleeps[i] <= bounds[i]);
    }
}

TEST_CASE("429 honours Retry-After in seconds and as an HTTP-date", "[api][client][429]") {
    Harness h;
    h.transport.push(response(429, {}, {{"retry-after", "7"}}));
    h.transport.push(ok_json(fios::test::user_json().render()));
    REQUIRE(h.client->me());
    CHECK(h.sleeper.sleeps() == std::vector<Millis>{7000ms});

    h.sleeper.clear();
    // FakeClock starts at 1'700'000'000 s = Tue, 14 Nov 2023 22:13:20 GMT.
    h.clock.set(Clock::time_point{std::chrono::seconds{1'700'000'000}});
    h.transport.push(response(429, {}, {{"retry-after", "Tue, 14 Nov 2023 22:13:32 GMT"}}));
    h.transport.push(ok_json(fios::test::user_json().render()));
    REQUIRE(h.client->me());
    CHECK(h.sleeper.sleeps() == std::vector<Millis>{12'000ms});
}

TEST_CASE("a Retry-After longer than we wait is returned to the caller", "[api][client][429]") {
    Harness h;
    h.transport.push(response(429, {}, {{"retry-after", "3600"}}));
    auto r = h.client->me();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::rate_limited);
    CHECK(r.error().retry_after == Millis{3'600'000});
    CHECK(h.transport.count() == 1);
    CHECK(h.sleeper.sleeps().empty());
}

TEST_CASE("429 that never ends gives up with a retryable error", "[api][client][429]") {
    Harness h;
    h.transport.on([](const auto&) -> Result<net::HttpResponse> { return response(429); });
    auto r = h.client->me();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::rate_limited);
    CHECK(r.error().retryable());
    CHECK(r.error().http_status == 429);
    CHECK(h.transport.count() == 8); // rate_limit_retry.max_attempts
}

TEST_CASE("a create is retried after 429 (refused before processing)", "[api][client][429]") {
    Harness h;
    h.transport.push(response(429));
    h.transport.push(ok_json(folder_json("new").render()));
    auto r = h.client->create_folder("root", "Dailies");
    REQUIRE(r);
    CHECK(h.transport.count() == 2);
    auto reqs = h.transport.requests();
    CHECK(reqs[1].method == net::Method::post);
    CHECK(reqs[1].body == R"({"type":"folder","name":"Dailies"})");
    CHECK(reqs[1].header("Content-Type") == "application/json");
}

TEST_CASE("creates are never repeated after a 5xx or a network error", "[api][client][create]") {
    SECTION("create_folder, 503") {
        Harness h;
        h.transport.on([](const auto&) -> Result<net::HttpResponse> { return response(503); });
        auto r = h.client->create_folder("root", "Dailies");
        REQUIRE_FALSE(r);
        CHECK(is_create_outcome_unknown(r.error()));
        CHECK_FALSE(r.error().retryable());
        CHECK(r.error().http_status == 503);
        CHECK(h.transport.count() == 1);
    }
    SECTION("create_file, network error") {
        Harness h;
        h.transport.on([](const auto&) -> Result<net::HttpResponse> { return net_error(); });
        auto r = h.client->create_file("root", "a.mov", "video/quicktime", 10);
        REQUIRE_FALSE(r);
        CHECK(is_create_outcome_unknown(r.error()));
        CHECK(h.transport.count() == 1);
    }
    SECTION("create_file, no connection could be made: sent again, no outcome unknown") {
        // Connection refused: the request never left this machine, so the create is retried
        // with the transient backoff (it used to be "outcome unknown" and wait for an item
        // backoff of a minute).
        Harness h;
        int calls = 0;
        h.transport.on([&](const auto&) -> Result<net::HttpResponse> {
            if (++calls == 1) {
                Error refused{ErrorCode::network, "POST x: cannot connect (refused)"};
                refused.request_not_sent = true;
                return refused;
            }
            return ok_json(file_json("new", "a.mov")
                               .set("upload_completed_at", "null")
                               .set("upload_urls", R"(["https://s3.test/p/1?sig=A"])")
                               .render());
        });
        auto r = h.client->create_file("root", "a.mov", "video/quicktime", 10);
        INFO((r ? std::string() : r.error().message));
        CHECK(r);
        CHECK(h.transport.count() == 2);
    }
    SECTION("add_version, timeout") {
        Harness h;
        h.transport.on([](const auto&) -> Result<net::HttpResponse> {
            return Error{ErrorCode::timeout, "timed out"};
        });
        auto r = h.client->add_version("old", "new");
        REQUIRE_FALSE(r);
        CHECK(is_create_outcome_unknown(r.error()));
        CHECK(h.transport.count() == 1);
    }
    SECTION("create_project, 500") {
        Harness h;
        h.transport.on([](const auto&) -> Result<net::HttpResponse> { return response(500); });
        auto r = h.client->create_project("team", "P");
        REQUIRE_FALSE(r);
        CHECK(is_create_outcome_unknown(r.error()));
        CHECK(h.transport.count() == 1);
    }
    SECTION("a 4xx on a create is a plain error") {
        Harness h;
        h.transport.push(response(422, R"({"message":"name required"})"));
        auto r = h.client->create_folder("root", "");
        REQUIRE_FALSE(r);
        CHECK_FALSE(is_create_outcome_unknown(r.error()));
        CHECK(r.error().code == ErrorCode::invalid_request);
        CHECK(r.error().message.find("name required") != std::string::npos);
    }
}

TEST_CASE("GETs are retried on network errors and 5xx", "[api][client][retry]") {
    Harness h;
    h.transport.push(net_error());
    h.transport.push(response(502, "<html>bad gateway</html>"));
    h.transport.push(ok_json(fios::test::user_json().render()));
    auto r = h.client->me();
    REQUIRE(r);
    CHECK(h.transport.count() == 3);
    CHECK(h.sleeper.sleeps().size() == 2);
    for (auto d : h.sleeper.sleeps())
        CHECK(d <= 1000ms);
}

TEST_CASE("retries of GETs are bounded", "[api][client][retry]") {
    Harness h;
    h.transport.on([](const auto&) -> Result<net::HttpResponse> {
        return response(500, R"({"message":"boom"})");
    });
    auto r = h.client->asset("a1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::server);
    CHECK(r.error().retryable());
    CHECK(r.error().message.find("boom") != std::string::npos);
    CHECK(h.transport.count() == 5);
}

TEST_CASE("rename (PUT) and delete are retried, and a late 404 of a delete is success",
          "[api][client][retry]") {
    Harness h;
    h.transport.push(response(503));
    h.transport.push(ok_json(file_json("a1", "new.mov").render()));
    auto r = h.client->rename("a1", "new.mov");
    REQUIRE(r);
    CHECK(r->name == "new.mov");
    auto reqs = h.transport.requests();
    CHECK(reqs[1].method == net::Method::put);
    CHECK(reqs[1].body == R"({"name":"new.mov"})");

    h.transport.push(net_error());
    h.transport.push(response(404));
    CHECK(h.client->delete_asset("a1"));
    h.transport.push(response(204));
    CHECK(h.client->delete_asset("a2"));
    h.transport.push(response(404));
    auto gone = h.client->delete_asset("a3");
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == ErrorCode::not_found);
}

TEST_CASE("401 refreshes the token once and retries once", "[api][client][401]") {
    Harness h;
    h.transport.push(response(401));
    h.transport.push(ok_json(fios::test::user_json().render()));
    REQUIRE(h.client->me());
    CHECK(h.tokens.refreshes() == 1);
    auto reqs = h.transport.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].header("Authorization") == "Bearer token-1");
    CHECK(reqs[1].header("Authorization") == "Bearer token-2");
}

TEST_CASE("a second 401 is unauthorized, and a failed refresh is returned", "[api][client][401]") {
    Harness h;
    h.transport.on([](const auto&) -> Result<net::HttpResponse> { return response(401); });
    auto r = h.client->create_folder("root", "x"); // 401 is safe to retry even for creates
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::unauthorized);
    CHECK_FALSE(r.error().retryable());
    CHECK(r.error().message.find("frameio-sync login") != std::string::npos);
    CHECK(h.tokens.refreshes() == 1);
    CHECK(h.transport.count() == 2);

    Harness h2;
    h2.tokens.fail_refresh();
    h2.transport.push(response(401));
    auto r2 = h2.client->me();
    REQUIRE_FALSE(r2);
    CHECK(r2.error().code == ErrorCode::unauthorized);
    CHECK(h2.transport.count() == 1);
}

TEST_CASE("403 names the scope the route needs", "[api][client][403]") {
    Harness h;
    h.transport.on([](const auto&) -> Result<net::HttpResponse> { return response(403); });
    auto c = h.client->create_folder("root", "x");
    REQUIRE_FALSE(c);
    CHECK(c.error().code == ErrorCode::forbidden);
    CHECK(c.error().message.find("'asset.create'") != std::string::npos);
    auto d = h.client->delete_asset("a");
    REQUIRE_FALSE(d);
    CHECK(d.error().message.find("'asset.delete'") != std::string::npos);
    auto p = h.client->team_projects("t");
    REQUIRE_FALSE(p);
    CHECK(p.error().message.find("'project.read'") != std::string::npos);
    auto v = h.client->add_version("a", "b");
    REQUIRE_FALSE(v);
    CHECK(v.error().message.find("'asset.update' or 'asset.create' scope") != std::string::npos);
    CHECK(h.transport.count() == 4); // no retries
}

TEST_CASE("404 carries the server's detail", "[api][client]") {
    Harness h;
    h.transport.push(
        response(404, R"({"code":404,"message":"Not Found","errors":[{"detail":"asset gone"}]})"));
    auto r = h.client->asset("a1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().http_status == 404);
    CHECK(r.error().message == "GET /v2/assets/a1: not found (HTTP 404): Not Found: asset gone");
}

TEST_CASE("requests are paced when the rate-limit headers run low", "[api][client][pacing]") {
    Harness h;
    const Headers low = {{"x-ratelimit-limit", "10"},
                         {"x-ratelimit-remaining", "1"},
                         {"x-ratelimit-window", "1000"}};
    h.transport.on([&](const auto&) -> Result<net::HttpResponse> {
        return ok_json(fios::test::user_json().render(), low);
    });
    for (int i = 0; i < 5; ++i)
        REQUIRE(h.client->me());
    // First request: nothing known. Then remaining=1 every time: one request per 125 ms
    // (80 % of the refill rate of 10 per second).
    auto sleeps = h.sleeper.sleeps();
    REQUIRE(sleeps.size() == 3);
    for (auto d : sleeps)
        CHECK(d == 125ms);
    for (const auto& req : h.transport.requests())
        CHECK(req.url == "https://api.test/v2/me");
}

TEST_CASE("no pacing while plenty remains, and pacing can be turned off", "[api][client][pacing]") {
    const Headers plenty = {{"x-ratelimit-limit", "100"},
                            {"x-ratelimit-remaining", "99"},
                            {"x-ratelimit-window", "1000"}};
    Harness h;
    h.transport.on([&](const auto&) -> Result<net::HttpResponse> {
        return ok_json(fios::test::user_json().render(), plenty);
    });
    for (int i = 0; i < 20; ++i)
        REQUIRE(h.client->me());
    CHECK(h.sleeper.sleeps().empty());

    V2ClientOptions off;
    off.pace_requests = false;
    Harness h2(off);
    h2.transport.on([](const auto&) -> Result<net::HttpResponse> {
        return ok_json(fios::test::user_json().render(), {{"x-ratelimit-limit", "10"},
                                                          {"x-ratelimit-remaining", "0"},
                                                          {"x-ratelimit-window", "1000"}});
    });
    for (int i = 0; i < 5; ++i)
        REQUIRE(h2.client->me());
    CHECK(h2.sleeper.sleeps().empty());
}

TEST_CASE("create_file returns upload URLs", "[api][client]") {
    Harness h;
    h.transport.push(ok_json(
        file_json("f1", "a.mov")
            .set("upload_completed_at", "null")
            .set("upload_urls", R"(["https://s3.test/p/1?sig=A","https://s3.test/p/2?sig=B"])")
            .render()));
    auto r = h.client->create_file("root", "a.mov", "video/quicktime", 50'645'990);
    REQUIRE(r);
    CHECK(r->upload_urls.size() == 2);
    CHECK(h.transport.requests()[0].body ==
          R"({"type":"file","name":"a.mov","filetype":"video/quicktime","filesize":50645990})");
    CHECK(h.transport.requests()[0].url == "https://api.test/v2/assets/root/children");
}

namespace {
class StringSource final : public net::BodySource {
public:
    explicit StringSource(std::string d) : m_data(std::move(d)) {}
    [[nodiscard]] std::uint64_t size() const override { return m_data.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        std::size_t n = std::min(buf.size(), m_data.size() - m_pos);
        std::copy_n(m_data.data() + m_pos, n, buf.data());
        m_pos += n;
        return n;
    }
    Status rewind() override {
        m_pos = 0;
        return {};
    }

private:
    std::string m_data;
    std::size_t m_pos = 0;
};

class StringSink final : public net::BodySink {
public:
    Status write(std::span<const char> d) override {
        data.append(d.data(), d.size());
        return {};
    }
    std::string data;
};
} // namespace

TEST_CASE("upload_part sends the signed headers only, and retries 5xx", "[api][client][part]") {
    Harness h;
    h.transport.push(response(500));
    h.transport.push(response(200));
    StringSource part("part-bytes");
    auto r = h.client->upload_part("https://s3.test/p/1?X-Amz-Signature=SECRET", "video/mp4", part);
    REQUIRE(r);
    auto reqs = h.transport.requests();
    REQUIRE(reqs.size() == 2);
    for (const auto& req : reqs) {
        CHECK(req.method == net::Method::put);
        CHECK(req.body == "part-bytes");
        CHECK(req.header("Content-Type") == "video/mp4");
        CHECK(req.header("x-amz-acl") == "private");
        CHECK_FALSE(req.header("Authorization"));
    }
}

TEST_CASE("a refused part is not retried and its error hides the signature",
          "[api][client][part]") {
    Harness h;
    h.transport.push(response(403, "<Error><Code>SignatureDoesNotMatch</Code>"
                                   "<StringToSign>SECRET</StringToSign></Error>"));
    StringSource part("x");
    auto r = h.client->upload_part("https://s3.test/p/1?X-Amz-Signature=SECRET", "video/mp4", part);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::forbidden);
    CHECK(r.error().message.find("SECRET") == std::string::npos);
    CHECK(r.error().message.find("SignatureDoesNotMatch") != std::string::npos);
    CHECK(r.error().message.find("https://s3.test/p/1") != std::string::npos);
    CHECK(h.transport.count() == 1);
}

TEST_CASE("download with a range: Range header, no Authorization, 206 checked",
          "[api][client][download]") {
    Harness h;
    h.transport.push(response(206, "bcd", {{"content-range", "bytes 1-3/10"}}));
    StringSink sink;
    auto r = h.client->download("https://cdn.test/o?Signature=SECRET", ByteRange{1, 3}, sink);
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->bytes == 3);
    CHECK(r->total_size == 10u);
    CHECK(sink.data == "bcd");
    auto req = h.transport.requests().at(0);
    CHECK(req.header("Range") == "bytes=1-3");
    CHECK_FALSE(req.header("Authorization"));
    CHECK(req.download_status == 206);
}

TEST_CASE("download: a server ignoring Range never writes the sink", "[api][client][download]") {
    Harness h;
    h.transport.push(response(200, "abcdefghij"));
    StringSink sink;
    auto r = h.client->download("https://cdn.test/o?Signature=S", ByteRange{1, 3}, sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid_request);
    CHECK(sink.data.empty());
}

TEST_CASE("download retries 5xx before any byte arrived", "[api][client][download]") {
    Harness h;
    h.transport.push(response(503));
    h.transport.push(response(200, "whole"));
    StringSink sink;
    auto r = h.client->download("https://cdn.test/o?Signature=S", std::nullopt, sink);
    REQUIRE(r);
    CHECK(r->bytes == 5);
    CHECK(sink.data == "whole");
    CHECK(h.transport.count() == 2);
}

TEST_CASE("search by updated_at pages through the body", "[api][client][search]") {
    Harness h;
    h.transport.push(ok_json(fios::test::array({file_json("a")}), paging(1, 2, 1)));
    h.transport.push(ok_json(fios::test::array({file_json("b")}), paging(2, 2, 1)));
    auto since = parse_timestamp("2022-06-10T15:32:06.228191Z");
    REQUIRE(since);
    auto r = h.client->search_updated_since("p1", *since, std::string("acct-1"));
    REQUIRE(r);
    CHECK(r->size() == 2);
    auto reqs = h.transport.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].method == net::Method::post);
    CHECK(reqs[0].url == "https://api.test/v2/search/library");
    CHECK(reqs[0].body ==
          R"({"account_id":"acct-1","page":1,"page_size":500,"filter":{"project_id":)"
          R"({"op":"eq","value":"p1"},"updated_at":{"op":"gte","value":)"
          R"("2022-06-10T15:32:06.228191Z"}}})");
    CHECK(reqs[1].body.find(R"("page":2)") != std::string::npos);
}

TEST_CASE("search is a read: retried on 5xx", "[api][client][search]") {
    Harness h;
    h.transport.push(response(502));
    h.transport.push(ok_json("[]", paging(1, 1)));
    auto r = h.client->search_updated_since("p1", TimePoint{});
    REQUIRE(r);
    CHECK(h.transport.count() == 2);
}

TEST_CASE("traces carry method, route, path and status, never secrets", "[api][client][trace]") {
    Harness h;
    h.transport.push(response(503));
    h.transport.push(ok_json(fios::test::array({file_json("a")}), paging(1, 1)));
    REQUIRE(h.client->children("root"));
    h.transport.push(response(200));
    StringSource part("x");
    REQUIRE(h.client->upload_part("https://s3.test/p/1?X-Amz-Signature=SECRET", "video/mp4", part));
    REQUIRE(h.traces.size() == 3);
    CHECK(h.traces[0].status == 503);
    CHECK(h.traces[0].attempt == 1);
    CHECK(h.traces[1].status == 200);
    CHECK(h.traces[1].attempt == 2);
    CHECK(h.trace_paths[0] == "GET GET /v2/assets/{id}/children /v2/assets/root/children");
    CHECK(h.trace_paths[2] == "PUT PUT upload-part https://s3.test/p/1");
    for (const auto& p : h.trace_paths) {
        CHECK(p.find("SECRET") == std::string::npos);
        CHECK(p.find("token-") == std::string::npos);
        CHECK(p.find("page=") == std::string::npos);
    }
}

TEST_CASE("a cancelled client sends nothing", "[api][client][cancel]") {
    Harness h;
    h.cancel.cancel();
    auto r = h.client->me();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK(h.transport.count() == 0);
}

TEST_CASE("cancel during a backoff wait ends the call", "[api][client][cancel]") {
    Harness h;
    h.transport.on([&](const auto&) -> Result<net::HttpResponse> {
        h.cancel.cancel(); // shutdown arrives while the server is refusing
        return response(429);
    });
    auto r = h.client->me();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK(h.transport.count() == 1);
}

TEST_CASE("a token provider failure is returned before any request", "[api][client]") {
    class NoTokens final : public TokenProvider {
    public:
        Result<std::string> access_token() override {
            return Error{ErrorCode::unauthorized, "not logged in; run `frameio-sync login`"};
        }
        Result<std::string> refresh_after_unauthorized(const std::string&) override {
            return Error{ErrorCode::unauthorized, "no"};
        }
    } none;
    FakeTransport transport;
    FakeClock clock;
    net::FakeSleeper sleeper(clock);
    V2Client client(transport, none, clock, sleeper);
    auto r = client.me();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::unauthorized);
    CHECK(transport.count() == 0);
}

TEST_CASE("one client serves many threads", "[api][client][threads]") {
    // The threads share one FakeClock, which every thread's backoff and pacing waits advance:
    // give the retry budget room, so that only real misbehaviour can fail a call.
    V2ClientOptions options;
    options.transient_retry.max_total = std::chrono::hours(24);
    options.rate_limit_retry.max_total = std::chrono::hours(24);
    Harness h(options);
    std::atomic<int> served{0};
    std::atomic<int> refused{0};
    h.transport.on([&](const fios::test::RecordedRequest& req) -> Result<net::HttpResponse> {
        // Every third request fails with 503 (and is retried), but never twice in a row for
        // one thread, so every call succeeds within its attempts whatever the interleaving.
        // All carry rate-limit headers.
        thread_local bool failed_last = false;
        int n = ++served;
        if (n % 3 == 0 && !failed_last) {
            failed_last = true;
            ++refused;
            return response(503);
        }
        failed_last = false;
        Headers hdr = paging(1, 1);
        hdr.emplace_back("x-ratelimit-limit", "50");
        hdr.emplace_back("x-ratelimit-remaining", std::to_string(50 - (n % 50)));
        hdr.emplace_back("x-ratelimit-window", "1000");
        if (req.url.find("/children") != std::string::npos) {
            return ok_json(fios::test::array({file_json("a"), folder_json("b")}), hdr);
        }
        return ok_json(fios::test::user_json().render(), hdr);
    });
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                auto kids = h.client->children("root");
                auto me = h.client->me();
                if (kids && kids->size() == 2 && me)
                    ++ok;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    CHECK(ok == 200);
    CHECK(refused > 0);
    CHECK(served == 400 + refused); // every refusal retried once, nothing else repeated
}
