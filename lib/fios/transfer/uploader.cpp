// SPDX-License-Identifier: MIT
#include "fios/transfer/uploader.hpp"

#include "fios/hash/xxh64.hpp"
#include "fios/transfer/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <set>

namespace fios::transfer {

std::string_view to_string(UploadStatus status) noexcept {
    switch (status) {
    case UploadStatus::uploaded:
        return "uploaded";
    case UploadStatus::local_changed:
        return "local_changed";
    case UploadStatus::session_invalid:
        return "session_invalid";
    }
    return "uploaded";
}

namespace {

using detail::UniqueFd;

/// A part of an open file as a request body: pread straight into the transport's buffer,
/// so no part is ever held in memory. Rewindable (the transport resends on retries).
/// Progress counts each byte once: bytes re-read after a rewind are not reported again.
class FilePartSource final : public net::BodySource {
public:
    FilePartSource(int fd, std::uint64_t offset, std::uint64_t length, const ProgressFn& progress,
                   const CancelToken& stop, const std::function<bool()>& cancelled)
        : m_fd(fd), m_offset(offset), m_length(length), m_progress(progress), m_stop(stop),
          m_cancelled(cancelled) {}

    [[nodiscard]] std::uint64_t size() const override { return m_length; }

    Result<std::size_t> read(std::span<char> buf) override {
        if (m_stop.cancelled() || m_cancelled())
            return Error{ErrorCode::cancelled, "part upload stopped"};
        const std::uint64_t left = m_length - m_pos;
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left));
        if (want == 0)
            return std::size_t{0};
        const long long n = detail::pread_full(m_fd, buf.data(), want, m_offset + m_pos);
        if (n < 0)
            return detail::errno_error(errno, "reading the file");
        if (n == 0) {
            return Error{ErrorCode::io, "the file ended at byte " +
                                            std::to_string(m_offset + m_pos) +
                                            " while being uploaded (it shrank)"};
        }
        m_pos += static_cast<std::uint64_t>(n);
        if (m_pos > m_reported) {
            if (m_progress)
                m_progress(m_pos - m_reported);
            m_reported = m_pos;
        }
        return static_cast<std::size_t>(n);
    }

    Status rewind() override {
        m_pos = 0;
        return {};
    }

private:
    int m_fd;
    std::uint64_t m_offset;
    std::uint64_t m_length;
    const ProgressFn& m_progress;
    const CancelToken& m_stop;
    const std::function<bool()>& m_cancelled;
    std::uint64_t m_pos = 0;
    std::uint64_t m_reported = 0;
};

/// Checks that a stored session describes a file of `size` bytes, part by part.
bool session_is_consistent(const remote::UploadSession& s, std::uint64_t size) {
    if (s.asset_id.empty() || s.parts.empty() || s.filesize != size)
        return false;
    std::uint64_t at = 0;
    for (const auto& p : s.parts) {
        if (p.offset != at || p.url.empty())
            return false;
        at += p.length;
    }
    return at == size;
}

UploadResult changed(std::string asset_id, std::string detail) {
    UploadResult r;
    r.status = UploadStatus::local_changed;
    r.asset_id = std::move(asset_id);
    r.detail = std::move(detail);
    return r;
}

UploadResult invalid(std::string asset_id, std::string detail) {
    UploadResult r;
    r.status = UploadStatus::session_invalid;
    r.asset_id = std::move(asset_id);
    r.detail = std::move(detail);
    return r;
}

/// Fingerprint of `name` in `root`/`folder` by path, never following a symlink; nullopt
/// when it is gone or not reachable any more.
std::optional<LocalFingerprint> fingerprint_by_path(const std::filesystem::path& root,
                                                    const model::RelPath& path) {
    auto dir = detail::open_folder(root, path.parent());
    if (!dir)
        return std::nullopt;
    struct stat st {};
    const std::string name(path.name());
    if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    return detail::fingerprint_of(st);
}

} // namespace

Uploader::Uploader(remote::Remote& remote, PartPool& parts, UploaderOptions options)
    : m_remote(remote), m_parts(parts), m_options(options) {
    m_options.hash_block = std::max<std::size_t>(m_options.hash_block, 4096);
}

Result<UploadResult> Uploader::upload(const UploadRequest& req, const UploadCallbacks& cb,
                                      const CancelToken* cancel, const CancelToken* also) {
    const std::string& rel = req.path.str();
    const std::function<bool()> is_cancelled = [cancel, also] {
        return (cancel && cancel->cancelled()) || (also && also->cancelled());
    };
    if (is_cancelled())
        return Error{ErrorCode::cancelled, "uploading '" + rel + "': cancelled"};
    if (req.path.is_root())
        return Error{ErrorCode::internal, "upload of the sync folder itself"};
    const std::string name = req.name.empty() ? std::string(req.path.name()) : req.name;

    // 1. Open the file without following symlinks at any level.
    int open_err = 0;
    auto dir = detail::open_folder(req.root, req.path.parent(), &open_err);
    if (!dir) {
        if (open_err == ENOENT)
            return changed("", "its folder no longer exists");
        return dir.error().with_context("uploading '" + rel + "'");
    }
    const std::string leaf(req.path.name());
    UniqueFd fd(::openat(dir->get(), leaf.c_str(),
                         O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) {
        const int e = errno;
        if (e == ENOENT)
            return changed("", "it no longer exists");
        return detail::errno_error(e, "opening '" + rel + "' for upload");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return detail::errno_error(errno, "stat of '" + rel + "'");
    if (!S_ISREG(st.st_mode))
        return Error{ErrorCode::io, "'" + rel + "' is not a regular file"};
    const LocalFingerprint before = detail::fingerprint_of(st);
    if (req.expected && *req.expected != before)
        return changed("", "it changed since it was scanned");
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

    // 2. The session: resumed (checked against the server) or newly created.
    remote::UploadSession session;
    std::set<std::size_t> done;
    if (req.resume) {
        session = *req.resume;
        if (!session_is_consistent(session, before.size)) {
            return invalid(session.asset_id,
                           "the stored session does not describe the file as it is now");
        }
        auto state = m_remote.item(session.asset_id);
        if (!state) {
            if (state.error().code == ErrorCode::not_found)
                return invalid(session.asset_id, "the asset no longer exists");
            return state.error().with_context("resuming the upload of '" + rel + "'");
        }
        if (state->deleted)
            return invalid(session.asset_id, "the asset was deleted");
        if (state->kind != remote::ItemKind::file || state->filesize != before.size)
            return invalid(session.asset_id, "the asset is not this file's upload");
        for (std::size_t i : req.done_parts) {
            if (i < session.parts.size())
                done.insert(i);
        }
        if (state->upload_completed) {
            for (std::size_t i = 0; i < session.parts.size(); ++i)
                done.insert(i);
        }
    } else {
        auto created = m_remote.create_file(req.parent_id, name, before.size);
        if (!created)
            return created.error().with_context("creating '" + rel + "'");
        session = std::move(*created);
        if (cb.on_session)
            cb.on_session(session);
    }

    // 3. Queue the missing parts on the shared pool; hash the whole file meanwhile.
    CancelToken stop; // this upload only: set on cancel or on the first failed part
    std::mutex failure_mutex;
    std::optional<Error> failure;
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::size_t> parts_sent{0};
    const ProgressFn& progress = cb.on_progress;
    {
        PartPool::Batch batch(m_parts);
        for (std::size_t i = 0; i < session.parts.size(); ++i) {
            if (done.count(i))
                continue;
            batch.add([&, i] {
                if (is_cancelled())
                    stop.cancel();
                if (stop.cancelled())
                    return;
                const auto& part = session.parts[i];
                FilePartSource source(fd.get(), part.offset, part.length, progress, stop,
                                      is_cancelled);
                auto st_part = m_remote.upload_part(session, i, source, &stop);
                if (st_part) {
                    bytes_sent += part.length;
                    ++parts_sent;
                    if (cb.on_part_done)
                        cb.on_part_done(i);
                    return;
                }
                std::lock_guard lock(failure_mutex);
                // The first real failure wins; the cancellations it causes do not.
                if (!failure || (failure->code == ErrorCode::cancelled &&
                                 st_part.error().code != ErrorCode::cancelled))
                    failure = st_part.error();
                stop.cancel();
            });
        }

        hash::Xxh64 hasher;
        std::vector<char> block(m_options.hash_block);
        std::uint64_t hashed = 0;
        bool short_read = false;
        std::optional<Error> read_error;
        // Hashes on from `hashed`; stops early on cancellation, or on a failed part when
        // `stop_on_failure` (the result is then an error anyway).
        const auto hash_rest = [&](bool stop_on_failure) {
            while (hashed < before.size && !short_read && !read_error) {
                if (is_cancelled()) {
                    stop.cancel();
                    return;
                }
                if (stop_on_failure && stop.cancelled())
                    return;
                const auto want = static_cast<std::size_t>(
                    std::min<std::uint64_t>(block.size(), before.size - hashed));
                const long long n = detail::pread_full(fd.get(), block.data(), want, hashed);
                if (n < 0) {
                    read_error = detail::errno_error(errno, "reading '" + rel + "'");
                    stop.cancel();
                    return;
                }
                if (static_cast<std::size_t>(n) < want) {
                    short_read = true; // it shrank: reported as changed below
                    return;
                }
                hasher.update(std::string_view(block.data(), want));
                hashed += want;
            }
        };
        hash_rest(true);

        // Wait for the parts, watching the caller's token (the part transfers watch `stop`).
        while (!batch.wait_for(m_options.cancel_poll)) {
            if (is_cancelled() && !stop.cancelled()) {
                stop.cancel();
                batch.drop_pending();
            }
        }

        // 4. Did the file change while we read it? Same open file, and same file at the path.
        struct stat after {};
        const bool same_fd =
            ::fstat(fd.get(), &after) == 0 && detail::fingerprint_of(after) == before;
        const auto by_path = fingerprint_by_path(req.root, req.path);
        const bool same_path = by_path && *by_path == before;
        if (!same_fd || !same_path || short_read) {
            return changed(session.asset_id, !by_path
                                                 ? "it was removed or replaced during the upload"
                                                 : "it changed during the upload");
        }
        if (is_cancelled())
            return Error{ErrorCode::cancelled, "uploading '" + rel + "': cancelled"};
        if (read_error)
            return read_error->with_context("uploading '" + rel + "'");
        if (failure) {
            const ErrorCode code = failure->code;
            if (code == ErrorCode::forbidden || code == ErrorCode::not_found) {
                // Refused URLs: maybe because the upload already completed (parts stored
                // by an earlier run that did not record them), else the session is dead.
                auto state = m_remote.item(session.asset_id);
                if (!(state && state->upload_completed && !state->deleted &&
                      state->filesize == before.size)) {
                    return invalid(session.asset_id,
                                   "the server refused the part URLs (expired, or the upload "
                                   "is gone): " +
                                       failure->message);
                }
                hash_rest(false); // the parts are all there: finish the hash
                if (is_cancelled())
                    return Error{ErrorCode::cancelled, "uploading '" + rel + "': cancelled"};
                if (read_error)
                    return read_error->with_context("uploading '" + rel + "'");
                if (short_read || hashed != before.size)
                    return changed(session.asset_id, "it changed during the upload");
            } else {
                return failure->with_context("uploading '" + rel + "'");
            }
        }

        if (hashed != before.size)
            return Error{ErrorCode::internal, "uploading '" + rel + "': the hash is incomplete"};
        UploadResult r;
        r.status = UploadStatus::uploaded;
        r.asset_id = session.asset_id;
        r.xxh64 = hasher.hex();
        r.fingerprint = before;
        r.bytes_sent = bytes_sent.load();
        r.parts_sent = parts_sent.load();
        return r;
    }
}

Result<std::size_t> discard_lost_creates(remote::Remote& remote, const std::string& parent_id,
                                         const std::string& name, std::uint64_t filesize,
                                         std::optional<model::TimePoint> not_before) {
    auto found = remote.find_by_name(parent_id, name);
    if (!found)
        return found.error();
    std::size_t deleted = 0;
    for (const auto& item : *found) {
        if (item.kind != remote::ItemKind::file || item.upload_completed ||
            item.filesize != filesize)
            continue;
        if (not_before && item.created_at < *not_before)
            continue;
        auto st = remote.delete_asset(item.id);
        if (!st)
            return st.error();
        ++deleted;
    }
    return deleted;
}

} // namespace fios::transfer
