// SPDX-License-Identifier: MIT
#pragma once
// V4 media links: signed CDN URLs of a file's original, expiring at the next UTC noon or
// midnight of the emulator clock (Frame.io's FAQ), or after --v4-link-ttl seconds.

#include "core/clock.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fioemu {

class UrlSigner;

/// When a link minted at `now` expires (seconds since the epoch).
std::int64_t v4_link_expiry(Micros now, std::int64_t link_ttl);
/// The original's download URL (Content-Disposition: attachment) or inline URL (inline).
std::string v4_original_url(const UrlSigner& signer, std::string_view base_url,
                            std::string_view file_id, bool inline_disposition, Micros now,
                            std::int64_t link_ttl);

} // namespace fioemu
