// SPDX-License-Identifier: MIT
#pragma once

#include "fios/core/cancel.hpp"
#include "fios/core/clock.hpp"
#include "fios/core/result.hpp"
#include "fios/engine/remote_cache.hpp"
#include "fios/model/snapshot.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fios::remote {
class Remote;
}

/// Phase "discover remote" of one project's run: the whole tree, or (with a RemoteCache that
/// holds the project and a scope) only some folders laid over the last view.
namespace fios::engine {

struct DiscoverRequest {
    std::string project_id;
    std::string root_id;
    std::filesystem::path local_root;
    /// Folders to list (see RunOptions::scope); null or empty: the whole tree.
    const std::set<model::RelPath>* scope = nullptr;
    std::size_t threads = 4;
    const CancelToken* cancel = nullptr;
    /// A partial look asks this before each scope folder it has not begun listing; true
    /// leaves the rest unlisted (not covered: nothing is acted on there). A whole look never
    /// asks. Empty: every scope folder is listed.
    std::function<bool()> give_way{};
};

struct Discovered {
    /// The project's remote side as reconcile gets it (left empty after a partial look with
    /// no LocalSides that found nothing new: there is nothing to reconcile).
    model::RemoteSnapshot snapshot;
    /// Set after a partial look: only what it covers may be acted on.
    std::optional<Coverage> coverage;
    /// Something differed from the cached view (always true without a cache or a view).
    bool news = true;
    /// A partial look left scope folders unlisted (DiscoverRequest::give_way said so): the
    /// look is not finished. False when it listed them all, or fell back to a whole look.
    bool gave_way = false;
};

/// Lists the project on Frame.io. A partial look lists each scope folder (a folder not on
/// Frame.io in the view: its nearest listed ancestor) and, below them, every folder the journal,
/// the local folder and Frame.io do not all agree on (new, gone, replaced, or not synced yet),
/// down to the last level: what changed inside a folder both sides agree on is left to that
/// folder's own turn. A scope folder that is gone on Frame.io turns the look into a whole one.
/// `cache` (may be null) is updated with what was seen.
///
/// `sides` null: the cached view stands for the local folder and the journal. Only valid when
/// they agree (RemoteCache::agreed) and the local folder is known unchanged since: a folder
/// then agrees exactly when the view holds it with the same id.
struct LocalSides {
    const model::LocalSnapshot& local;
    const model::JournalSnapshot& journal;
};
[[nodiscard]] Result<Discovered> discover_remote(remote::Remote& remote, RemoteCache* cache,
                                                 const DiscoverRequest& request,
                                                 const LocalSides* sides, TimePoint now);

} // namespace fios::engine
