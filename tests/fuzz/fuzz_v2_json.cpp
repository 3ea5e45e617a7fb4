// SPDX-License-Identifier: MIT
// Fuzz target: the V2 response parsers (lib/fios/api/json.cpp). The first input byte picks
// the parser ('a' + case number below), the rest is the response body. Beyond crashes, it checks
// what a caller relies on: refusals are ErrorCode::parse naming the endpoint; accepted values are
// bounded by the body, counts are non-negative, an asset's type agrees with its type string,
// xx_hash is 16 lower-case hex digits, timestamps round-trip; error_detail() is one short line.
#include "fuzz_json_common.hpp"

#include "fios/api/json.hpp"

#include <cctype>

namespace {

using namespace fios;
using namespace fios::fuzz;

constexpr std::string_view k_endpoint = "GET /v2/fuzz";

void check_project(const api::Project& p, std::string_view body) {
    check_bounded(p.id, body);
    check_bounded(p.name, body);
    check_bounded(p.root_asset_id, body);
    FUZZ_CHECK(p.file_count >= 0 && p.folder_count >= 0 && p.storage >= 0, p.id);
    check_time(p.inserted_at);
    check_time(p.updated_at);
    check_time(p.deleted_at);
}

void check_asset(const api::Asset& a, std::string_view body, bool require_upload_urls) {
    check_bounded(a.id, body);
    check_bounded(a.name, body);
    check_bounded(a.parent_id, body);
    check_bounded(a.type_name, body);
    const api::AssetType expected = a.type_name == "file"            ? api::AssetType::file
                                    : a.type_name == "folder"        ? api::AssetType::folder
                                    : a.type_name == "version_stack" ? api::AssetType::version_stack
                                                                     : api::AssetType::other;
    FUZZ_CHECK(a.type == expected, a.type_name);
    if (a.type == api::AssetType::file)
        FUZZ_CHECK(a.filesize >= 0, a.id);
    if (a.type == api::AssetType::folder || a.type == api::AssetType::version_stack)
        FUZZ_CHECK(a.item_count >= 0, a.id);
    if (a.type == api::AssetType::version_stack)
        FUZZ_CHECK(a.versions >= 0, a.id);
    if (a.xx_hash) {
        FUZZ_CHECK(a.xx_hash->size() == 16, *a.xx_hash);
        for (char c : *a.xx_hash) {
            FUZZ_CHECK(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'),
                       *a.xx_hash);
        }
    }
    FUZZ_CHECK(!require_upload_urls || !a.upload_urls.empty(), a.id);
    check_count(a.upload_urls.size(), body);
    check_time(a.inserted_at);
    check_time(a.updated_at);
    check_time(a.deleted_at);
    check_time(a.upload_completed_at);
}

template <class T, class Check>
void run(const Result<T>& r, Check check) {
    if (!r) {
        check_refusal(r.error(), k_endpoint);
        return;
    }
    check(*r);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::uint8_t selector = data[0];
    const std::string_view body = as_text(data + 1, size - 1);
    namespace j = api::json;
    switch (pick(selector, 10)) {
    case 0:
        run(j::parse_user(body, k_endpoint), [&](const api::User& u) {
            check_bounded(u.id, body);
            check_bounded(u.account_id, body);
            check_bounded(u.email, body);
        });
        break;
    case 1:
        run(j::parse_account(body, k_endpoint),
            [&](const api::Account& a) { check_bounded(a.display_name, body); });
        break;
    case 2:
        run(j::parse_accounts(body, k_endpoint),
            [&](const std::vector<api::Account>& v) { check_count(v.size(), body); });
        break;
    case 3:
        run(j::parse_teams(body, k_endpoint), [&](const std::vector<api::Team>& v) {
            check_count(v.size(), body);
            for (const auto& t : v)
                check_bounded(t.name, body);
        });
        break;
    case 4:
        run(j::parse_project(body, k_endpoint),
            [&](const api::Project& p) { check_project(p, body); });
        break;
    case 5:
        run(j::parse_projects(body, k_endpoint), [&](const std::vector<api::Project>& v) {
            check_count(v.size(), body);
            for (const auto& p : v)
                check_project(p, body);
        });
        break;
    case 6:
    case 7: {
        const bool require = pick(selector, 10) == 7;
        run(j::parse_asset(body, k_endpoint, require),
            [&](const api::Asset& a) { check_asset(a, body, require); });
        break;
    }
    case 8:
        run(j::parse_assets(body, k_endpoint), [&](const std::vector<api::Asset>& v) {
            check_count(v.size(), body);
            for (const auto& a : v)
                check_asset(a, body, false);
        });
        break;
    default:
        check_detail(j::error_detail(body));
        break;
    }
    return 0;
}
