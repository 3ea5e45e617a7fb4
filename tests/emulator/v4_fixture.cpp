// SPDX-License-Identifier: MIT
#include "emulator/v4_fixture.hpp"

#include <stdexcept>

namespace fios::test::emu {

EmuOptions v4_options(std::vector<std::string> args, bool rate_limited) {
    EmuOptions o;
    o.args = {"--v4-legacy-token", k_v4_token};
    o.args.insert(o.args.end(), args.begin(), args.end());
    o.rate_limited = rate_limited;
    return o;
}

HttpResponse V4Api::send(const std::string& method, const std::string& path,
                         const std::optional<std::string>& body,
                         std::vector<std::string> extra_headers) const {
    if (m_legacy)
        extra_headers.emplace_back("x-frameio-legacy-token-auth: true");
    return m_api.send(method, path, body, "application/json", std::move(extra_headers));
}

HttpResponse V4Api::get(const std::string& path) const {
    return send("GET", path, std::nullopt);
}
HttpResponse V4Api::del(const std::string& path) const {
    return send("DELETE", path, std::nullopt);
}
HttpResponse V4Api::post(const std::string& path, const std::string& json) const {
    return send("POST", path, json);
}
HttpResponse V4Api::patch(const std::string& path, const std::string& json) const {
    return send("PATCH", path, json);
}

rapidjson::Document v4_data(const HttpResponse& response, long status) {
    auto doc = expect_json(response, status);
    if (!doc.IsObject() || !doc.HasMember("data"))
        throw std::runtime_error("no data envelope: " + response.describe());
    return doc;
}

std::string v4_account_id(const V4Api& api) {
    auto doc = v4_data(api.get("/v4/accounts"));
    const auto& data = member(doc, "data");
    if (!data.IsArray() || data.Size() != 1)
        throw std::runtime_error("expected exactly one V4 account: " + to_json(doc));
    return str(data[0], "id");
}

std::string v4_workspace_id(const V4Api& api, const std::string& account_id) {
    auto doc = v4_data(api.get("/v4/accounts/" + account_id + "/workspaces"));
    const auto& data = member(doc, "data");
    if (!data.IsArray() || data.Empty())
        throw std::runtime_error("no workspace: " + to_json(doc));
    return str(data[0], "id");
}

std::vector<rapidjson::Document> v4_list_all(const V4Api& api, const std::string& path) {
    std::vector<rapidjson::Document> out;
    const auto q = path.find('?');
    const std::string base = path.substr(0, q);
    const std::string own_query = q == std::string::npos ? std::string() : path.substr(q + 1);
    std::string after;
    for (int page = 0; page < 1000; ++page) {
        std::string url = base;
        std::string query = own_query;
        if (!after.empty())
            query += (query.empty() ? "" : "&") + std::string("after=") + url_encode(after);
        if (!query.empty())
            url += "?" + query;
        auto doc = v4_data(api.get(url));
        for (const auto& item : member(doc, "data").GetArray()) {
            rapidjson::Document d;
            d.CopyFrom(item, d.GetAllocator());
            out.push_back(std::move(d));
        }
        const auto& links = member(doc, "links");
        const auto& next = member(links, "next");
        if (next.IsNull())
            return out;
        const auto params = query_params(next.GetString());
        const auto it = params.find("after");
        if (it == params.end() || it->second.empty())
            throw std::runtime_error("links.next without after: " + to_json(links));
        after = it->second;
    }
    throw std::runtime_error("more than 1000 pages at " + path);
}

std::string ims_login(const std::string& base_url, const std::string& scope) {
    const std::string verifier = "v4-fixture-ims-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    const std::string redirect = "https://localhost:8443/ims/callback";
    HttpRequest authorize;
    authorize.url =
        base_url + "/ims/authorize/v2?client_id=v4-fixture&response_type=code" +
        "&redirect_uri=" + url_encode(redirect) + "&scope=" + url_encode(scope) +
        "&state=fixture&code_challenge_method=S256&code_challenge=" + pkce_s256(verifier);
    const auto redirected = perform(authorize);
    const auto code = query_params(redirected.header("location"))["code"];
    if (redirected.status != 302 || code.empty())
        throw std::runtime_error("/ims/authorize/v2 gave no code: " + redirected.describe());
    HttpRequest exchange;
    exchange.method = "POST";
    exchange.url = base_url + "/ims/token/v3";
    exchange.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
    exchange.body = "grant_type=authorization_code&client_id=v4-fixture&code=" + url_encode(code) +
                    "&code_verifier=" + verifier + "&redirect_uri=" + url_encode(redirect);
    auto doc = expect_json(perform(exchange), 200);
    return str(doc, "access_token");
}

} // namespace fios::test::emu
