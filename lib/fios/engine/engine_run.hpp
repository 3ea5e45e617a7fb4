// SPDX-License-Identifier: MIT
#pragma once

// Internal to the engine: one SyncEngine::run. sync_engine.cpp sequences it (lock, selections,
// project listing, the projects one after another, the record); project_run.cpp is the
// pipeline of one project (discover, scan, journal, reconcile, execute, record).

#include "fios/engine/discover_remote.hpp"
#include "fios/engine/plan_runner.hpp"
#include "fios/engine/project_directory.hpp"
#include "fios/engine/sync_engine.hpp"
#include "fios/policy/policy.hpp"
#include "fios/store/journal.hpp"
#include "fios/store/state_db.hpp"
#include "fios/transfer/executor.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fios::engine::detail {

/// "Team/Project" (or "Project") for messages.
std::string describe_project(const store::Selection& s);

class Run {
public:
    Run(const EngineDeps& deps, const RunOptions& options, Observer* observer)
        : m_deps(deps), m_options(options), m_observer(observer), m_journal(deps.state->db()) {
        m_policy.settle = options.settle;
        m_policy.verify_timeout = options.verify_timeout;
        m_policy.direction = options.direction;
        m_policy.readback = options.readback;
        if (!options.backoff.empty())
            m_policy.backoff = options.backoff;
        // What counts as verified, and what can be uploaded, is the backend's to say (rows
        // 73-77 without a checksum, row 79 without empty files).
        if (deps.remote != nullptr) {
            const remote::Capabilities caps = deps.remote->capabilities();
            if (!caps.has_content_checksum)
                m_policy.verification = policy::Verification::size;
            m_policy.uploads_empty_files = caps.uploads_empty_files;
        }
    }

    Result<RunReport> run();

private:
    /// One project's run as it goes from step to step (project_run.cpp).
    struct ProjectState;
    struct LocalState;
    struct Planned;
    /// 2..6 for one project: its outcome goes into `rep` (a project error there; an error no
    /// other project can do better on into m_fatal).
    void project(const store::Selection& sel, ProjectReport& rep);
    [[nodiscard]] std::optional<ProjectState> begin_project(const store::Selection& sel,
                                                            ProjectReport& rep);
    /// A watch's remote check of an agreed project with no local change: lists first, and
    /// true when that settled the project (nothing new, or the listing failed).
    bool settled_by_listings(ProjectState& st, std::optional<Discovered>& listed);
    [[nodiscard]] std::optional<LocalState> read_local(ProjectState& st);
    Result<Discovered> discover(ProjectState& st, const LocalSides* sides);
    [[nodiscard]] std::optional<Planned> plan_project(ProjectState& st, LocalState& local,
                                                      const Discovered& discovered);
    void execute_and_record(ProjectState& st, const LocalState& local, const Discovered& discovered,
                            const Planned& planned);
    /// The project directory's counters move with every change (V2, not V4): an unchanged
    /// project can be proven so without listing it.
    [[nodiscard]] bool has_change_counters() const {
        return m_deps.projects != nullptr && m_deps.projects->has_change_counters();
    }
    /// The project fails (rep.error), the run goes on.
    void project_failed(ProjectState& st, Error e);
    /// Ends the run when no other project can do better (ends_run), else project_failed.
    void fail(ProjectState& st, const Error& e);
    Result<bool> bind_journal(const store::Selection& sel, const model::LocalSnapshot& local);
    void warn(WarningKind kind, const std::string& project_id, const std::string& message) {
        if (m_observer == nullptr)
            return;
        Warning w;
        w.kind = kind;
        w.project_id = project_id;
        w.message = message;
        m_observer->on_warning(w);
    }
    void phase(const std::string& project_id, std::string_view name) {
        if (m_observer != nullptr)
            m_observer->on_phase(project_id, name);
    }
    void emit_warnings(const std::string& project_id, const plan::Plan& plan);
    transfer::Executor& executor();
    [[nodiscard]] bool cancelled() const {
        return m_deps.cancel != nullptr && m_deps.cancel->cancelled();
    }
    void set_fatal(const Error& e) {
        if (!m_fatal)
            m_fatal = e;
    }
    void note_changed_folders(const std::string& project_id, const plan::Plan& plan);
    Status record_project_run(const ProjectReport& rep, const std::string& result);
    void record_unchanged(const std::string& project_id, ProjectReport& rep);
    void prune_journal(const std::string& project_id, const std::filesystem::path& root,
                       const model::LocalSnapshot& local);
    void record_counters(const std::string& project_id, const store::ProjectInfo* agreed,
                         const std::filesystem::path& root, const std::string& digest);
    Result<std::string> root_folder_of(const store::Selection& sel,
                                       const store::ProjectInfo*& listed) const;
    Result<bool> counters_unchanged(const store::ProjectInfo& listed,
                                    const std::filesystem::path& root, const std::string& digest);

    const EngineDeps& m_deps;
    const RunOptions& m_options;
    Observer* m_observer;
    store::Journal m_journal;
    policy::Policy m_policy;
    std::optional<std::vector<store::ProjectInfo>> m_listing;
    std::optional<Error> m_fatal;
    std::int64_t m_run_id = 0;
    std::unique_ptr<transfer::Executor> m_executor;
    detail::RunProgress m_progress;
};

} // namespace fios::engine::detail
