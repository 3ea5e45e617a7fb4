// SPDX-License-Identifier: MIT
// The S3-like part endpoint and the CloudFront-like download endpoint. Both are reached
// through pre-signed URLs (no Authorization header) and answer errors as S3 does: XML.
#include "core/transfer.hpp"

#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/checksum.hpp"
#include "core/crypto.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "core/stats.hpp"

#include <openssl/evp.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <vector>

namespace fioemu {

namespace {

const char* const k_part_key = "PUT /parts";
const std::regex k_part_path(R"(/parts/([0-9a-fA-F-]{36})/([0-9]{1,6}))");

struct PartTarget {
    std::string asset_id;
    std::int64_t index = 0; ///< 0-based
    std::int64_t expected = 0;
    std::string content_md5; ///< the 16 bytes of a Content-MD5 header; empty when not sent
};

const char* const k_signature_mismatch =
    "The request signature we calculated does not match the signature you provided. Check "
    "your key and signing method.";

/// Decodes standard base64 (with padding); nullopt when malformed.
std::optional<std::string> base64_decode(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0)
        return std::nullopt;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool pad_ok =
            c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
        if (!std::isalnum(c) && c != '+' && c != '/' && !pad_ok)
            return std::nullopt;
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0)
        return std::nullopt;
    std::size_t padding = 0;
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it)
        ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

/// MD5 computed piece by piece while a part body arrives (only when Content-MD5 was sent).
class Md5Stream {
public:
    Md5Stream() : m_ctx(EVP_MD_CTX_new()) {
        if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_md5(), nullptr) != 1)
            throw std::runtime_error("cannot initialise MD5");
    }
    void update(const char* data, std::size_t len) { EVP_DigestUpdate(m_ctx.get(), data, len); }
    std::string finish() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(m_ctx.get(), digest, &len);
        return std::string(reinterpret_cast<const char*>(digest), len);
    }

private:
    struct Free {
        void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> m_ctx;
};

/// The signed URL names the emulator's host: a request sent with another Host header fails the
/// signature, as on S3 (part URLs are signed over content-type;host;x-amz-acl).
bool host_matches(const Services& s, const httplib::Request& req) {
    const auto scheme_end = s.base_url.find("://");
    const std::string expected =
        scheme_end == std::string::npos ? s.base_url : s.base_url.substr(scheme_end + 3);
    return ascii_lower(req.get_header_value("Host")) == ascii_lower(expected);
}

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

std::string content_disposition(const std::string& name, bool inline_disposition) {
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
    return std::string(inline_disposition ? "inline" : "attachment") + "; filename*=UTF-8''" + enc;
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
    if (req.has_header("Authorization")) {
        send_s3_error(res, 400, "InvalidArgument",
                      "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                      "parameter, Signature query string parameter or the Authorization header "
                      "should be specified");
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
        send_s3_error(res, 403, "SignatureDoesNotMatch", k_signature_mismatch);
        return std::nullopt;
    }
    if (!host_matches(s, req)) {
        send_s3_error(res, 403, "SignatureDoesNotMatch",
                      std::string(k_signature_mismatch) + " (the Host header is signed)");
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
        if (a->upload_failed) {
            // The bucket still takes the object; the failed upload never changes again.
            ignore_body = true;
        } else if (a->upload_completed_at) {
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
                      std::string(k_signature_mismatch) +
                          " (Content-Type must be the asset's filetype)");
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
    if (req.has_header("Content-MD5")) {
        const auto digest = base64_decode(req.get_header_value("Content-MD5"));
        if (!digest || digest->size() != 16) {
            send_s3_error(res, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
            return std::nullopt;
        }
        t.content_md5 = *digest;
    }
    return t;
}

/// A body that stopped short of its Content-Length (the client stalled past --io-timeout or
/// half-closed): nothing is stored, and the answer says so, as S3's does. The connection is
/// closed: the rest of the body, if it ever comes, must not be read as a request.
void refuse_incomplete_body(httplib::Response& res) {
    current_request().close_after = true;
    send_s3_error(res, 400, "IncompleteBody",
                  "You did not provide the number of bytes specified by the Content-Length HTTP "
                  "header.");
}

void handle_part(Services& s, const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader&) {
    // The body is read with read_request_body (large pieces): cpp-httplib's ContentReader
    // would deliver 4 KiB at a time and is left unused.
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
        const bool swallowed =
            read_request_body(target->expected, [](const char*, std::size_t) { return true; });
        ctx.body_unread = false;
        if (!swallowed)
            return refuse_incomplete_body(res);
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
    std::optional<Md5Stream> md5;
    if (!target->content_md5.empty())
        md5.emplace();
    const std::int64_t cut_at = target->expected / 2;
    const bool received =
        read_request_body(target->expected, [&](const char* data, std::size_t len) {
            if (reset && file.written() + static_cast<std::int64_t>(len) > cut_at) {
                abort_connection(); // partreset: the connection dies mid-body
                return false;
            }
            if (md5)
                md5->update(data, len);
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
            return refuse_incomplete_body(res); // the client stalled or went away
        return send_s3_error(res, 400, "IncompleteBody",
                             "You did not provide the number of bytes specified by the "
                             "Content-Length HTTP header.");
    }
    if (md5 && md5->finish() != target->content_md5) {
        file.discard();
        return send_s3_error(res, 400, "BadDigest",
                             "The Content-MD5 you specified did not match what we received.");
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
        completed = record_stored_part(s, *a, target->index, true);
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
    const std::string inline_suffix = "/inline";
    std::string raw_id = path.substr(prefix.size());
    const bool inline_disposition =
        raw_id.size() > inline_suffix.size() && raw_id.ends_with(inline_suffix);
    if (inline_disposition)
        raw_id.resize(raw_id.size() - inline_suffix.size());
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
        if (!a || !a->is_file() || !s.model.upload_visible_complete(*a, s.clock.now())) {
            return send_s3_error(res, 404, "NoSuchKey", "The specified key does not exist.");
        }
        parts = s.blobs.parts_of(*a);
        size = a->filesize;
        filetype = a->filetype;
        name = a->name;
        modified = *s.model.visible_completion(*a);
    }

    std::int64_t first = 0, last = size - 1;
    const RangeResult range = parse_range(req.get_header_value("Range"), size, first, last);
    res.set_header("Accept-Ranges", "bytes");
    res.set_header("Last-Modified", http_date(modified));
    res.set_header("Content-Disposition", content_disposition(name, inline_disposition));
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

/// Deterministic pseudo-random content (incompressible, like media), seeded by the caller.
class Generator {
public:
    explicit Generator(std::uint64_t seed) : m_state(seed) {}
    void fill(char* buf, std::size_t n) {
        std::size_t i = 0;
        while (i < n) {
            std::uint64_t v = splitmix64(m_state++);
            for (int k = 0; k < 8 && i < n; ++k, ++i) {
                buf[i] = static_cast<char>(v & 0xFFU);
                v >>= 8;
            }
        }
    }

private:
    std::uint64_t m_state;
};

} // namespace

bool record_stored_part(Services& s, Asset& a, std::int64_t index, bool draw_faults) {
    if (a.upload_failed)
        return false; // a PUT that raced the failure: the failed upload never changes again
    const Micros now = s.clock.now();
    const bool last = !a.upload_completed_at && a.parts[static_cast<std::size_t>(index)] != '1' &&
                      a.parts_received + 1 == a.part_count;
    if (last && draw_faults && s.model.generation_of_project(a.project_id) == Generation::v4 &&
        s.faults.draw(FaultStream::upload_failed)) {
        s.model.fail_upload(a, now);
        return false;
    }
    return s.model.part_received(a, index, now) == Model::PartResult::completed;
}

void store_generated_content(Services& s, const std::string& asset_id, std::uint64_t seed) {
    std::vector<std::int64_t> lengths;
    {
        auto lock = s.model.lock();
        const Asset* a = s.model.asset(asset_id);
        if (!a)
            throw std::runtime_error("no asset " + asset_id);
        for (std::int64_t i = 0; i < a->part_count; ++i)
            lengths.push_back(a->part_length(i));
    }
    Generator gen(seed);
    std::vector<char> buf(1 << 20);
    bool completed = false;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        const auto index = static_cast<std::int64_t>(i);
        BufferedFile f;
        const auto temp = s.blobs.temp_path(asset_id, index);
        if (!f.open(temp))
            throw std::runtime_error("cannot write " + temp.string());
        for (std::int64_t left = lengths[i]; left > 0;) {
            const auto n = static_cast<std::size_t>(
                std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size())));
            gen.fill(buf.data(), n);
            if (!f.write(buf.data(), n))
                throw std::runtime_error("cannot write " + temp.string());
            left -= static_cast<std::int64_t>(n);
        }
        if (!f.close())
            throw std::runtime_error("cannot write " + temp.string());
        auto lock = s.model.lock();
        Asset* a = s.model.asset(asset_id);
        const auto final_path = s.blobs.part_path(asset_id, index);
        if (!a || std::rename(temp.c_str(), final_path.c_str()) != 0)
            throw std::runtime_error("cannot store " + final_path.string());
        completed = record_stored_part(s, *a, index, false);
    }
    if (completed)
        s.checksums.enqueue(asset_id);
}

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
    server.Get(R"(/originals/([^/]+)(/inline)?)",
               [&s](const httplib::Request& req, httplib::Response& res) {
                   handle_download(s, req, res);
               });
}

} // namespace fioemu
