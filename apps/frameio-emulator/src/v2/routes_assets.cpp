// SPDX-License-Identifier: MIT
// /v2/assets/... and /v2/search/library.
#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/crypto.hpp"
#include "core/http_server.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "v2/filetype.hpp"
#include "v2/render.hpp"
#include "v2/routes.hpp"

#include <algorithm>
#include <functional>

namespace fioemu {

namespace {

/// Whether the caller may see the asset's project at all.
bool visible_project(ApiCall& c, const Asset& a) {
    const Project* p = c.s.model.project(a.project_id);
    if (!p || p->deleted_at)
        return false;
    const Team* t = c.s.model.team(p->team_id);
    const User* u = c.s.model.user(c.principal.user_id);
    return t && u && t->account_id == u->account_id;
}

/// The asset `id`, or nullptr after answering 404. Deleted assets need `include_deleted`.
Asset* find_asset(ApiCall& c, const std::string& id, bool include_deleted) {
    Asset* a = c.s.model.asset(id);
    if (!a || !visible_project(c, *a) || (a->deleted_at && !include_deleted)) {
        c.send_error(404, "asset not found");
        return nullptr;
    }
    return a;
}

// --- sorting -----------------------------------------------------------------------------

using Less = std::function<int(const Asset&, const Asset&)>;

template <class T>
int cmp(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

Micros uploaded_at(Model& m, const Asset& a) {
    if (a.type == AssetType::version_stack) {
        if (const Asset* cover = m.asset(a.cover_asset_id))
            return cover->inserted_at;
    }
    return a.inserted_at;
}

/// Parses "name,-filesize"; nullopt (after 422) for an unknown key.
std::optional<std::vector<Less>> parse_sort(ApiCall& c, const std::string& spec) {
    std::vector<Less> keys;
    Model& m = c.s.model;
    std::size_t pos = 0;
    while (pos <= spec.size()) {
        auto comma = spec.find(',', pos);
        if (comma == std::string::npos)
            comma = spec.size();
        std::string key = spec.substr(pos, comma - pos);
        pos = comma + 1;
        key.erase(0, key.find_first_not_of(' '));
        while (!key.empty() && key.back() == ' ')
            key.pop_back();
        if (key.empty())
            continue;
        const bool desc = key[0] == '-';
        if (desc || key[0] == '+')
            key.erase(0, 1);
        Less f;
        if (key == "name") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.name, b.name); };
        } else if (key == "filesize") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.filesize, b.filesize); };
        } else if (key == "filetype") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.filetype, b.filetype); };
        } else if (key == "id") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.id, b.id); };
        } else if (key == "label") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.label, b.label); };
        } else if (key == "comment_count") {
            f = [](const Asset&, const Asset&) { return 0; };
        } else if (key == "uploaded_at") {
            f = [&m](const Asset& a, const Asset& b) {
                return cmp(uploaded_at(m, a), uploaded_at(m, b));
            };
        } else if (key == "inserted_at") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.inserted_at, b.inserted_at); };
        } else if (key == "updated_at") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.updated_at, b.updated_at); };
        } else if (key == "index") {
            f = [](const Asset& a, const Asset& b) { return cmp(a.index, b.index); };
        } else {
            c.send_error(422, "cannot sort by '" + key +
                                  "' (known: comment_count, filesize, filetype, id, index, "
                                  "inserted_at, label, name, updated_at, uploaded_at)");
            return std::nullopt;
        }
        if (desc) {
            keys.push_back([f](const Asset& a, const Asset& b) { return -f(a, b); });
        } else {
            keys.push_back(f);
        }
    }
    return keys;
}

void sort_assets(std::vector<const Asset*>& v, const std::vector<Less>& keys) {
    std::stable_sort(v.begin(), v.end(), [&](const Asset* a, const Asset* b) {
        for (const auto& k : keys) {
            const int r = k(*a, *b);
            if (r != 0)
                return r < 0;
        }
        if (a->index != b->index)
            return a->index < b->index;
        return a->id < b->id;
    });
}

/// include=children,cover_asset
AssetRender render_options(ApiCall& c) {
    AssetRender o;
    if (c.req.has_param("include")) {
        const std::string inc = c.req.get_param_value("include");
        std::size_t pos = 0;
        while (pos <= inc.size()) {
            auto comma = inc.find(',', pos);
            if (comma == std::string::npos)
                comma = inc.size();
            const std::string item = inc.substr(pos, comma - pos);
            pos = comma + 1;
            if (item == "children")
                o.include_children = true;
            if (item == "cover_asset")
                o.include_cover_asset = true;
        }
    }
    return o;
}

void send_assets(ApiCall& c, const std::vector<const Asset*>& items, const Page& page,
                 const AssetRender& opts) {
    auto ctx = v2_render_context(c.s, c.now);
    Json j;
    j.begin_array();
    for (std::size_t i = page.begin; i < page.end; ++i)
        render_asset(j, ctx, *items[i], opts);
    j.end_array();
    c.send_json(j.take());
}

void send_asset(ApiCall& c, const Asset& a, const AssetRender& opts = {}) {
    auto ctx = v2_render_context(c.s, c.now);
    Json j;
    render_asset(j, ctx, a, opts);
    c.send_json(j.take());
}

/// Reads description and properties (shared by create and update); false after 422.
bool read_common(ApiCall& c, ObjectReader& r,
                 std::optional<std::optional<std::string>>& description,
                 std::optional<std::string>& properties) {
    std::string s;
    if (r.get_string("description", s)) {
        description = std::optional<std::string>(s);
    } else if (r.is_null("description")) {
        description = std::optional<std::string>();
    }
    if (r.get_object_json("properties", s)) {
        properties = s;
    } else if (r.is_null("properties")) {
        properties = std::string();
    }
    if (!r.ok()) {
        c.send_error(422, r.error());
        return false;
    }
    return true;
}

// --- search ------------------------------------------------------------------------------

struct Filter {
    std::string key;
    std::string op;
    std::vector<std::string> values; ///< strings (ids, types, names, timestamps)
};

bool filter_value(const rapidjson::Value& v, std::vector<std::string>& out) {
    if (v.IsString()) {
        out.emplace_back(v.GetString(), v.GetStringLength());
        return true;
    }
    if (v.IsArray()) {
        for (const auto& e : v.GetArray()) {
            if (!e.IsString())
                return false;
            out.emplace_back(e.GetString(), e.GetStringLength());
        }
        return true;
    }
    return false;
}

void run_search(ApiCall& c, const rapidjson::Value& body) {
    ObjectReader r(body);
    std::int64_t page = 1, page_size = 50;
    r.get_int64("page", page);
    r.get_int64("page_size", page_size);
    std::string sort = "-inserted_at", q, account_id;
    r.get_string("sort", sort);
    if (!r.get_string("q", q))
        r.get_string("query", q);
    bool include_deleted = false;
    r.get_bool("include_deleted", include_deleted);
    r.get_string("account_id", account_id);
    if (!r.ok())
        return c.send_error(422, r.error());

    std::vector<Filter> filters;
    if (const auto* f = r.get("filter"); f && !f->IsNull()) {
        if (!f->IsObject())
            return c.send_error(422, "filter must be an object");
        for (const auto& m : f->GetObject()) {
            Filter flt;
            flt.key.assign(m.name.GetString(), m.name.GetStringLength());
            static const std::set<std::string> k_keys = {
                "project_id",  "parent_id", "team_id",      "type", "updated_at",
                "inserted_at", "name",      "creator.name", "id"};
            if (!k_keys.count(flt.key)) {
                return c.send_error(422, "unknown filter '" + flt.key + "'");
            }
            if (m.value.IsObject()) {
                ObjectReader fr(m.value);
                if (!fr.get_string("op", flt.op))
                    flt.op = "eq";
                const auto* v = fr.get("value");
                if (!fr.ok() || !v || !filter_value(*v, flt.values)) {
                    return c.send_error(422,
                                        "filter '" + flt.key + "' needs {\"op\":..,\"value\":..}");
                }
            } else if (!filter_value(m.value, flt.values)) {
                return c.send_error(422, "filter '" + flt.key + "' has a bad value");
            } else {
                flt.op = "eq";
            }
            static const std::set<std::string> k_ops = {"eq",  "in", "gte",  "gt",
                                                        "lte", "lt", "match"};
            if (!k_ops.count(flt.op))
                return c.send_error(422, "unknown filter op '" + flt.op + "'");
            if (flt.values.empty())
                return c.send_error(422, "filter '" + flt.key + "' has no value");
            filters.push_back(std::move(flt));
        }
    }
    // Pre-parse timestamps.
    std::vector<Micros> times(filters.size(), 0);
    for (std::size_t i = 0; i < filters.size(); ++i) {
        if (filters[i].key == "updated_at" || filters[i].key == "inserted_at") {
            const auto t = parse_timestamp(filters[i].values.front());
            if (!t)
                return c.send_error(422, "filter '" + filters[i].key + "': bad timestamp");
            times[i] = *t;
        }
    }
    auto keys = parse_sort(c, sort);
    if (!keys)
        return;

    auto lock = c.s.model.lock();
    Model& m = c.s.model;
    const User* u = m.user(c.principal.user_id);
    std::vector<const Asset*> hits;
    if (u && (account_id.empty() || ascii_lower(account_id) == u->account_id)) {
        const std::string needle = ascii_lower(q);
        for (const auto& [id, a] : m.assets()) {
            if (a.is_root || (a.deleted_at && !include_deleted))
                continue;
            if (!visible_project(c, a))
                continue;
            if (!needle.empty() && ascii_lower(a.name).find(needle) == std::string::npos)
                continue;
            bool ok = true;
            for (std::size_t i = 0; i < filters.size() && ok; ++i) {
                const Filter& f = filters[i];
                const auto any_eq = [&](const std::string& v) {
                    return std::any_of(f.values.begin(), f.values.end(),
                                       [&](const std::string& x) { return ascii_lower(x) == v; });
                };
                if (f.key == "updated_at" || f.key == "inserted_at") {
                    const Micros v = f.key == "updated_at" ? a.updated_at : a.inserted_at;
                    const Micros t = times[i];
                    ok = f.op == "gte"   ? v >= t
                         : f.op == "gt"  ? v > t
                         : f.op == "lte" ? v <= t
                         : f.op == "lt"  ? v < t
                                         : v == t;
                } else if (f.key == "project_id") {
                    ok = any_eq(a.project_id);
                } else if (f.key == "parent_id") {
                    ok = any_eq(a.parent_id);
                } else if (f.key == "id") {
                    ok = any_eq(a.id);
                } else if (f.key == "type") {
                    ok = any_eq(std::string(to_string(a.type)));
                } else if (f.key == "team_id") {
                    const Project* p = m.project(a.project_id);
                    ok = p && any_eq(p->team_id);
                } else if (f.key == "name" || f.key == "creator.name") {
                    std::string name = a.name;
                    if (f.key == "creator.name") {
                        const User* cr = m.user(a.creator_id);
                        name = cr ? cr->name : std::string();
                    }
                    const std::string lname = ascii_lower(name);
                    ok = std::any_of(f.values.begin(), f.values.end(), [&](const std::string& x) {
                        return f.op == "match" ? lname.find(ascii_lower(x)) != std::string::npos
                                               : name == x;
                    });
                }
            }
            if (ok)
                hits.push_back(&a);
        }
    }
    sort_assets(hits, *keys);
    const auto p = make_page(c, page, page_size, hits.size());
    if (!p)
        return;
    AssetRender opts;
    send_assets(c, hits, *p, opts);
}

/// Builds a search body from a GET's query string: page, page_size, sort, q, include_deleted,
/// account_id, plain filter keys (project_id=...) and filter[key][op]/filter[key][value].
void search_from_query(ApiCall& c) {
    rapidjson::Document d;
    d.SetObject();
    auto& al = d.GetAllocator();
    rapidjson::Value filter(rapidjson::kObjectType);
    const auto str = [&](const std::string& s) {
        return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), al);
    };
    for (const auto& [k, v] : c.req.params) {
        if (k == "page" || k == "page_size") {
            const auto n = c.query_int(k.c_str(), 1, 1, 1'000'000'000);
            if (!n)
                return;
            d.AddMember(str(k), rapidjson::Value(static_cast<int64_t>(*n)), al);
        } else if (k == "include_deleted") {
            const auto b = c.query_bool("include_deleted", false);
            if (!b)
                return;
            d.AddMember(str(k), rapidjson::Value(*b), al);
        } else if (k == "sort" || k == "q" || k == "query" || k == "account_id") {
            d.AddMember(str(k), str(v), al);
        } else if (k.rfind("filter[", 0) == 0) {
            // filter[key][op] / filter[key][value]
            const auto close = k.find(']');
            if (close == std::string::npos)
                continue;
            const std::string key = k.substr(7, close - 7);
            const std::string field = k.substr(close + 1);
            if (!filter.HasMember(key.c_str())) {
                filter.AddMember(str(key), rapidjson::Value(rapidjson::kObjectType), al);
            }
            auto& obj = filter[key.c_str()];
            const std::string name = field == "[op]" ? "op" : "value";
            if (obj.HasMember(name.c_str()))
                obj.RemoveMember(name.c_str());
            obj.AddMember(str(name), str(v), al);
        } else if (k == "project_id" || k == "parent_id" || k == "team_id" || k == "type") {
            if (filter.HasMember(k.c_str()))
                filter.RemoveMember(k.c_str());
            filter.AddMember(str(k), str(v), al);
        }
    }
    if (filter.MemberCount() > 0)
        d.AddMember("filter", filter, al);
    run_search(c, d);
}

} // namespace

void register_v2_asset_routes(HttpServer& server, Services& s) {
    add_api_route(
        server, s, "GET", R"(/v2/assets/([^/]+)/?)", "GET /v2/assets/{id}", "asset.read",
        "asset-read", [](ApiCall& c) {
            const auto id = c.id_param(1, "asset");
            if (!id)
                return;
            const auto include_deleted = c.query_bool("include_deleted", false);
            if (!include_deleted)
                return;
            auto lock = c.s.model.lock();
            const Asset* a = find_asset(c, *id, *include_deleted || c.s.options.deleted_visible);
            if (!a)
                return;
            if (c.req.has_param("type") && c.req.get_param_value("type") != to_string(a->type)) {
                return c.send_error(404, "asset not found (type mismatch)");
            }
            send_asset(c, *a, render_options(c));
        });

    add_api_route(server, s, "GET", R"(/v2/assets/([^/]+)/children/?)",
                  "GET /v2/assets/{id}/children", "asset.read", "asset-list", [](ApiCall& c) {
                      const auto id = c.id_param(1, "asset");
                      if (!id)
                          return;
                      const auto include_deleted = c.query_bool("include_deleted", false);
                      if (!include_deleted)
                          return;
                      std::vector<Less> keys;
                      if (c.req.has_param("sort")) {
                          auto k = parse_sort(c, c.req.get_param_value("sort"));
                          if (!k)
                              return;
                          keys = std::move(*k);
                      }
                      auto lock = c.s.model.lock();
                      const Asset* parent = find_asset(c, *id, *include_deleted);
                      if (!parent)
                          return;
                      std::vector<const Asset*> items;
                      for (const auto& cid : parent->children) {
                          const Asset* a = c.s.model.asset(cid);
                          if (a && (!a->deleted_at || *include_deleted))
                              items.push_back(a);
                      }
                      sort_assets(items, keys);
                      const auto page = query_page(c, items.size());
                      if (!page)
                          return;
                      send_assets(c, items, *page, render_options(c));
                  });

    add_api_route(
        server, s, "POST", R"(/v2/assets/([^/]+)/children/?)", "POST /v2/assets/{id}/children",
        "asset.create", "asset-create", [](ApiCall& c) {
            const auto id = c.id_param(1, "asset");
            if (!id)
                return;
            rapidjson::Document doc;
            if (!c.json_body(doc))
                return;
            ObjectReader r(doc);
            std::string type, name, filetype;
            std::int64_t filesize = -1;
            const bool has_type = r.get_string("type", type);
            const bool has_name = r.get_string("name", name);
            const bool has_filetype = r.get_string("filetype", filetype);
            const bool has_size = r.get_int64("filesize", filesize);
            bool realtime = false;
            r.get_bool("is_realtime_upload", realtime);
            std::optional<std::optional<std::string>> description;
            std::optional<std::string> properties;
            if (!read_common(c, r, description, properties))
                return;
            if (!has_type)
                return c.send_error(422, "type is required (\"file\" or \"folder\")");
            if (type != "file" && type != "folder") {
                return c.send_error(422, "type must be \"file\" or \"folder\"");
            }
            if (!has_name || name.empty())
                return c.send_error(422, "name is required");
            if (r.get("source") && !r.is_null("source")) {
                return c.send_error(422,
                                    "server-side import (source) is not supported by the emulator");
            }
            if (realtime) {
                return c.send_error(422, "realtime uploads are not supported by the emulator");
            }
            if (type == "file") {
                // Optional in the reference; Ecto casts "" to nil as it does null.
                if (!has_filetype || filetype.empty())
                    filetype = filetype_from_name(name);
                if (!has_size)
                    return c.send_error(422, "filesize is required for a file");
                if (filesize < 0 || filesize > k_max_file_size) {
                    return c.send_error(422, "filesize must be from 0 to 5 TiB");
                }
            }
            const bool eligible = type == "file" ? c.s.draw_checksum_eligible() : true;

            auto lock = c.s.model.lock();
            Asset* parent = find_asset(c, *id, false);
            if (!parent)
                return;
            if (parent->type != AssetType::folder) {
                return c.send_error(422, std::string("cannot create assets inside a ") +
                                             std::string(to_string(parent->type)));
            }
            if (type == "folder") {
                Asset& a = c.s.model.create_folder(*parent, c.principal.user_id, name,
                                                   description.value_or(std::nullopt),
                                                   properties.value_or(std::string()), c.now);
                return send_asset(c, a);
            }
            Asset& a = c.s.model.create_file(*parent, c.principal.user_id, name, filetype, filesize,
                                             description.value_or(std::nullopt),
                                             properties.value_or(std::string()), eligible, c.now);
            std::vector<std::string> urls;
            const std::int64_t expires = c.now / k_micros_per_second + c.s.options.url_ttl;
            urls.reserve(static_cast<std::size_t>(a.part_count));
            for (std::int64_t i = 1; i <= a.part_count; ++i) {
                urls.push_back(c.s.signer.part_url(c.s.base_url, a.id, i, expires));
            }
            AssetRender opts;
            opts.upload_urls = &urls;
            send_asset(c, a, opts);
        });

    add_api_route(server, s, "PUT", R"(/v2/assets/([^/]+)/?)", "PUT /v2/assets/{id}",
                  "asset.update", "asset-update", [](ApiCall& c) {
                      const auto id = c.id_param(1, "asset");
                      if (!id)
                          return;
                      rapidjson::Document doc;
                      if (!c.json_body(doc))
                          return;
                      ObjectReader r(doc);
                      std::string name, label;
                      const bool has_name = r.get_string("name", name);
                      const bool has_label = r.get_string("label", label);
                      std::optional<std::optional<std::string>> description;
                      std::optional<std::string> properties;
                      if (!read_common(c, r, description, properties))
                          return;
                      if (r.is_null("name") || (has_name && name.empty())) {
                          return c.send_error(422, "name must be a non-empty string");
                      }
                      static const std::set<std::string> k_labels = {"none", "in_progress",
                                                                     "needs_review", "approved"};
                      if (has_label && !k_labels.count(label)) {
                          return c.send_error(422, "label must be one of none, in_progress, "
                                                   "needs_review, approved");
                      }
                      auto lock = c.s.model.lock();
                      Asset* a = find_asset(c, *id, false);
                      if (!a)
                          return;
                      if (a->is_root)
                          return c.send_error(422, "the root asset cannot be changed");
                      if (has_name) {
                          if (a->type == AssetType::version_stack) {
                              // A stack's name is its head's name.
                              if (Asset* head = c.s.model.asset(a->cover_asset_id)) {
                                  head->name = name;
                                  c.s.model.touch_asset(*head, c.now);
                              }
                          }
                          a->name = name;
                      }
                      if (has_label)
                          a->label = label;
                      if (description)
                          a->description = *description;
                      if (properties)
                          a->properties = *properties;
                      c.s.model.touch_asset(*a, c.now);
                      send_asset(c, *a);
                  });

    add_api_route(server, s, "DELETE", R"(/v2/assets/([^/]+)/?)", "DELETE /v2/assets/{id}",
                  "asset.delete", "asset-delete", [](ApiCall& c) {
                      const auto id = c.id_param(1, "asset");
                      if (!id)
                          return;
                      auto lock = c.s.model.lock();
                      Asset* a = find_asset(c, *id, false);
                      if (!a)
                          return;
                      if (a->is_root)
                          return c.send_error(422, "the root asset cannot be deleted");
                      c.s.model.delete_asset(*a, c.now);
                      auto ctx = v2_render_context(c.s, c.now);
                      Json j;
                      render_asset(j, ctx, *a);
                      c.send_deleted(j.take());
                  });

    add_api_route(
        server, s, "POST", R"(/v2/assets/([^/]+)/version/?)", "POST /v2/assets/{id}/version",
        "asset.create", "asset-create", [](ApiCall& c) {
            const auto id = c.id_param(1, "asset");
            if (!id)
                return;
            rapidjson::Document doc;
            if (!c.json_body(doc))
                return;
            ObjectReader r(doc);
            std::string next_id;
            if (!r.get_string("next_asset_id", next_id)) {
                return c.send_error(422, r.ok() ? "next_asset_id is required" : r.error());
            }
            if (!is_uuid(next_id))
                return c.send_error(422, "next_asset_id is not a valid id");
            next_id = ascii_lower(next_id);
            auto lock = c.s.model.lock();
            Asset* target = find_asset(c, *id, false);
            if (!target)
                return;
            Asset* next = c.s.model.asset(next_id);
            if (!next || next->deleted_at || !visible_project(c, *next)) {
                return c.send_error(422, "next_asset_id: asset not found");
            }
            if (target->is_root || target->type == AssetType::folder) {
                return c.send_error(422, "only a file or a version stack can be versioned");
            }
            if (!next->is_file())
                return c.send_error(422, "next_asset_id must be a file");
            if (next->id == target->id)
                return c.send_error(422, "an asset cannot version itself");
            if (c.s.model.stack_of(*next)) {
                return c.send_error(422, "next_asset_id is already in a version stack");
            }
            if (next->project_id != target->project_id) {
                return c.send_error(422, "next_asset_id is in another project");
            }
            Asset& stack = c.s.model.add_version(*target, *next, c.principal.user_id, c.now);
            send_asset(c, stack);
        });

    add_api_route(server, s, "POST", R"(/v2/search/library/?)", "POST /v2/search/library",
                  "asset.read", "search", [](ApiCall& c) {
                      rapidjson::Document doc;
                      if (!c.json_body(doc))
                          return;
                      run_search(c, doc);
                  });

    add_api_route(server, s, "GET", R"(/v2/search/library/?)", "GET /v2/search/library",
                  "asset.read", "search", [](ApiCall& c) {
                      // The official SDK sends GET requests with a JSON body.
                      if (c.body().find_first_not_of(" \t\r\n") != std::string::npos) {
                          rapidjson::Document doc;
                          if (!c.json_body(doc))
                              return;
                          return run_search(c, doc);
                      }
                      search_from_query(c);
                  });
}

} // namespace fioemu
