// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/clock.hpp"
#include "fios/model/rel_path.hpp"
#include "fios/model/snapshot.hpp"
#include "fios/plan/plan.hpp"
#include "fios/scan/remote_scanner.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

/// Partial runs for a long-lived caller (`sync --watch`, docs/cli.md "How a watch checks
/// Frame.io"): instead of listing a whole project for every change, a run lists only some
/// folders, lays what it saw over the project's last remote view, reconciles as usual, and
/// acts only on the paths the fresh listings decide (Coverage). The decisions stay in
/// plan::reconcile; this file only says which of them a partial look may act on.
namespace fios::engine {

using model::TimePoint;

/// Which paths a partial scan decides. A folder is *fresh* when its direct children are known
/// as they are now on Frame.io: it was listed, or it is absent from a fresh listing of its
/// parent (so it has no children there). A path is *covered* when its parent folder is fresh.
/// Only covered paths may be acted on after a partial scan: everything else was seen earlier
/// and may have changed since.
class Coverage {
public:
    /// `listed`: the folders the scan listed; `remote_folders`: the folders its listings held.
    Coverage(std::set<model::RelPath> listed, std::set<model::RelPath> remote_folders);

    [[nodiscard]] bool fresh_folder(const model::RelPath& folder) const;
    [[nodiscard]] bool covers(const model::RelPath& path) const {
        return !path.is_root() && fresh_folder(path.parent());
    }
    /// The action is about covered paths (a refused name: its folder is fresh).
    [[nodiscard]] bool covers(const plan::Action& action) const;
    [[nodiscard]] const std::set<model::RelPath>& listed() const noexcept { return m_listed; }
    /// This coverage without the listings of `folders` (their children count as not seen).
    [[nodiscard]] Coverage without_listed(const std::set<model::RelPath>& folders) const;

private:
    std::set<model::RelPath> m_listed;
    std::set<model::RelPath> m_remote_folders;
};

/// `cached` with everything `coverage` covers replaced by `fresh` (the partial scan's items),
/// in the scanner's deterministic order.
[[nodiscard]] model::RemoteSnapshot overlay(const model::RemoteSnapshot& cached,
                                            model::RemoteSnapshot fresh, const Coverage& coverage);

/// Only the actions `coverage` covers; settle observations are kept whole (they come from the
/// complete local scan).
[[nodiscard]] plan::Plan covered_part(plan::Plan plan, const Coverage& coverage);

/// What a long-lived caller keeps between runs: each project's last remote view and when each
/// of its folders was last listed. Used on the run thread only (not thread-safe).
class RemoteCache {
public:
    struct ProjectView {
        std::string root_id;
        std::filesystem::path local_path;
        /// In the scanner's order (scan::sort_remote_snapshot): lookups by path rely on it.
        model::RemoteSnapshot snapshot;
        /// Each folder's last listing ("" = the root).
        std::map<model::RelPath, TimePoint> listed_at;
        /// Folders whose listing found something new, or with local changes, and when.
        std::map<model::RelPath, TimePoint> changed_at;
        /// The tags of the listings the view's folders were last seen in: a later listing that
        /// comes back unchanged leaves those folders' children as they are.
        scan::ListingTags tags;
        /// The last run left the journal, the local folder and this view agreeing with
        /// nothing to do (set_agreed); cleared by anything new in a listing.
        bool agreed = false;
    };

    /// What a listing laid over the view brought.
    struct Seen {
        const model::RemoteSnapshot& view;
        /// Something differed from the view before (always true without a view).
        bool news;
    };

    /// The view of a project, when one was recorded for this root folder and local folder.
    [[nodiscard]] const ProjectView* find(const std::string& project_id, const std::string& root_id,
                                          const std::filesystem::path& local_path) const;
    /// After a complete scan: the view is `snapshot`, every folder listed at `now`, with the
    /// scan's listing tags.
    Seen put_complete(const std::string& project_id, const std::string& root_id,
                      const std::filesystem::path& local_path, model::RemoteSnapshot snapshot,
                      TimePoint now, scan::ListingTags tags = {});
    /// After a partial scan (the view must exist): the fresh part laid over the view, the
    /// listed folders stamped, folders whose children changed marked as changed. The listed
    /// folders in `unchanged` keep their children as the view has them (scan::PartialScan);
    /// every listed folder takes its tag from `tags` (none: it loses its tag).
    Seen put_partial(const std::string& project_id, model::RemoteSnapshot fresh,
                     const Coverage& coverage, TimePoint now,
                     const std::set<model::RelPath>& unchanged = {}, scan::ListingTags tags = {});
    /// Whether the project's last run left everything agreed (see ProjectView::agreed).
    void set_agreed(const std::string& project_id, bool agreed);
    [[nodiscard]] bool agreed(const std::string& project_id, const std::string& root_id,
                              const std::filesystem::path& local_path) const {
        const ProjectView* v = find(project_id, root_id, local_path);
        return v != nullptr && v->agreed;
    }
    /// A folder the view lacks but the journal knows (one this watch created): added to the
    /// view, never listed yet. Ignored when the view has no such project or the path already.
    void add_folder(const std::string& project_id, model::RemoteEntry folder);
    /// Local changes in these folders, or changes this watch made there on Frame.io (they
    /// are checked sooner).
    void mark_changed(const std::string& project_id, const std::set<model::RelPath>& folders,
                      TimePoint now);
    void forget(const std::string& project_id);

    /// Up to `budget` (>= 1) folders to list in a remote check: recently changed ones first
    /// (at most half the budget, newest change first), the rest the longest unlisted, so every
    /// folder is listed at least once every ceil(folders / (budget - budget / 2)) checks.
    /// `check_started`: the check began then and gave way to local work; it goes on, so the
    /// folders listed since count against its budget and are not picked again (unless every
    /// folder was: then one is, so that a check always lists something).
    [[nodiscard]] std::vector<model::RelPath>
    folders_to_check(const std::string& project_id, std::size_t budget, TimePoint now,
                     std::optional<TimePoint> check_started = std::nullopt) const;
    /// When every folder of the project had last been listed (the oldest listing), if known.
    [[nodiscard]] std::optional<TimePoint> complete_as_of(const std::string& project_id) const;
    /// The number of folders of the project's view (0: no view).
    [[nodiscard]] std::size_t folder_count(const std::string& project_id) const;

    /// How long a folder counts as recently changed.
    static constexpr auto k_changed_for = std::chrono::minutes{10};

private:
    std::map<std::string, ProjectView> m_projects;
};

} // namespace fios::engine
