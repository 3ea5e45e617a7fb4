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

enum class CredentialKind {
    developer_token, ///< a persistent token pasted by the user (`login --token-stdin`)
    oauth,           ///< an OAuth access token with (usually) a refresh token
};
std::string_view to_string(CredentialKind kind);

/// Who logged in, for `whoami` (from GET /v2/me at login time).
struct UserInfo {
    std::string id;
    std::string name;
    std::string email;
};

/// A saved login. Holds secrets: never log, print or put any of its tokens in a message.
struct Credentials {
    CredentialKind kind = CredentialKind::developer_token;
    std::string access_token;
    std::optional<std::string> refresh_token;    ///< oauth with the `offline` scope
    std::optional<Clock::time_point> expires_at; ///< oauth; whole seconds when saved
    std::vector<std::string> scopes;             ///< granted scopes, when known
    std::string client_id;                       ///< oauth: the client that may refresh
    std::string api_url;                         ///< the API the login belongs to
    std::string auth_url;                        ///< oauth: the authorization server
    UserInfo user;
    std::string account_id;
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

/// The JSON text saved for `credentials` (exposed for tests).
std::string serialize_credentials(const Credentials& credentials);
/// Parses saved JSON. `source` names the file in error messages (which never quote content).
Result<Credentials> parse_credentials(std::string_view json, std::string_view source);

} // namespace fios::auth
