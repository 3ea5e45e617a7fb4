// SPDX-License-Identifier: MIT
#include "emulator/emulator_fixture.hpp"

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <stdexcept>

namespace fios::test::emu {
namespace {

std::string json_string(const std::string& s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    writer.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(buf.GetString(), buf.GetSize());
}

} // namespace

std::vector<std::string> emulator_args(const EmuOptions& options) {
    std::vector<std::string> args;
    if (options.default_token) {
        args.emplace_back("--token");
        args.emplace_back(k_token);
    }
    if (!options.rate_limited)
        args.emplace_back("--no-rate-limit");
    args.insert(args.end(), options.args.begin(), options.args.end());
    return args;
}

Emu::Emu(EmuOptions options)
    : m_process(std::make_unique<EmulatorProcess>(emulator_args(options))) {}

rapidjson::Document expect_json(const HttpResponse& response, long status) {
    if (response.status != status) {
        throw std::runtime_error("expected HTTP " + std::to_string(status) + ", got " +
                                 response.describe());
    }
    return parse_json(response.body);
}

const rapidjson::Value& member(const rapidjson::Value& object, const char* key) {
    if (!object.IsObject())
        throw std::runtime_error(std::string("not an object, wanted ") + key);
    auto it = object.FindMember(key);
    if (it == object.MemberEnd()) {
        throw std::runtime_error(std::string("missing key '") + key + "' in " + to_json(object));
    }
    return it->value;
}

std::string str(const rapidjson::Value& object, const char* key) {
    const auto& v = member(object, key);
    if (!v.IsString()) {
        throw std::runtime_error(std::string("'") + key + "' is not a string in " +
                                 to_json(object).substr(0, 400));
    }
    return std::string(v.GetString(), v.GetStringLength());
}

std::int64_t int64(const rapidjson::Value& object, const char* key) {
    const auto& v = member(object, key);
    if (!v.IsInt64()) {
        throw std::runtime_error(std::string("'") + key + "' is not an integer in " +
                                 to_json(object).substr(0, 400));
    }
    return v.GetInt64();
}

bool is_null(const rapidjson::Value& object, const char* key) {
    return member(object, key).IsNull();
}

bool looks_like_uuid(const std::string& s) {
    static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    return std::regex_match(s, re);
}

bool looks_like_timestamp(const std::string& s) {
    static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");
    return std::regex_match(s, re);
}

std::string first_team_id(const Api& api) {
    auto teams = expect_json(api.get("/v2/teams"));
    if (!teams.IsArray() || teams.Empty()) {
        throw std::runtime_error("GET /v2/teams returned no team: " + to_json(teams));
    }
    return str(teams[0], "id");
}

rapidjson::Document create_project(const Api& api, const std::string& name) {
    auto team = first_team_id(api);
    auto r = api.post_json("/v2/teams/" + team + "/projects",
                           R"({"name":)" + json_string(name) + R"(,"private":false})");
    if (r.status != 200 && r.status != 201) {
        throw std::runtime_error("create project failed: " + r.describe());
    }
    return parse_json(r.body);
}

rapidjson::Document create_folder(const Api& api, const std::string& parent_id,
                                  const std::string& name) {
    auto r = api.post_json("/v2/assets/" + parent_id + "/children",
                           R"({"type":"folder","name":)" + json_string(name) + "}");
    if (r.status != 200 && r.status != 201) {
        throw std::runtime_error("create folder failed: " + r.describe());
    }
    return parse_json(r.body);
}

rapidjson::Document create_file(const Api& api, const std::string& parent_id,
                                const std::string& name, std::uint64_t size,
                                const std::string& filetype) {
    auto r =
        api.post_json("/v2/assets/" + parent_id + "/children",
                      R"({"type":"file","name":)" + json_string(name) + R"(,"filetype":)" +
                          json_string(filetype) + R"(,"filesize":)" + std::to_string(size) + "}");
    if (r.status != 200 && r.status != 201) {
        throw std::runtime_error("create file failed: " + r.describe());
    }
    return parse_json(r.body);
}

rapidjson::Document get_asset(const Api& api, const std::string& id, const std::string& query) {
    return expect_json(api.get("/v2/assets/" + id + query));
}

std::vector<rapidjson::Document> list_children(const Api& api, const std::string& id, int page_size,
                                               const std::string& query) {
    std::vector<rapidjson::Document> out;
    int total_pages = 1;
    for (int page = 1; page <= total_pages; ++page) {
        auto r = api.get("/v2/assets/" + id + "/children?page=" + std::to_string(page) +
                         "&page_size=" + std::to_string(page_size) + query);
        auto doc = expect_json(r);
        if (!doc.IsArray())
            throw std::runtime_error("children is not an array: " + r.body);
        if (!r.has_header("total-pages")) {
            throw std::runtime_error("children without total-pages header");
        }
        total_pages = std::stoi(r.header("total-pages"));
        if (total_pages > 10000)
            throw std::runtime_error("absurd total-pages");
        for (auto& item : doc.GetArray()) {
            rapidjson::Document copy;
            copy.CopyFrom(item, copy.GetAllocator());
            out.push_back(std::move(copy));
        }
    }
    return out;
}

std::vector<std::string> child_ids(const Api& api, const std::string& id,
                                   const std::string& query) {
    std::vector<std::string> ids;
    for (const auto& c : list_children(api, id, 50, query))
        ids.push_back(str(c, "id"));
    return ids;
}

std::vector<std::string> upload_urls(const rapidjson::Value& asset) {
    const auto& v = member(asset, "upload_urls");
    if (!v.IsArray())
        throw std::runtime_error("upload_urls is not an array");
    std::vector<std::string> out;
    for (const auto& u : v.GetArray()) {
        if (!u.IsString())
            throw std::runtime_error("upload_urls holds a non-string");
        out.emplace_back(u.GetString(), u.GetStringLength());
    }
    return out;
}

std::vector<std::size_t> part_lengths(std::size_t size, std::size_t n) {
    std::vector<std::size_t> out;
    if (n == 0)
        return out;
    const std::size_t chunk = (size + n - 1) / n;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t len = offset >= size ? 0 : std::min(chunk, size - offset);
        out.push_back(len);
        offset += len;
    }
    return out;
}

HttpResponse put_part(const std::string& url, const std::string& bytes,
                      const std::string& content_type, bool with_acl) {
    HttpRequest req;
    req.method = "PUT";
    req.url = url;
    req.body = bytes;
    req.headers.push_back(content_type.empty() ? std::string("Content-Type:")
                                               : "Content-Type: " + content_type);
    if (with_acl)
        req.headers.emplace_back("x-amz-acl: private");
    return perform(req);
}

void upload_all(const rapidjson::Value& asset, const std::string& data,
                const std::string& content_type) {
    auto urls = upload_urls(asset);
    auto lengths = part_lengths(data.size(), urls.size());
    std::size_t offset = 0;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        auto r = put_part(urls[i], data.substr(offset, lengths[i]), content_type);
        if (r.status != 200) {
            throw std::runtime_error("part " + std::to_string(i) + " PUT failed: " + r.describe());
        }
        offset += lengths[i];
    }
}

rapidjson::Document upload_file(const Api& api, const std::string& parent_id,
                                const std::string& name, const std::string& data,
                                const std::string& content_type) {
    auto asset = create_file(api, parent_id, name, data.size(), content_type);
    upload_all(asset, data, content_type);
    auto id = str(asset, "id");
    if (!wait_upload_completed(api, id)) {
        throw std::runtime_error("upload_completed_at never set on " + id);
    }
    return get_asset(api, id);
}

bool wait_upload_completed(const Api& api, const std::string& id) {
    return wait_until([&] {
        auto r = api.get("/v2/assets/" + id);
        if (r.status != 200)
            return false;
        auto doc = parse_json(r.body);
        return doc.HasMember("upload_completed_at") && doc["upload_completed_at"].IsString();
    });
}

HttpResponse fetch(const std::string& url, std::vector<std::string> headers) {
    HttpRequest req;
    req.url = url;
    req.headers = std::move(headers);
    return perform(req);
}

std::string http_error_problem(const HttpResponse& response, long status) {
    if (response.status != status) {
        return "expected HTTP " + std::to_string(status) + ", got " + response.describe();
    }
    rapidjson::Document doc;
    doc.Parse(response.body.c_str(), response.body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return "body is not a JSON object: " + response.body;
    if (!doc.HasMember("code") || !doc["code"].IsInt() || doc["code"].GetInt() != status) {
        return "\"code\" is not the HTTP status: " + response.body;
    }
    if (!doc.HasMember("message") || !doc["message"].IsString()) {
        return "\"message\" is missing or not a string: " + response.body;
    }
    if (!doc.HasMember("errors") || !doc["errors"].IsArray() || doc["errors"].Empty()) {
        return "\"errors\" is missing, empty or not an array: " + response.body;
    }
    for (const auto& e : doc["errors"].GetArray()) {
        if (!e.IsObject())
            return "an errors[] entry is not an object: " + response.body;
        if (!e.HasMember("code") || !e["code"].IsInt())
            return "errors[].code: " + response.body;
        if (!e.HasMember("status") || !e["status"].IsInt() || e["status"].GetInt() != status) {
            return "errors[].status is not the HTTP status: " + response.body;
        }
        if (!e.HasMember("title") || !e["title"].IsString()) {
            return "errors[].title: " + response.body;
        }
        if (!e.HasMember("detail") || !e["detail"].IsString()) {
            return "errors[].detail: " + response.body;
        }
    }
    return {};
}

std::string pkce_s256(const std::string& verifier) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    std::string b64(4 * ((len + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), digest,
                            static_cast<int>(len));
    b64.resize(static_cast<std::size_t>(n));
    for (auto& c : b64) {
        if (c == '+')
            c = '-';
        if (c == '/')
            c = '_';
    }
    while (!b64.empty() && b64.back() == '=')
        b64.pop_back();
    return b64;
}

HttpResponse oauth_authorize(const std::string& base_url, const std::string& client_id,
                             const std::string& redirect_uri, const std::string& scope,
                             const std::string& state, const std::string& challenge) {
    std::string url = base_url + "/oauth2/auth?response_type=code";
    auto add = [&](const char* key, const std::string& value) {
        if (!value.empty())
            url += std::string("&") + key + "=" + url_encode(value);
    };
    add("client_id", client_id);
    add("redirect_uri", redirect_uri);
    add("scope", scope);
    add("state", state);
    add("code_challenge", challenge);
    if (!challenge.empty())
        url += "&code_challenge_method=S256";
    return fetch(url);
}

HttpResponse oauth_token(const std::string& base_url,
                         const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string form;
    for (const auto& [k, v] : fields) {
        if (!form.empty())
            form += '&';
        form += url_encode(k) + "=" + url_encode(v);
    }
    HttpRequest req;
    req.method = "POST";
    req.url = base_url + "/oauth2/token";
    req.body = form;
    req.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
    return perform(req);
}

OAuthGrant oauth_login(const std::string& base_url, const std::string& scope,
                       const std::string& client_id, const std::string& redirect_uri) {
    // RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~].
    const std::string verifier = "contract-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    auto auth =
        oauth_authorize(base_url, client_id, redirect_uri, scope, "st4te", pkce_s256(verifier));
    if (auth.status < 300 || auth.status > 399) {
        throw std::runtime_error("/oauth2/auth did not redirect: " + auth.describe());
    }
    auto params = query_params(auth.header("location"));
    if (params["code"].empty()) {
        throw std::runtime_error("no code in redirect " + auth.header("location"));
    }
    auto tok = oauth_token(base_url, {{"grant_type", "authorization_code"},
                                      {"code", params["code"]},
                                      {"redirect_uri", redirect_uri},
                                      {"client_id", client_id},
                                      {"code_verifier", verifier}});
    auto doc = expect_json(tok, 200);
    OAuthGrant grant;
    grant.access_token = str(doc, "access_token");
    if (doc.HasMember("refresh_token") && doc["refresh_token"].IsString()) {
        grant.refresh_token = doc["refresh_token"].GetString();
    }
    grant.expires_in = int64(doc, "expires_in");
    return grant;
}

void advance_clock(const Api& api, std::int64_t seconds) {
    auto r =
        api.post_json("/_emulator/clock", R"({"advance_seconds":)" + std::to_string(seconds) + "}");
    if (r.status < 200 || r.status > 299) {
        throw std::runtime_error("POST /_emulator/clock failed: " + r.describe());
    }
}

std::string make_bytes(std::size_t size, std::uint64_t seed) {
    std::string out(size, '\0');
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    for (std::size_t i = 0; i < size; ++i) {
        // xorshift64*: cheap, deterministic, and not compressible into patterns by accident.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out[i] = static_cast<char>(static_cast<unsigned char>((x * 0x2545F4914F6CDD1DULL) >> 56));
    }
    return out;
}

std::string xxh64_hex(const std::string& data) {
    XXH64_hash_t h = XXH64(data.data(), data.size(), 0);
    XXH64_canonical_t canon;
    XXH64_canonicalFromHash(&canon, h);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char b : canon.digest) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

} // namespace fios::test::emu
