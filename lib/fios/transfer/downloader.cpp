// SPDX-License-Identifier: MIT
#include "fios/transfer/downloader.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/scan/path_map.hpp"
#include "fios/transfer/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <vector>

namespace fios::transfer {

std::string_view to_string(DownloadStatus status) noexcept {
    switch (status) {
    case DownloadStatus::verified:
        return "verified";
    case DownloadStatus::unverified:
        return "unverified";
    case DownloadStatus::checksum_mismatch:
        return "checksum_mismatch";
    case DownloadStatus::target_exists:
        return "target_exists";
    case DownloadStatus::remote_changed:
        return "remote_changed";
    case DownloadStatus::remote_not_ready:
        return "remote_not_ready";
    case DownloadStatus::not_downloadable:
        return "not_downloadable";
    }
    return "unverified";
}

std::string temp_name(std::string_view asset_id) {
    const bool safe = !asset_id.empty() && asset_id.size() <= 128 &&
                      std::all_of(asset_id.begin(), asset_id.end(), [](char c) {
                          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                      });
    std::string out(scan::k_temp_prefix);
    out += safe ? std::string(asset_id) : hash::xxh64_hex(asset_id);
    out += ".part";
    return out;
}

Status remove_temp(const std::filesystem::path& root, const model::RelPath& path,
                   std::string_view asset_id) {
    int err = 0;
    auto dir = detail::open_folder(root, path.parent(), &err);
    if (!dir)
        return err == ENOENT ? Status{} : Status{dir.error()};
    const std::string name = temp_name(asset_id);
    if (::unlinkat(dir->get(), name.c_str(), 0) != 0 && errno != ENOENT)
        return detail::errno_error(errno, "removing temporary file for '" + path.str() + "'");
    return {};
}

namespace {

using detail::UniqueFd;

/// Writes the response body at the file's running offset and hashes each byte as it
/// arrives. Refuses bytes beyond the expected size. No buffering of its own.
class FileSink final : public net::BodySink {
public:
    FileSink(int fd, std::uint64_t offset, std::uint64_t limit, hash::Xxh64& hasher,
             const ProgressFn& progress, const CancelToken* cancel, const CancelToken* also,
             const std::string& rel)
        : m_fd(fd), m_offset(offset), m_limit(limit), m_hasher(hasher), m_progress(progress),
          m_cancel(cancel), m_also(also), m_rel(rel) {}

    Status write(std::span<const char> data) override {
        if ((m_cancel && m_cancel->cancelled()) || (m_also && m_also->cancelled()))
            return Error{ErrorCode::cancelled, "downloading '" + m_rel + "': cancelled"};
        if (data.size() > m_limit - m_offset) {
            return Error{ErrorCode::parse, "downloading '" + m_rel +
                                               "': the server sent more bytes than the asset has"};
        }
        if (!detail::pwrite_full(m_fd, data.data(), data.size(), m_offset))
            return detail::errno_error(errno, "writing the temporary file for '" + m_rel + "'");
        m_hasher.update(std::string_view(data.data(), data.size()));
        m_offset += data.size();
        m_received += data.size();
        if (m_progress)
            m_progress(data.size());
        return {};
    }

    [[nodiscard]] std::uint64_t offset() const noexcept { return m_offset; }
    [[nodiscard]] std::uint64_t received() const noexcept { return m_received; }

private:
    int m_fd;
    std::uint64_t m_offset;
    std::uint64_t m_limit;
    hash::Xxh64& m_hasher;
    const ProgressFn& m_progress;
    const CancelToken* m_cancel;
    const CancelToken* m_also;
    const std::string& m_rel;
    std::uint64_t m_received = 0;
};

Result<std::uint64_t> statvfs_free(int dirfd) {
    struct statvfs vfs {};
    if (::fstatvfs(dirfd, &vfs) != 0)
        return detail::errno_error(errno, "checking free space");
    return static_cast<std::uint64_t>(vfs.f_bavail) * static_cast<std::uint64_t>(vfs.f_frsize);
}

DownloadResult status_only(DownloadStatus s) {
    DownloadResult r;
    r.status = s;
    return r;
}

} // namespace

Downloader::Downloader(remote::Remote& remote, DownloaderOptions options)
    : m_remote(remote), m_options(std::move(options)) {}

Result<DownloadResult> Downloader::download(const DownloadRequest& req, const ProgressFn& progress,
                                            const CancelToken* cancel_token,
                                            const CancelToken* also) {
    const std::string& rel = req.path.str();
    // The remote call watches one token; the sink checks both at every buffer.
    const CancelToken* cancel = cancel_token ? cancel_token : also;
    const auto is_cancelled = [cancel_token, also] {
        return (cancel_token && cancel_token->cancelled()) || (also && also->cancelled());
    };
    if (is_cancelled())
        return Error{ErrorCode::cancelled, "downloading '" + rel + "': cancelled"};
    if (req.path.is_root())
        return Error{ErrorCode::internal, "download onto the sync folder itself"};

    // 1. The target folder, never through a symlink.
    auto dir = detail::open_folder(req.root, req.path.parent());
    if (!dir)
        return dir.error().with_context("downloading '" + rel + "'");
    const int dirfd = dir->get();
    const std::string final_name(req.path.name());
    const std::string tmp = temp_name(req.asset_id);

    // 2. Resume an earlier temporary file of the same asset, or start a new one.
    UniqueFd fd(::openat(dirfd, tmp.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    std::uint64_t resume_from = 0;
    if (fd.valid()) {
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0)
            return detail::errno_error(errno, "stat of the temporary file for '" + rel + "'");
        if (!S_ISREG(st.st_mode))
            return Error{ErrorCode::io, "the temporary file for '" + rel +
                                            "' is not a regular file: remove '" + tmp + "'"};
        const auto have = static_cast<std::uint64_t>(st.st_size);
        if (have <= req.size) {
            resume_from = have;
        } else if (::ftruncate(fd.get(), 0) != 0) {
            return detail::errno_error(errno, "truncating the temporary file for '" + rel + "'");
        }
    } else {
        const int e = errno;
        if (e == ELOOP) {
            // Someone put a symlink where our temporary file goes: remove the link itself.
            if (::unlinkat(dirfd, tmp.c_str(), 0) != 0)
                return detail::errno_error(errno, "removing a symlink named '" + tmp + "'");
        } else if (e != ENOENT) {
            return detail::errno_error(e, "opening the temporary file for '" + rel + "'");
        }
        fd = UniqueFd(
            ::openat(dirfd, tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!fd.valid())
            return detail::errno_error(errno, "creating the temporary file for '" + rel + "'");
    }
    // From here on a failure that is not worth resuming removes the temporary file.
    const auto discard = [&] {
        fd.reset();
        ::unlinkat(dirfd, tmp.c_str(), 0);
    };

    // 3. Free space for what is still to come.
    const std::uint64_t remaining = req.size - resume_from;
    auto free_bytes = m_options.free_space ? m_options.free_space(dirfd) : statvfs_free(dirfd);
    if (!free_bytes)
        return free_bytes.error().with_context("downloading '" + rel + "'");
    if (*free_bytes < remaining + m_options.free_space_margin) {
        if (resume_from == 0)
            discard();
        return Error{ErrorCode::disk_full,
                     "downloading '" + rel + "' needs " + std::to_string(remaining) +
                         " bytes plus a margin of " + std::to_string(m_options.free_space_margin) +
                         ", but only " + std::to_string(*free_bytes) +
                         " are free: free some space and run again"};
    }

    // 4. Hash what the temporary file already holds, then fetch the rest.
    hash::Xxh64 hasher;
    if (resume_from > 0) {
        std::vector<char> block(std::min<std::uint64_t>(resume_from, 1024 * 1024));
        std::uint64_t at = 0;
        while (at < resume_from) {
            if (is_cancelled())
                return Error{ErrorCode::cancelled, "downloading '" + rel + "': cancelled"};
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), resume_from - at));
            const long long n = detail::pread_full(fd.get(), block.data(), want, at);
            if (n < 0 || static_cast<std::size_t>(n) != want) {
                discard();
                return Error{ErrorCode::io, "reading the temporary file for '" + rel + "'"};
            }
            hasher.update(std::string_view(block.data(), want));
            at += want;
        }
    }

    DownloadResult result;
    result.resumed_from = resume_from;
    FileSink sink(fd.get(), resume_from, req.size, hasher, progress, cancel_token, also, rel);
    std::optional<std::string> remote_checksum;
    bool have_facts = false;
    int resumes = 0;
    while (sink.offset() < req.size) {
        remote::DownloadRequest r;
        r.asset_id = req.asset_id;
        r.expected_size = req.size;
        if (sink.offset() > 0)
            r.range = remote::ByteRange{sink.offset(), req.size - 1};
        const std::uint64_t before = sink.received();
        auto got = m_remote.download(r, sink, cancel);
        if (!got) {
            const Error& e = got.error();
            const bool progressed = sink.received() > before;
            if (e.code == ErrorCode::not_found) {
                discard();
                auto out = status_only(DownloadStatus::remote_changed);
                out.bytes_transferred = sink.received();
                return out;
            }
            if (progressed && e.retryable() && resumes < m_options.max_resumes) {
                ++resumes; // broke mid-body: resume from what arrived, with a fresh URL
                continue;
            }
            result.bytes_transferred = sink.received();
            // The temporary file stays for a later resume (same asset id and size).
            return e.with_context("downloading '" + rel + "'");
        }
        switch (got->state) {
        case remote::DownloadState::transferred:
            break;
        case remote::DownloadState::not_ready:
            discard();
            return status_only(DownloadStatus::remote_not_ready);
        case remote::DownloadState::size_changed:
            discard();
            return status_only(DownloadStatus::remote_changed);
        case remote::DownloadState::not_downloadable:
            discard();
            return status_only(DownloadStatus::not_downloadable);
        }
        remote_checksum = got->item.checksum;
        have_facts = true;
        if (sink.received() == before)
            return Error{ErrorCode::network, "downloading '" + rel + "': the server sent no bytes"};
    }
    result.bytes_transferred = sink.received();
    if (!have_facts) {
        // Nothing was fetched (an empty file, or a complete temporary file): ask for the
        // asset's state, which must still be the same complete upload.
        auto item = m_remote.item(req.asset_id);
        if (!item) {
            if (item.error().code == ErrorCode::not_found) {
                discard();
                return status_only(DownloadStatus::remote_changed);
            }
            return item.error().with_context("downloading '" + rel + "'");
        }
        if (item->deleted || item->kind != remote::ItemKind::file || item->filesize != req.size) {
            discard();
            return status_only(DownloadStatus::remote_changed);
        }
        if (!item->upload_completed) {
            discard();
            return status_only(DownloadStatus::remote_not_ready);
        }
        remote_checksum = item->checksum;
    }

    // 5. Verify, make durable, rename into place.
    result.xxh64 = hasher.hex();
    result.remote_checksum = remote_checksum;
    if (remote_checksum && *remote_checksum != result.xxh64) {
        discard();
        result.status = DownloadStatus::checksum_mismatch;
        return result;
    }
    if (is_cancelled())
        return Error{ErrorCode::cancelled, "downloading '" + rel + "': cancelled"};
    if (::fsync(fd.get()) != 0) {
        const int e = errno;
        discard();
        return detail::errno_error(e, "fsync of the temporary file for '" + rel + "'");
    }
    if (req.mtime) {
        const auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(req.mtime->time_since_epoch())
                .count();
        struct timespec times[2];
        times[0].tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        times[0].tv_nsec = static_cast<long>(ns % 1'000'000'000);
        times[1] = times[0];
        if (::futimens(fd.get(), times) != 0)
            return detail::errno_error(errno, "setting the time of '" + rel + "'");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return detail::errno_error(errno, "stat of the temporary file for '" + rel + "'");
    if (static_cast<std::uint64_t>(st.st_size) != req.size) {
        discard();
        return Error{ErrorCode::io, "the temporary file for '" + rel + "' changed size"};
    }
    result.fingerprint = detail::fingerprint_of(st);

    if (req.replace_existing) {
        if (::renameat(dirfd, tmp.c_str(), dirfd, final_name.c_str()) != 0)
            return detail::errno_error(errno, "renaming into '" + rel + "'");
    } else if (::renameat2(dirfd, tmp.c_str(), dirfd, final_name.c_str(), RENAME_NOREPLACE) != 0) {
        int e = errno;
        if (e == EINVAL || e == ENOSYS) {
            // The file system cannot rename without replacing: a hard link fails just as
            // atomically when the name exists.
            if (::linkat(dirfd, tmp.c_str(), dirfd, final_name.c_str(), 0) == 0) {
                ::unlinkat(dirfd, tmp.c_str(), 0);
                e = 0;
            } else {
                e = errno;
            }
        }
        if (e == EEXIST) {
            discard();
            result.status = DownloadStatus::target_exists;
            return result;
        }
        if (e != 0)
            return detail::errno_error(e, "renaming into '" + rel + "'");
    }
    if (::fsync(dirfd) != 0)
        return detail::errno_error(errno, "fsync of the folder of '" + rel + "'");
    result.status = remote_checksum ? DownloadStatus::verified : DownloadStatus::unverified;
    return result;
}

} // namespace fios::transfer
