// SPDX-License-Identifier: MIT
#include "fios/api/v4_client.hpp"

#include "fios/api/v4_json.hpp"
#include "fios/hash/xxh64.hpp"
#include "fios/net/url.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <unordered_set>

namespace fios::api {
namespace {

using net::Method;

// Patterns are the OpenAPI path templates (the emulator's stats and fail-next keys). Each is
// its own rate-limit bucket: V4 limits every operation separately, per account_user.
#define FIOS_V4_A "/v4/accounts/{account_id}"
// The last two numbers are the limit each operation's OpenAPI description documents
// ("Rate Limits: N calls per 1 second(s) | 1.00 minute(s) per account_user"; recorded in
// docs/frameio-api-notes.md): the pacer starts from them (RestRoute::documented_limit).
constexpr std::int64_t k_sec = 1000;
constexpr std::int64_t k_min = 60'000;
constexpr RestRoute k_me{Method::get, "GET /v4/me", CallKind::read, "", 100, k_min};
constexpr RestRoute k_accounts{Method::get, "GET /v4/accounts", CallKind::read, "", 100, k_min};
constexpr RestRoute k_workspaces{
    Method::get, "GET " FIOS_V4_A "/workspaces", CallKind::read, "", 100, k_min};
constexpr RestRoute k_projects{
    Method::get, "GET " FIOS_V4_A "/workspaces/{workspace_id}/projects", CallKind::read, "", 100,
    k_min};
constexpr RestRoute k_create_project{
    Method::post, "POST " FIOS_V4_A "/workspaces/{workspace_id}/projects", CallKind::create, "", 10,
    k_min};
constexpr RestRoute k_project{
    Method::get, "GET " FIOS_V4_A "/projects/{project_id}", CallKind::read, "", 100, k_min};
constexpr RestRoute k_folder{
    Method::get, "GET " FIOS_V4_A "/folders/{folder_id}", CallKind::read, "", 100, k_min};
constexpr RestRoute k_folder_folders{
    Method::get, "GET " FIOS_V4_A "/folders/{folder_id}/folders", CallKind::read, "", 5, k_sec};
constexpr RestRoute k_folder_files{
    Method::get, "GET " FIOS_V4_A "/folders/{folder_id}/files", CallKind::read, "", 5, k_sec};
constexpr RestRoute k_folder_stacks{
    Method::get, "GET " FIOS_V4_A "/folders/{folder_id}/version_stacks", CallKind::read, "", 5,
    k_sec};
constexpr RestRoute k_stack{
    Method::get, "GET " FIOS_V4_A "/version_stacks/{version_stack_id}", CallKind::read, "", 100,
    k_min};
constexpr RestRoute k_stack_children{Method::get,
                                     "GET " FIOS_V4_A "/version_stacks/{version_stack_id}/children",
                                     CallKind::read,
                                     "",
                                     100,
                                     k_min};
constexpr RestRoute k_file{Method::get, "GET " FIOS_V4_A "/files/{file_id}", CallKind::read, "", 10,
                           k_sec};
constexpr RestRoute k_file_status{
    Method::get, "GET " FIOS_V4_A "/files/{file_id}/status", CallKind::read, "", 5, k_sec};
constexpr RestRoute k_create_folder{
    Method::post, "POST " FIOS_V4_A "/folders/{folder_id}/folders", CallKind::create, "", 3, k_sec};
constexpr RestRoute k_local_upload{Method::post,
                                   "POST " FIOS_V4_A "/folders/{folder_id}/files/local_upload",
                                   CallKind::create,
                                   "",
                                   5,
                                   k_sec};
constexpr RestRoute k_delete_file{
    Method::del, "DELETE " FIOS_V4_A "/files/{file_id}", CallKind::write, "", 100, k_min};
constexpr RestRoute k_delete_folder{
    Method::del, "DELETE " FIOS_V4_A "/folders/{folder_id}", CallKind::write, "", 60, k_min};
#undef FIOS_V4_A

/// "/v4/accounts/<a>" + each (segment, id) pair, ids percent-encoded.
std::string account_path(const std::string& account_id, std::string_view rest = {}) {
    return "/v4/accounts/" + net::url_encode(account_id) + std::string(rest);
}
std::string account_path(const std::string& account_id, std::string_view kind,
                         const std::string& id, std::string_view suffix = {}) {
    return account_path(account_id) + "/" + std::string(kind) + "/" + net::url_encode(id) +
           std::string(suffix);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// Percent-decoding of a query component ('+' stays '+': cursors are base64).
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size())
            return std::nullopt;
        const int hi = hex_value(s[i + 1]);
        const int lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

/// Passes a body through, stopping when a second cancel token fires.
class CancellableSource final : public net::BodySource {
public:
    CancellableSource(net::BodySource& inner, const CancelToken* a, const CancelToken* b)
        : m_inner(inner), m_a(a), m_b(b) {}
    [[nodiscard]] std::uint64_t size() const override { return m_inner.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        if ((m_a && m_a->cancelled()) || (m_b && m_b->cancelled()))
            return Error{ErrorCode::cancelled, "cancelled"};
        return m_inner.read(buf);
    }
    Status rewind() override { return m_inner.rewind(); }

private:
    net::BodySource& m_inner;
    const CancelToken* m_a;
    const CancelToken* m_b;
};

} // namespace

Result<std::string> content_md5(net::BodySource& body, const CancelToken* cancel,
                                const CancelToken* also) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1)
        return Error{ErrorCode::internal, "Content-MD5: MD5 is not available from OpenSSL"};
    if (auto r = body.rewind(); !r)
        return r.error().with_context("Content-MD5: rewinding the part");
    std::vector<char> buf(256 * 1024);
    std::uint64_t total = 0;
    while (true) {
        if ((cancel && cancel->cancelled()) || (also && also->cancelled()))
            return Error{ErrorCode::cancelled, "Content-MD5: cancelled"};
        auto n = body.read(std::span<char>(buf.data(), buf.size()));
        if (!n)
            return n.error().with_context("Content-MD5: reading the part");
        if (*n == 0)
            break;
        total += *n;
        if (EVP_DigestUpdate(ctx.get(), buf.data(), *n) != 1)
            return Error{ErrorCode::internal, "Content-MD5: digest update failed"};
    }
    if (total != body.size()) {
        return Error{ErrorCode::io, "Content-MD5: the part produced " + std::to_string(total) +
                                        " bytes, expected " + std::to_string(body.size())};
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1 || length != 16)
        return Error{ErrorCode::internal, "Content-MD5: digest failed"};
    std::array<unsigned char, 32> b64{};
    const int written = EVP_EncodeBlock(b64.data(), digest.data(), 16);
    if (written != 24)
        return Error{ErrorCode::internal, "Content-MD5: base64 failed"};
    if (auto r = body.rewind(); !r)
        return r.error().with_context("Content-MD5: rewinding the part");
    return std::string(reinterpret_cast<const char*>(b64.data()), 24);
}

namespace {

/// `<length>:<bytes>`.
void put_prefixed(std::string& out, std::string_view bytes) {
    out += std::to_string(bytes.size());
    out += ':';
    out += bytes;
}

/// Takes one `<length>:<bytes>` off the front of `text`; nothing when it is not one.
std::optional<std::string_view> take_prefixed(std::string_view& text) {
    std::size_t length = 0;
    auto [colon, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (ec != std::errc{} || colon == text.data() + text.size() || *colon != ':')
        return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(colon - text.data()) + 1);
    if (length > text.size())
        return std::nullopt;
    const std::string_view bytes = text.substr(0, length);
    text.remove_prefix(length);
    return bytes;
}

} // namespace

std::string ListFingerprint::encode() const {
    std::string out;
    for (const auto& p : pages) {
        out += hash::to_hex(p.body_hash);
        put_prefixed(out, p.next);
    }
    return out;
}

std::optional<ListFingerprint> ListFingerprint::decode(std::string_view text) {
    ListFingerprint out;
    while (!text.empty()) {
        ListFingerprint::Page page;
        if (text.size() < 16)
            return std::nullopt;
        auto [end, ec] = std::from_chars(text.data(), text.data() + 16, page.body_hash, 16);
        if (ec != std::errc{} || end != text.data() + 16)
            return std::nullopt;
        text.remove_prefix(16);
        auto next = take_prefixed(text);
        if (!next)
            return std::nullopt;
        page.next = std::string(*next);
        out.pages.push_back(std::move(page));
    }
    return out;
}

std::string ListFingerprint::encode_all(std::initializer_list<const ListFingerprint*> lists) {
    std::string out;
    for (const auto* list : lists)
        put_prefixed(out, list->encode());
    return out;
}

std::optional<std::vector<ListFingerprint>> ListFingerprint::decode_all(std::string_view text,
                                                                        std::size_t count) {
    std::vector<ListFingerprint> out;
    while (out.size() < count) {
        auto one = take_prefixed(text);
        if (!one)
            return std::nullopt;
        auto decoded = decode(*one);
        if (!decoded)
            return std::nullopt;
        out.push_back(std::move(*decoded));
    }
    if (!text.empty())
        return std::nullopt;
    return out;
}

Result<std::string> next_cursor(std::string_view next) {
    auto q = next.find('?');
    if (q == std::string_view::npos)
        return Error{ErrorCode::parse, "links.next has no query, expected an 'after' cursor"};
    std::string_view query = next.substr(q + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos)
        query = query.substr(0, hash);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos || pair.substr(0, eq) != "after")
            continue;
        auto value = percent_decode(pair.substr(eq + 1));
        if (!value || value->empty())
            return Error{ErrorCode::parse, "links.next has a malformed 'after' cursor"};
        return *value;
    }
    return Error{ErrorCode::parse, "links.next has no 'after' cursor"};
}

// ---- the client -----------------------------------------------------------------------------

namespace {

RestOptions v4_rest_options(const V4ClientOptions& o) {
    RestOptions r = o.rest;
    r.error_detail = [](std::string_view body) { return v4json::error_detail(body); };
    r.scoped_tokens = false;
    r.signed_url_forbidden_hint = "fetch the file again for fresh links";
    if (o.legacy_token_auth)
        r.api_headers.emplace_back("x-frameio-legacy-token-auth", "true");
    return r;
}

} // namespace

struct V4Client::Impl {
    RestClient rest;
    V4ClientOptions options;

    Impl(net::HttpTransport& t, TokenProvider& tp, const Clock& c, net::Sleeper& s,
         V4ClientOptions o)
        : rest(t, tp, c, s, v4_rest_options(o)), options(std::move(o)) {
        options.page_size = std::clamp(options.page_size, 1, 500);
        options.small_page_size = std::clamp(options.small_page_size, 1, 100);
        if (options.max_list_items == 0)
            options.max_list_items = 1;
    }

    template <class T, class Parse>
    Result<T> one(const RestRoute& route, const std::string& path, Parse&& parse,
                  const std::string& query = {}, const std::string& body = {}) {
        auto resp = rest.call(route, path, query, body);
        if (!resp)
            return resp.error();
        return parse(resp->body, route.pattern);
    }

    /// Every page of a list: our own parameters plus `page_size` on each request, plus the
    /// `after` cursor pulled out of the previous page's links.next. Items de-duplicated by
    /// id; guards against a server that never ends the list. `fetched` holds bodies of the
    /// first pages already received (they are parsed, not asked for again); `fingerprint`,
    /// when given, receives each page's hash and cursor.
    template <class T, class Parse>
    Result<std::vector<T>> all(const RestRoute& route, const std::string& path, int page_size,
                               Parse&& parse, const std::string& params = {},
                               ListFingerprint* fingerprint = nullptr,
                               std::vector<std::string> fetched = {}) {
        std::vector<T> out;
        std::unordered_set<std::string> ids;
        std::unordered_set<std::string> cursors;
        std::optional<std::string> after;
        for (std::size_t page = 1;; ++page) {
            std::string body;
            if (page <= fetched.size()) {
                body = std::move(fetched[page - 1]);
            } else {
                auto resp = rest.call(route, path, page_query(params, page_size, after), {});
                if (!resp)
                    return resp.error();
                body = std::move(resp->body);
            }
            std::string endpoint(route.pattern);
            if (page > 1)
                endpoint += ": page " + std::to_string(page);
            auto parsed = parse(body, endpoint);
            if (!parsed)
                return parsed.error();
            if (fingerprint != nullptr)
                fingerprint->pages.push_back({hash::xxh64(body), {}});
            std::size_t fresh = 0;
            for (auto& item : parsed->items) {
                if (ids.insert(item.id).second) {
                    out.push_back(std::move(item));
                    ++fresh;
                }
            }
            if (out.size() > options.max_list_items) {
                return Error{ErrorCode::parse,
                             endpoint + ": the list has more than " +
                                 std::to_string(options.max_list_items) +
                                 " items; giving up (a server that does not end the list?)"};
            }
            if (!parsed->next)
                return out;
            // An empty page ends the list whatever links.next says (the reference's guard).
            if (parsed->items.empty())
                return out;
            if (fresh == 0) {
                return Error{ErrorCode::parse,
                             endpoint + ": the page repeats only items of earlier pages; "
                                        "links.next does not advance"};
            }
            auto cursor = next_cursor(*parsed->next);
            if (!cursor)
                return cursor.error().with_context(endpoint);
            if (!cursors.insert(*cursor).second) {
                return Error{ErrorCode::parse, endpoint + ": links.next repeats an earlier "
                                                          "cursor; the list does not advance"};
            }
            if (fingerprint != nullptr)
                fingerprint->pages.back().next = *cursor;
            after = std::move(*cursor);
        }
    }

    /// all(), unless every page comes back byte-identical to `since`: then nothing is parsed.
    /// Pages are asked for with the cursors `since` recorded, which are the ones their
    /// identical predecessors lead to; the first page that differs ends the comparison and
    /// everything received so far is parsed by all().
    template <class T, class Parse>
    Result<ListSince<T>> all_since(const RestRoute& route, const std::string& path, int page_size,
                                   Parse&& parse, const ListFingerprint* since) {
        std::vector<std::string> fetched;
        if (since != nullptr) {
            std::optional<std::string> after;
            for (const auto& expected : since->pages) {
                auto resp = rest.call(route, path, page_query({}, page_size, after), {});
                if (!resp)
                    return resp.error();
                const bool same = hash::xxh64(resp->body) == expected.body_hash;
                fetched.push_back(std::move(resp->body));
                if (!same)
                    break;
                if (expected.next.empty()) {
                    if (fetched.size() != since->pages.size())
                        break;
                    ListSince<T> out{true, {}, *since, {}};
                    out.parse_pages = [this, &route, path, page_size, parse,
                                       pages = std::move(fetched)]() mutable {
                        return all<T>(route, path, page_size, parse, {}, nullptr, std::move(pages));
                    };
                    return out;
                }
                after = expected.next;
            }
        }
        ListSince<T> out;
        auto items = all<T>(route, path, page_size, std::forward<Parse>(parse), {},
                            &out.fingerprint, std::move(fetched));
        if (!items)
            return items.error();
        out.items = std::move(*items);
        return out;
    }

    static std::string page_query(const std::string& params, int page_size,
                                  const std::optional<std::string>& after) {
        std::string query = params;
        if (!query.empty())
            query += "&";
        query += "page_size=" + std::to_string(page_size);
        if (after)
            query += "&after=" + net::url_encode(*after);
        return query;
    }

    Status remove(const RestRoute& route, const std::string& path) {
        RestClient::CallInfo info;
        auto resp = rest.call(route, path, {}, {}, &info);
        if (resp)
            return {};
        if (resp.error().http_status == 404 && info.earlier_attempt_unanswered)
            return {};
        return resp.error();
    }
};

V4Client::V4Client(net::HttpTransport& transport, TokenProvider& tokens, const Clock& clock,
                   net::Sleeper& sleeper, V4ClientOptions options)
    : m_impl(std::make_unique<Impl>(transport, tokens, clock, sleeper, std::move(options))) {}

V4Client::~V4Client() = default;

const RateLimiter& V4Client::rate_limiter() const {
    return m_impl->rest.rate_limiter();
}

Result<v4::Profile> V4Client::me() {
    return m_impl->one<v4::Profile>(k_me, "/v4/me", v4json::parse_profile);
}

Result<std::vector<v4::Account>> V4Client::accounts() {
    return m_impl->all<v4::Account>(k_accounts, "/v4/accounts", m_impl->options.small_page_size,
                                    v4json::parse_accounts);
}

Result<std::vector<v4::Workspace>> V4Client::workspaces(const std::string& account_id) {
    return m_impl->all<v4::Workspace>(k_workspaces, account_path(account_id, "/workspaces"),
                                      m_impl->options.small_page_size, v4json::parse_workspaces);
}

Result<std::vector<v4::Project>> V4Client::projects(const std::string& account_id,
                                                    const std::string& workspace_id) {
    return m_impl->all<v4::Project>(
        k_projects, account_path(account_id, "workspaces", workspace_id, "/projects"),
        m_impl->options.small_page_size, v4json::parse_projects);
}

Result<v4::Project> V4Client::project(const std::string& account_id,
                                      const std::string& project_id) {
    return m_impl->one<v4::Project>(k_project, account_path(account_id, "projects", project_id),
                                    v4json::parse_project);
}

Result<v4::Project> V4Client::create_project(const std::string& account_id,
                                             const std::string& workspace_id,
                                             const std::string& name) {
    return m_impl->one<v4::Project>(
        k_create_project, account_path(account_id, "workspaces", workspace_id, "/projects"),
        v4json::parse_project, {}, v4json::name_body(name));
}

Result<v4::Folder> V4Client::folder(const std::string& account_id, const std::string& folder_id) {
    return m_impl->one<v4::Folder>(k_folder, account_path(account_id, "folders", folder_id),
                                   v4json::parse_folder);
}

Result<std::vector<v4::Folder>> V4Client::folder_folders(const std::string& account_id,
                                                         const std::string& folder_id) {
    return m_impl->all<v4::Folder>(k_folder_folders,
                                   account_path(account_id, "folders", folder_id, "/folders"),
                                   m_impl->options.page_size, v4json::parse_folders);
}

Result<std::vector<v4::Asset>> V4Client::folder_files(const std::string& account_id,
                                                      const std::string& folder_id) {
    return m_impl->all<v4::Asset>(k_folder_files,
                                  account_path(account_id, "folders", folder_id, "/files"),
                                  m_impl->options.page_size, v4json::parse_assets);
}

Result<ListSince<v4::Folder>> V4Client::folder_folders_since(const std::string& account_id,
                                                             const std::string& folder_id,
                                                             const ListFingerprint* since) {
    return m_impl->all_since<v4::Folder>(k_folder_folders,
                                         account_path(account_id, "folders", folder_id, "/folders"),
                                         m_impl->options.page_size, v4json::parse_folders, since);
}

Result<ListSince<v4::Asset>> V4Client::folder_files_since(const std::string& account_id,
                                                          const std::string& folder_id,
                                                          const ListFingerprint* since) {
    return m_impl->all_since<v4::Asset>(k_folder_files,
                                        account_path(account_id, "folders", folder_id, "/files"),
                                        m_impl->options.page_size, v4json::parse_assets, since);
}

Result<ListSince<v4::VersionStack>>
V4Client::folder_version_stacks_since(const std::string& account_id, const std::string& folder_id,
                                      const ListFingerprint* since) {
    return m_impl->all_since<v4::VersionStack>(
        k_folder_stacks, account_path(account_id, "folders", folder_id, "/version_stacks"),
        m_impl->options.page_size, v4json::parse_version_stacks, since);
}

Result<std::vector<v4::VersionStack>>
V4Client::folder_version_stacks(const std::string& account_id, const std::string& folder_id) {
    return m_impl->all<v4::VersionStack>(
        k_folder_stacks, account_path(account_id, "folders", folder_id, "/version_stacks"),
        m_impl->options.page_size, v4json::parse_version_stacks);
}

Result<v4::VersionStack> V4Client::version_stack(const std::string& account_id,
                                                 const std::string& stack_id) {
    return m_impl->one<v4::VersionStack>(
        k_stack, account_path(account_id, "version_stacks", stack_id), v4json::parse_version_stack);
}

Result<std::vector<v4::File>> V4Client::version_stack_children(const std::string& account_id,
                                                               const std::string& stack_id) {
    return m_impl->all<v4::File>(k_stack_children,
                                 account_path(account_id, "version_stacks", stack_id, "/children"),
                                 m_impl->options.small_page_size, v4json::parse_files);
}

Result<v4::File> V4Client::file(const std::string& account_id, const std::string& file_id,
                                bool media_links) {
    return m_impl->one<v4::File>(
        k_file, account_path(account_id, "files", file_id),
        [](std::string_view b, std::string_view e) { return v4json::parse_file(b, e); },
        media_links ? "include=media_links.original" : "");
}

Result<v4::FileUploadStatus> V4Client::upload_status(const std::string& account_id,
                                                     const std::string& file_id) {
    return m_impl->one<v4::FileUploadStatus>(k_file_status,
                                             account_path(account_id, "files", file_id, "/status"),
                                             v4json::parse_upload_status);
}

Result<v4::Folder> V4Client::create_folder(const std::string& account_id,
                                           const std::string& parent_id, const std::string& name) {
    return m_impl->one<v4::Folder>(k_create_folder,
                                   account_path(account_id, "folders", parent_id, "/folders"),
                                   v4json::parse_folder, {}, v4json::name_body(name));
}

Result<v4::File> V4Client::local_upload(const std::string& account_id, const std::string& parent_id,
                                        const std::string& name, std::uint64_t file_size) {
    if (file_size == 0) {
        return Error{ErrorCode::invalid_request,
                     std::string(k_local_upload.pattern) +
                         ": V4 cannot upload an empty file (file_size must be at least 1)"};
    }
    return m_impl->one<v4::File>(
        k_local_upload, account_path(account_id, "folders", parent_id, "/files/local_upload"),
        [](std::string_view b, std::string_view e) { return v4json::parse_file(b, e, true); }, {},
        v4json::local_upload_body(name, file_size));
}

Status V4Client::delete_file(const std::string& account_id, const std::string& file_id) {
    return m_impl->remove(k_delete_file, account_path(account_id, "files", file_id));
}

Status V4Client::delete_folder(const std::string& account_id, const std::string& folder_id) {
    return m_impl->remove(k_delete_folder, account_path(account_id, "folders", folder_id));
}

Status V4Client::upload_part(const std::string& url, const std::string& media_type,
                             net::BodySource& body, const CancelToken* cancel) {
    CancellableSource source(body, m_impl->rest.options().cancel, cancel);
    auto md5 = content_md5(source, m_impl->rest.options().cancel, cancel);
    if (!md5)
        return md5.error().with_context("PUT " + net::redact_url(url));
    // x-amz-acl and Content-Type are signed; Content-MD5 makes storage refuse a damaged part.
    return m_impl->rest.upload_part(
        url, {{"Content-Type", media_type}, {"x-amz-acl", "private"}, {"Content-MD5", *md5}}, body,
        cancel);
}

Result<DownloadResult> V4Client::download(const std::string& url, std::optional<ByteRange> range,
                                          net::BodySink& sink, const CancelToken* cancel) {
    return m_impl->rest.download(url, range, sink, cancel);
}

} // namespace fios::api
