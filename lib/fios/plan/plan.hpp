// SPDX-License-Identifier: MIT
#pragma once

#include "fios/model/entry.hpp"
#include "fios/model/journal_record.hpp"
#include "fios/model/rel_path.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The output of reconcile: what to do for every path that needs something, and why.
/// Pure data: building, comparing and printing a plan does no I/O.
namespace fios::plan {

/// What the engine does for one action. Reaches `--json` output and golden files via
/// to_string(): never rename a value. The engine's contract for each kind is in
/// docs/sync-policy.md ("What the engine does with each action").
enum class ActionKind : std::uint8_t {
    create_remote_folder, ///< create `path` on Frame.io in parent_asset_id (or in the folder
                          ///< an earlier action of this plan creates)
    create_local_folder,  ///< mkdir `path` (it does not exist: fail if it does)
    upload,               ///< upload `local` as a new asset in parent_asset_id
    download,             ///< download `remote` to a temporary file, verify, rename into place;
                          ///< `local` set = replace exactly that file, unset = path must be free
    adopt,                ///< both sides already agree: write `record`, transfer nothing
    verify,               ///< Frame.io's checksum now matches an unverified transfer: write
                          ///< `record`
    reupload,             ///< replace our own unverified or incomplete asset `asset_id`
                          ///< ("" = an interrupted create) with a new upload of `local`
    resume_upload,        ///< continue the interrupted upload in `record`
    resume_download,      ///< continue the interrupted download of `remote` from its
                          ///< temporary file
    hash_local,           ///< hash `local` and reconcile again with the hash supplied
    mark_failed,          ///< give up on this content: write `record` (state failed, for good)
    forget,               ///< gone on both sides: delete the journal row (and any temporary
                          ///< download file of the path)
    skip,                 ///< nothing is transferred; see `skip` and `reason`; write `record`
                          ///< when set (marks for `status`)
};

/// Why nothing is transferred for a path. Reaches `--json` output: never rename a value.
enum class SkipReason : std::uint8_t {
    none,                  ///< not a skip
    settling,              ///< the local file changed within the settle window
    remote_incomplete,     ///< the remote asset's upload is not complete
    awaiting_verification, ///< Frame.io has not reported a checksum to compare yet
    duplicate,             ///< another remote item with the same path is synced instead
    deleted_locally,       ///< deleted here after being synced; kept on Frame.io, not restored
    deleted_remotely,      ///< deleted on Frame.io after being synced; kept here, not restored
    changed_locally,       ///< changed here after being synced; not uploaded again (rule 9)
    remote_changed,        ///< changed on Frame.io after being synced (new version-stack head
                           ///< or replaced asset); not downloaded over the local file
    conflict,              ///< the two sides differ; the local file is kept, nothing overwritten
    backoff,               ///< failed earlier; waiting for its retry time
    failed,                ///< failed for good (e.g. 3 checksum mismatches) until it changes
    hostile_name,          ///< the name cannot or must not become a local path
    unsupported_type,      ///< a symlink or special file stands at the path locally
    local_unreadable,      ///< a local folder at the path could not be read, or is too deep
    direction_excluded,    ///< `--direction` forbids writing to that side
    parent_skipped,        ///< the containing folder is not synced on the side written to
};

[[nodiscard]] std::string_view to_string(ActionKind kind) noexcept;
[[nodiscard]] std::string_view to_string(SkipReason reason) noexcept;

/// One step of a plan. Which fields are set depends on `kind` (see ActionKind).
struct Action {
    ActionKind kind = ActionKind::skip;
    SkipReason skip = SkipReason::none; ///< set iff kind == skip
    model::RelPath path;                ///< the path acted on; for hostile_name: the folder
                                        ///< the rejected item is in
    std::string name;                   ///< hostile_name only: the rejected raw name
    model::EntryKind entry_kind = model::EntryKind::file;
    std::string reason;                       ///< one human-readable sentence, always set
    std::string asset_id;                     ///< the remote asset concerned (download source,
                                              ///< asset replaced by reupload, duplicate loser, ...)
    std::string parent_asset_id;              ///< create_remote_folder / upload / reupload: the
                                              ///< remote folder to create in; "" = created by an
                                              ///< earlier action of this plan (or the root, when
                                              ///< the snapshot had no root_folder_id)
    std::optional<model::LocalEntry> local;   ///< the local entry as scanned; the engine must
                                              ///< re-check it (lstat) before writing over it
                                              ///< or uploading it
    std::optional<model::RemoteEntry> remote; ///< the remote entry as listed
    /// The journal row to write: for transfers, the *intent* to write before the first side
    /// effect; for adopt, verify, mark_failed and some skips, the new row itself.
    std::optional<model::JournalRecord> record;
    std::uint32_t attempt = 0; ///< transfers: which attempt this is for the current content

    friend bool operator==(const Action&, const Action&) = default;
};

struct Plan {
    /// Ordered: folder actions first, then the rest; each group by path, segment by segment.
    /// Parents always come before children: a folder action below a path whose own action
    /// is in the second group (e.g. a file/folder conflict) goes to the second group too.
    /// Within one path the winning item's action comes before duplicates' skips.
    std::vector<Action> actions;
    /// Local files still settling, with when each was first seen unchanged: the engine
    /// replaces its stored observations with exactly this list.
    std::vector<model::LocalObservation> observations;

    [[nodiscard]] std::size_t count(ActionKind kind) const noexcept;
    [[nodiscard]] std::size_t count(SkipReason reason) const noexcept;
    /// True when some action is hash_local: hash those files, add the hashes to the journal
    /// snapshot and reconcile again before executing anything.
    [[nodiscard]] bool needs_hashes() const noexcept { return count(ActionKind::hash_local) > 0; }
    /// True when carrying out the plan writes in the local folder (a folder created, a file
    /// downloaded, a download's temporary file removed): a local scan taken before it no
    /// longer describes the folder after it.
    [[nodiscard]] bool writes_local() const noexcept;

    friend bool operator==(const Plan&, const Plan&) = default;
};

/// True for the actions that write at their own path in the local folder (a folder made, a
/// file downloaded into place); their temporaries (`.fios-*`) are not at the path.
[[nodiscard]] bool writes_local_path(ActionKind kind) noexcept;

/// `skip:settling`, `upload`, ...: the verb shown for an action.
[[nodiscard]] std::string verb(const Action& action);

/// The path shown for an action: escaped for one line; for hostile_name `parent/"name"`.
[[nodiscard]] std::string display_path(const Action& action);

/// A stable, line-oriented rendering for --dry-run and golden tests: one line per action,
/// `<verb padded to 28> <path>  (<reason>)`, then a summary line counting each verb.
/// Depends only on the plan (no clock, no locale).
[[nodiscard]] std::string render(const Plan& plan);

} // namespace fios::plan
