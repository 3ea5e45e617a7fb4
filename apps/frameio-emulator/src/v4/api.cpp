// SPDX-License-Identifier: MIT
#include "v4/api.hpp"

#include "core/auth.hpp"
#include "core/blobs.hpp"
#include "core/checksum.hpp"
#include "core/crypto.hpp"
#include "core/errors.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/json.hpp"
#include "core/options.hpp"
#include "core/rate_limit.hpp"
#include "core/stats.hpp"
#include "ims/ims.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

namespace fioemu {

namespace {

constexpr std::string_view k_unauthorized = "Invalid or missing authorization token";

/// The bearer token of an Authorization header, or "" when there is none.
std::string bearer_token(std::string_view header) {
    while (!header.empty() && header.front() == ' ')
        header.remove_prefix(1);
    const auto space = header.find(' ');
    if (space == std::string_view::npos || ascii_lower(header.substr(0, space)) != "bearer")
        return {};
    std::string_view value = header.substr(space);
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ')
        value.remove_suffix(1);
    return std::string(value);
}

/// Whether IMS scopes reach Frame.io: a user token needs AdobeID and additional_info.roles
/// (reported from the field: without roles every /v4 call is 401, and a client that re-sent
/// its scopes without AdobeID at the code exchange got tokens Frame.io refused); a
/// server-to-server token has AdobeID and frame.s2s.all.
bool scopes_reach_frameio(const std::set<std::string>& scopes) {
    if (scopes.count("AdobeID") == 0)
        return false;
    return scopes.count("additional_info.roles") > 0 || scopes.count("frame.s2s.all") > 0;
}

struct V4Caller {
    std::string user_id;
    std::string account_id;
};

/// Resolves the caller, or nullopt (401). V2 developer tokens and V2 OAuth tokens are unknown
/// here, as on the real service, where V4 logins and legacy accounts do not see each other.
std::optional<V4Caller> authenticate_v4(Services& s, const httplib::Request& req, Micros now) {
    const std::string token = bearer_token(req.get_header_value("Authorization"));
    if (token.empty())
        return std::nullopt;
    std::string user_id;
    const bool legacy_header =
        ascii_lower(req.get_header_value("x-frameio-legacy-token-auth")) == "true";
    if (s.v4_legacy_tokens && s.v4_legacy_tokens->find(token)) {
        if (!legacy_header)
            return std::nullopt; // a developer token needs the legacy header on /v4
        auto lock = s.model.lock();
        const User* u = s.model.first_user(Generation::v4);
        if (!u)
            return std::nullopt;
        user_id = u->id;
    } else if (s.ims) {
        auto identity = s.ims->authenticate(token, now);
        const auto* id = std::get_if<ImsIdentity>(&identity);
        if (!id || !scopes_reach_frameio(id->scopes))
            return std::nullopt;
        user_id = id->user_id;
    } else {
        return std::nullopt;
    }
    auto lock = s.model.lock();
    const User* u = s.model.user(user_id);
    const Account* a = u ? s.model.account(u->account_id) : nullptr;
    if (!a || a->generation != Generation::v4)
        return std::nullopt;
    return V4Caller{user_id, a->id};
}

// --- cursors -------------------------------------------------------------------------------

constexpr std::string_view k_cursor_magic = "fio4";

/// A cursor: base64url(magic, list path, sort, type, last key) "." tag. The tag makes it
/// unforgeable; the path ties it to the listing that issued it.
std::string encode_cursor(const UrlSigner& signer, const std::string& path,
                          const V4ListState& state, const std::string& key) {
    std::string raw(k_cursor_magic);
    for (const std::string* field : {&path, &state.sort, &state.type, &key}) {
        raw += '\0';
        raw += *field;
    }
    return base64url(raw) + "." + signer.tag(raw);
}

struct DecodedCursor {
    std::string path;
    V4ListState state;
    std::string key;
};

std::optional<DecodedCursor> decode_cursor(const UrlSigner& signer, std::string_view cursor) {
    const auto dot = cursor.rfind('.');
    if (dot == std::string_view::npos)
        return std::nullopt;
    const auto raw = base64_decode(cursor.substr(0, dot));
    if (!raw || signer.tag(*raw) != cursor.substr(dot + 1))
        return std::nullopt;
    std::vector<std::string> parts;
    std::size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        const auto z = raw->find('\0', pos);
        if (z == std::string::npos)
            return std::nullopt;
        parts.push_back(raw->substr(pos, z - pos));
        pos = z + 1;
    }
    if (parts[0] != k_cursor_magic)
        return std::nullopt;
    return DecodedCursor{parts[1], {parts[2], parts[3]}, raw->substr(pos)};
}

} // namespace

std::string V4Call::param(std::size_t n) const {
    return n < req.matches.size() ? std::string(req.matches[n]) : std::string();
}

std::optional<std::string> V4Call::id_param(std::size_t n, std::string_view what) {
    const std::string raw = param(n);
    if (!is_uuid(raw)) {
        send_error(404, std::string(what) + " not found");
        return std::nullopt;
    }
    return ascii_lower(raw);
}

bool V4Call::check_account(std::size_t n) {
    const std::string raw = ascii_lower(param(n));
    if (raw != account_id) {
        send_error(404, "Account not found");
        return false;
    }
    return true;
}

bool V4Call::check_query(std::initializer_list<std::string_view> allowed) {
    if (s.options.v4_lenient_query)
        return true;
    for (const auto& [name, value] : req.params) {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            send_error(422, "Unexpected query parameter: " + name);
            return false;
        }
    }
    return true;
}

std::optional<bool> V4Call::query_bool(const char* name, bool def) {
    if (!req.has_param(name))
        return def;
    const std::string v = ascii_lower(req.get_param_value(name));
    if (v == "true")
        return true;
    if (v == "false")
        return false;
    send_error(422, std::string(name) + " must be true or false");
    return std::nullopt;
}

std::optional<std::vector<std::string>>
V4Call::query_list(const char* name, std::initializer_list<std::string_view> allowed) {
    std::vector<std::string> out;
    if (!req.has_param(name))
        return out;
    const std::string v = req.get_param_value(name);
    std::size_t pos = 0;
    while (pos <= v.size()) {
        auto comma = v.find(',', pos);
        if (comma == std::string::npos)
            comma = v.size();
        const std::string item = v.substr(pos, comma - pos);
        pos = comma + 1;
        if (item.empty())
            continue;
        if (std::find(allowed.begin(), allowed.end(), item) == allowed.end()) {
            std::string known;
            for (const auto a : allowed)
                known += (known.empty() ? "" : ", ") + std::string(a);
            send_error(422, "Invalid " + std::string(name) + " value: " + item +
                                " (allowed: " + known + ")");
            return std::nullopt;
        }
        out.push_back(item);
    }
    return out;
}

std::optional<std::string> V4Call::query_enum(const char* name, std::string def,
                                              std::initializer_list<std::string_view> allowed) {
    if (!req.has_param(name))
        return def;
    const std::string v = req.get_param_value(name);
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        send_error(422, "Invalid " + std::string(name) + " value: " + v);
        return std::nullopt;
    }
    return v;
}

std::optional<const rapidjson::Value*>
V4Call::data_body(rapidjson::Document& doc, std::initializer_list<std::string_view> allowed,
                  bool required) {
    const RequestContext& ctx = current_request();
    const std::string& b = req.body.empty() ? ctx.get_body : req.body;
    if (b.find_first_not_of(" \t\r\n") == std::string::npos) {
        if (required) {
            send_error(422, "Missing field: data", "/data");
            return std::nullopt;
        }
        return nullptr;
    }
    std::string error;
    if (!parse_json_object(b, doc, error)) {
        send_error(400, "Malformed JSON body: " + error);
        return std::nullopt;
    }
    for (const auto& m : doc.GetObject()) {
        const std::string name(m.name.GetString(), m.name.GetStringLength());
        if (name != "data") {
            send_error(422, "Unexpected field: " + name, "/" + name);
            return std::nullopt;
        }
    }
    const auto it = doc.FindMember("data");
    if (it == doc.MemberEnd()) {
        if (required) {
            send_error(422, "Missing field: data", "/data");
            return std::nullopt;
        }
        return nullptr;
    }
    if (!it->value.IsObject()) {
        send_error(422, "data must be an object", "/data");
        return std::nullopt;
    }
    for (const auto& m : it->value.GetObject()) {
        const std::string name(m.name.GetString(), m.name.GetStringLength());
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            send_error(422, "Unexpected field: " + name, "/data/" + name);
            return std::nullopt;
        }
    }
    return &it->value;
}

void V4Call::send_json(std::string body, int status) {
    res.status = status;
    res.set_content(std::move(body), k_json_type);
}

void V4Call::send_no_content() {
    res.status = 204;
    res.body.clear();
}

std::optional<std::string> v4_read_cursor(V4Call& c, V4ListState& state, std::int64_t max_page_size,
                                          std::int64_t& page_size, bool& include_total_count) {
    page_size = 50;
    if (c.req.has_param("page_size")) {
        const std::string v = c.req.get_param_value("page_size");
        std::int64_t n = 0;
        bool ok =
            !v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos;
        if (ok)
            n = std::stoll(v);
        if (ok && (n < 1 || n > max_page_size)) {
            if (c.s.options.v4_page_size_clamp) {
                n = std::clamp<std::int64_t>(n, 1, max_page_size);
            } else {
                ok = false;
            }
        }
        if (!ok) {
            c.send_error(
                422, "page_size must be an integer from 1 to " + std::to_string(max_page_size), "");
            return std::nullopt;
        }
        page_size = n;
    }
    const auto total = c.query_bool("include_total_count", false);
    if (!total)
        return std::nullopt;
    include_total_count = *total;
    if (!c.req.has_param("after") || c.req.get_param_value("after").empty())
        return std::string();
    const auto cursor = decode_cursor(c.s.signer, c.req.get_param_value("after"));
    if (!cursor) {
        c.send_error(422, "Invalid cursor: after");
        return std::nullopt;
    }
    if (cursor->path != c.req.path) {
        c.send_error(422, "The cursor belongs to another listing");
        return std::nullopt;
    }
    const bool sort_given = c.req.has_param("sort");
    const bool type_given = c.req.has_param("type");
    if ((sort_given && cursor->state.sort != state.sort) ||
        (type_given && cursor->state.type != state.type)) {
        c.send_error(422, "The cursor belongs to a listing with another sort or type");
        return std::nullopt;
    }
    state = cursor->state;
    return cursor->key;
}

V4Page v4_page_of(V4Call& c, const std::vector<std::string>& keys, const std::string& after_key,
                  std::int64_t page_size, bool include_total_count, const V4ListState& state) {
    V4Page p;
    p.include_total_count = include_total_count;
    p.total = static_cast<std::int64_t>(keys.size());
    const auto first =
        after_key.empty() ? keys.begin() : std::upper_bound(keys.begin(), keys.end(), after_key);
    p.begin = static_cast<std::size_t>(first - keys.begin());
    p.end = std::min(keys.size(), p.begin + static_cast<std::size_t>(page_size));
    if (p.end < keys.size() && p.end > p.begin) {
        // Only the cursor is carried (as the guide says): a client re-sends its own parameters.
        p.next = c.req.path + "?after=" +
                 httplib::detail::encode_query_param(
                     encode_cursor(c.s.signer, c.req.path, state, keys[p.end - 1]));
    }
    return p;
}

void v4_write_list_tail(Json& j, const V4Page& page) {
    j.key("links").begin_object().key("next");
    if (page.next) {
        j.str(*page.next);
    } else {
        j.null();
    }
    j.end_object();
    if (page.include_total_count)
        j.key("total_count").i64(page.total);
}

std::string v4_key_int(std::int64_t v) {
    // Offset so that negative values sort first; 20 digits keep lexicographic = numeric order.
    char buf[32];
    std::snprintf(buf, sizeof buf, "%020llu",
                  static_cast<unsigned long long>(v) ^ 0x8000000000000000ULL);
    return buf;
}

void add_v4_route(HttpServer& server, Services& s, const std::string& method,
                  const std::string& regex, std::string key, const std::string& operation_id,
                  V4Handler handler) {
    s.route_keys.insert(key);
    const ApiFrame frame{key, "v4:" + operation_id,
                         [](httplib::Response& res, int status, std::string_view detail) {
                             send_v4_error(res, status, detail);
                         }};
    auto wrapped = [&s, frame, handler](const httplib::Request& req, httplib::Response& res) {
        count_request(s, frame.key);
        apply_latency(s);
        const Micros now = s.clock.now();
        const auto caller = authenticate_v4(s, req, now);
        if (!caller) {
            set_rate_headers(res, s.limiter.describe(frame.rate_class));
            send_v4_error(res, 401, k_unauthorized);
            return;
        }
        V4Call call{req, res, s, caller->user_id, caller->account_id, now};
        run_api_handler(s, frame, call.user_id, now, res, {}, [&] { handler(call); });
    };
    register_route(server, method, regex, wrapped);
}

} // namespace fioemu
