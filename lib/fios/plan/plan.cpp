// SPDX-License-Identifier: MIT
#include "fios/plan/plan.hpp"

#include "fios/scan/path_map.hpp"

#include <algorithm>
#include <map>

namespace fios::plan {

std::string_view to_string(ActionKind kind) noexcept {
    switch (kind) {
    case ActionKind::create_remote_folder:
        return "create_remote_folder";
    case ActionKind::create_local_folder:
        return "create_local_folder";
    case ActionKind::upload:
        return "upload";
    case ActionKind::download:
        return "download";
    case ActionKind::adopt:
        return "adopt";
    case ActionKind::verify:
        return "verify";
    case ActionKind::reupload:
        return "reupload";
    case ActionKind::resume_upload:
        return "resume_upload";
    case ActionKind::resume_download:
        return "resume_download";
    case ActionKind::hash_local:
        return "hash_local";
    case ActionKind::mark_failed:
        return "mark_failed";
    case ActionKind::forget:
        return "forget";
    case ActionKind::skip:
        return "skip";
    }
    return "skip";
}

std::string_view to_string(SkipReason reason) noexcept {
    switch (reason) {
    case SkipReason::none:
        return "none";
    case SkipReason::settling:
        return "settling";
    case SkipReason::remote_incomplete:
        return "remote_incomplete";
    case SkipReason::awaiting_verification:
        return "awaiting_verification";
    case SkipReason::duplicate:
        return "duplicate";
    case SkipReason::deleted_locally:
        return "deleted_locally";
    case SkipReason::deleted_remotely:
        return "deleted_remotely";
    case SkipReason::changed_locally:
        return "changed_locally";
    case SkipReason::remote_changed:
        return "remote_changed";
    case SkipReason::conflict:
        return "conflict";
    case SkipReason::backoff:
        return "backoff";
    case SkipReason::failed:
        return "failed";
    case SkipReason::hostile_name:
        return "hostile_name";
    case SkipReason::unsupported_type:
        return "unsupported_type";
    case SkipReason::local_unreadable:
        return "local_unreadable";
    case SkipReason::direction_excluded:
        return "direction_excluded";
    case SkipReason::parent_skipped:
        return "parent_skipped";
    }
    return "none";
}

std::size_t Plan::count(ActionKind kind) const noexcept {
    return static_cast<std::size_t>(std::count_if(
        actions.begin(), actions.end(), [kind](const Action& a) { return a.kind == kind; }));
}

bool writes_local_path(ActionKind kind) noexcept {
    return kind == ActionKind::create_local_folder || kind == ActionKind::download ||
           kind == ActionKind::resume_download;
}

bool Plan::writes_local() const noexcept {
    // forget removes a download's temporary: a write in the folder, though not at its path.
    return std::any_of(actions.begin(), actions.end(), [](const Action& a) {
        return writes_local_path(a.kind) || a.kind == ActionKind::forget;
    });
}

std::size_t Plan::count(SkipReason reason) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(actions.begin(), actions.end(), [reason](const Action& a) {
            return a.kind == ActionKind::skip && a.skip == reason;
        }));
}

std::string verb(const Action& action) {
    std::string v(to_string(action.kind));
    if (action.kind == ActionKind::skip)
        v.append(":").append(to_string(action.skip));
    return v;
}

std::string display_path(const Action& action) {
    if (action.skip == SkipReason::hostile_name) {
        std::string out =
            action.path.is_root() ? std::string() : scan::escape_name(action.path.str()) + "/";
        out.append("\"").append(scan::escape_name(action.name)).append("\"");
        return out;
    }
    return action.path.is_root() ? std::string(".") : scan::escape_name(action.path.str());
}

std::string render(const Plan& plan) {
    constexpr std::size_t k_verb_width = 28;
    std::string out;
    std::map<std::string, std::size_t> counts;
    for (const Action& a : plan.actions) {
        std::string v = verb(a);
        ++counts[v];
        out.append(v);
        out.append(v.size() < k_verb_width ? k_verb_width - v.size() : 1, ' ');
        out.append(display_path(a)).append("  (").append(a.reason).append(")\n");
    }
    out.append(std::to_string(plan.actions.size())).append(" actions");
    const char* sep = ": ";
    for (const auto& [v, n] : counts) {
        out.append(sep).append(std::to_string(n)).append(" ").append(v);
        sep = ", ";
    }
    out.append("\n");
    return out;
}

} // namespace fios::plan
