// SPDX-License-Identifier: MIT
// The V2 JSON layer. With v4_json.cpp, the only files of the library that include RapidJSON
// (through json_detail.hpp; docs/api-client.md).
#include "fios/api/json.hpp"

#include "fios/api/json_detail.hpp"

#include <cctype>
#include <cmath>
#include <functional>
#include <limits>

namespace fios::api::json {
namespace {

using namespace detail;

template <class T>
using ObjectReader = std::function<Result<T>(const Value&, const std::string& where)>;

template <class T>
Result<T> parse_one(std::string_view body, std::string_view endpoint, const ObjectReader<T>& read) {
    rapidjson::Document doc;
    if (auto ok = parse_document(doc, body, endpoint); !ok)
        return ok.error();
    if (!doc.IsObject()) {
        return Error{ErrorCode::parse, std::string(endpoint) + ": the response is " +
                                           type_phrase(doc) + ", expected an object"};
    }
    return read(doc, std::string(endpoint));
}

template <class T>
Result<std::vector<T>> parse_list(std::string_view body, std::string_view endpoint,
                                  const ObjectReader<T>& read) {
    rapidjson::Document doc;
    if (auto ok = parse_document(doc, body, endpoint); !ok)
        return ok.error();
    if (!doc.IsArray()) {
        return Error{ErrorCode::parse, std::string(endpoint) + ": the response is " +
                                           type_phrase(doc) + ", expected an array"};
    }
    std::vector<T> out;
    out.reserve(std::min<std::size_t>(doc.Size(), k_reserve_at_most));
    for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
        std::string where = std::string(endpoint) + ": item " + std::to_string(i);
        const Value& item = doc[i];
        if (!item.IsObject()) {
            return Error{ErrorCode::parse,
                         where + " is " + type_phrase(item) + ", expected an object"};
        }
        auto parsed = read(item, where);
        if (!parsed)
            return parsed.error();
        out.push_back(std::move(*parsed));
    }
    return out;
}

// ---- object readers -------------------------------------------------------------------------

Result<User> read_user(const Value& v, const std::string& where) {
    Fields f(v, where);
    User u;
    u.id = f.string("id");
    u.account_id = f.string("account_id");
    u.name = f.nullable_string("name", false);
    u.email = f.nullable_string("email", false);
    if (f.failed())
        return f.error();
    return u;
}

Result<Account> read_account(const Value& v, const std::string& where) {
    Fields f(v, where);
    Account a;
    a.id = f.string("id");
    a.display_name = f.nullable_string("display_name", false);
    a.company_name = f.nullable_string("company_name", false);
    a.owner_id = f.nullable_string("owner_id", false);
    if (f.failed())
        return f.error();
    return a;
}

Result<Team> read_team(const Value& v, const std::string& where) {
    Fields f(v, where);
    Team t;
    t.id = f.string("id");
    t.name = f.string("name");
    t.account_id = f.string("account_id");
    if (f.failed())
        return f.error();
    return t;
}

Result<Project> read_project(const Value& v, const std::string& where) {
    Fields f(v, where);
    Project p;
    p.id = f.string("id");
    p.name = f.string("name");
    p.team_id = f.string("team_id");
    p.root_asset_id = f.string("root_asset_id");
    p.owner_id = f.nullable_string("owner_id", false);
    p.is_private = f.nullable_bool("private", false).value_or(false);
    p.file_count = f.count("file_count");
    p.folder_count = f.count("folder_count");
    p.storage = f.count("storage");
    p.inserted_at = f.timestamp("inserted_at");
    p.updated_at = f.timestamp("updated_at");
    p.deleted_at = f.nullable_timestamp("deleted_at", false);
    if (f.failed())
        return f.error();
    return p;
}

bool is_hex16(const std::string& s) {
    if (s.size() != 16)
        return false;
    for (char c : s) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

Result<Asset> read_asset(const Value& v, const std::string& where, bool require_upload_urls) {
    Fields f(v, where);
    Asset a;
    a.id = f.string("id");
    // `type` and `_type` carry the same value; the community sync tool reads `type`, the SDK
    // `_type`. Prefer `type`, fall back to `_type`.
    if (v.HasMember("type") || !v.HasMember("_type")) {
        a.type_name = f.string("type");
    } else {
        a.type_name = f.string("_type");
    }
    if (a.type_name == "file") {
        a.type = AssetType::file;
    } else if (a.type_name == "folder") {
        a.type = AssetType::folder;
    } else if (a.type_name == "version_stack") {
        a.type = AssetType::version_stack;
    } else {
        a.type = AssetType::other;
    }
    const bool file = a.type == AssetType::file;
    const bool stack = a.type == AssetType::version_stack;
    const bool container = a.type == AssetType::folder || stack;

    a.name = f.string("name");
    a.parent_id = f.nullable_string("parent_id");
    a.project_id = f.string("project_id");
    a.account_id = f.nullable_string("account_id", false);
    a.team_id = f.nullable_string("team_id", false);
    if (file) {
        a.filesize = f.count("filesize");
        a.filetype = f.nullable_string("filetype");
        a.upload_completed_at = f.nullable_timestamp("upload_completed_at");
    } else {
        // Not meaningful for folders (UNCONFIRMED in the reference); null or absent reads as 0.
        a.filesize = f.nullable_integer("filesize", false).value_or(0);
        a.filetype = f.nullable_string("filetype", false);
        a.upload_completed_at = f.nullable_timestamp("upload_completed_at", false);
    }
    if (container) {
        a.item_count = f.count("item_count");
    } else {
        a.item_count = f.nullable_integer("item_count", false).value_or(0);
    }
    if (stack) {
        a.versions = f.count("versions");
        a.cover_asset_id = f.nullable_string("cover_asset_id");
    } else {
        a.versions = f.nullable_integer("versions", false).value_or(0);
        a.cover_asset_id = f.nullable_string("cover_asset_id", false);
    }
    a.index = f.nullable_number("index", false);
    a.deleted_at = f.nullable_timestamp("deleted_at");
    a.inserted_at = f.timestamp("inserted_at");
    a.updated_at = f.timestamp("updated_at");
    a.original = f.nullable_string("original", false);
    a.status = f.nullable_string("status", false);
    a.label = f.nullable_string("label", false);
    a.is_session_watermarked = f.nullable_bool("is_session_watermarked", false).value_or(false);
    if (f.failed())
        return f.error();

    if (const Value* sums = f.get("checksums", false); sums && !sums->IsNull()) {
        if (!sums->IsObject()) {
            f.wrong_type("checksums", *sums, "an object or null");
            return f.error();
        }
        Fields cf(*sums, where, "checksums.");
        a.xx_hash = cf.nullable_string("xx_hash");
        if (cf.failed())
            return cf.error();
        if (a.xx_hash) {
            if (!is_hex16(*a.xx_hash)) {
                return Error{ErrorCode::parse, where + ": field 'checksums.xx_hash' is '" +
                                                   a.xx_hash->substr(0, 32) +
                                                   "', expected 16 hex digits"};
            }
            for (char& c : *a.xx_hash) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
        }
    }

    const Value* urls = f.get("upload_urls", require_upload_urls);
    if (f.failed())
        return f.error();
    if (urls && !urls->IsNull()) {
        if (!urls->IsArray()) {
            f.wrong_type("upload_urls", *urls, "an array of strings");
            return f.error();
        }
        for (rapidjson::SizeType i = 0; i < urls->Size(); ++i) {
            const Value& u = (*urls)[i];
            if (!u.IsString()) {
                return Error{ErrorCode::parse, where + ": field 'upload_urls[" + std::to_string(i) +
                                                   "]' is " + type_phrase(u) +
                                                   ", expected a string"};
            }
            a.upload_urls.emplace_back(u.GetString(), u.GetStringLength());
        }
    }
    if (require_upload_urls && a.upload_urls.empty()) {
        return Error{ErrorCode::parse, where + ": field 'upload_urls' is " +
                                           (urls && urls->IsNull() ? "null" : "empty") +
                                           ", expected at least one URL"};
    }
    return a;
}

} // namespace

Result<User> parse_user(std::string_view body, std::string_view endpoint) {
    return parse_one<User>(body, endpoint, read_user);
}
Result<Account> parse_account(std::string_view body, std::string_view endpoint) {
    return parse_one<Account>(body, endpoint, read_account);
}
Result<std::vector<Account>> parse_accounts(std::string_view body, std::string_view endpoint) {
    return parse_list<Account>(body, endpoint, read_account);
}
Result<Team> parse_team(std::string_view body, std::string_view endpoint) {
    return parse_one<Team>(body, endpoint, read_team);
}
Result<std::vector<Team>> parse_teams(std::string_view body, std::string_view endpoint) {
    return parse_list<Team>(body, endpoint, read_team);
}
Result<Project> parse_project(std::string_view body, std::string_view endpoint) {
    return parse_one<Project>(body, endpoint, read_project);
}
Result<std::vector<Project>> parse_projects(std::string_view body, std::string_view endpoint) {
    return parse_list<Project>(body, endpoint, read_project);
}
Result<Asset> parse_asset(std::string_view body, std::string_view endpoint,
                          bool require_upload_urls) {
    return parse_one<Asset>(body, endpoint, [&](const Value& v, const std::string& where) {
        return read_asset(v, where, require_upload_urls);
    });
}
Result<std::vector<Asset>> parse_assets(std::string_view body, std::string_view endpoint) {
    return parse_list<Asset>(body, endpoint, [](const Value& v, const std::string& where) {
        return read_asset(v, where, false);
    });
}

std::string error_detail(std::string_view body) {
    rapidjson::Document doc;
    if (!check_json_bounds(body))
        return {};
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return {};
    std::string out;
    auto text = [](const Value& obj, const char* key) -> std::string {
        auto it = obj.FindMember(key);
        if (it == obj.MemberEnd() || !it->value.IsString())
            return {};
        return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    out = text(doc, "message");
    auto errors = doc.FindMember("errors");
    if (errors != doc.MemberEnd() && errors->value.IsArray() && !errors->value.Empty() &&
        errors->value[0].IsObject()) {
        std::string detail = text(errors->value[0], "detail");
        if (detail.empty())
            detail = text(errors->value[0], "title");
        if (!detail.empty() && detail != out)
            out += out.empty() ? detail : ": " + detail;
    }
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    }
    if (out.size() > 300)
        out = out.substr(0, 300) + "...";
    return out;
}

std::string folder_body(std::string_view name) {
    return Body().str("type", "folder").str("name", name).done();
}

std::string file_body(std::string_view name, std::string_view filetype, std::uint64_t filesize) {
    return Body()
        .str("type", "file")
        .str("name", name)
        .str("filetype", filetype)
        .u64("filesize", filesize)
        .done();
}

std::string project_body(std::string_view name, bool is_private) {
    return Body().str("name", name).boolean("private", is_private).done();
}

std::string rename_body(std::string_view name) {
    return Body().str("name", name).done();
}

std::string version_body(std::string_view next_asset_id) {
    return Body().str("next_asset_id", next_asset_id).done();
}

std::string search_body(const SearchBody& s) {
    Body b;
    if (s.account_id)
        b.str("account_id", *s.account_id);
    b.integer("page", s.page).integer("page_size", s.page_size);
    b.open("filter");
    b.open("project_id").str("op", "eq").str("value", s.project_id).close();
    b.open("updated_at").str("op", "gte").str("value", s.updated_since).close();
    b.close();
    return b.done();
}

} // namespace fios::api::json
