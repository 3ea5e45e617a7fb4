// SPDX-License-Identifier: MIT
#pragma once

#include "support/process.hpp"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace fios::test {

/// A cpp-httplib server on 127.0.0.1 (free port) running on its own thread for the lifetime
/// of the object. Configure routes on server() before start(). For tests that need a server
/// the emulator cannot play (a redirecting proxy, a captive portal, a stall, a trickle); a test
/// that includes it links PkgConfig::HTTPLIB.
class LocalServer {
public:
    LocalServer() {
        m_server.set_keep_alive_max_count(1000);
        m_server.set_keep_alive_timeout(30);
    }
    ~LocalServer() { stop(); }
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;

    httplib::Server& server() { return m_server; }

    void start() {
        m_port = m_server.bind_to_any_port("127.0.0.1");
        if (m_port <= 0)
            throw std::runtime_error("cannot bind a loopback port");
        m_thread = std::thread([this] { m_server.listen_after_bind(); });
        if (!wait_until([this] { return m_server.is_running(); })) {
            throw std::runtime_error("loopback server did not start");
        }
    }
    void stop() {
        if (m_thread.joinable()) {
            m_server.stop();
            m_thread.join();
        }
    }
    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }

private:
    httplib::Server m_server;
    std::thread m_thread;
    int m_port = 0;
};

/// Lets a handler block until the test releases it (with a deadline, so no test can hang).
class Gate {
public:
    void wait() {
        std::unique_lock lock(m_mutex);
        m_entered = true;
        m_cv.notify_all();
        m_cv.wait_for(lock, std::chrono::seconds(30), [&] { return m_open; });
    }
    void open() {
        std::lock_guard lock(m_mutex);
        m_open = true;
        m_cv.notify_all();
    }
    bool entered() {
        std::lock_guard lock(m_mutex);
        return m_entered;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
    bool m_entered = false;
};

} // namespace fios::test
