// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/token_provider.hpp"
#include "fios/net/http.hpp"

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace fios::test {

/// What the fake transport saw of one request.
struct RecordedRequest {
    net::Method method = net::Method::get;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body; ///< the in-memory body, or everything read from `upload`
    bool streamed_download = false;
    int download_status = 0;

    [[nodiscard]] std::optional<std::string> header(const std::string& name) const {
        for (const auto& [k, v] : headers) {
            if (k.size() == name.size() &&
                std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                return v;
            }
        }
        return std::nullopt;
    }
    /// The URL's query string ("" when none).
    [[nodiscard]] std::string query() const {
        auto q = url.find('?');
        return q == std::string::npos ? std::string{} : url.substr(q + 1);
    }
};

inline net::HttpResponse response(int status, std::string body = {},
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

/// A scripted HttpTransport: answers from a queue (first) or a handler, records every
/// request, and streams 2xx bodies to the request's sink as a real transport would.
class FakeTransport final : public net::HttpTransport {
public:
    using Handler = std::function<Result<net::HttpResponse>(const RecordedRequest&)>;

    void push(Result<net::HttpResponse> r) {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(std::move(r));
    }
    void on(Handler h) {
        std::lock_guard lock(m_mutex);
        m_handler = std::move(h);
    }

    Result<net::HttpResponse> send(const net::HttpRequest& req) override {
        RecordedRequest rec;
        rec.method = req.method;
        rec.url = req.url;
        rec.headers = req.headers;
        rec.streamed_download = req.download != nullptr;
        rec.download_status = req.download_status;
        if (req.upload) {
            auto rewound = req.upload->rewind();
            if (!rewound)
                return rewound.error();
            char buf[4096];
            while (true) {
                auto n = req.upload->read(std::span<char>(buf, sizeof buf));
                if (!n)
                    return n.error();
                if (*n == 0)
                    break;
                rec.body.append(buf, *n);
            }
        } else {
            rec.body = req.body;
        }
        Result<net::HttpResponse> result = Error{ErrorCode::internal, "fake: no response scripted"};
        {
            std::lock_guard lock(m_mutex);
            m_requests.push_back(rec);
            if (!m_queue.empty()) {
                result = std::move(m_queue.front());
                m_queue.pop_front();
            } else if (m_handler) {
                Handler h = m_handler;
                result = h(rec);
            }
        }
        if (result && req.download) {
            const int s = result->status;
            bool to_sink = req.download_status ? s == req.download_status : (s >= 200 && s < 300);
            if (to_sink) {
                auto w = req.download->write(
                    std::span<const char>(result->body.data(), result->body.size()));
                if (!w)
                    return w.error();
                result->body.clear();
            }
        }
        return result;
    }

    [[nodiscard]] std::vector<RecordedRequest> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }
    [[nodiscard]] std::size_t count() const {
        std::lock_guard lock(m_mutex);
        return m_requests.size();
    }

private:
    mutable std::mutex m_mutex;
    std::deque<Result<net::HttpResponse>> m_queue;
    Handler m_handler;
    std::vector<RecordedRequest> m_requests;
};

/// Tokens "token-1", "token-2", ...: each refresh moves to the next one.
class CountingTokens final : public api::TokenProvider {
public:
    Result<std::string> access_token() override {
        std::lock_guard lock(m_mutex);
        return "token-" + std::to_string(m_generation);
    }
    Result<std::string> refresh_after_unauthorized(const std::string&) override {
        std::lock_guard lock(m_mutex);
        ++m_refreshes;
        if (m_fail_refresh) {
            return Error{ErrorCode::unauthorized, "refresh failed; run `frameio-sync login`"};
        }
        ++m_generation;
        return "token-" + std::to_string(m_generation);
    }
    int refreshes() {
        std::lock_guard lock(m_mutex);
        return m_refreshes;
    }
    void fail_refresh() { m_fail_refresh = true; }

private:
    std::mutex m_mutex;
    int m_generation = 1;
    int m_refreshes = 0;
    bool m_fail_refresh = false;
};

} // namespace fios::test
