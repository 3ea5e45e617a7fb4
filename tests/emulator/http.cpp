// SPDX-License-Identifier: MIT
#include "emulator/http.hpp"

#include <curl/curl.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace fios::test::emu {
namespace {

// curl_global_init is not thread-safe: run it once, before any test thread exists.
struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
};
const CurlGlobal k_curl_global;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string::npos)
        return {};
    auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* out = static_cast<std::string*>(user);
    out->append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* response = static_cast<HttpResponse*>(user);
    std::string line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line (after 100 Continue, for example): headers start over.
        response->headers.clear();
        return size * count;
    }
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        response->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    return size * count;
}

// --- Recording for the OpenAPI check (tests/openapi/openapi_check.py, docs/testing.md) ---

/// The path of an absolute URL: from the first '/' after "scheme://authority" to '?' or '#'.
std::string url_path(const std::string& url) {
    const auto scheme = url.find("://");
    const auto start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (start == std::string::npos)
        return "/";
    const auto end = url.find_first_of("?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

/// Length of the well-formed UTF-8 sequence starting at text[i] (Unicode table 3-7: no
/// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when there is none.
size_t utf8_sequence_length(const std::string& text, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    size_t length = 0;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        second_min = lead == 0xE0 ? 0xA0 : 0x80;
        second_max = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        second_min = lead == 0xF0 ? 0x90 : 0x80;
        second_max = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + length > text.size() || byte(i + 1) < second_min || byte(i + 1) > second_max)
        return 0;
    for (size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return length;
}

/// Appends `text` as a JSON string literal. Well-formed UTF-8 is kept as it is; each byte that
/// does not start a well-formed sequence becomes U+FFFD, so binary bodies still give valid JSON
/// (and fail the check if a JSON body was expected).
void append_json_string(std::string& out, const std::string& text) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
            ++i;
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out.append(text, i, length);
        }
        i += length;
    }
    out += '"';
}

/// When FIOS_OPENAPI_RECORD_DIR is set and non-empty, appends every complete answer to a
/// /v4/... or /ims/... URL as one JSON line {"method", "url", "status", "content_type", "body"}
/// to $FIOS_OPENAPI_RECORD_DIR/records-<pid>.jsonl (the directory is created if missing), for
/// the ctest emulator_openapi_check. Answers cut short by a transport error (status 0, or any
/// curl error) are not answers the emulator chose to send, so they are not recorded. Each line
/// is one write() on an O_APPEND descriptor under a mutex, so concurrent requests never
/// interleave. Throws std::runtime_error when the record cannot be written: a silently missing
/// record would weaken the check.
void record_for_openapi_check(const HttpRequest& request, const HttpResponse& response) {
    static const std::string dir = [] {
        const char* value = std::getenv("FIOS_OPENAPI_RECORD_DIR");
        return std::string(value ? value : "");
    }();
    if (dir.empty() || response.status == 0 || response.curl_code != 0)
        return;
    const std::string path = url_path(request.url);
    if (path.rfind("/v4/", 0) != 0 && path.rfind("/ims/", 0) != 0)
        return;

    std::string line = "{\"method\":";
    append_json_string(line, request.method);
    line += ",\"url\":";
    append_json_string(line, request.url);
    line += ",\"status\":" + std::to_string(response.status) + ",\"content_type\":";
    append_json_string(line, response.header("content-type"));
    line += ",\"body\":";
    append_json_string(line, response.body);
    line += "}\n";

    static std::mutex mutex;
    const std::lock_guard<std::mutex> lock(mutex);
    static const std::string file = dir + "/records-" + std::to_string(::getpid()) + ".jsonl";
    static const int fd = [] {
        std::error_code ignored; // open() below reports a directory that could not be made
        std::filesystem::create_directories(dir, ignored);
        return ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }();
    if (fd < 0)
        throw std::runtime_error("cannot open OpenAPI record file " + file +
                                 " (is FIOS_OPENAPI_RECORD_DIR a writable directory?)");
    for (size_t written = 0; written < line.size();) {
        const ssize_t n = ::write(fd, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw std::runtime_error("cannot write " + file + ": " + std::strerror(errno));
        written += static_cast<size_t>(n);
    }
}

} // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

std::string HttpResponse::describe() const {
    std::string s = "HTTP " + std::to_string(status);
    if (curl_code != 0)
        s += " curl " + std::to_string(curl_code) + " (" + curl_error + ")";
    s += " body: " + body.substr(0, 400);
    return s;
}

HttpResponse perform(const HttpRequest& request) {
    HttpResponse response;
    CURL* curl = curl_easy_init();
    if (!curl)
        throw std::runtime_error("curl_easy_init failed");
    curl_slist* headers = nullptr;
    for (const auto& h : request.headers)
        headers = curl_slist_append(headers, h.c_str());
    headers =
        curl_slist_append(headers, request.expect_continue ? "Expect: 100-continue" : "Expect:");

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_PROXY, ""); // loopback only, whatever the environment says
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET" || request.body) {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body->size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);

    const auto start = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(curl);
    response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    response.curl_code = static_cast<int>(rc);
    if (rc != CURLE_OK)
        response.curl_error = curl_easy_strerror(rc);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    record_for_openapi_check(request, response);
    return response;
}

std::string url_encode(const std::string& value) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string url_decode(const std::string& value) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '+') {
            out += ' ';
        } else if (value[i] == '%' && i + 2 < value.size()) {
            out += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += value[i];
        }
    }
    return out;
}

std::map<std::string, std::string> query_params(const std::string& url) {
    std::map<std::string, std::string> out;
    auto q = url.find('?');
    if (q == std::string::npos)
        return out;
    std::string query = url.substr(q + 1);
    auto hash = query.find('#');
    if (hash != std::string::npos)
        query.resize(hash);
    size_t pos = 0;
    while (pos <= query.size()) {
        auto amp = query.find('&', pos);
        std::string pair =
            query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            if (eq == std::string::npos) {
                out[url_decode(pair)] = "";
            } else {
                out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
            }
        }
        if (amp == std::string::npos)
            break;
        pos = amp + 1;
    }
    return out;
}

std::string strip_query(const std::string& url) {
    return url.substr(0, url.find('?'));
}

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError()) {
        throw std::runtime_error(std::string("invalid JSON (") +
                                 rapidjson::GetParseError_En(doc.GetParseError()) +
                                 "): " + text.substr(0, 400));
    }
    return doc;
}

std::string to_json(const rapidjson::Value& value) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    value.Accept(writer);
    return std::string(buf.GetString(), buf.GetSize());
}

HttpResponse Api::send(const std::string& method, const std::string& path,
                       const std::optional<std::string>& body, const std::string& content_type,
                       std::vector<std::string> extra_headers) const {
    HttpRequest req;
    req.method = method;
    req.url = m_base + path;
    req.body = body;
    if (!m_token.empty())
        req.headers.push_back("Authorization: Bearer " + m_token);
    if (body)
        req.headers.push_back("Content-Type: " + content_type);
    for (auto& h : extra_headers)
        req.headers.push_back(std::move(h));
    return perform(req);
}

HttpResponse Api::get(const std::string& path) const {
    return send("GET", path);
}
HttpResponse Api::del(const std::string& path) const {
    return send("DELETE", path);
}
HttpResponse Api::post_json(const std::string& path, const std::string& json) const {
    return send("POST", path, json);
}
HttpResponse Api::put_json(const std::string& path, const std::string& json) const {
    return send("PUT", path, json);
}

} // namespace fios::test::emu
