// SPDX-License-Identifier: MIT
#include "core/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fioemu {

const std::vector<RateClass>& default_rate_classes() {
    // Sources: docs/frameio-api.md section 6.1. See docs/emulator.md "Rate limits".
    static const std::vector<RateClass> k_classes = {
        {"asset-read", 5, 1000},        // per-resource table: assets read 5 / 1000 ms
        {"asset-list", 40, 60000},      // the documented header example on .../children
        {"asset-create", 5, 1000},      // per-resource table: assets create 5 / 1000 ms
        {"asset-update", 10, 1000},     // per-resource table: assets update 10 / 1000 ms
        {"asset-delete", 10, 1000},     // not in the table: same as update
        {"search", 10, 60000},          // the documented floor, 10 / minute
        {"hierarchy-read", 100, 60000}, // me, accounts, teams, projects
        {"project-write", 100, 60000},  // "creating paths <= ~100 calls/min"
        // V4: one class per operation, named after its operationId, with the limit its
        // description in the official OpenAPI document states ("Rate Limits: N calls per W
        // second(s)/minute(s) per account_user"); every route has its own bucket.
        {"v4:account_projects.index", 100, 60000},
        {"v4:account_user_roles.index", 100, 60000},
        {"v4:accounts.index", 100, 60000},
        {"v4:actions.create", 10, 60000},
        {"v4:actions.delete", 60, 60000},
        {"v4:actions.index", 100, 60000},
        {"v4:actions.show", 100, 60000},
        {"v4:actions.update", 10, 60000},
        {"v4:auditlog.index", 100, 60000},
        {"v4:collections.index", 100, 60000},
        {"v4:collections.show", 100, 60000},
        {"v4:comments.create", 100, 60000},
        {"v4:comments.create_attachment", 60, 60000},
        {"v4:comments.delete", 60, 60000},
        {"v4:comments.delete_attachment", 60, 60000},
        {"v4:comments.index", 100, 60000},
        {"v4:comments.show", 100, 60000},
        {"v4:comments.update", 10, 60000},
        {"v4:files.copy", 100, 60000},
        {"v4:files.create", 5, 1000},
        {"v4:files.create_local_upload", 5, 1000},
        {"v4:files.create_remote_upload", 5, 1000},
        {"v4:files.delete", 100, 60000},
        {"v4:files.import_file", 5, 1000},
        {"v4:files.list", 5, 1000},
        {"v4:files.move", 100, 60000},
        {"v4:files.show", 10, 1000},
        {"v4:files.show_file_upload_status", 5, 1000},
        {"v4:files.update", 100, 60000},
        {"v4:folder_permissions.delete", 60, 60000},
        {"v4:folder_user_roles.index", 100, 60000},
        {"v4:folder_user_roles.update", 10, 60000},
        {"v4:folders.copy", 10, 60000},
        {"v4:folders.create", 3, 1000},
        {"v4:folders.delete", 60, 60000},
        {"v4:folders.index", 100, 60000},
        {"v4:folders.list", 5, 1000},
        {"v4:folders.move", 10, 60000},
        {"v4:folders.show", 100, 60000},
        {"v4:folders.update", 10, 60000},
        {"v4:groups.create", 10, 60000},
        {"v4:groups.index", 100, 60000},
        {"v4:groups.show", 100, 60000},
        {"v4:groups.update", 10, 60000},
        {"v4:invited_projects.index", 100, 60000},
        {"v4:metadata.bulk_update", 10, 60000},
        {"v4:metadata.field_definitions.create", 10, 60000},
        {"v4:metadata.field_definitions.delete", 60, 60000},
        {"v4:metadata.field_definitions.index", 100, 60000},
        {"v4:metadata.field_definitions.update", 10, 60000},
        {"v4:metadata.show", 100, 60000},
        {"v4:project_permissions.delete", 60, 60000},
        {"v4:project_user_roles.index", 100, 60000},
        {"v4:project_user_roles.update", 10, 60000},
        {"v4:projects.create", 10, 60000},
        {"v4:projects.delete", 60, 60000},
        {"v4:projects.index", 100, 60000},
        {"v4:projects.show", 100, 60000},
        {"v4:projects.update", 10, 60000},
        {"v4:search.search", 100, 60000},
        {"v4:shares.add_asset", 10, 60000},
        {"v4:shares.add_reviewers", 10, 60000},
        {"v4:shares.create", 10, 60000},
        {"v4:shares.delete", 60, 60000},
        {"v4:shares.index", 100, 60000},
        {"v4:shares.list_reviewers", 10, 60000},
        {"v4:shares.remove_asset", 10, 60000},
        {"v4:shares.remove_reviewers", 10, 60000},
        {"v4:shares.show", 100, 60000},
        {"v4:shares.update", 10, 60000},
        {"v4:users.show", 100, 60000},
        {"v4:version_stacks.copy", 10, 60000},
        {"v4:version_stacks.create", 10, 60000},
        {"v4:version_stacks.index", 100, 60000},
        {"v4:version_stacks.list", 5, 1000},
        {"v4:version_stacks.move", 10, 60000},
        {"v4:version_stacks.show", 100, 60000},
        {"v4:webhooks.create", 10, 60000},
        {"v4:webhooks.delete", 60, 60000},
        {"v4:webhooks.index", 100, 60000},
        {"v4:webhooks.show", 100, 60000},
        {"v4:webhooks.update", 10, 60000},
        {"v4:workspace_user_roles.delete", 60, 60000},
        {"v4:workspace_user_roles.index", 100, 60000},
        {"v4:workspace_user_roles.update", 10, 60000},
        {"v4:workspaces.create", 10, 60000},
        {"v4:workspaces.delete", 60, 60000},
        {"v4:workspaces.index", 100, 60000},
        {"v4:workspaces.show", 100, 60000},
        {"v4:workspaces.update", 10, 60000},
    };
    return k_classes;
}

bool is_rate_class(std::string_view name) {
    const auto& c = default_rate_classes();
    return std::any_of(c.begin(), c.end(), [&](const RateClass& r) { return r.name == name; });
}

RateLimiter::RateLimiter(const std::vector<RateClass>& overrides, bool enabled)
    : m_classes(default_rate_classes()), m_enabled(enabled) {
    for (const auto& o : overrides) {
        for (auto& c : m_classes) {
            if (c.name == o.name)
                c = o;
        }
    }
}

const RateClass& RateLimiter::find(std::string_view cls) const {
    for (const auto& c : m_classes) {
        if (c.name == cls)
            return c;
    }
    throw std::logic_error("unknown rate class");
}

RateDecision RateLimiter::describe(std::string_view cls) const {
    RateDecision d;
    if (!m_enabled) {
        d.limit = d.remaining = 1'000'000;
        d.window_ms = 1000;
        return d;
    }
    const RateClass& c = find(cls);
    d.limit = d.remaining = c.limit;
    d.window_ms = c.window_ms;
    return d;
}

RateDecision RateLimiter::take(const std::string& user, std::string_view cls, Micros now,
                               bool force_refuse) {
    if (!m_enabled) {
        RateDecision d = describe(cls);
        if (force_refuse) {
            d.allowed = false;
            d.remaining = 0;
            d.retry_after_s = 1;
        }
        return d;
    }
    const RateClass& c = find(cls);
    RateDecision d;
    d.limit = c.limit;
    d.window_ms = c.window_ms;
    std::lock_guard lock(m_mutex);
    Bucket& b = m_buckets[{user, c.name}];
    const double window_us = static_cast<double>(c.window_ms) * 1000.0;
    const double rate = static_cast<double>(c.limit) / window_us; // requests drained per µs
    if (b.last != 0) {
        const double elapsed = static_cast<double>(std::max<Micros>(0, now - b.last));
        b.level = std::max(0.0, b.level - elapsed * rate);
    }
    b.last = std::max(b.last, now);
    const double capacity = static_cast<double>(c.limit);
    if (!force_refuse && b.level + 1.0 <= capacity + 1e-9) {
        b.level += 1.0;
        d.allowed = true;
    } else {
        d.allowed = false;
        const double need = std::max(0.0, b.level + 1.0 - capacity);
        d.retry_after_s = std::max<std::int64_t>(
            1, static_cast<std::int64_t>(std::ceil(need / rate / 1'000'000.0)));
    }
    d.remaining =
        std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(capacity - b.level + 1e-9)));
    if (!d.allowed)
        d.remaining = 0;
    return d;
}

void RateLimiter::reset() {
    std::lock_guard lock(m_mutex);
    m_buckets.clear();
}

} // namespace fioemu
