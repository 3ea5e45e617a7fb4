// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace fios::net {

struct CurlTransportOptions {
    /// Time allowed for DNS, TCP and TLS setup of a new connection.
    std::chrono::milliseconds connect_timeout{15'000};
    /// Once a request has gone out, the first byte of the answer must arrive within this
    /// long, or the request ends with ErrorCode::timeout (a server or proxy that accepts the
    /// connection and never answers). Zero: no such deadline (the rate rule applies instead).
    std::chrono::milliseconds first_byte_timeout{30'000};
    /// While a request is sent and while its answer arrives, a transfer that moved fewer than
    /// `min_rate` bytes/s on average over the last `rate_window` ends with ErrorCode::timeout
    /// (an average, so a trickle of 1 byte/s cannot keep it alive; see TransferWatch). Zero
    /// for either: no rate rule.
    std::uint64_t min_rate = 1024;
    std::chrono::milliseconds rate_window{30'000};
    /// nullopt: libcurl reads the proxy environment (http_proxy, HTTPS_PROXY/https_proxy,
    /// ALL_PROXY/all_proxy, NO_PROXY/no_proxy; for http:// URLs only the lower-case
    /// `http_proxy` is read, never `HTTP_PROXY`). "" disables proxies, environment included.
    std::optional<std::string> proxy;
    /// Overrides NO_PROXY/no_proxy when set (comma-separated hosts, "*" for all).
    std::optional<std::string> no_proxy;
    /// A CA bundle file instead of the system store. TLS peer and host verification are
    /// always on.
    std::optional<std::string> ca_file;
    /// Sent when a request carries no User-Agent header of its own.
    std::string user_agent = "frameio-sync";
    /// Easy handles (each holding its kept-alive connections) kept for reuse; one is in use
    /// per concurrent request, so set this to at least the number of worker threads.
    std::size_t max_idle_handles = 32;
    /// A non-2xx body (or a 2xx that was not streamed) beyond this is cut: it is diagnostic.
    std::size_t max_error_body = 64 * 1024;
    /// A 2xx body kept in memory beyond this fails the request (ErrorCode::parse), as soon as
    /// it is passed. Only API and token answers are kept (downloads stream to their sink); a
    /// V2 page of 500 assets is about 1 MB, so 32 MiB is ample for an honest answer and is
    /// what a hostile one can cost (it was 256 MiB: a 100 MB listing was held whole).
    std::size_t max_body = std::size_t{32} << 20;
    /// Follows up to 5 redirects (http and https only) for requests that allow it
    /// (HttpRequest::follow_redirects). libcurl does not send a custom Authorization header to
    /// another host.
    bool follow_redirects = true;
    /// Share TLS session ids between handles (fewer full handshakes). Only honoured on
    /// libcurl < 8.9, whose documentation still supports it across threads.
    bool share_tls_sessions = true;
    /// Socket buffer for each transfer; larger helps big part uploads and downloads.
    long buffer_size = 256 * 1024;
    /// How often a running transfer checks the cancel tokens (upper bound of the latency).
    std::chrono::milliseconds cancel_poll{100};
    /// Transport-wide cancellation (shutdown), checked besides each request's own token.
    const CancelToken* cancel = nullptr;
};

/// Counters since construction, for tests and diagnostics.
struct TransportStats {
    std::uint64_t requests = 0;           ///< send() calls that reached libcurl
    std::uint64_t connections_opened = 0; ///< new TCP connections (sum of NUM_CONNECTS)
    std::uint64_t handles_created = 0;    ///< easy handles created (pool misses)
};

/// HttpTransport over libcurl. Thread-safe: any number of threads may call send() at once.
///
/// Connections: libcurl documents a connection cache shared between concurrent threads as
/// unsupported (CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT; curl KNOWN_BUGS "A shared connection
/// cache is not thread-safe"), so connections are not shared that way. Instead each request
/// borrows a handle from a LIFO pool; a handle keeps its connections open between requests,
/// so a connection is reused by whichever thread borrows its handle next. DNS results (and
/// TLS sessions, see share_tls_sessions) are shared between all handles under locks.
///
/// Bodies: `HttpRequest::upload` is streamed (rewound through BodySource::rewind() when
/// libcurl must resend it); 2xx responses stream to `HttpRequest::download`. No
/// `Expect: 100-continue` round trip. Errors never contain a URL's query string (pre-signed
/// URLs carry their signature there) or any header value.
class CurlTransport final : public HttpTransport {
public:
    /// Fails (ErrorCode::internal) only when libcurl cannot be initialised.
    static Result<std::unique_ptr<CurlTransport>> create(CurlTransportOptions options = {});
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    /// Must not be called after destruction has begun (no send() may be in flight then).
    Result<HttpResponse> send(const HttpRequest& request) override;
    [[nodiscard]] TransportStats stats() const;

    struct Impl;

private:
    explicit CurlTransport(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace fios::net
