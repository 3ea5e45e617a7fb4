// SPDX-License-Identifier: MIT
#include "fios/config/toml.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sys/stat.h>

namespace fios::config {

namespace {

/// A value as written in the file, before it is matched to a setting.
struct RawValue {
    Value value;
    SettingType type = SettingType::string;
};

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
public:
    Parser(std::string_view text, const std::filesystem::path& path) : m_text(text), m_path(path) {
        if (m_text.starts_with("\xEF\xBB\xBF"))
            m_pos = 3; // UTF-8 byte order mark
    }

    Result<std::vector<TomlEntry>> parse() {
        std::vector<TomlEntry> entries;
        while (true) {
            skip_blank();
            if (at_end())
                break;
            const char c = peek();
            if (c == '#') {
                if (auto s = skip_comment(); !s)
                    return s.error();
                if (auto s = end_of_line("a comment"); !s)
                    return s.error();
                continue;
            }
            if (at_newline()) {
                consume_newline();
                continue;
            }
            if (c == '[') {
                return error(m_line, "sections ([name] headers) are not supported; write every "
                                     "setting at the top level, without a [section] line");
            }
            const int line = m_line;
            auto key = parse_key();
            if (!key)
                return key.error();
            skip_blank();
            if (peek() == '.') {
                return error(line, fmt::format("dotted keys ('{}.') are not supported; write the "
                                               "setting's plain name, e.g. `jobs = 4`",
                                               *key));
            }
            if (peek() != '=') {
                return error(line, fmt::format("expected '=' after '{}'; write each setting as "
                                               "`name = value`",
                                               *key));
            }
            advance();
            skip_blank();
            if (at_end() || at_newline() || peek() == '#') {
                return error(line, fmt::format("'{}' has no value after '='", *key));
            }
            auto value = parse_value(line, *key, false);
            if (!value)
                return value.error();
            skip_blank();
            if (!at_end() && peek() == '#') {
                if (auto s = skip_comment(); !s)
                    return s.error();
            }
            if (auto s = end_of_line(fmt::format("the value of '{}'", *key)); !s) {
                return s.error();
            }
            entries.push_back({std::move(*key), std::move(value->value), value->type, line});
        }
        return entries;
    }

private:
    [[nodiscard]] bool at_end() const { return m_pos >= m_text.size(); }
    [[nodiscard]] char peek(std::size_t ahead = 0) const {
        return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0';
    }
    void advance() {
        if (peek() == '\n')
            ++m_line;
        ++m_pos;
    }
    [[nodiscard]] bool at_newline() const {
        return peek() == '\n' || (peek() == '\r' && peek(1) == '\n');
    }
    void consume_newline() {
        if (peek() == '\r')
            ++m_pos;
        advance();
    }
    void skip_blank() {
        while (peek() == ' ' || peek() == '\t')
            ++m_pos;
    }

    Error error(int line, std::string problem) const {
        return Error{ErrorCode::invalid_config,
                     fmt::format("{} line {}: {}", m_path.string(), line, problem)};
    }

    Status skip_comment() {
        while (!at_end() && !at_newline()) {
            const auto c = static_cast<unsigned char>(peek());
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return error(m_line, "a control character in a comment");
            }
            ++m_pos;
        }
        return {};
    }

    Status end_of_line(std::string_view after) {
        if (at_end())
            return {};
        if (at_newline()) {
            consume_newline();
            return {};
        }
        return error(m_line, fmt::format("unexpected text after {}; put one setting per line "
                                         "(comments start with #)",
                                         after));
    }

    /// Skips blanks, newlines and comments (inside arrays).
    Status skip_blank_lines() {
        while (true) {
            skip_blank();
            if (peek() == '#') {
                if (auto s = skip_comment(); !s)
                    return s;
            } else if (at_newline()) {
                consume_newline();
            } else {
                return {};
            }
        }
    }

    Result<std::string> parse_key() {
        const char c = peek();
        if (c == '"' || c == '\'') {
            auto s = parse_string(m_line, "a quoted key");
            if (!s)
                return s.error();
            return std::move(std::get<std::string>(s->value));
        }
        const std::size_t start = m_pos;
        while (!at_end() && is_bare_key_char(peek()))
            ++m_pos;
        if (m_pos == start) {
            return error(m_line, fmt::format("expected a setting name, found '{}'; write each "
                                             "setting as `name = value`",
                                             c));
        }
        return std::string(m_text.substr(start, m_pos - start));
    }

    Result<RawValue> parse_value(int line, const std::string& key, bool in_array) {
        const char c = peek();
        if (c == '"' || c == '\'')
            return parse_string(line, fmt::format("the value of '{}'", key));
        if (c == '[') {
            if (in_array)
                return error(m_line, "lists inside lists are not supported");
            return parse_array(line, key);
        }
        if (c == '{') {
            return error(line, fmt::format("inline tables ({{...}}) are not supported: '{}' "
                                           "takes a single value",
                                           key));
        }
        if (is_digit(c) || c == '+' || c == '-')
            return parse_number(line, key);
        {
            const std::size_t start = m_pos;
            while (!at_end() && is_bare_key_char(peek()))
                ++m_pos;
            const auto word = m_text.substr(start, m_pos - start);
            if (word == "true")
                return RawValue{Value{true}, SettingType::boolean};
            if (word == "false")
                return RawValue{Value{false}, SettingType::boolean};
            m_pos = start;
            if (word == "inf" || word == "nan")
                return parse_number(line, key);
        }
        return error(line, fmt::format("the value of '{}' is not a \"string\", a number, true, "
                                       "false or a [\"list\"]; text values need quotes, e.g. "
                                       "`{} = \"text\"`",
                                       key, key));
    }

    Result<RawValue> parse_string(int line, std::string_view what) {
        const char quote = peek();
        if (peek(1) == quote && peek(2) == quote) {
            return error(line, fmt::format("multi-line strings are not supported in {}; write it "
                                           "on one line",
                                           what));
        }
        advance();
        std::string out;
        while (true) {
            if (at_end() || at_newline()) {
                return error(line, fmt::format("{} is missing its closing {}", what, quote));
            }
            const char c = peek();
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) {
                return error(line, fmt::format("a control character in {}; use an escape such "
                                               "as \\t",
                                               what));
            }
            ++m_pos;
            if (c == quote)
                break;
            if (c != '\\' || quote == '\'') {
                out += c;
                continue;
            }
            const char e = peek();
            ++m_pos;
            switch (e) {
            case 'b':
                out += '\b';
                break;
            case 't':
                out += '\t';
                break;
            case 'n':
                out += '\n';
                break;
            case 'f':
                out += '\f';
                break;
            case 'r':
                out += '\r';
                break;
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case 'u':
            case 'U': {
                const std::size_t digits = e == 'u' ? 4 : 8;
                if (m_pos + digits > m_text.size()) {
                    return error(line, fmt::format("a short \\{} escape in {}", e, what));
                }
                std::uint32_t cp = 0;
                const auto hex = m_text.substr(m_pos, digits);
                auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
                if (ec != std::errc() || ptr != hex.data() + hex.size() || cp > 0x10FFFF ||
                    (cp >= 0xD800 && cp <= 0xDFFF)) {
                    return error(line, fmt::format("an invalid \\{} escape in {}", e, what));
                }
                m_pos += digits;
                append_utf8(out, cp);
                break;
            }
            default:
                return error(line, fmt::format("an unknown escape '\\{}' in {}; write a "
                                               "backslash as \\\\ or use a 'literal string'",
                                               e, what));
            }
        }
        return RawValue{Value{std::move(out)}, SettingType::string};
    }

    Result<RawValue> parse_array(int line, const std::string& key) {
        advance(); // '['
        std::vector<std::string> items;
        while (true) {
            if (auto s = skip_blank_lines(); !s)
                return s.error();
            if (at_end())
                return error(line, fmt::format("the list of '{}' is missing its ']'", key));
            if (peek() == ']') {
                advance();
                break;
            }
            auto item = parse_value(m_line, key, true);
            if (!item)
                return item.error();
            if (item->type != SettingType::string) {
                return error(m_line, fmt::format("the list of '{}' may hold only strings", key));
            }
            items.push_back(std::move(std::get<std::string>(item->value)));
            if (auto s = skip_blank_lines(); !s)
                return s.error();
            if (peek() == ',') {
                advance();
            } else if (peek() != ']') {
                return error(m_line, fmt::format("expected ',' or ']' in the list of '{}'", key));
            }
        }
        return RawValue{Value{std::move(items)}, SettingType::string_list};
    }

    Result<RawValue> parse_number(int line, const std::string& key) {
        const std::size_t start = m_pos;
        while (!at_end()) {
            const char c = peek();
            if (is_bare_key_char(c) || c == '+' || c == '.' || c == ':') {
                ++m_pos;
            } else {
                break;
            }
        }
        const std::string token(m_text.substr(start, m_pos - start));
        auto bad = [&](std::string_view why) {
            // A secret written without quotes is not quoted back either.
            const SettingSpec* spec = find_setting(key);
            return error(line, fmt::format("the value of '{}' ({}) {}", key,
                                           spec && spec->secret ? "redacted" : token, why));
        };
        std::string_view t = token;
        std::string_view unsigned_part = t;
        if (!t.empty() && (t[0] == '+' || t[0] == '-'))
            unsigned_part.remove_prefix(1);
        if (unsigned_part == "inf" || unsigned_part == "nan")
            return bad("must be a finite number");
        if (token.find(':') != std::string::npos ||
            (token.size() >= 10 && is_digit(token[0]) && token[4] == '-')) {
            return bad("looks like a date or time, which settings do not use");
        }
        if (unsigned_part.size() > 1 && unsigned_part[0] == '0' &&
            (unsigned_part[1] == 'x' || unsigned_part[1] == 'o' || unsigned_part[1] == 'b')) {
            return bad("is not decimal; write integers in decimal");
        }
        // Check the shape: digits with single '_' between digits, an optional fraction and
        // exponent; then drop the underscores.
        std::string digits;
        bool is_float = false;
        bool seen_exp = false;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const char c = t[i];
            if (c == '_') {
                if (i == 0 || i + 1 >= t.size() || !is_digit(t[i - 1]) || !is_digit(t[i + 1])) {
                    return bad("has a misplaced '_' (only between digits)");
                }
                continue;
            }
            if (c == '.') {
                if (is_float || seen_exp || i == 0 || !is_digit(t[i - 1]) || i + 1 >= t.size() ||
                    !is_digit(t[i + 1])) {
                    return bad("is not a valid number");
                }
                is_float = true;
            } else if (c == 'e' || c == 'E') {
                if (seen_exp || i == 0 || !is_digit(t[i - 1]))
                    return bad("is not a valid number");
                seen_exp = true;
                is_float = true;
            } else if (c == '+' || c == '-') {
                if (!(i == 0 || (t[i - 1] == 'e' || t[i - 1] == 'E'))) {
                    return bad("is not a valid number");
                }
            } else if (!is_digit(c)) {
                return bad("is not a valid number; text values need quotes");
            }
            digits += c;
        }
        std::string_view mantissa = unsigned_part;
        if (auto cut = mantissa.find_first_of(".eE"); cut != std::string_view::npos) {
            mantissa = mantissa.substr(0, cut);
        }
        if (mantissa.empty() || !is_digit(mantissa.back()))
            return bad("is not a valid number");
        if (mantissa.size() > 1 && mantissa[0] == '0') {
            return bad("has a leading zero, which TOML does not allow");
        }
        if (is_float) {
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(digits.c_str(), &end);
            if (end != digits.c_str() + digits.size() || errno == ERANGE || !std::isfinite(v)) {
                return bad("is not a valid number");
            }
            return RawValue{Value{v}, SettingType::number};
        }
        std::int64_t v = 0;
        const char* begin = digits.c_str();
        if (*begin == '+')
            ++begin;
        auto [ptr, ec] = std::from_chars(begin, digits.c_str() + digits.size(), v);
        if (ec == std::errc::result_out_of_range)
            return bad("is too large");
        if (ec != std::errc() || ptr != digits.c_str() + digits.size()) {
            return bad("is not a valid number");
        }
        return RawValue{Value{v}, SettingType::integer};
    }

    std::string_view m_text;
    const std::filesystem::path& m_path;
    std::size_t m_pos = 0;
    int m_line = 1;
};

std::string example_for(const SettingSpec& spec) {
    if (spec.default_value)
        return fmt::format("{} = {}", spec.name, format_value(*spec.default_value));
    switch (spec.type) {
    case SettingType::string:
        return fmt::format("{} = \"...\"", spec.name);
    case SettingType::integer:
        return fmt::format("{} = 1", spec.name);
    case SettingType::number:
        return fmt::format("{} = 1.5", spec.name);
    case SettingType::boolean:
        return fmt::format("{} = true", spec.name);
    case SettingType::string_list:
        return fmt::format("{} = [\"...\"]", spec.name);
    }
    return std::string(spec.name);
}

} // namespace

Result<std::vector<TomlEntry>> parse_toml(std::string_view text,
                                          const std::filesystem::path& path) {
    Parser parser(text, path);
    return parser.parse();
}

Result<ConfigFile> parse_config(std::string_view text, const std::filesystem::path& path) {
    auto raw = parse_toml(text, path);
    if (!raw)
        return raw.error();

    ConfigFile out;
    out.path = path;
    std::map<std::string, int, std::less<>> seen;
    for (auto& entry : *raw) {
        const std::string where = fmt::format("in {} line {}", path.string(), entry.line);
        const SettingSpec* spec = find_setting(entry.key);
        if (!spec) {
            std::string message = fmt::format("unknown setting '{}' {}", entry.key, where);
            if (auto near = closest_setting(entry.key)) {
                message += fmt::format("; did you mean '{}'?", *near);
            } else {
                message += "; `frameio-sync config` lists the settings";
            }
            return Error{ErrorCode::invalid_config, message};
        }
        if (auto [it, inserted] = seen.emplace(entry.key, entry.line); !inserted) {
            return Error{ErrorCode::invalid_config,
                         fmt::format("setting '{}' is set twice in {} (lines {} and {}); keep one",
                                     entry.key, path.string(), it->second, entry.line)};
        }
        Value value = std::move(entry.value);
        SettingType type = entry.type;
        if (spec->type == SettingType::number && type == SettingType::integer) {
            value = static_cast<double>(std::get<std::int64_t>(value));
            type = SettingType::number;
        }
        if (type != spec->type) {
            return Error{ErrorCode::invalid_config,
                         fmt::format("setting '{}' {} must be {}, for example `{}`, not {}",
                                     entry.key, where, describe(spec->type), example_for(*spec),
                                     describe(type))};
        }
        if (auto s = validate_value(*spec, value, where); !s)
            return s.error();
        out.entries.push_back({std::move(entry.key), std::move(value), entry.line});
    }
    return out;
}

namespace {

/// The secret setting `file` holds, if any (the first one).
const SettingSpec* secret_in(const ConfigFile& file) {
    for (const auto& entry : file.entries) {
        const SettingSpec* spec = find_setting(entry.key);
        if (spec && spec->secret)
            return spec;
    }
    return nullptr;
}

} // namespace

Result<std::optional<ConfigFile>> load_config_file(const std::filesystem::path& path) {
    auto cannot_read = [&](int err) {
        return Error{ErrorCode::io,
                     fmt::format("cannot read {}: {}", path.string(), std::strerror(err))};
    };
    // One descriptor for the checks and the read, so the mode checked is the file's read.
    // O_NONBLOCK: a FIFO is refused below instead of blocking the open.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::optional<ConfigFile>();
        return cannot_read(errno);
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return cannot_read(errno);
    if (!S_ISREG(st.st_mode)) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("{} is not a regular file", path.string())};
    }
    std::string text;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cannot_read(errno);
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    auto parsed = parse_config(text, path);
    if (!parsed)
        return parsed.error();
    // The rule of the credentials file: a secret is refused in a file other users can read or
    // change, before anything uses it.
    if (const SettingSpec* secret = secret_in(*parsed); secret && (st.st_mode & 077) != 0) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the config file {} holds '{}' but can be read or changed by "
                                 "other users (mode {:04o}); frameio-sync refuses to use it. Fix "
                                 "it with `chmod 600 {}` (and create a new secret in the Adobe "
                                 "Developer Console if someone else may have read it)",
                                 path.string(), secret->name, st.st_mode & 07777, path.string())};
    }
    return std::optional<ConfigFile>(std::move(*parsed));
}

} // namespace fios::config
