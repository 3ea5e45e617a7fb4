// SPDX-License-Identifier: MIT
#include "v4/links.hpp"

#include "core/blobs.hpp"

namespace fioemu {

std::int64_t v4_link_expiry(Micros now, std::int64_t link_ttl) {
    const std::int64_t s = now / k_micros_per_second;
    if (link_ttl > 0)
        return s + link_ttl;
    constexpr std::int64_t k_half_day = 12 * 3600;
    return (s / k_half_day + 1) * k_half_day;
}

std::string v4_original_url(const UrlSigner& signer, std::string_view base_url,
                            std::string_view file_id, bool inline_disposition, Micros now,
                            std::int64_t link_ttl) {
    (void)inline_disposition;
    return signer.original_url(base_url, file_id, v4_link_expiry(now, link_ttl));
}

} // namespace fioemu
