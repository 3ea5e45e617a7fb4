// SPDX-License-Identifier: MIT
#include "engine_fixture.hpp"

#include "support/http_client.hpp"

#include "fios/net/retry.hpp"

#include <deque>
#include <fstream>
#include <sstream>

namespace fios::test::engine_fx {

namespace {

/// A request body from memory (test data only; the engine streams from disk).
class StringBody final : public net::BodySource {
public:
    explicit StringBody(std::string data) : m_data(std::move(data)) {}
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

api::V2ClientOptions client_options(const std::string& base) {
    using namespace std::chrono_literals;
    api::V2ClientOptions o;
    o.api_base = base;
    o.transient_retry.max_attempts = 6;
    o.transient_retry.initial_delay = 20ms;
    o.transient_retry.max_delay = 200ms;
    o.transient_retry.max_total = 20'000ms;
    o.rate_limit_retry.initial_delay = 50ms;
    o.rate_limit_retry.max_delay = 1000ms;
    o.rate_limit_retry.min_delay = 20ms;
    o.jitter_seed = 7;
    return o;
}

std::vector<std::string> with_token(std::vector<std::string> extra) {
    std::vector<std::string> args{"--token",          k_token, "--part-size", "65536",
                                  "--checksum-delay", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

} // namespace

Fixture::Fixture(std::vector<std::string> emulator_args)
    : emulator(with_token(std::move(emulator_args))) {
    net::CurlTransportOptions t;
    t.proxy = "";
    auto created = net::CurlTransport::create(std::move(t));
    REQUIRE(created);
    transport = std::move(*created);
    tokens = std::make_unique<api::StaticTokenProvider>(k_token);
    client =
        std::make_unique<api::V2Client>(*transport, *tokens, clock, net::RealSleeper::instance(),
                                        client_options(emulator.base_url()));
    remote = std::make_unique<remote::V2Remote>(*client);
    directory = std::make_unique<engine::V2ProjectDirectory>(*client);

    auto teams = client->teams();
    REQUIRE(teams);
    REQUIRE(!teams->empty());
    auto project = client->create_project(teams->front().id, "Engine Test");
    REQUIRE(project);
    project_id = project->id;
    root_id = project->root_asset_id;

    auto db = store::StateDb::open(dir.path() / "state" / "state.db", clock);
    REQUIRE(db);
    state = std::make_unique<store::StateDb>(std::move(*db));
    auto listing = directory->list_projects();
    REQUIRE(listing);
    REQUIRE(state->record_projects(*listing));
    folder = dir.path() / "sync";
    fs::create_directories(folder);
    REQUIRE(state->select(project_id, folder));
}

Fixture::~Fixture() = default;

engine::RunOptions Fixture::quick() {
    engine::RunOptions o;
    o.settle = std::chrono::milliseconds{0};
    o.verify_timeout = std::chrono::seconds{20};
    o.jobs = 3;
    o.part_jobs = 3;
    return o;
}

Result<engine::RunReport> Fixture::run(engine::RunOptions options, engine::Observer* observer,
                                       const CancelToken* cancel) {
    engine::EngineDeps deps;
    deps.state = state.get();
    deps.remote = remote.get();
    deps.projects = directory.get();
    deps.clock = &clock;
    deps.cancel = cancel;
    engine::SyncEngine e(deps);
    return e.run(options, observer != nullptr ? observer : &recorder);
}

engine::RunReport Fixture::sync(engine::RunOptions options, engine::Observer* observer) {
    auto r = run(std::move(options), observer);
    if (!r)
        FAIL("sync failed: " << r.error().message);
    return std::move(*r);
}

std::string Fixture::remote_folder(const std::string& parent_id, const std::string& name) {
    auto f = client->create_folder(parent_id, name);
    REQUIRE(f);
    return f->id;
}

std::string Fixture::remote_file(const std::string& parent_id, const std::string& name,
                                 const std::string& content) {
    auto session = remote->create_file(parent_id, name, content.size());
    REQUIRE(session);
    for (std::size_t i = 0; i < session->parts.size(); ++i) {
        const auto& p = session->parts[i];
        StringBody body(content.substr(p.offset, p.length));
        REQUIRE(remote->upload_part(*session, i, body));
    }
    const std::string id = session->asset_id;
    REQUIRE(wait_until([&] {
        auto a = client->asset(id);
        return a && a->upload_completed_at.has_value();
    }));
    return id;
}

std::vector<api::Asset> Fixture::remote_named(const std::string& folder_id,
                                              const std::string& name) {
    auto kids = client->children(folder_id);
    REQUIRE(kids);
    std::vector<api::Asset> out;
    for (auto& a : *kids) {
        if (a.name == name && !a.deleted_at)
            out.push_back(std::move(a));
    }
    return out;
}

std::map<std::string, RemoteNode> Fixture::remote_tree() {
    std::map<std::string, RemoteNode> out;
    std::deque<std::pair<std::string, std::string>> todo{{root_id, ""}};
    while (!todo.empty()) {
        auto [id, prefix] = todo.front();
        todo.pop_front();
        auto kids = client->children(id);
        REQUIRE(kids);
        for (const auto& a : *kids) {
            if (a.deleted_at)
                continue;
            std::string path = prefix.empty() ? a.name : prefix + "/" + a.name;
            std::string key = path;
            for (int n = 2; out.contains(key); ++n)
                key = path + " #" + std::to_string(n);
            RemoteNode node;
            node.id = a.id;
            node.folder = a.type == api::AssetType::folder;
            node.size = node.folder ? 0 : static_cast<std::uint64_t>(a.filesize);
            node.complete = node.folder || a.upload_completed_at.has_value();
            node.checksum = a.xx_hash;
            out[key] = node;
            if (node.folder)
                todo.emplace_back(a.id, path);
        }
    }
    return out;
}

void Fixture::admin(const std::string& path, const std::string& body) {
    auto r =
        http_request("POST", emulator.base_url() + path, body, {"Content-Type: application/json"});
    INFO(r.body);
    REQUIRE(r.status / 100 == 2);
}

std::map<std::string, std::string> Fixture::local_tree() const {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(folder);
         it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = fs::relative(it->path(), folder).generic_string();
        if (it->is_symlink()) {
            out[rel] = "<symlink>";
        } else if (it->is_directory()) {
            out[rel] = "<dir>";
        } else {
            out[rel] = read_file(it->path());
        }
    }
    return out;
}

} // namespace fios::test::engine_fx
