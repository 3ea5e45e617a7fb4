// SPDX-License-Identifier: MIT
#include "fios/api/rest.hpp"

#include "fios/net/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#ifndef FIOS_VERSION
#define FIOS_VERSION "0.0.0"
#endif

namespace fios::api {
namespace {

using net::Method;
using Millis = std::chrono::milliseconds;

constexpr std::string_view k_upload_route = "PUT upload-part";
constexpr std::string_view k_download_route = "GET download";
constexpr std::string_view k_outcome_unknown = "create outcome unknown";
constexpr std::string_view k_detour_hint =
    "if the network has a login page, sign in with a browser; else check the proxy settings "
    "(https_proxy, no_proxy) and api_url (--api-url, FRAMEIO_API_URL)";

std::optional<RateLimitInfo> documented_limit(const RestRoute& route) {
    if (route.documented_limit <= 0 || route.documented_window_ms <= 0)
        return std::nullopt;
    return RateLimitInfo{route.documented_limit, route.documented_limit,
                         Millis{route.documented_window_ms}};
}

bool is_transient_status(int status) {
    return status >= 500 || status == 408;
}

std::string reason_for(int status) {
    switch (status) {
    case 400:
        return "bad request";
    case 401:
        return "unauthorized";
    case 402:
        return "plan limit reached";
    case 403:
        return "forbidden";
    case 404:
        return "not found";
    case 408:
        return "request timeout";
    case 409:
        return "conflict";
    case 410:
        return "gone";
    case 416:
        return "range not satisfiable";
    case 422:
        return "invalid request";
    case 429:
        return "rate limited";
    default:
        break;
    }
    if (status >= 500)
        return "server error";
    return "request refused";
}

/// The <Code> of an S3 XML error, if any. Never the rest of the body: S3 signature errors
/// echo the string to sign and the signature.
std::string s3_code(const std::string& body) {
    auto start = body.find("<Code>");
    if (start == std::string::npos)
        return {};
    start += 6;
    auto end = body.find("</Code>", start);
    if (end == std::string::npos || end - start > 64)
        return {};
    std::string code = body.substr(start, end - start);
    bool plain = std::all_of(code.begin(), code.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
    });
    return plain ? code : std::string{};
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size())
        return std::nullopt;
    return v;
}

/// "bytes FIRST-LAST/TOTAL" (TOTAL may be "*").
struct ContentRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::optional<std::uint64_t> total;
};

std::optional<ContentRange> parse_content_range(std::string_view v) {
    if (v.rfind("bytes ", 0) != 0)
        return std::nullopt;
    v.remove_prefix(6);
    auto dash = v.find('-');
    auto slash = v.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) {
        return std::nullopt;
    }
    auto first = parse_int(v.substr(0, dash));
    auto last = parse_int(v.substr(dash + 1, slash - dash - 1));
    if (!first || !last || *first < 0 || *last < *first)
        return std::nullopt;
    ContentRange cr{static_cast<std::uint64_t>(*first), static_cast<std::uint64_t>(*last), {}};
    auto total_text = v.substr(slash + 1);
    if (total_text != "*") {
        auto total = parse_int(total_text);
        if (!total || *total < 0)
            return std::nullopt;
        cr.total = static_cast<std::uint64_t>(*total);
    }
    return cr;
}

/// Counts what reaches the caller's sink and stops a transfer whose second token fired.
class CountingSink final : public net::BodySink {
public:
    CountingSink(net::BodySink& inner, const CancelToken* also) : m_inner(inner), m_also(also) {}
    Status write(std::span<const char> data) override {
        if (m_also && m_also->cancelled())
            return Error{ErrorCode::cancelled, "cancelled"};
        auto r = m_inner.write(data);
        if (r)
            m_bytes += data.size();
        return r;
    }
    [[nodiscard]] std::uint64_t bytes() const { return m_bytes; }

private:
    net::BodySink& m_inner;
    const CancelToken* m_also;
    std::uint64_t m_bytes = 0;
};

/// Passes a body through, stopping when a second cancel token fires.
class CancellableSource final : public net::BodySource {
public:
    CancellableSource(net::BodySource& inner, const CancelToken* also)
        : m_inner(inner), m_also(also) {}
    [[nodiscard]] std::uint64_t size() const override { return m_inner.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        if (m_also && m_also->cancelled())
            return Error{ErrorCode::cancelled, "cancelled"};
        return m_inner.read(buf);
    }
    Status rewind() override { return m_inner.rewind(); }

private:
    net::BodySource& m_inner;
    const CancelToken* m_also;
};

} // namespace

std::string default_user_agent() {
    return std::string("frameio-sync/") + FIOS_VERSION;
}

bool is_create_outcome_unknown(const Error& error) {
    return error.code == ErrorCode::conflict &&
           error.message.find(k_outcome_unknown) != std::string::npos;
}

std::vector<PartRange> compute_part_ranges(std::uint64_t filesize, std::size_t part_count) {
    std::vector<PartRange> parts;
    if (part_count == 0)
        return parts;
    const std::uint64_t n = part_count;
    const std::uint64_t chunk = filesize / n + (filesize % n != 0 ? 1 : 0);
    parts.reserve(part_count);
    for (std::uint64_t i = 0; i < n; ++i) {
        // i * chunk cannot overflow before reaching filesize: chunk <= filesize.
        const std::uint64_t offset = std::min(filesize, i * chunk);
        parts.push_back({offset, std::min(chunk, filesize - offset)});
    }
    return parts;
}

// ---- the client -----------------------------------------------------------------------------

struct RestClient::Impl {
    net::HttpTransport& transport;
    TokenProvider& tokens;
    const Clock& clock;
    net::Sleeper& sleeper;
    RestOptions options;
    RateLimiter limiter;
    net::Jitter jitter;
    std::string base;

    Impl(net::HttpTransport& t, TokenProvider& tp, const Clock& c, net::Sleeper& s, RestOptions o)
        : transport(t), tokens(tp), clock(c), sleeper(s), options(std::move(o)),
          limiter(options.pace_low_water),
          jitter(options.jitter_seed ? net::Jitter(*options.jitter_seed) : net::Jitter()),
          base(options.api_base) {
        while (!base.empty() && base.back() == '/')
            base.pop_back();
    }

    [[nodiscard]] bool cancelled(const CancelToken* also = nullptr) const {
        return (options.cancel && options.cancel->cancelled()) || (also && also->cancelled());
    }

    /// Sends a request on a pre-signed URL and traces it (the URL redacted: its query carries
    /// the signature), success or transport failure alike.
    Result<net::HttpResponse> send_signed(const net::HttpRequest& req, std::string_view method,
                                          std::string_view route, const std::string& url,
                                          int attempt) {
        const auto started = std::chrono::steady_clock::now();
        auto sent = transport.send(req);
        trace(method, route, net::redact_url(url), sent ? sent->status : 0, started, attempt,
              sent ? std::nullopt : std::optional<ErrorCode>(sent.error().code));
        return sent;
    }

    void trace(std::string_view method, std::string_view route, std::string path, int status,
               std::chrono::steady_clock::time_point started, int attempt,
               std::optional<ErrorCode> error) const {
        if (!options.trace)
            return;
        TraceEvent ev;
        ev.method = method;
        ev.route = route;
        ev.path = std::move(path);
        ev.status = status;
        ev.duration =
            std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
        ev.attempt = attempt;
        ev.error = error;
        options.trace(ev);
    }

    /// Waits before retrying `what` after `cause`, telling options.on_retry first.
    Result<bool> wait_to_retry(net::Retrier& retrier, std::string_view what, const Error& cause,
                               std::optional<Millis> server_delay = std::nullopt) const {
        return retrier.wait_before_retry(server_delay, [&](Millis delay, int next) {
            if (options.on_retry)
                options.on_retry(RetryEvent{what, cause, delay, next, retrier.max_attempts()});
        });
    }

    Error http_error(std::string_view what, int status, const std::string& body,
                     std::string_view scope, bool signed_url) const {
        std::string msg = std::string(what) + ": " + reason_for(status) + " (HTTP " +
                          std::to_string(status) + ")";
        if (status == 401 && !signed_url) {
            msg += ": the API rejected the token, also after asking for a fresh one; run "
                   "`frameio-sync login`";
        } else if (status == 403 && !signed_url && !scope.empty()) {
            std::string scopes = "'" + std::string(scope) + "'";
            if (auto bar = scopes.find('|'); bar != std::string::npos) {
                scopes.replace(bar, 1, "' or '");
            }
            msg += ": the token may lack the " + scopes +
                   " scope, or the user has no access to this resource";
        } else if (status == 403 && !signed_url && options.scoped_tokens) {
            msg += ": the token lacks a scope, or the user has no access to this resource";
        } else if (status == 403 && !signed_url) {
            msg += ": the user has no access to this resource, or the account refuses this "
                   "kind of login";
        } else if (status == 403 && signed_url) {
            msg += ": the pre-signed URL was refused (expired, or a header does not match "
                   "its signature); " +
                   options.signed_url_forbidden_hint;
        }
        std::string detail = signed_url             ? s3_code(body)
                             : options.error_detail ? options.error_detail(body)
                                                    : std::string{};
        if (!detail.empty())
            msg += ": " + detail;
        return Error{error_code_for_http_status(status), std::move(msg), status};
    }

    static Error outcome_unknown(const Error& cause) {
        Error e{ErrorCode::conflict,
                std::string(k_outcome_unknown) + ": " + cause.message +
                    "; the request reached the server or may have, so the item may exist: "
                    "list the parent before creating it again",
                cause.http_status};
        return e;
    }

    using CallInfo = RestClient::CallInfo;

    /// One API call with pacing, 401 refresh, 429 backoff and (for reads and idempotent
    /// writes) transient retries. Returns the 2xx response or an error.
    Result<net::HttpResponse> call(const RestRoute& route, const std::string& path,
                                   const std::string& query, const std::string& body,
                                   CallInfo* info = nullptr) {
        const std::string route_key(route.pattern);
        const std::string method(net::to_string(route.method));
        const std::string where = method + " " + path;
        auto token = tokens.access_token();
        if (!token)
            return token.error().with_context(where);

        net::Retrier transient(options.transient_retry, clock, sleeper, jitter, options.cancel);
        net::Retrier limited(options.rate_limit_retry, clock, sleeper, jitter, options.cancel);
        bool refreshed = false;
        int attempt = 0;
        while (true) {
            ++attempt;
            if (cancelled())
                return Error{ErrorCode::cancelled, where + ": cancelled"};
            if (options.pace_requests) {
                Millis wait = limiter.reserve(route_key, clock.now(), documented_limit(route));
                if (wait.count() > 0) {
                    auto slept = sleeper.sleep_for(wait, options.cancel);
                    if (!slept) {
                        limiter.complete(route_key, std::nullopt, clock.now());
                        return slept.error().with_context(where);
                    }
                }
            }
            net::HttpRequest req;
            req.method = route.method;
            req.url = base + path + (query.empty() ? "" : "?" + query);
            req.headers.emplace_back("Authorization", "Bearer " + *token);
            req.headers.emplace_back("Accept", "application/json");
            req.headers.emplace_back("User-Agent", options.user_agent);
            for (const auto& h : options.api_headers)
                req.headers.push_back(h);
            if (!body.empty()) {
                req.headers.emplace_back("Content-Type", "application/json");
                req.body = body;
            }
            req.total_timeout = options.api_timeout;
            req.cancel = options.cancel;
            req.follow_redirects = false;

            const auto started = std::chrono::steady_clock::now();
            auto sent = transport.send(req);
            if (options.pace_requests) {
                limiter.complete(route_key, sent ? read_rate_limit(*sent) : std::nullopt,
                                 clock.now());
            }
            if (!sent) {
                const Error& e = sent.error();
                trace(method, route.pattern, path, 0, started, attempt, e.code);
                if (e.code == ErrorCode::cancelled || !e.retryable())
                    return e;
                // A create that never reached the server is retried like any request.
                if (route.kind == CallKind::create && !e.request_not_sent)
                    return outcome_unknown(e);
                if (info)
                    info->earlier_attempt_unanswered = true;
                auto again = wait_to_retry(transient, where, e);
                if (!again)
                    return again.error().with_context(where);
                if (*again)
                    continue;
                return e;
            }
            net::HttpResponse& resp = *sent;
            trace(method, route.pattern, path, resp.status, started, attempt, std::nullopt);
            const int status = resp.status;
            if (auto detour = net::detour_error(resp, where, "the API at " + base, k_detour_hint))
                return *detour;
            if (status >= 200 && status < 300)
                return std::move(resp);

            if (status == 401 && !refreshed) {
                // The token was refused before anything happened: safe to repeat any call.
                refreshed = true;
                auto fresh = tokens.refresh_after_unauthorized(*token);
                if (!fresh)
                    return fresh.error().with_context(where);
                token = std::move(fresh);
                continue;
            }
            if (status == 429) {
                // Refused before processing, so creates may be retried too.
                limiter.refused(route_key, clock.now());
                std::optional<Millis> server_delay;
                if (auto ra = resp.header("retry-after")) {
                    server_delay = net::parse_retry_after(*ra, clock.now());
                }
                Error e = http_error(where, status, resp.body, route.scope, false);
                auto again = wait_to_retry(limited, where, e, server_delay);
                if (!again)
                    return again.error().with_context(where);
                if (*again)
                    continue;
                e.message += " (gave up after " + std::to_string(limited.attempts()) + " attempts)";
                e.retry_after = server_delay;
                return e;
            }
            if (is_transient_status(status)) {
                Error e = http_error(where, status, resp.body, route.scope, false);
                if (route.kind == CallKind::create)
                    return outcome_unknown(e);
                if (info)
                    info->earlier_attempt_unanswered = true;
                auto again = wait_to_retry(transient, where, e);
                if (!again)
                    return again.error().with_context(where);
                if (*again)
                    continue;
                return e;
            }
            return http_error(where, status, resp.body, route.scope, false);
        }
    }
};

RestClient::RestClient(net::HttpTransport& transport, TokenProvider& tokens, const Clock& clock,
                       net::Sleeper& sleeper, RestOptions options)
    : m_impl(std::make_unique<Impl>(transport, tokens, clock, sleeper, std::move(options))) {}

RestClient::~RestClient() = default;

Result<net::HttpResponse> RestClient::call(const RestRoute& route, const std::string& path,
                                           const std::string& query, const std::string& body,
                                           CallInfo* info) {
    return m_impl->call(route, path, query, body, info);
}

bool RestClient::cancelled(const CancelToken* also) const {
    return m_impl->cancelled(also);
}

const RateLimiter& RestClient::rate_limiter() const {
    return m_impl->limiter;
}

const RestOptions& RestClient::options() const {
    return m_impl->options;
}

Status RestClient::upload_part(const std::string& upload_url,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               net::BodySource& body, const CancelToken* cancel) {
    Impl& impl = *m_impl;
    const std::string where = "PUT " + net::redact_url(upload_url);
    // The transport watches one request token; the other one is watched between reads.
    CancellableSource source(body, cancel ? impl.options.cancel : nullptr);
    net::Retrier retrier(impl.options.transient_retry, impl.clock, impl.sleeper, impl.jitter,
                         impl.options.cancel, cancel);
    int attempt = 0;
    while (true) {
        ++attempt;
        if (impl.cancelled(cancel))
            return Error{ErrorCode::cancelled, where + ": cancelled"};
        net::HttpRequest req;
        req.method = Method::put;
        req.url = upload_url;
        // Exactly the headers the URL was signed for; no Authorization (docs 3.6).
        req.headers = headers;
        req.headers.emplace_back("User-Agent", impl.options.user_agent);
        req.upload = &source;
        req.cancel = cancel ? cancel : impl.options.cancel;
        auto sent = impl.send_signed(req, "PUT", k_upload_route, upload_url, attempt);
        std::optional<Error> failure;
        if (!sent) {
            failure = sent.error();
        } else {
            const int status = sent->status;
            if (status >= 200 && status < 300)
                return {};
            failure = impl.http_error(where, status, sent->body, {}, true);
            if (status == 429)
                failure->code = ErrorCode::rate_limited;
        }
        if (!failure->retryable() || failure->code == ErrorCode::cancelled)
            return *failure;
        std::optional<Millis> server_delay;
        if (sent) {
            if (auto ra = sent->header("retry-after")) {
                server_delay = net::parse_retry_after(*ra, impl.clock.now());
            }
        }
        auto again = impl.wait_to_retry(retrier, where, *failure, server_delay);
        if (!again)
            return again.error().with_context(where);
        if (!*again)
            return *failure;
    }
}

Result<DownloadResult> RestClient::download(const std::string& url, std::optional<ByteRange> range,
                                            net::BodySink& sink, const CancelToken* cancel) {
    Impl& impl = *m_impl;
    const std::string where = "GET " + net::redact_url(url);
    if (range && range->last < range->first) {
        return Error{ErrorCode::internal, where + ": empty byte range"};
    }
    CountingSink counting(sink, cancel ? impl.options.cancel : nullptr);
    net::Retrier retrier(impl.options.transient_retry, impl.clock, impl.sleeper, impl.jitter,
                         impl.options.cancel, cancel);
    int attempt = 0;
    while (true) {
        ++attempt;
        if (impl.cancelled(cancel))
            return Error{ErrorCode::cancelled, where + ": cancelled"};
        net::HttpRequest req;
        req.method = Method::get;
        req.url = url;
        req.headers.emplace_back("User-Agent", impl.options.user_agent);
        if (range) {
            req.headers.emplace_back("Range", "bytes=" + std::to_string(range->first) + "-" +
                                                  std::to_string(range->last));
            // Anything but 206 must not reach the sink: a 200 would be the whole object.
            req.download_status = 206;
        }
        req.download = &counting;
        req.cancel = cancel ? cancel : impl.options.cancel;
        auto sent = impl.send_signed(req, "GET", k_download_route, url, attempt);
        std::optional<Error> failure;
        if (!sent) {
            failure = sent.error();
        } else {
            const int status = sent->status;
            if (range && status == 206) {
                auto cr_text = sent->header("content-range");
                auto cr = cr_text ? parse_content_range(*cr_text) : std::nullopt;
                if (!cr || cr->first != range->first) {
                    return Error{ErrorCode::parse,
                                 where + ": 206 response without a matching Content-Range"};
                }
                if (counting.bytes() != cr->last - cr->first + 1) {
                    return Error{ErrorCode::network, where + ": the range ended after " +
                                                         std::to_string(counting.bytes()) +
                                                         " bytes"};
                }
                return DownloadResult{status, counting.bytes(), cr->total};
            }
            if (range && status >= 200 && status < 300) {
                return Error{ErrorCode::invalid_request,
                             where + ": the server ignored the Range header (HTTP " +
                                 std::to_string(status) + ")"};
            }
            if (!range && status >= 200 && status < 300) {
                return DownloadResult{status, counting.bytes(), counting.bytes()};
            }
            failure = impl.http_error(where, status, sent->body, {}, true);
        }
        // Bytes already in the sink cannot be taken back: the caller resumes with a range.
        if (!failure->retryable() || failure->code == ErrorCode::cancelled ||
            counting.bytes() > 0) {
            return *failure;
        }
        auto again = impl.wait_to_retry(retrier, where, *failure);
        if (!again)
            return again.error().with_context(where);
        if (!*again)
            return *failure;
    }
}

} // namespace fios::api
