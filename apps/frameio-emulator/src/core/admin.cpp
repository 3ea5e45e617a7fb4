// SPDX-License-Identifier: MIT
#include "core/admin.hpp"

#include "core/api.hpp"
#include "core/auth.hpp"
#include "core/blobs.hpp"
#include "core/checksum.hpp"
#include "core/crypto.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "core/rate_limit.hpp"
#include "core/stats.hpp"
#include "core/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>

namespace fioemu {

namespace {

using AdminHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

void send_json(httplib::Response& res, const std::string& body, int status = 200) {
    res.status = status;
    res.set_content(body, k_json_type);
}

/// Parses the body as a JSON object ({} when empty); false after answering 400.
bool admin_body(const httplib::Request& req, httplib::Response& res, rapidjson::Document& doc) {
    const std::string& b = req.body.empty() ? current_request().get_body : req.body;
    if (b.find_first_not_of(" \t\r\n") == std::string::npos) {
        doc.SetObject();
        return true;
    }
    std::string err;
    if (!parse_json_object(b, doc, err)) {
        send_api_error(res, 400, err);
        return false;
    }
    return true;
}

/// The completed file asset `id`, or nullptr after answering 404 (no such file) or 422 (its
/// upload is not complete). The caller holds the model lock.
const Asset* completed_file(Services& s, const std::string& id, httplib::Response& res) {
    const Asset* a = s.model.asset(id);
    if (!a || !a->is_file()) {
        send_api_error(res, 404, "file asset not found");
        return nullptr;
    }
    if (!a->upload_completed_at) {
        send_api_error(res, 422, "the upload is not complete");
        return nullptr;
    }
    return a;
}

std::string clock_json(Services& s) {
    Json j;
    j.begin_object();
    j.key("now").time(s.clock.now());
    j.key("offset_seconds").dbl(static_cast<double>(s.clock.offset()) / 1e6);
    j.end_object();
    return j.take();
}

std::string faults_json(const FaultConfig& f) {
    Json j;
    j.begin_object();
    j.key("api5xx").dbl(f.api5xx);
    j.key("part5xx").dbl(f.part5xx);
    j.key("download5xx").dbl(f.download5xx);
    j.key("partreset").dbl(f.partreset);
    j.key("truncate").dbl(f.truncate);
    j.key("upload_failed").dbl(f.upload_failed);
    j.key("latency_ms").i64(f.latency_ms);
    j.key("seed").i64(static_cast<std::int64_t>(f.seed));
    j.key("burst429").i64(f.burst429);
    j.end_object();
    return j.take();
}

std::string fail_next_json(const std::vector<FailNextRule>& rules) {
    Json j;
    j.begin_array();
    for (const auto& r : rules) {
        j.begin_object();
        j.key("route").str(r.route).key("status").i64(r.status);
        j.key("when").str(r.after ? "after" : "before").key("count").i64(r.remaining);
        j.end_object();
    }
    j.end_array();
    return j.take();
}

void state_json(Services& s, Json& j) {
    Model& m = s.model;
    j.begin_object();
    j.key("now").time(s.clock.now());
    j.key("accounts").begin_array();
    for (const auto& [id, a] : m.accounts()) {
        j.begin_object().key("id").str(id).key("display_name").str(a.display_name);
        j.key("api").str(a.generation == Generation::v4 ? "v4" : "v2").end_object();
    }
    j.end_array();
    j.key("users").begin_array();
    for (const auto& [id, u] : m.users()) {
        j.begin_object()
            .key("id")
            .str(id)
            .key("name")
            .str(u.name)
            .key("email")
            .str(u.email)
            .key("account_id")
            .str(u.account_id)
            .end_object();
    }
    j.end_array();
    j.key("teams").begin_array();
    for (const Team* t : m.teams_in_order()) {
        j.begin_object().key("id").str(t->id).key("name").str(t->name);
        j.key("account_id").str(t->account_id).end_object();
    }
    j.end_array();
    j.key("projects").begin_array();
    for (const auto& [id, p] : m.projects()) {
        j.begin_object();
        j.key("id").str(id).key("name").str(p.name).key("team_id").str(p.team_id);
        j.key("root_asset_id")
            .str(p.root_asset_id)
            .key("deleted")
            .boolean(p.deleted_at.has_value());
        j.key("file_count").i64(p.file_count).key("folder_count").i64(p.folder_count);
        j.key("storage").i64(p.storage).key("updated_at").time(p.updated_at);
        j.end_object();
    }
    j.end_array();
    j.key("assets").begin_array();
    for (const auto& [id, a] : m.assets()) {
        j.begin_object();
        j.key("id").str(id).key("type").str(to_string(a.type)).key("name").str(a.name);
        j.key("parent_id").str_or_null(a.parent_id).key("project_id").str(a.project_id);
        j.key("is_root").boolean(a.is_root).key("deleted").boolean(a.deleted_at.has_value());
        j.key("filesize").i64(a.filesize).key("index").dbl(a.index);
        j.key("item_count").i64(a.item_count);
        if (a.is_file()) {
            j.key("part_count").i64(a.part_count).key("parts_received").i64(a.parts_received);
            j.key("upload_completed_at").opt_time(a.upload_completed_at);
            j.key("checksum_eligible").boolean(a.checksum_eligible);
            j.key("computed_hash").str_or_null(a.computed_hash);
            j.key("checksum").opt_str(a.checksum);
            if (a.upload_completed_at && !a.transcoded_at) {
                j.key("checksum_due_at").time(*a.upload_completed_at + m.settings().checksum_delay);
            }
        }
        j.end_object();
    }
    j.end_array();
    j.key("invariant_violations").begin_array();
    for (const auto& p : m.check_invariants())
        j.str(p);
    j.end_array();
    j.end_object();
}

std::string config_json(Services& s) {
    const Options& o = s.options;
    Json j;
    j.begin_object();
    j.key("host").str(o.host).key("base_url").str(s.base_url);
    j.key("data").str(o.data_dir).key("part_size").i64(o.part_size);
    j.key("page_size_max").i64(o.page_size_max).key("url_ttl").i64(o.url_ttl);
    j.key("checksum_delay").dbl(o.checksum_delay).key("no_checksum_rate").dbl(o.no_checksum_rate);
    j.key("token_ttl").i64(o.token_ttl).key("refresh_ttl").i64(o.refresh_ttl);
    j.key("refresh_rotation").boolean(o.refresh_rotation).key("retry_after").boolean(o.retry_after);
    j.key("delete_status").i64(o.delete_status).key("deleted_visible").boolean(o.deleted_visible);
    j.key("folder_size").str(o.folder_size_aggregate ? "aggregate" : "zero");
    j.key("accept_parts_after_completion").boolean(o.parts_after_completion);
    j.key("project_updated_on").str(o.project_updated_on);
    j.key("threads")
        .i64(o.threads)
        .key("developer_tokens")
        .i64(static_cast<std::int64_t>(s.tokens.size()));
    j.key("rate_limited").boolean(s.limiter.enabled());
    j.key("rate_limits").begin_object();
    for (const auto& c : s.limiter.classes()) {
        j.key(c.name)
            .begin_object()
            .key("limit")
            .i64(c.limit)
            .key("window_ms")
            .i64(c.window_ms)
            .end_object();
    }
    j.end_object();
    j.key("oauth_clients").begin_array();
    for (const auto& c : o.oauth_clients) {
        j.begin_object()
            .key("client_id")
            .str(c.id)
            .key("redirect_uri")
            .str(c.redirect_uri)
            .end_object();
    }
    j.end_array();
    j.key("route_keys").begin_array();
    for (const auto& k : s.route_keys)
        j.str(k);
    j.end_array();
    j.end_object();
    return j.take();
}

} // namespace

void register_admin_routes(HttpServer& server, Services& s) {
    const auto admin = [](AdminHandler h) {
        return [h](const httplib::Request& req, httplib::Response& res) {
            current_request().admin = true;
            h(req, res);
        };
    };

    server.Get(R"(/_emulator/health/?)", admin([](const httplib::Request&, httplib::Response& res) {
                   send_json(res, "{\"ok\":true}");
               }));
    server.Get(R"(/_emulator/config/?)",
               admin([&s](const httplib::Request&, httplib::Response& res) {
                   send_json(res, config_json(s));
               }));

    server.Get(R"(/_emulator/stats/?)",
               admin([&s](const httplib::Request&, httplib::Response& res) {
                   send_json(res, s.stats.to_json());
               }));
    server.Delete(R"(/_emulator/stats/?)",
                  admin([&s](const httplib::Request&, httplib::Response& res) {
                      s.stats.reset();
                      send_json(res, s.stats.to_json());
                  }));

    server.Get(R"(/_emulator/clock/?)",
               admin([&s](const httplib::Request&, httplib::Response& res) {
                   send_json(res, clock_json(s));
               }));
    server.Post(
        R"(/_emulator/clock/?)", admin([&s](const httplib::Request& req, httplib::Response& res) {
            rapidjson::Document doc;
            if (!admin_body(req, res, doc))
                return;
            ObjectReader r(doc);
            double secs = 0;
            if (!r.get_double("advance_seconds", secs) || !std::isfinite(secs) || secs < 0 ||
                secs > 100.0 * 365 * 86400) {
                return send_api_error(
                    res, 422,
                    "advance_seconds must be a number >= 0 (the clock only moves forward)");
            }
            const Micros offset = s.clock.advance(static_cast<Micros>(std::llround(secs * 1e6)));
            {
                auto lock = s.model.lock();
                s.model.store().kv_set("clock_offset", std::to_string(offset));
            }
            send_json(res, clock_json(s));
        }));

    server.Get(R"(/_emulator/faults/?)",
               admin([&s](const httplib::Request&, httplib::Response& res) {
                   send_json(res, faults_json(s.faults.config()));
               }));
    server.Post(R"(/_emulator/faults/?)",
                admin([&s](const httplib::Request& req, httplib::Response& res) {
                    rapidjson::Document doc;
                    if (!admin_body(req, res, doc))
                        return;
                    std::string spec;
                    for (const auto& m : doc.GetObject()) {
                        std::string value;
                        if (m.value.IsString()) {
                            value.assign(m.value.GetString(), m.value.GetStringLength());
                        } else if (m.value.IsNumber()) {
                            value = to_json_string(m.value);
                        } else {
                            return send_api_error(res, 422, "fault values must be numbers");
                        }
                        spec += std::string(m.name.GetString(), m.name.GetStringLength()) + "=" +
                                value + ",";
                    }
                    FaultConfig cfg;
                    if (auto err = parse_fault_spec(spec, cfg))
                        return send_api_error(res, 422, *err);
                    s.faults.configure(cfg);
                    send_json(res, faults_json(s.faults.config()));
                }));

    server.Get(R"(/_emulator/fail-next/?)",
               admin([&s](const httplib::Request&, httplib::Response& res) {
                   send_json(res, fail_next_json(s.faults.pending_fail_next()));
               }));
    server.Delete(R"(/_emulator/fail-next/?)",
                  admin([&s](const httplib::Request&, httplib::Response& res) {
                      s.faults.clear_fail_next();
                      send_json(res, "[]");
                  }));
    server.Post(R"(/_emulator/fail-next/?)",
                admin([&s](const httplib::Request& req, httplib::Response& res) {
                    rapidjson::Document doc;
                    if (!admin_body(req, res, doc))
                        return;
                    ObjectReader r(doc);
                    FailNextRule rule;
                    std::string when = "before";
                    std::int64_t status = 500;
                    if (!r.get_string("route", rule.route)) {
                        return send_api_error(res, 422, r.ok() ? "route is required" : r.error());
                    }
                    r.get_int64("count", rule.remaining);
                    r.get_int64("status", status);
                    r.get_string("when", when);
                    if (!r.ok())
                        return send_api_error(res, 422, r.error());
                    if (!s.route_keys.count(rule.route)) {
                        std::string known;
                        for (const auto& k : s.route_keys)
                            known += (known.empty() ? "" : ", ") + k;
                        return send_api_error(
                            res, 422, "unknown route '" + rule.route + "' (known: " + known + ")");
                    }
                    if (rule.remaining < 1 || rule.remaining > 1'000'000) {
                        return send_api_error(res, 422, "count must be >= 1");
                    }
                    if (status < 400 || status > 599) {
                        return send_api_error(res, 422, "status must be from 400 to 599");
                    }
                    if (when != "before" && when != "after") {
                        return send_api_error(res, 422, "when must be \"before\" or \"after\"");
                    }
                    rule.status = static_cast<int>(status);
                    rule.after = when == "after";
                    s.faults.add_fail_next(rule);
                    send_json(res, fail_next_json(s.faults.pending_fail_next()));
                }));

    server.Get(R"(/_emulator/state/?)",
               admin([&s](const httplib::Request&, httplib::Response& res) {
                   s.checksums.settle();
                   auto lock = s.model.lock();
                   Json j;
                   state_json(s, j);
                   send_json(res, j.take());
               }));

    server.Post(R"(/_emulator/rate-limits/reset/?)",
                admin([&s](const httplib::Request&, httplib::Response& res) {
                    s.limiter.reset();
                    send_json(res, "{\"ok\":true}");
                }));

    server.Post(R"(/_emulator/tokens/?)",
                admin([&s](const httplib::Request& req, httplib::Response& res) {
                    rapidjson::Document doc;
                    if (!admin_body(req, res, doc))
                        return;
                    ObjectReader r(doc);
                    std::string token;
                    if (!r.get_string("token", token))
                        return send_api_error(res, 422, "token is required");
                    // "api": "v4" registers a legacy developer token of the V4 account (used on
                    // /v4 with x-frameio-legacy-token-auth: true); default "v2".
                    std::string api = "v2";
                    if (r.has("api") && (!r.get_string("api", api) || (api != "v2" && api != "v4")))
                        return send_api_error(res, 422, "api must be \"v2\" or \"v4\"");
                    std::string spec = token;
                    if (const auto* sc = r.get("scopes"); sc && !sc->IsNull()) {
                        if (!sc->IsArray())
                            return send_api_error(res, 422, "scopes must be an array");
                        spec += ":";
                        for (const auto& v : sc->GetArray()) {
                            if (!v.IsString())
                                return send_api_error(res, 422, "scopes must be strings");
                            spec += std::string(v.GetString(), v.GetStringLength()) + ",";
                        }
                    }
                    DevToken t;
                    if (auto err = parse_token_spec(spec, t))
                        return send_api_error(res, 422, *err);
                    if (api == "v4") {
                        if (t.scopes)
                            return send_api_error(res, 422, "V4 legacy tokens take no scopes");
                        s.v4_legacy_tokens->add(t);
                    } else {
                        s.tokens.add(t);
                    }
                    send_json(res, "{\"ok\":true}");
                }));
    server.Post(R"(/_emulator/tokens/revoke/?)",
                admin([&s](const httplib::Request& req, httplib::Response& res) {
                    rapidjson::Document doc;
                    if (!admin_body(req, res, doc))
                        return;
                    ObjectReader r(doc);
                    std::string token;
                    if (!r.get_string("token", token))
                        return send_api_error(res, 422, "token is required");
                    const bool v2 = s.tokens.revoke(token);
                    const bool v4 = s.v4_legacy_tokens->revoke(token);
                    if (!v2 && !v4)
                        return send_api_error(res, 404, "unknown token");
                    send_json(res, "{\"ok\":true}");
                }));

    server.Post(R"(/_emulator/assets/([^/]+)/corrupt/?)",
                admin([&s](const httplib::Request& req, httplib::Response& res) {
                    rapidjson::Document doc;
                    if (!admin_body(req, res, doc))
                        return;
                    ObjectReader r(doc);
                    std::string what = "checksum", value;
                    r.get_string("what", what);
                    const bool has_value = r.get_string("checksum", value);
                    if (!r.ok())
                        return send_api_error(res, 422, r.error());
                    const std::string id = ascii_lower(std::string(req.matches[1]));
                    if (what != "checksum" && what != "content") {
                        return send_api_error(res, 422, "what must be \"checksum\" or \"content\"");
                    }
                    {
                        auto lock = s.model.lock();
                        const Asset* a = completed_file(s, id, res);
                        if (!a)
                            return;
                        if (what == "content" && a->filesize == 0) {
                            return send_api_error(res, 422, "an empty file has no byte to corrupt");
                        }
                    }
                    // Record the true hash first, so that the corruption is what the client
                    // detects.
                    s.checksums.wait_hashed(id);
                    s.checksums.settle();
                    auto lock = s.model.lock();
                    Asset* a = s.model.asset(id);
                    if (!a)
                        return send_api_error(res, 404, "file asset not found");
                    if (what == "checksum") {
                        std::string bad = has_value ? value : a->computed_hash;
                        if (!has_value) {
                            if (bad.empty())
                                bad = "0000000000000000";
                            bad.back() = bad.back() == '0' ? '1' : '0';
                        }
                        s.model.force_checksum(*a, bad, s.clock.now());
                    } else {
                        const auto path = s.blobs.part_path(a->id, 0);
                        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
                        char byte = 0;
                        if (fd < 0 || ::pread(fd, &byte, 1, 0) != 1) {
                            if (fd >= 0)
                                ::close(fd);
                            return send_api_error(res, 500, "cannot open the stored content");
                        }
                        byte = static_cast<char>(byte ^ 0x5A);
                        const bool ok = ::pwrite(fd, &byte, 1, 0) == 1;
                        ::close(fd);
                        if (!ok)
                            return send_api_error(res, 500, "cannot write the stored content");
                    }
                    Json j;
                    j.begin_object();
                    j.key("id").str(a->id).key("what").str(what);
                    j.key("true_xx_hash").str_or_null(a->computed_hash);
                    j.key("published_xx_hash").opt_str(a->checksum);
                    j.end_object();
                    send_json(res, j.take());
                }));

    // The XXH64 of what is stored, for any completed file of either generation (V4 publishes
    // no checksum): lets a test compare contents without a counted download.
    server.Get(R"(/_emulator/assets/([^/]+)/content-hash/?)",
               admin([&s](const httplib::Request& req, httplib::Response& res) {
                   const std::string id = ascii_lower(std::string(req.matches[1]));
                   Asset copy;
                   {
                       auto lock = s.model.lock();
                       const Asset* a = completed_file(s, id, res);
                       if (!a)
                           return;
                       copy = *a;
                   }
                   Json j;
                   j.begin_object();
                   j.key("id").str(copy.id).key("xx_hash").str(s.blobs.hash_content(copy));
                   j.end_object();
                   send_json(res, j.take());
               }));
}

} // namespace fioemu
