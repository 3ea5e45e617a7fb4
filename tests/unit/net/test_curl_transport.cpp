// SPDX-License-Identifier: MIT
#include "bodies.hpp"
#include "support/local_server.hpp"

#include "fios/net/curl_transport.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace fios;
using namespace fios::net;
using fios::test::Gate;
using fios::test::LocalServer;
using fios::test::StringSink;
using fios::test::StringSource;

namespace {

CurlTransportOptions loopback_options() {
    CurlTransportOptions o;
    o.proxy = ""; // never route loopback tests through a proxy from the environment
    o.cancel_poll = std::chrono::milliseconds(20);
    return o;
}

std::unique_ptr<CurlTransport> make_transport(CurlTransportOptions o = loopback_options()) {
    auto t = CurlTransport::create(std::move(o));
    REQUIRE(t);
    return std::move(*t);
}

HttpRequest get(const std::string& url) {
    HttpRequest r;
    r.url = url;
    return r;
}

} // namespace

TEST_CASE("GET returns status, body and lower-cased header names", "[net][curl]") {
    LocalServer srv;
    srv.server().Get("/hello", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("X-RateLimit-Remaining", "39");
        res.set_content("hi there", "text/plain");
    });
    srv.start();
    auto t = make_transport();
    auto r = t->send(get(srv.url("/hello")));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "hi there");
    REQUIRE(r->header("x-ratelimit-remaining"));
    CHECK(*r->header("x-ratelimit-remaining") == "39");
    bool all_lower = true;
    for (const auto& [k, v] : r->headers) {
        for (char c : k)
            all_lower = all_lower && !(c >= 'A' && c <= 'Z');
    }
    CHECK(all_lower);
}

TEST_CASE("sequential requests reuse one kept-alive connection", "[net][curl]") {
    LocalServer srv;
    srv.server().Get("/n", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("x", "text/plain");
    });
    srv.start();
    auto t = make_transport();
    for (int i = 0; i < 10; ++i) {
        auto r = t->send(get(srv.url("/n")));
        REQUIRE(r);
        REQUIRE(r->status == 200);
    }
    CHECK(t->stats().requests == 10);
    CHECK(t->stats().connections_opened == 1);
    CHECK(t->stats().handles_created == 1);
}

TEST_CASE("parallel threads share the handle pool and reuse connections", "[net][curl]") {
    LocalServer srv;
    srv.server().new_task_queue = [] { return new httplib::ThreadPool(8); };
    srv.server().Get("/n", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("x", "text/plain");
    });
    srv.start();
    auto t = make_transport();
    constexpr int k_threads = 4;
    constexpr int k_each = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&] {
            for (int j = 0; j < k_each; ++j) {
                auto r = t->send(get(srv.url("/n")));
                if (r && r->status == 200)
                    ++ok;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    CHECK(ok == k_threads * k_each);
    auto s = t->stats();
    CHECK(s.handles_created <= k_threads);
    // Each handle keeps its connection alive: at most one new connection per handle.
    CHECK(s.connections_opened <= s.handles_created);
}

TEST_CASE("POST and PUT bodies arrive whole, without Expect: 100-continue", "[net][curl]") {
    LocalServer srv;
    std::mutex m;
    std::string got_body, got_expect, got_type;
    auto record = [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(m);
        got_body = req.body;
        got_expect = req.get_header_value("Expect");
        got_type = req.get_header_value("Content-Type");
        res.set_content("{}", "application/json");
    };
    srv.server().Post("/post", record);
    srv.server().Put("/put", record);
    srv.start();
    auto t = make_transport();

    HttpRequest post;
    post.method = Method::post;
    post.url = srv.url("/post");
    post.body = std::string(3 * 1024 * 1024, 'j'); // big enough for libcurl to want Expect
    post.headers = {{"Content-Type", "application/json"}};
    auto r = t->send(post);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(got_body == post.body);
    CHECK(got_expect.empty());
    CHECK(got_type == "application/json");

    std::string data = fios::test::pattern_bytes(5 * 1024 * 1024 + 7);
    StringSource source(data);
    HttpRequest put;
    put.method = Method::put;
    put.url = srv.url("/put");
    put.upload = &source;
    put.headers = {{"Content-Type", "video/mp4"}, {"x-amz-acl", "private"}};
    auto r2 = t->send(put);
    REQUIRE(r2);
    CHECK(r2->status == 200);
    CHECK(got_body == data);
    CHECK(got_expect.empty());
    CHECK(got_type == "video/mp4");

    // A zero-byte part is a PUT with Content-Length: 0.
    StringSource empty("");
    put.upload = &empty;
    auto r3 = t->send(put);
    REQUIRE(r3);
    CHECK(r3->status == 200);
    CHECK(got_body.empty());
}

TEST_CASE("DELETE is sent as DELETE", "[net][curl]") {
    LocalServer srv;
    std::atomic<bool> hit{false};
    srv.server().Delete("/a", [&](const httplib::Request&, httplib::Response& res) {
        hit = true;
        res.status = 204;
    });
    srv.start();
    auto t = make_transport();
    HttpRequest del;
    del.method = Method::del;
    del.url = srv.url("/a");
    auto r = t->send(del);
    REQUIRE(r);
    CHECK(r->status == 204);
    CHECK(hit);
}

TEST_CASE("2xx bodies stream to the sink, error bodies go to body and are capped", "[net][curl]") {
    LocalServer srv;
    const std::string blob = fios::test::pattern_bytes(3 * 1024 * 1024 + 11, 5);
    srv.server().Get("/blob", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(blob, "application/octet-stream");
    });
    srv.server().Get("/fail", [](const httplib::Request&, httplib::Response& res) {
        res.status = 503;
        res.set_content(std::string(200 * 1024, 'e'), "text/plain");
    });
    srv.start();
    auto t = make_transport();

    StringSink sink;
    HttpRequest req = get(srv.url("/blob"));
    req.download = &sink;
    auto r = t->send(req);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.empty());
    CHECK(sink.data() == blob);

    StringSink untouched;
    HttpRequest bad = get(srv.url("/fail"));
    bad.download = &untouched;
    auto r2 = t->send(bad);
    REQUIRE(r2);
    CHECK(r2->status == 503);
    CHECK(untouched.data().empty());
    CHECK(r2->body.size() == 64 * 1024);
}

TEST_CASE("download_status keeps an unexpected 200 out of the sink", "[net][curl]") {
    LocalServer srv;
    srv.server().Get("/norange", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("the whole object", "application/octet-stream");
    });
    srv.start();
    auto t = make_transport();
    StringSink sink;
    HttpRequest req = get(srv.url("/norange"));
    req.download = &sink;
    req.download_status = 206;
    auto r = t->send(req);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(sink.data().empty());
    CHECK(r->body == "the whole object");
}

TEST_CASE("ranged GET streams the 206 part", "[net][curl]") {
    LocalServer srv;
    const std::string blob = fios::test::pattern_bytes(100'000, 9);
    srv.server().Get("/blob", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(blob, "application/octet-stream");
    });
    srv.start();
    auto t = make_transport();
    StringSink sink;
    HttpRequest req = get(srv.url("/blob"));
    req.headers = {{"Range", "bytes=1000-1999"}};
    req.download = &sink;
    req.download_status = 206;
    auto r = t->send(req);
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(sink.data() == blob.substr(1000, 1000));
}

TEST_CASE("a failing sink or source ends the request with its own error", "[net][curl]") {
    LocalServer srv;
    srv.server().Get("/blob", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(100'000, 'b'), "application/octet-stream");
    });
    srv.server().Put("/put", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("{}", "application/json");
    });
    srv.start();
    auto t = make_transport();

    StringSink sink;
    sink.fail();
    HttpRequest req = get(srv.url("/blob?sig=SECRET"));
    req.download = &sink;
    auto r = t->send(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::io);
    CHECK(r.error().message.find("disk full") != std::string::npos);
    CHECK(r.error().message.find("SECRET") == std::string::npos);

    StringSource source(std::string(1'000'000, 's'));
    source.fail_at(0);
    HttpRequest put;
    put.method = Method::put;
    put.url = srv.url("/put?sig=SECRET");
    put.upload = &source;
    auto r2 = t->send(put);
    REQUIRE_FALSE(r2);
    CHECK(r2.error().code == ErrorCode::io);
    CHECK(r2.error().message.find("disk read failed") != std::string::npos);
    CHECK(r2.error().message.find("SECRET") == std::string::npos);

    // The transport still works afterwards.
    auto r3 = t->send(get(srv.url("/blob")));
    REQUIRE(r3);
    CHECK(r3->status == 200);
}

TEST_CASE("connection refused is a retryable network error without secrets", "[net][curl]") {
    int port = 0;
    {
        LocalServer srv; // bind and release a port so that nothing listens there
        srv.start();
        port = srv.port();
    }
    auto t = make_transport();
    HttpRequest req =
        get("http://127.0.0.1:" + std::to_string(port) + "/parts/1?X-Amz-Signature=SECRETSIG");
    req.headers = {{"Authorization", "Bearer SECRETTOKEN"}};
    auto r = t->send(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::network);
    CHECK(r.error().retryable());
    CHECK(r.error().message.find("SECRETSIG") == std::string::npos);
    CHECK(r.error().message.find("SECRETTOKEN") == std::string::npos);
    CHECK(r.error().message.find("/parts/1") != std::string::npos);
    CHECK(r.error().request_not_sent); // nothing reached a server: even a create may go again
}

TEST_CASE("a cancel token ends a stalled request with ErrorCode::cancelled", "[net][curl]") {
    LocalServer srv;
    Gate gate;
    srv.server().Get("/stall", [&](const httplib::Request&, httplib::Response& res) {
        gate.wait();
        res.set_content("late", "text/plain");
    });
    srv.start();
    auto t = make_transport();
    CancelToken token;
    std::atomic<bool> done{false};
    Result<HttpResponse> outcome = Error{ErrorCode::internal, "not run"};
    std::thread th([&] {
        HttpRequest req = get(srv.url("/stall"));
        req.cancel = &token;
        outcome = t->send(req);
        done = true;
    });
    REQUIRE(fios::test::wait_until([&] { return gate.entered(); }));
    token.cancel();
    bool finished = fios::test::wait_until([&] { return done.load(); });
    gate.open();
    th.join();
    REQUIRE(finished);
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::cancelled);
}

TEST_CASE("the transport-wide cancel token refuses new requests", "[net][curl]") {
    CancelToken shutdown;
    auto o = loopback_options();
    o.cancel = &shutdown;
    auto t = make_transport(o);
    shutdown.cancel();
    auto r = t->send(get("http://127.0.0.1:1/"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
}

TEST_CASE("a stalled transfer ends by the minimum rate when there is no first-byte deadline",
          "[net][curl]") {
    LocalServer srv;
    Gate gate;
    srv.server().Get("/stall", [&](const httplib::Request&, httplib::Response& res) {
        gate.wait();
        res.set_content("late", "text/plain");
    });
    srv.start();
    auto o = loopback_options();
    o.first_byte_timeout = std::chrono::milliseconds(0);
    o.min_rate = 1000;
    o.rate_window = std::chrono::seconds(1);
    auto t = make_transport(o);
    auto r = t->send(get(srv.url("/stall")));
    gate.open();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::timeout);
    CHECK(r.error().retryable());
    CHECK(r.error().message.find("too slow") != std::string::npos);
}

TEST_CASE("redirects resend a streamed body and drop Authorization for another host",
          "[net][curl]") {
    LocalServer target;
    std::mutex m;
    std::string got_body, got_auth = "unset";
    target.server().Put("/final", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(m);
        got_body = req.body;
        got_auth = req.get_header_value("Authorization");
        res.set_content("{}", "application/json");
    });
    target.start();
    LocalServer origin;
    // Another port is another origin for libcurl's credential check (since 7.83).
    const std::string final_url = target.url("/final");
    origin.server().Put("/start", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 307;
        res.set_header("Location", final_url);
    });
    origin.start();

    auto t = make_transport();
    std::string data = fios::test::pattern_bytes(200'000, 3);
    StringSource source(data);
    HttpRequest put;
    put.method = Method::put;
    put.url = origin.url("/start");
    put.upload = &source;
    put.headers = {{"Authorization", "Bearer SECRET"}};
    auto r = t->send(put);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(got_body == data);
    CHECK(got_auth.empty());
}

TEST_CASE("header values with CR or LF are refused", "[net][curl]") {
    auto t = make_transport();
    HttpRequest req = get("http://127.0.0.1:1/");
    req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
    auto r = t->send(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::internal);
}
