// SPDX-License-Identifier: MIT
#pragma once

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/errors.hpp"
#include "core/http.hpp"
#include "core/json.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace fioemu {

class BlobStore;
class Checksummer;
class FaultInjector;
class HttpServer;
class ImsAuthority;
class Model;
class RateLimiter;
struct RateDecision;
class Stats;
class TokenRegistry;
class UrlSigner;
struct Options;

/// Everything a route handler may use. Owned by the Emulator.
struct Services {
    const Options& options;
    Clock& clock;
    Model& model;
    BlobStore& blobs;
    const UrlSigner& signer;
    TokenRegistry& tokens;
    RateLimiter& limiter;
    FaultInjector& faults;
    Stats& stats;
    Checksummer& checksums;
    std::string base_url; ///< "http://HOST:PORT", set once bound
    /// Every stats key a route can count under (fail-next accepts only these).
    std::set<std::string> route_keys;
    /// V4: developer tokens of V4-migrated accounts (--v4-legacy-token), and Adobe IMS.
    TokenRegistry* v4_legacy_tokens = nullptr;
    ImsAuthority* ims = nullptr;

    /// Whether the next new file gets a checksum (--no-checksum-rate, seeded).
    bool draw_checksum_eligible();
};

/// One authenticated API request in flight.
struct ApiCall {
    const httplib::Request& req;
    httplib::Response& res;
    Services& s;
    Principal principal;
    Micros now = 0;

    /// The n-th capture of the route pattern (1-based), e.g. an id.
    [[nodiscard]] std::string param(std::size_t n) const;
    /// The n-th capture as an id: lowercase; nullopt (after a 404) when it is not a UUID.
    std::optional<std::string> id_param(std::size_t n, std::string_view what);

    /// The JSON object body ({} when empty). On failure answers 400 and returns false.
    bool json_body(rapidjson::Document& doc);
    /// The raw body (a GET's body included).
    [[nodiscard]] const std::string& body() const;

    /// An integer query parameter in [min, max]; answers 422 and returns nullopt when invalid.
    std::optional<std::int64_t> query_int(const char* name, std::int64_t def, std::int64_t min,
                                          std::int64_t max);
    /// A boolean query parameter ("true"/"false"/"1"/"0"); 422 when invalid.
    std::optional<bool> query_bool(const char* name, bool def);

    void send_json(std::string body, int status = 200);
    void send_error(int status, std::string_view detail) { send_api_error(res, status, detail); }
    void send_error(const ApiError& e) { send_api_error(res, e); }
    /// Answers a successful DELETE: 200 with `body` (the V2 reference), or 204 without it
    /// (--delete-status 204).
    void send_deleted(std::string body);
};

/// Paging of a list of `total` items (page 1-based, page_size capped at --page-size-max);
/// sets the page-number, per-page, total and total-pages headers.
struct Page {
    std::int64_t number = 1;
    std::int64_t per_page = 50;
    std::int64_t total = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
};
/// Reads page/page_size from the query string; nullopt after answering 422.
std::optional<Page> query_page(ApiCall& call, std::size_t total);
/// Same, from explicit values (search bodies).
std::optional<Page> make_page(ApiCall& call, std::int64_t page, std::int64_t page_size,
                              std::size_t total);

using ApiHandler = std::function<void(ApiCall&)>;

/// How one generation frames a route: its stats key, its rate class, and how it writes an
/// error body (V2's HTTPError, V4's errors array).
struct ApiFrame {
    std::string key;
    std::string rate_class;
    std::function<void(httplib::Response&, int, std::string_view)> send_error;
};

/// Sets x-ratelimit-limit, -remaining and -window (milliseconds).
void set_rate_headers(httplib::Response& res, const RateDecision& d);

/// What every API route does once its caller is known, the same for both generations: the
/// rate limit (429), `authorize` (false: it has answered), fail-next before, the api5xx fault,
/// the post-upload settle pass, `handler` (an exception: 500), fail-next after. Injected 502,
/// 503 and 504 are the gateway's HTML page; other errors use `frame.send_error`.
void run_api_handler(Services& s, const ApiFrame& frame, const std::string& user_id, Micros now,
                     httplib::Response& res, const std::function<bool()>& authorize,
                     const std::function<void()>& handler);

/// Registers `handler` for `method` (GET, POST, PUT, DELETE or PATCH) on `regex`.
void register_route(HttpServer& server, const std::string& method, const std::string& regex,
                    httplib::Server::Handler handler);

/// Registers an API route: request stats, latency, auth (401), the rate limiter (429 and the
/// x-ratelimit-* headers), the scope check (403), fail-next and api5xx faults, the checksum
/// settle pass, then `handler`. `scope` empty = any valid token.
void add_api_route(HttpServer& server, Services& s, const std::string& method,
                   const std::string& regex, std::string key, std::string scope,
                   std::string rate_class, ApiHandler handler);

/// Marks the current request as counted under `key` (no-op if already counted).
void count_request(Services& s, const std::string& key);

/// Sleeps for the latency fault, if any.
void apply_latency(Services& s);

} // namespace fioemu
