// SPDX-License-Identifier: MIT
#pragma once

#include "core/http.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace fioemu {

/// State of the request being handled on this worker thread (one connection per worker).
struct RequestContext {
    std::string route;            ///< stats key, set once the request is counted
    bool counted = false;         ///< counted in the request stats
    bool admin = false;           ///< an /_emulator/ request: never counted
    bool answered = false;        ///< a response (status line) was written
    bool close_after = false;     ///< close the connection after this response
    bool body_unread = false;     ///< a content-reader handler left the body unread
    bool status_counted = false;  ///< its status was counted in the stats
    bool aborted = false;         ///< the connection was cut on purpose (a fault)
    bool body_over_limit = false; ///< a chunked body ran past HttpServer's limit (413)
    int raw_status = 0;           ///< status of an answer written by the connection loop itself
    std::string method;           ///< from the request line (before cpp-httplib parses it)
    std::string get_body;         ///< body of a GET/HEAD (cpp-httplib does not read one)
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// The request context of the calling worker thread (a dummy outside a request).
RequestContext& current_request();

/// Reads exactly `len` bytes of the current request's body straight from the connection, in
/// pieces of up to 1 MiB (cpp-httplib's ContentReader delivers 4 KiB at a time), passing each
/// to `sink`. For handlers registered with a ContentReader that they do not call. False when
/// the peer went away, a read stalled past the I/O timeout, or `sink` returned false.
bool read_request_body(std::int64_t len, const std::function<bool(const char*, std::size_t)>& sink);

/// Cuts the current connection at once: nothing more is read or written, the peer sees a reset.
/// Used by the partreset and truncate faults.
void abort_connection();

/// cpp-httplib's Server with our own connection loop:
/// - keep-alive without cpp-httplib's 5-request cap, idle timeout `keep_alive_s`;
/// - bodies of GET requests are read (and exposed via current_request().get_body) instead of
///   being parsed as the next request;
/// - an unread request body is drained (small) or the connection closed (large), so a rejected
///   upload never desynchronizes the connection;
/// - a malformed Range header is ignored (RFC 9110) instead of answered 416 before routing;
/// - responsive shutdown: blocked reads and writes notice stop() within 100 ms.
class HttpServer : public httplib::Server {
public:
    HttpServer(int keep_alive_s, int io_timeout_s);

    /// Called after every request on the worker thread (stats of unanswered requests).
    std::function<void(RequestContext&)> on_request_end;

    /// Bytes a chunked request body (chunk framing included) may take before reading stops
    /// and the answer is 413. Bodies with a Content-Length are checked before routing.
    void set_max_chunked_body(std::int64_t bytes) { m_max_chunked_body = bytes; }

    /// Raises the listen backlog (cpp-httplib hard-codes 5); call after bind.
    void raise_backlog(int backlog);
    /// Makes every connection loop end promptly; then call stop().
    void begin_shutdown() { m_stopping.store(true); }

private:
    bool process_and_close_socket(socket_t sock) override;

    int m_keep_alive_ms;
    int m_io_timeout_ms;
    std::atomic<bool> m_stopping{false};
    std::int64_t m_max_chunked_body = 16LL << 20;
};

} // namespace fioemu
