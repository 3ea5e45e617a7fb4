// SPDX-License-Identifier: MIT
#include "core/api.hpp"

#include "core/checksum.hpp"
#include "core/crypto.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/json.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "core/rate_limit.hpp"
#include "core/stats.hpp"

#include <chrono>
#include <iostream>
#include <thread>

namespace fioemu {

bool Services::draw_checksum_eligible() {
    if (options.no_checksum_rate <= 0)
        return true;
    return faults.uniform(FaultStream::no_checksum) >= options.no_checksum_rate;
}

std::string ApiCall::param(std::size_t n) const {
    return n < req.matches.size() ? std::string(req.matches[n]) : std::string();
}

std::optional<std::string> ApiCall::id_param(std::size_t n, std::string_view what) {
    const std::string raw = param(n);
    if (!is_uuid(raw)) {
        send_error(404, std::string(what) + " not found ('" + raw + "' is not a valid id)");
        return std::nullopt;
    }
    return ascii_lower(raw);
}

const std::string& ApiCall::body() const {
    const RequestContext& ctx = current_request();
    return req.body.empty() ? ctx.get_body : req.body;
}

bool ApiCall::json_body(rapidjson::Document& doc) {
    const std::string& b = body();
    const auto first = b.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        doc.SetObject();
        return true;
    }
    const std::string type = ascii_lower(req.get_header_value("Content-Type"));
    if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
        // Still accepted by Frame.io ("discouraged"): fields arrive as strings and are cast
        // by the schema, as Phoenix/Ecto does.
        static const std::set<std::string> k_integers = {"filesize", "page", "page_size"};
        static const std::set<std::string> k_booleans = {"private", "include_deleted",
                                                         "is_realtime_upload"};
        httplib::Params params;
        httplib::detail::parse_query_text(b, params);
        doc.SetObject();
        auto& al = doc.GetAllocator();
        for (const auto& [k, v] : params) {
            rapidjson::Value key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()), al);
            rapidjson::Value val(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), al);
            if (k_integers.count(k) && !v.empty() && v.size() < 19 &&
                v.find_first_not_of("0123456789") == std::string::npos) {
                val.SetInt64(std::stoll(v));
            } else if (k_booleans.count(k) && (v == "true" || v == "false")) {
                val.SetBool(v == "true");
            }
            doc.RemoveMember(key);
            doc.AddMember(key, val, al);
        }
        return true;
    }
    if (type.rfind("multipart/form-data", 0) == 0) {
        send_error(415, "send a JSON body (Content-Type: application/json)");
        return false;
    }
    std::string error;
    if (!parse_json_object(b, doc, error)) {
        send_error(400, error);
        return false;
    }
    return true;
}

std::optional<std::int64_t> ApiCall::query_int(const char* name, std::int64_t def, std::int64_t min,
                                               std::int64_t max) {
    if (!req.has_param(name))
        return def;
    const std::string v = req.get_param_value(name);
    std::int64_t out = 0;
    bool ok = !v.empty() && v.size() <= 18; // at most 18 digits: no overflow below
    for (std::size_t i = 0; ok && i < v.size(); ++i) {
        if (v[i] < '0' || v[i] > '9') {
            ok = false;
        } else {
            out = out * 10 + (v[i] - '0');
        }
    }
    if (!ok || out < min || out > max) {
        send_error(422, std::string(name) + " must be an integer from " + std::to_string(min) +
                            (max < INT64_MAX ? " to " + std::to_string(max) : std::string(" up")));
        return std::nullopt;
    }
    return out;
}

std::optional<bool> ApiCall::query_bool(const char* name, bool def) {
    if (!req.has_param(name))
        return def;
    const std::string v = ascii_lower(req.get_param_value(name));
    if (v == "true" || v == "1")
        return true;
    if (v == "false" || v == "0")
        return false;
    send_error(422, std::string(name) + " must be true or false");
    return std::nullopt;
}

void ApiCall::send_json(std::string b, int status) {
    res.status = status;
    res.set_content(std::move(b), k_json_type);
}

void ApiCall::send_deleted(std::string b) {
    if (s.options.delete_status == 200) {
        send_json(std::move(b), 200);
    } else {
        res.status = 204;
    }
}

std::optional<Page> make_page(ApiCall& call, std::int64_t page, std::int64_t page_size,
                              std::size_t total) {
    if (page < 1) {
        call.send_error(422, "page must be an integer >= 1");
        return std::nullopt;
    }
    if (page_size < 1) {
        call.send_error(422, "page_size must be an integer >= 1");
        return std::nullopt;
    }
    Page p;
    p.number = page;
    p.per_page = std::min(page_size, call.s.options.page_size_max);
    p.total = static_cast<std::int64_t>(total);
    const std::int64_t pages = std::max<std::int64_t>(1, (p.total + p.per_page - 1) / p.per_page);
    // page may be huge (a search body): compare before multiplying.
    const std::int64_t begin =
        page - 1 >= pages ? p.total : std::min(p.total, (page - 1) * p.per_page);
    p.begin = static_cast<std::size_t>(begin);
    p.end = static_cast<std::size_t>(std::min(p.total, begin + p.per_page));
    call.res.set_header("page-number", std::to_string(p.number));
    call.res.set_header("per-page", std::to_string(p.per_page));
    call.res.set_header("total", std::to_string(p.total));
    call.res.set_header("total-pages", std::to_string(pages));
    return p;
}

std::optional<Page> query_page(ApiCall& call, std::size_t total) {
    const auto page = call.query_int("page", 1, 1, 1'000'000'000);
    if (!page)
        return std::nullopt;
    const auto size = call.query_int("page_size", 50, 1, 1'000'000'000);
    if (!size)
        return std::nullopt;
    return make_page(call, *page, *size, total);
}

void count_request(Services& s, const std::string& key) {
    RequestContext& ctx = current_request();
    if (ctx.counted || ctx.admin)
        return;
    ctx.counted = true;
    ctx.route = key;
    s.stats.count_request(key);
}

void apply_latency(Services& s) {
    const auto ms = s.faults.latency_ms();
    if (ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

namespace {

/// A JSON body value as a request parameter: strings as they are, other scalars as their JSON
/// text, arrays of scalars comma-joined (as `include=children,cover_asset`).
std::string param_text(const rapidjson::Value& v) {
    if (v.IsString())
        return std::string(v.GetString(), v.GetStringLength());
    if (v.IsArray()) {
        std::string joined;
        for (const auto& e : v.GetArray()) {
            if (!joined.empty())
                joined += ',';
            joined += param_text(e);
        }
        return joined;
    }
    return to_json_string(v);
}

/// Puts `value` (body wins) under `key`; objects nest as Plug's key[sub] names; null removes
/// the key (a nil parameter is an absent one).
void merge_param(httplib::Params& params, const std::string& key, const rapidjson::Value& value) {
    if (value.IsObject()) {
        for (const auto& m : value.GetObject()) {
            merge_param(params,
                        key + "[" + std::string(m.name.GetString(), m.name.GetStringLength()) + "]",
                        m.value);
        }
        return;
    }
    params.erase(key);
    if (!value.IsNull())
        params.emplace(key, param_text(value));
}

/// Phoenix's endpoint parses the body of every request with Plug.Parsers and merges the body
/// parameters over the query parameters (Map.merge(query_params, body_params)); Frame.io read
/// a GET's body that way, and the official V2 SDK sends page, page_size, include, ... in it.
/// JSON (application/json, application/*+json): an object's members are merged, any other JSON
/// value is ignored (Plug keeps it under "_json"), malformed JSON answers 400 (Plug.Parsers
/// .ParseError). Form bodies are merged too; other content types are passed over, as Phoenix's
/// default `pass: ["*/*"]` does. Returns false after answering 400.
bool merge_get_body(const httplib::Request& req, httplib::Params& params, httplib::Response& res) {
    const std::string& body = current_request().get_body;
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        return true;
    std::string type = ascii_lower(req.get_header_value("Content-Type"));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    if (type == "application/x-www-form-urlencoded") {
        httplib::Params form;
        httplib::detail::parse_query_text(body, form);
        for (const auto& [k, v] : form)
            params.erase(k);
        for (const auto& [k, v] : form)
            params.emplace(k, v);
        return true;
    }
    const bool json =
        type == "application/json" || (type.rfind("application/", 0) == 0 && type.size() > 17 &&
                                       type.compare(type.size() - 5, 5, "+json") == 0);
    if (!json)
        return true;
    rapidjson::Document doc;
    std::string error;
    if (!parse_json(body, doc, error)) {
        send_api_error(res, 400, "malformed request body: " + error);
        return false;
    }
    if (doc.IsObject()) {
        for (const auto& m : doc.GetObject())
            merge_param(params, std::string(m.name.GetString(), m.name.GetStringLength()), m.value);
    }
    return true;
}

} // namespace

void set_rate_headers(httplib::Response& res, const RateDecision& d) {
    res.set_header("x-ratelimit-limit", std::to_string(d.limit));
    res.set_header("x-ratelimit-remaining", std::to_string(d.remaining));
    res.set_header("x-ratelimit-window", std::to_string(d.window_ms));
}

void run_api_handler(Services& s, const ApiFrame& frame, const std::string& user_id, Micros now,
                     httplib::Response& res, const std::function<bool()>& authorize,
                     const std::function<void()>& handler) {
    const auto fail_with = [&](int status, std::string_view detail) {
        res.body.clear(); // keep the rate-limit headers already set
        if (status == 502 || status == 503 || status == 504) {
            send_gateway_error(res, status);
        } else {
            frame.send_error(res, status, detail);
        }
    };
    const bool forced = s.faults.take_burst429();
    const RateDecision d = s.limiter.take(user_id, frame.rate_class, now, forced);
    set_rate_headers(res, d);
    if (!d.allowed) {
        if (s.options.retry_after)
            res.set_header("Retry-After", std::to_string(d.retry_after_s));
        frame.send_error(res, 429,
                         "rate limit exceeded for " + frame.rate_class + ": " +
                             std::to_string(d.limit) + " requests per " +
                             std::to_string(d.window_ms) + " ms");
        return;
    }
    if (authorize && !authorize())
        return;
    auto rule = s.faults.take_fail_next(frame.key);
    if (rule && !rule->after)
        return fail_with(rule->status, "injected failure (fail-next, before)");
    if (s.faults.draw(FaultStream::api5xx)) {
        static constexpr int k_statuses[] = {500, 502, 503};
        const auto pick = static_cast<std::size_t>(s.faults.uniform(FaultStream::status) * 3);
        return fail_with(k_statuses[std::min<std::size_t>(pick, 2)], "injected failure (api5xx)");
    }
    s.checksums.settle();
    try {
        handler();
    } catch (const std::exception& e) {
        std::cerr << "frameio-emulator: " << frame.key << " failed: " << e.what() << "\n";
        return fail_with(500, "internal error");
    }
    if (rule && rule->after)
        fail_with(rule->status, "injected failure (fail-next, after the change was made)");
}

void register_route(HttpServer& server, const std::string& method, const std::string& regex,
                    httplib::Server::Handler handler) {
    if (method == "GET") {
        server.Get(regex, std::move(handler));
    } else if (method == "POST") {
        server.Post(regex, std::move(handler));
    } else if (method == "PUT") {
        server.Put(regex, std::move(handler));
    } else if (method == "DELETE") {
        server.Delete(regex, std::move(handler));
    } else if (method == "PATCH") {
        server.Patch(regex, std::move(handler));
    } else {
        throw std::logic_error("register_route: unsupported method " + method);
    }
}

void add_api_route(HttpServer& server, Services& s, const std::string& method,
                   const std::string& regex, std::string key, std::string scope,
                   std::string rate_class, ApiHandler handler) {
    s.route_keys.insert(key);
    const ApiFrame frame{key, rate_class,
                         [](httplib::Response& res, int status, std::string_view detail) {
                             send_api_error(res, status, detail);
                         }};
    auto wrapped = [&s, frame, scope, handler](const httplib::Request& req,
                                               httplib::Response& res) {
        count_request(s, frame.key);
        apply_latency(s);
        // Body parameters of a GET, parsed before the router as Phoenix's endpoint does. The
        // copy keeps `matches`, whose iterators point into the original request's path.
        std::optional<httplib::Request> merged;
        if (req.method == "GET" && !current_request().get_body.empty()) {
            merged.emplace(req);
            if (!merge_get_body(req, merged->params, res))
                return;
        }
        const httplib::Request& request = merged ? *merged : req;
        const Micros now = s.clock.now();
        auto who = authenticate(req.get_header_value("Authorization"), s.model, s.tokens, now);
        if (auto* err = std::get_if<ApiError>(&who)) {
            set_rate_headers(res, s.limiter.describe(frame.rate_class));
            send_api_error(res, *err);
            return;
        }
        ApiCall call{request, res, s, std::get<Principal>(std::move(who)), now};
        run_api_handler(
            s, frame, call.principal.user_id, now, res,
            [&] {
                if (scope.empty() || call.principal.has(scope))
                    return true;
                send_api_error(res, 403, "the token lacks the scope " + scope);
                return false;
            },
            [&] { handler(call); });
    };
    register_route(server, method, regex, wrapped);
}

} // namespace fioemu
