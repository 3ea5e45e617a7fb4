// SPDX-License-Identifier: MIT
// Requests a hostile or broken client sends to V4 routes and the storage endpoint: bodies
// that stop short, bodies over the size limit without a Content-Length, forged or foreign
// cursors. Each gets a clear answer in the shape of the API it was sent to, and changes nothing.
#include "emulator/raw_socket.hpp"
#include "emulator/v4_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace fios::test;
using namespace fios::test::emu;

namespace {

struct Scene {
    std::string account;
    std::string root;
};

Scene new_project(const V4Api& api, const std::string& name) {
    Scene s;
    s.account = v4_account_id(api);
    const std::string workspace = v4_workspace_id(api, s.account);
    auto project =
        v4_data(api.post("/v4/accounts/" + s.account + "/workspaces/" + workspace + "/projects",
                         R"({"data":{"name":")" + name + R"("}})"),
                201);
    s.root = str(member(project, "data"), "root_folder_id");
    return s;
}

/// The V4 error body: {"errors":[{"detail":...}]}, no V2 `code`.
bool is_v4_error(const std::string& body) {
    const auto doc = parse_json(body);
    return doc.IsObject() && doc.HasMember("errors") && doc["errors"].IsArray() &&
           !doc.HasMember("code");
}

std::string body_of(const std::string& raw) {
    const auto at = raw.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : raw.substr(at + 4);
}

} // namespace

TEST_CASE("a part PUT whose body stops short is refused and stores nothing",
          "[emulator][v4][hostile]") {
    V4Emu e;
    const V4Api api = e.api();
    const Scene s = new_project(api, "Short");
    auto file =
        v4_data(api.post("/v4/accounts/" + s.account + "/folders/" + s.root + "/files/local_upload",
                         R"({"data":{"name":"short.bin","file_size":1000}})"),
                201);
    const auto& data = member(file, "data");
    const std::string url = str(member(data, "upload_urls")[0], "url");
    const std::string host_port = url.substr(7, url.find('/', 7) - 7);
    const std::string target = url.substr(url.find('/', 7));
    const std::string request = "PUT " + target + " HTTP/1.1\r\nHost: " + host_port +
                                "\r\nContent-Type: " + str(data, "media_type") +
                                "\r\nx-amz-acl: private\r\nContent-Length: 1000\r\n\r\n" +
                                std::string(10, 'x');
    const std::string answer =
        raw_exchange(e.process().port(), request, std::chrono::seconds(10), true, "</Error>");
    INFO(answer);
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(answer.find("IncompleteBody") != std::string::npos);

    auto status =
        v4_data(api.get("/v4/accounts/" + s.account + "/files/" + str(data, "id") + "/status"));
    CHECK_FALSE(member(member(status, "data"), "upload_complete").GetBool());
    CHECK(member(member(status, "data"), "uploaded_at").IsNull());
}

TEST_CASE("a V4 body over 16 MiB is 413 in the V4 shape, with or without Content-Length",
          "[emulator][v4][hostile]") {
    V4Emu e;
    const V4Api api = e.api();
    const Scene s = new_project(api, "Big");
    const std::string target = "/v4/accounts/" + s.account + "/folders/" + s.root + "/folders";
    const std::string head = "POST " + target +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + k_v4_token +
                             "\r\nx-frameio-legacy-token-auth: true\r\n"
                             "Content-Type: application/json\r\n";

    const std::string declared =
        raw_exchange(e.process().port(), head + "Content-Length: 17000000\r\n\r\n",
                     std::chrono::seconds(10), false, "}]}");
    INFO(declared);
    CHECK(declared.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(is_v4_error(body_of(declared)));

    // Chunked: no length to refuse up front; reading stops at the limit.
    const std::size_t chunk = 17u << 20;
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk);
    const std::string chunked =
        raw_exchange(e.process().port(),
                     head + "Transfer-Encoding: chunked\r\n\r\n" + size_line +
                         std::string(chunk, ' ') + "\r\n0\r\n\r\n",
                     std::chrono::seconds(20), false, "}]}");
    INFO(chunked.substr(0, 300));
    CHECK(chunked.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(is_v4_error(body_of(chunked)));

    // Nothing was created.
    CHECK(v4_list_all(api, target).empty());
}

TEST_CASE("a V4 cursor works only for the listing that issued it and cannot be forged",
          "[emulator][v4][hostile]") {
    V4Emu e;
    const V4Api api = e.api();
    const Scene s = new_project(api, "Cursors");
    const std::string folders = "/v4/accounts/" + s.account + "/folders/" + s.root + "/folders";
    for (int i = 0; i < 3; ++i)
        REQUIRE(api.post(folders, R"({"data":{"name":"f)" + std::to_string(i) + R"("}})").status ==
                201);
    auto first = v4_data(api.get(folders + "?page_size=1"));
    const auto& next = member(member(first, "links"), "next");
    REQUIRE(next.IsString());
    const std::string after = query_params(next.GetString()).at("after");

    CHECK(api.get(folders + "?page_size=1&after=" + url_encode(after)).status == 200);

    const std::string files = "/v4/accounts/" + s.account + "/folders/" + s.root + "/files";
    const auto foreign = api.get(files + "?after=" + url_encode(after));
    INFO(foreign.describe());
    CHECK(foreign.status == 422);
    CHECK(is_v4_error(foreign.body));

    std::string forged = after;
    forged[forged.size() / 3] = forged[forged.size() / 3] == 'A' ? 'B' : 'A';
    const auto tampered = api.get(folders + "?after=" + url_encode(forged));
    INFO(tampered.describe());
    CHECK(tampered.status == 422);
}
