// SPDX-License-Identifier: MIT
// The V4 JSON layer. With json.cpp, the only files of the library that include RapidJSON
// (through json_detail.hpp; docs/api-client.md).
#include "fios/api/v4_json.hpp"

#include "fios/api/json_detail.hpp"

#include <functional>

namespace fios::api::v4json {
namespace {

using namespace json::detail;

template <class T>
using Reader = std::function<Result<T>(const Value&, const std::string& where)>;

/// `{"data": {...}}` -> one object.
template <class T>
Result<T> parse_object(std::string_view body, std::string_view endpoint, const Reader<T>& read) {
    rapidjson::Document doc;
    if (auto ok = parse_document(doc, body, endpoint); !ok)
        return ok.error();
    const std::string where(endpoint);
    if (!doc.IsObject()) {
        return Error{ErrorCode::parse,
                     where + ": the response is " + type_phrase(doc) + ", expected an object"};
    }
    auto data = doc.FindMember("data");
    if (data == doc.MemberEnd())
        return Error{ErrorCode::parse, where + ": field 'data' is missing"};
    if (!data->value.IsObject()) {
        return Error{ErrorCode::parse, where + ": field 'data' is " + type_phrase(data->value) +
                                           ", expected an object"};
    }
    return read(data->value, where);
}

/// `{"data": [...], "links": {"next": string|null}}` -> one page.
template <class T>
Result<v4::Page<T>> parse_page(std::string_view body, std::string_view endpoint,
                               const Reader<T>& read) {
    rapidjson::Document doc;
    if (auto ok = parse_document(doc, body, endpoint); !ok)
        return ok.error();
    const std::string where(endpoint);
    if (!doc.IsObject()) {
        return Error{ErrorCode::parse,
                     where + ": the response is " + type_phrase(doc) + ", expected an object"};
    }
    auto data = doc.FindMember("data");
    if (data == doc.MemberEnd())
        return Error{ErrorCode::parse, where + ": field 'data' is missing"};
    if (!data->value.IsArray()) {
        return Error{ErrorCode::parse, where + ": field 'data' is " + type_phrase(data->value) +
                                           ", expected an array"};
    }
    v4::Page<T> page;
    auto links = doc.FindMember("links");
    if (links == doc.MemberEnd())
        return Error{ErrorCode::parse, where + ": field 'links' is missing"};
    if (!links->value.IsObject()) {
        return Error{ErrorCode::parse, where + ": field 'links' is " + type_phrase(links->value) +
                                           ", expected an object"};
    }
    Fields lf(links->value, where, "links.");
    page.next = lf.nullable_string("next");
    if (lf.failed())
        return lf.error();
    if (page.next && page.next->empty())
        page.next.reset();
    const Value& items = data->value;
    page.items.reserve(std::min<std::size_t>(items.Size(), k_reserve_at_most));
    for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
        std::string item_where = where + ": item " + std::to_string(i);
        if (!items[i].IsObject()) {
            return Error{ErrorCode::parse,
                         item_where + " is " + type_phrase(items[i]) + ", expected an object"};
        }
        auto parsed = read(items[i], item_where);
        if (!parsed)
            return parsed.error();
        page.items.push_back(std::move(*parsed));
    }
    return page;
}

bool required_bool(Fields& f, const char* name) {
    const Value* v = f.get(name, true);
    if (!v)
        return false;
    if (!v->IsBool()) {
        f.wrong_type(name, *v, "a boolean");
        return false;
    }
    return v->GetBool();
}

/// The fields every asset has (AssetCommon).
template <class T>
void read_common(Fields& f, T& out) {
    out.id = f.string("id");
    out.name = f.string("name");
    out.parent_id = f.nullable_string("parent_id");
    out.project_id = f.string("project_id");
    out.created_at = f.timestamp("created_at");
    out.updated_at = f.timestamp("updated_at");
}

/// Checks `type` when present (a File, Folder or VersionStack object always has it).
void expect_type(Fields& f, const char* expected) {
    const Value* v = f.get("type", false);
    if (!v || f.failed())
        return;
    if (!v->IsString()) {
        f.wrong_type("type", *v, "a string");
        return;
    }
    std::string_view got(v->GetString(), v->GetStringLength());
    if (got != expected) {
        f.fail("field '" + f.field_name("type") + "' is '" + std::string(got.substr(0, 32)) +
               "', expected '" + expected + "'");
    }
}

Result<v4::File> read_file(const Value& v, const std::string& where, bool require_upload_urls,
                           const std::string& prefix = {}) {
    Fields f(v, where, prefix);
    v4::File file;
    expect_type(f, "file");
    read_common(f, file);
    file.file_size = static_cast<std::uint64_t>(f.count("file_size"));
    file.media_type = f.string("media_type");
    file.status_name = f.string("status");
    if (f.failed())
        return f.error();
    if (file.status_name == "created") {
        file.status = v4::FileStatus::created;
    } else if (file.status_name == "uploaded") {
        file.status = v4::FileStatus::uploaded;
    } else if (file.status_name == "transcoded") {
        file.status = v4::FileStatus::transcoded;
    } else {
        // Outside the document's enum: kept, and never counted as complete.
        file.status = v4::FileStatus::other;
    }

    if (const Value* links = f.get("media_links", false); links && !links->IsNull()) {
        if (!links->IsObject()) {
            f.wrong_type("media_links", *links, "an object");
            return f.error();
        }
        Fields lf(*links, where, prefix + "media_links.");
        if (const Value* orig = lf.get("original", false); orig && !orig->IsNull()) {
            if (!orig->IsObject()) {
                lf.wrong_type("original", *orig, "an object or null");
                return lf.error();
            }
            Fields of(*orig, where, prefix + "media_links.original.");
            v4::OriginalLink link;
            link.download_url = of.nullable_string("download_url");
            link.inline_url = of.nullable_string("inline_url");
            if (of.failed())
                return of.error();
            file.original = std::move(link);
        }
    }

    const Value* urls = f.get("upload_urls", require_upload_urls);
    if (f.failed())
        return f.error();
    if (urls && !urls->IsNull()) {
        if (!urls->IsArray()) {
            f.wrong_type("upload_urls", *urls, "an array of objects");
            return f.error();
        }
        for (rapidjson::SizeType i = 0; i < urls->Size(); ++i) {
            const std::string name = prefix + "upload_urls[" + std::to_string(i) + "]";
            const Value& u = (*urls)[i];
            if (!u.IsObject()) {
                return Error{ErrorCode::parse, where + ": field '" + name + "' is " +
                                                   type_phrase(u) + ", expected an object"};
            }
            Fields uf(u, where, name + ".");
            v4::UploadUrl part;
            const std::int64_t size = uf.count("size");
            part.url = uf.string("url");
            if (uf.failed())
                return uf.error();
            if (size < 1) {
                return Error{ErrorCode::parse,
                             where + ": field '" + name + ".size' is 0, expected at least 1"};
            }
            part.size = static_cast<std::uint64_t>(size);
            file.upload_urls.push_back(std::move(part));
        }
    }
    if (require_upload_urls && file.upload_urls.empty()) {
        return Error{ErrorCode::parse, where + ": field '" + prefix + "upload_urls' is " +
                                           (urls && urls->IsNull() ? "null" : "empty") +
                                           ", expected at least one part"};
    }
    return file;
}

Result<v4::Folder> read_folder(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::Folder folder;
    read_common(f, folder);
    if (f.failed())
        return f.error();
    return folder;
}

Result<v4::VersionStack> read_stack(const Value& v, const std::string& where) {
    Fields f(v, where);
    // No `type` check: the document's own version stack examples say "file" (the route
    // says what the object is).
    v4::VersionStack stack;
    read_common(f, stack);
    const Value* head = f.get("head_version", true);
    if (f.failed())
        return f.error();
    if (!head->IsNull()) {
        if (!head->IsObject()) {
            f.wrong_type("head_version", *head, "an object or null");
            return f.error();
        }
        auto file = read_file(*head, where, false, "head_version.");
        if (!file)
            return file.error();
        stack.head_version = std::move(*file);
    }
    return stack;
}

Result<v4::Asset> read_asset(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::Asset a;
    a.type_name = f.string("type");
    a.id = f.string("id");
    if (f.failed())
        return f.error();
    // The document's version stack examples carry `type: "file"`; an item with a
    // head_version and no file_size is a stack whatever its `type` says.
    const bool stack_shaped = v.HasMember("head_version") && !v.HasMember("file_size");
    if (a.type_name == "version_stack" || (a.type_name == "file" && stack_shaped)) {
        a.type = v4::AssetType::version_stack;
        auto stack = read_stack(v, where);
        if (!stack)
            return stack.error();
        a.stack = std::move(*stack);
    } else if (a.type_name == "file") {
        a.type = v4::AssetType::file;
        auto file = read_file(v, where, false);
        if (!file)
            return file.error();
        a.file = std::move(*file);
    } else if (a.type_name == "folder") {
        a.type = v4::AssetType::folder;
        auto folder = read_folder(v, where);
        if (!folder)
            return folder.error();
        a.folder = std::move(*folder);
    } else {
        a.type = v4::AssetType::other;
    }
    return a;
}

Result<v4::Profile> read_profile(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::Profile p;
    p.id = f.string("id");
    p.name = f.string("name");
    p.email = f.string("email");
    if (f.failed())
        return f.error();
    return p;
}

Result<v4::Account> read_account(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::Account a;
    a.id = f.string("id");
    a.display_name = f.string("display_name");
    a.created_at = f.timestamp("created_at");
    a.updated_at = f.timestamp("updated_at");
    const Value* roles = f.get("roles", true);
    if (f.failed())
        return f.error();
    if (!roles->IsArray()) {
        f.wrong_type("roles", *roles, "an array of strings");
        return f.error();
    }
    for (rapidjson::SizeType i = 0; i < roles->Size(); ++i) {
        const Value& r = (*roles)[i];
        if (!r.IsString()) {
            return Error{ErrorCode::parse, where + ": field 'roles[" + std::to_string(i) +
                                               "]' is " + type_phrase(r) + ", expected a string"};
        }
        a.roles.emplace_back(r.GetString(), r.GetStringLength());
    }
    return a;
}

Result<v4::Workspace> read_workspace(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::Workspace w;
    w.id = f.string("id");
    w.name = f.string("name");
    w.account_id = f.string("account_id");
    w.created_at = f.timestamp("created_at");
    w.updated_at = f.timestamp("updated_at");
    if (f.failed())
        return f.error();
    return w;
}

Result<v4::Project> read_project(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::Project p;
    p.id = f.string("id");
    p.name = f.string("name");
    p.workspace_id = f.string("workspace_id");
    p.root_folder_id = f.string("root_folder_id");
    p.status = f.string("status");
    // The document gives `storage` a default of 0: absent or null reads 0.
    p.storage = f.nullable_integer("storage", false).value_or(0);
    p.created_at = f.timestamp("created_at");
    p.updated_at = f.timestamp("updated_at");
    if (f.failed())
        return f.error();
    if (p.storage < 0)
        return Error{ErrorCode::parse, where + ": field 'storage' is negative"};
    return p;
}

Result<v4::FileUploadStatus> read_upload_status(const Value& v, const std::string& where) {
    Fields f(v, where);
    v4::FileUploadStatus s;
    s.id = f.string("id");
    s.filetype = f.string("filetype");
    s.upload_complete = required_bool(f, "upload_complete");
    s.upload_failed = required_bool(f, "upload_failed");
    s.uploaded_at = f.nullable_timestamp("uploaded_at");
    s.upload_completed_at = f.nullable_timestamp("upload_completed_at");
    if (f.failed())
        return f.error();
    return s;
}

Result<v4::File> read_plain_file(const Value& v, const std::string& where) {
    return read_file(v, where, false);
}

} // namespace

Result<v4::Profile> parse_profile(std::string_view body, std::string_view endpoint) {
    return parse_object<v4::Profile>(body, endpoint, read_profile);
}
Result<v4::Page<v4::Account>> parse_accounts(std::string_view body, std::string_view endpoint) {
    return parse_page<v4::Account>(body, endpoint, read_account);
}
Result<v4::Page<v4::Workspace>> parse_workspaces(std::string_view body, std::string_view endpoint) {
    return parse_page<v4::Workspace>(body, endpoint, read_workspace);
}
Result<v4::Project> parse_project(std::string_view body, std::string_view endpoint) {
    return parse_object<v4::Project>(body, endpoint, read_project);
}
Result<v4::Page<v4::Project>> parse_projects(std::string_view body, std::string_view endpoint) {
    return parse_page<v4::Project>(body, endpoint, read_project);
}
Result<v4::Folder> parse_folder(std::string_view body, std::string_view endpoint) {
    return parse_object<v4::Folder>(body, endpoint, read_folder);
}
Result<v4::Page<v4::Folder>> parse_folders(std::string_view body, std::string_view endpoint) {
    return parse_page<v4::Folder>(body, endpoint, read_folder);
}
Result<v4::File> parse_file(std::string_view body, std::string_view endpoint,
                            bool require_upload_urls) {
    return parse_object<v4::File>(body, endpoint, [&](const Value& v, const std::string& where) {
        return read_file(v, where, require_upload_urls);
    });
}
Result<v4::Page<v4::File>> parse_files(std::string_view body, std::string_view endpoint) {
    return parse_page<v4::File>(body, endpoint, read_plain_file);
}
Result<v4::Page<v4::Asset>> parse_assets(std::string_view body, std::string_view endpoint) {
    return parse_page<v4::Asset>(body, endpoint, read_asset);
}
Result<v4::VersionStack> parse_version_stack(std::string_view body, std::string_view endpoint) {
    return parse_object<v4::VersionStack>(body, endpoint, read_stack);
}
Result<v4::Page<v4::VersionStack>> parse_version_stacks(std::string_view body,
                                                        std::string_view endpoint) {
    return parse_page<v4::VersionStack>(body, endpoint, read_stack);
}
Result<v4::FileUploadStatus> parse_upload_status(std::string_view body, std::string_view endpoint) {
    return parse_object<v4::FileUploadStatus>(body, endpoint, read_upload_status);
}

std::string error_detail(std::string_view body) {
    rapidjson::Document doc;
    if (!check_json_bounds(body))
        return {};
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        return {};
    auto errors = doc.FindMember("errors");
    if (errors == doc.MemberEnd() || !errors->value.IsArray())
        return {};
    auto text = [](const Value& obj, const char* key) -> std::string {
        auto it = obj.FindMember(key);
        if (it == obj.MemberEnd() || !it->value.IsString())
            return {};
        return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    std::string out;
    for (rapidjson::SizeType i = 0; i < errors->value.Size() && i < 3; ++i) {
        const Value& e = errors->value[i];
        if (!e.IsObject())
            continue;
        std::string detail = text(e, "detail");
        if (detail.empty())
            detail = text(e, "title");
        if (detail.empty())
            continue;
        auto source = e.FindMember("source");
        if (source != e.MemberEnd() && source->value.IsObject()) {
            std::string pointer = text(source->value, "pointer");
            if (!pointer.empty())
                detail += " (at " + pointer + ")";
        }
        if (!out.empty())
            out += "; ";
        out += detail;
    }
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    }
    if (out.size() > 300)
        out = out.substr(0, 300) + "...";
    return out;
}

std::string name_body(std::string_view name) {
    return Body().open("data").str("name", name).close().done();
}

std::string local_upload_body(std::string_view name, std::uint64_t file_size) {
    return Body().open("data").str("name", name).u64("file_size", file_size).close().done();
}

} // namespace fios::api::v4json
