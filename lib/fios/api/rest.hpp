// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/rate_limiter.hpp"
#include "fios/api/token_provider.hpp"
#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"
#include "fios/net/retry.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The REST machinery every Frame.io API generation shares (docs/api-client.md): one API
/// exchange with pacing, 401 refresh, 429 backoff, transient retries of what is safe to
/// repeat and never-repeated creates; PUTs and GETs on pre-signed URLs. V2Client and V4Client
/// are thin typed layers over one RestClient each.
namespace fios::api {

/// `frameio-sync/<version>`, the default User-Agent.
std::string default_user_agent();

/// One HTTP exchange as the client saw it, for --verbose traces. Never carries a token, a
/// query string (signed URLs carry their signature there) or a body.
struct TraceEvent {
    std::string_view method; ///< "GET", "POST", ...
    std::string_view route;  ///< "GET /v2/assets/{id}/children", "PUT upload-part"
    std::string path;        ///< "/v2/assets/<id>/children"; host+path for signed URLs
    int status = 0;          ///< 0 when no HTTP status came back
    std::chrono::milliseconds duration{0};
    int attempt = 1;                ///< 1 for the first try of a call
    std::optional<ErrorCode> error; ///< the transport error when status is 0
};
using TraceCallback = std::function<void(const TraceEvent&)>;

/// A failed attempt about to be tried again, so that a user waiting on a retry learns what
/// is retried, why and when (the CLI prints it on stderr). Never carries a token or a query
/// string: `what` is "GET /v2/assets/<id>/children" or, for pre-signed URLs, "PUT
/// scheme://host/path"; `cause`'s message follows the same rule.
struct RetryEvent {
    std::string_view what;
    const Error& cause;
    std::chrono::milliseconds delay{0}; ///< the wait before the next attempt
    int next_attempt = 2;
    int max_attempts = 1;
};
using RetryCallback = std::function<void(const RetryEvent&)>;

/// Byte range of one upload part.
struct PartRange {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    bool operator==(const PartRange&) const = default;
};

/// Cuts `filesize` bytes into `part_count` parts as the official SDK and the V4 guide do
/// (docs/frameio-api.md 3.6): each part ceil(filesize / n) bytes, the last one the remainder.
/// A zero-byte file has one empty part. When n exceeds what the ceil split needs, the
/// trailing parts are empty. part_count must be at least 1 (0 yields no parts).
std::vector<PartRange> compute_part_ranges(std::uint64_t filesize, std::size_t part_count);

/// Inclusive byte range for a ranged download (`Range: bytes=first-last`).
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

struct DownloadResult {
    int status = 0;                          ///< 200, or 206 for a range
    std::uint64_t bytes = 0;                 ///< written to the sink
    std::optional<std::uint64_t> total_size; ///< from Content-Range, when sent
};

/// True for the error a create returns when its outcome is unknown: the request was sent
/// but a network error, timeout or 5xx hid the answer, so the asset may or may not exist.
/// Such an error has code ErrorCode::conflict (not retryable: retrying blindly could make a
/// duplicate) and a message containing "create outcome unknown". Resolve it by listing the
/// parent and looking for the name before creating again.
bool is_create_outcome_unknown(const Error& error);

/// What may be repeated after a failure whose outcome is unknown.
enum class CallKind : std::uint8_t {
    read,  ///< no side effect (GETs, search): retry network errors and 5xx
    write, ///< idempotent side effect (PUT, PATCH, DELETE): retry network errors and 5xx
    create ///< POST that creates: never repeat once it may have reached the server
};

/// One API route: its method, its pattern (the rate-limit class, and the name in error
/// messages and traces), what may be repeated, and the scope it needs (403 messages; empty
/// when the API has no per-route scopes).
struct RestRoute {
    net::Method method = net::Method::get;
    std::string_view pattern;
    CallKind kind = CallKind::read;
    std::string_view scope;
    /// The rate limit the API reference documents for this route (requests per window; 0:
    /// none documented). The pacer starts from it, so that a fresh process does not learn
    /// the limit from 429s; the server's x-ratelimit-* headers replace it.
    std::int64_t documented_limit = 0;
    std::int64_t documented_window_ms = 0;
};

struct RestOptions {
    std::string api_base = "https://api.frame.io"; ///< no trailing slash needed
    std::string user_agent = default_user_agent();
    /// Called on the thread that made the call: must be thread-safe.
    TraceCallback trace;
    /// Called before each wait of a retry, on the calling thread: must be thread-safe.
    RetryCallback on_retry;
    /// Network errors, timeouts and 5xx of idempotent requests and of transfers.
    net::RetryPolicy transient_retry{5,
                                     std::chrono::milliseconds{500},
                                     std::chrono::milliseconds{30'000},
                                     std::chrono::milliseconds{0},
                                     std::chrono::milliseconds{120'000},
                                     std::chrono::milliseconds{300'000}};
    /// 429 for every request, creates included (a 429 is refused before it is processed).
    net::RetryPolicy rate_limit_retry{8,
                                      std::chrono::milliseconds{1'000},
                                      std::chrono::milliseconds{64'000},
                                      std::chrono::milliseconds{250},
                                      std::chrono::milliseconds{300'000},
                                      std::chrono::milliseconds{300'000}};
    bool pace_requests = true; ///< see RateLimiter; one bucket per route pattern
    double pace_low_water = 0.2;
    std::optional<std::uint64_t> jitter_seed; ///< fixed in tests
    /// Shutdown: ends running requests and backoff waits with ErrorCode::cancelled.
    const CancelToken* cancel = nullptr;
    /// Upper bound of one API exchange (not of transfers on pre-signed URLs). The transport's
    /// first-byte and minimum-rate deadlines end a stalled exchange much earlier.
    std::chrono::milliseconds api_timeout{120'000};
    /// Extra headers on every API request (never on pre-signed URLs), e.g. V4's
    /// `x-frameio-legacy-token-auth: true`.
    std::vector<std::pair<std::string, std::string>> api_headers;
    /// A short diagnostic from an API error body (the API's own error shape); empty when
    /// there is none. Must never return more than a few hundred characters.
    std::function<std::string(std::string_view body)> error_detail;
    /// Whether a 403 may mean a missing token scope (V2) or only missing access (V4).
    bool scoped_tokens = true;
    /// What a 403 on a pre-signed URL tells the caller to do.
    std::string signed_url_forbidden_hint = "fetch the asset again for fresh URLs";
};

/// One API generation's transport-level client. Thread-safe; the transport, token provider,
/// clock and sleeper must outlive it.
class RestClient {
public:
    RestClient(net::HttpTransport& transport, TokenProvider& tokens, const Clock& clock,
               net::Sleeper& sleeper, RestOptions options);
    ~RestClient();
    RestClient(const RestClient&) = delete;
    RestClient& operator=(const RestClient&) = delete;

    struct CallInfo {
        /// An earlier attempt of this call got no answer (or a 5xx): it may have happened.
        bool earlier_attempt_unanswered = false;
    };

    /// One API call on `path` (below api_base; `query` without '?') with pacing, 401 refresh,
    /// 429 backoff and (for reads and idempotent writes) transient retries. A JSON `body`
    /// is sent with Content-Type application/json. Returns the 2xx response or an error.
    /// Redirects are not followed: a 3xx, or an HTML page instead of JSON, is something in
    /// the way (net::detour_error: ErrorCode::network, not retried here).
    Result<net::HttpResponse> call(const RestRoute& route, const std::string& path,
                                   const std::string& query, const std::string& body,
                                   CallInfo* info = nullptr);

    /// PUTs one part to a pre-signed URL with exactly `headers` (plus User-Agent; never
    /// Authorization), streamed from `body` (rewound for each attempt). Retried on network
    /// errors, timeouts, 5xx and 429. A 403 is not retried (expired URL or a header that does
    /// not match the signature).
    Status upload_part(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       net::BodySource& body, const CancelToken* cancel = nullptr);

    /// GETs a pre-signed `url` into `sink`, the whole object or `range`. Retried only while
    /// nothing reached the sink; after that a retryable error is returned and the caller
    /// resumes with a range. A 403 (expired link) is ErrorCode::forbidden with http_status 403.
    Result<DownloadResult> download(const std::string& url, std::optional<ByteRange> range,
                                    net::BodySink& sink, const CancelToken* cancel = nullptr);

    [[nodiscard]] bool cancelled(const CancelToken* also = nullptr) const;
    [[nodiscard]] const RateLimiter& rate_limiter() const;
    [[nodiscard]] const RestOptions& options() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace fios::api
