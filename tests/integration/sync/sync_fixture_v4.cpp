// SPDX-License-Identifier: MIT
// The harness on the emulator's V4 (Generation::v4): the project is created with the library's
// V4Client (legacy developer token), the engine runs on V4Remote and V4ProjectDirectory, and
// the scenario's own set-up (folders, uploads, deletes, reading content for the oracle) goes
// through plain HTTP to the V4 routes, never through the code under test.
#include "harness_json.hpp"
#include "sync_fixture.hpp"

#include "fios/api/token_provider.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/net/retry.hpp"
#include "fios/remote/v4_remote.hpp"
#include "fios/store/state_db.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace fios::test::sync {

using detail::get_str;
using detail::json_string;
using detail::parse;

std::string_view to_string(Generation generation) {
    return generation == Generation::v4 ? "v4" : "v2";
}

Generation harness_generation() {
    const char* env = std::getenv("FIOS_HARNESS_GENERATION");
    const std::string_view value = env ? env : "";
    if (value.empty() || value == "v2")
        return Generation::v2;
    if (value == "v4")
        return Generation::v4;
    throw std::invalid_argument("FIOS_HARNESS_GENERATION must be v2 or v4, not " +
                                std::string(value));
}

namespace {

/// `{"data": {...}}` -> the object (throws naming `what` otherwise).
const rapidjson::Value& data_of(const rapidjson::Document& d, const std::string& what) {
    const auto it = d.FindMember("data");
    if (!d.IsObject() || it == d.MemberEnd() || !it->value.IsObject())
        throw std::runtime_error(what + ": no data object");
    return it->value;
}

void require_2xx(const HttpReply& r, const std::string& what) {
    if (r.status / 100 != 2) {
        throw std::runtime_error(what + ": HTTP " + std::to_string(r.status) + ": " +
                                 r.body.substr(0, 300));
    }
}

} // namespace

std::string RemoteSide::create_folder_v4(const std::string& parent_id, const std::string& name) {
    const auto r =
        m_emu->api("POST", "/v4/accounts/" + m_account_id + "/folders/" + parent_id + "/folders",
                   "{\"data\": {\"name\": " + json_string(name) + "}}", 0);
    require_2xx(r, "V4 create folder " + name);
    const auto d = parse(r.body, "V4 create folder");
    return get_str(data_of(d, "V4 create folder"), "id");
}

std::string RemoteSide::upload_v4(const std::string& parent_id, const std::string& name,
                                  const std::string& content, std::size_t max_parts) {
    const auto r = m_emu->api(
        "POST", "/v4/accounts/" + m_account_id + "/folders/" + parent_id + "/files/local_upload",
        "{\"data\": {\"name\": " + json_string(name) +
            ", \"file_size\": " + std::to_string(content.size()) + "}}",
        0);
    require_2xx(r, "V4 local_upload " + name);
    const auto d = parse(r.body, "V4 local_upload");
    const auto& file = data_of(d, "V4 local_upload");
    const std::string id = get_str(file, "id");
    const std::string media_type = get_str(file, "media_type");
    // Each part exactly as upload_urls sizes it, in order.
    std::size_t offset = 0;
    std::size_t index = 0;
    for (const auto& u : file["upload_urls"].GetArray()) {
        const auto size = static_cast<std::size_t>(u["size"].GetInt64());
        if (index++ >= max_parts)
            break;
        const auto put =
            http_request("PUT", get_str(u, "url"), content.substr(offset, size),
                         {"Content-Type: " + media_type, "x-amz-acl: private", "Expect:"});
        if (put.status != 200)
            throw std::runtime_error("V4 part " + std::to_string(index) + " of " + name +
                                     ": HTTP " + std::to_string(put.status));
        offset += size;
    }
    return id;
}

void RemoteSide::remove_v4(const std::string& id, bool folder) {
    const auto r = m_emu->api(
        "DELETE", "/v4/accounts/" + m_account_id + (folder ? "/folders/" : "/files/") + id, {}, 0);
    require_2xx(r, "V4 delete " + id);
}

void RemoteSide::stack_v4(const std::string& folder_id, const std::string& bottom,
                          const std::string& top) {
    // A file and a new one make a stack; onto a stack, the new file is moved in (it becomes
    // the head: files.move into a version stack).
    const auto moved =
        m_emu->api("PATCH", "/v4/accounts/" + m_account_id + "/files/" + top + "/move",
                   "{\"data\": {\"parent_id\": " + json_string(bottom) + "}}", 0);
    if (moved.status / 100 == 2)
        return;
    const auto r = m_emu->api(
        "POST", "/v4/accounts/" + m_account_id + "/folders/" + folder_id + "/version_stacks",
        "{\"data\": {\"file_ids\": [" + json_string(bottom) + ", " + json_string(top) + "]}}", 0);
    require_2xx(r, "V4 version stack of " + bottom + " and " + top);
}

void RemoteSide::rename_v4(const std::string& id, const std::string& new_name) {
    const std::string body = "{\"data\": {\"name\": " + json_string(new_name) + "}}";
    auto r = m_emu->api("PATCH", "/v4/accounts/" + m_account_id + "/files/" + id, body, 0);
    if (r.status == 404)
        r = m_emu->api("PATCH", "/v4/accounts/" + m_account_id + "/folders/" + id, body, 0);
    require_2xx(r, "V4 rename of " + id);
}

std::map<std::string, int> RemoteSide::list_names_v4(const std::string& folder_id) const {
    std::map<std::string, int> out;
    std::string next =
        "/v4/accounts/" + m_account_id + "/folders/" + folder_id + "/children?page_size=100";
    for (int pages = 0; !next.empty(); ++pages) {
        if (pages > 10000)
            throw std::runtime_error("V4 children of " + folder_id + ": the cursor never ends");
        const auto r = m_emu->api("GET", next, {}, 0);
        require_2xx(r, "V4 children of " + folder_id);
        const auto d = parse(r.body, "V4 children");
        for (const auto& a : d["data"].GetArray())
            ++out[get_str(a, "name")];
        next.clear();
        const auto links = d.FindMember("links");
        if (links != d.MemberEnd() && links->value.IsObject() && links->value.HasMember("next") &&
            links->value["next"].IsString())
            next = links->value["next"].GetString();
    }
    return out;
}

std::string RemoteSide::content_hash_v4(const std::string& id) const {
    const auto r = m_emu->api("GET", "/_emulator/assets/" + id + "/content-hash");
    return get_str(parse(r.body, "content hash"), "xx_hash");
}

RemoteSide SyncFixture::create_project_v4(const std::string& name) {
    const std::string& account = m_remote->account_id();
    auto workspaces = m_v4_client->workspaces(account);
    if (!workspaces || workspaces->empty())
        throw std::runtime_error("V4 workspaces: none");
    auto project = m_v4_client->create_project(account, workspaces->front().id, name);
    if (!project)
        throw std::runtime_error("V4 create project: " + project.error().message);
    return RemoteSide(m_emulator, project->id, project->root_folder_id, Generation::v4, account);
}

store::ProjectInfo SyncFixture::connect_v4() {
    m_tokens = std::make_unique<api::StaticTokenProvider>(k_v4_token);
    api::V4ClientOptions copts;
    copts.rest.api_base = m_emulator.base_url();
    copts.rest.jitter_seed = 1;
    copts.rest.pace_requests = m_options.pace_requests;
    copts.legacy_token_auth = true;
    m_v4_client = std::make_unique<api::V4Client>(*m_transport, *m_tokens, SystemClock::instance(),
                                                  net::RealSleeper::instance(), copts);
    const auto fail = [](const std::string& what, const Error& e) {
        return std::runtime_error(what + ": " + e.message);
    };
    auto accounts = m_v4_client->accounts();
    if (!accounts || accounts->empty())
        throw fail("V4 accounts",
                   accounts ? Error{ErrorCode::not_found, "none"} : accounts.error());
    const std::string account = accounts->front().id;
    auto workspaces = m_v4_client->workspaces(account);
    if (!workspaces || workspaces->empty())
        throw fail("V4 workspaces",
                   workspaces ? Error{ErrorCode::not_found, "none"} : workspaces.error());
    const auto& ws = workspaces->front();
    auto project = m_v4_client->create_project(account, ws.id, m_options.project_name);
    if (!project)
        throw fail("V4 create project", project.error());

    m_remote = std::make_unique<RemoteSide>(m_emulator, project->id, project->root_folder_id,
                                            Generation::v4, account);
    m_v4 = std::make_unique<remote::V4Remote>(*m_v4_client, account);
    m_backend = m_v4.get();
    m_directory = std::make_unique<engine::V4ProjectDirectory>(*m_v4_client, account);

    store::ProjectInfo info;
    info.id = project->id;
    info.team_id = ws.id;
    info.team_name = ws.name;
    info.name = project->name;
    info.root_asset_id = project->root_folder_id;
    info.generation = store::Generation::v4;
    info.account_id = account;
    return info;
}

} // namespace fios::test::sync
