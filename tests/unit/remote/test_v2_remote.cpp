// SPDX-License-Identifier: MIT
// V2Remote over a real V2Client and a scripted transport.
#include "unit/api/fake_transport.hpp"
#include "unit/api/json_builders.hpp"

#include "fios/remote/v2_remote.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace fios;
using namespace fios::remote;
using fios::test::FakeTransport;
using fios::test::file_json;
using fios::test::folder_json;
using fios::test::JsonObject;
using fios::test::RecordedRequest;
using fios::test::response;

namespace {

/// Path of a recorded request without scheme, host and query.
std::string path_of(const RecordedRequest& r) {
    std::string u = r.url;
    const auto scheme = u.find("://");
    const auto slash = u.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    u = slash == std::string::npos ? "/" : u.substr(slash);
    return u.substr(0, u.find('?'));
}

JsonObject stack_json(const std::string& id, const std::string& cover) {
    JsonObject o = folder_json(id, "shot.mov");
    o.str("_type", "version_stack").str("type", "version_stack").set("filesize", "3000");
    o.set("versions", "2").set("item_count", "2");
    o.set("cover_asset_id", cover.empty() ? "null" : "\"" + cover + "\"");
    return o;
}

struct Harness {
    FakeTransport transport;
    api::StaticTokenProvider tokens{"tok"};
    FakeClock clock;
    net::FakeSleeper sleeper{clock};
    std::unique_ptr<api::V2Client> client;
    std::unique_ptr<V2Remote> remote;
    /// Answers by "METHOD path" (after the scheme and host).
    std::map<std::string, net::HttpResponse> routes;

    Harness() {
        api::V2ClientOptions o;
        o.api_base = "https://api.test";
        o.jitter_seed = 1;
        o.pace_requests = false;
        client = std::make_unique<api::V2Client>(transport, tokens, clock, sleeper, o);
        remote = std::make_unique<V2Remote>(*client);
        transport.on([this](const RecordedRequest& r) -> Result<net::HttpResponse> {
            const std::string key = std::string(net::to_string(r.method)) + " " + path_of(r);
            auto it = routes.find(key);
            if (it == routes.end())
                return response(404, R"({"errors":[{"code":404,"detail":"no route"}]})");
            return it->second;
        });
    }
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        for (const auto& r : transport.requests())
            out.push_back(std::string(net::to_string(r.method)) + " " + path_of(r));
        return out;
    }
};

} // namespace

TEST_CASE("V2 listing: files, folders, stacks with their head, unknown types left out",
          "[remote][v2]") {
    Harness h;
    JsonObject bundle = folder_json("b-1", "bundle");
    bundle.str("_type", "bundle").str("type", "bundle");
    h.routes["GET /v2/assets/root/children"] =
        response(200, fios::test::array({file_json("f-1", "a.mov"), folder_json("d-1", "Dailies"),
                                         stack_json("s-1", "h-2"), bundle}));
    JsonObject head = file_json("h-2", "shot.mov");
    head.set("filesize", "2000").set("parent_id", "\"s-1\"");
    head.set("checksums", R"({"id":"c","xx_hash":"00000000000000ff"})");
    head.str("inserted_at", "2023-01-02T03:04:05Z");
    h.routes["GET /v2/assets/h-2"] = response(200, head.render());

    auto items = h.remote->list_folder("root");
    REQUIRE(items);
    REQUIRE(items->size() == 3);
    const Item& f = (*items)[0];
    CHECK(f.kind == ItemKind::file);
    CHECK(f.id == "f-1");
    CHECK(f.name == "a.mov");
    CHECK(f.parent_id == "root-1");
    CHECK(f.filesize == 1234);
    CHECK(f.upload_completed);
    CHECK(f.checksum == "0123456789abcdef");
    CHECK(f.head_asset_id.empty());
    const Item& d = (*items)[1];
    CHECK(d.kind == ItemKind::folder);
    CHECK(d.filesize == 0);
    CHECK(d.item_count == 3u);
    const Item& s = (*items)[2];
    CHECK(s.kind == ItemKind::version_stack);
    CHECK(s.id == "s-1");
    CHECK(s.name == "shot.mov");
    CHECK(s.head_asset_id == "h-2");
    CHECK(s.content_id() == "h-2");
    CHECK(s.filesize == 2000); // the head's, not the stack's sum
    CHECK(s.checksum == "00000000000000ff");
    CHECK(s.upload_completed);
    CHECK(s.created_at == *api::parse_timestamp("2023-01-02T03:04:05Z"));
}

TEST_CASE("V2 stack without cover_asset_id: the first version is the head", "[remote][v2]") {
    Harness h;
    h.routes["GET /v2/assets/s-1"] = response(200, stack_json("s-1", "").render());
    JsonObject v1 = file_json("v-1", "shot.mov");
    v1.set("filesize", "42");
    h.routes["GET /v2/assets/s-1/children"] = response(200, fios::test::array({v1}));
    auto item = h.remote->item("s-1");
    REQUIRE(item);
    CHECK(item->head_asset_id == "v-1");
    CHECK(item->filesize == 42);
}

TEST_CASE("V2 item: fresh state, deleted flagged, missing is not_found", "[remote][v2]") {
    Harness h;
    JsonObject gone = file_json("f-1");
    gone.str("deleted_at", "2024-01-01T00:00:00Z").set("checksums", "null");
    h.routes["GET /v2/assets/f-1"] = response(200, gone.render());
    auto item = h.remote->item("f-1");
    REQUIRE(item);
    CHECK(item->deleted);
    CHECK_FALSE(item->checksum);
    CHECK(h.transport.requests().back().url.find("include_deleted=true") != std::string::npos);
    auto missing = h.remote->item("nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
}

TEST_CASE("V2 create_file cuts the parts as the reference says", "[remote][v2]") {
    Harness h;
    JsonObject created = file_json("new-1", "clip.mov");
    created.set("filesize", "2500").set("upload_completed_at", "null").set("checksums", "null");
    created.set(
        "upload_urls",
        R"(["https://up.test/p1?sig=S1","https://up.test/p2?sig=S2","https://up.test/p3?sig=S3"])");
    h.routes["POST /v2/assets/folder-1/children"] = response(200, created.render());
    auto s = h.remote->create_file("folder-1", "clip.mov", 2500);
    REQUIRE(s);
    CHECK(s->asset_id == "new-1");
    CHECK(s->parent_id == "folder-1");
    CHECK(s->content_type == "video/quicktime");
    REQUIRE(s->parts.size() == 3);
    CHECK(s->parts[0].offset == 0);
    CHECK(s->parts[0].length == 834);
    CHECK(s->parts[1].offset == 834);
    CHECK(s->parts[2].offset == 1668);
    CHECK(s->parts[2].length == 832);
    CHECK(s->parts[1].url == "https://up.test/p2?sig=S2");
    const auto req = h.transport.requests().back();
    CHECK(req.body.find("\"filetype\":\"video/quicktime\"") != std::string::npos);
    CHECK(req.body.find("\"filesize\":2500") != std::string::npos);

    // A part goes to its URL with the session's Content-Type.
    h.routes["PUT /p2"] = response(200);
    struct Body final : net::BodySource {
        std::uint64_t n;
        std::uint64_t pos = 0;
        explicit Body(std::uint64_t len) : n(len) {}
        [[nodiscard]] std::uint64_t size() const override { return n; }
        Result<std::size_t> read(std::span<char> buf) override {
            const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - pos));
            std::fill_n(buf.data(), k, 'x');
            pos += k;
            return k;
        }
        Status rewind() override {
            pos = 0;
            return {};
        }
    } body(834);
    REQUIRE(h.remote->upload_part(*s, 1, body));
    const auto put = h.transport.requests().back();
    CHECK(put.url == "https://up.test/p2?sig=S2");
    CHECK(put.header("Content-Type") == "video/quicktime");
    CHECK(put.header("x-amz-acl") == "private");
    CHECK_FALSE(put.header("Authorization"));
    CHECK(put.body.size() == 834);

    Body wrong(10);
    auto bad = h.remote->upload_part(*s, 1, wrong);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::internal);
    auto out_of_range = h.remote->upload_part(*s, 3, body);
    REQUIRE_FALSE(out_of_range);
}

TEST_CASE("V2 download fetches a fresh URL, then the bytes", "[remote][v2]") {
    Harness h;
    JsonObject a = file_json("f-1", "clip.mov");
    a.set("filesize", "10").str("original", "https://cdn.test/o/f-1?Signature=FRESH");
    h.routes["GET /v2/assets/f-1"] = response(200, a.render());
    h.routes["GET /o/f-1"] = response(206, "3456789", {{"content-range", "bytes 3-9/10"}});
    struct Sink final : net::BodySink {
        std::string got;
        Status write(std::span<const char> d) override {
            got.append(d.data(), d.size());
            return {};
        }
    } sink;
    DownloadRequest req;
    req.asset_id = "f-1";
    req.range = ByteRange{3, 9};
    req.expected_size = 10;
    auto r = h.remote->download(req, sink);
    REQUIRE(r);
    CHECK(r->state == DownloadState::transferred);
    CHECK(r->bytes == 7);
    CHECK(r->total_size == 10u);
    CHECK(r->item.checksum == "0123456789abcdef");
    CHECK(sink.got == "3456789");
    CHECK(h.keys() == std::vector<std::string>{"GET /v2/assets/f-1", "GET /o/f-1"});
    CHECK(h.transport.requests().back().header("Range") == "bytes=3-9");

    SECTION("a size that changed stops before any byte") {
        req.expected_size = 11;
        auto c = h.remote->download(req, sink);
        REQUIRE(c);
        CHECK(c->state == DownloadState::size_changed);
    }
    SECTION("an incomplete upload is not ready") {
        a.set("upload_completed_at", "null");
        h.routes["GET /v2/assets/f-1"] = response(200, a.render());
        auto c = h.remote->download(req, sink);
        REQUIRE(c);
        CHECK(c->state == DownloadState::not_ready);
    }
    SECTION("no original: not downloadable") {
        a.remove("original");
        h.routes["GET /v2/assets/f-1"] = response(200, a.render());
        auto c = h.remote->download(req, sink);
        REQUIRE(c);
        CHECK(c->state == DownloadState::not_downloadable);
    }
}

TEST_CASE("V2 find_by_name and delete", "[remote][v2]") {
    Harness h;
    JsonObject incomplete = file_json("f-2", "clip.mov");
    incomplete.set("upload_completed_at", "null");
    h.routes["GET /v2/assets/root/children"] = response(
        200, fios::test::array({file_json("f-1", "clip.mov"), incomplete,
                                file_json("f-3", "other.mov"), folder_json("d", "clip.mov")}));
    auto found = h.remote->find_by_name("root", "clip.mov");
    REQUIRE(found);
    REQUIRE(found->size() == 3);
    CHECK_FALSE((*found)[1].upload_completed);

    h.routes["DELETE /v2/assets/f-2"] = response(204);
    CHECK(h.remote->delete_asset("f-2"));
    // Already gone counts as done.
    CHECK(h.remote->delete_asset("f-9"));
    CHECK(h.remote->capabilities().has_content_checksum);
}
