// SPDX-License-Identifier: MIT
// Issue 9: a trickling answer and a server that never answers end within their deadlines;
// API calls can refuse redirects. CurlTransport against cpp-httplib servers on 127.0.0.1.
#include "support/local_server.hpp"

#include "fios/net/curl_transport.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

using namespace fios;
using namespace fios::net;
using fios::test::Gate;
using fios::test::LocalServer;
using Millis = std::chrono::milliseconds;

namespace {

/// The pace of a slow server: waits one tick at a time and stops at once when told (so a
/// server thread never outlives its test).
class Pacer {
public:
    /// Waits `tick`; false when stopped.
    bool wait(Millis tick) {
        std::unique_lock lock(m_mutex);
        return !m_cv.wait_for(lock, tick, [&] { return m_stopped; });
    }
    void stop() {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        m_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopped = false;
};

/// Serves GET /slow: `total` bytes, `chunk` bytes every `tick`, with Content-Length.
void serve_slowly(LocalServer& srv, Pacer& pacer, std::size_t total, std::size_t chunk,
                  Millis tick) {
    srv.server().Get(
        "/slow", [&pacer, total, chunk, tick](const httplib::Request&, httplib::Response& res) {
            res.set_content_provider(
                total, "application/octet-stream",
                [&pacer, total, chunk, tick](size_t offset, size_t, httplib::DataSink& sink) {
                    if (!pacer.wait(tick))
                        return false;
                    const std::string piece(std::min(chunk, total - offset), 'x');
                    return sink.write(piece.data(), piece.size());
                });
        });
}

CurlTransportOptions options_with(Millis first_byte, std::uint64_t min_rate, Millis window) {
    CurlTransportOptions o;
    o.proxy = ""; // never route loopback tests through a proxy from the environment
    o.cancel_poll = Millis(20);
    o.first_byte_timeout = first_byte;
    o.min_rate = min_rate;
    o.rate_window = window;
    return o;
}

struct Timed {
    Result<HttpResponse> result;
    Millis took;
};

Timed timed_get(const CurlTransportOptions& options, const std::string& url) {
    auto transport = CurlTransport::create(options);
    REQUIRE(transport);
    HttpRequest req;
    req.url = url;
    // A backstop far beyond the deadlines under test: without them the request would end
    // only here, which the elapsed-time checks tell apart.
    req.total_timeout = Millis(15'000);
    const auto start = std::chrono::steady_clock::now();
    auto r = (*transport)->send(req);
    return {std::move(r),
            std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start)};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("a download that trickles ends by the minimum average rate within its window",
          "[net][curl][deadline]") {
    // 10 bytes/s for 30 s: alive all along, far below 256 bytes/s.
    LocalServer srv;
    Pacer pacer;
    serve_slowly(srv, pacer, 300, 1, Millis(100));
    srv.start();
    auto t = timed_get(options_with(Millis(300), 256, Millis(1'000)), srv.url("/slow"));
    pacer.stop();
    REQUIRE_FALSE(t.result);
    INFO(t.result.error().message);
    CHECK(t.result.error().code == ErrorCode::timeout);
    CHECK(t.result.error().retryable());
    CHECK(contains(t.result.error().message, "too slow"));
    CHECK(contains(t.result.error().message, "/slow"));
    CHECK(t.took < Millis(5'000)); // one window after the answer began, not the backstop
}

TEST_CASE("a slow but steady download above the minimum rate completes", "[net][curl][deadline]") {
    // 1280 bytes/s for 2 s against a minimum of 256 bytes/s over 1 s; the first-byte
    // deadline (300 ms) is far shorter than the download and must not cut it.
    LocalServer srv;
    Pacer pacer;
    serve_slowly(srv, pacer, 2'560, 64, Millis(50));
    srv.start();
    auto t = timed_get(options_with(Millis(300), 256, Millis(1'000)), srv.url("/slow"));
    pacer.stop();
    INFO((t.result ? std::string("ok") : t.result.error().message));
    REQUIRE(t.result);
    CHECK(t.result->status == 200);
    CHECK(t.result->body.size() == 2'560);
}

TEST_CASE("a server that accepts the request and never answers ends by the first-byte deadline",
          "[net][curl][deadline]") {
    LocalServer srv;
    Gate gate;
    srv.server().Get("/silent", [&](const httplib::Request&, httplib::Response& res) {
        gate.wait();
        res.set_content("late", "text/plain");
    });
    srv.start();
    // No rate rule: only the first-byte deadline can end it before the backstop.
    auto t = timed_get(options_with(Millis(500), 0, Millis(0)), srv.url("/silent"));
    gate.open();
    REQUIRE_FALSE(t.result);
    INFO(t.result.error().message);
    CHECK(t.result.error().code == ErrorCode::timeout);
    CHECK(contains(t.result.error().message, "no answer within 500 ms"));
    CHECK_FALSE(t.result.error().request_not_sent); // it was sent: a create's outcome is unknown
    CHECK(t.took >= Millis(500));
    CHECK(t.took < Millis(3'000));
}

TEST_CASE("a request that refuses redirects gets the 3xx and its Location back",
          "[net][curl][redirect]") {
    LocalServer target;
    std::atomic<int> target_hits{0};
    target.server().Get("/elsewhere", [&](const httplib::Request&, httplib::Response& res) {
        ++target_hits;
        res.set_content("{}", "application/json");
    });
    target.start();
    LocalServer origin;
    const std::string elsewhere = target.url("/elsewhere");
    origin.server().Get("/api", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 302;
        res.set_header("Location", elsewhere);
    });
    origin.start();
    auto transport = CurlTransport::create(options_with(Millis(5'000), 0, Millis(0)));
    REQUIRE(transport);
    HttpRequest req;
    req.url = origin.url("/api");
    req.follow_redirects = false;
    auto r = (*transport)->send(req);
    REQUIRE(r);
    CHECK(r->status == 302);
    CHECK(r->header("location") == std::optional<std::string_view>(elsewhere));
    CHECK(target_hits == 0);
    // The same request allowed to follow (pre-signed URLs) still lands on the target.
    req.follow_redirects = true;
    auto followed = (*transport)->send(req);
    REQUIRE(followed);
    CHECK(followed->status == 200);
    CHECK(target_hits == 1);
}
