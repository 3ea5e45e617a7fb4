// SPDX-License-Identifier: MIT
// The real CurlTransport and V2Client against frameio-emulator on loopback.
#include "support/process.hpp"

#include "fios/api/client.hpp"
#include "fios/net/curl_transport.hpp"

#include <catch2/catch.hpp>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <thread>

using namespace fios;
using namespace fios::api;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "integration-token";

/// Backoff short enough for a test run; the policy shapes stay those of production.
V2ClientOptions fast_options() {
    V2ClientOptions o;
    o.transient_retry.max_attempts = 8;
    o.transient_retry.initial_delay = 20ms;
    o.transient_retry.max_delay = 200ms;
    o.transient_retry.max_total = 30'000ms;
    o.rate_limit_retry.max_attempts = 12;
    o.rate_limit_retry.initial_delay = 50ms;
    o.rate_limit_retry.max_delay = 1000ms;
    o.rate_limit_retry.min_delay = 20ms;
    o.rate_limit_retry.max_total = 60'000ms;
    o.jitter_seed = 99;
    return o;
}

std::vector<std::string> emulator_args(std::vector<std::string> extra) {
    std::vector<std::string> args{"--token", k_token};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

/// An emulator, a real transport and a client for one test case.
struct Emulator {
    fios::test::EmulatorProcess process;
    std::unique_ptr<net::CurlTransport> transport;
    StaticTokenProvider tokens{k_token};
    CancelToken cancel;
    std::unique_ptr<V2Client> client;

    explicit Emulator(std::vector<std::string> extra = {}, V2ClientOptions o = fast_options(),
                      net::CurlTransportOptions t = {})
        : process(emulator_args(std::move(extra))) {
        t.proxy = ""; // loopback only, whatever the environment says
        t.cancel_poll = 20ms;
        auto created = net::CurlTransport::create(std::move(t));
        REQUIRE(created);
        transport = std::move(*created);
        o.api_base = process.base_url();
        o.cancel = &cancel;
        client = std::make_unique<V2Client>(*transport, tokens, SystemClock::instance(),
                                            net::RealSleeper::instance(), std::move(o));
    }

    /// A raw request to the admin API (not through the client: no retries, no pacing).
    net::HttpResponse admin(net::Method method, const std::string& path,
                            const std::string& body = {}) {
        net::HttpRequest req;
        req.method = method;
        req.url = process.base_url() + path;
        req.headers = {{"Authorization", std::string("Bearer ") + k_token}};
        if (!body.empty()) {
            req.headers.emplace_back("Content-Type", "application/json");
            req.body = body;
        }
        auto r = transport->send(req);
        REQUIRE(r);
        INFO(method_name(method) << " " << path << " -> " << r->status << " " << r->body);
        REQUIRE(r->status / 100 == 2);
        return *r;
    }
    static std::string method_name(net::Method m) { return std::string(net::to_string(m)); }

    void set_faults(const std::string& json) {
        admin(net::Method::post, "/_emulator/faults", json);
    }
    void advance_clock(int seconds) {
        admin(net::Method::post, "/_emulator/clock",
              "{\"advance_seconds\":" + std::to_string(seconds) + "}");
    }
    /// Count of a route (stats key "METHOD /pattern") in GET /_emulator/stats.
    long stat(const std::string& key) {
        auto r = admin(net::Method::get, "/_emulator/stats");
        std::string escaped =
            std::regex_replace(key, std::regex(R"([{}\\/.^$|()\[\]*+?])"), R"(\$&)");
        std::smatch m;
        if (std::regex_search(r.body, m, std::regex("\"" + escaped + "\"\\s*:\\s*(\\d+)"))) {
            return std::stol(m[1]);
        }
        return 0;
    }

    Team first_team() {
        auto teams = client->teams();
        REQUIRE(teams);
        REQUIRE_FALSE(teams->empty());
        return teams->front();
    }
    Project new_project(const std::string& name) {
        auto p = client->create_project(first_team().id, name);
        INFO((p ? "" : p.error().message));
        REQUIRE(p);
        return *p;
    }
};

/// A BodySource over a slice of a string.
class SliceSource final : public net::BodySource {
public:
    SliceSource(const std::string& data, std::uint64_t offset, std::uint64_t length)
        : m_data(data), m_offset(offset), m_length(length) {}
    [[nodiscard]] std::uint64_t size() const override { return m_length; }
    Result<std::size_t> read(std::span<char> buf) override {
        const std::uint64_t left = m_length - m_pos;
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left));
        std::memcpy(buf.data(), m_data.data() + m_offset + m_pos, n);
        m_pos += n;
        return n;
    }
    Status rewind() override {
        m_pos = 0;
        return {};
    }

private:
    const std::string& m_data;
    std::uint64_t m_offset;
    std::uint64_t m_length;
    std::uint64_t m_pos = 0;
};

class StringSink final : public net::BodySink {
public:
    Status write(std::span<const char> d) override {
        data.append(d.data(), d.size());
        return {};
    }
    std::string data;
};

std::string pattern_bytes(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 12345;
    for (auto& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

std::string xxh64_hex(const std::string& data) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(XXH64(data.data(), data.size(), 0)));
    return buf;
}

std::size_t count_named(const std::vector<Asset>& assets, const std::string& name) {
    return static_cast<std::size_t>(std::count_if(assets.begin(), assets.end(),
                                                  [&](const Asset& a) { return a.name == name; }));
}

/// The documented way to create after an unknown outcome: look in the parent first.
Result<Asset> create_folder_resolving(V2Client& client, const std::string& parent,
                                      const std::string& name) {
    for (int i = 0; i < 10; ++i) {
        auto created = client.create_folder(parent, name);
        if (created || !is_create_outcome_unknown(created.error()))
            return created;
        auto listing = client.children(parent);
        if (!listing)
            return listing.error();
        for (const auto& a : *listing) {
            if (a.name == name)
                return a;
        }
    }
    return Error{ErrorCode::internal, "create_folder_resolving: gave up"};
}

} // namespace

TEST_CASE("identity and hierarchy: me, accounts, teams, projects", "[integration][client]") {
    Emulator emu;
    auto me = emu.client->me();
    REQUIRE(me);
    CHECK_FALSE(me->id.empty());
    auto accounts = emu.client->accounts();
    REQUIRE(accounts);
    REQUIRE_FALSE(accounts->empty());
    CHECK(std::any_of(accounts->begin(), accounts->end(),
                      [&](const Account& a) { return a.id == me->account_id; }));
    auto account_teams = emu.client->account_teams(me->account_id);
    REQUIRE(account_teams);
    REQUIRE_FALSE(account_teams->empty());
    Team team = emu.first_team();
    auto one = emu.client->team(team.id);
    REQUIRE(one);
    CHECK(one->name == team.name);

    Project p = emu.new_project("Integration One");
    CHECK(p.name == "Integration One");
    CHECK_FALSE(p.root_asset_id.empty());
    auto projects = emu.client->team_projects(team.id);
    REQUIRE(projects);
    CHECK(std::any_of(projects->begin(), projects->end(),
                      [&](const Project& x) { return x.id == p.id; }));
    auto by_id = emu.client->project(p.id);
    REQUIRE(by_id);
    CHECK(by_id->root_asset_id == p.root_asset_id);
    auto shared = emu.client->shared_projects();
    REQUIRE(shared);
    auto root = emu.client->asset(p.root_asset_id);
    REQUIRE(root);
    CHECK(root->type == AssetType::folder);
}

TEST_CASE("children are read across several pages", "[integration][client][paging]") {
    Emulator emu({"--page-size-max", "2"});
    Project p = emu.new_project("Paging");
    std::set<std::string> made;
    for (int i = 0; i < 7; ++i) {
        auto f = emu.client->create_folder(p.root_asset_id, "folder " + std::to_string(i));
        REQUIRE(f);
        made.insert(f->id);
    }
    const long before = emu.stat("GET /v2/assets/{id}/children");
    auto kids = emu.client->children(p.root_asset_id);
    REQUIRE(kids);
    std::set<std::string> got;
    for (const auto& a : *kids)
        got.insert(a.id);
    CHECK(got == made);
    CHECK(emu.stat("GET /v2/assets/{id}/children") - before == 4); // 7 items, 2 per page
}

TEST_CASE("multi-part upload in parallel, completion, checksum and ranged download",
          "[integration][client][transfer]") {
    Emulator emu({"--part-size", "1048576"});
    Project p = emu.new_project("Transfers");
    auto folder = emu.client->create_folder(p.root_asset_id, "Dailies");
    REQUIRE(folder);
    const std::string data = pattern_bytes(3 * 1024 * 1024 + 512 * 1024 + 123);
    auto file = emu.client->create_file(folder->id, "clip.mov", "video/quicktime", data.size());
    REQUIRE(file);
    REQUIRE(file->upload_urls.size() == 4);
    CHECK_FALSE(file->upload_completed_at);

    auto parts = compute_part_ranges(data.size(), file->upload_urls.size());
    std::vector<std::thread> workers;
    std::vector<Status> outcomes(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        workers.emplace_back([&, i] {
            SliceSource source(data, parts[i].offset, parts[i].length);
            outcomes[i] = emu.client->upload_part(file->upload_urls[i], "video/quicktime", source);
        });
    }
    for (auto& w : workers)
        w.join();
    for (const auto& o : outcomes) {
        INFO((o ? "" : o.error().message));
        REQUIRE(o);
    }

    // No completion call: the emulator notices the parts itself.
    Asset done;
    REQUIRE(fios::test::wait_until([&] {
        auto a = emu.client->asset(file->id);
        if (a && a->upload_completed_at)
            done = *a;
        return a && a->upload_completed_at.has_value();
    }));
    CHECK(done.filesize == static_cast<std::int64_t>(data.size()));
    REQUIRE(done.original);

    // The checksum appears after --checksum-delay on the emulator's clock.
    emu.advance_clock(10);
    std::optional<std::string> hash;
    REQUIRE(fios::test::wait_until([&] {
        auto a = emu.client->asset(file->id);
        if (a)
            hash = a->xx_hash;
        return hash.has_value();
    }));
    CHECK(*hash == xxh64_hex(data));

    StringSink whole;
    auto full = emu.client->download(*done.original, std::nullopt, whole);
    REQUIRE(full);
    CHECK(full->status == 200);
    CHECK(whole.data == data);

    StringSink piece;
    auto ranged = emu.client->download(*done.original, ByteRange{1'048'000, 1'049'999}, piece);
    INFO((ranged ? "" : ranged.error().message));
    REQUIRE(ranged);
    CHECK(ranged->status == 206);
    CHECK(ranged->total_size == data.size());
    CHECK(piece.data == data.substr(1'048'000, 2'000));

    StringSink tail;
    auto last =
        emu.client->download(*done.original, ByteRange{data.size() - 10, data.size() - 1}, tail);
    REQUIRE(last);
    CHECK(tail.data == data.substr(data.size() - 10));
}

namespace {

/// Uploads `data` into a new file under `parent` (parts in parallel) and waits for completion.
Asset upload_file(Emulator& emu, const std::string& parent, const std::string& name,
                  const std::string& data) {
    auto file = emu.client->create_file(parent, name, "application/octet-stream", data.size());
    REQUIRE(file);
    auto parts = compute_part_ranges(data.size(), file->upload_urls.size());
    std::vector<std::thread> workers;
    std::vector<Status> outcomes(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        workers.emplace_back([&, i] {
            SliceSource source(data, parts[i].offset, parts[i].length);
            outcomes[i] =
                emu.client->upload_part(file->upload_urls[i], "application/octet-stream", source);
        });
    }
    for (auto& w : workers)
        w.join();
    for (const auto& o : outcomes) {
        INFO((o ? "" : o.error().message));
        REQUIRE(o);
    }
    Asset done;
    REQUIRE(fios::test::wait_until([&] {
        auto a = emu.client->asset(file->id);
        if (a && a->upload_completed_at)
            done = *a;
        return a && a->upload_completed_at.has_value();
    }));
    return done;
}

} // namespace

TEST_CASE("transfers survive part 5xx, reset connections, download 5xx and short bodies",
          "[integration][client][transfer][faults]") {
    Emulator emu({"--part-size", "1048576"});
    Project p = emu.new_project("Faulty transfers");
    const std::string data = pattern_bytes(5 * 1024 * 1024 + 77);
    emu.set_faults(R"({"part5xx": 0.3, "partreset": 0.3, "seed": 5})");
    Asset done = upload_file(emu, p.root_asset_id, "faulty.bin", data);
    REQUIRE(done.original);
    CHECK(emu.stat("PUT /parts") > 6); // some parts were sent more than once

    // Whole-object downloads: a 5xx before the first byte is retried inside download().
    emu.set_faults(R"({"download5xx": 0.5, "seed": 9})");
    const long gets_before = emu.stat("GET /originals");
    for (int round = 0; round < 6; ++round) {
        StringSink sink;
        auto r = emu.client->download(*done.original, std::nullopt, sink);
        INFO((r ? "" : r.error().message));
        REQUIRE(r);
        REQUIRE(sink.data == data);
    }
    CHECK(emu.stat("GET /originals") - gets_before > 6); // some were retried

    // With 5xx still injected: a body cut short after some bytes comes back as a retryable
    // error and is resumed with a range, as the engine will.
    emu.set_faults(R"({"download5xx": 0.3, "truncate": 0.5, "seed": 9})");
    int resumes = 0;
    for (int round = 0; round < 6; ++round) {
        StringSink sink;
        while (sink.data.size() < data.size()) {
            std::optional<ByteRange> range;
            if (!sink.data.empty())
                range = ByteRange{sink.data.size(), data.size() - 1};
            auto r = emu.client->download(*done.original, range, sink);
            if (!r) {
                INFO(r.error().message << " (had " << sink.data.size() << " of " << data.size()
                                       << " bytes)");
                REQUIRE(r.error().retryable());
                REQUIRE(++resumes < 100);
            }
        }
        REQUIRE(sink.data == data);
    }
    CHECK(resumes > 0);
    emu.set_faults(R"({"download5xx": 0, "truncate": 0, "part5xx": 0, "partreset": 0})");
}

TEST_CASE("a 5xx on a ranged download is retried", "[integration][client][transfer][faults]") {
    // Guards .scratch/emulator-findings.md "A ranged download that fails ... comes back as 416":
    // a 5xx must stay a (retryable) 5xx when the request carries a Range.
    Emulator emu;
    Project p = emu.new_project("Ranged 5xx");
    const std::string data = pattern_bytes(200'000);
    Asset done = upload_file(emu, p.root_asset_id, "r.bin", data);
    REQUIRE(done.original);
    emu.admin(net::Method::post, "/_emulator/fail-next",
              R"({"route":"GET /originals","count":2,"status":503,"when":"before"})");
    StringSink sink;
    auto r = emu.client->download(*done.original, ByteRange{1000, 1999}, sink);
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(sink.data == data.substr(1000, 1000));
}

TEST_CASE("a zero-byte file uploads as one empty part", "[integration][client][transfer]") {
    Emulator emu;
    Project p = emu.new_project("Empty");
    auto file = emu.client->create_file(p.root_asset_id, "empty.txt", "text/plain", 0);
    REQUIRE(file);
    REQUIRE(file->upload_urls.size() == 1);
    const std::string nothing;
    SliceSource source(nothing, 0, 0);
    auto put = emu.client->upload_part(file->upload_urls[0], "text/plain", source);
    INFO((put ? "" : put.error().message));
    REQUIRE(put);
    REQUIRE(fios::test::wait_until([&] {
        auto a = emu.client->asset(file->id);
        return a && a->upload_completed_at.has_value();
    }));
}

TEST_CASE("rename, version, search by updated_at and delete", "[integration][client]") {
    Emulator emu;
    Project p = emu.new_project("Lifecycle");
    const std::string v1 = "first version";
    const std::string v2 = "second version!";
    auto upload = [&](const std::string& name, const std::string& bytes) {
        auto f = emu.client->create_file(p.root_asset_id, name, "text/plain", bytes.size());
        REQUIRE(f);
        auto parts = compute_part_ranges(bytes.size(), f->upload_urls.size());
        for (std::size_t i = 0; i < parts.size(); ++i) {
            SliceSource s(bytes, parts[i].offset, parts[i].length);
            REQUIRE(emu.client->upload_part(f->upload_urls[i], "text/plain", s));
        }
        return *f;
    };
    Asset a = upload("notes.txt", v1);
    auto renamed = emu.client->rename(a.id, "notes-renamed.txt");
    REQUIRE(renamed);
    CHECK(renamed->name == "notes-renamed.txt");

    Asset b = upload("notes-v2.txt", v2);
    auto stack = emu.client->add_version(a.id, b.id);
    INFO((stack ? "" : stack.error().message));
    REQUIRE(stack);
    auto listing = emu.client->children(p.root_asset_id);
    REQUIRE(listing);
    auto it = std::find_if(listing->begin(), listing->end(),
                           [](const Asset& x) { return x.type == AssetType::version_stack; });
    REQUIRE(it != listing->end());
    CHECK(it->cover_asset_id == b.id);
    auto versions = emu.client->children(it->id);
    REQUIRE(versions);
    CHECK(versions->size() == 2);

    auto since = emu.client->search_updated_since(p.id, a.inserted_at - std::chrono::minutes(10));
    INFO((since ? "" : since.error().message));
    REQUIRE(since);
    CHECK(std::any_of(since->begin(), since->end(), [&](const Asset& x) { return x.id == b.id; }));
    auto future = emu.client->search_updated_since(p.id, std::chrono::system_clock::now() +
                                                             std::chrono::hours(24 * 365));
    REQUIRE(future);
    CHECK(future->empty());

    auto folder = emu.client->create_folder(p.root_asset_id, "Trash me");
    REQUIRE(folder);
    REQUIRE(emu.client->delete_asset(folder->id));
    auto after = emu.client->children(p.root_asset_id);
    REQUIRE(after);
    CHECK(count_named(*after, "Trash me") == 0);
    auto with_deleted = emu.client->children(p.root_asset_id, ChildrenOptions{true});
    REQUIRE(with_deleted);
    CHECK(count_named(*with_deleted, "Trash me") == 1);
}

TEST_CASE("a burst of 429 is absorbed by backoff", "[integration][client][429]") {
    Emulator emu;
    REQUIRE(emu.client->me());
    emu.set_faults(R"({"burst429": 3})");
    auto me = emu.client->me();
    INFO((me ? "" : me.error().message));
    REQUIRE(me);
    // Statuses may be counted just after the response is sent: wait for the count.
    CHECK(fios::test::wait_until([&] { return emu.stat("429") == 3; }, 5s));
    // A create refused with 429 is retried: it was not processed.
    Project p = emu.new_project("After 429");
    emu.set_faults(R"({"burst429": 2})");
    auto f = emu.client->create_folder(p.root_asset_id, "once");
    REQUIRE(f);
    auto kids = emu.client->children(p.root_asset_id);
    REQUIRE(kids);
    CHECK(count_named(*kids, "once") == 1);
}

TEST_CASE("GETs ride out 5xx and creates never duplicate", "[integration][client][5xx]") {
    Emulator emu;
    Project p = emu.new_project("Flaky");
    emu.set_faults(R"({"api5xx": 0.3, "seed": 11})");
    for (int i = 0; i < 10; ++i) {
        INFO("folder " << i);
        auto f = create_folder_resolving(*emu.client, p.root_asset_id, "f" + std::to_string(i));
        INFO((f ? "" : f.error().message));
        REQUIRE(f);
    }
    for (int i = 0; i < 10; ++i) {
        auto me = emu.client->me();
        INFO((me ? "" : me.error().message));
        REQUIRE(me);
    }
    emu.set_faults(R"({"api5xx": 0})");
    auto kids = emu.client->children(p.root_asset_id);
    REQUIRE(kids);
    for (int i = 0; i < 10; ++i)
        CHECK(count_named(*kids, "f" + std::to_string(i)) == 1);
    CHECK(emu.stat("500") + emu.stat("502") + emu.stat("503") > 0); // faults did happen
}

TEST_CASE("a create that fails after its side effect is reported, not repeated",
          "[integration][client][5xx]") {
    Emulator emu;
    Project p = emu.new_project("Fail after");
    emu.admin(net::Method::post, "/_emulator/fail-next",
              R"({"route":"POST /v2/assets/{id}/children","count":1,"status":500,"when":"after"})");
    const long before = emu.stat("POST /v2/assets/{id}/children");
    auto f = emu.client->create_folder(p.root_asset_id, "exactly once");
    REQUIRE_FALSE(f);
    CHECK(is_create_outcome_unknown(f.error()));
    CHECK(emu.stat("POST /v2/assets/{id}/children") - before == 1);
    auto kids = emu.client->children(p.root_asset_id);
    REQUIRE(kids);
    CHECK(count_named(*kids, "exactly once") == 1);
}

TEST_CASE("401 and 403 from the emulator", "[integration][client][auth]") {
    Emulator emu({"--token", "readonly:account.read,team.read,project.read,asset.read"});
    StaticTokenProvider wrong("not-a-token");
    V2ClientOptions o = fast_options();
    o.api_base = emu.process.base_url();
    V2Client bad(*emu.transport, wrong, SystemClock::instance(), net::RealSleeper::instance(), o);
    auto me = bad.me();
    REQUIRE_FALSE(me);
    CHECK(me.error().code == ErrorCode::unauthorized);
    CHECK(me.error().message.find("not-a-token") == std::string::npos);

    Project p = emu.new_project("Scopes");
    StaticTokenProvider ro("readonly");
    V2Client reader(*emu.transport, ro, SystemClock::instance(), net::RealSleeper::instance(), o);
    REQUIRE(reader.children(p.root_asset_id));
    auto f = reader.create_folder(p.root_asset_id, "nope");
    REQUIRE_FALSE(f);
    CHECK(f.error().code == ErrorCode::forbidden);
    CHECK(f.error().message.find("asset.create") != std::string::npos);
}

TEST_CASE("the transport keeps connections alive to the emulator", "[integration][client][net]") {
    Emulator emu;
    REQUIRE(emu.client->me());
    const auto before = emu.transport->stats();
    for (int i = 0; i < 20; ++i)
        REQUIRE(emu.client->me());
    const auto after = emu.transport->stats();
    CHECK(after.requests - before.requests == 20);
    INFO("new connections for 20 sequential requests: " << after.connections_opened -
                                                               before.connections_opened);
    CHECK(after.connections_opened - before.connections_opened <= 1);

    // From several threads at once: at most one connection per pooled handle.
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                if (emu.client->me())
                    ++ok;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    CHECK(ok == 40);
    const auto end = emu.transport->stats();
    CHECK(end.connections_opened <= end.handles_created);
}

TEST_CASE("cancellation ends a slow request promptly", "[integration][client][cancel]") {
    Emulator emu;
    REQUIRE(emu.client->me());
    emu.set_faults(R"({"latency_ms": 60000})");
    std::atomic<bool> done{false};
    Result<User> outcome = Error{ErrorCode::internal, "not run"};
    const auto requests_before = emu.transport->stats().requests;
    std::thread th([&] {
        outcome = emu.client->me();
        done = true;
    });
    // Wait until the request is on the wire, then shut down.
    REQUIRE(
        fios::test::wait_until([&] { return emu.transport->stats().requests > requests_before; }));
    emu.cancel.cancel();
    const bool finished = fios::test::wait_until([&] { return done.load(); }, 10s);
    if (!finished)
        emu.process.kill_hard(); // unblock the thread rather than hang
    th.join();
    REQUIRE(finished);
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::cancelled);
}

TEST_CASE("a per-transfer token cancels one slow download", "[integration][client][cancel]") {
    Emulator emu;
    Project p = emu.new_project("Slow download");
    const std::string data = pattern_bytes(100'000);
    Asset done = upload_file(emu, p.root_asset_id, "slow.bin", data);
    REQUIRE(done.original);
    emu.set_faults(R"({"latency_ms": 60000})");
    CancelToken transfer;
    std::atomic<bool> finished{false};
    Result<DownloadResult> outcome = Error{ErrorCode::internal, "not run"};
    StringSink sink;
    const auto requests_before = emu.transport->stats().requests;
    std::thread th([&] {
        outcome = emu.client->download(*done.original, std::nullopt, sink, &transfer);
        finished = true;
    });
    REQUIRE(
        fios::test::wait_until([&] { return emu.transport->stats().requests > requests_before; }));
    transfer.cancel();
    const bool ended = fios::test::wait_until([&] { return finished.load(); }, 10s);
    if (!ended)
        emu.process.kill_hard();
    th.join();
    REQUIRE(ended);
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::cancelled);
    CHECK(sink.data.empty());
    // The client itself was not cancelled.
    emu.set_faults(R"({"latency_ms": 0})");
    CHECK(emu.client->me());
}
