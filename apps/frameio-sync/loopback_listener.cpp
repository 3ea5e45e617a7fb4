// SPDX-License-Identifier: MIT
#include "loopback_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <string_view>
#include <sys/socket.h>

extern char** environ;

namespace fios::cli {
namespace {

Error usage_error(const std::string& msg) {
    return Error{ErrorCode::invalid_config, msg};
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void respond(int fd, int status, std::string_view reason, std::string_view body) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                       "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    write_all(fd, head);
    write_all(fd, body);
}

} // namespace

bool RedirectUri::loopback() const {
    return scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "[::1]");
}

std::string RedirectUri::with_port(int actual_port) const {
    return scheme + "://" + host + ":" + std::to_string(actual_port) + path;
}

Result<RedirectUri> parse_redirect_uri(const std::string& uri) {
    RedirectUri out;
    auto scheme_end = uri.find("://");
    if (scheme_end == std::string::npos) {
        return usage_error("redirect URI '" + uri +
                           "' has no scheme; use e.g. http://127.0.0.1:8080");
    }
    out.scheme = uri.substr(0, scheme_end);
    if (out.scheme != "http" && out.scheme != "https") {
        return usage_error("redirect URI '" + uri + "' must start with http:// or https://");
    }
    std::string rest = uri.substr(scheme_end + 3);
    auto path_start = rest.find_first_of("/?#");
    std::string authority = rest.substr(0, path_start);
    out.path = path_start == std::string::npos ? "/" : rest.substr(path_start);
    if (auto q = out.path.find_first_of("?#"); q != std::string::npos)
        out.path.resize(q);
    if (out.path.empty())
        out.path = "/";
    std::string port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos)
            return usage_error("redirect URI '" + uri + "': bad IPv6 host");
        out.host = authority.substr(0, close + 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') {
            port_text = authority.substr(close + 2);
        }
    } else {
        auto colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string::npos)
            port_text = authority.substr(colon + 1);
    }
    if (out.host.empty())
        return usage_error("redirect URI '" + uri + "' has no host");
    if (port_text.empty()) {
        out.port = out.scheme == "https" ? 443 : 80;
    } else {
        char* end = nullptr;
        long p = std::strtol(port_text.c_str(), &end, 10);
        if (*end != '\0' || p < 0 || p > 65535) {
            return usage_error("redirect URI '" + uri + "': bad port '" + port_text + "'");
        }
        out.port = static_cast<int>(p);
    }
    return out;
}

Result<LoopbackListener> LoopbackListener::bind(const RedirectUri& uri) {
    if (!uri.loopback()) {
        return usage_error("refusing to listen for the OAuth redirect on '" + uri.host +
                           "': only loopback addresses (127.0.0.1, localhost, [::1]) are served");
    }
    const bool v6 = uri.host == "[::1]";
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error{ErrorCode::io, std::string("socket: ") + std::strerror(errno)};
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = 0;
    if (v6) {
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_addr = in6addr_loopback;
        addr.sin6_port = htons(static_cast<uint16_t>(uri.port));
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(uri.port));
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0 || ::listen(fd, 8) != 0) {
        int err = errno;
        ::close(fd);
        return Error{ErrorCode::io, "cannot listen on " + uri.host + ":" +
                                        std::to_string(uri.port) +
                                        " for the OAuth redirect: " + std::strerror(err) +
                                        " (is another program using that port? choose another "
                                        "with --redirect-uri, registered with your OAuth app)"};
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    int port = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                  : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return LoopbackListener(fd, port, uri.host);
}

LoopbackListener::LoopbackListener(LoopbackListener&& other) noexcept
    : m_fd(other.m_fd), m_port(other.m_port), m_host(std::move(other.m_host)) {
    other.m_fd = -1;
}

LoopbackListener::~LoopbackListener() {
    if (m_fd >= 0)
        ::close(m_fd);
}

std::optional<std::string>
LoopbackListener::handle_one_connection(const std::string& expected_path,
                                        const std::string& expected_state) {
    int conn = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0)
        return std::nullopt;
    // Read the request head with a short deadline: a stray client must not stall the login.
    std::string head;
    char buf[2048];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd p{conn, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            break;
        ssize_t n = ::recv(conn, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        head.append(buf, static_cast<std::size_t>(n));
    }
    std::optional<std::string> result;
    auto line_end = head.find("\r\n");
    std::string_view line(head.data(), line_end == std::string::npos ? 0 : line_end);
    // "GET /path?query HTTP/1.1"
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    if (line.substr(0, sp1) == "GET" && sp1 != std::string_view::npos && sp2 > sp1) {
        std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
        auto q = target.find('?');
        std::string path = target.substr(0, q);
        std::string query = q == std::string::npos ? "" : target.substr(q + 1);
        bool has_answer =
            query.find("code=") != std::string::npos || query.find("error=") != std::string::npos;
        if (path == expected_path && has_answer) {
            // state is base64url (no escapes needed); compare its raw value.
            std::string state;
            for (std::size_t pos = 0; pos < query.size();) {
                auto amp = query.find('&', pos);
                std::string_view kv(query.data() + pos,
                                    (amp == std::string::npos ? query.size() : amp) - pos);
                if (kv.starts_with("state="))
                    state = std::string(kv.substr(6));
                pos = amp == std::string::npos ? query.size() : amp + 1;
            }
            const bool failed =
                query.find("error=") != std::string::npos || state != expected_state;
            respond(conn, 200, "OK",
                    failed ? "<!doctype html><title>frameio-sync</title><p>Login not approved: the "
                             "redirect was refused or does not belong to this login. Return "
                             "to the terminal for details.</p>"
                           : "<!doctype html><title>frameio-sync</title><p>Login received. "
                             "You can close this tab and return to the terminal.</p>");
            result = "http://" + m_host + ":" + std::to_string(m_port) + target;
        }
    }
    if (!result)
        respond(conn, 404, "Not Found", "<!doctype html><p>Not found</p>");
    ::close(conn);
    return result;
}

Result<std::string> wait_for_redirect(LoopbackListener* listener, const std::string& path,
                                      const std::string& expected_state, int stdin_fd,
                                      std::chrono::seconds timeout, const CancelToken& cancel,
                                      PasteRule rule) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string pasted;
    bool stdin_open = stdin_fd >= 0;
    while (true) {
        if (cancel.cancelled())
            return Error{ErrorCode::cancelled, "login interrupted"};
        if (!listener && !stdin_open) {
            return Error{ErrorCode::unauthorized,
                         "standard input closed before the redirected URL was pasted; run the "
                         "login again and paste the address the browser was sent to"};
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return Error{ErrorCode::timeout, "no OAuth redirect arrived within " +
                                                 std::to_string(timeout.count()) +
                                                 " s; run `frameio-sync login --oauth` again"};
        }
        pollfd fds[2];
        nfds_t n = 0;
        if (listener)
            fds[n++] = {listener->fd(), POLLIN, 0};
        if (stdin_open)
            fds[n++] = {stdin_fd, POLLIN, 0};
        int rc = ::poll(fds, n, static_cast<int>(std::min<long>(left.count(), 200)));
        if (rc < 0 && errno != EINTR)
            return Error{ErrorCode::io, std::strerror(errno)};
        if (rc <= 0)
            continue;
        for (nfds_t i = 0; i < n; ++i) {
            if (!fds[i].revents)
                continue;
            if (listener && fds[i].fd == listener->fd()) {
                if (auto url = listener->handle_one_connection(path, expected_state))
                    return *url;
                continue;
            }
            char buf[4096];
            ssize_t r = ::read(stdin_fd, buf, sizeof buf);
            if (r <= 0) {
                stdin_open = false;
                continue;
            }
            pasted.append(buf, static_cast<std::size_t>(r));
            std::size_t nl;
            while ((nl = pasted.find('\n')) != std::string::npos) {
                std::string entry = pasted.substr(0, nl);
                pasted.erase(0, nl + 1);
                while (!entry.empty() && (entry.back() == '\r' || entry.back() == ' '))
                    entry.pop_back();
                while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t'))
                    entry.erase(0, 1);
                const bool answer = entry.find("code=") != std::string::npos ||
                                    entry.find("error=") != std::string::npos;
                if (answer || (rule == PasteRule::url_or_code && !entry.empty()))
                    return entry;
            }
        }
    }
}

void open_browser(const Output& out, const std::string& url) {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!display || !*display) && (!wayland || !*wayland))
        return; // headless: paste flow
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string prog = "xdg-open";
    std::string arg = url;
    char* argv[] = {prog.data(), arg.data(), nullptr};
    pid_t pid = 0;
    if (posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ) == 0) {
        out.verbose("opened the authorization URL with xdg-open");
    }
    posix_spawn_file_actions_destroy(&actions);
}

} // namespace fios::cli
