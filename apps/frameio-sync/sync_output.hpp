// SPDX-License-Identifier: MIT
#pragma once

#include "context.hpp"

#include "fios/engine/sync_engine.hpp"

#include <map>
#include <memory>
#include <string>

namespace fios::cli {

/// How a sync's events are printed.
struct SyncOutputMode {
    bool json = false;    ///< one JSON object per line on stdout
    bool dry_run = false; ///< plans, not results
    /// `sync --watch`: a run that did nothing prints its summary only with -v (a watch runs
    /// every interval; "nothing to do" each minute would bury what matters).
    bool watch = false;
};

/// The engine Observer of `sync`: terminal progress, one line per item, or `--json` lines
/// (docs/cli.md, "sync"). Every call comes from the engine's run() thread.
class SyncOutput : public engine::Observer {
public:
    /// Project id -> "Team/Project" for messages.
    virtual void set_labels(std::map<std::string, std::string> labels) = 0;
};

[[nodiscard]] std::unique_ptr<SyncOutput> make_sync_output(Context& ctx, SyncOutputMode mode);

} // namespace fios::cli
