// SPDX-License-Identifier: MIT
#pragma once

#include "context.hpp"

#include "fios/store/state_db.hpp"

#include <string>
#include <vector>

namespace fios::cli {

struct ListedProject {
    store::ProjectInfo info;
    bool shared = false; ///< from /v2/projects/shared, not from one of the user's teams
};

/// Every project in every team of the user, plus projects shared with them (deduplicated by
/// id), ordered by team name then project name. Records them in the state database, so a
/// new project is known (not synced until selected). Warns about new ones when `announce`.
Result<std::vector<ListedProject>> list_all_projects(Context& ctx, bool announce);

/// Resolves what the user typed (an id, `Team/Project`, or a unique project name) among
/// `candidates`. Errors: not_found (nothing matches; names the closest spelling rules),
/// conflict (ambiguous: lists every candidate as `Team/Project (id)`).
Result<store::ProjectInfo> match_project(const std::string& wanted,
                                         const std::vector<store::ProjectInfo>& candidates);

std::string human_bytes(std::int64_t bytes);

} // namespace fios::cli
