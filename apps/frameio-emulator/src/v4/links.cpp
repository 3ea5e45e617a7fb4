// SPDX-License-Identifier: MIT
#include "v4/links.hpp"

#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "core/options.hpp"

#include <array>
#include <string>
#include <utility>

namespace fioemu {

/// Frame.io derives media_type from the name's extension (`my_file.jpg` -> image/jpeg).
/// Unknown or missing extensions get application/octet-stream.
std::string v4_media_type(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 40> k_types{{
        {"mov", "video/quicktime"},
        {"qt", "video/quicktime"},
        {"mp4", "video/mp4"},
        {"m4v", "video/x-m4v"},
        {"mxf", "application/mxf"},
        {"avi", "video/x-msvideo"},
        {"mkv", "video/x-matroska"},
        {"webm", "video/webm"},
        {"mpg", "video/mpeg"},
        {"mpeg", "video/mpeg"},
        {"mts", "video/mp2t"},
        {"m2ts", "video/mp2t"},
        {"wav", "audio/wav"},
        {"mp3", "audio/mpeg"},
        {"aac", "audio/aac"},
        {"m4a", "audio/mp4"},
        {"aif", "audio/aiff"},
        {"aiff", "audio/aiff"},
        {"flac", "audio/flac"},
        {"ogg", "audio/ogg"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"png", "image/png"},
        {"gif", "image/gif"},
        {"tif", "image/tiff"},
        {"tiff", "image/tiff"},
        {"bmp", "image/bmp"},
        {"webp", "image/webp"},
        {"heic", "image/heic"},
        {"svg", "image/svg+xml"},
        {"psd", "image/vnd.adobe.photoshop"},
        {"pdf", "application/pdf"},
        {"txt", "text/plain"},
        {"csv", "text/csv"},
        {"html", "text/html"},
        {"xml", "application/xml"},
        {"json", "application/json"},
        {"zip", "application/zip"},
        {"srt", "application/x-subrip"},
        {"docx", "application/vnd.openxmlformats-officedocument."
                 "wordprocessingml.document"},
    }};
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == name.size())
        return "application/octet-stream";
    const std::string ext = ascii_lower(name.substr(dot + 1));
    for (const auto& [e, type] : k_types) {
        if (e == ext)
            return std::string(type);
    }
    return "application/octet-stream";
}

Asset& create_v4_file(Services& s, Asset& folder, const std::string& creator_id,
                      const std::string& name, std::int64_t file_size, Micros now) {
    // V4 stores no checksum: the file never takes part in the checksum pass.
    Asset& file = s.model.create_file(folder, creator_id, name, v4_media_type(name), file_size,
                                      std::nullopt, {}, false, now);
    // create_file splits with V2's part size; V4 has its own rule and part size.
    file.part_count = v4_part_count(file.filesize, s.options.v4_part_size);
    file.parts.assign(static_cast<std::size_t>(file.part_count), '0');
    s.model.touch_asset(file, now);
    return file;
}

std::int64_t v4_link_expiry(Micros now, std::int64_t link_ttl) {
    const std::int64_t s = now / k_micros_per_second;
    if (link_ttl > 0)
        return s + link_ttl;
    // The next UTC noon or midnight strictly after `now` (a link minted at 12:00:00 lives
    // until midnight): UTC has no offsets, so half-days are multiples of 43,200 s.
    constexpr std::int64_t k_half_day = 12 * 3600;
    return (s / k_half_day + 1) * k_half_day;
}

std::string v4_original_url(const UrlSigner& signer, std::string_view base_url,
                            std::string_view file_id, bool inline_disposition, Micros now,
                            std::int64_t link_ttl) {
    // The inline variant is its own signed path (/originals/<id>/inline), so a client cannot
    // turn one link into the other without breaking its signature.
    std::string key(file_id);
    if (inline_disposition)
        key += "/inline";
    return signer.original_url(base_url, key, v4_link_expiry(now, link_ttl));
}

} // namespace fioemu
