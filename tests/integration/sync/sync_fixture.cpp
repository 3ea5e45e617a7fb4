// SPDX-License-Identifier: MIT
#include "sync_fixture.hpp"

#include "harness_json.hpp"

#include "fios/api/client.hpp"
#include "fios/api/token_provider.hpp"
#include "fios/api/v4_client.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/net/curl_transport.hpp"
#include "fios/net/retry.hpp"
#include "fios/policy/policy.hpp"
#include "fios/remote/v2_remote.hpp"
#include "fios/remote/v4_remote.hpp"
#include "fios/store/journal.hpp"
#include "fios/store/state_db.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>

namespace fios::test::sync {

using namespace std::chrono_literals;

namespace detail {

std::string json_string(const std::string& s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    return buf.GetString();
}

rapidjson::Document parse(const std::string& text, const std::string& what) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError())
        throw std::runtime_error(what + ": not JSON: " + text.substr(0, 300));
    return d;
}

std::string get_str(const rapidjson::Value& v, const char* key) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsString())
        return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

} // namespace detail

namespace {

using detail::get_str;
using detail::json_string;
using detail::parse;

std::string hex16(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

/// splitmix64: fast, deterministic, good enough to make every part of a file differ.
struct Mix {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }
};

void fill(char* out, std::size_t n, Mix& mix) {
    std::size_t i = 0;
    while (i + 8 <= n) {
        const std::uint64_t v = mix.next();
        std::memcpy(out + i, &v, 8);
        i += 8;
    }
    if (i < n) {
        const std::uint64_t v = mix.next();
        std::memcpy(out + i, &v, n - i);
    }
}

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct StateAsset {
    std::string id;
    std::string type;
    std::string name;
    std::string parent_id;
    bool is_root = false;
    bool deleted = false;
    std::uint64_t filesize = 0;
    double index = 0;
    bool completed = false;
    bool eligible = true;
    std::string computed_hash;
};

std::map<std::string, StateAsset> project_assets(const rapidjson::Document& state,
                                                 const std::string& project_id) {
    std::map<std::string, StateAsset> out;
    for (const auto& a : state["assets"].GetArray()) {
        if (get_str(a, "project_id") != project_id)
            continue;
        StateAsset s;
        s.id = get_str(a, "id");
        s.type = get_str(a, "type");
        s.name = get_str(a, "name");
        s.parent_id = get_str(a, "parent_id");
        s.is_root = a["is_root"].GetBool();
        s.deleted = a["deleted"].GetBool();
        s.filesize = static_cast<std::uint64_t>(a["filesize"].GetInt64());
        s.index = a["index"].GetDouble();
        if (a.HasMember("upload_completed_at"))
            s.completed = a["upload_completed_at"].IsString();
        if (a.HasMember("checksum_eligible"))
            s.eligible = a["checksum_eligible"].GetBool();
        s.computed_hash = get_str(a, "computed_hash");
        out.emplace(s.id, s);
    }
    return out;
}

} // namespace

// --- trees -------------------------------------------------------------------------------------

std::string_view to_string(NodeKind kind) {
    switch (kind) {
    case NodeKind::file:
        return "file";
    case NodeKind::folder:
        return "folder";
    case NodeKind::symlink:
        return "symlink";
    case NodeKind::special:
        return "special";
    case NodeKind::incomplete:
        return "incomplete";
    }
    return "?";
}

Node file_node(const std::string& content) {
    return Node{NodeKind::file, content.size(), xxh64_hex(content)};
}

Node folder_node() {
    return Node{NodeKind::folder, 0, {}};
}

namespace {
std::string node_text(const Node& n) {
    std::string s(to_string(n.kind));
    if (n.kind != NodeKind::folder)
        s += " " + std::to_string(n.size) + " " + n.xxh64;
    return s;
}
} // namespace

std::string describe(const Tree& tree) {
    std::string out = "{";
    for (const auto& [path, node] : tree)
        out += "\n  \"" + path + "\": " + node_text(node);
    out += tree.empty() ? "}" : "\n}";
    return out;
}

std::string tree_diff(const Tree& expected, const Tree& actual) {
    std::string out;
    for (const auto& [path, node] : expected) {
        auto it = actual.find(path);
        if (it == actual.end())
            out += "only in the first tree:  \"" + path + "\" " + node_text(node) + "\n";
        else if (!(it->second == node))
            out += "differs: \"" + path + "\": " + node_text(node) + " vs " +
                   node_text(it->second) + "\n";
    }
    for (const auto& [path, node] : actual) {
        if (!expected.count(path))
            out += "only in the second tree: \"" + path + "\" " + node_text(node) + "\n";
    }
    return out.empty() ? "trees are equal" : out;
}

Tree without(Tree tree, const std::vector<std::string>& paths) {
    std::erase_if(tree, [&](const auto& kv) {
        return std::any_of(paths.begin(), paths.end(), [&](const std::string& p) {
            return kv.first == p || kv.first.starts_with(p + "/");
        });
    });
    return tree;
}

// --- content -----------------------------------------------------------------------------------

std::string make_content(std::uint64_t size, std::uint64_t seed) {
    std::string s(static_cast<std::size_t>(size), '\0');
    Mix mix{seed};
    fill(s.data(), s.size(), mix);
    return s;
}

void write_content_file(const fs::path& path, std::uint64_t size, std::uint64_t seed) {
    fs::create_directories(path.parent_path());
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f)
        throw std::runtime_error("cannot write " + path.string());
    std::vector<char> buf(1 << 20);
    Mix mix{seed};
    std::uint64_t left = size;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        fill(buf.data(), n, mix);
        f.write(buf.data(), static_cast<std::streamsize>(n));
        left -= n;
    }
    if (!f.flush())
        throw std::runtime_error("cannot write " + path.string());
}

std::string xxh64_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
    XXH64_state_t* st = XXH64_createState();
    XXH64_reset(st, 0);
    std::vector<char> buf(1 << 20);
    while (true) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            ::close(fd);
            XXH64_freeState(st);
            throw std::runtime_error("cannot read " + path.string());
        }
        if (n == 0)
            break;
        XXH64_update(st, buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    const std::uint64_t h = XXH64_digest(st);
    XXH64_freeState(st);
    return hex16(h);
}

std::string xxh64_hex(const std::string& bytes) {
    return hex16(XXH64(bytes.data(), bytes.size(), 0));
}

std::uint64_t seed_of(const std::string& path) {
    return XXH64(path.data(), path.size(), 0x5eed);
}

// --- emulator ------------------------------------------------------------------------------------

Emulator::Emulator(std::vector<std::string> extra_args)
    : m_args(std::move(extra_args)), m_process(std::make_unique<EmulatorProcess>(m_args)) {}

void Emulator::kill_and_restart() {
    if (std::find(m_args.begin(), m_args.end(), "--data") == m_args.end())
        throw std::runtime_error("kill_and_restart: the emulator was started without --data, so "
                                 "a restart would lose its state");
    const int port = m_process->port();
    m_process->kill_hard();
    std::vector<std::string> args = m_args;
    args.insert(args.end(), {"--port", std::to_string(port)}); // a later --port wins
    m_process = std::make_unique<EmulatorProcess>(std::move(args));
}

Stats Emulator::stats() const {
    const auto r = http_request("GET", base_url() + "/_emulator/stats");
    const auto d = parse(r.body, "GET /_emulator/stats");
    Stats out;
    for (const auto& m : d["requests"].GetObject())
        out[std::string(m.name.GetString(), m.name.GetStringLength())] = m.value.GetInt64();
    return out;
}

void Emulator::reset_stats() const {
    const auto r = http_request("DELETE", base_url() + "/_emulator/stats");
    if (r.status / 100 != 2)
        throw std::runtime_error("DELETE /_emulator/stats: " + r.body);
}

void Emulator::advance_clock(long seconds) const {
    advance_emulator_clock(base_url(), seconds);
}

void Emulator::set_faults(const std::string& json) const {
    const auto r = http_request("POST", base_url() + "/_emulator/faults", json,
                                {"Content-Type: application/json"});
    if (r.status / 100 != 2)
        throw std::runtime_error("POST /_emulator/faults: " + r.body);
}

void Emulator::fail_next(const std::string& route, int status, bool after, long count) const {
    const std::string body = "{\"route\": " + json_string(route) +
                             ", \"status\": " + std::to_string(status) + ", \"when\": \"" +
                             (after ? "after" : "before") +
                             "\", \"count\": " + std::to_string(count) + "}";
    const auto r = http_request("POST", base_url() + "/_emulator/fail-next", body,
                                {"Content-Type: application/json"});
    if (r.status / 100 != 2)
        throw std::runtime_error("POST /_emulator/fail-next: " + r.body);
}

void Emulator::reset_rate_limits() const {
    const auto r = http_request("POST", base_url() + "/_emulator/rate-limits/reset", "{}",
                                {"Content-Type: application/json"});
    if (r.status / 100 != 2)
        throw std::runtime_error("POST /_emulator/rate-limits/reset: " + r.body);
}

void Emulator::corrupt(const std::string& asset_id, const std::string& what) const {
    const auto r =
        http_request("POST", base_url() + "/_emulator/assets/" + asset_id + "/corrupt",
                     "{\"what\": " + json_string(what) + "}", {"Content-Type: application/json"});
    if (r.status / 100 != 2)
        throw std::runtime_error("corrupt " + asset_id + ": " + r.body);
}

rapidjson::Document Emulator::state() const {
    const auto r = http_request("GET", base_url() + "/_emulator/state");
    if (r.status != 200)
        throw std::runtime_error("GET /_emulator/state: " + r.body);
    return parse(r.body, "GET /_emulator/state");
}

HttpReply Emulator::api(const std::string& method, const std::string& path, const std::string& body,
                        long expect) const {
    const bool v4 = path.starts_with("/v4/");
    std::vector<std::string> headers{std::string("Authorization: Bearer ") +
                                     (v4 ? k_v4_token : k_token)};
    if (v4)
        headers.emplace_back("x-frameio-legacy-token-auth: true");
    if (!body.empty())
        headers.emplace_back("Content-Type: application/json");
    for (int attempt = 0;; ++attempt) {
        HttpReply r = http_request(method, base_url() + path, body, headers);
        if (r.status == 429 && attempt < 5) {
            reset_rate_limits();
            continue;
        }
        if (expect != 0 && r.status != expect) {
            throw std::runtime_error(method + " " + path + ": HTTP " + std::to_string(r.status) +
                                     ": " + r.body.substr(0, 300));
        }
        return r;
    }
}

long count(const Stats& stats, const std::string& route) {
    long n = 0;
    for (const auto& [k, v] : stats) {
        if (k.starts_with(route))
            n += v;
    }
    return n;
}

namespace {
const std::string k_v2_children = "/v2/assets/{id}/children";
const std::string k_v4_folder = "/v4/accounts/{account_id}/folders/{folder_id}";
} // namespace

long count_creates(const Stats& stats) {
    return count(stats, "POST " + k_v2_children) +
           count(stats, "POST " + k_v4_folder + "/folders") +
           count(stats, "POST " + k_v4_folder + "/files/local_upload");
}

long count_listings(const Stats& stats) {
    return count(stats, "GET " + k_v2_children) + count(stats, "GET " + k_v4_folder + "/folders");
}

bool SyncFixture::verified(const model::JournalRecord& row) const {
    const std::string_view by = policy::verified_by(row);
    if (generation() == Generation::v2)
        return by == "checksum";
    return by == "content-md5+size" || by == "size";
}

RemoteSide SyncFixture::create_project(const std::string& name) {
    if (generation() == Generation::v4)
        return create_project_v4(name);
    const auto teams = parse(m_emulator.api("GET", "/v2/teams").body, "teams");
    const auto project =
        parse(m_emulator
                  .api("POST", "/v2/teams/" + get_str(teams[0], "id") + "/projects",
                       "{\"name\": " + json_string(name) + "}")
                  .body,
              "create project");
    return RemoteSide(m_emulator, get_str(project, "id"), get_str(project, "root_asset_id"));
}

void SyncFixture::fail_next_creates(int status, bool after, long folders, long files) {
    if (generation() == Generation::v2) {
        m_emulator.fail_next("POST " + k_v2_children, status, after, folders + files);
        return;
    }
    if (folders > 0)
        m_emulator.fail_next("POST " + k_v4_folder + "/folders", status, after, folders);
    if (files > 0)
        m_emulator.fail_next("POST " + k_v4_folder + "/files/local_upload", status, after, files);
}

// --- local side --------------------------------------------------------------------------------

void LocalSide::insert(const std::string& path, std::uint64_t size) {
    write_content_file(abs(path), size, seed_of(path));
    set_mtime(path, m_clock->now() - std::chrono::hours(1));
}

void LocalSide::insert(const std::string& path, const std::string& content) {
    write_file(abs(path), content);
    set_mtime(path, m_clock->now() - std::chrono::hours(1));
}

void LocalSide::mkdir(const std::string& path) {
    fs::create_directories(abs(path));
}

void LocalSide::remove(const std::string& path) {
    if (fs::remove_all(abs(path)) == 0)
        throw std::runtime_error("local remove: nothing at " + path);
}

void LocalSide::touch(const std::string& path) {
    set_mtime(path, m_clock->now());
}

void LocalSide::set_mtime(const std::string& path, model::TimePoint when) {
    const auto ns = when.time_since_epoch().count();
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    const timespec times[2] = {ts, ts};
    if (::utimensat(AT_FDCWD, abs(path).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw std::runtime_error("utimensat " + path + ": " + std::strerror(errno));
}

void LocalSide::append(const std::string& path, const std::string& bytes) {
    std::ofstream f(abs(path), std::ios::binary | std::ios::app);
    f << bytes;
    if (!f.flush())
        throw std::runtime_error("append " + path);
}

void LocalSide::symlink(const std::string& path, const fs::path& target) {
    fs::create_directories(abs(path).parent_path());
    fs::create_symlink(target, abs(path));
}

void LocalSide::fifo(const std::string& path) {
    fs::create_directories(abs(path).parent_path());
    if (::mkfifo(abs(path).c_str(), 0600) != 0)
        throw std::runtime_error("mkfifo " + path + ": " + std::strerror(errno));
}

std::string LocalSide::read(const std::string& path) const {
    return read_file(abs(path));
}

bool LocalSide::exists(const std::string& path) const {
    struct stat st {};
    return ::lstat(abs(path).c_str(), &st) == 0;
}

Tree LocalSide::tree() const {
    Tree out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(m_root, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            throw std::runtime_error("walking " + m_root.string() + ": " + ec.message());
        const fs::path& p = it->path();
        const std::string rel = p.lexically_relative(m_root).string();
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            out[rel] = folder_node();
        } else if (S_ISREG(st.st_mode)) {
            out[rel] = Node{NodeKind::file, static_cast<std::uint64_t>(st.st_size), xxh64_file(p)};
        } else if (S_ISLNK(st.st_mode)) {
            out[rel] = Node{NodeKind::symlink, 0, fs::read_symlink(p).string()};
        } else {
            out[rel] = Node{NodeKind::special, 0, {}};
        }
    }
    return out;
}

std::map<std::string, std::uint64_t> LocalSide::temp_sizes() const {
    std::map<std::string, std::uint64_t> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(m_root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(".fios-"))
            continue;
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            out[it->path().lexically_relative(m_root).string()] =
                static_cast<std::uint64_t>(st.st_size);
    }
    return out;
}

std::vector<std::string> LocalSide::temp_files() const {
    std::vector<std::string> out;
    for (const auto& [path, node] : tree()) {
        if (name_of(path).starts_with(".fios-"))
            out.push_back(path);
    }
    return out;
}

// --- remote side -------------------------------------------------------------------------------

std::string RemoteSide::mkdir(const std::string& path) {
    if (path.empty())
        return m_root_id;
    const auto existing = ids_at(path);
    if (!existing.empty())
        return existing.front();
    return create_folder(mkdir(parent_of(path)), name_of(path));
}

std::string RemoteSide::mkdir_named(const std::string& parent, const std::string& raw_name) {
    return create_folder(parent.empty() ? m_root_id : id_of(parent), raw_name);
}

std::string RemoteSide::create_folder(const std::string& parent_id, const std::string& name) {
    if (m_generation == Generation::v4)
        return create_folder_v4(parent_id, name);
    const auto r = m_emu->api("POST", "/v2/assets/" + parent_id + "/children",
                              "{\"type\": \"folder\", \"name\": " + json_string(name) + "}");
    return get_str(parse(r.body, "create folder"), "id");
}

std::string RemoteSide::insert(const std::string& path, std::uint64_t size) {
    return insert(path, make_content(size, seed_of(path)));
}

std::string RemoteSide::insert(const std::string& path, const std::string& content) {
    const std::string parent_id = mkdir(parent_of(path));
    return upload(parent_id, name_of(path), content, SIZE_MAX);
}

std::string RemoteSide::insert_incomplete(const std::string& path, const std::string& content,
                                          std::size_t parts) {
    const std::string parent_id = mkdir(parent_of(path));
    return upload(parent_id, name_of(path), content, parts);
}

std::string RemoteSide::insert_named(const std::string& parent, const std::string& raw_name,
                                     const std::string& content) {
    const std::string parent_id = parent.empty() ? m_root_id : id_of(parent);
    return upload(parent_id, raw_name, content, SIZE_MAX);
}

std::string RemoteSide::upload(const std::string& parent_id, const std::string& name,
                               const std::string& content, std::size_t max_parts) {
    if (m_generation == Generation::v4)
        return upload_v4(parent_id, name, content, max_parts);
    const auto r = m_emu->api("POST", "/v2/assets/" + parent_id + "/children",
                              "{\"type\": \"file\", \"name\": " + json_string(name) +
                                  ", \"filetype\": \"application/octet-stream\", \"filesize\": " +
                                  std::to_string(content.size()) + "}");
    const auto asset = parse(r.body, "create file");
    const std::string id = get_str(asset, "id");
    std::vector<std::string> urls;
    for (const auto& u : asset["upload_urls"].GetArray())
        urls.emplace_back(u.GetString(), u.GetStringLength());
    // The SDK's split: n parts of ceil(size / n) bytes, the last one the remainder.
    const std::size_t n = urls.size();
    const std::size_t chunk = n == 0 ? 0 : (content.size() + n - 1) / n;
    for (std::size_t i = 0; i < n && i < max_parts; ++i) {
        const std::size_t off = std::min(content.size(), i * chunk);
        const std::size_t len = std::min(chunk, content.size() - off);
        const auto put = http_request(
            "PUT", urls[i], content.substr(off, len),
            {"Content-Type: application/octet-stream", "x-amz-acl: private", "Expect:"});
        if (put.status != 200)
            throw std::runtime_error("part " + std::to_string(i) + " of " + name + ": HTTP " +
                                     std::to_string(put.status) + " " + put.body.substr(0, 200));
    }
    return id;
}

void RemoteSide::remove(const std::string& path) {
    if (m_generation == Generation::v4) {
        const std::string id = id_of(path);
        const auto assets = project_assets(m_emu->state(), m_project_id);
        remove_v4(id, assets.at(id).type == "folder");
        return;
    }
    const auto r = m_emu->api("DELETE", "/v2/assets/" + id_of(path), {}, 0);
    if (r.status / 100 != 2)
        throw std::runtime_error("DELETE " + path + ": HTTP " + std::to_string(r.status));
}

std::string RemoteSide::add_version(const std::string& path, const std::string& content,
                                    std::size_t max_parts) {
    const std::string target = id_of(path);
    const std::string parent_id = mkdir(parent_of(path));
    const std::string next = upload(parent_id, name_of(path), content, max_parts);
    if (m_generation == Generation::v4) {
        stack_v4(parent_id, target, next);
        return next;
    }
    m_emu->api("POST", "/v2/assets/" + target + "/version",
               "{\"next_asset_id\": " + json_string(next) + "}", 0);
    return next;
}

void RemoteSide::rename(const std::string& path, const std::string& new_name) {
    if (m_generation == Generation::v4) {
        rename_v4(id_of(path), new_name);
        return;
    }
    m_emu->api("PUT", "/v2/assets/" + id_of(path), "{\"name\": " + json_string(new_name) + "}");
}

std::vector<std::string> RemoteSide::ids_at(const std::string& path) const {
    const auto state = m_emu->state();
    const auto assets = project_assets(state, m_project_id);
    std::vector<const StateAsset*> found;
    // Walk down segment by segment among live folders.
    std::vector<std::string> parents{m_root_id};
    std::string rest = path;
    while (true) {
        const auto slash = rest.find('/');
        const std::string seg = rest.substr(0, slash);
        std::vector<std::string> next;
        for (const auto& [id, a] : assets) {
            if (!a.deleted && a.name == seg &&
                std::find(parents.begin(), parents.end(), a.parent_id) != parents.end())
                next.push_back(id);
        }
        if (slash == std::string::npos) {
            return next;
        }
        parents = next;
        rest = rest.substr(slash + 1);
    }
}

std::string RemoteSide::id_of(const std::string& path) const {
    const auto ids = ids_at(path);
    if (ids.empty())
        throw std::runtime_error("no live remote item at " + path);
    return ids.front();
}

std::map<std::string, int> RemoteSide::list_names(const std::string& folder_id) const {
    if (m_generation == Generation::v4)
        return list_names_v4(folder_id);
    std::map<std::string, int> out;
    for (int page = 1;; ++page) {
        const auto r =
            m_emu->api("GET", "/v2/assets/" + folder_id +
                                  "/children?page_size=100&page=" + std::to_string(page));
        const auto d = parse(r.body, "list children");
        for (const auto& a : d.GetArray())
            ++out[get_str(a, "name")];
        const auto total = r.headers.find("total-pages");
        if (total == r.headers.end() || page >= std::stoi(total->second))
            break;
    }
    return out;
}

Tree RemoteSide::tree() const {
    // Hashing of completed uploads runs in the emulator's background: wait until every file
    // that will get a checksum has its hash computed.
    std::map<std::string, StateAsset> assets;
    const bool hashed = wait_until(
        [&] {
            assets = project_assets(m_emu->state(), m_project_id);
            return std::all_of(assets.begin(), assets.end(), [](const auto& kv) {
                const StateAsset& a = kv.second;
                return a.type != "file" || !a.completed || !a.eligible || !a.computed_hash.empty();
            });
        },
        30s, 20ms);
    if (!hashed)
        throw std::runtime_error("the emulator did not hash every completed upload in time");

    const auto content_hash = [&](const StateAsset& a) -> std::string {
        if (!a.computed_hash.empty())
            return a.computed_hash;
        if (m_generation == Generation::v4) // no checksums: the stored bytes' hash
            return content_hash_v4(a.id);
        // Never checksummed (--no-checksum-rate): fetch the bytes through the API.
        const auto r = m_emu->api("GET", "/v2/assets/" + a.id);
        const std::string url = get_str(parse(r.body, "asset"), "original");
        const auto body = http_request("GET", url);
        if (body.status != 200)
            throw std::runtime_error("download of " + a.id + " for the tree failed");
        return xxh64_hex(body.body);
    };
    const auto node_of = [&](const StateAsset& a) -> Node {
        if (!a.completed)
            return Node{NodeKind::incomplete, a.filesize, {}};
        return Node{NodeKind::file, a.filesize, a.filesize == 0 ? xxh64_hex("") : content_hash(a)};
    };

    std::map<std::string, std::vector<const StateAsset*>> children;
    for (const auto& [id, a] : assets) {
        if (!a.deleted && !a.is_root)
            children[a.parent_id].push_back(&a);
    }
    for (auto& [parent, list] : children) {
        std::sort(list.begin(), list.end(), [](const StateAsset* x, const StateAsset* y) {
            return std::tie(x->index, x->id) < std::tie(y->index, y->id);
        });
    }

    Tree out;
    const auto put = [&](const std::string& path, Node node) {
        std::string key = path;
        for (int n = 2; out.count(key); ++n)
            key = path + " #" + std::to_string(n);
        out[key] = std::move(node);
    };
    std::vector<std::pair<std::string, std::string>> todo{{m_root_id, ""}};
    while (!todo.empty()) {
        auto [folder_id, prefix] = todo.back();
        todo.pop_back();
        for (const StateAsset* a : children[folder_id]) {
            const std::string path = prefix.empty() ? a->name : prefix + "/" + a->name;
            if (a->type == "folder") {
                put(path, folder_node());
                todo.emplace_back(a->id, path);
            } else if (a->type == "file") {
                put(path, node_of(*a));
            } else if (a->type == "version_stack") {
                // The head: the live version with the lowest index.
                const auto& versions = children[a->id];
                if (!versions.empty())
                    put(path, node_of(*versions.front()));
            }
        }
    }
    return out;
}

// --- run outcome -------------------------------------------------------------------------------

const engine::Counts& RunOutcome::totals() const {
    if (!report)
        throw std::runtime_error("the run returned an error: " +
                                 (error ? error->message : std::string("?")));
    return report->totals;
}

std::vector<const engine::ItemEvent*> RunOutcome::items_at(const std::string& path) const {
    std::vector<const engine::ItemEvent*> out;
    for (const auto& e : items) {
        if (e.path.str() == path)
            out.push_back(&e);
    }
    return out;
}

const engine::ItemEvent* RunOutcome::item(const std::string& path) const {
    const auto all = items_at(path);
    return all.empty() ? nullptr : all.back();
}

bool RunOutcome::has(const std::string& path, plan::ActionKind action,
                     plan::SkipReason skip) const {
    const auto all = items_at(path);
    return std::any_of(all.begin(), all.end(), [&](const engine::ItemEvent* e) {
        return e->action == action && e->skip == skip;
    });
}

std::string RunOutcome::describe() const {
    std::ostringstream s;
    if (error)
        s << "run error: " << error->message << "\n";
    if (report) {
        s << "result " << engine::to_string(report->result);
        if (report->error)
            s << " (" << report->error->message << ")";
        s << "\n";
    }
    for (const auto& e : items) {
        s << "  " << e.path.str() << (e.name.empty() ? "" : "/\"" + e.name + "\"") << ": "
          << plan::to_string(e.action);
        if (e.skip != plan::SkipReason::none)
            s << ":" << plan::to_string(e.skip);
        s << " -> " << engine::to_string(e.result);
        if (e.attempt)
            s << " attempt " << e.attempt;
        if (e.error)
            s << " (" << e.error->message << ")";
        s << "\n";
    }
    for (const auto& w : warnings)
        s << "  warning " << engine::to_string(w.kind) << ": " << w.message << "\n";
    return s.str();
}

namespace {
class Collector final : public engine::Observer {
public:
    explicit Collector(RunOutcome& out) : m_out(out) {}
    void on_plan(const std::string&, const plan::Plan& plan) override {
        m_out.plans.push_back(plan);
    }
    void on_item(const engine::ItemEvent& event) override { m_out.items.push_back(event); }
    void on_warning(const engine::Warning& warning) override { m_out.warnings.push_back(warning); }

private:
    RunOutcome& m_out;
};

std::vector<std::string> emulator_args(const FixtureOptions& o) {
    std::vector<std::string> args{"--token",
                                  k_token,
                                  "--quiet",
                                  "--checksum-delay",
                                  std::to_string(o.checksum_delay),
                                  "--part-size",
                                  std::to_string(o.part_size)};
    if (!o.rate_limited.value_or(o.generation == Generation::v2))
        args.emplace_back("--no-rate-limit");
    if (o.generation == Generation::v4) {
        args.insert(args.end(),
                    {"--v4-legacy-token", k_v4_token, "--v4-part-size", std::to_string(o.part_size),
                     "--v4-complete-delay", std::to_string(o.v4_complete_delay)});
    }
    args.insert(args.end(), o.emulator_args.begin(), o.emulator_args.end());
    return args;
}

model::TimePoint real_now_seconds() {
    return model::TimePoint{std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch())};
}
} // namespace

// --- fixture -----------------------------------------------------------------------------------

SyncFixture::SyncFixture(FixtureOptions options)
    : m_options(std::move(options)), m_clock(real_now_seconds()),
      m_emulator(emulator_args(m_options)), m_local(m_home.path() / "sync", m_clock) {
    fs::create_directories(m_local.root());
    fs::create_directories(m_home.path() / "config");
    fs::create_directories(m_home.path() / "state");
    m_state_path = m_home.path() / "state" / "frameio-sync" / "state.db";

    auto transport = net::CurlTransport::create();
    if (!transport)
        throw std::runtime_error("curl transport: " + transport.error().message);
    m_transport = std::move(transport).value();
    const store::ProjectInfo info =
        m_options.generation == Generation::v4 ? connect_v4() : connect_v2();

    auto state = store::StateDb::open(m_state_path, m_clock);
    if (!state)
        throw std::runtime_error("state db: " + state.error().message);
    m_state = std::make_unique<store::StateDb>(std::move(state).value());
    if (auto r = m_state->record_projects(std::span<const store::ProjectInfo>(&info, 1)); !r)
        throw std::runtime_error("record project: " + r.error().message);
    if (auto r = m_state->select(info.id, m_local.root()); !r)
        throw std::runtime_error("select: " + r.error().message);
}

store::ProjectInfo SyncFixture::connect_v2() {
    // A project through the API.
    const auto teams = parse(m_emulator.api("GET", "/v2/teams").body, "teams");
    if (!teams.IsArray() || teams.Empty())
        throw std::runtime_error("the emulator has no team");
    const std::string team_id = get_str(teams[0], "id");
    const std::string team_name = get_str(teams[0], "name");
    const auto project = parse(m_emulator
                                   .api("POST", "/v2/teams/" + team_id + "/projects",
                                        "{\"name\": " + json_string(m_options.project_name) + "}")
                                   .body,
                               "create project");
    const std::string project_id = get_str(project, "id");
    const std::string root_id = get_str(project, "root_asset_id");
    m_remote = std::make_unique<RemoteSide>(m_emulator, project_id, root_id);

    // The library pieces the engine runs on, wired as the CLI wires them.
    m_tokens = std::make_unique<api::StaticTokenProvider>(k_token);
    api::V2ClientOptions copts;
    copts.api_base = m_emulator.base_url();
    copts.jitter_seed = 1;
    copts.pace_requests = m_options.pace_requests;
    m_client = std::make_unique<api::V2Client>(*m_transport, *m_tokens, SystemClock::instance(),
                                               net::RealSleeper::instance(), copts);
    m_v2 = std::make_unique<remote::V2Remote>(*m_client);
    m_backend = m_v2.get();
    m_directory = std::make_unique<engine::V2ProjectDirectory>(*m_client);

    store::ProjectInfo info;
    info.id = project_id;
    info.team_id = team_id;
    info.team_name = team_name;
    info.name = m_options.project_name;
    info.root_asset_id = root_id;
    info.updated_at = get_str(project, "updated_at");
    return info;
}

SyncFixture::~SyncFixture() = default;

engine::RunOptions SyncFixture::run_options() const {
    engine::RunOptions o;
    o.settle = std::chrono::seconds(5);
    o.verify_timeout = std::chrono::seconds(30);
    o.jobs = 4;
    o.part_jobs = 4;
    return o;
}

void SyncFixture::publish_checksums() {
    const double delay = std::max(m_options.checksum_delay, m_options.v4_complete_delay);
    m_emulator.advance_clock(static_cast<long>(std::ceil(delay)) + 1);
}

void SyncFixture::release_state_db() {
    m_state.reset();
}

RunOutcome SyncFixture::sync_once(engine::RunOptions options) {
    if (!m_state)
        throw std::runtime_error("sync_once: the state database was released");
    m_emulator.reset_rate_limits();
    RunOutcome out;
    Collector collector(out);
    engine::EngineDeps deps;
    deps.state = m_state.get();
    deps.remote = m_backend;
    deps.projects = m_directory.get();
    deps.clock = &m_clock;
    deps.remote_cache = m_remote_cache;
    engine::SyncEngine engine(deps);
    // The engine's waits between verification looks are due on the injected clock, so a
    // frozen FakeClock would wait forever for a checksum that the emulator publishes in
    // (its own) real time. While the run is in progress the clock moves with real time; it
    // stands still between runs, where scenarios move it explicitly.
    std::optional<std::jthread> pump;
    if (m_pump_clock) {
        pump.emplace([this](std::stop_token stop) {
            auto last = std::chrono::steady_clock::now();
            while (!stop.stop_requested()) {
                std::this_thread::sleep_for(10ms);
                const auto now = std::chrono::steady_clock::now();
                m_clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(now - last));
                last += std::chrono::duration_cast<std::chrono::milliseconds>(now - last);
            }
        });
    }
    auto r = engine.run(options, &collector);
    pump.reset();
    if (r)
        out.report = std::move(r).value();
    else
        out.error = r.error();
    return out;
}

RunOptions SyncFixture::cli_options(std::chrono::milliseconds deadline) const {
    const bool v4 = m_options.generation == Generation::v4;
    RunOptions o;
    o.env = {
        {"HOME", m_home.path().string()},
        {"XDG_CONFIG_HOME", (m_home.path() / "config").string()},
        {"XDG_STATE_HOME", (m_home.path() / "state").string()},
        // The fixture's generation (the CLI's default is v4); its token and IMS stand-in.
        {"FRAMEIO_SYNC_API", std::string(to_string(m_options.generation))},
        {"FRAMEIO_TOKEN", std::string(v4 ? k_v4_token : k_token)},
        {"FRAMEIO_API_URL", m_emulator.base_url()},
        {"FRAMEIO_IMS_URL", m_emulator.base_url()},
        {"FRAMEIO_CLIENT_SECRET", std::nullopt},
        {"NO_COLOR", std::string("1")},
        {"FRAMEIO_SYNC_SETTLE_SECONDS", std::nullopt},
        {"FRAMEIO_SYNC_JOBS", std::nullopt},
        {"FRAMEIO_SYNC_VERIFY_TIMEOUT_SECONDS", std::string("30")},
        {"http_proxy", std::nullopt},
        {"https_proxy", std::nullopt},
        {"HTTP_PROXY", std::nullopt},
        {"HTTPS_PROXY", std::nullopt},
        {"ALL_PROXY", std::nullopt},
        {"all_proxy", std::nullopt},
    };
    o.deadline = deadline;
    return o;
}

std::vector<std::string> SyncFixture::cli_argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{cli_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

ProcessResult SyncFixture::cli(const std::vector<std::string>& args,
                               std::chrono::milliseconds deadline) {
    m_emulator.reset_rate_limits();
    return run_process(cli_argv(args), cli_options(deadline));
}

std::map<std::string, model::JournalRecord> SyncFixture::journal() {
    if (!m_state)
        throw std::runtime_error("journal: the state database was released");
    store::Journal journal(m_state->db());
    auto rows = journal.records(m_remote->project_id());
    if (!rows)
        throw std::runtime_error("journal: " + rows.error().message);
    std::map<std::string, model::JournalRecord> out;
    for (auto& [path, rec] : *rows)
        out.emplace(path.str(), rec);
    return out;
}

void SyncFixture::put_journal_row(const model::JournalRecord& record) {
    if (!m_state)
        throw std::runtime_error("put_journal_row: the state database was released");
    store::Journal journal(m_state->db());
    if (auto r = journal.put_record(m_remote->project_id(), record); !r)
        throw std::runtime_error("journal: " + r.error().message);
}

// --- JSON lines ----------------------------------------------------------------------------------

std::optional<rapidjson::Document> parse_json_line(const std::string& line) {
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject())
        return std::nullopt;
    return d;
}

std::vector<rapidjson::Document> json_events(const std::string& out, const std::string& event) {
    std::vector<rapidjson::Document> docs;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        auto d = parse_json_line(line);
        if (d && get_str(*d, "event") == event)
            docs.push_back(std::move(*d));
    }
    return docs;
}

} // namespace fios::test::sync
