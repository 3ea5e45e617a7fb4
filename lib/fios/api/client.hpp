// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/model.hpp"
#include "fios/api/rate_limiter.hpp"
#include "fios/api/rest.hpp"
#include "fios/api/token_provider.hpp"
#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/http.hpp"
#include "fios/net/retry.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::api {

struct V2ClientOptions {
    std::string api_base = "https://api.frame.io"; ///< no trailing slash needed
    /// page_size sent on list requests; the client still follows total-pages whatever the
    /// server actually put in a page.
    int page_size = 500;
    /// A listing that grows beyond this many items fails (a server whose total-pages keeps
    /// growing); so does one whose pages repeat only known items k_repeat_pages times in a row.
    std::size_t max_list_items = 1'000'000;
    std::string user_agent = default_user_agent();
    /// Called on the thread that made the call, so concurrently when the client is shared:
    /// it must be thread-safe.
    TraceCallback trace;
    /// Told of each retry before its wait (see RestOptions::on_retry); must be thread-safe.
    RetryCallback on_retry;
    /// Network errors, timeouts and 5xx of idempotent requests (GET, PUT, DELETE, search).
    net::RetryPolicy transient_retry{5,
                                     std::chrono::milliseconds{500},
                                     std::chrono::milliseconds{30'000},
                                     std::chrono::milliseconds{0},
                                     std::chrono::milliseconds{120'000},
                                     std::chrono::milliseconds{300'000}};
    /// 429 for every request, creates included (a 429 is refused before it is processed).
    /// Starts near 1 s and doubles up to 64 s, as the reference recommends.
    net::RetryPolicy rate_limit_retry{8,
                                      std::chrono::milliseconds{1'000},
                                      std::chrono::milliseconds{64'000},
                                      std::chrono::milliseconds{250},
                                      std::chrono::milliseconds{300'000},
                                      std::chrono::milliseconds{300'000}};
    bool pace_requests = true; ///< see RateLimiter
    double pace_low_water = 0.2;
    std::optional<std::uint64_t> jitter_seed; ///< fixed in tests
    /// Shutdown: ends running requests and backoff waits with ErrorCode::cancelled.
    const CancelToken* cancel = nullptr;
    /// Upper bound of one API exchange (not of part uploads or downloads, which rely on the
    /// transport's minimum-rate deadline instead).
    std::chrono::milliseconds api_timeout{120'000};
};

struct ChildrenOptions {
    bool include_deleted = false;
};

/// Typed Frame.io V2 client over the shared RestClient (docs/api-client.md has the full
/// contract; PartRange, ByteRange, DownloadResult, TraceEvent and is_create_outcome_unknown
/// come from rest.hpp). Thread-safe: one
/// instance serves every worker thread; the transport, token provider, clock and sleeper
/// must outlive it. Each call retries what is safe to retry and paces by rate-limit headers;
/// failures come back as fios::Error values whose retryable() says if trying later can help.
class V2Client {
public:
    V2Client(net::HttpTransport& transport, TokenProvider& tokens, const Clock& clock,
             net::Sleeper& sleeper, V2ClientOptions options = {});
    ~V2Client();
    V2Client(const V2Client&) = delete;
    V2Client& operator=(const V2Client&) = delete;

    // Identity and hierarchy. Lists follow every page.
    Result<User> me();
    Result<std::vector<Account>> accounts();
    Result<std::vector<Team>> account_teams(const std::string& account_id);
    Result<std::vector<Team>> teams();
    Result<Team> team(const std::string& team_id);
    Result<std::vector<Project>> team_projects(const std::string& team_id);
    Result<std::vector<Project>> shared_projects();
    Result<Project> project(const std::string& project_id);
    /// A create: never retried after it may have reached the server (see
    /// is_create_outcome_unknown). For tests and demos.
    Result<Project> create_project(const std::string& team_id, const std::string& name,
                                   bool is_private = false);

    // Assets.
    Result<std::vector<Asset>> children(const std::string& asset_id, ChildrenOptions opts = {});
    Result<Asset> asset(const std::string& asset_id, bool include_deleted = false);
    Result<Asset> create_folder(const std::string& parent_id, const std::string& name);
    /// Returns the new asset with its upload_urls (cut the file with compute_part_ranges).
    Result<Asset> create_file(const std::string& parent_id, const std::string& name,
                              const std::string& filetype, std::uint64_t filesize);
    Result<Asset> rename(const std::string& asset_id, const std::string& new_name);
    /// Soft delete. 200, 202 and 204 are success; so is a 404 after an earlier attempt of
    /// the same call failed without an answer (that attempt did it).
    Status delete_asset(const std::string& asset_id);
    /// Puts `next_asset_id` on top of `target_id` (making a version stack if needed). A
    /// create: same rule as create_file.
    Result<Asset> add_version(const std::string& target_id, const std::string& next_asset_id);
    /// Assets of a project updated at or after `since` (POST /v2/search/library), all pages.
    Result<std::vector<Asset>>
    search_updated_since(const std::string& project_id, TimePoint since,
                         const std::optional<std::string>& account_id = std::nullopt);

    // Transfers on pre-signed URLs: no Authorization header, no API rate limit.
    /// PUTs one part (Content-Type = filetype, x-amz-acl: private), streamed from `body`
    /// (whose size() is the part length). Retried on network errors and 5xx, rewinding body.
    /// `cancel` (optional) ends this transfer only; the client's token still applies.
    Status upload_part(const std::string& upload_url, const std::string& filetype,
                       net::BodySource& body, const CancelToken* cancel = nullptr);
    /// GETs `url` (an asset's `original`) into `sink`, the whole object or `range`. Retried
    /// only while nothing reached the sink; after that a retryable error is returned and
    /// the caller resumes with a range.
    Result<DownloadResult> download(const std::string& url, std::optional<ByteRange> range,
                                    net::BodySink& sink, const CancelToken* cancel = nullptr);

    [[nodiscard]] const RateLimiter& rate_limiter() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace fios::api
