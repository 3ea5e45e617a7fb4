// SPDX-License-Identifier: MIT
#pragma once

#include "fios/net/http.hpp"

#include <functional>
#include <mutex>
#include <vector>

namespace fios::test {

/// An in-memory HttpTransport: answers with `handler`, records every request. Thread-safe.
class FakeTransport final : public net::HttpTransport {
public:
    using Handler = std::function<Result<net::HttpResponse>(const net::HttpRequest&)>;
    explicit FakeTransport(Handler handler) : m_handler(std::move(handler)) {}

    Result<net::HttpResponse> send(const net::HttpRequest& request) override {
        {
            std::lock_guard lock(m_mutex);
            m_requests.push_back(request);
        }
        return m_handler(request);
    }

    [[nodiscard]] std::vector<net::HttpRequest> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }
    [[nodiscard]] std::size_t count() const {
        std::lock_guard lock(m_mutex);
        return m_requests.size();
    }

private:
    Handler m_handler;
    mutable std::mutex m_mutex;
    std::vector<net::HttpRequest> m_requests;
};

inline net::HttpResponse json_response(int status, std::string body) {
    net::HttpResponse r;
    r.status = status;
    r.headers = {{"content-type", "application/json"}};
    r.body = std::move(body);
    return r;
}

} // namespace fios::test
