// SPDX-License-Identifier: MIT
#pragma once
// Shared steps of the V4 resource routes (hierarchy and assets): lookups scoped to the
// caller's account, list answers with keyset cursors, and the ancestors' updated_at rule.

#include "core/json.hpp"
#include "core/model.hpp"
#include "v4/api.hpp"
#include "v4/render.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fioemu {

inline constexpr std::int64_t k_v4_page_max = 100;       ///< RequestPageSize
inline constexpr std::int64_t k_v4_asset_page_max = 500; ///< AssetRequestPageSize

V4RenderContext v4_render_context(V4Call& c);

/// A live project of the caller's account; nullptr after a 404.
Project* v4_find_project(V4Call& c, const std::string& id);
/// The capture `n` as a live asset of the caller's account whose type is one of `types`;
/// nullptr after a 404 naming `what` (another account's, a V2 or a deleted asset alike).
Asset* v4_find_asset(V4Call& c, std::size_t n, std::initializer_list<AssetType> types,
                     std::string_view what);
/// Same for an id from a request body (404 too: Frame.io answers so for unknown ids).
Asset* v4_find_asset_id(V4Call& c, const std::string& id, std::initializer_list<AssetType> types,
                        std::string_view what);

/// data.NAME as a string of 1..255 characters. Absent: nullopt with `present` false (a 422 when
/// `required`); wrong type or length: a 422 pointing at /data/NAME. `answered` tells a 422.
std::optional<std::string> v4_name_field(V4Call& c, const rapidjson::Value* data, const char* name,
                                         bool required, bool& answered);

/// An order-preserving key component for `s`, ascending or descending (then terminated so that
/// a prefix sorts after its extensions).
std::string v4_key_str(std::string_view s, bool descending);

/// The `include` flags of a file, folder or version stack answer from the include query
/// parameter (already validated against the operation's allowed values).
V4AssetRender v4_asset_render(const std::vector<std::string>& include);

/// The include values of the operations that return files with media links.
#define FIOEMU_V4_FILE_INCLUDES                                                                    \
    "media_links.original", "media_links.thumbnail", "media_links.thumbnail_high_quality",         \
        "media_links.video_h264_180", "media_links.high_quality", "media_links.efficient",         \
        "media_links.scrub_sheet", "creator", "project", "metadata"

/// Answers a list: `items` are (unique sort key, item) pairs in any order; `render` writes one
/// item. The cursor and page size must already be read (v4_read_cursor).
template <class T, class Render>
void v4_send_list(V4Call& c, std::vector<std::pair<std::string, T>>& items,
                  const std::string& after, std::int64_t page_size, bool include_total_count,
                  const V4ListState& state, Render&& render) {
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> keys;
    keys.reserve(items.size());
    for (const auto& item : items)
        keys.push_back(item.first);
    const V4Page page = v4_page_of(c, keys, after, page_size, include_total_count, state);
    Json j;
    j.begin_object().key("data").begin_array();
    for (std::size_t i = page.begin; i < page.end; ++i)
        render(j, items[i].second);
    j.end_array();
    v4_write_list_tail(j, page);
    j.end_object();
    c.send_json(j.take());
}

/// Frame.io leaves a folder's (and the project's) updated_at alone when something inside
/// changes (UNCONFIRMED; --v4-bump-ancestors makes them follow). Construct before a change
/// in `project_id`; finish() after it with the containers whose content changed.
class V4AncestorRule {
public:
    V4AncestorRule(V4Call& c, const std::string& project_id);
    void finish(std::initializer_list<std::string> changed_containers);

private:
    V4Call& m_call;
    std::string m_project_id;
    Micros m_project_updated_at = 0;
};

} // namespace fioemu
