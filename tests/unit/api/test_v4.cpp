// SPDX-License-Identifier: MIT
// V4 JSON (against the official OpenAPI document's own examples), V4 paging guards, headers
// and Content-MD5, on a scripted fake transport.
#include "fake_transport.hpp"

#include "fios/api/v4_client.hpp"
#include "fios/api/v4_json.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

using namespace fios;
using namespace fios::api;
using fios::test::CountingTokens;
using fios::test::FakeTransport;
using fios::test::response;

namespace {

/// The official OpenAPI document, parsed once.
const rapidjson::Document& openapi() {
    static const rapidjson::Document doc = [] {
        std::ifstream in(std::string(FIOS_TEST_SHARED_DIR) + "/fixtures/frameio-v4/openapi.json");
        std::stringstream ss;
        ss << in.rdbuf();
        rapidjson::Document d;
        d.Parse(ss.str().c_str());
        return d;
    }();
    return doc;
}

/// `components.schemas.<name>.example`, as JSON text.
std::string example(const char* schema) {
    const auto& doc = openapi();
    REQUIRE(doc.IsObject());
    const auto& schemas = doc["components"]["schemas"];
    REQUIRE(schemas.HasMember(schema));
    REQUIRE(schemas[schema].HasMember("example"));
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    schemas[schema]["example"].Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

constexpr const char* k_files_route = "GET /v4/accounts/{account_id}/folders/{folder_id}/files";

std::string file_item(const std::string& id, const std::string& name = "a.mov") {
    return R"({"type":"file","id":")" + id + R"(","name":")" + name +
           R"(","parent_id":"p","project_id":"pr","created_at":"2025-01-01T00:00:00.000000Z",)"
           R"("updated_at":"2025-01-01T00:00:00.000000Z","view_url":"v","file_size":10,)"
           R"("media_type":"video/quicktime","status":"uploaded"})";
}

std::string page(const std::vector<std::string>& items, const std::string& next) {
    std::string data;
    for (const auto& i : items)
        data += (data.empty() ? "" : ",") + i;
    return R"({"data":[)" + data + R"(],"links":{"next":)" +
           (next.empty() ? std::string("null") : "\"" + next + "\"") + "}}";
}

struct Fixture {
    FakeTransport transport;
    CountingTokens tokens;
    FakeClock clock;
    net::FakeSleeper sleeper{clock};
    std::unique_ptr<V4Client> client;

    explicit Fixture(bool legacy = false, std::size_t max_items = 1'000'000) {
        V4ClientOptions o;
        o.rest.api_base = "https://api.test";
        o.rest.jitter_seed = 1;
        o.legacy_token_auth = legacy;
        o.max_list_items = max_items;
        client = std::make_unique<V4Client>(transport, tokens, clock, sleeper, o);
    }
};

class StringSource final : public net::BodySource {
public:
    explicit StringSource(std::string s) : m_data(std::move(s)) {}
    [[nodiscard]] std::uint64_t size() const override { return m_data.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        const std::size_t n = std::min(buf.size(), m_data.size() - m_pos);
        std::copy_n(m_data.data() + m_pos, n, buf.data());
        m_pos += n;
        return n;
    }
    Status rewind() override {
        ++rewinds;
        m_pos = 0;
        return {};
    }
    int rewinds = 0;

private:
    std::string m_data;
    std::size_t m_pos = 0;
};

} // namespace

TEST_CASE("V4 JSON: the OpenAPI document's examples parse", "[v4][json]") {
    auto profile = v4json::parse_profile(example("ProfileResponse"), "GET /v4/me");
    REQUIRE(profile);
    CHECK(profile->id == "9571e103-40c4-481a-8549-8f13495c537d");

    auto accounts = v4json::parse_accounts(example("AccountsResponse"), "GET /v4/accounts");
    INFO((accounts ? "" : accounts.error().message));
    REQUIRE(accounts);
    REQUIRE(accounts->items.size() == 1);
    CHECK(accounts->items[0].display_name == "Integration Account");

    auto workspaces = v4json::parse_workspaces(example("WorkspacesWithIncludesResponse"), "w");
    INFO((workspaces ? "" : workspaces.error().message));
    REQUIRE(workspaces);
    CHECK_FALSE(workspaces->items.empty());

    auto projects = v4json::parse_projects(example("ProjectsWithIncludesResponse"), "p");
    INFO((projects ? "" : projects.error().message));
    REQUIRE(projects);
    REQUIRE_FALSE(projects->items.empty());
    CHECK_FALSE(projects->items[0].root_folder_id.empty());

    auto project = v4json::parse_project(example("ProjectWithIncludesResponse"), "p");
    REQUIRE(project);
    CHECK(project->root_folder_id == "69110a93-de02-4e87-be46-28fa89c577a1");

    auto file = v4json::parse_file(example("FileWithIncludesResponse"), "GET file");
    INFO((file ? "" : file.error().message));
    REQUIRE(file);
    CHECK(file->file_size == 1137444);
    CHECK(file->media_type == "image/png");
    REQUIRE(file->original);
    REQUIRE(file->original->download_url);
    CHECK(file->original->download_url->find("assets.frame.io") != std::string::npos);

    auto upload = v4json::parse_file(example("FileWithUploadUrlsResponse"), "POST upload", true);
    INFO((upload ? "" : upload.error().message));
    REQUIRE(upload);
    CHECK(upload->status == v4::FileStatus::created);
    CHECK_FALSE(upload->upload_completed());
    REQUIRE(upload->upload_urls.size() == 1);
    CHECK(upload->upload_urls[0].size == 20'000'000);

    auto files = v4json::parse_assets(example("FileAssetsWithIncludesResponse"), k_files_route);
    INFO((files ? "" : files.error().message));
    REQUIRE(files);
    REQUIRE_FALSE(files->items.empty());
    CHECK(files->items[0].type == v4::AssetType::file);

    auto folders = v4json::parse_folders(example("FoldersWithIncludesResponse"), "folders");
    REQUIRE(folders);
    CHECK_FALSE(folders->items.empty());
    auto folder = v4json::parse_folder(example("FolderResponse"), "folder");
    REQUIRE(folder);
    CHECK(folder->name == "My Folder");

    // The document's stack examples say `type: "file"`: the stack routes parse them anyway.
    auto stacks = v4json::parse_version_stacks(example("VersionStacksWithIncludesResponse"), "s");
    INFO((stacks ? "" : stacks.error().message));
    REQUIRE(stacks);
    REQUIRE(stacks->items.size() == 1);
    REQUIRE(stacks->items[0].head_version);
    auto stack = v4json::parse_version_stack(example("VersionStackWithIncludesResponse"), "s");
    REQUIRE(stack);
    REQUIRE(stack->head_version);
    // ... and in a mixed list, such an item is still a stack.
    rapidjson::Document d;
    d.Parse(example("VersionStackWithIncludesResponse").c_str());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d["data"].Accept(w);
    auto mixed = v4json::parse_assets(page({std::string(buf.GetString())}, ""), k_files_route);
    INFO((mixed ? "" : mixed.error().message));
    REQUIRE(mixed);
    CHECK(mixed->items[0].type == v4::AssetType::version_stack);

    auto status = v4json::parse_upload_status(example("FileUploadStatusResponse"), "status");
    REQUIRE(status);
    CHECK(status->upload_complete);
    CHECK_FALSE(status->upload_failed);
    CHECK(status->upload_completed_at);
}

TEST_CASE("V4 JSON: errors name the endpoint, the item and the field", "[v4][json]") {
    std::string bad = file_item("f1");
    bad.replace(bad.find("\"file_size\":10"), 14, "\"file_size\":\"10\"");
    auto r = v4json::parse_assets(page({file_item("f0"), bad}, ""), k_files_route);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::parse);
    CHECK(r.error().message == std::string(k_files_route) +
                                   ": item 1: field 'file_size' is a string, expected an integer");

    auto no_links = v4json::parse_assets(R"({"data":[]})", k_files_route);
    REQUIRE_FALSE(no_links);
    CHECK(no_links.error().message.find("'links' is missing") != std::string::npos);

    auto no_data = v4json::parse_file(R"({"id":"x"})", "GET f");
    REQUIRE_FALSE(no_data);
    CHECK(no_data.error().message == "GET f: field 'data' is missing");

    std::string link = file_item("f2");
    link.insert(link.size() - 1, R"(,"media_links":{"original":{"download_url":null}})");
    auto no_inline = v4json::parse_file(R"({"data":)" + link + "}", "GET f");
    REQUIRE_FALSE(no_inline);
    CHECK(no_inline.error().message == "GET f: field 'media_links.original.inline_url' is missing");

    std::string nulls = file_item("f3");
    nulls.insert(nulls.size() - 1,
                 R"(,"media_links":{"original":{"download_url":null,"inline_url":null}})");
    auto ok = v4json::parse_file(R"({"data":)" + nulls + "}", "GET f");
    REQUIRE(ok);
    REQUIRE(ok->original);
    CHECK_FALSE(ok->original->download_url);

    CHECK(
        v4json::error_detail(
            R"({"errors":[{"detail":"Unexpected field: foo","source":{"pointer":"/data/foo"}}]})") ==
        "Unexpected field: foo (at /data/foo)");
    CHECK(v4json::error_detail("<html>") == "");
    CHECK(v4json::name_body("a\"b") == R"({"data":{"name":"a\"b"}})");
    CHECK(v4json::local_upload_body("x.mov", 5) == R"({"data":{"name":"x.mov","file_size":5}})");
}

TEST_CASE("V4 paging: follows relative and absolute links.next with our own parameters",
          "[v4][paging]") {
    Fixture fx(true);
    fx.transport.push(response(200, page({file_item("a"), file_item("b")},
                                         "/v4/accounts/acc/folders/f/files?after=c%2B1%3D%3D")));
    fx.transport.push(response(
        200, page({file_item("b"), file_item("c")},
                  "https://api.frame.io/v4/accounts/acc/folders/f/files?page_size=2&after=c2")));
    fx.transport.push(response(200, page({file_item("d")}, "")));
    auto r = fx.client->folder_files("acc", "f");
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
    REQUIRE(r->size() == 4); // b, repeated on page 2, once
    auto reqs = fx.transport.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].url == "https://api.test/v4/accounts/acc/folders/f/files?page_size=500");
    CHECK(reqs[1].url ==
          "https://api.test/v4/accounts/acc/folders/f/files?page_size=500&after=c%2B1%3D%3D");
    CHECK(reqs[2].url == "https://api.test/v4/accounts/acc/folders/f/files?page_size=500&after=c2");
    for (const auto& q : reqs) {
        CHECK(q.header("Authorization") == std::optional<std::string>("Bearer token-1"));
        CHECK(q.header("x-frameio-legacy-token-auth") == std::optional<std::string>("true"));
    }
}

TEST_CASE("V4 paging: a repeated cursor, a lying next and an endless list fail clearly",
          "[v4][paging]") {
    SECTION("repeated cursor") {
        Fixture fx;
        fx.transport.push(response(200, page({file_item("a")}, "/x?after=k1")));
        fx.transport.push(response(200, page({file_item("b")}, "/x?after=k1")));
        auto r = fx.client->folder_files("acc", "f");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ErrorCode::parse);
        CHECK(r.error().message.find("repeats an earlier cursor") != std::string::npos);
        CHECK(r.error().message.find(k_files_route) != std::string::npos);
        CHECK(fx.transport.count() == 2);
    }
    SECTION("a page of known ids only") {
        Fixture fx;
        fx.transport.push(response(200, page({file_item("a")}, "/x?after=k1")));
        fx.transport.push(response(200, page({file_item("a")}, "/x?after=k2")));
        auto r = fx.client->folder_files("acc", "f");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("does not advance") != std::string::npos);
        CHECK(r.error().message.find("page 2") != std::string::npos);
    }
    SECTION("next without a cursor") {
        Fixture fx;
        fx.transport.push(
            response(200, page({file_item("a")}, "/v4/accounts/acc/folders/f/files")));
        auto r = fx.client->folder_files("acc", "f");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("no query") != std::string::npos);
    }
    SECTION("hard ceiling") {
        Fixture fx(false, 3);
        int n = 0;
        fx.transport.on([&](const fios::test::RecordedRequest&) -> Result<net::HttpResponse> {
            ++n;
            return response(
                200, page({file_item("i" + std::to_string(n))}, "/x?after=k" + std::to_string(n)));
        });
        auto r = fx.client->folder_files("acc", "f");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("more than 3 items") != std::string::npos);
        CHECK(n == 4);
    }
    SECTION("an empty page ends the list") {
        Fixture fx;
        fx.transport.push(response(200, page({file_item("a")}, "/x?after=k1")));
        fx.transport.push(response(200, page({}, "/x?after=k2")));
        auto r = fx.client->folder_files("acc", "f");
        REQUIRE(r);
        CHECK(r->size() == 1);
    }
    SECTION("small lists ask for 100") {
        Fixture fx;
        fx.transport.push(response(200, page({}, "")));
        REQUIRE(fx.client->version_stack_children("acc", "s"));
        CHECK(fx.transport.requests()[0].query() == "page_size=100");
    }
}

TEST_CASE("V4 errors name the route and the server's detail, never the token", "[v4]") {
    Fixture fx;
    fx.transport.push(response(
        422, R"({"errors":[{"detail":"Missing field: name","source":{"pointer":"/data/name"}}]})"));
    auto r = fx.client->create_folder("acc", "f", "");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid_request);
    CHECK(r.error().message.find("POST /v4/accounts/acc/folders/f/folders") != std::string::npos);
    CHECK(r.error().message.find("Missing field: name (at /data/name)") != std::string::npos);
    CHECK(r.error().message.find("token-") == std::string::npos);

    // A create is never repeated after a 5xx.
    fx.transport.push(response(503, "<html>"));
    auto c = fx.client->local_upload("acc", "f", "a.mov", 10);
    REQUIRE_FALSE(c);
    CHECK(is_create_outcome_unknown(c.error()));
    CHECK(fx.transport.count() == 2);

    // An empty file is refused before any request.
    auto empty = fx.client->local_upload("acc", "f", "e.txt", 0);
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == ErrorCode::invalid_request);
    CHECK(fx.transport.count() == 2);

    // 403 on V4 speaks of access, not scopes.
    fx.transport.push(response(403, R"({"errors":[{"detail":"Forbidden"}]})"));
    auto f = fx.client->file("acc", "x");
    REQUIRE_FALSE(f);
    CHECK(f.error().message.find("no access") != std::string::npos);
    CHECK(fx.transport.requests().back().query() == "include=media_links.original");
}

TEST_CASE("V4 part upload: Content-MD5, signed headers, no Authorization", "[v4][upload]") {
    StringSource hello("hello");
    auto md5 = content_md5(hello);
    REQUIRE(md5);
    CHECK(*md5 == "XUFAKrxLKna5cZ2REBfFkg==");

    Fixture fx;
    fx.transport.push(response(503, "<Error><Code>SlowDown</Code></Error>"));
    fx.transport.push(response(200));
    StringSource body("hello");
    auto st =
        fx.client->upload_part("https://s3.test/part?X-Amz-Signature=secret", "video/mp4", body);
    INFO((st ? "" : st.error().message));
    REQUIRE(st);
    auto reqs = fx.transport.requests();
    REQUIRE(reqs.size() == 2);
    for (const auto& q : reqs) {
        CHECK(q.method == net::Method::put);
        CHECK(q.body == "hello");
        CHECK(q.header("Content-MD5") == std::optional<std::string>("XUFAKrxLKna5cZ2REBfFkg=="));
        CHECK(q.header("Content-Type") == std::optional<std::string>("video/mp4"));
        CHECK(q.header("x-amz-acl") == std::optional<std::string>("private"));
        CHECK_FALSE(q.header("Authorization"));
        CHECK_FALSE(q.header("x-frameio-legacy-token-auth"));
    }

    fx.transport.push(response(403, "<Error><Code>AccessDenied</Code></Error>"));
    StringSource again("hello");
    auto refused =
        fx.client->upload_part("https://s3.test/part?X-Amz-Signature=secret", "video/mp4", again);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::forbidden);
    CHECK(refused.error().message.find("secret") == std::string::npos);
    CHECK(refused.error().message.find("AccessDenied") != std::string::npos);
}

TEST_CASE("V4 cursor extraction", "[v4][paging]") {
    auto a = next_cursor("/v4/a?after=x%2By%3D");
    REQUIRE(a);
    CHECK(*a == "x+y=");
    auto b = next_cursor("https://h/v4/a?page_size=5&after=abc#frag");
    REQUIRE(b);
    CHECK(*b == "abc");
    CHECK_FALSE(next_cursor("/v4/a?page_size=5"));
    CHECK_FALSE(next_cursor("/v4/a?after=%zz"));
}

TEST_CASE("V4 list fingerprint: its text form round-trips and refuses anything else",
          "[v4][paging]") {
    fios::api::ListFingerprint fp;
    fp.pages.push_back({0x0123456789abcdefULL, "g3Q:AAA\t=="});
    fp.pages.push_back({0xffffffffffffffffULL, ""});
    const std::string text = fp.encode();
    auto back = fios::api::ListFingerprint::decode(text);
    REQUIRE(back);
    CHECK(*back == fp);
    CHECK(fios::api::ListFingerprint::decode("")->pages.empty());
    for (const std::string& bad : std::vector<std::string>{
             text.substr(0, text.size() - 1), text + "x", "0123456789abcdeg0:", "0123456789abcdef",
             "0123456789abcdef5:abc", "0123456789abcdef-1:", "0123456789abcdef1x"}) {
        INFO(bad);
        CHECK_FALSE(fios::api::ListFingerprint::decode(bad));
    }
    // Several in one text: exactly as many as asked for.
    const fios::api::ListFingerprint empty;
    const std::string all = fios::api::ListFingerprint::encode_all({&fp, &empty, &fp});
    auto three = fios::api::ListFingerprint::decode_all(all, 3);
    REQUIRE(three);
    CHECK(*three == std::vector<fios::api::ListFingerprint>{fp, empty, fp});
    CHECK_FALSE(fios::api::ListFingerprint::decode_all(all, 2));
    CHECK_FALSE(fios::api::ListFingerprint::decode_all(all, 4));
    CHECK_FALSE(fios::api::ListFingerprint::decode_all(all.substr(1), 3));
}

TEST_CASE("V4 paging: a list asked against its fingerprint is parsed only when a page differs",
          "[v4][paging]") {
    const std::string p1 = page({file_item("a"), file_item("b")}, "/x?after=k1");
    const std::string p2 = page({file_item("c")}, "");
    Fixture fx;
    fx.transport.push(response(200, p1));
    fx.transport.push(response(200, p2));
    auto first = fx.client->folder_files_since("acc", "f", nullptr);
    REQUIRE(first);
    CHECK_FALSE(first->unchanged);
    CHECK(first->items.size() == 3);
    REQUIRE(first->fingerprint.pages.size() == 2);
    CHECK(first->fingerprint.pages[0].next == "k1");
    CHECK(first->fingerprint.pages[1].next.empty());

    SECTION("byte-identical pages: unchanged, nothing parsed, the same requests") {
        fx.transport.push(response(200, p1));
        fx.transport.push(response(200, p2));
        auto again = fx.client->folder_files_since("acc", "f", &first->fingerprint);
        REQUIRE(again);
        CHECK(again->unchanged);
        CHECK(again->items.empty());
        CHECK(again->fingerprint == first->fingerprint);
        const auto reqs = fx.transport.requests();
        REQUIRE(reqs.size() == 4);
        CHECK(reqs[3].url == "https://api.test/v4/accounts/acc/folders/f/files?page_size=500&"
                             "after=k1");
        // The caller may want the items after all: from the pages received, no request.
        auto items = again->parse_pages();
        REQUIRE(items);
        CHECK(items->size() == 3);
        CHECK(fx.transport.count() == 4);
    }
    SECTION("the last page differs: everything is parsed, no page asked twice") {
        fx.transport.push(response(200, p1));
        fx.transport.push(response(200, page({file_item("c", "renamed.mov")}, "")));
        auto again = fx.client->folder_files_since("acc", "f", &first->fingerprint);
        REQUIRE(again);
        CHECK_FALSE(again->unchanged);
        REQUIRE(again->items.size() == 3);
        CHECK(again->items[2].file.name == "renamed.mov");
        CHECK(again->fingerprint != first->fingerprint);
        CHECK(fx.transport.count() == 4);
    }
    SECTION("the first page differs and leads elsewhere: its own cursor is followed") {
        fx.transport.push(response(200, page({file_item("a")}, "/x?after=other")));
        fx.transport.push(response(200, page({file_item("z")}, "")));
        auto again = fx.client->folder_files_since("acc", "f", &first->fingerprint);
        REQUIRE(again);
        CHECK_FALSE(again->unchanged);
        CHECK(again->items.size() == 2);
        const auto reqs = fx.transport.requests();
        REQUIRE(reqs.size() == 4);
        CHECK(reqs[3].url == "https://api.test/v4/accounts/acc/folders/f/files?page_size=500&"
                             "after=other");
    }
    SECTION("the list grew a page: not unchanged") {
        fx.transport.push(response(200, p1));
        fx.transport.push(response(200, page({file_item("c")}, "/x?after=k2")));
        fx.transport.push(response(200, page({file_item("d")}, "")));
        auto again = fx.client->folder_files_since("acc", "f", &first->fingerprint);
        REQUIRE(again);
        CHECK_FALSE(again->unchanged);
        CHECK(again->items.size() == 4);
        CHECK(fx.transport.count() == 5);
    }
    SECTION("a failed request is an error, whatever the fingerprint") {
        fx.transport.push(response(404, R"({"errors":[{"detail":"Not Found"}]})"));
        auto again = fx.client->folder_files_since("acc", "f", &first->fingerprint);
        REQUIRE_FALSE(again);
        CHECK(again.error().code == ErrorCode::not_found);
    }
}
