// SPDX-License-Identifier: MIT
#include "fios/transfer/verify.hpp"

#include <algorithm>

namespace fios::transfer {

std::string_view to_string(VerifyState state) noexcept {
    switch (state) {
    case VerifyState::verified:
        return "verified";
    case VerifyState::verified_by_size:
        return "verified_by_size";
    case VerifyState::mismatch:
        return "mismatch";
    case VerifyState::awaiting_checksum:
        return "awaiting_checksum";
    case VerifyState::awaiting_upload:
        return "awaiting_upload";
    case VerifyState::gone:
        return "gone";
    }
    return "awaiting_upload";
}

Result<VerifyResult> check_upload(remote::Remote& remote, const VerifyRequest& request) {
    auto item = remote.item(request.asset_id);
    VerifyResult r;
    if (!item) {
        if (item.error().code == ErrorCode::not_found) {
            r.state = VerifyState::gone;
            return r;
        }
        return item.error().with_context("verifying asset '" + request.asset_id + "'");
    }
    r.item = std::move(*item);
    if (r.item.deleted || r.item.kind == remote::ItemKind::folder) {
        r.state = VerifyState::gone;
    } else if (r.item.upload_failed) {
        r.state = VerifyState::mismatch; // never completes: only a new upload helps
    } else if (!r.item.upload_completed) {
        r.state = VerifyState::awaiting_upload;
    } else if (r.item.filesize != request.size) {
        r.state = VerifyState::mismatch;
    } else if (r.item.checksum) {
        r.state = *r.item.checksum == request.xxh64 ? VerifyState::verified : VerifyState::mismatch;
    } else {
        r.state = remote.capabilities().has_content_checksum ? VerifyState::awaiting_checksum
                                                             : VerifyState::verified_by_size;
    }
    return r;
}

std::chrono::milliseconds verify_delay(const VerifyPolicy& policy, int look) noexcept {
    auto d = std::max(policy.first_delay, std::chrono::milliseconds{1});
    for (int i = 0; i < look && d < policy.max_delay; ++i)
        d *= 2;
    return std::min(d, std::max(policy.max_delay, std::chrono::milliseconds{1}));
}

Result<VerifyResult> wait_for_verification(remote::Remote& remote, const VerifyRequest& request,
                                           const VerifyPolicy& policy, const Clock& clock,
                                           net::Sleeper& sleeper, const CancelToken* cancel) {
    const auto deadline = clock.now() + policy.timeout;
    for (int look = 0;; ++look) {
        auto r = check_upload(remote, request);
        if (!r || !is_pending(r->state))
            return r;
        const auto now = clock.now();
        if (now >= deadline)
            return r;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
        auto slept = sleeper.sleep_for(std::min(verify_delay(policy, look), left), cancel);
        if (!slept)
            return slept.error();
    }
}

} // namespace fios::transfer
