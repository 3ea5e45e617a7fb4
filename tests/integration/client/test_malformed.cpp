// SPDX-License-Identifier: MIT
// Issue 9, hostile input: every endpoint a command uses, on V2 and V4, answered by a server that
// lies (tests/support/mutating_proxy.hpp in front of the emulator, so that everything around
// the spoiled answer is real). For each endpoint and each way of spoiling its answer: the call
// fails with an error naming the endpoint, within the deadlines, without a crash, and never
// with a secret in its message; the few answers a client cannot check by itself (a part PUT's
// answer, a download's bytes) are listed with the check that catches them later.
#include "support/http_client.hpp"
#include "support/mutating_proxy.hpp"
#include "support/process.hpp"

#include "fios/api/client.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/auth/ims.hpp"
#include "fios/auth/oauth.hpp"
#include "fios/auth/pkce.hpp"
#include "fios/net/curl_transport.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <set>

using namespace fios;
using namespace fios::api;
using fios::test::MutatingProxy;
using fios::test::Spoil;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "SECRET-malformed-token-01";
constexpr const char* k_s2s_id = "s2s-malformed";
constexpr const char* k_s2s_secret = "SECRET-s2s-malformed";

/// Every way of spoiling a JSON answer, plus the detours and the stall.
const std::vector<Spoil> k_api_spoils{
    Spoil::invalid_json,  Spoil::wrong_types,     Spoil::missing_fields, Spoil::nulls,
    Spoil::huge_1e300,    Spoil::huge_2_64,       Spoil::negative,       Spoil::html,
    Spoil::redirect_host, Spoil::redirect_scheme, Spoil::stall};

/// The transport of every case: answers must start within 2 s and move at least 1 KiB/s
/// over 1 s, so a stall ends in about a second.
std::unique_ptr<net::CurlTransport> quick_transport() {
    net::CurlTransportOptions t;
    t.proxy = "";
    t.cancel_poll = 20ms;
    t.first_byte_timeout = 2'000ms;
    t.rate_window = 1'000ms;
    auto created = net::CurlTransport::create(std::move(t));
    REQUIRE(created);
    return std::move(*created);
}

/// Two attempts in all, short waits: a retried spoil is still bounded.
template <class Retry>
void quick_retries(Retry& r) {
    r.max_attempts = 2;
    r.initial_delay = 10ms;
    r.max_delay = 20ms;
}

class StringSink final : public net::BodySink {
public:
    Status write(std::span<const char> data) override {
        bytes.append(data.data(), data.size());
        return {};
    }
    std::string bytes;
};

class StringSource final : public net::BodySource {
public:
    explicit StringSource(std::string data) : m_data(std::move(data)) {}
    [[nodiscard]] std::uint64_t size() const override { return m_data.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        const std::size_t n = std::min(buf.size(), m_data.size() - m_pos);
        std::copy_n(m_data.data() + m_pos, n, buf.data());
        m_pos += n;
        return n;
    }
    Status rewind() override {
        m_pos = 0;
        return {};
    }

private:
    std::string m_data;
    std::size_t m_pos = 0;
};

/// One endpoint of the table: the requests it sends ("METHOD /path" regex), the texts one of
/// which its errors must contain (the route, or the path of the request), and the call.
struct Endpoint {
    std::string route;
    std::string request;
    std::vector<std::string> names;
    std::function<Status()> call;
    /// Spoils the client cannot see by itself, each with the later check that catches it.
    std::set<Spoil> unseen = {};
};

/// An account's or a team's storage and counters are not read (a sync needs only ids and
/// names there): spoiling them changes nothing the client uses.
const std::set<Spoil> k_unread_counts{Spoil::huge_1e300, Spoil::huge_2_64, Spoil::negative};

template <class T>
Status status_of(const Result<T>& r) {
    if (r)
        return {};
    return r.error();
}

/// Runs every spoil of `spoils` on every endpoint; returns how many cases changed an answer and
/// were checked (the others are vacuous: no size in the answer to make huge, say). The callers
/// check that count, so a proxy that stops spoiling cannot make the table pass by itself.
int run_table(MutatingProxy& proxy, const std::vector<Endpoint>& table,
              const std::vector<Spoil>& spoils) {
    int checked = 0;
    for (const auto& e : table) {
        for (Spoil how : spoils) {
            CAPTURE(e.route, to_string(how));
            proxy.spoil(e.request, how);
            const auto start = std::chrono::steady_clock::now();
            Status s = e.call();
            const auto took = std::chrono::steady_clock::now() - start;
            const bool changed = proxy.changed();
            proxy.spoil("", Spoil::none);
            CHECK(took < 15s); // two attempts of a 1 s stall, and short waits
            if (!changed || e.unseen.count(how) != 0)
                continue; // nothing to spoil in this answer (no size to make huge, say)
            CHECK_FALSE(s);
            if (s)
                continue;
            const std::string& m = s.error().message;
            INFO(m);
            CHECK(std::any_of(e.names.begin(), e.names.end(), [&](const std::string& n) {
                return m.find(n) != std::string::npos;
            }));
            CHECK(m.find("SECRET") == std::string::npos);
            CHECK(m.find("Signature=") == std::string::npos);
            CHECK(s.error().code != ErrorCode::internal);
            ++checked;
        }
    }
    return checked;
}

std::string path_re(const std::string& prefix) {
    return prefix + "[^/]+";
}

} // namespace

TEST_CASE("V2: every endpoint, spoiled every way, fails naming the endpoint", "[malformed][v2]") {
    fios::test::EmulatorProcess emulator({"--token", k_token, "--seed-demo", "--no-rate-limit",
                                          "--part-size", "1048576", "--checksum-delay", "0",
                                          "--quiet"});
    MutatingProxy proxy("127.0.0.1", emulator.port());
    auto transport = quick_transport();
    StaticTokenProvider tokens{k_token};
    V2ClientOptions o;
    o.api_base = proxy.base_url();
    o.pace_requests = false;
    o.jitter_seed = 7;
    quick_retries(o.transient_retry);
    quick_retries(o.rate_limit_retry);
    V2Client client(*transport, tokens, SystemClock::instance(), net::RealSleeper::instance(),
                    std::move(o));

    // The real answers first (through the proxy, spoiling nothing).
    auto me = client.me();
    REQUIRE(me);
    auto teams = client.teams();
    REQUIRE(teams);
    REQUIRE_FALSE(teams->empty());
    const std::string team = teams->front().id;
    auto projects = client.team_projects(team);
    REQUIRE(projects);
    REQUIRE_FALSE(projects->empty());
    const Project project = projects->front();
    auto children = client.children(project.root_asset_id);
    REQUIRE(children);
    std::string file_id;
    for (const auto& a : *children) {
        if (a.type == AssetType::file)
            file_id = a.id;
    }
    REQUIRE_FALSE(file_id.empty());
    auto file = client.asset(file_id);
    REQUIRE(file);
    REQUIRE(file->original);
    const std::string original = *file->original;
    REQUIRE(original.rfind(proxy.base_url(), 0) == 0); // downloads come through the proxy
    int uploads = 0;
    const auto part_url = [&] {
        auto created = client.create_file(
            project.root_asset_id, "part-" + std::to_string(++uploads) + ".txt", "text/plain", 10);
        REQUIRE(created);
        REQUIRE(created->upload_urls.size() == 1);
        return created->upload_urls.front();
    };

    const std::vector<Endpoint> table{
        {"GET /v2/me",
         "GET /v2/me",
         {"GET /v2/me", "/v2/me"},
         [&] { return status_of(client.me()); }},
        {"GET /v2/accounts",
         "GET /v2/accounts",
         {"GET /v2/accounts", "/v2/accounts"},
         [&] { return status_of(client.accounts()); },
         k_unread_counts},
        {"GET /v2/accounts/{id}/teams",
         path_re("GET /v2/accounts/") + "/teams",
         {"GET /v2/accounts/{id}/teams", "/teams"},
         [&] { return status_of(client.account_teams(me->account_id)); },
         k_unread_counts},
        {"GET /v2/teams",
         "GET /v2/teams",
         {"GET /v2/teams", "/v2/teams"},
         [&] { return status_of(client.teams()); },
         k_unread_counts},
        {"GET /v2/teams/{id}/projects",
         path_re("GET /v2/teams/") + "/projects",
         {"GET /v2/teams/{id}/projects", "/projects"},
         [&] { return status_of(client.team_projects(team)); }},
        {"GET /v2/projects/shared",
         "GET /v2/projects/shared",
         {"GET /v2/projects/shared", "/v2/projects/shared"},
         [&] { return status_of(client.shared_projects()); }},
        {"GET /v2/projects/{id}",
         path_re("GET /v2/projects/"),
         {"GET /v2/projects/{id}", "/v2/projects/"},
         [&] { return status_of(client.project(project.id)); }},
        {"GET /v2/assets/{id}/children",
         path_re("GET /v2/assets/") + "/children",
         {"GET /v2/assets/{id}/children", "/children"},
         [&] { return status_of(client.children(project.root_asset_id)); }},
        {"GET /v2/assets/{id}",
         path_re("GET /v2/assets/"),
         {"GET /v2/assets/{id}", "/v2/assets/"},
         [&] { return status_of(client.asset(file_id)); }},
        {"POST /v2/assets/{id}/children (upload create)",
         path_re("POST /v2/assets/") + "/children",
         {"POST /v2/assets/{id}/children", "/children"},
         [&] {
             return status_of(client.create_file(project.root_asset_id,
                                                 "spoiled-" + std::to_string(++uploads) + ".txt",
                                                 "text/plain", 10));
         }},
        {"PUT /parts (part URL)",
         "PUT /parts/.*",
         {"PUT ", "/parts/"},
         [&] {
             const std::string url = part_url();
             StringSource body("0123456789");
             return client.upload_part(url, "text/plain", body);
         },
         // A part's answer carries nothing to check: the upload is verified by Frame.io's
         // checksum afterwards (docs/sync-policy.md), so a lying 200 is caught there.
         {Spoil::html}},
        {"GET /originals (download)",
         "GET /originals/.*",
         {"GET ", "/originals/"},
         [&] {
             StringSink sink;
             return status_of(client.download(original, std::nullopt, sink));
         },
         // The bytes of a download are checked by the transfer (size, then XXH64), not here.
         {Spoil::html}},
    };
    CHECK(run_table(proxy, table, k_api_spoils) >= 98);

    SECTION("the OAuth token endpoint") {
        auth::OAuthClient oauth(*transport, 10s);
        const auto code = [&] {
            auto pkce = auth::make_pkce_session();
            REQUIRE(pkce);
            const std::vector<std::string> scopes{"asset.read"};
            auto reply = fios::test::http_request(
                "GET",
                auth::authorize_url(emulator.base_url(), "fios-test", "http://127.0.0.1:9/cb",
                                    scopes, pkce->state, pkce->challenge));
            REQUIRE(reply.status == 302);
            const auto& loc = reply.headers["location"];
            auto redirect = auth::parse_redirect(loc);
            REQUIRE(redirect);
            return std::make_pair(redirect->code, pkce->verifier);
        };
        CHECK(run_table(proxy,
                        {Endpoint{"POST /oauth2/token",
                                  "POST /oauth2/token",
                                  {"oauth2/token", "token"},
                                  [&] {
                                      auto [c, verifier] = code();
                                      return status_of(
                                          oauth.exchange_code(proxy.base_url(), "fios-test", c,
                                                              "http://127.0.0.1:9/cb", verifier));
                                  }}},
                        k_api_spoils) >= 7);
    }
}

TEST_CASE("V4: every endpoint, spoiled every way, fails naming the endpoint", "[malformed][v4]") {
    fios::test::EmulatorProcess emulator({"--v4-legacy-token", k_token, "--seed-demo",
                                          "--no-rate-limit", "--ims-s2s",
                                          std::string(k_s2s_id) + ":" + k_s2s_secret, "--quiet"});
    MutatingProxy proxy("127.0.0.1", emulator.port());
    auto transport = quick_transport();
    StaticTokenProvider tokens{k_token};
    V4ClientOptions o;
    o.rest.api_base = proxy.base_url();
    o.rest.pace_requests = false;
    o.rest.jitter_seed = 7;
    quick_retries(o.rest.transient_retry);
    quick_retries(o.rest.rate_limit_retry);
    o.legacy_token_auth = true;
    V4Client client(*transport, tokens, SystemClock::instance(), net::RealSleeper::instance(),
                    std::move(o));

    auto accounts = client.accounts();
    REQUIRE(accounts);
    REQUIRE(accounts->size() == 1);
    const std::string account = accounts->front().id;
    auto workspaces = client.workspaces(account);
    REQUIRE(workspaces);
    REQUIRE_FALSE(workspaces->empty());
    const std::string workspace = workspaces->front().id;
    auto projects = client.projects(account, workspace);
    REQUIRE(projects);
    REQUIRE_FALSE(projects->empty());
    const v4::Project project = projects->front();
    const std::string root = project.root_folder_id;
    auto files = client.folder_files(account, root);
    REQUIRE(files);
    std::string file_id;
    for (const auto& a : *files)
        file_id = a.id;
    REQUIRE_FALSE(file_id.empty());
    auto folders = client.folder_folders(account, root);
    REQUIRE(folders);
    REQUIRE_FALSE(folders->empty());
    const auto link = [&] {
        auto f = client.file(account, file_id, true);
        REQUIRE(f);
        REQUIRE(f->original);
        REQUIRE(f->original->download_url);
        REQUIRE(f->original->download_url->rfind(proxy.base_url(), 0) == 0);
        return *f->original->download_url;
    };
    int uploads = 0;
    const auto upload = [&] {
        return client.local_upload(account, root, "up-" + std::to_string(++uploads) + ".txt", 10);
    };
    const std::string a = "GET /v4/accounts/[^/]+";

    const std::vector<Endpoint> table{
        {"GET /v4/me",
         "GET /v4/me",
         {"GET /v4/me", "/v4/me"},
         [&] { return status_of(client.me()); }},
        {"GET /v4/accounts",
         "GET /v4/accounts",
         {"GET /v4/accounts", "/v4/accounts"},
         [&] { return status_of(client.accounts()); }},
        {"workspaces",
         a + "/workspaces",
         {"/workspaces"},
         [&] { return status_of(client.workspaces(account)); }},
        {"projects",
         a + "/workspaces/[^/]+/projects",
         {"/projects"},
         [&] { return status_of(client.projects(account, workspace)); }},
        {"project",
         a + "/projects/[^/]+",
         {"/projects/"},
         [&] { return status_of(client.project(account, project.id)); }},
        {"folder",
         a + "/folders/[^/]+",
         {"/folders/"},
         [&] { return status_of(client.folder(account, root)); }},
        {"folder folders",
         a + "/folders/[^/]+/folders",
         {"/folders"},
         [&] { return status_of(client.folder_folders(account, root)); }},
        {"folder files",
         a + "/folders/[^/]+/files",
         {"/files"},
         [&] { return status_of(client.folder_files(account, root)); }},
        {"folder version stacks",
         a + "/folders/[^/]+/version_stacks",
         {"/version_stacks"},
         [&] { return status_of(client.folder_version_stacks(account, root)); }},
        {"file with its media links",
         a + "/files/[^/]+",
         {"/files/"},
         [&] { return status_of(client.file(account, file_id, true)); }},
        {"file upload status",
         a + "/files/[^/]+/status",
         {"/status"},
         [&] { return status_of(client.upload_status(account, file_id)); }},
        {"local upload (create, part URLs)",
         "POST /v4/accounts/[^/]+/folders/[^/]+/files/local_upload",
         {"/local_upload"},
         [&] { return status_of(upload()); }},
        {"create folder",
         "POST /v4/accounts/[^/]+/folders/[^/]+/folders",
         {"/folders"},
         [&] {
             return status_of(
                 client.create_folder(account, root, "spoiled-" + std::to_string(++uploads)));
         }},
        {"PUT /parts (part URL)",
         "PUT /parts/.*",
         {"PUT ", "/parts/"},
         [&] {
             auto created = upload();
             INFO((created ? "" : created.error().message));
             REQUIRE(created);
             REQUIRE(created->upload_urls.size() == 1);
             StringSource body("0123456789");
             return client.upload_part(created->upload_urls.front().url, "text/plain", body);
         },
         // Nothing to check in a part's answer: the upload is verified by Frame.io's upload
         // status and its size (docs/sync-policy.md, rows 73-77).
         {Spoil::html}},
        {"GET /originals (media link)",
         "GET /originals/.*",
         {"GET ", "/originals/"},
         [&] {
             const std::string url = link();
             StringSink sink;
             return status_of(client.download(url, std::nullopt, sink));
         },
         // A download's bytes are checked by the transfer (the size), not here.
         {Spoil::html}},
    };
    CHECK(run_table(proxy, table, k_api_spoils) >= 123);

    SECTION("the IMS token endpoint") {
        auth::ImsClient ims(*transport, 10s);
        CHECK(run_table(proxy,
                        {Endpoint{"POST /ims/token/v3",
                                  "POST /ims/token/v3",
                                  {"/ims/token/v3", "token"},
                                  [&] {
                                      return status_of(ims.client_credentials(
                                          proxy.base_url(), k_s2s_id, k_s2s_secret));
                                  }}},
                        k_api_spoils) >= 7);
    }
}
