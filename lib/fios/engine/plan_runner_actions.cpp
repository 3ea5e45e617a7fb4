// SPDX-License-Identifier: MIT
// The synchronous actions of PlanRunner (docs/sync-policy.md, "What the engine does with each
// action"): do_create_remote_folder, do_create_local_folder, do_write_record, do_forget and
// do_skip. Transfers are in plan_runner.cpp, plan_runner_upload.cpp and
// plan_runner_download.cpp.
#include "fios/engine/local_fs.hpp"
#include "fios/engine/plan_runner.hpp"
#include "fios/transfer/common.hpp"
#include "fios/transfer/downloader.hpp"

#include <algorithm>

namespace fios::engine::detail {

using model::EntryKind;
using model::JournalRecord;
using model::JournalState;
using plan::Action;
using plan::ActionKind;
using plan::SkipReason;

void PlanRunner::do_create_remote_folder(const Action& a) {
    const auto parent = remote_parent(a);
    if (!parent) {
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0,
             Error{ErrorCode::conflict,
                   "its containing folder could not be created on Frame.io this run"});
        return;
    }
    if (auto s = flush(); !s)
        return;
    const std::string name(a.path.name());
    auto created = m_remote.create_folder(*parent, name);
    if (!created && remote::is_outcome_unknown(created.error())) {
        // The folder may exist: look before creating again (never make a duplicate).
        auto found = m_remote.find_by_name(*parent, name);
        if (found) {
            auto it = std::find_if(found->begin(), found->end(), [](const remote::Item& i) {
                return i.kind == remote::ItemKind::folder && !i.deleted;
            });
            if (it != found->end())
                created = *it;
            else
                created = m_remote.create_folder(*parent, name);
        }
    }
    if (!created) {
        const Error e =
            created.error().with_context("creating folder " + quoted(a.path) + " on Frame.io");
        if (is_run_wide(e))
            run_scope_error(e);
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0, e);
        return;
    }
    m_created_remote[a.path] = created->id;
    JournalRecord r;
    r.path = a.path;
    r.kind = EntryKind::folder;
    r.asset_id = created->id;
    if (a.local) {
        r.local_mtime = a.local->mtime;
        r.inode = a.local->inode;
    }
    r.verified = true;
    r.state = JournalState::synced;
    put_record(r);
    ++m_counts.folders_created;
    m_settled = false; // the project's counters change: list it again next time
    item(a, ItemResult::done);
}

void PlanRunner::do_create_local_folder(const Action& a) {
    auto made = make_folder_below(m_scope.root, a.path);
    if (!made) {
        const Error& e = made.error();
        if (e.code == ErrorCode::disk_full)
            run_scope_error(e);
        if (e.code == ErrorCode::conflict) {
            // Something appeared there since the scan: nothing is written over it; the
            // next run compares both sides again.
            ++m_counts.conflicts;
            m_settled = false;
            item(a, ItemResult::conflict, 0, e);
            return;
        }
        ++m_counts.failed;
        m_settled = false;
        item(a, ItemResult::failed, 0, e);
        return;
    }
    JournalRecord r;
    r.path = a.path;
    r.kind = EntryKind::folder;
    r.asset_id = a.remote ? a.remote->asset_id : a.asset_id;
    r.local_mtime = made->mtime;
    r.inode = made->inode;
    r.verified = true;
    r.state = JournalState::synced;
    put_record(r);
    ++m_counts.folders_created;
    m_settled = false;
    item(a, ItemResult::done);
}

void PlanRunner::do_write_record(const Action& a, std::string_view verified_by) {
    if (!a.record) {
        item(a, ItemResult::failed, 0, Error{ErrorCode::internal, "the plan gave no record"});
        ++m_counts.failed;
        return;
    }
    put_record(*a.record);
    ensure_tx();
    if (a.kind == ActionKind::mark_failed) {
        ++m_counts.failed;
        item(a, ItemResult::failed, 0, Error{ErrorCode::conflict, a.record->last_error});
        return;
    }
    write(m_journal.clear_failures(m_scope.project_id, a.path));
    if (a.kind == ActionKind::adopt)
        ++m_counts.adopted;
    else
        ++m_counts.verified;
    item(a, ItemResult::done, 0, std::nullopt, verified_by);
}

void PlanRunner::do_forget(const Action& a) {
    ensure_tx();
    auto temp = m_journal.download_temp(m_scope.project_id, a.path);
    if (temp && *temp)
        (void)transfer::remove_temp(m_scope.root, a.path, (*temp)->asset_id);
    auto gone = m_journal.forget(m_scope.project_id, a.path);
    if (!gone)
        write(gone.error());
    else
        write(Status{});
    ++m_counts.forgotten;
    item(a, ItemResult::done);
}

void PlanRunner::do_skip(const Action& a) {
    if (a.record)
        put_record(*a.record);
    count_skip(a.skip);
    if (m_observer != nullptr) {
        std::optional<WarningKind> kind;
        switch (a.skip) {
        case SkipReason::hostile_name:
            kind = WarningKind::hostile_name;
            break;
        case SkipReason::unsupported_type:
            kind = WarningKind::unsupported_type;
            break;
        case SkipReason::local_unreadable:
            kind = WarningKind::local_unreadable;
            break;
        case SkipReason::duplicate:
            kind = WarningKind::duplicate;
            break;
        default:
            break;
        }
        if (kind) {
            Warning w;
            w.kind = *kind;
            w.project_id = m_scope.project_id;
            w.path = plan::display_path(a);
            w.asset_id = a.asset_id;
            w.message = plan::display_path(a) + ": " + a.reason;
            m_observer->on_warning(w);
        }
    }
    const ItemResult result = a.skip == SkipReason::conflict ? ItemResult::conflict
                              : a.skip == SkipReason::failed ? ItemResult::failed
                                                             : ItemResult::skipped;
    item(a, result);
}

} // namespace fios::engine::detail
