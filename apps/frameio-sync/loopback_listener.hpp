// SPDX-License-Identifier: MIT
#pragma once

#include "output.hpp"

#include "fios/core/cancel.hpp"
#include "fios/core/result.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace fios::cli {

/// The parts of an OAuth redirect URI that the login listener needs.
struct RedirectUri {
    std::string scheme; ///< "http"
    std::string host;   ///< as written: 127.0.0.1, localhost, [::1], or a server's name
    int port = 80;      ///< 0 means "pick a free port"
    std::string path;   ///< "/" when empty
    /// True for http://127.0.0.1, http://localhost and http://[::1]: only then does the CLI
    /// listen for the redirect; otherwise the user pastes the redirected URL.
    [[nodiscard]] bool loopback() const;
    /// The URI with `actual_port` in place of the port (for port 0).
    [[nodiscard]] std::string with_port(int actual_port) const;
};

Result<RedirectUri> parse_redirect_uri(const std::string& uri);

/// Listens on a loopback address for exactly one OAuth redirect, then closes.
/// Answers only the redirect's path (with code or error in the query); every other request
/// gets a 404 and is otherwise ignored. Never binds a non-loopback address.
class LoopbackListener {
public:
    static Result<LoopbackListener> bind(const RedirectUri& uri);
    LoopbackListener(LoopbackListener&& other) noexcept;
    LoopbackListener& operator=(LoopbackListener&&) = delete;
    LoopbackListener(const LoopbackListener&) = delete;
    ~LoopbackListener();

    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] int fd() const { return m_fd; }

    /// Handles one pending connection. Returns the full redirected URL when it was the
    /// redirect, std::nullopt when it was something else (answered 404). The page shown in
    /// the browser says whether the login went on: an error redirect or a `state` other than
    /// `expected_state` is reported there as a failure (the caller refuses it too).
    std::optional<std::string> handle_one_connection(const std::string& expected_path,
                                                     const std::string& expected_state);

private:
    LoopbackListener(int fd, int port, std::string host)
        : m_fd(fd), m_port(port), m_host(std::move(host)) {}
    int m_fd = -1;
    int m_port = 0;
    std::string m_host;
};

/// What a pasted line must look like to be taken.
enum class PasteRule {
    redirect_url, ///< the redirected URL: a line containing `code=` or `error=` (V2)
    url_or_code,  ///< any non-empty line: the URL or just the code (V4; the caller parses it)
};

/// Waits until the redirect reaches `listener` (when given) or the user pastes a line that
/// `rule` accepts on standard input, whichever comes first. Returns the URL or the pasted
/// line. Errors: timeout, cancelled, or stdin closed with no listener.
Result<std::string> wait_for_redirect(LoopbackListener* listener, const std::string& path,
                                      const std::string& expected_state, int stdin_fd,
                                      std::chrono::seconds timeout, const CancelToken& cancel,
                                      PasteRule rule = PasteRule::redirect_url);

/// Opens `url` with xdg-open when there is a display (DISPLAY or WAYLAND_DISPLAY); on a
/// headless machine does nothing (the user opens the printed URL elsewhere and pastes).
void open_browser(const Output& out, const std::string& url);

} // namespace fios::cli
