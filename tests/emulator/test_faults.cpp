// SPDX-License-Identifier: MIT
// Fault injection: each fault of --faults / POST /_emulator/faults actually happens, the same
// seed gives the same sequence, and POST /_emulator/fail-next fails before or after the side
// effect.
#include "emulator/emulator_fixture.hpp"

#include <catch2/catch.hpp>
#include <curl/curl.h>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

HttpResponse set_faults(const Api& api, const std::string& json) {
    auto r = api.post_json("/_emulator/faults", json);
    if (r.status / 100 != 2)
        throw std::runtime_error("POST /_emulator/faults: " + r.describe());
    return r;
}

void fail_next(const Api& api, const std::string& route, int count, int status,
               const std::string& when) {
    auto r = api.post_json("/_emulator/fail-next", R"({"route":")" + route + R"(","count":)" +
                                                       std::to_string(count) + R"(,"status":)" +
                                                       std::to_string(status) + R"(,"when":")" +
                                                       when + R"("})");
    if (r.status / 100 != 2) {
        throw std::runtime_error("POST /_emulator/fail-next: " + r.describe());
    }
}

std::vector<long> status_sequence(const Api& api, int n) {
    std::vector<long> out;
    for (int i = 0; i < n; ++i)
        out.push_back(api.get("/v2/me").status);
    return out;
}

bool mixed(const std::vector<long>& seq) {
    bool ok = false, failed = false;
    for (long s : seq) {
        ok = ok || s == 200;
        failed = failed || s >= 500;
    }
    return ok && failed;
}

} // namespace

TEST_CASE("api5xx: API calls fail with 5xx - admin calls do not", "[emulator][faults]") {
    Emu e({"--faults", "api5xx=1.0,seed=7"});
    Api api = e.api();
    for (int i = 0; i < 5; ++i) {
        auto r = api.get("/v2/me");
        INFO(r.describe());
        CHECK(r.status >= 500);
        CHECK(r.status <= 599);
    }
    // Admin API is exempt; the faulted calls were counted with their status.
    auto stats = expect_json(api.get("/_emulator/stats"));
    std::int64_t fivexx = 0;
    for (const auto& m : member(stats, "statuses").GetObject()) {
        if (std::string(m.name.GetString())[0] == '5')
            fivexx += m.value.GetInt64();
    }
    CHECK(fivexx == 5);
    set_faults(api, R"({"api5xx":0})");
    CHECK(api.get("/v2/me").status == 200);
    set_faults(api, R"({"api5xx":1.0})");
    CHECK(api.get("/v2/me").status >= 500);
}

TEST_CASE("part5xx and partreset: part PUTs fail, nothing is stored, the API still works",
          "[emulator][faults]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Part faults");
    const std::string data = make_bytes(2048, 3);
    auto file = create_file(api, str(p, "root_asset_id"), "f.bin", data.size());
    const auto id = str(file, "id");
    auto urls = upload_urls(file);
    REQUIRE(urls.size() == 2);

    set_faults(api, R"({"part5xx":1.0})");
    CHECK(api.get("/v2/me").status == 200);
    auto r5 = put_part(urls[0], data.substr(0, 1024));
    INFO(r5.describe());
    CHECK(r5.status >= 500);
    CHECK(r5.status <= 599);

    set_faults(api, R"({"part5xx":0,"partreset":1.0})");
    auto reset = put_part(urls[1], data.substr(1024));
    INFO(reset.describe());
    CHECK((reset.curl_code != CURLE_OK || reset.status == 0));
    CHECK(api.get("/v2/me").status == 200);
    CHECK(get_asset(api, id)["upload_completed_at"].IsNull());

    set_faults(api, R"({"partreset":0})");
    upload_all(file, data);
    REQUIRE(wait_upload_completed(api, id));
    CHECK(fetch(str(get_asset(api, id), "original")).body == data);
}

TEST_CASE("download5xx and truncate: downloads fail or end short of Content-Length",
          "[emulator][faults]") {
    Emu e({"--part-size", "1024"});
    Api api = e.api();
    auto p = create_project(api, "Download faults");
    const std::string data = make_bytes(100000, 4);
    auto asset = upload_file(api, str(p, "root_asset_id"), "d.bin", data);
    const auto url = str(asset, "original");

    set_faults(api, R"({"download5xx":1.0})");
    CHECK(api.get("/v2/me").status == 200);
    auto r5 = fetch(url);
    CHECK(r5.status >= 500);
    CHECK(r5.status <= 599);
    auto r5range = fetch(url, {"Range: bytes=1000-1999"});
    CHECK(r5range.status >= 500);
    CHECK(r5range.status <= 599);

    set_faults(api, R"({"download5xx":0,"truncate":1.0})");
    auto cut = fetch(url);
    INFO(cut.describe() << " length " << cut.body.size());
    CHECK(cut.body.size() < data.size());
    CHECK(cut.curl_code == CURLE_PARTIAL_FILE);
    if (cut.has_header("content-length"))
        CHECK(cut.header("content-length") == "100000");
    // What did arrive is a correct prefix.
    CHECK(data.compare(0, cut.body.size(), cut.body) == 0);

    set_faults(api, R"({"truncate":0})");
    auto whole = fetch(url);
    CHECK(whole.status == 200);
    CHECK(whole.body == data);
}

TEST_CASE("latency_ms delays API responses", "[emulator][faults]") {
    Emu e({"--faults", "latency_ms=300"});
    Api api = e.api();
    auto r = api.get("/v2/me");
    CHECK(r.status == 200);
    CHECK(r.elapsed >= std::chrono::milliseconds(300));
    set_faults(api, R"({"latency_ms":600})");
    auto slower = api.get("/v2/me");
    CHECK(slower.status == 200);
    CHECK(slower.elapsed >= std::chrono::milliseconds(600));
}

TEST_CASE("burst429 forces a burst of 429 responses", "[emulator][faults]") {
    Emu e;
    Api api = e.api();
    REQUIRE(api.get("/v2/me").status == 200);
    set_faults(api, R"({"burst429":3})");
    int n429 = 0;
    for (int i = 0; i < 3; ++i) {
        auto r = api.get("/v2/me");
        if (r.status == 429) {
            ++n429;
            CHECK(http_error_problem(r, 429) == "");
        }
    }
    CHECK(n429 == 3);
    CHECK(api.get("/v2/me").status == 200);
}

TEST_CASE("the same seed gives the same fault sequence, from --faults or the admin API",
          "[emulator][faults]") {
    Emu a({"--faults", "api5xx=0.5,seed=42"});
    Emu b({"--faults", "api5xx=0.5,seed=42"});
    Emu c({"--faults", "api5xx=0.5,seed=43"});
    Emu d;
    set_faults(d.api(), R"({"api5xx":0.5,"seed":42})");
    auto sa = status_sequence(a.api(), 40);
    auto sb = status_sequence(b.api(), 40);
    auto sc = status_sequence(c.api(), 40);
    auto sd = status_sequence(d.api(), 40);
    CHECK(mixed(sa));
    CHECK(sa == sb);
    CHECK(sa == sd);
    CHECK(sa != sc); // 2^-40 odds of a false alarm
}

TEST_CASE("fail-next when=before: the client gets the error and nothing happened",
          "[emulator][faults]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Fail before");
    const auto root = str(p, "root_asset_id");
    fail_next(api, "POST /v2/assets/{id}/children", 2, 503, "before");
    for (int i = 0; i < 2; ++i) {
        auto r = api.post_json("/v2/assets/" + root + "/children",
                               R"({"type":"folder","name":"attempt"})");
        CHECK(r.status == 503);
        CHECK(child_ids(api, root).empty());
    }
    // Other routes were not affected, and the count is used up.
    CHECK(api.get("/v2/me").status == 200);
    create_folder(api, root, "attempt");
    CHECK(child_ids(api, root).size() == 1);
}

TEST_CASE("fail-next when=after: the asset exists although the client got the error",
          "[emulator][faults]") {
    Emu e;
    Api api = e.api();
    auto p = create_project(api, "Fail after");
    const auto root = str(p, "root_asset_id");
    fail_next(api, "POST /v2/assets/{id}/children", 1, 500, "after");
    auto r = api.post_json(
        "/v2/assets/" + root + "/children",
        R"({"type":"file","name":"ghost.bin","filetype":"application/octet-stream","filesize":10})");
    CHECK(r.status == 500);
    auto children = list_children(api, root);
    REQUIRE(children.size() == 1);
    CHECK(str(children[0], "name") == "ghost.bin");
    // The retry is a second asset with the same name: duplicates are allowed.
    create_file(api, root, "ghost.bin", 10);
    CHECK(list_children(api, root).size() == 2);
    // Counted, with the injected status.
    auto stats = expect_json(api.get("/_emulator/stats"));
    auto it = member(stats, "statuses").FindMember("500");
    REQUIRE(it != member(stats, "statuses").MemberEnd());
    CHECK(it->value.GetInt64() == 1);
}
