// SPDX-License-Identifier: MIT
// Model persistence: the store's format (internal; unrelated to the API's JSON),
// Model::load and Model::commit. The rest of Model is in model.cpp.
#include "core/json.hpp"
#include "core/model.hpp"
#include "core/store.hpp"

#include <stdexcept>

namespace fioemu {

namespace {

std::optional<AssetType> asset_type_from(std::string_view s) {
    if (s == "file")
        return AssetType::file;
    if (s == "folder")
        return AssetType::folder;
    if (s == "version_stack")
        return AssetType::version_stack;
    return std::nullopt;
}

// --- persistence format (internal; unrelated to the API's JSON) ---------------------------

void put_opt_time(Json& j, std::string_view k, const std::optional<Micros>& t) {
    j.key(k);
    if (t) {
        j.i64(*t);
    } else {
        j.null();
    }
}

std::optional<Micros> get_opt_time(ObjectReader& r, std::string_view k) {
    std::int64_t v = 0;
    if (r.get_int64(k, v))
        return v;
    return std::nullopt;
}

std::string get_str(ObjectReader& r, std::string_view k) {
    std::string s;
    r.get_string(k, s);
    return s;
}

std::int64_t get_i64(ObjectReader& r, std::string_view k) {
    std::int64_t v = 0;
    r.get_int64(k, v);
    return v;
}

void put_scopes(Json& j, const std::set<std::string>& scopes) {
    j.key("scopes").begin_array();
    for (const auto& s : scopes)
        j.str(s);
    j.end_array();
}

std::set<std::string> get_scopes(ObjectReader& r) {
    std::set<std::string> out;
    if (const auto* v = r.get("scopes"); v && v->IsArray()) {
        for (const auto& s : v->GetArray()) {
            if (s.IsString())
                out.emplace(s.GetString(), s.GetStringLength());
        }
    }
    return out;
}

std::string serialize(const Account& a) {
    Json j;
    j.begin_object();
    j.key("id").str(a.id).key("display_name").str(a.display_name).key("owner_id").str(a.owner_id);
    j.key("generation").i64(static_cast<std::int64_t>(a.generation));
    j.key("inserted_at").i64(a.inserted_at).key("updated_at").i64(a.updated_at);
    j.end_object();
    return j.take();
}

std::string serialize(const User& u) {
    Json j;
    j.begin_object();
    j.key("id").str(u.id).key("name").str(u.name).key("email").str(u.email);
    j.key("account_id").str(u.account_id).key("context_id").str(u.context_id);
    j.key("features_id").str(u.features_id);
    j.key("inserted_at").i64(u.inserted_at).key("updated_at").i64(u.updated_at);
    j.end_object();
    return j.take();
}

std::string serialize(const Team& t) {
    Json j;
    j.begin_object();
    j.key("id").str(t.id).key("name").str(t.name).key("account_id").str(t.account_id);
    j.key("creator_id").str(t.creator_id);
    j.key("inserted_at").i64(t.inserted_at).key("updated_at").i64(t.updated_at);
    j.end_object();
    return j.take();
}

std::string serialize(const Project& p) {
    Json j;
    j.begin_object();
    j.key("id").str(p.id).key("name").str(p.name).key("team_id").str(p.team_id);
    j.key("owner_id").str(p.owner_id).key("root_asset_id").str(p.root_asset_id);
    j.key("description").opt_str(p.description).key("private").boolean(p.is_private);
    j.key("inactive").boolean(p.inactive);
    j.key("inserted_at").i64(p.inserted_at).key("updated_at").i64(p.updated_at);
    put_opt_time(j, "deleted_at", p.deleted_at);
    j.key("file_count").i64(p.file_count).key("folder_count").i64(p.folder_count);
    j.key("storage").i64(p.storage);
    j.end_object();
    return j.take();
}

std::string serialize(const Asset& a) {
    Json j;
    j.begin_object();
    j.key("id").str(a.id).key("type").str(to_string(a.type)).key("name").str(a.name);
    j.key("parent_id").str(a.parent_id).key("project_id").str(a.project_id);
    j.key("creator_id").str(a.creator_id).key("is_root").boolean(a.is_root);
    j.key("filetype").str(a.filetype).key("filesize").i64(a.filesize).key("index").dbl(a.index);
    j.key("label").str(a.label).key("description").opt_str(a.description);
    j.key("properties").str(a.properties);
    j.key("inserted_at").i64(a.inserted_at).key("updated_at").i64(a.updated_at);
    put_opt_time(j, "deleted_at", a.deleted_at);
    j.key("part_count").i64(a.part_count).key("parts").str(a.parts);
    put_opt_time(j, "upload_completed_at", a.upload_completed_at);
    put_opt_time(j, "transcoded_at", a.transcoded_at);
    put_opt_time(j, "first_part_at", a.first_part_at);
    j.key("upload_failed").boolean(a.upload_failed);
    j.key("status").str(a.status).key("checksum_eligible").boolean(a.checksum_eligible);
    j.key("computed_hash").str(a.computed_hash).key("checksum").opt_str(a.checksum);
    j.key("checksum_id").str(a.checksum_id);
    j.key("item_count").i64(a.item_count).key("cover_asset_id").str(a.cover_asset_id);
    j.end_object();
    return j.take();
}

std::string serialize(const OAuthFamily& f) {
    Json j;
    j.begin_object();
    j.key("id").str(f.id).key("client_id").str(f.client_id).key("user_id").str(f.user_id);
    put_scopes(j, f.scopes);
    j.key("refresh_expires_at").i64(f.refresh_expires_at).key("revoked").boolean(f.revoked);
    j.end_object();
    return j.take();
}

std::string serialize(const OAuthCode& c) {
    Json j;
    j.begin_object();
    j.key("hash").str(c.hash).key("client_id").str(c.client_id);
    j.key("redirect_uri").str(c.redirect_uri);
    put_scopes(j, c.scopes);
    j.key("challenge").str(c.challenge).key("user_id").str(c.user_id);
    j.key("family_id").str(c.family_id).key("expires_at").i64(c.expires_at);
    j.key("used").boolean(c.used);
    j.end_object();
    return j.take();
}

std::string serialize(const OAuthToken& t) {
    Json j;
    j.begin_object();
    j.key("hash").str(t.hash).key("refresh").boolean(t.refresh);
    j.key("family_id").str(t.family_id).key("expires_at").i64(t.expires_at);
    put_scopes(j, t.scopes);
    j.key("used").boolean(t.used);
    j.end_object();
    return j.take();
}

} // namespace

// --- load --------------------------------------------------------------------------------

void Model::load() {
    const auto parse = [](const std::string& json, rapidjson::Document& doc) {
        std::string err;
        if (!parse_json(json, doc, err) || !doc.IsObject()) {
            throw std::runtime_error("corrupt state row: " + err);
        }
    };
    m_store.for_each("account", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        Account a;
        a.id = get_str(r, "id");
        a.display_name = get_str(r, "display_name");
        a.owner_id = get_str(r, "owner_id");
        a.generation = get_i64(r, "generation") == 4 ? Generation::v4 : Generation::v2;
        a.inserted_at = get_i64(r, "inserted_at");
        a.updated_at = get_i64(r, "updated_at");
        m_accounts[a.id] = a;
    });
    m_store.for_each("user", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        User u;
        u.id = get_str(r, "id");
        u.name = get_str(r, "name");
        u.email = get_str(r, "email");
        u.account_id = get_str(r, "account_id");
        u.context_id = get_str(r, "context_id");
        u.features_id = get_str(r, "features_id");
        u.inserted_at = get_i64(r, "inserted_at");
        u.updated_at = get_i64(r, "updated_at");
        m_users[u.id] = u;
    });
    m_store.for_each("team", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        Team t;
        t.id = get_str(r, "id");
        t.name = get_str(r, "name");
        t.account_id = get_str(r, "account_id");
        t.creator_id = get_str(r, "creator_id");
        t.inserted_at = get_i64(r, "inserted_at");
        t.updated_at = get_i64(r, "updated_at");
        m_teams[t.id] = t;
    });
    m_store.for_each("project", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        Project p;
        p.id = get_str(r, "id");
        p.name = get_str(r, "name");
        p.team_id = get_str(r, "team_id");
        p.owner_id = get_str(r, "owner_id");
        p.root_asset_id = get_str(r, "root_asset_id");
        std::string desc;
        if (r.get_string("description", desc))
            p.description = desc;
        r.get_bool("private", p.is_private);
        r.get_bool("inactive", p.inactive);
        p.inserted_at = get_i64(r, "inserted_at");
        p.updated_at = get_i64(r, "updated_at");
        p.deleted_at = get_opt_time(r, "deleted_at");
        p.file_count = get_i64(r, "file_count");
        p.folder_count = get_i64(r, "folder_count");
        p.storage = get_i64(r, "storage");
        m_projects[p.id] = p;
    });
    m_store.for_each("asset", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        Asset a;
        a.id = get_str(r, "id");
        a.type = asset_type_from(get_str(r, "type")).value_or(AssetType::file);
        a.name = get_str(r, "name");
        a.parent_id = get_str(r, "parent_id");
        a.project_id = get_str(r, "project_id");
        a.creator_id = get_str(r, "creator_id");
        r.get_bool("is_root", a.is_root);
        a.filetype = get_str(r, "filetype");
        a.filesize = get_i64(r, "filesize");
        r.get_double("index", a.index);
        a.label = get_str(r, "label");
        std::string desc;
        if (r.get_string("description", desc))
            a.description = desc;
        a.properties = get_str(r, "properties");
        a.inserted_at = get_i64(r, "inserted_at");
        a.updated_at = get_i64(r, "updated_at");
        a.deleted_at = get_opt_time(r, "deleted_at");
        a.part_count = get_i64(r, "part_count");
        a.parts = get_str(r, "parts");
        a.parts_received =
            static_cast<std::int64_t>(std::count(a.parts.begin(), a.parts.end(), '1'));
        a.upload_completed_at = get_opt_time(r, "upload_completed_at");
        a.transcoded_at = get_opt_time(r, "transcoded_at");
        a.first_part_at = get_opt_time(r, "first_part_at");
        r.get_bool("upload_failed", a.upload_failed);
        a.status = get_str(r, "status");
        r.get_bool("checksum_eligible", a.checksum_eligible);
        a.computed_hash = get_str(r, "computed_hash");
        std::string sum;
        if (r.get_string("checksum", sum))
            a.checksum = sum;
        a.checksum_id = get_str(r, "checksum_id");
        a.item_count = get_i64(r, "item_count");
        a.cover_asset_id = get_str(r, "cover_asset_id");
        m_assets[a.id] = std::move(a);
    });
    m_store.for_each("oauth_family", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        OAuthFamily f;
        f.id = get_str(r, "id");
        f.client_id = get_str(r, "client_id");
        f.user_id = get_str(r, "user_id");
        f.scopes = get_scopes(r);
        f.refresh_expires_at = get_i64(r, "refresh_expires_at");
        r.get_bool("revoked", f.revoked);
        m_families[f.id] = f;
    });
    m_store.for_each("oauth_code", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        OAuthCode c;
        c.hash = get_str(r, "hash");
        c.client_id = get_str(r, "client_id");
        c.redirect_uri = get_str(r, "redirect_uri");
        c.scopes = get_scopes(r);
        c.challenge = get_str(r, "challenge");
        c.user_id = get_str(r, "user_id");
        c.family_id = get_str(r, "family_id");
        c.expires_at = get_i64(r, "expires_at");
        r.get_bool("used", c.used);
        m_codes[c.hash] = c;
    });
    m_store.for_each("oauth_token", [&](const std::string&, const std::string& json) {
        rapidjson::Document d;
        parse(json, d);
        ObjectReader r(d);
        OAuthToken t;
        t.hash = get_str(r, "hash");
        r.get_bool("refresh", t.refresh);
        t.family_id = get_str(r, "family_id");
        t.expires_at = get_i64(r, "expires_at");
        t.scopes = get_scopes(r);
        r.get_bool("used", t.used);
        m_tokens[t.hash] = t;
    });

    // Derived indexes.
    for (auto& [id, a] : m_assets) {
        if (a.parent_id.empty())
            continue;
        auto it = m_assets.find(a.parent_id);
        if (it == m_assets.end())
            continue;
        Asset& parent = it->second;
        if (parent.children.empty() || a.index < parent.min_child_index) {
            parent.min_child_index = a.index;
        }
        parent.children.push_back(id);
    }
    for (auto& [id, a] : m_assets) {
        if (a.is_file())
            ++m_files_ever;
        if (a.is_file() && a.upload_completed_at && !a.transcoded_at)
            m_pending.emplace(processing_due(a), id);
    }
}

// --- persistence -------------------------------------------------------------------------

void Model::commit() {
    if (m_dirty_assets.empty() && m_dirty_projects.empty() && m_dirty_other.empty())
        return;
    try {
        m_store.begin();
        for (const auto& id : m_dirty_assets) {
            if (const Asset* a = asset(id))
                m_store.put("asset", id, serialize(*a));
        }
        for (const auto& id : m_dirty_projects) {
            if (const Project* p = project(id))
                m_store.put("project", id, serialize(*p));
        }
        for (const auto& [kind, id] : m_dirty_other) {
            if (kind == "account") {
                if (const Account* a = account(id))
                    m_store.put(kind, id, serialize(*a));
            } else if (kind == "user") {
                if (const User* u = user(id))
                    m_store.put(kind, id, serialize(*u));
            } else if (kind == "team") {
                if (const Team* t = team(id))
                    m_store.put(kind, id, serialize(*t));
            } else if (kind == "oauth_family") {
                if (const OAuthFamily* f = family(id)) {
                    m_store.put(kind, id, serialize(*f));
                } else {
                    m_store.erase(kind, id);
                }
            } else if (kind == "oauth_code") {
                if (const OAuthCode* c = code(id)) {
                    m_store.put(kind, id, serialize(*c));
                } else {
                    m_store.erase(kind, id);
                }
            } else if (kind == "oauth_token") {
                if (const OAuthToken* t = token(id)) {
                    m_store.put(kind, id, serialize(*t));
                } else {
                    m_store.erase(kind, id);
                }
            }
        }
        m_store.commit();
    } catch (...) {
        m_store.rollback();
        m_dirty_assets.clear();
        m_dirty_projects.clear();
        m_dirty_other.clear();
        throw;
    }
    m_dirty_assets.clear();
    m_dirty_projects.clear();
    m_dirty_other.clear();
}
} // namespace fioemu
