// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/net/retry.hpp"
#include "fios/remote/remote.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

/// Verification of an upload: the remote asset's checksum against the local XXH64.
///
/// Two ways to use it: check_upload() looks once (one GET) and never waits: the executor's
/// verify jobs call it on a backoff schedule (VerifyPolicy) without holding a worker between
/// looks, so waiting for a checksum never blocks other work. wait_for_verification() is the
/// blocking loop over the same check, with an injected Clock and Sleeper, for simple callers
/// and tests.
namespace fios::transfer {

struct VerifyRequest {
    std::string asset_id;   ///< the uploaded asset (a stack's head when verifying a version)
    std::uint64_t size = 0; ///< the local file's size
    std::string xxh64;      ///< the local file's XXH64 (16 lowercase hex digits)
};

enum class VerifyState : std::uint8_t {
    verified,          ///< upload complete and remote checksum == local XXH64
    verified_by_size,  ///< backend without checksums (V4): complete and the size matches
    mismatch,          ///< complete, and the checksum or the size differs; or Frame.io
                       ///< marked the upload failed (item.upload_failed): delete, re-upload
    awaiting_checksum, ///< complete, no checksum yet: "awaiting verification"
    awaiting_upload,   ///< upload_completed not set yet (parts still being assembled)
    gone,              ///< the asset no longer exists (deleted on Frame.io)
};

std::string_view to_string(VerifyState state) noexcept;

/// True for the two states that end with "verified".
constexpr bool is_verified(VerifyState s) noexcept {
    return s == VerifyState::verified || s == VerifyState::verified_by_size;
}
/// True while waiting longer can change the answer.
constexpr bool is_pending(VerifyState s) noexcept {
    return s == VerifyState::awaiting_checksum || s == VerifyState::awaiting_upload;
}

struct VerifyResult {
    VerifyState state = VerifyState::awaiting_upload;
    remote::Item item; ///< the asset as last seen (empty id for `gone`)
};

/// One look: GET the asset, compare. Never sleeps. Errors are the Remote's (a 404 is not an
/// error but VerifyState::gone).
Result<VerifyResult> check_upload(remote::Remote& remote, const VerifyRequest& request);

/// How long and how often to look again while the state is pending.
struct VerifyPolicy {
    std::chrono::milliseconds timeout{60'000};  ///< `--verify-timeout`: then awaiting_*
    std::chrono::milliseconds first_delay{500}; ///< wait before the 2nd look
    std::chrono::milliseconds max_delay{8'000}; ///< cap of the doubling delay
};

/// The delay before look number `look` (0 = before the 2nd look): doubling from
/// first_delay, capped at max_delay.
std::chrono::milliseconds verify_delay(const VerifyPolicy& policy, int look) noexcept;

/// Looks until the state is no longer pending or policy.timeout (measured on `clock`) has
/// passed, sleeping verify_delay() between looks; returns the last state (a pending state
/// after the timeout). ErrorCode::cancelled when `cancel` fires during a wait.
Result<VerifyResult> wait_for_verification(remote::Remote& remote, const VerifyRequest& request,
                                           const VerifyPolicy& policy, const Clock& clock,
                                           net::Sleeper& sleeper,
                                           const CancelToken* cancel = nullptr);

} // namespace fios::transfer
