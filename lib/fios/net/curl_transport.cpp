// SPDX-License-Identifier: MIT
#include "fios/net/curl_transport.hpp"

#include "fios/net/transfer_watch.hpp"
#include "fios/net/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

namespace fios::net {
namespace {

// ---- libcurl global state ------------------------------------------------------------------

/// curl_global_init once per process, before any handle exists (never cleaned up: other
/// libraries in the process may use libcurl too).
bool global_init() {
    static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    return ok;
}

// ---- RAII pieces ----------------------------------------------------------------------------

/// One easy handle with its own multi handle. The multi handle owns the connection cache, so
/// connections stay open between transfers on this pair; driving the transfer through
/// curl_multi_poll also lets us check cancel tokens every `cancel_poll`.
struct Handle {
    CURL* easy = nullptr;
    CURLM* multi = nullptr;
    Handle() : easy(curl_easy_init()), multi(curl_multi_init()) {}
    ~Handle() {
        if (easy)
            curl_easy_cleanup(easy);
        if (multi)
            curl_multi_cleanup(multi);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    [[nodiscard]] bool valid() const { return easy && multi; }
};

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

/// Removes every occurrence of `secret` from `text`.
void scrub(std::string& text, std::string_view secret, std::string_view replacement) {
    if (secret.empty())
        return;
    std::size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
        text.replace(pos, secret.size(), replacement);
        pos += replacement.size();
    }
}

// ---- one transfer ---------------------------------------------------------------------------

struct Transfer {
    const HttpRequest& request;
    const CurlTransportOptions& options;
    CURL* easy;
    HttpResponse response;
    std::optional<Error> failure; ///< set by a callback that aborted the transfer
    // Request body state.
    std::uint64_t body_size = 0;
    std::uint64_t body_sent = 0;
    // What has arrived, for the deadlines: header bytes (of every response, redirects
    // included) and body bytes as libcurl handed them over.
    std::uint64_t header_bytes = 0;
    std::uint64_t body_received = 0;

    [[nodiscard]] bool cancelled() const {
        return (request.cancel && request.cancel->cancelled()) ||
               (options.cancel && options.cancel->cancelled());
    }
    [[nodiscard]] std::string where() const {
        return std::string(to_string(request.method)) + " " + redact_url(request.url);
    }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t n = size * count;
    t.header_bytes += n;
    std::string_view line(data, n);
    if (line.rfind("HTTP/", 0) == 0) {
        // A new response starts (after 100 Continue, a redirect or a proxy CONNECT): only the
        // final response's headers are reported.
        t.response.headers.clear();
        return n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return n; // blank line or folded garbage
    t.response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                    std::string(trim(line.substr(colon + 1))));
    return n;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t n = size * count;
    t.body_received += n;
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    const bool success = status >= 200 && status < 300;
    const bool to_sink =
        t.request.download != nullptr &&
        (t.request.download_status != 0 ? status == t.request.download_status : success);
    if (to_sink) {
        auto written = t.request.download->write(std::span<const char>(data, n));
        if (!written) {
            t.failure = written.error().with_context(t.where() + ": writing the response body");
            return 0; // makes libcurl stop with CURLE_WRITE_ERROR
        }
        return n;
    }
    auto& body = t.response.body;
    if (success && t.request.download == nullptr) {
        if (body.size() + n > t.options.max_body) {
            t.failure = Error{ErrorCode::parse, t.where() + ": response body larger than " +
                                                    std::to_string(t.options.max_body) + " bytes"};
            return 0;
        }
        body.append(data, n);
        return n;
    }
    // An error body (or an unexpected status for a streamed request): diagnostic only, so
    // keep its beginning and drop the rest without failing.
    if (body.size() < t.options.max_error_body) {
        body.append(data, std::min(n, t.options.max_error_body - body.size()));
    }
    return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t capacity = size * count;
    const std::uint64_t left = t.body_size - t.body_sent;
    const size_t want = static_cast<size_t>(std::min<std::uint64_t>(capacity, left));
    if (want == 0)
        return 0;
    size_t got = 0;
    if (t.request.upload) {
        auto r = t.request.upload->read(std::span<char>(buffer, want));
        if (!r) {
            t.failure = r.error().with_context(t.where() + ": reading the request body");
            return CURL_READFUNC_ABORT;
        }
        got = *r;
        if (got > want) {
            t.failure = Error{ErrorCode::internal,
                              t.where() + ": body source returned more bytes than asked for"};
            return CURL_READFUNC_ABORT;
        }
        if (got == 0) {
            t.failure = Error{ErrorCode::io, t.where() + ": the request body ended after " +
                                                 std::to_string(t.body_sent) + " of " +
                                                 std::to_string(t.body_size) + " bytes"};
            return CURL_READFUNC_ABORT;
        }
    } else {
        const auto& body = t.request.body;
        got = want;
        std::memcpy(buffer, body.data() + t.body_sent, got);
    }
    t.body_sent += got;
    return got;
}

int on_seek(void* user, curl_off_t offset, int origin) {
    auto& t = *static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset != 0)
        return CURL_SEEKFUNC_CANTSEEK;
    if (t.request.upload) {
        auto r = t.request.upload->rewind();
        if (!r) {
            t.failure = r.error().with_context(t.where() + ": rewinding the request body");
            return CURL_SEEKFUNC_FAIL;
        }
    }
    t.body_sent = 0;
    return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto& t = *static_cast<Transfer*>(user);
    return t.cancelled() ? 1 : 0; // non-zero aborts with CURLE_ABORTED_BY_CALLBACK
}

/// Feeds the watch what libcurl has done so far; the error that ends the transfer when it is
/// overdue (ErrorCode::timeout, retryable).
std::optional<Error> check_deadlines(TransferWatch& watch, const Transfer& t) {
    curl_off_t pretransfer = 0;
    curl_off_t uploaded = 0;
    curl_easy_getinfo(t.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    curl_easy_getinfo(t.easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    const auto up = static_cast<std::uint64_t>(std::max<curl_off_t>(0, uploaded));
    // Sent: libcurl began sending (pretransfer) and the whole body went out.
    const bool sent = pretransfer > 0 && up >= t.body_size;
    const bool answered = t.header_bytes > 0;
    auto late = watch.overdue(TransferWatch::Clock::now(), sent, answered,
                              up + t.header_bytes + t.body_received);
    if (!late)
        return std::nullopt;
    return Error{ErrorCode::timeout, t.where() + ": " + *late};
}

bool has_header(const HttpRequest& r, std::string_view name) {
    return std::any_of(r.headers.begin(), r.headers.end(),
                       [&](const auto& h) { return lower(h.first) == lower(name); });
}

bool safe_header_text(std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
}

Error error_for(CURLcode code, const Transfer& t, std::string detail) {
    // libcurl's messages name hosts and ports, never the query; scrub it anyway.
    auto q = t.request.url.find('?');
    if (q != std::string::npos) {
        scrub(detail, t.request.url, redact_url(t.request.url));
        scrub(detail, std::string_view(t.request.url).substr(q), "?<redacted>");
    }
    if (detail.empty())
        detail = curl_easy_strerror(code);
    const std::string where = t.where();
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return Error{ErrorCode::timeout, where + ": timed out (" + detail + ")"};
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return Error{ErrorCode::invalid_config,
                     where + ": TLS certificate verification failed (" + detail +
                         "); check the system CA store, or a proxy that intercepts TLS"};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return Error{ErrorCode::invalid_config, where + ": bad URL (" + detail + ")"};
    case CURLE_TOO_MANY_REDIRECTS:
        return Error{ErrorCode::invalid_request, where + ": too many redirects"};
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
        return Error{ErrorCode::internal, where + ": libcurl: " + detail};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: {
        Error e{ErrorCode::network, where + ": cannot resolve host (" + detail + ")"};
        e.request_not_sent = true;
        return e;
    }
    case CURLE_COULDNT_CONNECT: {
        Error e{ErrorCode::network, where + ": cannot connect (" + detail + ")"};
        e.request_not_sent = true;
        return e;
    }
    default:
        return Error{ErrorCode::network, where + ": " + detail};
    }
}

// ---- share locks ----------------------------------------------------------------------------

struct ShareLocks {
    std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes;
};

void share_lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    auto& locks = *static_cast<ShareLocks*>(user);
    locks.mutexes[static_cast<std::size_t>(data)].lock();
}

void share_unlock(CURL*, curl_lock_data data, void* user) {
    auto& locks = *static_cast<ShareLocks*>(user);
    locks.mutexes[static_cast<std::size_t>(data)].unlock();
}

} // namespace

// ---- the transport --------------------------------------------------------------------------

struct CurlTransport::Impl {
    CurlTransportOptions options;
    ShareLocks locks;
    CURLSH* share = nullptr;
    mutable std::mutex pool_mutex;
    std::vector<std::unique_ptr<Handle>> idle; // LIFO: the warmest connection first
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> handles{0};

    ~Impl() {
        idle.clear(); // closes the pooled connections before the share goes away
        if (share)
            curl_share_cleanup(share);
    }

    std::unique_ptr<Handle> acquire() {
        {
            std::lock_guard lock(pool_mutex);
            if (!idle.empty()) {
                auto h = std::move(idle.back());
                idle.pop_back();
                return h;
            }
        }
        auto h = std::make_unique<Handle>();
        if (!h->valid())
            return nullptr;
        handles.fetch_add(1, std::memory_order_relaxed);
        return h;
    }

    void release(std::unique_ptr<Handle> h) {
        std::lock_guard lock(pool_mutex);
        if (idle.size() < options.max_idle_handles)
            idle.push_back(std::move(h));
        // else: destroyed here, closing its connections
    }

    Status configure(Transfer& t, std::array<char, CURL_ERROR_SIZE>& errbuf, Slist& headers) {
        const HttpRequest& r = t.request;
        CURL* e = t.easy;
        curl_easy_reset(e);
        curl_easy_setopt(e, CURLOPT_SHARE, share);
        curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf.data());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (options.ca_file)
            curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file->c_str());
        if (options.proxy)
            curl_easy_setopt(e, CURLOPT_PROXY, options.proxy->c_str());
        if (options.no_proxy)
            curl_easy_setopt(e, CURLOPT_NOPROXY, options.no_proxy->c_str());
        curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options.connect_timeout.count()));
        if (r.total_timeout.count() > 0) {
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
        }
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, options.buffer_size);
        curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, options.buffer_size);
        if (options.follow_redirects && r.follow_redirects) {
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
            curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        }
        curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
        // Streamed downloads must arrive byte for byte (ranges index the original object);
        // in-memory bodies (JSON listings) may be compressed.
        if (!r.download)
            curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");

        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);

        // Headers: the caller's, then an empty Expect to skip the 100-continue round trip.
        curl_slist* list = nullptr;
        for (const auto& [name, value] : r.headers) {
            if (name.empty() || !safe_header_text(name) || !safe_header_text(value) ||
                name.find(':') != std::string::npos) {
                return Error{ErrorCode::internal,
                             t.where() + ": refusing a header with CR, LF or ':' in its name"};
            }
            // "Name;" is libcurl's syntax for a header with an empty value.
            std::string line = value.empty() ? name + ";" : name + ": " + value;
            curl_slist* next = curl_slist_append(list, line.c_str());
            if (!next) {
                curl_slist_free_all(list);
                return Error{ErrorCode::internal, "out of memory building headers"};
            }
            list = next;
        }
        if (!has_header(r, "Expect")) {
            curl_slist* next = curl_slist_append(list, "Expect:");
            if (next)
                list = next;
        }
        headers.reset(list);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());

        const bool has_body = r.upload != nullptr || !r.body.empty();
        t.body_size = r.upload ? r.upload->size() : r.body.size();
        auto use_reader = [&] {
            curl_easy_setopt(e, CURLOPT_READFUNCTION, &on_read);
            curl_easy_setopt(e, CURLOPT_READDATA, &t);
            curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, &on_seek);
            curl_easy_setopt(e, CURLOPT_SEEKDATA, &t);
        };
        switch (r.method) {
        case Method::get:
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
            break;
        case Method::post:
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body_size));
            use_reader();
            break;
        case Method::put:
            curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.body_size));
            use_reader();
            break;
        case Method::del:
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
            if (has_body) {
                curl_easy_setopt(e, CURLOPT_POST, 1L);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                 static_cast<curl_off_t>(t.body_size));
                use_reader();
            } else {
                curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
            }
            break;
        }
        return {};
    }

    Result<HttpResponse> send(const HttpRequest& request) {
        Transfer t{request, options, nullptr, {}, std::nullopt, 0, 0, 0, 0};
        if (t.cancelled())
            return Error{ErrorCode::cancelled, t.where() + ": cancelled"};
        if (request.upload && !request.body.empty()) {
            return Error{ErrorCode::internal, t.where() + ": both a body and a body source"};
        }
        if (request.upload) {
            auto rewound = request.upload->rewind();
            if (!rewound) {
                return rewound.error().with_context(t.where() + ": rewinding the request body");
            }
        }
        auto handle = acquire();
        if (!handle)
            return Error{ErrorCode::internal, t.where() + ": cannot create a curl handle"};
        t.easy = handle->easy;
        requests.fetch_add(1, std::memory_order_relaxed);

        std::array<char, CURL_ERROR_SIZE> errbuf{};
        Slist headers;
        if (auto configured = configure(t, errbuf, headers); !configured) {
            release(std::move(handle));
            return configured.error();
        }

        CURLcode code = CURLE_OK;
        bool aborted_by_us = false;
        if (curl_multi_add_handle(handle->multi, t.easy) != CURLM_OK) {
            return Error{ErrorCode::internal, t.where() + ": curl_multi_add_handle failed"};
        }
        const int poll_ms = static_cast<int>(std::max<long>(1, options.cancel_poll.count()));
        TransferWatch watch({options.first_byte_timeout, options.min_rate, options.rate_window},
                            TransferWatch::Clock::now());
        while (true) {
            int running = 0;
            CURLMcode mc = curl_multi_perform(handle->multi, &running);
            if (mc != CURLM_OK) {
                code = CURLE_FAILED_INIT;
                std::snprintf(errbuf.data(), errbuf.size(), "%s", curl_multi_strerror(mc));
                break;
            }
            if (running == 0) {
                int queued = 0;
                while (CURLMsg* msg = curl_multi_info_read(handle->multi, &queued)) {
                    if (msg->msg == CURLMSG_DONE && msg->easy_handle == t.easy) {
                        code = msg->data.result;
                    }
                }
                break;
            }
            if (t.cancelled()) {
                aborted_by_us = true;
                break;
            }
            // Checked at least every poll_ms: curl_multi_poll returns by then.
            if (auto late = check_deadlines(watch, t)) {
                t.failure = std::move(late);
                break;
            }
            mc = curl_multi_poll(handle->multi, nullptr, 0, poll_ms, nullptr);
            if (mc != CURLM_OK) {
                code = CURLE_FAILED_INIT;
                std::snprintf(errbuf.data(), errbuf.size(), "%s", curl_multi_strerror(mc));
                break;
            }
        }
        // Removing a running transfer aborts it and closes its connection.
        curl_multi_remove_handle(handle->multi, t.easy);
        long connects = 0;
        curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &connects);
        if (connects > 0)
            connections.fetch_add(static_cast<std::uint64_t>(connects));
        long status = 0;
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        // The handle must not keep pointers into this stack frame.
        curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, nullptr);
        curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, nullptr);
        release(std::move(handle));

        if (aborted_by_us || (code == CURLE_ABORTED_BY_CALLBACK && !t.failure)) {
            return Error{ErrorCode::cancelled, t.where() + ": cancelled"};
        }
        if (t.failure)
            return *t.failure;
        if (code != CURLE_OK)
            return error_for(code, t, std::string(errbuf.data()));
        t.response.status = static_cast<int>(status);
        return std::move(t.response);
    }
};

CurlTransport::CurlTransport(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CurlTransport::~CurlTransport() = default;

Result<std::unique_ptr<CurlTransport>> CurlTransport::create(CurlTransportOptions options) {
    if (!global_init())
        return Error{ErrorCode::internal, "curl_global_init failed"};
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->share = curl_share_init();
    if (!impl->share)
        return Error{ErrorCode::internal, "curl_share_init failed"};
    curl_share_setopt(impl->share, CURLSHOPT_LOCKFUNC, &share_lock);
    curl_share_setopt(impl->share, CURLSHOPT_UNLOCKFUNC, &share_unlock);
    curl_share_setopt(impl->share, CURLSHOPT_USERDATA, &impl->locks);
    curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (impl->options.share_tls_sessions && info && info->version_num < 0x080900) {
        curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(impl)));
}

Result<HttpResponse> CurlTransport::send(const HttpRequest& request) {
    return m_impl->send(request);
}

TransportStats CurlTransport::stats() const {
    TransportStats s;
    s.requests = m_impl->requests.load();
    s.connections_opened = m_impl->connections.load();
    s.handles_created = m_impl->handles.load();
    return s;
}

} // namespace fios::net
