// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fios::net {

/// The narrow seam between the library and HTTP. api::Client and auth:: depend only on this
/// header; production uses CurlTransport, unit tests a fake. Integration tests use the real
/// transport against frameio-emulator on loopback.

enum class Method { get, post, put, del };
std::string_view to_string(Method m);

/// Produces a request body piece by piece (a file part streamed from disk).
/// Implementations need not be thread-safe: one request uses one source at a time.
class BodySource {
public:
    virtual ~BodySource() = default;
    /// Total number of bytes the source will produce (sent as Content-Length).
    [[nodiscard]] virtual std::uint64_t size() const = 0;
    /// Fills up to buf.size() bytes; returns how many (0 only at the end).
    virtual Result<std::size_t> read(std::span<char> buf) = 0;
    /// Starts over from the first byte, so a transport can resend the body.
    virtual Status rewind() = 0;
};

/// Consumes a response body piece by piece (a download streamed to disk). The transport
/// calls write() only for 2xx responses; error bodies go to HttpResponse::body instead.
class BodySink {
public:
    virtual ~BodySink() = default;
    virtual Status write(std::span<const char> data) = 0;
};

struct HttpRequest {
    Method method = Method::get;
    std::string url;
    /// Header names as sent. Never log the value of Authorization.
    std::vector<std::pair<std::string, std::string>> headers;
    /// An in-memory body (JSON, form). Ignored when `upload` is set.
    std::string body;
    BodySource* upload = nullptr; ///< streamed request body, not owned
    BodySink* download = nullptr; ///< streamed 2xx response body, not owned
    /// When non-zero, only a response with exactly this status streams to `download`; any
    /// other status, 2xx included, lands in `body` (capped) instead. A ranged GET sets 206 so
    /// that a server ignoring Range cannot write the whole object at the wrong offset.
    int download_status = 0;
    /// Checked while the request runs (and by the transport's own token, if it has one):
    /// once cancelled, send() ends promptly with ErrorCode::cancelled. Not owned.
    const CancelToken* cancel = nullptr;
    /// Upper bound for the whole exchange; zero means none (the transport's connect,
    /// first-byte and minimum-rate deadlines still apply, so a stalled transfer always ends).
    std::chrono::milliseconds total_timeout{0};
    /// False: a 3xx comes back as the response (with its Location header) instead of being
    /// followed. API calls set it: an API that redirects elsewhere is a proxy or captive
    /// portal in the way, never a place to send the request again.
    bool follow_redirects = true;
};

struct HttpResponse {
    int status = 0;
    /// Header names lower-cased; values as received.
    std::vector<std::pair<std::string, std::string>> headers;
    /// The body when the request had no `download` sink, or the status was not 2xx.
    std::string body;

    /// First header with that name (case-insensitive), if any.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// When `response` did not come from the server that was asked but from something in the
/// way, the error that says so; nullopt otherwise. Something is in the way when a request
/// that does not follow redirects gets a 3xx (a captive portal, a proxy, a wrong base URL) or
/// when a 2xx is an HTML page where JSON was expected (a captive portal's login page). The
/// error is ErrorCode::network: a network-level failure, retryable later (the CLI exits 75),
/// never a rejected token or malformed JSON. `where` names the request ("GET /v2/me"),
/// `server` the server asked ("the API at https://api.frame.io"), `hint` what to check. The
/// redirect target is named without its query or user info (it may echo our own URL).
std::optional<Error> detour_error(const HttpResponse& response, std::string_view where,
                                  std::string_view server, std::string_view hint);

/// Sends requests. Implementations are thread-safe: many threads may send at once, sharing
/// connections. A Result error means no HTTP status was obtained (network, timeout,
/// cancelled, or a body source/sink failure); every HTTP status, 4xx and 5xx included,
/// comes back as an HttpResponse for the caller to interpret.
class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

} // namespace fios::net
