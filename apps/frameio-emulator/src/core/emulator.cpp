// SPDX-License-Identifier: MIT
#include "core/emulator.hpp"

#include "core/admin.hpp"
#include "core/api.hpp"
#include "core/auth.hpp"
#include "core/blobs.hpp"
#include "core/checksum.hpp"
#include "core/crypto.hpp"
#include "core/errors.hpp"
#include "core/faults.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/rate_limit.hpp"
#include "core/stats.hpp"
#include "core/store.hpp"
#include "core/transfer.hpp"
#include "ims/ims.hpp"
#include "v2/oauth.hpp"
#include "v2/routes.hpp"
#include "v2/seed.hpp"
#include "v4/api.hpp"
#include "v4/routes.hpp"
#include "v4/seed.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sys/file.h>
#include <thread>

namespace fioemu {

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t k_max_api_body = 16LL << 20;
const char* const k_temp_prefix = "frameio-emulator-";

fs::path temp_root() {
    const char* t = std::getenv("TMPDIR");
    return (t && *t) ? fs::path(t) : fs::path("/tmp");
}

/// Removes temp state dirs left by emulators that were killed (SIGKILL skips our cleanup).
/// A dir is ours if its name is frameio-emulator-<pid>-XXXXXX, it holds our marker file, and
/// that pid no longer exists.
void sweep_stale_temp_dirs() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(temp_root(), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(k_temp_prefix, 0) != 0)
            continue;
        const std::string rest = name.substr(std::strlen(k_temp_prefix));
        const long pid = std::strtol(rest.c_str(), nullptr, 10);
        if (pid <= 0 || !fs::exists(e.path() / ".frameio-emulator-temp", ec))
            continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)
            continue;
        fs::remove_all(e.path(), ec);
    }
}

std::string make_temp_dir() {
    sweep_stale_temp_dirs();
    std::string templ =
        (temp_root() / (std::string(k_temp_prefix) + std::to_string(::getpid()) + "-XXXXXX"))
            .string();
    if (!::mkdtemp(templ.data()))
        throw std::runtime_error("cannot create a temp dir: " + std::string(std::strerror(errno)));
    std::FILE* f = std::fopen((fs::path(templ) / ".frameio-emulator-temp").c_str(), "w");
    if (f)
        std::fclose(f);
    return templ;
}

std::string url_host(const std::string& host) {
    return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

/// Control characters of a decoded path (%0a...) as \xNN, so that a request cannot forge log
/// lines.
std::string printable(std::string_view text) {
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out;
}

void log_line(const std::string& line) {
    const std::string l = "frameio-emulator: " + line + "\n";
    std::fwrite(l.data(), 1, l.size(), stderr);
}

} // namespace

int run_emulator(const Options& options) {
    // --- state -----------------------------------------------------------------------------
    const bool temporary = options.data_dir.empty();
    std::string data_dir;
    try {
        data_dir = temporary ? make_temp_dir() : options.data_dir;
        fs::create_directories(data_dir);
    } catch (const std::exception& e) {
        log_line(std::string("cannot use the data directory: ") + e.what());
        return 1;
    }
    struct Cleanup {
        bool temporary;
        std::string dir;
        ~Cleanup() {
            std::error_code ec;
            if (temporary)
                fs::remove_all(dir, ec);
        }
    } cleanup{temporary, data_dir};

    const std::string lock_path = (fs::path(data_dir) / "lock").string();
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        log_line("the data directory " + data_dir + " is in use by another frameio-emulator");
        return 2;
    }

    std::unique_ptr<Store> store;
    Clock clock;
    ModelSettings settings;
    settings.part_size = options.part_size;
    settings.checksum_delay = static_cast<Micros>(options.checksum_delay * 1e6);
    settings.transcode_delay = static_cast<Micros>(options.transcode_delay * 1e6);
    settings.v4_complete_delay = static_cast<Micros>(options.v4_complete_delay * 1e6);
    settings.project_updated_on_any = options.project_updated_on == "any";
    settings.v4_bump_ancestors = options.v4_bump_ancestors;
    std::unique_ptr<Model> model;
    std::string signing_key;
    try {
        store = std::make_unique<Store>((fs::path(data_dir) / "emulator.db").string());
        model = std::make_unique<Model>(*store, settings);
        model->load();
        if (auto off = store->kv_get("clock_offset"))
            clock.set_offset(std::stoll(*off));
        if (auto key = store->kv_get("url_signing_key")) {
            signing_key = *key;
        } else {
            signing_key = hex(random_bytes(32));
            store->kv_set("url_signing_key", signing_key);
        }
    } catch (const std::exception& e) {
        log_line(std::string("cannot open the state: ") + e.what());
        return 1;
    }

    BlobStore blobs(fs::path(data_dir) / "blobs");
    UrlSigner signer(signing_key);
    TokenRegistry tokens;
    for (const auto& t : options.tokens)
        tokens.add(t);
    RateLimiter limiter(options.rate_limits, !options.no_rate_limit);
    FaultInjector faults;
    faults.configure(options.faults);
    Stats stats;
    Checksummer checksums(*model, blobs, clock);
    TokenRegistry v4_legacy_tokens;
    for (const auto& t : options.v4_legacy_tokens)
        v4_legacy_tokens.add(DevToken{t, std::nullopt});
    ImsAuthority ims(*model, options);
    Services services{options, clock,  *model, blobs,     signer, tokens,
                      limiter, faults, stats,  checksums, {},     {}};
    services.v4_legacy_tokens = &v4_legacy_tokens;
    services.ims = &ims;

    try {
        ims.load();
        seed_hierarchy(services);
        seed_v4_hierarchy(services);
    } catch (const std::exception& e) {
        log_line(std::string("cannot seed the state: ") + e.what());
        return 1;
    }

    // --- HTTP ------------------------------------------------------------------------------
    HttpServer server(options.keep_alive_timeout, options.io_timeout);
    const auto threads = static_cast<std::size_t>(options.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };

    server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        RequestContext& ctx = current_request();
        // Range applies to downloads only, which parse it themselves: cpp-httplib must never
        // cut an API answer or an error body to the client's Range.
        const_cast<httplib::Request&>(req).ranges.clear();
        if (req.path.rfind("/_emulator/", 0) == 0)
            ctx.admin = true;
        if (req.path.rfind("/parts/", 0) == 0)
            return httplib::Server::HandlerResponse::Unhandled;
        const std::string cl = req.get_header_value("Content-Length");
        if (!cl.empty() && cl.find_first_not_of("0123456789") != std::string::npos) {
            ctx.close_after = true;
            res.status = 400;
            res.set_content(error_body_for_path(req.path, 400, "invalid Content-Length"),
                            k_json_type);
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!cl.empty() && (cl.size() > 15 || std::stoll(cl) > k_max_api_body)) {
            ctx.close_after = true;
            res.status = 413;
            res.set_content(
                error_body_for_path(req.path, 413, "request body too large (16 MiB at most)"),
                k_json_type);
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // Chunked request bodies have no Content-Length to refuse up front: reading stops at the
    // same limit (413). Part PUTs read their bodies themselves.
    server.set_max_chunked_body(k_max_api_body + (1 << 20)); // + chunk framing
    server.set_expect_100_continue_handler(
        [&services](const httplib::Request& req, httplib::Response& res) {
            return check_expect_continue(services, req, res);
        });

    register_v2_hierarchy_routes(server, services);
    register_v2_asset_routes(server, services);
    register_v4_hierarchy_routes(server, services);
    register_v4_asset_routes(server, services);
    register_v4_upload_routes(server, services);
    register_ims_routes(server, services);
    register_transfer_routes(server, services);
    register_oauth_routes(server, services);
    register_admin_routes(server, services);
    const auto unmatched = [&services](const httplib::Request& req, httplib::Response& res) {
        RequestContext& ctx = current_request();
        if (!ctx.admin)
            count_request(services, req.method + " (unmatched)");
        res.status = 404;
        res.set_content(
            error_body_for_path(req.path, 404, "No route for " + req.method + " " + req.path),
            k_json_type);
    };
    server.Get(".*", unmatched);
    server.Post(".*", unmatched);
    server.Put(".*", unmatched);
    server.Delete(".*", unmatched);
    server.Patch(".*", unmatched);
    server.Options(".*", unmatched);

    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& req, httplib::Response& res) {
            if (current_request().body_over_limit) {
                res.status = 413;
                res.body.clear();
                current_request().close_after = true;
                res.set_header("Connection", "close");
            }
            if (!res.body.empty() || res.content_length_ > 0 || req.method == "HEAD") {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            // Errors cpp-httplib answers itself (a chunked body over the payload limit, a
            // path no route pattern matched) in the shape of the API the path belongs to.
            const std::string& path = req.path.empty() ? req.target : req.path;
            res.set_content(
                error_body_for_path(path, res.status, std::string(reason_phrase(res.status))),
                k_json_type);
            return httplib::Server::HandlerResponse::Handled;
        }));
    server.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
            std::string what = "unknown";
            try {
                if (ep)
                    std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            log_line("error in " + req.method + " " + printable(req.path) + ": " + what);
            res.headers.clear();
            send_api_error(res, 500, "internal error");
        });
    const bool quiet = options.quiet;
    // Statuses are counted just before the response is written, so that a client holding its
    // response always finds it in GET /_emulator/stats.
    server.set_post_routing_handler(
        [&services](const httplib::Request& req, httplib::Response& res) {
            RequestContext& ctx = current_request();
            if (ctx.admin || ctx.status_counted)
                return;
            if (!ctx.counted)
                count_request(services, req.method + " (unmatched)");
            ctx.status_counted = true;
            // A connection cut before the status line went out (partreset) has no status.
            services.stats.count_status(ctx.aborted && !ctx.answered ? std::string("reset")
                                                                     : std::to_string(res.status));
        });
    server.set_logger(
        [&services, quiet](const httplib::Request& req, const httplib::Response& res) {
            RequestContext& ctx = current_request();
            if (ctx.admin)
                return;
            const std::string status =
                ctx.aborted && !ctx.answered ? std::string("reset") : std::to_string(res.status);
            if (!ctx.status_counted) { // answers cpp-httplib wrote without routing (e.g. 400)
                if (!ctx.counted)
                    count_request(services, req.method + " (unmatched)");
                ctx.status_counted = true;
                services.stats.count_status(status);
            }
            if (!quiet) {
                const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - ctx.start)
                                    .count();
                char buf[64];
                std::snprintf(buf, sizeof buf, " %s%s %.1fms", status.c_str(),
                              ctx.aborted && ctx.answered ? " (cut short)" : "",
                              static_cast<double>(us) / 1000.0);
                // The path only: query strings carry URL signatures and OAuth codes.
                log_line(req.method + " " + printable(req.path) + buf);
            }
        });
    server.on_request_end = [&services](RequestContext& ctx) {
        if (ctx.admin || ctx.status_counted)
            return;
        if (!ctx.counted) {
            if (ctx.method.empty())
                return;
            count_request(services, ctx.method + " (unmatched)");
        }
        ctx.status_counted = true;
        services.stats.count_status(ctx.raw_status ? std::to_string(ctx.raw_status)
                                    : ctx.answered ? "incomplete"
                                                   : "reset");
    };

    int port = options.port;
    if (port == 0) {
        port = server.bind_to_any_port(options.host);
        if (port < 0) {
            log_line("cannot listen on " + options.host + " (any port)");
            return 1;
        }
    } else if (!server.bind_to_port(options.host, port)) {
        log_line("cannot listen on " + options.host + ":" + std::to_string(port) +
                 " (address in use or not available)");
        return 1;
    }
    server.raise_backlog(1024);
    services.base_url = "http://" + url_host(options.host) + ":" + std::to_string(port);

    checksums.start();
    if (options.seed_demo) {
        try {
            seed_demo(services);
            seed_v4_demo(services);
        } catch (const std::exception& e) {
            log_line(std::string("cannot seed the demo project: ") + e.what());
            checksums.stop();
            return 1;
        }
    }

    std::atomic<bool> server_done{false};
    std::thread server_thread([&] {
        server.listen_after_bind();
        server_done.store(true);
    });
    while (!server.is_running() && !server_done.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (server_done.load()) {
        server_thread.join();
        checksums.stop();
        log_line("the server stopped at once");
        return 1;
    }
    std::printf("listening on %s\n", services.base_url.c_str());
    std::fflush(stdout);
    log_line("serving " + data_dir + (temporary ? " (temporary)" : "") + ", " +
             std::to_string(tokens.size()) + " developer token(s), " + std::to_string(threads) +
             " threads");

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec tick{0, 200'000'000};
    int sig = 0;
    while (!server_done.load()) {
        sig = ::sigtimedwait(&set, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    log_line(sig > 0 ? std::string("stopping (") + ::strsignal(sig) + ")" : "server stopped");
    server.begin_shutdown();
    server.stop();
    server_thread.join();
    checksums.stop();
    model.reset();
    store.reset();
    ::close(lock_fd);
    return sig > 0 ? 0 : 1;
}

} // namespace fioemu
