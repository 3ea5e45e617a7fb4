// SPDX-License-Identifier: MIT
#include "core/http_server.hpp"

#include "core/errors.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string_view>
#include <sys/socket.h>
#include <vector>

namespace fioemu {

namespace {

constexpr std::size_t k_max_header_block = 64 * 1024;
constexpr std::int64_t k_max_get_body = 1 << 20;
constexpr std::int64_t k_drain_limit = 64LL << 20;
constexpr std::size_t k_read_chunk = 256 * 1024;
constexpr std::int64_t k_body_piece = 1 << 20;
constexpr int k_poll_slice_ms = 100;

thread_local RequestContext* t_request = nullptr;
thread_local class ConnStream* t_stream = nullptr;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        if (std::tolower(x) != std::tolower(y))
            return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

void addr_to_string(const sockaddr_storage& ss, std::string& ip, int& port) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
        ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        port = ntohs(in6->sin6_port);
    }
    ip = buf;
}

/// What the connection loop needs to know about a request before cpp-httplib parses it.
struct HeaderInfo {
    bool complete = false; ///< the whole header block is buffered
    std::size_t header_len = 0;
    std::string method;
    std::string target; ///< the request line's target (path and query), for error bodies
    std::int64_t content_length = -1;
    bool chunked = false;
    std::size_t range_pos = std::string::npos; ///< offset of a malformed Range header's name
};

/// A buffered socket stream with deadlines that notice shutdown.
class ConnStream final : public httplib::Stream {
public:
    ConnStream(int fd, int io_timeout_ms, const std::atomic<bool>& stopping)
        : m_fd(fd), m_timeout_ms(io_timeout_ms), m_stopping(stopping) {
        m_buf.resize(k_read_chunk);
    }

    bool is_readable() const override { return avail() > 0 || wait(POLLIN, m_timeout_ms); }
    bool is_writable() const override { return !m_aborted && wait(POLLOUT, m_timeout_ms); }

    ssize_t read(char* ptr, size_t size) override {
        if (m_aborted)
            return -1;
        if (m_read_limit >= 0) {
            // A chunked body has no length to refuse up front: stop reading it at the limit.
            if (m_consumed >= m_read_limit) {
                if (m_request)
                    m_request->body_over_limit = true;
                return -1;
            }
            size = std::min<std::size_t>(size, static_cast<std::size_t>(m_read_limit - m_consumed));
        }
        if (avail() == 0) {
            if (!wait(POLLIN, m_timeout_ms))
                return -1;
            if (size >= k_read_chunk / 2) {
                const ssize_t n = recv_some(ptr, size);
                if (n > 0)
                    m_consumed += n;
                return n;
            }
            m_begin = m_end = 0;
            const ssize_t n = recv_some(m_buf.data(), m_buf.size());
            if (n <= 0)
                return n;
            m_end = static_cast<std::size_t>(n);
        }
        const std::size_t n = std::min(size, avail());
        std::memcpy(ptr, m_buf.data() + m_begin, n);
        m_begin += n;
        m_consumed += static_cast<std::int64_t>(n);
        return static_cast<ssize_t>(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (m_aborted)
            return -1;
        std::size_t off = 0;
        while (off < size) {
            if (!wait(POLLOUT, m_timeout_ms))
                return -1;
            const ssize_t n = ::send(m_fd, ptr + off, size - off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                    continue;
                return -1;
            }
            off += static_cast<std::size_t>(n);
            if (m_request)
                m_request->answered = true;
        }
        return static_cast<ssize_t>(size);
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getpeername(m_fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
            addr_to_string(ss, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(m_fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
            addr_to_string(ss, ip, port);
    }
    socket_t socket() const override { return m_fd; }

    // --- connection-loop helpers ---------------------------------------------------------

    /// Waits up to `ms` for the next request's first byte (or buffered data).
    bool wait_for_request(int ms) { return avail() > 0 || wait(POLLIN, ms); }

    /// Buffers until the header block is complete (or limits are hit) and parses what the
    /// loop needs. `eof` is set when the peer closed before sending anything.
    HeaderInfo inspect(bool& eof) {
        eof = false;
        HeaderInfo info;
        std::size_t end = std::string_view::npos;
        for (;;) {
            const std::string_view data(m_buf.data() + m_begin, avail());
            end = data.find("\r\n\r\n");
            if (end != std::string_view::npos || avail() >= k_max_header_block)
                break;
            if (!wait(POLLIN, m_timeout_ms))
                return info;
            compact_for(4096);
            const ssize_t n = recv_some(m_buf.data() + m_end, m_buf.size() - m_end);
            if (n <= 0) {
                eof = avail() == 0;
                return info;
            }
            m_end += static_cast<std::size_t>(n);
        }
        if (end == std::string_view::npos)
            return info;
        info.complete = true;
        info.header_len = end + 4;
        const std::string_view block(m_buf.data() + m_begin, info.header_len);
        std::size_t pos = block.find("\r\n");
        const std::string_view request_line = block.substr(0, pos);
        const std::size_t method_end = request_line.find(' ');
        info.method = std::string(request_line.substr(0, method_end));
        if (method_end != std::string_view::npos) {
            const std::string_view rest = request_line.substr(method_end + 1);
            info.target = std::string(rest.substr(0, rest.find(' ')));
        }
        pos += 2;
        while (pos < block.size()) {
            const std::size_t eol = block.find("\r\n", pos);
            if (eol == std::string_view::npos || eol == pos)
                break;
            const std::string_view line = block.substr(pos, eol - pos);
            const std::size_t colon = line.find(':');
            if (colon != std::string_view::npos) {
                const std::string_view name = trim(line.substr(0, colon));
                const std::string_view value = trim(line.substr(colon + 1));
                if (iequals(name, "Content-Length")) {
                    std::int64_t v = 0;
                    bool ok = !value.empty();
                    for (char c : value) {
                        if (c < '0' || c > '9' || v > (1LL << 50)) {
                            ok = false;
                            break;
                        }
                        v = v * 10 + (c - '0');
                    }
                    info.content_length = ok ? v : -2;
                } else if (iequals(name, "Transfer-Encoding")) {
                    info.chunked = true;
                } else if (iequals(name, "Range")) {
                    httplib::Ranges ranges;
                    if (!httplib::detail::parse_range_header(std::string(value), ranges)) {
                        info.range_pos = pos;
                    }
                }
            }
            pos = eol + 2;
        }
        return info;
    }

    /// Renames the header at `pos` (a malformed Range) so that cpp-httplib ignores it.
    void neutralize_header(std::size_t pos) {
        // "Range" -> "Xange": same length, no longer a Range header.
        m_buf[m_begin + pos] = 'X';
    }

    /// Inserts a header line (with its CRLF) at the end of the buffered header block of
    /// `header_len` bytes, before the blank line. Returns the new header block length.
    std::size_t inject_header(std::size_t header_len, std::string_view line) {
        if (m_end + line.size() > m_buf.size())
            m_buf.resize(m_end + line.size());
        const std::size_t at = m_begin + header_len - 2; // before the final "\r\n"
        std::memmove(m_buf.data() + at + line.size(), m_buf.data() + at, m_end - at);
        std::memcpy(m_buf.data() + at, line.data(), line.size());
        m_end += line.size();
        return header_len + line.size();
    }

    /// Moves `len` body bytes that follow a `header_len` header block out of the stream.
    bool take_body(std::size_t header_len, std::size_t len, std::string& out) {
        const std::size_t need = header_len + len;
        while (avail() < need) {
            if (!wait(POLLIN, m_timeout_ms))
                return false;
            compact_for(need - avail());
            const ssize_t n = recv_some(m_buf.data() + m_end, m_buf.size() - m_end);
            if (n <= 0)
                return false;
            m_end += static_cast<std::size_t>(n);
        }
        out.assign(m_buf.data() + m_begin + header_len, len);
        std::memmove(m_buf.data() + m_begin + header_len, m_buf.data() + m_begin + need,
                     m_end - m_begin - need);
        m_end -= len;
        return true;
    }

    /// Reads exactly `n` bytes in large pieces.
    bool read_exact(std::int64_t n, const std::function<bool(const char*, std::size_t)>& sink) {
        while (n > 0 && avail() > 0) {
            const std::size_t take = std::min(avail(), static_cast<std::size_t>(n));
            if (!sink(m_buf.data() + m_begin, take))
                return false;
            m_begin += take;
            m_consumed += static_cast<std::int64_t>(take);
            n -= static_cast<std::int64_t>(take);
        }
        if (n == 0)
            return true;
        std::vector<char> scratch(
            static_cast<std::size_t>(std::min<std::int64_t>(n, k_body_piece)));
        while (n > 0) {
            if (m_aborted || !wait(POLLIN, m_timeout_ms))
                return false;
            const ssize_t r =
                recv_some(scratch.data(), static_cast<std::size_t>(std::min<std::int64_t>(
                                              n, static_cast<std::int64_t>(scratch.size()))));
            if (r <= 0)
                return false;
            m_consumed += r;
            n -= r;
            if (!sink(scratch.data(), static_cast<std::size_t>(r)))
                return false;
        }
        return true;
    }

    /// Reads and drops `n` bytes.
    bool discard(std::int64_t n) {
        char sink[16384];
        while (n > 0) {
            const ssize_t r =
                read(sink, static_cast<std::size_t>(std::min<std::int64_t>(n, sizeof sink)));
            if (r <= 0)
                return false;
            n -= r;
        }
        return true;
    }

    /// `limit` bytes of this request (header block included) at most; -1: no limit.
    void begin_request(RequestContext* ctx, std::int64_t limit = -1) {
        m_request = ctx;
        m_consumed = 0;
        m_read_limit = limit;
    }
    [[nodiscard]] std::int64_t consumed() const { return m_consumed; }
    [[nodiscard]] bool aborted() const { return m_aborted; }
    void abort() {
        m_aborted = true;
        // Unread data makes close() send a reset; shut reading down first so it happens now.
        ::shutdown(m_fd, SHUT_RDWR);
    }

private:
    [[nodiscard]] std::size_t avail() const { return m_end - m_begin; }

    void compact_for(std::size_t more) {
        if (m_begin > 0) {
            std::memmove(m_buf.data(), m_buf.data() + m_begin, avail());
            m_end -= m_begin;
            m_begin = 0;
        }
        if (m_buf.size() - m_end < more)
            m_buf.resize(m_end + std::max(more, k_read_chunk));
    }

    ssize_t recv_some(char* dst, std::size_t n) {
        for (;;) {
            const ssize_t r = ::recv(m_fd, dst, n, 0);
            if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!wait(POLLIN, m_timeout_ms))
                    return -1;
                continue;
            }
            return r;
        }
    }

    /// Polls in slices so that shutdown is noticed; false on timeout, shutdown or abort.
    bool wait(short events, int timeout_ms) const {
        auto left = timeout_ms;
        while (left > 0) {
            if (m_stopping.load() || m_aborted)
                return false;
            pollfd p{m_fd, events, 0};
            const int slice = std::min(left, k_poll_slice_ms);
            const int r = ::poll(&p, 1, slice);
            if (r > 0)
                return true;
            if (r < 0 && errno != EINTR)
                return false;
            left -= slice;
        }
        return false;
    }

    int m_fd;
    int m_timeout_ms;
    const std::atomic<bool>& m_stopping;
    std::vector<char> m_buf;
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    std::int64_t m_consumed = 0;
    std::int64_t m_read_limit = -1;
    bool m_aborted = false;
    RequestContext* m_request = nullptr;
};

bool bodyless_method(std::string_view m) {
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "CONNECT";
}

void write_raw_error(ConnStream& s, int status, std::string_view reason, std::string_view target) {
    const std::string body = error_body_for_path(target, status, reason);
    const std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                             "\r\nContent-Type: application/json; charset=utf-8\r\n"
                             "Connection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    s.write(head.data(), head.size());
    s.write(body.data(), body.size());
}

} // namespace

RequestContext& current_request() {
    static thread_local RequestContext dummy;
    return t_request ? *t_request : dummy;
}

bool read_request_body(std::int64_t len,
                       const std::function<bool(const char*, std::size_t)>& sink) {
    return t_stream && t_stream->read_exact(len, sink);
}

void abort_connection() {
    if (t_request)
        t_request->aborted = true;
    if (t_stream)
        t_stream->abort();
}

HttpServer::HttpServer(int keep_alive_s, int io_timeout_s)
    : m_keep_alive_ms(keep_alive_s * 1000), m_io_timeout_ms(io_timeout_s * 1000) {
    set_keep_alive_timeout(keep_alive_s);
    set_keep_alive_max_count(1'000'000);
    set_read_timeout(io_timeout_s);
    set_write_timeout(io_timeout_s);
    set_tcp_nodelay(true);
}

void HttpServer::raise_backlog(int backlog) {
    const socket_t s = svr_sock_.load();
    if (s != INVALID_SOCKET)
        ::listen(s, backlog);
}

bool HttpServer::process_and_close_socket(socket_t sock) {
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ConnStream strm(sock, m_io_timeout_ms, m_stopping);
    t_stream = &strm;
    bool ret = true;
    while (!m_stopping.load() && svr_sock_.load() != INVALID_SOCKET) {
        if (!strm.wait_for_request(m_keep_alive_ms))
            break;
        bool eof = false;
        HeaderInfo info = strm.inspect(eof);
        if (eof)
            break;

        RequestContext ctx;
        ctx.method = info.method;
        t_request = &ctx;
        bool handled_here = false;
        if (info.complete) {
            if (info.range_pos != std::string::npos)
                strm.neutralize_header(info.range_pos);
            // A write without Content-Length or chunked encoding has an empty body (RFC 9112
            // section 6.3): say so to cpp-httplib, which would otherwise read until the client
            // closes the connection (a hang until the I/O timeout).
            if (!bodyless_method(info.method) && !info.chunked && info.content_length == -1) {
                info.header_len = strm.inject_header(info.header_len, "Content-Length: 0\r\n");
                info.content_length = 0;
            }
            if (bodyless_method(info.method) && info.chunked) {
                strm.begin_request(&ctx);
                ctx.raw_status = 411;
                if (on_request_end)
                    on_request_end(ctx);
                write_raw_error(strm, 411, "Length Required", info.target);
                handled_here = true;
            } else if (bodyless_method(info.method) && info.content_length > 0) {
                if (info.content_length > k_max_get_body) {
                    strm.begin_request(&ctx);
                    ctx.raw_status = 413;
                    if (on_request_end)
                        on_request_end(ctx);
                    write_raw_error(strm, 413, "Payload Too Large", info.target);
                    handled_here = true;
                } else if (!strm.take_body(info.header_len,
                                           static_cast<std::size_t>(info.content_length),
                                           ctx.get_body)) {
                    t_request = nullptr;
                    break;
                }
            }
        }
        if (handled_here) {
            t_request = nullptr;
            break;
        }

        // Part PUTs read their (large) bodies themselves, with an exact Content-Length.
        const bool limited = info.chunked && info.target.rfind("/parts/", 0) != 0;
        strm.begin_request(
            &ctx, limited ? static_cast<std::int64_t>(info.header_len) + m_max_chunked_body : -1);
        bool closed = false;
        ret = process_request(strm, false, closed, nullptr);
        if (on_request_end)
            on_request_end(ctx);
        t_request = nullptr;
        if (!ret || closed || strm.aborted() || ctx.close_after)
            break;
        if (info.content_length == -2)
            break; // unparsable Content-Length: the stream is lost

        // An unread body must not be parsed as the next request.
        if (info.complete && !bodyless_method(info.method)) {
            if (info.chunked) {
                if (ctx.body_unread)
                    break;
            } else if (info.content_length > 0) {
                const std::int64_t left = static_cast<std::int64_t>(info.header_len) +
                                          info.content_length - strm.consumed();
                if (left > 0 && (left > k_drain_limit || !strm.discard(left)))
                    break;
            }
        }
    }
    t_stream = nullptr;
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
}

} // namespace fioemu
