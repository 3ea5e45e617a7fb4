// SPDX-License-Identifier: MIT
#include "core/options.hpp"

#include "core/auth.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside CLI11's
// CLI::detail::split (std::vector<std::string> growth); CLI11 is only used in this file.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

namespace fioemu {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool parse_i64(const std::string& s, std::int64_t& out) {
    if (s.empty())
        return false;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    out = v;
    return true;
}

std::optional<std::string> parse_rate_limit(const std::string& spec, RateClass& out) {
    // CLASS=N/WINDOW_MS
    const auto eq = spec.find('=');
    const auto slash = spec.find('/', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || slash == std::string::npos) {
        return "--rate-limit '" + spec + "' is not CLASS=N/WINDOW_MS";
    }
    out.name = spec.substr(0, eq);
    if (!is_rate_class(out.name)) {
        std::string known;
        for (const auto& c : default_rate_classes())
            known += (known.empty() ? "" : ", ") + c.name;
        return "--rate-limit: unknown class '" + out.name + "' (known: " + known + ")";
    }
    if (!parse_i64(spec.substr(eq + 1, slash - eq - 1), out.limit) || out.limit < 1 ||
        !parse_i64(spec.substr(slash + 1), out.window_ms) || out.window_ms < 1) {
        return "--rate-limit '" + spec + "': N and WINDOW_MS must be integers >= 1";
    }
    return std::nullopt;
}

std::optional<std::string> parse_oauth_client(const std::string& spec, OAuthClient& out) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
        return "--oauth-client '" + spec + "' is not ID=REDIRECT_URI";
    }
    out.id = spec.substr(0, eq);
    out.redirect_uri = spec.substr(eq + 1);
    if (out.redirect_uri.rfind("http://", 0) != 0 && out.redirect_uri.rfind("https://", 0) != 0) {
        return "--oauth-client: redirect URI '" + out.redirect_uri + "' must be http(s)://";
    }
    return std::nullopt;
}

/// ID[:SECRET],type=web|spa|native[,redirect=PATTERN]
std::optional<std::string> parse_ims_client(const std::string& spec, ImsClient& out) {
    // Never echo the secret: the spec is shown as ID:*** (or ID when it has none).
    const auto colon_at = spec.find(':');
    const auto id_end = std::min(colon_at, spec.find(','));
    const std::string what = "--ims-client '" + spec.substr(0, id_end) +
                             (colon_at != std::string::npos && colon_at == id_end ? ":***" : "") +
                             "'";
    std::vector<std::string> fields;
    std::size_t pos = 0;
    // The redirect pattern may itself hold commas: it is always the last field.
    const auto redirect_at = spec.find(",redirect=");
    const std::string head = spec.substr(0, redirect_at);
    while (pos <= head.size()) {
        auto comma = head.find(',', pos);
        if (comma == std::string::npos)
            comma = head.size();
        fields.push_back(head.substr(pos, comma - pos));
        pos = comma + 1;
    }
    if (redirect_at != std::string::npos)
        out.redirect = spec.substr(redirect_at + 10);
    const std::string& credential = fields.front();
    const auto colon = credential.find(':');
    out.id = credential.substr(0, colon);
    if (colon != std::string::npos)
        out.secret = credential.substr(colon + 1);
    if (out.id.empty() || (out.secret && out.secret->empty()))
        return what + ": the client id and a given secret must not be empty";
    bool typed = false;
    for (std::size_t i = 1; i < fields.size(); ++i) {
        const std::string& f = fields[i];
        if (f == "type=web" || f == "type=spa" || f == "type=native") {
            out.type = f == "type=web"   ? ImsClient::Type::web
                       : f == "type=spa" ? ImsClient::Type::spa
                                         : ImsClient::Type::native;
            typed = true;
        } else {
            return what + ": unknown field '" + f + "' (expected type=web|spa|native, redirect=)";
        }
    }
    if (!typed)
        return what + ": type=web, type=spa or type=native is required";
    if (out.type == ImsClient::Type::web && !out.secret)
        return what + ": a web credential needs a secret (ID:SECRET)";
    if (out.type != ImsClient::Type::web && out.secret)
        return what + ": spa and native credentials are public: they have no secret";
    if (!out.redirect.empty()) {
        const bool https = out.redirect.rfind("https://", 0) == 0;
        const bool adobe_scheme = out.redirect.rfind("adobe+", 0) == 0;
        if (out.type != ImsClient::Type::native && !https)
            return what + ": web and spa redirect URIs must be https:// (localhost included)";
        if (out.type == ImsClient::Type::native && !adobe_scheme)
            return what + ": native redirect URIs are adobe+<hash>://... (assigned by Adobe)";
    }
    return std::nullopt;
}

std::optional<std::string> parse_ims_s2s(const std::string& spec, ImsS2sClient& out) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
        return colon == std::string::npos
                   ? std::string("--ims-s2s: a value is not ID:SECRET (no ':'; not shown)")
                   : "--ims-s2s '" + spec.substr(0, colon) + ":***' is not ID:SECRET";
    out.id = spec.substr(0, colon);
    out.secret = spec.substr(colon + 1);
    return std::nullopt;
}

} // namespace

std::optional<std::string> parse_token_spec(const std::string& raw, DevToken& out) {
    const std::string spec = trim(raw);
    const auto colon = spec.find(':');
    out.token = spec.substr(0, colon);
    out.scopes.reset();
    if (out.token.empty())
        return std::string("a token must not be empty");
    for (char c : out.token) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return std::string("a token must not contain spaces or control characters");
        }
    }
    if (colon == std::string::npos)
        return std::nullopt;
    std::set<std::string> scopes;
    const std::string list = spec.substr(colon + 1);
    std::size_t pos = 0;
    while (pos <= list.size()) {
        auto comma = list.find(',', pos);
        if (comma == std::string::npos)
            comma = list.size();
        const std::string scope = trim(list.substr(pos, comma - pos));
        pos = comma + 1;
        if (scope.empty())
            continue;
        if (!is_known_scope(scope))
            return "unknown scope '" + scope + "'";
        scopes.insert(scope);
    }
    out.scopes = std::move(scopes);
    return std::nullopt;
}

std::optional<int> parse_command_line(int argc, const char* const* argv, Options& o,
                                      std::ostream& out_stream, std::ostream& err) {
    CLI::App app{"frameio-emulator: a local, faithful Frame.io server (V2, V4 and an Adobe IMS "
                 "stand-in) for tests and trials (docs/emulator.md)",
                 "frameio-emulator"};
    app.set_version_flag("--version", std::string("frameio-emulator ") + FIOEMU_VERSION);
    // A later single-valued option wins (wrappers append overrides, e.g. a restart on --port N
    // after EmulatorProcess's --port 0); repeatable options collect every value.
    app.option_defaults()->always_capture_default()->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);

    std::vector<std::string> token_specs, oauth_specs, rate_specs, ims_client_specs, ims_s2s_specs;
    std::string v4_page_size_policy = "reject";
    bool ims_no_rotation = false;
    std::string fault_spec;
    std::string folder_size = "aggregate";
    bool no_refresh_rotation = false;
    bool parts_after = false;

    app.add_option("--host", o.host, "Address to listen on");
    app.add_option("--port", o.port, "TCP port; 0 picks a free one")->check(CLI::Range(0, 65535));
    app.add_option("--data", o.data_dir,
                   "Directory for all state, blobs and the URL-signing key, kept across "
                   "restarts (default: a temp dir removed at exit)");
    app.add_option("--token-file", o.token_file,
                   "File of developer tokens, one TOKEN[:scope,scope...] per line (# comments)");
    app.add_option("--token", token_specs,
                   "Developer token TOKEN[:scope,scope...]; no scopes = every scope; repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--team", o.teams,
                   "Seed one more team with this name (besides \"Team\"); repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_flag("--seed-demo", o.seed_demo,
                 "On first start, create \"Demo Project\" with folders, files and a version stack");
    app.add_option("--part-size", o.part_size,
                   "Upload part size P: n = max(1, ceil(filesize / P)) parts (at most 10000)")
        ->check(CLI::Range(std::int64_t{1}, k_max_part_size));
    app.add_option("--page-size-max", o.page_size_max, "Cap on page_size for list endpoints")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
    app.add_option("--url-ttl", o.url_ttl, "Lifetime of signed upload and download URLs, seconds")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 365 * 86400));
    app.add_option("--checksum-delay", o.checksum_delay,
                   "Seconds (emulator clock) between upload completion and the checksum")
        ->check(CLI::Range(0.0, 365.0 * 86400));
    app.add_option("--no-checksum-rate", o.no_checksum_rate,
                   "Share 0..1 of new files that never get a checksum (seeded by the fault seed)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--token-ttl", o.token_ttl, "OAuth access-token lifetime, seconds")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 365 * 86400));
    app.add_option("--oauth-client", oauth_specs,
                   "Register OAuth client ID with redirect URI (then only registered clients are "
                   "accepted; loopback redirects may use any port); repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--rate-limit", rate_specs,
                   "Override a rate-limit class: CLASS=N/WINDOW_MS; repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_flag("--no-rate-limit", o.no_rate_limit, "Never answer 429 (headers still sent)");
    app.add_option("--faults", fault_spec,
                   "Seeded faults: api5xx,part5xx,download5xx,partreset,truncate=P (0..1), "
                   "latency_ms=N, seed=N, burst429=N; comma-separated key=value");
    app.add_option("--threads", o.threads, "Worker threads (each kept-alive connection holds one)")
        ->check(CLI::Range(1, 4096));

    // Behaviours the reference marks UNCONFIRMED: defaults are the hardest on a client.
    app.add_option("--refresh-ttl", o.refresh_ttl,
                   "OAuth refresh-token lifetime, seconds, counted from the login")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 365 * 86400));
    app.add_flag("--no-refresh-rotation", no_refresh_rotation,
                 "Keep refresh tokens valid after use (default: rotate; reuse revokes the login)");
    app.add_flag("--retry-after", o.retry_after, "Send Retry-After with 429 (default: not sent)");
    app.add_option("--delete-status", o.delete_status,
                   "Status of a successful V2 DELETE (assets, projects): 200 with the deleted "
                   "resource, as the V2 reference says (default), or 204 with no body")
        ->check(CLI::IsMember({200, 204}));
    app.add_flag("--deleted-visible", o.deleted_visible,
                 "GET /v2/assets/{id} shows a deleted asset without include_deleted "
                 "(default: 404)");
    app.add_option("--folder-size", folder_size,
                   "filesize of folders: aggregate (sum of the files below) or zero")
        ->check(CLI::IsMember({"aggregate", "zero"}));
    app.add_flag("--accept-parts-after-completion", parts_after,
                 "Answer 200 (and ignore the bytes) to a part PUT after the upload completed "
                 "(default: 404 NoSuchUpload, as S3 after CompleteMultipartUpload)");
    app.add_option("--project-updated-on", o.project_updated_on,
                   "What bumps a project's updated_at: any (every asset change) or counters "
                   "(only changes of file_count, folder_count or storage)")
        ->check(CLI::IsMember({"any", "counters"}));
    // V4 and Adobe IMS.
    app.add_option("--v4-legacy-token", o.v4_legacy_tokens,
                   "Developer token of a V4-migrated account: accepted on /v4 only with "
                   "x-frameio-legacy-token-auth: true; repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--ims-client", ims_client_specs,
                   "Adobe IMS credential ID[:SECRET],type=web|spa|native[,redirect=PATTERN] "
                   "(none: any client is accepted as web); repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--ims-s2s", ims_s2s_specs,
                   "Adobe IMS server-to-server credential ID:SECRET (client_credentials); "
                   "repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_flag("--ims-no-rotation", ims_no_rotation,
                 "IMS refresh tokens stay valid after use (default: a new one on every "
                 "refresh, the old one revoked)");
    app.add_flag("--ims-refresh-for-public", o.ims_refresh_for_public,
                 "Give spa and native credentials refresh tokens (UNCONFIRMED at Adobe; "
                 "default: none)");
    app.add_option("--v4-part-size", o.v4_part_size,
                   "V4 upload part size P: n = ceil(file_size / P) parts of ceil(size / n) bytes")
        ->check(CLI::Range(std::int64_t{1}, k_max_part_size));
    app.add_option("--v4-page-size-policy", v4_page_size_policy,
                   "V4 page_size out of range: reject (422) or clamp")
        ->check(CLI::IsMember({"reject", "clamp"}));
    app.add_flag("--v4-lenient-query", o.v4_lenient_query,
                 "Ignore unknown V4 query parameters (default: 422)");
    app.add_flag("--v4-bump-ancestors", o.v4_bump_ancestors,
                 "A change inside a V4 folder bumps the updated_at of its folders and project "
                 "(default: only the changed item's)");
    app.add_option("--transcode-delay", o.transcode_delay,
                   "Seconds (emulator clock) from a V4 upload's completion to status transcoded "
                   "(media files only)")
        ->check(CLI::Range(0.0, 365.0 * 86400));
    app.add_option("--v4-complete-delay", o.v4_complete_delay,
                   "Seconds (emulator clock) from a V4 upload's last part until it shows complete "
                   "(status, media links, downloads; default 0: at once)")
        ->check(CLI::Range(0.0, 365.0 * 86400));
    app.add_option("--v4-link-ttl", o.v4_link_ttl,
                   "Lifetime of V4 media links, seconds (default 0: until the next UTC noon or "
                   "midnight, as Frame.io's FAQ states)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{10} * 365 * 86400));

    app.add_option("--keep-alive-timeout", o.keep_alive_timeout,
                   "Seconds an idle kept-alive connection stays open")
        ->check(CLI::Range(1, 3600));
    app.add_option("--io-timeout", o.io_timeout,
                   "Seconds a read or write on a connection may stall before it is dropped")
        ->check(CLI::Range(1, 3600));
    app.add_flag("--quiet", o.quiet, "Do not log one line per request on stderr");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, out_stream, err);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, out_stream, err);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e, out_stream, err);
    } catch (const CLI::ParseError& e) {
        err << "frameio-emulator: " << e.what() << "\nRun with --help for usage.\n";
        return 2;
    }

    const auto fail = [&](const std::string& msg) {
        err << "frameio-emulator: " << msg << "\n";
        return std::optional<int>(2);
    };
    if (o.host.empty())
        return fail("--host must not be empty");
    for (const auto& spec : token_specs) {
        DevToken t;
        if (auto e = parse_token_spec(spec, t))
            return fail("--token: " + *e);
        o.tokens.push_back(std::move(t));
    }
    if (!o.token_file.empty()) {
        std::ifstream f(o.token_file);
        if (!f)
            return fail("--token-file: cannot read '" + o.token_file + "'");
        std::string line;
        int n = 0;
        while (std::getline(f, line)) {
            ++n;
            const std::string t = trim(line);
            if (t.empty() || t[0] == '#')
                continue;
            DevToken tok;
            if (auto e = parse_token_spec(t, tok)) {
                return fail("--token-file line " + std::to_string(n) + ": " + *e);
            }
            o.tokens.push_back(std::move(tok));
        }
    }
    for (const auto& spec : oauth_specs) {
        OAuthClient c;
        if (auto e = parse_oauth_client(spec, c))
            return fail(*e);
        o.oauth_clients.push_back(std::move(c));
    }
    for (const auto& spec : rate_specs) {
        RateClass c;
        if (auto e = parse_rate_limit(spec, c))
            return fail(*e);
        o.rate_limits.push_back(std::move(c));
    }
    if (auto e = parse_fault_spec(fault_spec, o.faults))
        return fail("--faults: " + *e);
    for (const auto& t : o.teams) {
        if (trim(t).empty())
            return fail("--team: a team name must not be empty");
    }
    if (!std::isfinite(o.checksum_delay))
        return fail("--checksum-delay must be finite");
    for (const auto& spec : ims_client_specs) {
        ImsClient c;
        if (auto e = parse_ims_client(spec, c))
            return fail(*e);
        o.ims_clients.push_back(std::move(c));
    }
    for (const auto& spec : ims_s2s_specs) {
        ImsS2sClient c;
        if (auto e = parse_ims_s2s(spec, c))
            return fail(*e);
        o.ims_s2s_clients.push_back(std::move(c));
    }
    for (const auto& t : o.v4_legacy_tokens) {
        DevToken tok;
        if (auto e = parse_token_spec(t, tok); e || tok.scopes)
            return fail("--v4-legacy-token: " + (e ? *e : std::string("takes no scopes")));
    }
    if (!std::isfinite(o.transcode_delay))
        return fail("--transcode-delay must be finite");
    if (!std::isfinite(o.v4_complete_delay))
        return fail("--v4-complete-delay must be finite");
    // One flag, two defaults: V2 OAuth (3600 s, 30 days) and IMS (86399 s, 14 days).
    if (app.count("--token-ttl") > 0)
        o.ims_token_ttl = o.token_ttl;
    if (app.count("--refresh-ttl") > 0)
        o.ims_refresh_ttl = o.refresh_ttl;
    o.ims_rotation = !ims_no_rotation;
    o.v4_page_size_clamp = v4_page_size_policy == "clamp";
    o.refresh_rotation = !no_refresh_rotation;
    o.folder_size_aggregate = folder_size == "aggregate";
    o.parts_after_completion = parts_after;
    return std::nullopt;
}

} // namespace fioemu
