// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <string>
#include <vector>

namespace fios::test {

/// A JSON object as raw member values, so a test can replace a value with one of the wrong
/// type or remove a member, then render it.
class JsonObject {
public:
    JsonObject& set(const std::string& key, const std::string& raw_json) {
        for (auto& [k, v] : m_members) {
            if (k == key) {
                v = raw_json;
                return *this;
            }
        }
        m_members.emplace_back(key, raw_json);
        return *this;
    }
    JsonObject& str(const std::string& key, const std::string& value) {
        return set(key, "\"" + value + "\"");
    }
    JsonObject& remove(const std::string& key) {
        std::erase_if(m_members, [&](const auto& kv) { return kv.first == key; });
        return *this;
    }
    [[nodiscard]] std::string render() const {
        std::string out = "{";
        bool first = true;
        for (const auto& [k, v] : m_members) {
            if (!first)
                out += ",";
            first = false;
            out += "\"" + k + "\":" + v;
        }
        return out + "}";
    }

private:
    std::vector<std::pair<std::string, std::string>> m_members;
};

inline std::string array(const std::vector<JsonObject>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            out += ",";
        out += items[i].render();
    }
    return out + "]";
}

/// A file asset as the emulator (and Frame.io) writes it: every key present.
inline JsonObject file_json(const std::string& id, const std::string& name = "clip.mov") {
    JsonObject o;
    o.str("id", id)
        .str("_type", "file")
        .str("type", "file")
        .str("name", name)
        .str("parent_id", "root-1")
        .str("project_id", "proj-1")
        .str("account_id", "acct-1")
        .str("team_id", "team-1")
        .set("filesize", "1234")
        .str("filetype", "video/quicktime")
        .set("item_count", "0")
        .set("versions", "0")
        .set("cover_asset_id", "null")
        .set("index", "-2.0")
        .str("upload_completed_at", "2022-06-10T15:32:06.228191Z")
        .set("deleted_at", "null")
        .str("inserted_at", "2022-06-10T15:32:06.000001Z")
        .str("updated_at", "2022-06-10T15:32:07.5Z")
        .set("checksums", R"({"id":"c1","xx_hash":"0123456789abcdef"})")
        .str("original", "https://cdn.example/o?sig=SECRET")
        .str("status", "uploaded")
        .str("label", "none")
        .set("is_session_watermarked", "false");
    return o;
}

inline JsonObject folder_json(const std::string& id, const std::string& name = "Dailies") {
    JsonObject o;
    o.str("id", id)
        .str("_type", "folder")
        .str("type", "folder")
        .str("name", name)
        .str("parent_id", "root-1")
        .str("project_id", "proj-1")
        .set("filesize", "0")
        .set("filetype", "null")
        .set("item_count", "3")
        .set("versions", "0")
        .set("cover_asset_id", "null")
        .set("index", "1")
        .set("upload_completed_at", "null")
        .set("deleted_at", "null")
        .str("inserted_at", "2022-06-10T15:32:06Z")
        .str("updated_at", "2022-06-10T15:32:06Z")
        .set("checksums", "null");
    return o;
}

inline JsonObject user_json() {
    JsonObject o;
    o.str("id", "user-1")
        .str("_type", "user")
        .str("name", "Ada")
        .str("email", "ada@example.com")
        .str("account_id", "acct-1");
    return o;
}

inline JsonObject team_json(const std::string& id, const std::string& name = "Team") {
    JsonObject o;
    o.str("id", id).str("name", name).str("account_id", "acct-1");
    return o;
}

inline JsonObject project_json(const std::string& id, const std::string& name = "Project") {
    JsonObject o;
    o.str("_type", "project")
        .str("id", id)
        .str("name", name)
        .str("team_id", "team-1")
        .str("root_asset_id", "root-" + id)
        .str("owner_id", "user-1")
        .set("private", "false")
        .set("file_count", "2")
        .set("folder_count", "1")
        .set("storage", "4096")
        .str("inserted_at", "2022-06-10T15:32:06.178628Z")
        .str("updated_at", "2022-06-10T15:32:36.219070Z")
        .set("deleted_at", "null");
    return o;
}

} // namespace fios::test
