// SPDX-License-Identifier: MIT
// remote::V2Remote and transfer/ against frameio-emulator on loopback, in real temp dirs.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "fios/api/client.hpp"
#include "fios/hash/xxh64.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/remote/v2_remote.hpp"
#include "fios/transfer/downloader.hpp"
#include "fios/transfer/executor.hpp"
#include "fios/transfer/uploader.hpp"
#include "fios/transfer/verify.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sys/mount.h>
#include <sys/resource.h>

using namespace fios;
using namespace fios::transfer;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_token = "transfer-token";

api::V2ClientOptions fast_options() {
    api::V2ClientOptions o;
    o.transient_retry.max_attempts = 8;
    o.transient_retry.initial_delay = 20ms;
    o.transient_retry.max_delay = 200ms;
    o.transient_retry.max_total = 30'000ms;
    o.rate_limit_retry.max_attempts = 12;
    o.rate_limit_retry.initial_delay = 50ms;
    o.rate_limit_retry.max_delay = 1000ms;
    o.rate_limit_retry.min_delay = 20ms;
    o.rate_limit_retry.max_total = 60'000ms;
    o.jitter_seed = 7;
    return o;
}

/// An emulator, the real transport and client, and a V2Remote over them; one project.
struct Emulator {
    fios::test::EmulatorProcess process;
    std::unique_ptr<net::CurlTransport> transport;
    api::StaticTokenProvider tokens{k_token};
    std::unique_ptr<api::V2Client> client;
    std::unique_ptr<remote::V2Remote> remote;
    std::string root_id;

    explicit Emulator(std::vector<std::string> extra = {})
        : process([&] {
              std::vector<std::string> a{"--token", k_token, "--quiet"};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
          }()) {
        net::CurlTransportOptions t;
        t.proxy = "";
        t.cancel_poll = 20ms;
        auto created = net::CurlTransport::create(t);
        REQUIRE(created);
        transport = std::move(*created);
        auto o = fast_options();
        o.api_base = process.base_url();
        client = std::make_unique<api::V2Client>(*transport, tokens, SystemClock::instance(),
                                                 net::RealSleeper::instance(), o);
        remote = std::make_unique<remote::V2Remote>(*client);
        auto teams = client->teams();
        REQUIRE(teams);
        REQUIRE_FALSE(teams->empty());
        auto project = client->create_project(teams->front().id, "Transfers");
        REQUIRE(project);
        root_id = project->root_asset_id;
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
    void advance_clock(int seconds) {
        admin(net::Method::post, "/_emulator/clock",
              "{\"advance_seconds\":" + std::to_string(seconds) + "}");
    }
    void set_faults(const std::string& json) {
        admin(net::Method::post, "/_emulator/faults", json);
    }
    void reset_stats() { admin(net::Method::del, "/_emulator/stats"); }
    long stat(const std::string& key) {
        auto r = admin(net::Method::get, "/_emulator/stats");
        const std::string escaped =
            std::regex_replace(key, std::regex(R"([{}\\/.^$|()\[\]*+?])"), R"(\$&)");
        std::smatch m;
        if (std::regex_search(r.body, m, std::regex("\"" + escaped + "\"\\s*:\\s*(\\d+)")))
            return std::stol(m[1]);
        return 0;
    }
};

std::string pattern_bytes(std::size_t n, std::uint32_t seed = 12345) {
    std::string s(n, '\0');
    std::uint32_t x = seed;
    for (auto& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

model::RelPath rel(const std::string& p) {
    return *model::RelPath::parse(p);
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// A Remote that holds part 0 back until every other part of the upload is stored, so the
/// server receives the parts out of order; everything else goes straight through.
class PartZeroLast final : public remote::Remote {
public:
    explicit PartZeroLast(remote::Remote& inner) : m_inner(inner) {}
    std::atomic<std::size_t> others_done{0};
    std::size_t others_expected = 0;

    [[nodiscard]] remote::Capabilities capabilities() const override {
        return m_inner.capabilities();
    }
    Result<std::vector<remote::Item>> list_folder(const std::string& f, bool d) override {
        return m_inner.list_folder(f, d);
    }
    Result<remote::Item> item(const std::string& id) override { return m_inner.item(id); }
    Result<std::vector<remote::Item>> find_by_name(const std::string& f,
                                                   std::string_view n) override {
        return m_inner.find_by_name(f, n);
    }
    Result<remote::Item> create_folder(const std::string& p, const std::string& n) override {
        return m_inner.create_folder(p, n);
    }
    Result<remote::UploadSession> create_file(const std::string& p, const std::string& n,
                                              std::uint64_t size,
                                              const remote::CreateFileOptions& o) override {
        return m_inner.create_file(p, n, size, o);
    }
    Status upload_part(const remote::UploadSession& s, std::size_t index, net::BodySource& body,
                       const CancelToken* cancel) override {
        if (index == 0)
            fios::test::wait_until([&] { return others_done.load() >= others_expected; }, 30s);
        auto st = m_inner.upload_part(s, index, body, cancel);
        if (st && index != 0)
            ++others_done;
        return st;
    }
    Result<remote::DownloadResponse> download(const remote::DownloadRequest& r, net::BodySink& sink,
                                              const CancelToken* cancel) override {
        return m_inner.download(r, sink, cancel);
    }
    Status delete_asset(const std::string& id) override { return m_inner.delete_asset(id); }

private:
    remote::Remote& m_inner;
};

/// Uploads `content` as `name` into the project's root through the Uploader; returns the
/// asset id.
std::string upload_content(Emulator& emu, const fs::path& root, const std::string& name,
                           const std::string& content) {
    fios::test::write_file(root / name, content);
    PartPool pool(4);
    Uploader up(*emu.remote, pool);
    UploadRequest req;
    req.root = root;
    req.path = rel(name);
    req.parent_id = emu.root_id;
    auto r = up.upload(req);
    REQUIRE(r);
    REQUIRE(r->status == UploadStatus::uploaded);
    return r->asset_id;
}

DownloaderOptions no_margin() {
    DownloaderOptions o;
    o.free_space_margin = 0;
    return o;
}

} // namespace

TEST_CASE("multi-part upload: parts out of order, retried parts, the hash is XXH64",
          "[integration][transfer][upload]") {
    Emulator emu({"--part-size", "1024", "--checksum-delay", "0"});
    fios::test::TempDir dir;
    const std::string content = pattern_bytes(20 * 1024 + 77); // 21 parts
    fios::test::write_file(dir / "clip.mov", content);
    // The first two part PUTs fail with 503 (retried by the client); a share of the rest
    // are refused or cut mid-body by seeded faults.
    emu.admin(net::Method::post, "/_emulator/fail-next",
              R"({"route":"PUT /parts","status":503,"count":2})");
    emu.set_faults(R"({"part5xx":0.1,"partreset":0.1,"seed":11})");
    emu.reset_stats();

    PartZeroLast gated(*emu.remote);
    gated.others_expected = 20;
    PartPool pool(4);
    Uploader up(gated, pool);
    std::mutex m;
    std::vector<std::size_t> order;
    std::atomic<std::uint64_t> progress{0};
    UploadCallbacks cb;
    cb.on_part_done = [&](std::size_t i) {
        std::lock_guard l(m);
        order.push_back(i);
    };
    cb.on_progress = [&](std::uint64_t n) { progress += n; };
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("clip.mov");
    req.parent_id = emu.root_id;
    auto r = up.upload(req, cb);
    REQUIRE(r);
    REQUIRE(r->status == UploadStatus::uploaded);
    CHECK(r->xxh64 == hash::xxh64_hex(content));
    CHECK(r->parts_sent == 21);
    CHECK(progress == content.size());
    REQUIRE(order.size() == 21);
    CHECK(order.back() == 0);           // out of order: part 0 landed last
    CHECK(emu.stat("PUT /parts") > 21); // retries happened

    // The emulator's own XXH64 of what it assembled equals ours.
    emu.set_faults("{}");
    auto v = wait_for_verification(*emu.remote, {r->asset_id, content.size(), r->xxh64},
                                   VerifyPolicy{20'000ms, 20ms, 200ms}, SystemClock::instance(),
                                   net::RealSleeper::instance());
    REQUIRE(v);
    CHECK(v->state == VerifyState::verified);
    CHECK(v->item.checksum == hash::xxh64_hex(content));
}

TEST_CASE("an upload resumed from a session sends only the missing parts",
          "[integration][transfer][upload]") {
    Emulator emu({"--part-size", "1000", "--checksum-delay", "0"});
    fios::test::TempDir dir;
    const std::string content = pattern_bytes(6'500, 99); // 7 parts
    fios::test::write_file(dir / "a.bin", content);

    // An earlier run created the asset and stored parts 0, 2 and 5, then died.
    auto session = emu.remote->create_file(emu.root_id, "a.bin", content.size());
    REQUIRE(session);
    REQUIRE(session->parts.size() == 7);
    struct Slice final : net::BodySource {
        const std::string& data;
        std::uint64_t off, len, pos = 0;
        Slice(const std::string& d, std::uint64_t o, std::uint64_t l) : data(d), off(o), len(l) {}
        [[nodiscard]] std::uint64_t size() const override { return len; }
        Result<std::size_t> read(std::span<char> b) override {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(b.size(), len - pos));
            std::memcpy(b.data(), data.data() + off + pos, n);
            pos += n;
            return n;
        }
        Status rewind() override {
            pos = 0;
            return {};
        }
    };
    for (std::size_t i : {std::size_t{0}, std::size_t{2}, std::size_t{5}}) {
        Slice s(content, session->parts[i].offset, session->parts[i].length);
        REQUIRE(emu.remote->upload_part(*session, i, s));
    }
    // The journal stored the session as text.
    auto stored = remote::decode_session(remote::encode_session(*session));
    REQUIRE(stored);
    emu.reset_stats();

    PartPool pool(3);
    Uploader up(*emu.remote, pool);
    std::atomic<int> new_sessions{0};
    UploadCallbacks cb;
    cb.on_session = [&](const remote::UploadSession&) { ++new_sessions; };
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("a.bin");
    req.parent_id = emu.root_id;
    req.resume = *stored;
    req.done_parts = {0, 2, 5};
    auto r = up.upload(req, cb);
    REQUIRE(r);
    REQUIRE(r->status == UploadStatus::uploaded);
    CHECK(r->asset_id == session->asset_id);
    CHECK(r->parts_sent == 4);
    CHECK(new_sessions == 0);
    CHECK(emu.stat("PUT /parts") == 4);
    CHECK(emu.stat("POST /v2/assets/{id}/children") == 0);
    auto v = wait_for_verification(*emu.remote, {r->asset_id, content.size(), r->xxh64},
                                   VerifyPolicy{20'000ms, 20ms, 200ms}, SystemClock::instance(),
                                   net::RealSleeper::instance());
    REQUIRE(v);
    CHECK(v->state == VerifyState::verified);

    // Resuming again after completion (the journal missed the last parts) sends nothing.
    emu.reset_stats();
    req.done_parts = {};
    auto again = up.upload(req);
    REQUIRE(again);
    CHECK(again->status == UploadStatus::uploaded);
    CHECK(emu.stat("PUT /parts") == 0);
}

TEST_CASE("verification: none yet, then equal, a corrupted checksum is a mismatch",
          "[integration][transfer][verify]") {
    Emulator emu({"--part-size", "4096", "--checksum-delay", "30"});
    fios::test::TempDir dir;
    const std::string content = pattern_bytes(10'000, 5);
    const std::string id = upload_content(emu, dir.path(), "v.mov", content);
    const VerifyRequest req{id, content.size(), hash::xxh64_hex(content)};

    auto first = check_upload(*emu.remote, req);
    REQUIRE(first);
    CHECK(first->state == VerifyState::awaiting_checksum);
    CHECK(first->item.upload_completed);

    emu.advance_clock(31);
    auto second = check_upload(*emu.remote, req);
    REQUIRE(second);
    CHECK(second->state == VerifyState::verified);

    emu.admin(net::Method::post, "/_emulator/assets/" + id + "/corrupt", R"({"what":"checksum"})");
    auto third = check_upload(*emu.remote, req);
    REQUIRE(third);
    CHECK(third->state == VerifyState::mismatch);

    REQUIRE(emu.remote->delete_asset(id));
    auto fourth = check_upload(*emu.remote, req);
    REQUIRE(fourth);
    CHECK(fourth->state == VerifyState::gone);
}

TEST_CASE("download streams to a hidden file, verifies, renames, never visible early",
          "[integration][transfer][download]") {
    Emulator emu({"--part-size", "8192", "--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    const std::string content = pattern_bytes(100'000, 3);
    const std::string id = upload_content(emu, src.path(), "clip.mov", content);
    REQUIRE(fios::test::wait_until([&] {
        auto i = emu.remote->item(id);
        return i && i->checksum.has_value();
    }));
    fs::create_directories(dst / "sub");
    Downloader down(*emu.remote, no_margin());
    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("sub/clip.mov");
    req.asset_id = id;
    req.size = content.size();
    bool visible_early = false;
    bool temp_seen = false;
    auto r = down.download(req, [&](std::uint64_t) {
        visible_early = visible_early || fs::exists(dst / "sub/clip.mov");
        temp_seen = temp_seen || fs::exists(dst / "sub" / temp_name(id));
    });
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::verified);
    CHECK_FALSE(visible_early);
    CHECK(temp_seen);
    CHECK(fios::test::read_file(dst / "sub/clip.mov") == content);
    CHECK(names_in(dst / "sub") == std::vector<std::string>{"clip.mov"});
}

TEST_CASE("download resumes with Range: from a temporary file, and after a cut transfer",
          "[integration][transfer][download]") {
    Emulator emu({"--part-size", "8192", "--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    const std::string content = pattern_bytes(200'000, 8);
    const std::string id = upload_content(emu, src.path(), "clip.mov", content);
    REQUIRE(fios::test::wait_until([&] {
        auto i = emu.remote->item(id);
        return i && i->checksum.has_value();
    }));
    Downloader down(*emu.remote, no_margin());
    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = content.size();

    SECTION("a temporary file left by an earlier run") {
        fios::test::write_file(dst / temp_name(id), content.substr(0, 77'777));
        emu.reset_stats();
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::verified);
        CHECK(r->resumed_from == 77'777);
        CHECK(r->bytes_transferred == content.size() - 77'777);
        CHECK(emu.stat("GET /originals") == 1);
    }
    SECTION("transfers cut short by the server") {
        emu.set_faults(R"({"truncate":0.5,"seed":4})");
        emu.reset_stats();
        auto r = down.download(req);
        REQUIRE(r);
        CHECK(r->status == DownloadStatus::verified);
        CHECK(r->bytes_transferred == content.size());
        CHECK(emu.stat("GET /originals") > 1);
    }
    CHECK(fios::test::read_file(dst / "clip.mov") == content);
    CHECK(names_in(dst.path()) == std::vector<std::string>{"clip.mov"});
}

TEST_CASE("download with corrupted content is a checksum mismatch and leaves nothing",
          "[integration][transfer][download]") {
    Emulator emu({"--part-size", "8192", "--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    const std::string content = pattern_bytes(30'000, 4);
    const std::string id = upload_content(emu, src.path(), "clip.mov", content);
    emu.admin(net::Method::post, "/_emulator/assets/" + id + "/corrupt", R"({"what":"content"})");
    Downloader down(*emu.remote, no_margin());
    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = content.size();
    auto r = down.download(req);
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::checksum_mismatch);
    CHECK(r->remote_checksum == hash::xxh64_hex(content));
    CHECK(r->xxh64 != hash::xxh64_hex(content));
    CHECK(names_in(dst.path()).empty());
}

TEST_CASE("the final rename never overwrites a file that appeared meanwhile",
          "[integration][transfer][download]") {
    Emulator emu({"--part-size", "8192", "--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    const std::string content = pattern_bytes(50'000, 6);
    const std::string id = upload_content(emu, src.path(), "clip.mov", content);
    Downloader down(*emu.remote, no_margin());
    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("clip.mov");
    req.asset_id = id;
    req.size = content.size();
    bool created = false;
    auto r = down.download(req, [&](std::uint64_t) {
        if (!created) {
            fios::test::write_file(dst / "clip.mov", "mine");
            created = true;
        }
    });
    REQUIRE(r);
    CHECK(r->status == DownloadStatus::target_exists);
    CHECK(fios::test::read_file(dst / "clip.mov") == "mine");
    CHECK(names_in(dst.path()) == std::vector<std::string>{"clip.mov"});
}

TEST_CASE("a symlinked target folder is refused", "[integration][transfer][download]") {
    Emulator emu({"--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    fios::test::TempDir elsewhere;
    const std::string id = upload_content(emu, src.path(), "a.txt", "hello");
    fs::create_directory_symlink(elsewhere.path(), dst / "Dailies");
    Downloader down(*emu.remote, no_margin());
    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("Dailies/a.txt");
    req.asset_id = id;
    req.size = 5;
    auto r = down.download(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::io);
    CHECK(r.error().message.find("symbolic link") != std::string::npos);
    CHECK(names_in(elsewhere.path()).empty());
}

TEST_CASE("disk space: refused before starting, and ENOSPC while writing is disk_full",
          "[integration][transfer][download]") {
    Emulator emu({"--part-size", "65536", "--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    const std::string content = pattern_bytes(600 * 1024, 2);
    const std::string id = upload_content(emu, src.path(), "big.bin", content);
    const fs::path small = dst / "small";
    fs::create_directories(small);
    // A 256 KiB tmpfs (we run as root in CI containers); else the free-space query is faked.
    const bool mounted = ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=256k") == 0;
    if (!mounted)
        WARN("cannot mount a tmpfs (" << std::strerror(errno) << "): injecting free space");
    struct Unmount {
        const fs::path& p;
        bool on;
        ~Unmount() {
            if (on)
                ::umount2(p.c_str(), MNT_DETACH);
        }
    } unmount{small, mounted};

    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("small/big.bin");
    req.asset_id = id;
    req.size = content.size();
    emu.reset_stats();
    {
        DownloaderOptions o;
        o.free_space_margin = 1024;
        if (!mounted)
            o.free_space = [](int) -> Result<std::uint64_t> { return std::uint64_t{256 * 1024}; };
        Downloader down(*emu.remote, o);
        auto r = down.download(req);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::disk_full);
        CHECK(emu.stat("GET /originals") == 0);
        CHECK(names_in(small).empty());
    }
    if (mounted) {
        // The free-space check is fooled (another writer, a lying file system): the write
        // itself fails with ENOSPC.
        DownloaderOptions o;
        o.free_space_margin = 0;
        o.free_space = [](int) -> Result<std::uint64_t> { return std::uint64_t{1} << 40; };
        Downloader down(*emu.remote, o);
        auto r = down.download(req);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::disk_full);
        CHECK(scope_of(r.error()) == ErrorScope::run);
        CHECK_FALSE(fs::exists(small / "big.bin"));
    }
}

TEST_CASE("cancellation stops a download mid-transfer, the next call resumes",
          "[integration][transfer][download]") {
    Emulator emu({"--part-size", "65536", "--checksum-delay", "0"});
    fios::test::TempDir src;
    fios::test::TempDir dst;
    const std::string content = pattern_bytes(3 * 1024 * 1024, 12);
    const std::string id = upload_content(emu, src.path(), "c.bin", content);
    Downloader down(*emu.remote, no_margin());
    DownloadRequest req;
    req.root = dst.path();
    req.path = rel("c.bin");
    req.asset_id = id;
    req.size = content.size();
    CancelToken cancel;
    std::uint64_t got = 0;
    auto r = down.download(
        req,
        [&](std::uint64_t n) {
            got += n;
            if (got >= 512 * 1024)
                cancel.cancel();
        },
        &cancel);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK_FALSE(fs::exists(dst / "c.bin"));
    REQUIRE(fs::exists(dst / temp_name(id)));
    const auto kept = fs::file_size(dst / temp_name(id));
    CHECK(kept >= 512 * 1024);
    CHECK(kept < content.size());

    auto resumed = down.download(req);
    REQUIRE(resumed);
    CHECK(resumed->status == DownloadStatus::verified);
    CHECK(resumed->resumed_from == kept);
    CHECK(fios::test::read_file(dst / "c.bin") == content);
}

TEST_CASE("cancellation stops an upload mid-transfer", "[integration][transfer][upload]") {
    Emulator emu({"--part-size", "65536", "--checksum-delay", "0"});
    fios::test::TempDir dir;
    fios::test::write_file(dir / "u.bin", pattern_bytes(4 * 1024 * 1024, 13)); // 64 parts
    PartPool pool(2);
    Uploader up(*emu.remote, pool);
    CancelToken cancel;
    std::atomic<int> parts{0};
    UploadCallbacks cb;
    cb.on_part_done = [&](std::size_t) {
        if (++parts == 3)
            cancel.cancel();
    };
    UploadRequest req;
    req.root = dir.path();
    req.path = rel("u.bin");
    req.parent_id = emu.root_id;
    auto r = up.upload(req, cb, &cancel);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::cancelled);
    CHECK(parts < 64);
}

TEST_CASE("executor: uploads, verification and downloads end to end",
          "[integration][transfer][executor]") {
    Emulator emu({"--part-size", "2048", "--checksum-delay", "5"});
    fios::test::TempDir up_dir;
    fios::test::TempDir down_dir;
    std::map<std::string, std::string> files;
    for (int i = 0; i < 5; ++i)
        files["f" + std::to_string(i) + ".bin"] =
            pattern_bytes(static_cast<std::size_t>(1000 + i * 3000), static_cast<std::uint32_t>(i));
    for (const auto& [name, data] : files)
        fios::test::write_file(up_dir / name, data);

    ExecutorOptions o;
    o.jobs = 3;
    o.part_jobs = 4;
    o.verify = VerifyPolicy{30'000ms, 50ms, 500ms};
    o.downloader.free_space_margin = 0;
    Executor ex(*emu.remote, SystemClock::instance(), o);
    std::map<JobId, std::string> names;
    JobId next = 1;
    for (const auto& [name, data] : files) {
        UploadRequest r;
        r.root = up_dir.path();
        r.path = rel(name);
        r.parent_id = emu.root_id;
        names[next] = name;
        ex.submit_upload(next++, r);
    }
    std::map<std::string, std::string> uploaded; // name -> asset id
    std::set<std::string> verified;
    bool advanced = false;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!ex.idle() && std::chrono::steady_clock::now() < deadline) {
        auto e = ex.next_event(100ms);
        if (!e) {
            // Uploads are done and the verifications wait for the checksum delay.
            if (uploaded.size() == files.size() && !advanced) {
                emu.advance_clock(6);
                advanced = true;
            }
            continue;
        }
        if (e->kind != EventKind::finished)
            continue;
        if (e->job == JobKind::upload) {
            REQUIRE(*e->upload);
            const auto& u = **e->upload;
            REQUIRE(u.status == UploadStatus::uploaded);
            const std::string& name = names.at(e->id);
            uploaded[name] = u.asset_id;
            names[next] = name;
            ex.submit_verify(next++, {u.asset_id, files.at(name).size(), u.xxh64});
        } else if (e->job == JobKind::verify) {
            REQUIRE(*e->verify);
            CHECK((*e->verify)->state == VerifyState::verified);
            const std::string& name = names.at(e->id);
            verified.insert(name);
            DownloadRequest d;
            d.root = down_dir.path();
            d.path = rel(name);
            d.asset_id = uploaded.at(name);
            d.size = files.at(name).size();
            ex.submit_download(next++, d);
        } else {
            REQUIRE(*e->download);
            CHECK((*e->download)->status == DownloadStatus::verified);
        }
    }
    REQUIRE(ex.idle());
    CHECK(verified.size() == files.size());
    for (const auto& [name, data] : files)
        CHECK(fios::test::read_file(down_dir / name) == data);
}

TEST_CASE("1 GiB up and down stays far below 64 MiB of RSS", "[integration][transfer][rss]") {
    const char* env = std::getenv("FIOS_TEST_RSS_BYTES");
    const std::uint64_t size = env ? std::stoull(env) : (std::uint64_t{1} << 30);
    Emulator emu({"--checksum-delay", "0", "--no-rate-limit"});
    fios::test::TempDir dir;
    {
        // Written block by block: the test itself must not hold the file in memory.
        std::ofstream out(dir / "huge.bin", std::ios::binary);
        const std::string block = pattern_bytes(1 << 20, 77);
        for (std::uint64_t at = 0; at < size; at += block.size())
            out.write(block.data(), static_cast<std::streamsize>(
                                        std::min<std::uint64_t>(block.size(), size - at)));
    }
    ExecutorOptions o;
    o.jobs = 2;
    o.part_jobs = 4;
    o.downloader.free_space_margin = 0;
    Executor ex(*emu.remote, SystemClock::instance(), o);
    UploadRequest up;
    up.root = dir.path();
    up.path = rel("huge.bin");
    up.parent_id = emu.root_id;
    ex.submit_upload(1, up);
    std::optional<Result<UploadResult>> uploaded;
    while (!ex.idle()) {
        auto e = ex.next_event(1000ms);
        if (e && e->kind == EventKind::finished)
            uploaded = std::move(e->upload);
    }
    REQUIRE(uploaded);
    REQUIRE(*uploaded);
    REQUIRE((*uploaded)->status == UploadStatus::uploaded);

    fs::create_directories(dir / "down");
    DownloadRequest down;
    down.root = dir.path();
    down.path = rel("down/huge.bin");
    down.asset_id = (*uploaded)->asset_id;
    down.size = size;
    ex.submit_download(2, down);
    std::optional<Result<DownloadResult>> downloaded;
    while (!ex.idle()) {
        auto e = ex.next_event(1000ms);
        if (e && e->kind == EventKind::finished)
            downloaded = std::move(e->download);
    }
    REQUIRE(downloaded);
    REQUIRE(*downloaded);
    CHECK((*downloaded)->status == DownloadStatus::verified);
    CHECK((*downloaded)->xxh64 == (*uploaded)->xxh64);
    CHECK(fs::file_size(dir / "down/huge.bin") == size);

    struct rusage usage {};
    REQUIRE(::getrusage(RUSAGE_SELF, &usage) == 0);
    const long peak_kib = usage.ru_maxrss;
    INFO("peak RSS " << peak_kib / 1024 << " MiB");
#if defined(__SANITIZE_ADDRESS__)
    // ASan keeps freed blocks in a quarantine of up to 256 MiB, which inflates RSS without any
    // growth by file size (ASAN_OPTIONS=quarantine_size_mb=1 passes the check).
    WARN("AddressSanitizer build: peak RSS " << peak_kib / 1024 << " MiB is not checked");
#else
    CHECK(peak_kib < 64 * 1024);
#endif
}
