// SPDX-License-Identifier: MIT
#pragma once
// V4 files and their media: the media type derived from a name, the creation of a file
// awaiting its upload, and media links: signed CDN URLs of a file's original, expiring at the
// next UTC noon or midnight of the emulator clock (Frame.io's FAQ), or after --v4-link-ttl
// seconds.

#include "core/clock.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fioemu {

class UrlSigner;
struct Asset;
struct Services;

constexpr std::int64_t k_max_v4_file_size = 5'000'000'000'000; // the schema's maximum

/// Frame.io derives media_type from the name's extension (`my_file.jpg` -> image/jpeg);
/// unknown or missing extensions give application/octet-stream.
std::string v4_media_type(std::string_view name);

/// Creates a file awaiting its upload in `folder` (model lock held): media type from the name,
/// V4's part split (--v4-part-size), no checksum. The same path for client uploads and the demo.
Asset& create_v4_file(Services& s, Asset& folder, const std::string& creator_id,
                      const std::string& name, std::int64_t file_size, Micros now);

/// When a link minted at `now` expires (seconds since the epoch).
std::int64_t v4_link_expiry(Micros now, std::int64_t link_ttl);
/// The original's download URL (Content-Disposition: attachment) or inline URL (inline).
std::string v4_original_url(const UrlSigner& signer, std::string_view base_url,
                            std::string_view file_id, bool inline_disposition, Micros now,
                            std::int64_t link_ttl);

} // namespace fioemu
