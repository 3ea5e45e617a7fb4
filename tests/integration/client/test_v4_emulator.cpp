// SPDX-License-Identifier: MIT
// The real CurlTransport, V4Client and V4Remote against frameio-emulator's V4 API on loopback,
// at the emulator's default V4 rate limits (legacy developer token with its header).
#include "support/process.hpp"

#include "fios/api/v4_client.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/remote/v4_remote.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

using namespace fios;
using namespace fios::api;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "v4-integration-token";

V4ClientOptions fast_options() {
    V4ClientOptions o;
    o.rest.transient_retry.max_attempts = 8;
    o.rest.transient_retry.initial_delay = 20ms;
    o.rest.transient_retry.max_delay = 200ms;
    o.rest.transient_retry.max_total = 30'000ms;
    o.rest.rate_limit_retry.max_attempts = 12;
    o.rest.rate_limit_retry.initial_delay = 50ms;
    o.rest.rate_limit_retry.max_delay = 1000ms;
    o.rest.rate_limit_retry.min_delay = 20ms;
    o.rest.rate_limit_retry.max_total = 60'000ms;
    o.rest.jitter_seed = 7;
    o.legacy_token_auth = true;
    return o;
}

class StringSink final : public net::BodySink {
public:
    Status write(std::span<const char> data) override {
        bytes.append(data.data(), data.size());
        return {};
    }
    std::string bytes;
};

/// A part of an in-memory file; `flip_after_first_read` changes one byte after the first full
/// pass (the Content-MD5 pass), so the PUT sends other bytes than the digest describes.
class SliceSource final : public net::BodySource {
public:
    SliceSource(const std::string& data, std::uint64_t offset, std::uint64_t length,
                bool flip_after_first_read = false)
        : m_data(data.substr(offset, length)), m_flip(flip_after_first_read) {}
    [[nodiscard]] std::uint64_t size() const override { return m_data.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        const std::size_t n = std::min(buf.size(), m_data.size() - m_pos);
        std::copy_n(m_data.data() + m_pos, n, buf.data());
        m_pos += n;
        return n;
    }
    Status rewind() override {
        if (m_flip && m_pos == m_data.size() && !m_flipped) {
            m_data[0] = static_cast<char>(m_data[0] ^ 0x5a);
            m_flipped = true;
        }
        m_pos = 0;
        return {};
    }

private:
    std::string m_data;
    std::size_t m_pos = 0;
    bool m_flip;
    bool m_flipped = false;
};

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(rng() & 0xff);
    return s;
}

struct V4Emulator {
    fios::test::EmulatorProcess process;
    std::unique_ptr<net::CurlTransport> transport;
    StaticTokenProvider tokens{k_token};
    CancelToken cancel;
    std::unique_ptr<V4Client> client;
    std::string account_id;
    std::unique_ptr<remote::V4Remote> remote;

    explicit V4Emulator(std::vector<std::string> extra = {}, V4ClientOptions o = fast_options())
        : process([&] {
              std::vector<std::string> args{"--v4-legacy-token", k_token,   "--seed-demo",
                                            "--v4-part-size",    "1000000", "--quiet"};
              args.insert(args.end(), extra.begin(), extra.end());
              return args;
          }()) {
        net::CurlTransportOptions t;
        t.proxy = "";
        t.cancel_poll = 20ms;
        auto created = net::CurlTransport::create(std::move(t));
        REQUIRE(created);
        transport = std::move(*created);
        o.rest.api_base = process.base_url();
        o.rest.cancel = &cancel;
        client = std::make_unique<V4Client>(*transport, tokens, SystemClock::instance(),
                                            net::RealSleeper::instance(), std::move(o));
        auto accounts = client->accounts();
        INFO((accounts ? "" : accounts.error().message));
        REQUIRE(accounts);
        REQUIRE(accounts->size() == 1);
        account_id = accounts->front().id;
        remote = std::make_unique<remote::V4Remote>(*client, account_id);
    }

    net::HttpResponse admin(net::Method method, const std::string& path,
                            const std::string& body = {}) {
        net::HttpRequest req;
        req.method = method;
        req.url = process.base_url() + path;
        if (!body.empty()) {
            req.headers.emplace_back("Content-Type", "application/json");
            req.body = body;
        }
        auto r = transport->send(req);
        REQUIRE(r);
        INFO(path << " -> " << r->status << " " << r->body);
        REQUIRE(r->status / 100 == 2);
        return *r;
    }
    long stat(const std::string& key) {
        auto r = admin(net::Method::get, "/_emulator/stats");
        std::string escaped =
            std::regex_replace(key, std::regex(R"([{}\\/.^$|()\[\]*+?])"), R"(\$&)");
        std::smatch m;
        if (std::regex_search(r.body, m, std::regex("\"" + escaped + "\"\\s*:\\s*(\\d+)")))
            return std::stol(m[1]);
        return 0;
    }
    void advance_clock(long seconds) {
        admin(net::Method::post, "/_emulator/clock",
              "{\"advance_seconds\":" + std::to_string(seconds) + "}");
    }

    v4::Project demo_project() {
        auto workspaces = client->workspaces(account_id);
        REQUIRE(workspaces);
        REQUIRE_FALSE(workspaces->empty());
        auto projects = client->projects(account_id, workspaces->front().id);
        REQUIRE(projects);
        for (const auto& p : *projects) {
            if (p.name == "Demo Project")
                return p;
        }
        FAIL("no Demo Project");
        return {};
    }

    /// Every item below `folder`, by path.
    std::map<std::string, remote::Item> tree(const std::string& folder,
                                             const std::string& prefix = {}) {
        std::map<std::string, remote::Item> out;
        auto items = remote->list_folder(folder);
        INFO((items ? "" : items.error().message));
        REQUIRE(items);
        for (const auto& item : *items) {
            const std::string path = prefix + item.name;
            REQUIRE(out.count(path) == 0);
            out[path] = item;
            if (item.kind == remote::ItemKind::folder) {
                for (auto& [p, i] : tree(item.id, path + "/"))
                    out[p] = i;
            }
        }
        return out;
    }

    /// Uploads `data` as `name` in `parent` through V4Remote, parts in parallel.
    remote::UploadSession upload(const std::string& parent, const std::string& name,
                                 const std::string& data) {
        auto session = remote->create_file(parent, name, data.size());
        INFO((session ? "" : session.error().message));
        REQUIRE(session);
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        for (std::size_t i = 0; i < session->parts.size(); ++i) {
            threads.emplace_back([&, i] {
                SliceSource src(data, session->parts[i].offset, session->parts[i].length);
                auto st = remote->upload_part(*session, i, src);
                if (!st) {
                    UNSCOPED_INFO(st.error().message);
                    ++failures;
                }
            });
        }
        for (auto& t : threads)
            t.join();
        REQUIRE(failures == 0);
        return *session;
    }
};

} // namespace

TEST_CASE("V4: identity, hierarchy and the seeded demo project's tree", "[v4][integration]") {
    V4Emulator emu;
    auto me = emu.client->me();
    REQUIRE(me);
    CHECK(me->name == "Emulated V4 User");

    auto project = emu.demo_project();
    auto shown = emu.client->project(emu.account_id, project.id);
    REQUIRE(shown);
    CHECK(shown->root_folder_id == project.root_folder_id);
    auto root = emu.client->folder(emu.account_id, project.root_folder_id);
    REQUIRE(root);
    CHECK_FALSE(root->parent_id);

    auto tree = emu.tree(project.root_folder_id);
    for (const char* folder : {"Footage", "Footage/Day 1", "Footage/Day 2", "Audio", "Stills",
                               "Exports", "Exports/Archive"}) {
        INFO(folder);
        REQUIRE(tree.count(folder) == 1);
        CHECK(tree[folder].kind == remote::ItemKind::folder);
    }
    std::set<std::string> ids;
    int files = 0;
    int stacks = 0;
    for (const auto& [path, item] : tree) {
        CHECK(ids.insert(item.id).second);
        if (item.kind == remote::ItemKind::file) {
            ++files;
            CHECK(item.upload_completed);
            CHECK_FALSE(item.checksum);
        }
        if (item.kind == remote::ItemKind::version_stack) {
            ++stacks;
            INFO(path);
            CHECK(path.rfind("Exports/", 0) == 0);
            CHECK_FALSE(item.head_asset_id.empty());
            CHECK(item.upload_completed);
            CHECK(item.filesize == 1700 * 1024 + 5); // Spot_v3.mp4, the head
            auto again = emu.remote->item(item.id);
            REQUIRE(again);
            CHECK(again->head_asset_id == item.head_asset_id);
        }
    }
    CHECK(files == 7);
    CHECK(stacks == 1);
    CHECK(tree.count("Footage/Day 1/A001_C001_0101.mov") +
              tree.count("Footage/A001_C001_0101.mov") + tree.count("A001_C001_0101.mov") ==
          1);
    // The emulator's /files lists stacks and /version_stacks lists them again: one item each.
    CHECK(emu.stat("GET /v4/accounts/{account_id}/folders/{folder_id}/version_stacks") == 8);
    CHECK(emu.stat("429") == 0);
}

TEST_CASE("V4: folder, multi-part upload with Content-MD5, completion, ranged download",
          "[v4][integration]") {
    V4Emulator emu;
    auto project = emu.demo_project();
    auto folder = emu.remote->create_folder(project.root_folder_id, "Uploads");
    INFO((folder ? "" : folder.error().message));
    REQUIRE(folder);
    CHECK(folder->kind == remote::ItemKind::folder);

    const std::string data = random_bytes(3'500'000, 42);
    auto session = emu.upload(folder->id, "clip.mov", data);
    CHECK(session.content_type == "video/quicktime");
    REQUIRE(session.parts.size() == 4); // ceil(3.5e6 / 1e6) parts of 875,000 bytes
    for (const auto& p : session.parts)
        CHECK(p.length == 875'000);
    CHECK(emu.stat("PUT /parts") == 4);

    auto status = emu.client->upload_status(emu.account_id, session.asset_id);
    REQUIRE(status);
    CHECK(status->upload_complete);
    CHECK_FALSE(status->upload_failed);
    auto item = emu.remote->item(session.asset_id);
    REQUIRE(item);
    CHECK(item->upload_completed);
    CHECK(item->filesize == data.size());

    auto found = emu.remote->find_by_name(folder->id, "clip.mov");
    REQUIRE(found);
    REQUIRE(found->size() == 1);
    CHECK(found->front().id == session.asset_id);

    // Whole, then in two ranges (a resume).
    StringSink whole;
    auto got = emu.remote->download({session.asset_id, std::nullopt, data.size()}, whole);
    REQUIRE(got);
    CHECK(got->state == remote::DownloadState::transferred);
    CHECK(whole.bytes == data);

    StringSink resumed;
    auto first =
        emu.remote->download({session.asset_id, remote::ByteRange{0, 1'234'566}, {}}, resumed);
    REQUIRE(first);
    CHECK(first->bytes == 1'234'567);
    auto rest = emu.remote->download(
        {session.asset_id, remote::ByteRange{1'234'567, data.size() - 1}, data.size()}, resumed);
    REQUIRE(rest);
    CHECK(rest->total_size == data.size());
    CHECK(resumed.bytes == data);

    // Content-MD5 is sent and checked: bytes that change after the digest are refused.
    auto bad = emu.remote->create_file(folder->id, "bad.bin", 10);
    REQUIRE(bad);
    const std::string ten = "0123456789";
    SliceSource flipping(ten, 0, 10, true);
    auto refused = emu.remote->upload_part(*bad, 0, flipping);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().http_status == 400);
    CHECK(refused.error().message.find("BadDigest") != std::string::npos);
    CHECK(refused.error().message.find("Signature") == std::string::npos);
    SliceSource good(ten, 0, 10);
    REQUIRE(emu.remote->upload_part(*bad, 0, good));
}

TEST_CASE("V4: placeholders, link expiry, a CDN 403, delete", "[v4][integration]") {
    V4Emulator emu;
    auto project = emu.demo_project();
    const std::string data = random_bytes(1'500'000, 7);

    auto pending = emu.remote->create_file(project.root_folder_id, "pending.mov", data.size());
    REQUIRE(pending);
    StringSink nothing;
    auto not_ready = emu.remote->download({pending->asset_id, std::nullopt, {}}, nothing);
    REQUIRE(not_ready);
    CHECK(not_ready->state == remote::DownloadState::not_ready);
    CHECK(nothing.bytes.empty());
    REQUIRE(emu.remote->delete_asset(pending->asset_id));
    REQUIRE(emu.remote->delete_asset(pending->asset_id)); // already gone: success
    auto gone = emu.remote->item(pending->asset_id);
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == ErrorCode::not_found);

    auto session = emu.upload(project.root_folder_id, "expiring.mov", data);

    // A link minted now is dead after the next UTC noon or midnight.
    auto file = emu.client->file(emu.account_id, session.asset_id);
    REQUIRE(file);
    REQUIRE(file->original);
    REQUIRE(file->original->download_url);
    const std::string old_link = *file->original->download_url;
    emu.advance_clock(12 * 3600 + 60);
    StringSink refused;
    auto expired = emu.client->download(old_link, std::nullopt, refused);
    REQUIRE_FALSE(expired);
    CHECK(expired.error().code == ErrorCode::forbidden);
    CHECK(expired.error().message.find("Signature") == std::string::npos);
    // The remote always fetches a fresh one.
    StringSink fresh;
    auto got = emu.remote->download({session.asset_id, std::nullopt, data.size()}, fresh);
    REQUIRE(got);
    CHECK(fresh.bytes == data);

    // A CDN 403 on the link: one more fresh link, one more try.
    const long shows = emu.stat("GET /v4/accounts/{account_id}/files/{file_id}");
    emu.admin(net::Method::post, "/_emulator/fail-next",
              R"({"route":"GET /originals","count":1,"status":403})");
    StringSink retried;
    auto again = emu.remote->download({session.asset_id, std::nullopt, data.size()}, retried);
    INFO((again ? "" : again.error().message));
    REQUIRE(again);
    CHECK(retried.bytes == data);
    CHECK(emu.stat("GET /v4/accounts/{account_id}/files/{file_id}") == shows + 2);
}

TEST_CASE("V4: pacing per route keeps 429s from the caller at default limits",
          "[v4][integration][pacing]") {
    V4Emulator emu;
    auto project = emu.demo_project();
    const std::string root = project.root_folder_id;
    // Learn the route's limit (5 per second), then 30 requests from 6 threads.
    REQUIRE(emu.client->folder_folders(emu.account_id, root));
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    const auto started = std::chrono::steady_clock::now();
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5; ++i) {
                auto r = emu.client->folder_folders(emu.account_id, root);
                if (!r) {
                    UNSCOPED_INFO(r.error().message);
                    ++failures;
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(failures == 0);
    // 31 requests at 5/s from a full bucket of 5: at least ~5 s.
    CHECK(took >= 4s);
    const long refused = emu.stat("429");
    INFO("429 answers absorbed by the client: " << refused);
    CHECK(refused <= 2);
    // The route's own bucket learned its limit; a route never called has none.
    const auto now = SystemClock::instance().now();
    CHECK(emu.client->rate_limiter().estimate(
        "GET /v4/accounts/{account_id}/folders/{folder_id}/folders", now));
    CHECK_FALSE(emu.client->rate_limiter().estimate(
        "GET /v4/accounts/{account_id}/folders/{folder_id}/version_stacks", now));
}

TEST_CASE("V4: a legacy token without its header is refused clearly", "[v4][integration]") {
    V4ClientOptions o = fast_options();
    V4Emulator emu;
    o.legacy_token_auth = false;
    o.rest.api_base = emu.process.base_url();
    V4Client bare(*emu.transport, emu.tokens, SystemClock::instance(), net::RealSleeper::instance(),
                  o);
    auto me = bare.me();
    REQUIRE_FALSE(me);
    CHECK(me.error().code == ErrorCode::unauthorized);
    CHECK(me.error().message.find("GET /v4/me") != std::string::npos);
    CHECK(me.error().message.find(k_token) == std::string::npos);
}

TEST_CASE("V4: completion and a failed upload come from the upload status route",
          "[v4][integration][upload-status]") {
    V4Emulator emu;
    auto project = emu.demo_project();
    auto folder = emu.remote->create_folder(project.root_folder_id, "Status");
    REQUIRE(folder);

    // The last part completes the upload at once: complete on the first look.
    auto ok = emu.upload(folder->id, "ok.bin", random_bytes(1500, 1));
    const long looks_before = emu.stat("GET /v4/accounts/{account_id}/files/{file_id}/status");
    auto item = emu.remote->item(ok.asset_id);
    REQUIRE(item);
    CHECK(item->upload_completed);
    CHECK_FALSE(item->upload_failed);
    CHECK(emu.stat("GET /v4/accounts/{account_id}/files/{file_id}/status") == looks_before + 1);

    // Parts missing: neither complete nor failed, in item() and in a listing.
    const std::string partial_data = random_bytes(2'500'000, 2);
    auto partial = emu.remote->create_file(folder->id, "partial.bin", partial_data.size());
    REQUIRE(partial);
    REQUIRE(partial->parts.size() == 3);
    SliceSource first(partial_data, 0, partial->parts[0].length);
    REQUIRE(emu.remote->upload_part(*partial, 0, first));
    item = emu.remote->item(partial->asset_id);
    REQUIRE(item);
    CHECK_FALSE(item->upload_completed);
    CHECK_FALSE(item->upload_failed);

    // Frame.io gives up on the next upload: failed, never complete, never downloadable.
    emu.admin(net::Method::post, "/_emulator/faults", R"({"upload_failed": 1, "seed": 1})");
    auto bad = emu.upload(folder->id, "bad.bin", random_bytes(1500, 3));
    item = emu.remote->item(bad.asset_id);
    REQUIRE(item);
    CHECK(item->upload_failed);
    CHECK_FALSE(item->upload_completed);
    auto listed = emu.tree(folder->id);
    REQUIRE(listed.size() == 3);
    CHECK(listed.at("bad.bin").upload_failed);
    CHECK_FALSE(listed.at("partial.bin").upload_failed);
    CHECK_FALSE(listed.at("partial.bin").upload_completed);
    CHECK(listed.at("ok.bin").upload_completed);
    CHECK_FALSE(listed.at("ok.bin").upload_failed);
    StringSink sink;
    auto got = emu.remote->download({bad.asset_id, std::nullopt, std::nullopt}, sink);
    REQUIRE(got);
    CHECK(got->state == remote::DownloadState::not_ready);
    REQUIRE(emu.remote->delete_asset(bad.asset_id));

    // Polling stays within the route's limit (5/s): paced by the client, never a 429.
    for (int i = 0; i < 12; ++i)
        REQUIRE(emu.remote->item(ok.asset_id));
    CHECK(emu.stat("429") == 0);
}
