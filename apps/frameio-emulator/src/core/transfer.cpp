// SPDX-License-Identifier: MIT
// The S3-like part endpoint and the CloudFront-like download endpoint. Both are reached
// through pre-signed URLs (no Authorization header) and answer errors as S3 does: XML.
#include "core/transfer.hpp"

#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/crypto.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "core/stats.hpp"
#include "v2/checksum.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <regex>

namespace fioemu {

namespace {

const char* const k_part_key = "PUT /parts";
const std::regex k_part_path(R"(/parts/([0-9a-fA-F-]{36})/([0-9]{1,6}))");

struct PartTarget {
    std::string asset_id;
    std::int64_t index = 0; ///< 0-based
    std::int64_t expected = 0;
};

int parse_int(const std::string& s) {
    return std::atoi(s.c_str());
}

void s3_fault(httplib::Response& res, int status) {
    if (status == 503) {
        send_s3_error(res, 503, "SlowDown", "Please reduce your request rate.");
    } else if (status >= 500) {
        send_s3_error(res, status, "InternalError",
                      "We encountered an internal error. Please try again.");
    } else {
        send_s3_error(res, status, "InjectedFailure", "injected failure");
    }
}

std::string http_date(Micros t) {
    const auto tt = static_cast<std::time_t>(t / k_micros_per_second);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string content_disposition(const std::string& name) {
    std::string enc;
    static constexpr char k_hex[] = "0123456789ABCDEF";
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
            enc += static_cast<char>(c);
        } else {
            enc += '%';
            enc += k_hex[c >> 4];
            enc += k_hex[c & 15U];
        }
    }
    return "attachment; filename*=UTF-8''" + enc;
}

/// Checks a part PUT before its body is read: signature, upload state, headers, length.
/// Returns the target, or nullopt with the S3 error already in `res`.
std::optional<PartTarget> check_part(Services& s, const httplib::Request& req,
                                     httplib::Response& res, bool& ignore_body) {
    ignore_body = false;
    std::smatch m;
    const std::string path = req.path;
    if (!std::regex_match(path, m, k_part_path)) {
        send_s3_error(res, 404, "NoSuchKey", "The specified key does not exist.");
        return std::nullopt;
    }
    const Micros now = s.clock.now();
    switch (s.signer.check("PUT", path, req.get_param_value("Expires"),
                           req.get_param_value("Signature"), now)) {
    case UrlSigner::Check::ok:
        break;
    case UrlSigner::Check::expired:
        send_s3_error(res, 403, "AccessDenied", "Request has expired");
        return std::nullopt;
    case UrlSigner::Check::missing:
        send_s3_error(res, 403, "AccessDenied",
                      "Query-string authentication requires the "
                      "Signature and Expires parameters");
        return std::nullopt;
    case UrlSigner::Check::bad_signature:
        send_s3_error(res, 403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you "
                      "provided.");
        return std::nullopt;
    }
    PartTarget t;
    t.asset_id = ascii_lower(m[1].str());
    t.index = parse_int(m[2].str()) - 1;
    std::string filetype;
    {
        auto lock = s.model.lock();
        const Asset* a = s.model.asset(t.asset_id);
        if (!a || !a->is_file() || s.model.is_deleted(*a) || t.index < 0 ||
            t.index >= a->part_count) {
            send_s3_error(res, 404, "NoSuchUpload",
                          "The specified upload does not exist. The upload ID may be invalid, or "
                          "the upload may have been aborted or completed.");
            return std::nullopt;
        }
        if (a->upload_completed_at) {
            if (s.options.parts_after_completion) {
                ignore_body = true;
            } else {
                send_s3_error(res, 404, "NoSuchUpload",
                              "The specified upload does not exist. The upload ID may be "
                              "invalid, or the upload may have been aborted or completed.");
                return std::nullopt;
            }
        }
        t.expected = a->part_length(t.index);
        filetype = a->filetype;
    }
    // Content-Type and x-amz-acl are part of the signed request on S3: a mismatch fails it.
    if (req.get_header_value("Content-Type") != filetype) {
        send_s3_error(res, 403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your key and signing method. (Content-Type must be the "
                      "asset's filetype)");
        return std::nullopt;
    }
    if (req.get_header_value("x-amz-acl") != "private") {
        send_s3_error(res, 403, "AccessDenied",
                      "There were headers present in the request which were not signed "
                      "(x-amz-acl: private is required)");
        return std::nullopt;
    }
    if (req.has_header("Transfer-Encoding")) {
        send_s3_error(res, 411, "MissingContentLength",
                      "You must provide the Content-Length HTTP header.");
        return std::nullopt;
    }
    if (!req.has_header("Content-Length")) {
        send_s3_error(res, 411, "MissingContentLength",
                      "You must provide the Content-Length HTTP header.");
        return std::nullopt;
    }
    const std::string cl = req.get_header_value("Content-Length");
    if (cl != std::to_string(t.expected)) {
        send_s3_error(res, 400, "InvalidPartLength",
                      "Part " + std::to_string(t.index + 1) + " must be exactly " +
                          std::to_string(t.expected) + " bytes (Content-Length: " + cl + ")");
        return std::nullopt;
    }
    return t;
}

void handle_part(Services& s, const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader) {
    // The body is read with read_request_body (large pieces); `reader` only swallows bodies
    // that are ignored.
    RequestContext& ctx = current_request();
    count_request(s, k_part_key);
    apply_latency(s);
    ctx.body_unread = true;
    bool ignore_body = false;
    const auto target = check_part(s, req, res, ignore_body);
    if (!target)
        return;
    const auto rule = s.faults.take_fail_next(k_part_key);
    if (rule && !rule->after)
        return s3_fault(res, rule->status);
    if (s.faults.draw(FaultStream::part5xx)) {
        return s3_fault(res, s.faults.uniform(FaultStream::status) < 0.5 ? 500 : 503);
    }
    const bool reset = s.faults.draw(FaultStream::partreset);

    if (ignore_body) {
        // --accept-parts-after-completion: swallow the bytes, change nothing.
        reader([](const char*, std::size_t) { return true; });
        ctx.body_unread = false;
        res.status = 200;
        return;
    }

    if (reset && target->expected == 0) {
        abort_connection();
        return;
    }
    BufferedFile file;
    const auto temp = s.blobs.temp_path(target->asset_id, target->index);
    if (!file.open(temp)) {
        std::cerr << "frameio-emulator: cannot create " << temp << ": " << std::strerror(errno)
                  << "\n";
        return send_s3_error(res, 500, "InternalError", "cannot store the part");
    }
    bool write_ok = true;
    const std::int64_t cut_at = target->expected / 2;
    const bool received =
        read_request_body(target->expected, [&](const char* data, std::size_t len) {
            if (reset && file.written() + static_cast<std::int64_t>(len) > cut_at) {
                abort_connection(); // partreset: the connection dies mid-body
                return false;
            }
            write_ok = file.write(data, len);
            return write_ok;
        });
    ctx.body_unread = false;
    if (reset && !received) {
        file.discard();
        return;
    }
    if (!write_ok) {
        file.discard();
        return send_s3_error(res, 500, "InternalError", "cannot store the part (disk full?)");
    }
    if (!received || file.written() != target->expected) {
        file.discard();
        if (!received)
            return; // the client went away
        return send_s3_error(res, 400, "IncompleteBody",
                             "You did not provide the number of bytes specified by the "
                             "Content-Length HTTP header.");
    }
    if (!file.close()) {
        file.discard();
        return send_s3_error(res, 500, "InternalError", "cannot store the part");
    }

    bool completed = false;
    {
        auto lock = s.model.lock();
        Asset* a = s.model.asset(target->asset_id);
        if (!a || s.model.is_deleted(*a) || a->upload_completed_at) {
            ::unlink(temp.c_str());
            return send_s3_error(res, 404, "NoSuchUpload",
                                 "The specified upload does not exist. The upload may have been "
                                 "aborted or completed.");
        }
        // Renamed under the lock: once an upload completes, its part files never change.
        const auto final_path = s.blobs.part_path(target->asset_id, target->index);
        if (std::rename(temp.c_str(), final_path.c_str()) != 0) {
            ::unlink(temp.c_str());
            return send_s3_error(res, 500, "InternalError", "cannot store the part");
        }
        completed =
            s.model.part_received(*a, target->index, s.clock.now()) == Model::PartResult::completed;
    }
    if (completed)
        s.checksums.enqueue(target->asset_id);

    // S3 answers an ETag (opaque to clients); hashing each part for it would cost upload speed.
    res.set_header("ETag", "\"" + hex(random_bytes(16)) + "\"");
    res.status = 200;
    if (rule && rule->after)
        s3_fault(res, rule->status);
}

/// Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against `size`.
/// Returns false when the header asks for several ranges (served whole, like S3).
enum class RangeResult { none, ok, unsatisfiable };
RangeResult parse_range(const std::string& header, std::int64_t size, std::int64_t& first,
                        std::int64_t& last) {
    if (header.empty())
        return RangeResult::none;
    httplib::Ranges ranges;
    if (!httplib::detail::parse_range_header(header, ranges) || ranges.size() != 1) {
        return RangeResult::none;
    }
    const auto [a, b] = ranges.front();
    if (a < 0) { // suffix: the last b bytes
        if (b <= 0 || size == 0)
            return RangeResult::unsatisfiable;
        first = std::max<std::int64_t>(0, size - b);
        last = size - 1;
        return RangeResult::ok;
    }
    if (a >= size)
        return RangeResult::unsatisfiable;
    first = a;
    last = b < 0 ? size - 1 : std::min<std::int64_t>(b, size - 1);
    return RangeResult::ok;
}

void handle_download(Services& s, const httplib::Request& req, httplib::Response& res) {
    // cpp-httplib must not apply the client's Range (to an error body, or on top of ours).
    const_cast<httplib::Request&>(req).ranges.clear();
    count_request(s, req.method + " /originals");
    apply_latency(s);
    const std::string path = req.path;
    const std::string prefix = "/originals/";
    const std::string raw_id = path.substr(prefix.size());
    switch (s.signer.check("GET", path, req.get_param_value("Expires"),
                           req.get_param_value("Signature"), s.clock.now())) {
    case UrlSigner::Check::ok:
        break;
    case UrlSigner::Check::expired:
        return send_s3_error(res, 403, "AccessDenied", "Request has expired");
    case UrlSigner::Check::missing:
        return send_s3_error(res, 403, "AccessDenied",
                             "Missing Key-Pair-Id query parameter or cookie value");
    case UrlSigner::Check::bad_signature:
        return send_s3_error(res, 403, "AccessDenied", "Access denied");
    }
    const auto rule = s.faults.take_fail_next(req.method + " /originals");
    if (rule)
        return s3_fault(res, rule->status);
    if (s.faults.draw(FaultStream::download5xx)) {
        return s3_fault(res, s.faults.uniform(FaultStream::status) < 0.5 ? 500 : 503);
    }

    std::vector<std::pair<std::filesystem::path, std::int64_t>> parts;
    std::int64_t size = 0;
    std::string filetype, name;
    Micros modified = 0;
    {
        auto lock = s.model.lock();
        const Asset* a = s.model.asset(ascii_lower(raw_id));
        // A soft-deleted asset's object stays on the CDN until hard deletion.
        if (!a || !a->is_file() || !a->upload_completed_at) {
            return send_s3_error(res, 404, "NoSuchKey", "The specified key does not exist.");
        }
        parts = s.blobs.parts_of(*a);
        size = a->filesize;
        filetype = a->filetype;
        name = a->name;
        modified = *a->upload_completed_at;
    }

    std::int64_t first = 0, last = size - 1;
    const RangeResult range = parse_range(req.get_header_value("Range"), size, first, last);
    res.set_header("Accept-Ranges", "bytes");
    res.set_header("Last-Modified", http_date(modified));
    res.set_header("Content-Disposition", content_disposition(name));
    if (range == RangeResult::unsatisfiable) {
        res.set_header("Content-Range", "bytes */" + std::to_string(size));
        return send_s3_error(res, 416, "InvalidRange", "The requested range is not satisfiable");
    }
    std::int64_t length = size;
    if (range == RangeResult::ok) {
        length = last - first + 1;
        res.status = 206;
        res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" +
                                            std::to_string(last) + "/" + std::to_string(size));
    } else {
        res.status = 200;
        first = 0;
    }
    const bool truncate = length > 0 && s.faults.draw(FaultStream::truncate);
    const std::int64_t stop_at = truncate ? length / 2 : length;

    auto reader = std::make_shared<ContentReader>(std::move(parts));
    auto buffer = std::make_shared<std::vector<char>>(static_cast<std::size_t>(
        std::min<std::int64_t>(std::max<std::int64_t>(length, 1), 1 << 20)));
    res.set_content_provider(
        static_cast<std::size_t>(length), filetype,
        [reader, buffer, first, stop_at](std::size_t offset, std::size_t len,
                                         httplib::DataSink& sink) {
            const auto off = static_cast<std::int64_t>(offset);
            if (off >= stop_at) {
                abort_connection(); // truncate: the body ends short of Content-Length
                return false;
            }
            const std::int64_t want =
                std::min<std::int64_t>({static_cast<std::int64_t>(len),
                                        static_cast<std::int64_t>(buffer->size()), stop_at - off});
            const std::int64_t n = reader->read(first + off, buffer->data(), want);
            if (n <= 0) {
                abort_connection();
                return false;
            }
            return sink.write(buffer->data(), static_cast<std::size_t>(n));
        });
}

} // namespace

int check_expect_continue(Services& s, const httplib::Request& req, httplib::Response& res) {
    if (req.method != "PUT" || req.path.rfind("/parts/", 0) != 0)
        return 100;
    count_request(s, k_part_key);
    bool ignore_body = false;
    if (check_part(s, req, res, ignore_body))
        return 100;
    // Refused before the body was sent: the client will not send it, so do not wait for it.
    current_request().close_after = true;
    res.set_header("Connection", "close");
    return res.status;
}

void register_transfer_routes(HttpServer& server, Services& s) {
    s.route_keys.insert(k_part_key);
    s.route_keys.insert("GET /originals");
    s.route_keys.insert("HEAD /originals");
    server.Put(R"(/parts/(.*))",
               [&s](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) { handle_part(s, req, res, reader); });
    server.Get(R"(/originals/([^/]+))", [&s](const httplib::Request& req, httplib::Response& res) {
        handle_download(s, req, res);
    });
}

} // namespace fioemu
