// SPDX-License-Identifier: MIT
#include "fios/config/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fios::config {

namespace {

std::vector<SettingSpec> make_registry() {
    std::vector<SettingSpec> r;
    auto add = [&](std::string_view name, SettingType type, std::optional<Value> default_value,
                   std::string_view description) -> SettingSpec& {
        SettingSpec s;
        s.name = name;
        s.type = type;
        s.default_value = std::move(default_value);
        s.description = description;
        r.push_back(std::move(s));
        return r.back();
    };
    auto text = [](const char* s) { return std::optional<Value>(Value{std::string(s)}); };
    auto integer = [](std::int64_t v) { return std::optional<Value>(Value{v}); };

    add("api", SettingType::string, text("v4"),
        "Frame.io API generation: v4 (Adobe login) or v2 (legacy accounts, the emulator's V2)")
        .choices = {"v4", "v2"};
    {
        auto& s = add("api_url", SettingType::string, text("https://api.frame.io"),
                      "Frame.io API base URL (point it at frameio-emulator for tests)");
        s.env_override = "FRAMEIO_API_URL";
        s.url = true;
    }
    {
        auto& s = add("ims_url", SettingType::string, text("https://ims-na1.adobelogin.com"),
                      "Adobe IMS base URL: the V4 login server");
        s.env_override = "FRAMEIO_IMS_URL";
        s.url = true;
    }
    {
        auto& s = add("auth_url", SettingType::string, text("https://applications.frame.io"),
                      "OAuth authorization server base URL (V2 logins)");
        s.env_override = "FRAMEIO_AUTH_URL";
        s.url = true;
    }
    add("client_id", SettingType::string, std::nullopt,
        "OAuth client id for `login --oauth` (no default)");
    {
        // Never a flag: argv is visible to every user in the process list.
        auto& s = add("client_secret", SettingType::string, std::nullopt,
                      "client secret of a Web App or server-to-server Adobe credential; "
                      "shown as (set), never printed");
        s.env_override = "FRAMEIO_CLIENT_SECRET";
        s.secret = true;
        s.flag = false;
    }
    add("redirect_uri", SettingType::string, text("http://127.0.0.1:8080"),
        "OAuth redirect URI; a loopback one is listened on during login")
        .url = true;
    {
        auto& s = add("jobs", SettingType::integer, integer(4), "files transferred at once");
        s.min = 1;
        s.max = 64;
    }
    {
        auto& s = add("part_jobs", SettingType::integer, integer(4),
                      "parts of one file transferred at once");
        s.min = 1;
        s.max = 64;
    }
    {
        auto& s = add("settle_seconds", SettingType::integer, integer(5),
                      "a local file is uploaded once its size and mtime are unchanged this long");
        s.min = 0;
        s.max = 86400;
    }
    {
        auto& s = add("watch_interval_seconds", SettingType::integer, integer(60),
                      "sync --watch checks Frame.io this often (--interval overrides it)");
        s.min = 1;
        s.max = 7 * 86400;
    }
    {
        auto& s = add("free_space_margin_mb", SettingType::integer, integer(64),
                      "MiB that must stay free on the sync folder's file system after each "
                      "download");
        s.min = 0;
        s.max = 1024 * 1024;
    }
    add("verify", SettingType::string, text("size"),
        "how a fresh V4 upload is checked: size (the server's size), or readback (download it "
        "and compare its hash)")
        .choices = {"size", "readback"};
    {
        auto& s = add("verify_timeout_seconds", SettingType::integer, integer(60),
                      "how long a run waits for Frame.io's checksum of an upload (V2)");
        s.min = 0;
        s.max = 86400;
    }
    {
        auto& s = add("response_timeout_seconds", SettingType::integer, integer(30),
                      "how long a request waits for the first byte of an answer before it is "
                      "tried again");
        s.min = 1;
        s.max = 3600;
    }
    add("log_level", SettingType::string, text("info"),
        "messages shown on stderr: error, warn, info, debug or trace")
        .choices = {"error", "warn", "info", "debug", "trace"};
    return r;
}

const std::vector<SettingSpec>& registry() {
    static const std::vector<SettingSpec> settings = make_registry();
    return settings;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("jbos").
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[n][m];
}

[[noreturn]] void programming_error(std::string_view what, std::string_view name) {
    std::fprintf(stderr, "frameio-sync: internal error: %.*s '%.*s'\n",
                 static_cast<int>(what.size()), what.data(), static_cast<int>(name.size()),
                 name.data());
    std::abort();
}

} // namespace

std::string_view describe(SettingType type) {
    switch (type) {
    case SettingType::string:
        return "a string";
    case SettingType::integer:
        return "an integer";
    case SettingType::number:
        return "a number";
    case SettingType::boolean:
        return "a boolean (true or false)";
    case SettingType::string_list:
        return "a list of strings";
    }
    return "a string";
}

std::string format_value(const Value& value) {
    struct Visitor {
        // A TOML basic string that parse_config reads back as `s`: control characters are
        // escaped, never written raw (config.toml refuses them, and a terminal obeys them).
        std::string operator()(const std::string& s) const {
            std::string out = "\"";
            for (char c : s) {
                const auto u = static_cast<unsigned char>(c);
                if (c == '"' || c == '\\') {
                    out += '\\';
                    out += c;
                } else if (c == '\t') {
                    out += "\\t";
                } else if (c == '\n') {
                    out += "\\n";
                } else if (u < 0x20 || u == 0x7f) {
                    out += fmt::format("\\u{:04X}", u);
                } else {
                    out += c;
                }
            }
            return out + "\"";
        }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(double v) const { return fmt::format("{}", v); }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(const std::vector<std::string>& v) const {
            std::string out = "[";
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (i)
                    out += ", ";
                out += (*this)(v[i]);
            }
            return out + "]";
        }
    };
    return std::visit(Visitor{}, value);
}

std::span<const SettingSpec> all_settings() {
    return registry();
}

const SettingSpec* find_setting(std::string_view name) {
    for (const auto& s : registry()) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

std::optional<std::string_view> closest_setting(std::string_view unknown) {
    const std::string needle = lower(unknown);
    std::optional<std::string_view> best;
    std::size_t best_distance = 0;
    for (const auto& s : registry()) {
        const std::size_t d = edit_distance(needle, s.name);
        if (!best || d < best_distance) {
            best = s.name;
            best_distance = d;
        }
    }
    // Close enough to be a typo: at most 2 edits, and fewer than a third of the name.
    const std::size_t limit = std::min<std::size_t>(2, std::max<std::size_t>(1, needle.size() / 3));
    if (best && best_distance <= limit)
        return best;
    return std::nullopt;
}

std::string env_var_for(const SettingSpec& spec) {
    if (!spec.env_override.empty())
        return std::string(spec.env_override);
    std::string out = "FRAMEIO_SYNC_";
    for (char c : spec.name)
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string flag_for(const SettingSpec& spec) {
    std::string out = "--";
    for (char c : spec.name)
        out += c == '_' ? '-' : c;
    return out;
}

Status validate_value(const SettingSpec& spec, const Value& value, std::string_view where) {
    auto fail = [&](std::string what) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("setting '{}' {} {}", spec.name, where, what)};
    };
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
        if (spec.min && *i < *spec.min) {
            return fail(fmt::format("must be at least {}, not {}", *spec.min, *i));
        }
        if (spec.max && *i > *spec.max) {
            return fail(fmt::format("must be at most {}, not {}", *spec.max, *i));
        }
    }
    if (const auto* s = std::get_if<std::string>(&value)) {
        // A secret is never quoted back, whatever rule it breaks.
        const std::string_view shown = spec.secret ? std::string_view("(redacted)") : *s;
        if (spec.secret && s->empty()) {
            return fail("must not be empty; remove it to leave it unset");
        }
        if (spec.url && !(s->starts_with("http://") || s->starts_with("https://"))) {
            return fail(
                fmt::format("must be a URL starting with http:// or https://, not '{}'", shown));
        }
        const std::size_t host_start = s->find("://") + 3;
        if (spec.url && (s->find_first_of(" \t\r\n") != std::string::npos ||
                         host_start >= s->size() || (*s)[host_start] == '/')) {
            return fail(fmt::format("is not a valid URL: '{}'", shown));
        }
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), *s) == spec.choices.end()) {
            std::string list;
            for (auto c : spec.choices) {
                if (!list.empty())
                    list += ", ";
                list += c;
            }
            return fail(fmt::format("must be one of {}, not '{}'", list, shown));
        }
    }
    return {};
}

Result<Value> parse_text_value(const SettingSpec& spec, std::string_view text,
                               std::string_view where) {
    auto fail = [&]() {
        return Error{ErrorCode::invalid_config,
                     fmt::format("{}='{}' is not {} (setting '{}')", where,
                                 spec.secret ? std::string_view("(redacted)") : text,
                                 describe(spec.type), spec.name)};
    };
    Value value;
    switch (spec.type) {
    case SettingType::string:
        value = std::string(text);
        break;
    case SettingType::integer: {
        const auto t = trim(text);
        std::int64_t v = 0;
        const char* begin = t.data();
        if (!t.empty() && t.front() == '+')
            ++begin;
        auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), v);
        if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
            return fail();
        value = v;
        break;
    }
    case SettingType::number: {
        const std::string t(trim(text));
        char* end = nullptr;
        const double v = std::strtod(t.c_str(), &end);
        if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v))
            return fail();
        value = v;
        break;
    }
    case SettingType::boolean: {
        const auto t = lower(trim(text));
        if (t == "true" || t == "1" || t == "yes" || t == "on") {
            value = true;
        } else if (t == "false" || t == "0" || t == "no" || t == "off") {
            value = false;
        } else {
            return fail();
        }
        break;
    }
    case SettingType::string_list: {
        std::vector<std::string> items;
        std::string_view rest = text;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto item = trim(rest.substr(0, comma));
            if (!item.empty())
                items.emplace_back(item);
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
        value = std::move(items);
        break;
    }
    }
    if (auto s = validate_value(spec, value, fmt::format("from {}", where)); !s) {
        return s.error();
    }
    return value;
}

std::string_view to_string(Source source) {
    switch (source) {
    case Source::default_value:
        return "default";
    case Source::file:
        return "file";
    case Source::environment:
        return "environment";
    case Source::flag:
        return "flag";
    }
    return "default";
}

// --- Settings -------------------------------------------------------------------------------

const Effective& Settings::get(std::string_view name) const {
    for (const auto& e : m_values) {
        if (e.spec->name == name)
            return e;
    }
    programming_error("unknown setting", name);
}

namespace {
template <class T>
const T* typed(const Effective& e, std::string_view name) {
    if (!e.value)
        return nullptr;
    const T* v = std::get_if<T>(&*e.value);
    if (v == nullptr)
        programming_error("wrong type requested for setting", name);
    return v;
}
} // namespace

std::optional<std::string> Settings::optional_string(std::string_view name) const {
    const Effective& e = get(name);
    if (e.spec->secret)
        programming_error("secret setting read as a string (use Settings::secret())", name);
    const auto* v = typed<std::string>(e, name);
    if (!v)
        return std::nullopt;
    return *v;
}

std::string Settings::string(std::string_view name) const {
    return optional_string(name).value_or(std::string());
}

std::int64_t Settings::integer(std::string_view name) const {
    const auto* v = typed<std::int64_t>(get(name), name);
    if (!v)
        programming_error("integer setting without a value", name);
    return *v;
}

double Settings::number(std::string_view name) const {
    const auto* v = typed<double>(get(name), name);
    if (!v)
        programming_error("number setting without a value", name);
    return *v;
}

bool Settings::boolean(std::string_view name) const {
    const auto* v = typed<bool>(get(name), name);
    if (!v)
        programming_error("boolean setting without a value", name);
    return *v;
}

std::vector<std::string> Settings::strings(std::string_view name) const {
    const auto* v = typed<std::vector<std::string>>(get(name), name);
    if (!v)
        return {};
    return *v;
}

std::optional<std::string> Settings::secret(std::string_view name) const {
    if (!get(name).spec->secret)
        programming_error("Settings::secret() used for a setting that is not secret", name);
    if (auto it = m_secrets.find(name); it != m_secrets.end())
        return it->second;
    return std::nullopt;
}

Result<Settings> resolve_settings(const std::map<std::string, std::string, std::less<>>& flags,
                                  const Environment& env, const ConfigFile* file) {
    for (const auto& [name, text] : flags) {
        const SettingSpec* spec = find_setting(name);
        if (!spec) {
            return Error{ErrorCode::internal, fmt::format("flag for unknown setting '{}'", name)};
        }
        if (!spec->flag) {
            return Error{ErrorCode::invalid_config,
                         fmt::format("setting '{}' cannot be given on the command line ({}): "
                                     "other users can read the command line in the process "
                                     "list. Set {} or put it in the config file (mode 0600)",
                                     spec->name, flag_for(*spec), env_var_for(*spec))};
        }
    }
    Settings out;
    for (const SettingSpec& spec : registry()) {
        Effective e;
        e.spec = &spec;
        e.value = spec.default_value;
        e.origin = {Source::default_value, "default"};
        if (file) {
            for (const auto& entry : file->entries) {
                if (entry.key != spec.name)
                    continue;
                e.value = entry.value;
                e.origin = {Source::file, fmt::format("{}:{}", file->path.string(), entry.line)};
            }
        }
        const std::string var = env_var_for(spec);
        if (auto text = env.get(var)) {
            auto v = parse_text_value(spec, *text, var);
            if (!v)
                return v.error();
            e.value = std::move(*v);
            e.origin = {Source::environment, var};
        }
        if (auto it = flags.find(spec.name); it != flags.end()) {
            const std::string flag = flag_for(spec);
            auto v = parse_text_value(spec, it->second, flag);
            if (!v)
                return v.error();
            e.value = std::move(*v);
            e.origin = {Source::flag, flag};
        }
        if (spec.secret && e.value) {
            out.m_secrets.emplace(spec.name, std::get<std::string>(*e.value));
            e.value = Value{std::string(k_secret_placeholder)};
        }
        out.m_values.push_back(std::move(e));
    }
    return out;
}

} // namespace fios::config
