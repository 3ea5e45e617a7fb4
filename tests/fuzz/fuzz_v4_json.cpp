// SPDX-License-Identifier: MIT
// Fuzz target: the V4 response parsers (lib/fios/api/v4_json.cpp). The first input byte picks
// the parser ('a' + case number below), the rest is the response body. Beyond crashes, it
// checks: refusals are ErrorCode::parse naming the endpoint; accepted values are bounded by
// the body; a page's `next` is never empty; a file's status agrees with its status string,
// and upload parts have a size of at least 1 (a required list is never empty); a mixed
// list's item type agrees with its `type`; timestamps round-trip; error_detail() is one
// short line.
#include "fuzz_json_common.hpp"

#include "fios/api/v4_json.hpp"

namespace {

using namespace fios;
using namespace fios::fuzz;
namespace v4 = fios::api::v4;

constexpr std::string_view k_endpoint = "GET /v4/fuzz";

template <class T>
void check_common(const T& item, std::string_view body) {
    check_bounded(item.id, body);
    check_bounded(item.name, body);
    check_bounded(item.parent_id, body);
    check_bounded(item.project_id, body);
    check_time(item.created_at);
    check_time(item.updated_at);
}

void check_file(const v4::File& f, std::string_view body, bool require_upload_urls) {
    check_common(f, body);
    FUZZ_CHECK(f.file_size <= static_cast<std::uint64_t>(INT64_MAX), f.id);
    const v4::FileStatus expected = f.status_name == "created"      ? v4::FileStatus::created
                                    : f.status_name == "uploaded"   ? v4::FileStatus::uploaded
                                    : f.status_name == "transcoded" ? v4::FileStatus::transcoded
                                                                    : v4::FileStatus::other;
    FUZZ_CHECK(f.status == expected, f.status_name);
    FUZZ_CHECK(!require_upload_urls || !f.upload_urls.empty(), f.id);
    check_count(f.upload_urls.size(), body);
    for (const auto& part : f.upload_urls) {
        FUZZ_CHECK(part.size >= 1, f.id);
        check_bounded(part.url, body);
    }
    if (f.original) {
        check_bounded(f.original->download_url, body);
        check_bounded(f.original->inline_url, body);
    }
}

void check_stack(const v4::VersionStack& s, std::string_view body) {
    check_common(s, body);
    if (s.head_version)
        check_file(*s.head_version, body, false);
}

void check_folder(const v4::Folder& f, std::string_view body) {
    check_common(f, body);
}

void check_asset(const v4::Asset& a, std::string_view body) {
    check_bounded(a.id, body);
    switch (a.type) {
    case v4::AssetType::file:
        FUZZ_CHECK(a.type_name == "file", a.type_name);
        FUZZ_CHECK(a.file.id == a.id, a.id);
        check_file(a.file, body, false);
        break;
    case v4::AssetType::folder:
        FUZZ_CHECK(a.type_name == "folder", a.type_name);
        FUZZ_CHECK(a.folder.id == a.id, a.id);
        check_folder(a.folder, body);
        break;
    case v4::AssetType::version_stack:
        FUZZ_CHECK(a.type_name == "version_stack" || a.type_name == "file", a.type_name);
        FUZZ_CHECK(a.stack.id == a.id, a.id);
        check_stack(a.stack, body);
        break;
    case v4::AssetType::other:
        FUZZ_CHECK(a.type_name != "file" && a.type_name != "folder" &&
                       a.type_name != "version_stack",
                   a.type_name);
        break;
    }
}

template <class T, class Check>
void run(const Result<T>& r, Check check) {
    if (!r) {
        check_refusal(r.error(), k_endpoint);
        return;
    }
    check(*r);
}

/// A page: `next` is a real link or absent, the item count is bounded, each item checked.
template <class T, class Check>
void run_page(const Result<v4::Page<T>>& r, std::string_view body, Check check) {
    run(r, [&](const v4::Page<T>& page) {
        FUZZ_CHECK(!page.next || !page.next->empty(), "empty next link");
        check_bounded(page.next, body);
        check_count(page.items.size(), body);
        for (const auto& item : page.items)
            check(item);
    });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const unsigned which = pick(data[0], 15);
    const std::string_view body = as_text(data + 1, size - 1);
    namespace j = api::v4json;
    switch (which) {
    case 0:
        run(j::parse_profile(body, k_endpoint), [&](const v4::Profile& p) {
            check_bounded(p.id, body);
            check_bounded(p.email, body);
        });
        break;
    case 1:
        run_page(j::parse_accounts(body, k_endpoint), body, [&](const v4::Account& a) {
            check_bounded(a.display_name, body);
            check_count(a.roles.size(), body);
            check_time(a.created_at);
        });
        break;
    case 2:
        run_page(j::parse_workspaces(body, k_endpoint), body, [&](const v4::Workspace& w) {
            check_bounded(w.account_id, body);
            check_time(w.updated_at);
        });
        break;
    case 3:
    case 4: {
        auto check = [&](const v4::Project& p) {
            check_bounded(p.root_folder_id, body);
            FUZZ_CHECK(p.storage >= 0, p.id);
            check_time(p.created_at);
        };
        if (which == 3)
            run(j::parse_project(body, k_endpoint), check);
        else
            run_page(j::parse_projects(body, k_endpoint), body, check);
        break;
    }
    case 5:
        run(j::parse_folder(body, k_endpoint), [&](const v4::Folder& f) { check_folder(f, body); });
        break;
    case 6:
        run_page(j::parse_folders(body, k_endpoint), body,
                 [&](const v4::Folder& f) { check_folder(f, body); });
        break;
    case 7:
    case 8: {
        const bool require = which == 8;
        run(j::parse_file(body, k_endpoint, require),
            [&](const v4::File& f) { check_file(f, body, require); });
        break;
    }
    case 9:
        run_page(j::parse_files(body, k_endpoint), body,
                 [&](const v4::File& f) { check_file(f, body, false); });
        break;
    case 10:
        run_page(j::parse_assets(body, k_endpoint), body,
                 [&](const v4::Asset& a) { check_asset(a, body); });
        break;
    case 11:
        run(j::parse_version_stack(body, k_endpoint),
            [&](const v4::VersionStack& s) { check_stack(s, body); });
        break;
    case 12:
        run_page(j::parse_version_stacks(body, k_endpoint), body,
                 [&](const v4::VersionStack& s) { check_stack(s, body); });
        break;
    case 13:
        run(j::parse_upload_status(body, k_endpoint), [&](const v4::FileUploadStatus& s) {
            check_bounded(s.filetype, body);
            check_time(s.uploaded_at);
            check_time(s.upload_completed_at);
        });
        break;
    default:
        check_detail(j::error_detail(body));
        break;
    }
    return 0;
}
