// SPDX-License-Identifier: MIT
#pragma once

#include "context.hpp"
#include "exit_codes.hpp"

#include "fios/api/v4_client.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/store/state_db.hpp"

#include <string>
#include <variant>
#include <vector>

namespace fios::cli {

struct ListedProject {
    store::ProjectInfo info;
    bool shared = false;      ///< V2: from /v2/projects/shared, not from one of the user's teams
    std::string account_name; ///< V4: the account's display name (V2: empty)
};

/// Every project the login can see on the API generation in use (setting `api`), recorded in
/// the state database with that generation (and on V4 its account), so a new project is known
/// (not synced until selected). Warns about new ones when `announce`.
/// V2: every team's projects plus those shared with the user, ordered by team then project.
/// V4: accounts → workspaces → projects, ordered by account, workspace, project.
Result<std::vector<ListedProject>> list_all_projects(Context& ctx, bool announce);

/// Resolves what the user typed (an id, `Team/Project` — on V4 `Workspace/Project` — or a
/// unique project name) among `candidates`. Errors: not_found (nothing matches; names the
/// spellings accepted), conflict (ambiguous: lists every candidate as `Team/Project (id)`).
Result<store::ProjectInfo> match_project(const std::string& wanted,
                                         const std::vector<store::ProjectInfo>& candidates);

/// match_project among selected projects, trying `first` and then (when nothing matched there)
/// `then`; on failure prints the error ("'X' is not selected" with where to see the selected
/// projects, or the ambiguity) and returns the exit code: 1 not selected, 2 ambiguous.
std::variant<store::ProjectInfo, ExitCode>
match_selected(Context& ctx, const std::string& wanted,
               const std::vector<store::ProjectInfo>& first,
               const std::vector<store::ProjectInfo>& then = {});

/// `Team/Project` (V4: `Workspace/Project`), or the name alone when the team is unknown.
std::string project_label(const store::ProjectInfo& p);

/// The project a selection names, as far as the selection records it (for project_label and
/// match_project).
store::ProjectInfo selection_info(const store::Selection& s);

std::string human_bytes(std::int64_t bytes);

} // namespace fios::cli
