// SPDX-License-Identifier: MIT
#pragma once
// The frame of every /v4 route: authentication (Adobe IMS tokens, or a legacy developer token
// with x-frameio-legacy-token-auth), per-operation rate limits, faults, strict query and body
// validation (the schemas' additionalProperties: false), V4 error bodies and cursor paging.

#include "core/api.hpp"
#include "core/clock.hpp"
#include "core/http.hpp"
#include "core/model.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fioemu {

class HttpServer;
struct Services;

/// One authenticated /v4 request in flight.
struct V4Call {
    const httplib::Request& req;
    httplib::Response& res;
    Services& s;
    std::string user_id;    ///< the caller (a user of a V4 account)
    std::string account_id; ///< the caller's account
    Micros now = 0;

    /// The n-th capture of the route pattern (1-based).
    [[nodiscard]] std::string param(std::size_t n) const;
    /// The n-th capture as an id (lowercase); nullopt after a 404 naming `what`.
    std::optional<std::string> id_param(std::size_t n, std::string_view what);
    /// The n-th capture must be the caller's account id; false after a 404.
    bool check_account(std::size_t n);

    /// Refuses (422, unless --v4-lenient-query) any query parameter outside `allowed`.
    bool check_query(std::initializer_list<std::string_view> allowed);
    std::optional<bool> query_bool(const char* name, bool def);
    /// A comma-separated query value whose items must all be in `allowed` (include, type);
    /// empty when absent; nullopt after a 422.
    std::optional<std::vector<std::string>>
    query_list(const char* name, std::initializer_list<std::string_view> allowed);
    /// A query value that must be one of `allowed`; `def` when absent; nullopt after a 422.
    std::optional<std::string> query_enum(const char* name, std::string def,
                                          std::initializer_list<std::string_view> allowed);

    /// Reads {"data": {...}} and refuses any member of data outside `allowed` (422 with
    /// source.pointer "/data/NAME"), a body that is not an object, or a missing "data" when
    /// `required`. Returns the data object (null Value* when absent and not required), or
    /// nullopt after answering.
    std::optional<const rapidjson::Value*>
    data_body(rapidjson::Document& doc, std::initializer_list<std::string_view> allowed,
              bool required = true);

    void send_json(std::string body, int status = 200);
    /// 204, no body (every V4 delete).
    void send_no_content();
    void send_error(int status, std::string_view detail, std::string_view pointer = {}) {
        send_v4_error(res, status, detail, pointer);
    }
};

/// A page of a list sorted by a unique string key (ties broken by id inside the key).
/// The cursor (`after`) is opaque: it names the last key returned, so it stays valid while
/// items are added or removed, and carries the list's `sort` and `type` so that a client that
/// follows links.next without re-sending them still walks the same order.
struct V4Page {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::optional<std::string> next; ///< relative links.next, or nullopt on the last page
    bool include_total_count = false;
    std::int64_t total = 0;
};

/// The list's ordering and filter as carried by a cursor.
struct V4ListState {
    std::string sort; ///< "" when the list has no sort parameter
    std::string type; ///< "" when the list has no type filter
};

/// Reads page_size (default 50, 1..max_page_size; 422 or --v4-page-size-policy clamp),
/// include_total_count and after. `state` holds the request's sort/type; when the cursor
/// carries them and the request does not, they are taken from the cursor (and a request that
/// contradicts its cursor gets 422). Call before sorting; then call v4_page_of().
std::optional<std::string> v4_read_cursor(V4Call& c, V4ListState& state, std::int64_t max_page_size,
                                          std::int64_t& page_size, bool& include_total_count);

/// The page after `after_key` ("" = first page) of `keys` (sorted ascending, unique).
V4Page v4_page_of(V4Call& c, const std::vector<std::string>& keys, const std::string& after_key,
                  std::int64_t page_size, bool include_total_count, const V4ListState& state);

/// Writes `"links":{"next":..}` and, when asked, `"total_count"` after the data array.
void v4_write_list_tail(class Json& j, const V4Page& page);

/// An order-preserving sort key component for an integer (fixed width).
std::string v4_key_int(std::int64_t v);

using V4Handler = std::function<void(V4Call&)>;

/// Registers a /v4 route. `key` is the stats key and the route pattern as the OpenAPI document
/// writes it ("GET /v4/accounts/{account_id}/folders/{folder_id}/files"); `operation_id` the
/// document's operationId, whose rate class is "v4:" + operation_id.
void add_v4_route(HttpServer& server, Services& s, const std::string& method,
                  const std::string& regex, std::string key, const std::string& operation_id,
                  V4Handler handler);

} // namespace fioemu
