// SPDX-License-Identifier: MIT
#pragma once

#include "fios/api/client.hpp"
#include "fios/core/result.hpp"
#include "fios/store/state_db.hpp"

#include <vector>

namespace fios::engine {

/// Lists every project the user can see, with the counters the engine compares to skip
/// unchanged projects (file_count, folder_count, updated_at). Thread-safe as the backend is.
class ProjectDirectory {
public:
    virtual ~ProjectDirectory() = default;
    /// Every project (deduplicated by id, deleted ones left out), ordered by team name,
    /// project name, id.
    virtual Result<std::vector<store::ProjectInfo>> list_projects() = 0;
};

/// Over the V2 API: every team's projects plus the projects shared with the user.
class V2ProjectDirectory final : public ProjectDirectory {
public:
    explicit V2ProjectDirectory(api::V2Client& client) : m_client(client) {}
    Result<std::vector<store::ProjectInfo>> list_projects() override;

private:
    api::V2Client& m_client;
};

} // namespace fios::engine
