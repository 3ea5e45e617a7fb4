// SPDX-License-Identifier: MIT
#include "fios/auth/credentials.hpp"

#include "fios/core/json_bounds.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sys/file.h>
#include <sys/stat.h>
#include <utility>

namespace fios::auth {

namespace {

/// Format 1: V2 logins (no `api` field). Format 2: adds `api`, `ims_url`, `confidential` and
/// the V4 kinds.
constexpr int k_v2_format_version = 1;
constexpr int k_format_version = 2;
constexpr std::size_t k_max_file_size = 1 << 20;

std::string errno_text(int err) {
    return std::strerror(err);
}

Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
    return Error{ErrorCode::io, fmt::format("{} {}: {}", what, path.string(), errno_text(err))};
}

/// Creates `dir` and missing parents; the folders created get mode 0700.
Status create_private_dirs(const std::filesystem::path& dir) {
    if (dir.empty())
        return {};
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return {};
        return Error{ErrorCode::io, fmt::format("{} exists but is not a folder", dir.string())};
    }
    if (dir.has_parent_path() && dir.parent_path() != dir) {
        if (auto s = create_private_dirs(dir.parent_path()); !s)
            return s;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return io_error("cannot create the folder", dir, errno);
    }
    return {};
}

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    [[nodiscard]] int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }

private:
    int m_fd;
};

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return io_error("cannot write", path, errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Status fsync_dir(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0)
        return io_error("cannot open the folder", dir, errno);
    if (::fsync(fd.get()) != 0)
        return io_error("cannot sync the folder", dir, errno);
    return {};
}

std::int64_t to_unix_seconds(Clock::time_point t) {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

template <class Writer>
void write_string(Writer& w, std::string_view key, std::string_view value) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

} // namespace

std::string_view to_string(ApiGeneration api) {
    return api == ApiGeneration::v4 ? "v4" : "v2";
}

std::string_view to_string(CredentialKind kind) {
    switch (kind) {
    case CredentialKind::developer_token:
        return "developer_token";
    case CredentialKind::oauth:
        return "oauth";
    case CredentialKind::ims_user:
        return "ims_user";
    case CredentialKind::ims_s2s:
        return "ims_s2s";
    case CredentialKind::legacy_token:
        return "legacy_token";
    }
    return "developer_token";
}

ApiGeneration generation_of(CredentialKind kind) {
    switch (kind) {
    case CredentialKind::developer_token:
    case CredentialKind::oauth:
        return ApiGeneration::v2;
    case CredentialKind::ims_user:
    case CredentialKind::ims_s2s:
    case CredentialKind::legacy_token:
        return ApiGeneration::v4;
    }
    return ApiGeneration::v2;
}

std::optional<Clock::time_point> Credentials::login_expires_at() const {
    if (kind == CredentialKind::ims_user && !refresh_token)
        return expires_at;
    return std::nullopt;
}

std::string Credentials::login_command() const {
    switch (kind) {
    case CredentialKind::ims_user:
        return fmt::format("frameio-sync login --oauth --client-id {}", client_id);
    case CredentialKind::ims_s2s:
        return fmt::format("frameio-sync login --s2s --client-id {}", client_id);
    case CredentialKind::oauth:
        return fmt::format("frameio-sync login --api v2 --oauth --client-id {}", client_id);
    case CredentialKind::developer_token:
        return "frameio-sync login --api v2 --token-stdin";
    case CredentialKind::legacy_token:
        return "frameio-sync login --token-stdin";
    }
    return "frameio-sync login";
}

// --- FileLock -------------------------------------------------------------------------------

FileLock::FileLock(FileLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

FileLock::~FileLock() {
    if (m_fd >= 0)
        ::close(m_fd); // closing the descriptor releases the flock
}

// --- JSON -----------------------------------------------------------------------------------

std::string serialize_credentials(const Credentials& c) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
    w.SetIndent(' ', 2);
    w.StartObject();
    const bool v4 = generation_of(c.kind) == ApiGeneration::v4;
    w.Key("version");
    w.Int(v4 ? k_format_version : k_v2_format_version);
    if (v4)
        write_string(w, "api", to_string(ApiGeneration::v4));
    write_string(w, "kind", to_string(c.kind));
    write_string(w, "access_token", c.access_token);
    if (c.refresh_token)
        write_string(w, "refresh_token", *c.refresh_token);
    if (c.expires_at) {
        w.Key("expires_at");
        w.Int64(to_unix_seconds(*c.expires_at));
    }
    w.Key("scopes");
    w.StartArray();
    for (const auto& s : c.scopes)
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    w.EndArray();
    write_string(w, "client_id", c.client_id);
    write_string(w, "api_url", c.api_url);
    write_string(w, "auth_url", c.auth_url);
    if (v4) {
        write_string(w, "ims_url", c.ims_url);
        w.Key("confidential");
        w.Bool(c.confidential);
    }
    w.Key("user");
    w.StartObject();
    write_string(w, "id", c.user.id);
    write_string(w, "name", c.user.name);
    write_string(w, "email", c.user.email);
    w.EndObject();
    write_string(w, "account_id", c.account_id);
    w.EndObject();
    std::string out(buffer.GetString(), buffer.GetSize());
    out += '\n';
    return out;
}

Result<Credentials> parse_credentials(std::string_view json, std::string_view source) {
    auto damaged = [&](std::string_view why) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credentials file {} is damaged ({}); run `frameio-sync "
                                 "login` again to replace it",
                                 source, why)};
    };
    if (auto bounded = check_json_bounds(json); !bounded)
        return damaged(bounded.error().message);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (doc.HasParseError()) {
        return damaged(fmt::format("not valid JSON at byte {}", doc.GetErrorOffset()));
    }
    if (!doc.IsObject())
        return damaged("not a JSON object");

    auto version = doc.FindMember("version");
    if (version == doc.MemberEnd() || !version->value.IsInt()) {
        return damaged("field 'version' is missing or not an integer");
    }
    if (version->value.GetInt() > k_format_version) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credentials file {} was written by a newer frameio-sync "
                                 "(format {}); upgrade frameio-sync, or run `frameio-sync login` "
                                 "again",
                                 source, version->value.GetInt())};
    }

    Credentials c;
    auto string_field = [&](const rapidjson::Value& obj, const char* key, bool required,
                            std::string& out) -> Status {
        auto it = obj.FindMember(key);
        if (it == obj.MemberEnd() || it->value.IsNull()) {
            if (required)
                return damaged(fmt::format("field '{}' is missing", key));
            return {};
        }
        if (!it->value.IsString())
            return damaged(fmt::format("field '{}' is not a string", key));
        out.assign(it->value.GetString(), it->value.GetStringLength());
        return {};
    };

    std::string api = "v2"; // a file without the field predates V4
    if (auto s = string_field(doc, "api", false, api); !s)
        return s.error();
    if (api != "v2" && api != "v4")
        return damaged("field 'api' is neither 'v2' nor 'v4'");
    c.api = api == "v4" ? ApiGeneration::v4 : ApiGeneration::v2;
    std::string kind;
    if (auto s = string_field(doc, "kind", true, kind); !s)
        return s.error();
    bool known = false;
    for (auto k : {CredentialKind::developer_token, CredentialKind::oauth, CredentialKind::ims_user,
                   CredentialKind::ims_s2s, CredentialKind::legacy_token}) {
        if (kind == to_string(k)) {
            c.kind = k;
            known = true;
        }
    }
    if (!known)
        return damaged("field 'kind' is not a known kind of login");
    if (generation_of(c.kind) != c.api) {
        return damaged(fmt::format("field 'kind' ({}) does not belong to API generation {}",
                                   to_string(c.kind), to_string(c.api)));
    }
    if (auto s = string_field(doc, "access_token", true, c.access_token); !s)
        return s.error();
    if (c.access_token.empty())
        return damaged("field 'access_token' is empty");
    std::string refresh;
    if (auto s = string_field(doc, "refresh_token", false, refresh); !s)
        return s.error();
    if (!refresh.empty())
        c.refresh_token = std::move(refresh);
    if (auto it = doc.FindMember("expires_at"); it != doc.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsInt64())
            return damaged("field 'expires_at' is not an integer");
        // The clock counts nanoseconds in 64 bits: a second outside its range (years 1678 to
        // 2261) cannot be converted, only refused.
        using std::chrono::seconds;
        const auto latest = std::chrono::floor<seconds>(Clock::time_point::max());
        const auto earliest = std::chrono::ceil<seconds>(Clock::time_point::min());
        const std::int64_t at = it->value.GetInt64();
        if (at > latest.time_since_epoch().count() || at < earliest.time_since_epoch().count())
            return damaged("field 'expires_at' is outside the years 1678 to 2261");
        c.expires_at = Clock::time_point(seconds(at));
    }
    if (auto it = doc.FindMember("scopes"); it != doc.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsArray())
            return damaged("field 'scopes' is not an array");
        for (const auto& v : it->value.GetArray()) {
            if (!v.IsString())
                return damaged("field 'scopes' holds a non-string");
            c.scopes.emplace_back(v.GetString(), v.GetStringLength());
        }
    }
    if (auto s = string_field(doc, "client_id", false, c.client_id); !s)
        return s.error();
    if (auto s = string_field(doc, "api_url", false, c.api_url); !s)
        return s.error();
    if (auto s = string_field(doc, "auth_url", false, c.auth_url); !s)
        return s.error();
    if (auto s = string_field(doc, "ims_url", false, c.ims_url); !s)
        return s.error();
    if (auto it = doc.FindMember("confidential"); it != doc.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsBool())
            return damaged("field 'confidential' is not a boolean");
        c.confidential = it->value.GetBool();
    }
    if (auto s = string_field(doc, "account_id", false, c.account_id); !s)
        return s.error();
    if (auto it = doc.FindMember("user"); it != doc.MemberEnd() && !it->value.IsNull()) {
        if (!it->value.IsObject())
            return damaged("field 'user' is not an object");
        if (auto s = string_field(it->value, "id", false, c.user.id); !s)
            return s.error();
        if (auto s = string_field(it->value, "name", false, c.user.name); !s)
            return s.error();
        if (auto s = string_field(it->value, "email", false, c.user.email); !s)
            return s.error();
    }
    return c;
}

// --- CredentialStore ------------------------------------------------------------------------

Result<std::optional<Credentials>> CredentialStore::load() const {
    const auto path = file();
    // O_NONBLOCK: a FIFO put in the file's place must not hang every command (it is refused
    // as not a regular file below).
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT)
            return std::optional<Credentials>();
        if (err == ELOOP) {
            return Error{ErrorCode::invalid_config,
                         fmt::format("the credentials file {} is a symbolic link; frameio-sync "
                                     "refuses to follow it. Remove it (`rm {}`) and run "
                                     "`frameio-sync login` again",
                                     path.string(), path.string())};
        }
        return io_error("cannot read the credentials file", path, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return io_error("cannot inspect", path, errno);
    if (!S_ISREG(st.st_mode)) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credentials file {} is not a regular file", path.string())};
    }
    if (st.st_uid != ::geteuid()) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credentials file {} belongs to another user (uid {}); "
                                 "frameio-sync refuses to use it. Remove it and run "
                                 "`frameio-sync login` again",
                                 path.string(), st.st_uid)};
    }
    if ((st.st_mode & 077) != 0) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credentials file {} can be read or changed by other users "
                                 "(mode {:04o}); it holds your Frame.io login, so frameio-sync "
                                 "refuses to use it. Fix it with `chmod 600 {}` (and log in again "
                                 "if someone else may have read it)",
                                 path.string(), st.st_mode & 07777, path.string())};
    }
    if (static_cast<std::size_t>(st.st_size) > k_max_file_size) {
        return Error{ErrorCode::invalid_config,
                     fmt::format("the credentials file {} is too large to be a login; run "
                                 "`frameio-sync login` again to replace it",
                                 path.string())};
    }
    std::string text;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return io_error("cannot read the credentials file", path, errno);
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > k_max_file_size)
            break;
    }
    auto parsed = parse_credentials(text, path.string());
    if (!parsed)
        return parsed.error();
    return std::optional<Credentials>(std::move(*parsed));
}

Status CredentialStore::save(const Credentials& credentials) const {
    if (auto s = create_private_dirs(m_dir); !s)
        return s;
    const auto target = file();
    std::string templ = (m_dir / ".credentials.json.XXXXXX").string();
    // mkstemp creates the file with mode 0600 whatever the umask.
    Fd fd(::mkstemp(templ.data()));
    if (fd.get() < 0)
        return io_error("cannot create a temporary file in", m_dir, errno);
    const std::filesystem::path temp(templ);
    auto fail = [&](Error e) -> Status {
        ::unlink(temp.c_str());
        return e;
    };
    if (::fchmod(fd.get(), 0600) != 0)
        return fail(io_error("cannot set the mode of", temp, errno));
    if (auto s = write_all(fd.get(), serialize_credentials(credentials), temp); !s) {
        return fail(s.error());
    }
    if (::fsync(fd.get()) != 0)
        return fail(io_error("cannot sync", temp, errno));
    if (::close(fd.release()) != 0)
        return fail(io_error("cannot close", temp, errno));
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        return fail(io_error(fmt::format("cannot move {} to", temp.string()), target, errno));
    }
    return fsync_dir(m_dir);
}

Result<bool> CredentialStore::remove() const {
    const auto path = file();
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT)
            return false;
        return io_error("cannot remove the credentials file", path, errno);
    }
    if (auto s = fsync_dir(m_dir); !s)
        return s.error();
    return true;
}

Result<FileLock> CredentialStore::lock() const {
    if (auto s = create_private_dirs(m_dir); !s)
        return s.error();
    const auto path = lock_file();
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0)
        return io_error("cannot open the lock file", path, errno);
    while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR)
            return io_error("cannot lock", path, errno);
    }
    return FileLock(fd.release());
}

Result<std::optional<FileLock>> CredentialStore::try_lock() const {
    if (auto s = create_private_dirs(m_dir); !s)
        return s.error();
    const auto path = lock_file();
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0)
        return io_error("cannot open the lock file", path, errno);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return std::optional<FileLock>();
        if (errno != EINTR)
            return io_error("cannot lock", path, errno);
    }
    return std::optional<FileLock>(FileLock(fd.release()));
}

} // namespace fios::auth
