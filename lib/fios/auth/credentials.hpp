// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::auth {

/// The Frame.io API generation a login belongs to. A credentials file without the field is V2
/// (files written before V4 existed).
enum class ApiGeneration { v2, v4 };
std::string_view to_string(ApiGeneration api);

/// How the token was obtained. developer_token and oauth are V2 kinds; the others are V4.
enum class CredentialKind {
    developer_token, ///< V2: a persistent token pasted by the user (`login --token-stdin`)
    oauth,           ///< V2: an OAuth access token with (usually) a refresh token
    ims_user,        ///< V4: Adobe IMS authorization code (+PKCE) of a Web App or public credential
    ims_s2s,         ///< V4: Adobe IMS client_credentials (server-to-server); nothing to refresh
    legacy_token,    ///< V4: a legacy developer token of a V4-migrated account (static)
};
std::string_view to_string(CredentialKind kind);
/// The generation each kind belongs to.
ApiGeneration generation_of(CredentialKind kind);

/// Who logged in, for `whoami` (from GET /v2/me at login time).
struct UserInfo {
    std::string id;
    std::string name;
    std::string email;
};

/// A saved login. Holds secrets: never log, print or put any of its tokens in a message.
/// The client secret of a confidential IMS credential is never part of it: it is read from
/// FRAMEIO_CLIENT_SECRET or the 0600 config file each time a token is requested (SecretSource
/// in ims.hpp).
struct Credentials {
    ApiGeneration api = ApiGeneration::v2; ///< always generation_of(kind)
    CredentialKind kind = CredentialKind::developer_token;
    std::string access_token;
    /// oauth with `offline`, ims_user with `offline_access` (public IMS credentials get none)
    std::optional<std::string> refresh_token;
    std::optional<Clock::time_point> expires_at; ///< oauth, ims_*; whole seconds when saved
    std::vector<std::string> scopes;             ///< granted scopes, when known
    std::string client_id;                       ///< oauth, ims_*: the client that may refresh
    /// ims_user, ims_s2s: the client authenticates with a client secret (a Web App or
    /// server-to-server credential); false for a public (SPA/Native, PKCE-only) credential.
    bool confidential = false;
    std::string api_url;  ///< the API the login belongs to
    std::string auth_url; ///< oauth: the authorization server
    std::string ims_url;  ///< ims_*: the Adobe IMS base URL (https://ims-na1.adobelogin.com)
    UserInfo user;
    std::string account_id;

    /// The V4 client must send `x-frameio-legacy-token-auth: true` with this token
    /// (V4ClientOptions::legacy_token_auth).
    [[nodiscard]] bool legacy_token_auth() const { return kind == CredentialKind::legacy_token; }
    /// When the whole login ends, for a login that cannot renew its access token (an IMS user
    /// login without refresh token): its expires_at. std::nullopt when it renews (or never
    /// expires). `status` warns a day ahead; past it, `login_command()` must be run.
    [[nodiscard]] std::optional<Clock::time_point> login_expires_at() const;
    /// The command that logs in again with the same kind of login, for messages
    /// (e.g. `frameio-sync login --oauth --client-id ID`).
    [[nodiscard]] std::string login_command() const;
};

/// An exclusive advisory lock (flock) on the credentials lock file, held until destroyed.
class FileLock {
public:
    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    friend class CredentialStore;
    explicit FileLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

/// The saved login: `<dir>/credentials.json`, where dir is the config directory
/// ($XDG_CONFIG_HOME/frameio-sync, default ~/.config/frameio-sync: config::config_dir()).
///
/// - The directory is created with mode 0700 when missing; the file is always written with
///   mode 0600, atomically (a 0600 temporary file in the same folder, fsync, rename, fsync of
///   the folder), so a crash leaves either the old or the new login, never a mix.
/// - load() refuses a file that group or others may read or write, that another user owns, or
///   that is a symbolic link, with a message that says how to fix it (`chmod 600 <path>`).
/// - lock() takes an exclusive flock on `<dir>/credentials.lock` (a separate file, because the
///   credentials file itself is replaced on every save). Refreshes happen under it, so two
///   processes never refresh at once.
///
/// A CredentialStore is a path plus functions: cheap to copy, safe to use from several threads
/// (each call opens its own file descriptors); the file system serialises the rest.
class CredentialStore {
public:
    explicit CredentialStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}

    [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
    [[nodiscard]] std::filesystem::path file() const { return m_dir / "credentials.json"; }
    [[nodiscard]] std::filesystem::path lock_file() const { return m_dir / "credentials.lock"; }

    /// The saved login, or std::nullopt when there is none (logged out).
    /// Errors: invalid_config for a file others can read or write, owned by another user, a
    /// symlink, damaged, or written by a newer frameio-sync; io when it cannot be read.
    [[nodiscard]] Result<std::optional<Credentials>> load() const;

    /// Saves `credentials`, replacing any previous login atomically.
    [[nodiscard]] Status save(const Credentials& credentials) const;

    /// Deletes the saved login (`logout`). Returns false when there was none.
    [[nodiscard]] Result<bool> remove() const;

    /// Waits for and takes the exclusive refresh lock.
    [[nodiscard]] Result<FileLock> lock() const;
    /// Takes the lock only if nobody holds it (std::nullopt when someone does).
    [[nodiscard]] Result<std::optional<FileLock>> try_lock() const;

private:
    std::filesystem::path m_dir;
};

/// The JSON text saved for `credentials` (exposed for tests). V2 logins are written in format 1
/// (readable by older frameio-sync versions), V4 logins in format 2 (which older versions
/// refuse with "written by a newer frameio-sync").
std::string serialize_credentials(const Credentials& credentials);
/// Parses saved JSON. `source` names the file in error messages (which never quote content).
Result<Credentials> parse_credentials(std::string_view json, std::string_view source);

} // namespace fios::auth
