// SPDX-License-Identifier: MIT
#include "v4/resources.hpp"

#include "core/api.hpp"
#include "core/options.hpp"

#include <algorithm>

namespace fioemu {

V4RenderContext v4_render_context(V4Call& c) {
    return V4RenderContext{c.s.model, c.now, c.s.base_url, c.s.signer, c.s.options.v4_link_ttl};
}

Project* v4_find_project(V4Call& c, const std::string& id) {
    Project* p = c.s.model.project(id);
    const Account* acc = p ? c.s.model.account_of_project(p->id) : nullptr;
    if (!p || p->deleted_at || !acc || acc->id != c.account_id) {
        c.send_error(404, "Project not found");
        return nullptr;
    }
    return p;
}

Asset* v4_find_asset_id(V4Call& c, const std::string& id, std::initializer_list<AssetType> types,
                        std::string_view what) {
    Asset* a = c.s.model.asset(id);
    const Account* acc = a ? c.s.model.account_of_project(a->project_id) : nullptr;
    if (!a || c.s.model.is_deleted(*a) || !acc || acc->id != c.account_id ||
        std::find(types.begin(), types.end(), a->type) == types.end()) {
        c.send_error(404, std::string(what) + " not found");
        return nullptr;
    }
    return a;
}

Asset* v4_find_asset(V4Call& c, std::size_t n, std::initializer_list<AssetType> types,
                     std::string_view what) {
    const auto id = c.id_param(n, what);
    return id ? v4_find_asset_id(c, *id, types, what) : nullptr;
}

std::optional<std::string> v4_name_field(V4Call& c, const rapidjson::Value* data, const char* name,
                                         bool required, bool& answered) {
    answered = false;
    const std::string pointer = std::string("/data/") + name;
    const auto it = data ? data->FindMember(name) : rapidjson::Value::ConstMemberIterator();
    if (!data || it == data->MemberEnd()) {
        if (required) {
            c.send_error(422, std::string("Missing field: ") + name, pointer);
            answered = true;
        }
        return std::nullopt;
    }
    if (!it->value.IsString()) {
        c.send_error(422, std::string(name) + " must be a string", pointer);
        answered = true;
        return std::nullopt;
    }
    std::string value(it->value.GetString(), it->value.GetStringLength());
    // maxLength counts characters (code points; the body is valid UTF-8), not bytes.
    const auto characters =
        static_cast<std::size_t>(std::count_if(value.begin(), value.end(), [](char ch) {
            return (static_cast<unsigned char>(ch) & 0xC0U) != 0x80U;
        }));
    if (characters == 0 || characters > 255) {
        c.send_error(422, std::string(name) + " must be 1 to 255 characters long", pointer);
        answered = true;
        return std::nullopt;
    }
    return value;
}

std::string v4_key_str(std::string_view s, bool descending) {
    std::string out;
    out.reserve(s.size() + 1);
    for (const char ch : s) {
        const auto byte = static_cast<unsigned char>(ch);
        out += static_cast<char>(descending ? 0xFF - byte : byte);
    }
    // Ascending: a prefix sorts first by itself; descending: it must sort after its extensions.
    out += descending ? '\xFF' : '\0';
    return out;
}

V4AssetRender v4_asset_render(const std::vector<std::string>& include) {
    V4AssetRender r;
    constexpr std::string_view k_media = "media_links.";
    for (const auto& value : include) {
        if (value == "media_links.original") {
            r.media_links_original = true;
        } else if (value.starts_with(k_media)) {
            r.media_links_renditions.push_back(value.substr(k_media.size()));
        } else if (value == "creator") {
            r.creator = true;
        } else if (value == "project") {
            r.project = true;
        } else if (value == "metadata") {
            r.metadata = true;
        }
    }
    return r;
}

V4AncestorRule::V4AncestorRule(V4Call& c, const std::string& project_id)
    : m_call(c), m_project_id(project_id) {
    if (const Project* p = c.s.model.project(project_id))
        m_project_updated_at = p->updated_at;
}

void V4AncestorRule::finish(std::initializer_list<std::string> changed_containers) {
    Model& model = m_call.s.model;
    Project* p = model.project(m_project_id);
    if (!m_call.s.options.v4_bump_ancestors) {
        if (p && p->updated_at != m_project_updated_at)
            model.save_project(*p, m_project_updated_at);
        return;
    }
    for (const auto& id : changed_containers) {
        for (Asset* a = model.asset(id); a; a = model.asset(a->parent_id)) {
            if (!a->deleted_at) // a stack emptied by the change is gone; its folder is not
                model.touch_asset(*a, m_call.now);
        }
    }
    if (p)
        model.save_project(*p, m_call.now);
}

} // namespace fioemu
