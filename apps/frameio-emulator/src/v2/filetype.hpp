// SPDX-License-Identifier: MIT
#pragma once

#include "core/crypto.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

namespace fioemu {

/// The MIME type Frame.io gives a file created without `filetype` (optional in the V2 reference
/// "Create an Asset"): the one of the name's extension, case-insensitively, else
/// application/octet-stream (a name without extension, such as LICENSE, included).
inline std::string filetype_from_name(std::string_view name) {
    struct Entry {
        std::string_view ext;
        std::string_view type;
    };
    // Sorted by extension (binary search): media first of all, then common office and archives.
    static constexpr Entry k_types[] = {
        {"3gp", "video/3gpp"},
        {"aac", "audio/aac"},
        {"aif", "audio/x-aiff"},
        {"aiff", "audio/x-aiff"},
        {"avi", "video/x-msvideo"},
        {"bmp", "image/bmp"},
        {"csv", "text/csv"},
        {"doc", "application/msword"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"exr", "image/x-exr"},
        {"flac", "audio/flac"},
        {"gif", "image/gif"},
        {"heic", "image/heic"},
        {"htm", "text/html"},
        {"html", "text/html"},
        {"jpeg", "image/jpeg"},
        {"jpg", "image/jpeg"},
        {"json", "application/json"},
        {"m4a", "audio/mp4"},
        {"m4v", "video/x-m4v"},
        {"md", "text/markdown"},
        {"mkv", "video/x-matroska"},
        {"mov", "video/quicktime"},
        {"mp3", "audio/mpeg"},
        {"mp4", "video/mp4"},
        {"mpeg", "video/mpeg"},
        {"mpg", "video/mpeg"},
        {"mxf", "application/mxf"},
        {"pdf", "application/pdf"},
        {"png", "image/png"},
        {"ppt", "application/vnd.ms-powerpoint"},
        {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {"psd", "image/vnd.adobe.photoshop"},
        {"srt", "application/x-subrip"},
        {"svg", "image/svg+xml"},
        {"tif", "image/tiff"},
        {"tiff", "image/tiff"},
        {"txt", "text/plain"},
        {"wav", "audio/wav"},
        {"webm", "video/webm"},
        {"webp", "image/webp"},
        {"xls", "application/vnd.ms-excel"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"xml", "application/xml"},
        {"zip", "application/zip"},
    };
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size())
        return "application/octet-stream";
    const std::string ext = ascii_lower(name.substr(dot + 1));
    const auto* end = std::end(k_types);
    const auto* it =
        std::lower_bound(std::begin(k_types), end, ext,
                         [](const Entry& e, const std::string& x) { return e.ext < x; });
    if (it != end && it->ext == ext)
        return std::string(it->type);
    return "application/octet-stream";
}

} // namespace fioemu
