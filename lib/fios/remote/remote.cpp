// SPDX-License-Identifier: MIT
#include "fios/remote/remote.hpp"

#include "fios/api/client.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace fios::remote {

std::string_view to_string(ItemKind kind) noexcept {
    switch (kind) {
    case ItemKind::file:
        return "file";
    case ItemKind::folder:
        return "folder";
    case ItemKind::version_stack:
        return "version_stack";
    }
    return "file";
}

bool is_outcome_unknown(const Error& error) {
    return api::is_create_outcome_unknown(error);
}

namespace {

constexpr std::string_view k_session_magic = "fios-upload-session 1";

bool has_newline(std::string_view s) {
    return s.find('\n') != std::string_view::npos || s.find('\r') != std::string_view::npos;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    if (s.empty())
        return std::nullopt;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size())
        return std::nullopt;
    return v;
}

/// Splits off the next line of `rest` (without '\n'); nullopt at the end.
std::optional<std::string_view> next_line(std::string_view& rest) {
    if (rest.empty())
        return std::nullopt;
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    return line;
}

} // namespace

// Format (one field per line, so that no field needs escaping; newlines are refused):
//   fios-upload-session 1
//   <asset_id> / <parent_id> / <name> / <filesize> / <content_type> / <part count>
//   then per part: "<offset> <length> <url>"; then "end" (a cut-off text is refused)
std::string encode_session(const UploadSession& s) {
    std::string out;
    out.append(k_session_magic).append("\n");
    for (const std::string* f : {&s.asset_id, &s.parent_id, &s.name}) {
        // A name with a newline cannot be stored: such names never reach an upload
        // (path_map refuses control characters), so this only guards the format.
        out.append(has_newline(*f) ? std::string{} : *f).append("\n");
    }
    out.append(std::to_string(s.filesize)).append("\n");
    out.append(has_newline(s.content_type) ? std::string{} : s.content_type).append("\n");
    out.append(std::to_string(s.parts.size())).append("\n");
    for (const auto& p : s.parts) {
        out.append(std::to_string(p.offset))
            .append(" ")
            .append(std::to_string(p.length))
            .append(" ")
            .append(has_newline(p.url) ? std::string{} : p.url)
            .append("\n");
    }
    out.append("end\n");
    return out;
}

Result<UploadSession> decode_session(std::string_view text) {
    const Error bad{ErrorCode::parse, "stored upload session is malformed"};
    std::string_view rest = text;
    auto magic = next_line(rest);
    if (!magic || *magic != k_session_magic)
        return bad;
    UploadSession s;
    for (std::string* f : {&s.asset_id, &s.parent_id, &s.name}) {
        auto line = next_line(rest);
        if (!line)
            return bad;
        *f = std::string(*line);
    }
    auto size_line = next_line(rest);
    auto type_line = size_line ? next_line(rest) : std::nullopt;
    auto count_line = type_line ? next_line(rest) : std::nullopt;
    if (!count_line)
        return bad;
    auto size = parse_u64(*size_line);
    auto count = parse_u64(*count_line);
    if (!size || !count || *count > 100'000 || s.asset_id.empty())
        return bad;
    s.filesize = *size;
    s.content_type = std::string(*type_line);
    std::uint64_t expected_offset = 0;
    for (std::uint64_t i = 0; i < *count; ++i) {
        auto line = next_line(rest);
        if (!line)
            return bad;
        const auto sp1 = line->find(' ');
        const auto sp2 = sp1 == std::string_view::npos ? sp1 : line->find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos)
            return bad;
        auto offset = parse_u64(line->substr(0, sp1));
        auto length = parse_u64(line->substr(sp1 + 1, sp2 - sp1 - 1));
        std::string_view url = line->substr(sp2 + 1);
        if (!offset || !length || url.empty() || *offset != expected_offset)
            return bad;
        expected_offset += *length;
        s.parts.push_back(UploadPart{*offset, *length, std::string(url)});
    }
    auto end = next_line(rest);
    if (!end || *end != "end" || !rest.empty() || expected_offset != s.filesize || s.parts.empty())
        return bad;
    return s;
}

std::string guess_content_type(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 40> k_types{{
        {"3gp", "video/3gpp"},
        {"aac", "audio/aac"},
        {"aif", "audio/aiff"},
        {"aiff", "audio/aiff"},
        {"avi", "video/x-msvideo"},
        {"bmp", "image/bmp"},
        {"braw", "application/octet-stream"},
        {"csv", "text/csv"},
        {"dng", "image/x-adobe-dng"},
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
        {"mkv", "video/x-matroska"},
        {"mov", "video/quicktime"},
        {"mp3", "audio/mpeg"},
        {"mp4", "video/mp4"},
        {"mpg", "video/mpeg"},
        {"mxf", "application/mxf"},
        {"ogg", "audio/ogg"},
        {"pdf", "application/pdf"},
        {"png", "image/png"},
        {"psd", "image/vnd.adobe.photoshop"},
        {"svg", "image/svg+xml"},
        {"tif", "image/tiff"},
        {"tiff", "image/tiff"},
        {"txt", "text/plain"},
        {"wav", "audio/wav"},
        {"webm", "video/webm"},
        {"webp", "image/webp"},
        {"zip", "application/zip"},
    }};
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 >= name.size())
        return "application/octet-stream";
    std::string ext(name.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    for (const auto& [e, type] : k_types) {
        if (e == ext)
            return std::string(type);
    }
    return "application/octet-stream";
}

Status put_session_part(const UploadSession& session, std::size_t index,
                        const net::BodySource& body,
                        const std::function<Status(const std::string& url)>& put) {
    if (index >= session.parts.size() || body.size() != session.parts[index].length) {
        return Error{ErrorCode::internal, "upload part " + std::to_string(index + 1) + " of '" +
                                              session.asset_id + "': no such part or wrong size"};
    }
    auto st = put(session.parts[index].url);
    if (!st) {
        return st.error().with_context("part " + std::to_string(index + 1) + "/" +
                                       std::to_string(session.parts.size()) + " of '" +
                                       session.asset_id + "'");
    }
    return {};
}

Result<FolderListing> Remote::list_folder_since(const std::string& folder_id,
                                                std::string_view /*since: no tags*/) {
    auto items = list_folder(folder_id, false);
    if (!items)
        return items.error();
    return FolderListing{false, std::move(*items), {}};
}

} // namespace fios::remote
