// SPDX-License-Identifier: MIT
#pragma once

#include "support/local_server.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace fios::test {

/// What MutatingProxy does to the answers of the requests it is told to spoil.
enum class Spoil {
    none,
    invalid_json,    ///< the body cut in the middle (not JSON any more)
    wrong_types,     ///< every string a number, every number and boolean a string
    missing_fields,  ///< members named id, name, size, filesize, file_size, url, data removed
    nulls,           ///< every string, number and boolean null
    huge_1e300,      ///< every size and count 1e300 (see is_size_or_count)
    huge_2_64,       ///< every size and count 18446744073709551616 (2^64)
    negative,        ///< every size and count -5
    html,            ///< 200 with a captive portal's HTML page
    redirect_host,   ///< 302 to another host (a closed port on loopback)
    redirect_scheme, ///< 302 to ftp:// on the same host
    stall,           ///< the status and headers of the real answer, then no byte of the body
    short_body,      ///< the real answer without its second half (a consistent Content-Length)
    long_body,       ///< the real answer with 1,000 bytes more (a consistent Content-Length)
};

inline std::string_view to_string(Spoil s) {
    switch (s) {
    case Spoil::none:
        return "none";
    case Spoil::invalid_json:
        return "invalid JSON";
    case Spoil::wrong_types:
        return "wrong types";
    case Spoil::missing_fields:
        return "missing fields";
    case Spoil::nulls:
        return "nulls";
    case Spoil::huge_1e300:
        return "numbers 1e300";
    case Spoil::huge_2_64:
        return "numbers 2^64";
    case Spoil::negative:
        return "negative numbers";
    case Spoil::html:
        return "an HTML page";
    case Spoil::redirect_host:
        return "a redirect to another host";
    case Spoil::redirect_scheme:
        return "a redirect to another scheme";
    case Spoil::stall:
        return "a stall after the headers";
    case Spoil::short_body:
        return "fewer bytes than the object has";
    case Spoil::long_body:
        return "more bytes than the object has";
    }
    return "?";
}

/// A proxy on 127.0.0.1 in front of a frameio-emulator: it forwards every request and passes
/// every answer through (with the emulator's address in bodies and Location headers rewritten
/// to its own, so that signed part and download URLs come through it too), except the answers
/// of requests whose "METHOD /path" matches `target`, which it spoils as `spoil` says. For
/// tests of what the client does with malformed answers on each endpoint, with real answers
/// around them. A stalled answer is held for `stall` (clients under test give up sooner),
/// or until the proxy is destroyed.
class MutatingProxy {
public:
    MutatingProxy(std::string emulator_host, int emulator_port,
                  std::chrono::milliseconds stall = std::chrono::seconds(5))
        : m_host(std::move(emulator_host)), m_port(emulator_port), m_stall(stall) {
        // Stalled answers hold a thread each: more than cpp-httplib's default 8.
        m_server.server().new_task_queue = [] { return new httplib::ThreadPool(32); };
        auto handler = [this](const httplib::Request& req, httplib::Response& res) {
            handle(req, res);
        };
        auto& s = m_server.server();
        s.Get(".*", handler);
        s.Post(".*", handler);
        s.Put(".*", handler);
        s.Patch(".*", handler);
        s.Delete(".*", handler);
        s.Options(".*", handler);
        m_server.start();
        m_own_base = m_server.url("");
        m_emulator_base = "http://" + m_host + ":" + std::to_string(m_port);
    }
    ~MutatingProxy() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        m_server.stop();
    }
    MutatingProxy(const MutatingProxy&) = delete;
    MutatingProxy& operator=(const MutatingProxy&) = delete;

    /// Spoils the answers of requests whose "METHOD /path" (no query) matches `target`
    /// (ECMAScript, whole string); Spoil::none passes everything through.
    void spoil(const std::string& target, Spoil how) {
        std::lock_guard lock(m_mutex);
        m_target = std::regex(target);
        m_spoil = how;
        m_spoiled = 0;
        m_changed = false;
    }
    /// How many answers were spoiled since spoil(); whether any spoiling changed a body.
    [[nodiscard]] int spoiled() {
        std::lock_guard lock(m_mutex);
        return m_spoiled;
    }
    [[nodiscard]] bool changed() {
        std::lock_guard lock(m_mutex);
        return m_changed;
    }
    [[nodiscard]] std::string base_url() const { return m_own_base; }

private:
    void handle(const httplib::Request& req, httplib::Response& res) {
        // cpp-httplib applies a request's Range to the handler's answer by itself: the range is
        // the emulator's to apply (its 206 passes through as is), so the server must not cut
        // the answer again. The Range header is still forwarded.
        const_cast<httplib::Request&>(req).ranges.clear();
        const std::string target = req.target.empty() ? req.path : req.target;
        Spoil how = Spoil::none;
        {
            std::lock_guard lock(m_mutex);
            if (m_spoil != Spoil::none && std::regex_match(req.method + " " + req.path, m_target))
                how = m_spoil;
        }
        if (how == Spoil::html || how == Spoil::redirect_host || how == Spoil::redirect_scheme) {
            count(true);
            if (how == Spoil::html) {
                res.set_content("<!DOCTYPE html><html><body>Accept the terms</body></html>",
                                "text/html");
            } else {
                res.status = 302;
                res.set_header("Location", how == Spoil::redirect_host
                                               ? "http://127.0.0.1:1/elsewhere"
                                               : "ftp://127.0.0.1" + target);
            }
            return;
        }
        httplib::Client upstream(m_host, m_port);
        upstream.set_read_timeout(60, 0);
        httplib::Request out;
        out.method = req.method;
        out.path = target;
        out.body = req.body;
        for (const auto& [name, value] : req.headers) {
            std::string lower = name;
            for (auto& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "host" || lower == "content-length" || lower == "connection" ||
                lower == "accept-encoding" || lower == "transfer-encoding" ||
                lower == "remote_addr" || lower == "remote_port" || lower == "local_addr" ||
                lower == "local_port")
                continue;
            out.headers.emplace(name, value);
        }
        auto answer = upstream.send(out);
        if (!answer) {
            res.status = 502;
            return;
        }
        res.status = answer->status;
        for (const auto& [name, value] : answer->headers) {
            std::string lower = name;
            for (auto& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "content-length" || lower == "transfer-encoding" ||
                lower == "connection" || lower == "keep-alive" || lower == "content-type")
                continue;
            res.set_header(name, lower == "location" ? rewrite(value) : value);
        }
        const std::string type = answer->get_header_value("Content-Type");
        std::string body = rewrite(answer->body);
        if (how != Spoil::none && answer->status < 300)
            body = apply(how, body);
        else if (how != Spoil::none)
            how = Spoil::none; // an error answer is passed through
        if (how == Spoil::stall) {
            count(true);
            const std::size_t size = body.size();
            res.set_content_provider(size, type.empty() ? "application/octet-stream" : type,
                                     [this](std::size_t, std::size_t, httplib::DataSink&) {
                                         std::unique_lock lock(m_mutex);
                                         m_cv.wait_for(lock, m_stall, [&] { return m_stopping; });
                                         return false; // never a byte: the connection ends
                                     });
            return;
        }
        res.set_content(body, type.empty() ? "application/octet-stream" : type);
    }

    void count(bool changed) {
        std::lock_guard lock(m_mutex);
        ++m_spoiled;
        m_changed = m_changed || changed;
    }

    std::string rewrite(std::string text) const {
        for (std::size_t at = text.find(m_emulator_base); at != std::string::npos;
             at = text.find(m_emulator_base, at + m_own_base.size()))
            text.replace(at, m_emulator_base.size(), m_own_base);
        return text;
    }

    std::string apply(Spoil how, const std::string& body) {
        switch (how) {
        case Spoil::stall:
            return body;
        case Spoil::invalid_json: {
            rapidjson::Document doc;
            doc.Parse(body.c_str(), body.size());
            count(!doc.HasParseError()); // only an answer that was JSON is spoiled this way
            return doc.HasParseError() ? body : body.substr(0, body.size() / 2);
        }
        case Spoil::short_body:
            count(!body.empty());
            return body.substr(0, body.size() / 2);
        case Spoil::long_body:
            count(true);
            return body + std::string(1000, 'x');
        default:
            break;
        }
        rapidjson::Document doc;
        doc.Parse(body.c_str(), body.size());
        if (doc.HasParseError()) {
            count(false);
            return body;
        }
        bool changed = false;
        mutate(doc, doc.GetAllocator(), how, changed);
        count(changed);
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        doc.Accept(writer);
        std::string text(buffer.GetString(), buffer.GetSize());
        // RapidJSON cannot hold 2^64 as an integer: a marker string stands for it.
        const std::string marker = "\"" + std::string(k_2_64_marker) + "\"";
        for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker))
            text.replace(at, marker.size(), "18446744073709551616");
        return text;
    }

    /// The numbers a sync trusts: sizes, part sizes and counters (other numbers, such as a
    /// rate limit's or a sort index, are not spoiled).
    static bool is_size_or_count(std::string_view name) {
        return name == "size" || name == "filesize" || name == "file_size" ||
               name == "file_count" || name == "folder_count" || name == "item_count" ||
               name == "storage" || name == "total_count" || name == "versions";
    }

    static constexpr std::string_view k_2_64_marker = "__fios_two_to_the_64__";

    static bool is_removed(std::string_view name) {
        return name == "id" || name == "name" || name == "size" || name == "filesize" ||
               name == "file_size" || name == "url" || name == "data";
    }

    static void mutate(rapidjson::Value& v, rapidjson::Document::AllocatorType& a, Spoil how,
                       bool& changed, bool numbers = false) {
        if (v.IsObject()) {
            if (how == Spoil::missing_fields) {
                for (auto it = v.MemberBegin(); it != v.MemberEnd();) {
                    if (is_removed(
                            std::string_view(it->name.GetString(), it->name.GetStringLength()))) {
                        it = v.EraseMember(it);
                        changed = true;
                    } else {
                        ++it;
                    }
                }
            }
            for (auto& m : v.GetObject()) {
                mutate(m.value, a, how, changed,
                       is_size_or_count(
                           std::string_view(m.name.GetString(), m.name.GetStringLength())));
            }
            return;
        }
        if (v.IsArray()) {
            for (auto& e : v.GetArray())
                mutate(e, a, how, changed, numbers);
            return;
        }
        switch (how) {
        case Spoil::wrong_types:
            if (v.IsString()) {
                v.SetInt64(12345);
                changed = true;
            } else if (v.IsNumber() || v.IsBool()) {
                v.SetString("12345", a);
                changed = true;
            }
            break;
        case Spoil::nulls:
            if (!v.IsNull()) {
                v.SetNull();
                changed = true;
            }
            break;
        case Spoil::huge_1e300:
        case Spoil::huge_2_64:
        case Spoil::negative:
            if (v.IsNumber() && numbers) {
                if (how == Spoil::huge_1e300)
                    v.SetDouble(1e300);
                else if (how == Spoil::huge_2_64)
                    v.SetString(k_2_64_marker.data(),
                                static_cast<rapidjson::SizeType>(k_2_64_marker.size()), a);
                else
                    v.SetInt64(-5);
                changed = true;
            }
            break;
        default:
            break;
        }
    }

    LocalServer m_server;
    std::string m_host;
    int m_port;
    std::chrono::milliseconds m_stall;
    std::string m_own_base;
    std::string m_emulator_base;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopping = false;
    std::regex m_target;
    Spoil m_spoil = Spoil::none;
    int m_spoiled = 0;
    bool m_changed = false;
};

} // namespace fios::test
