// SPDX-License-Identifier: MIT
// Model: lookups, the hierarchy, assets and their uploads, OAuth records. Persistence (the
// store's format, load and commit) is in model_store.cpp.
#include "core/model.hpp"

#include "core/crypto.hpp"

#include <algorithm>

namespace fioemu {

std::string_view to_string(AssetType t) {
    switch (t) {
    case AssetType::file:
        return "file";
    case AssetType::folder:
        return "folder";
    case AssetType::version_stack:
        return "version_stack";
    }
    return "file";
}

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
    return b <= 0 ? 0 : (a + b - 1) / b;
}

} // namespace

bool is_media_type(std::string_view media_type) {
    return media_type.rfind("video/", 0) == 0 || media_type.rfind("audio/", 0) == 0 ||
           media_type.rfind("image/", 0) == 0;
}

std::int64_t v4_part_count(std::int64_t file_size, std::int64_t part_size) {
    return std::max<std::int64_t>(1, ceil_div(file_size, std::max<std::int64_t>(part_size, 1)));
}

std::int64_t part_count_for(std::int64_t filesize, std::int64_t part_size) {
    const std::int64_t p = std::max(part_size, ceil_div(filesize, 10'000));
    return std::max<std::int64_t>(1, ceil_div(filesize, p));
}

std::int64_t Asset::chunk_size() const {
    return part_count > 0 ? ceil_div(filesize, part_count) : 0;
}

std::int64_t Asset::part_length(std::int64_t i) const {
    const std::int64_t chunk = chunk_size();
    return std::max<std::int64_t>(0, std::min(chunk, filesize - i * chunk));
}

Model::Model(Store& store, ModelSettings settings) : m_store(store), m_settings(settings) {}

// --- lookups -----------------------------------------------------------------------------

Account* Model::account(const std::string& id) {
    auto it = m_accounts.find(id);
    return it == m_accounts.end() ? nullptr : &it->second;
}
User* Model::user(const std::string& id) {
    auto it = m_users.find(id);
    return it == m_users.end() ? nullptr : &it->second;
}
Team* Model::team(const std::string& id) {
    auto it = m_teams.find(id);
    return it == m_teams.end() ? nullptr : &it->second;
}
Project* Model::project(const std::string& id) {
    auto it = m_projects.find(id);
    return it == m_projects.end() ? nullptr : &it->second;
}
Asset* Model::asset(const std::string& id) {
    auto it = m_assets.find(id);
    return it == m_assets.end() ? nullptr : &it->second;
}

std::vector<const Team*> Model::teams_in_order() const {
    std::vector<const Team*> out;
    for (const auto& [id, t] : m_teams)
        out.push_back(&t);
    std::sort(out.begin(), out.end(), [](const Team* a, const Team* b) {
        return a->inserted_at != b->inserted_at ? a->inserted_at < b->inserted_at : a->id < b->id;
    });
    return out;
}

std::vector<const Project*> Model::projects_of(const std::string& team_id) const {
    std::vector<const Project*> out;
    for (const auto& [id, p] : m_projects) {
        if (p.team_id == team_id && !p.deleted_at)
            out.push_back(&p);
    }
    std::sort(out.begin(), out.end(), [](const Project* a, const Project* b) {
        return a->inserted_at != b->inserted_at ? a->inserted_at < b->inserted_at : a->id < b->id;
    });
    return out;
}

bool Model::is_deleted(const Asset& a) const {
    if (a.deleted_at)
        return true;
    auto it = m_projects.find(a.project_id);
    return it == m_projects.end() || it->second.deleted_at.has_value();
}

const User* Model::first_user(Generation generation) const {
    const User* best = nullptr;
    for (const auto& [id, u] : m_users) {
        const auto acc = m_accounts.find(u.account_id);
        if (acc == m_accounts.end() || acc->second.generation != generation)
            continue;
        if (!best || u.inserted_at < best->inserted_at)
            best = &u;
    }
    return best;
}

const Account* Model::account_of_project(const std::string& project_id) const {
    const auto p = m_projects.find(project_id);
    if (p == m_projects.end())
        return nullptr;
    const auto t = m_teams.find(p->second.team_id);
    if (t == m_teams.end())
        return nullptr;
    const auto a = m_accounts.find(t->second.account_id);
    return a == m_accounts.end() ? nullptr : &a->second;
}

Generation Model::generation_of_project(const std::string& project_id) const {
    const Account* a = account_of_project(project_id);
    return a ? a->generation : Generation::v2;
}

// --- hierarchy ---------------------------------------------------------------------------

Account& Model::create_account(std::string display_name, Micros now, Generation generation) {
    Account a;
    a.id = new_uuid();
    a.generation = generation;
    a.display_name = std::move(display_name);
    a.inserted_at = a.updated_at = now;
    Account& ref = m_accounts[a.id] = a;
    m_dirty_other.emplace("account", ref.id);
    commit();
    return ref;
}

User& Model::create_user(const std::string& account_id, std::string name, std::string email,
                         Micros now) {
    User u;
    u.id = new_uuid();
    u.name = std::move(name);
    u.email = std::move(email);
    u.account_id = account_id;
    u.context_id = new_uuid();
    u.features_id = new_uuid();
    u.inserted_at = u.updated_at = now;
    User& ref = m_users[u.id] = u;
    m_dirty_other.emplace("user", ref.id);
    if (Account* acc = account(account_id); acc && acc->owner_id.empty()) {
        acc->owner_id = ref.id;
        m_dirty_other.emplace("account", acc->id);
    }
    commit();
    return ref;
}

Team& Model::create_team(const std::string& account_id, const std::string& creator_id,
                         std::string name, Micros now) {
    Team t;
    t.id = new_uuid();
    t.name = std::move(name);
    t.account_id = account_id;
    t.creator_id = creator_id;
    t.inserted_at = t.updated_at = now;
    Team& ref = m_teams[t.id] = t;
    m_dirty_other.emplace("team", ref.id);
    commit();
    return ref;
}

Project& Model::create_project(const Team& team, const std::string& owner_id, std::string name,
                               bool is_private, std::optional<std::string> description,
                               Micros now) {
    Project p;
    p.id = new_uuid();
    p.name = std::move(name);
    p.team_id = team.id;
    p.owner_id = owner_id;
    p.is_private = is_private;
    p.description = std::move(description);
    p.inserted_at = p.updated_at = now;

    Asset root;
    root.id = new_uuid();
    root.type = AssetType::folder;
    root.name = "root";
    root.project_id = p.id;
    root.creator_id = owner_id;
    root.is_root = true;
    root.inserted_at = root.updated_at = now;
    p.root_asset_id = root.id;

    m_assets[root.id] = root;
    Project& ref = m_projects[p.id] = p;
    dirty_asset(root);
    dirty_project(ref);
    commit();
    return ref;
}

void Model::save_project(Project& p, Micros now) {
    p.updated_at = now;
    dirty_project(p);
    commit();
}

void Model::delete_project(Project& p, Micros now) {
    p.deleted_at = now;
    p.updated_at = now;
    dirty_project(p);
    commit();
}

// --- assets ------------------------------------------------------------------------------

double Model::next_index(Asset& parent) {
    return parent.children.empty() ? -1.0 : parent.min_child_index - 1.0;
}

std::int64_t Model::contribution(const Asset& a) const {
    return a.filesize;
}

void Model::add_size(const std::string& from_id, std::int64_t delta) {
    if (delta == 0)
        return;
    std::string id = from_id;
    while (!id.empty()) {
        Asset* a = asset(id);
        if (!a)
            break;
        a->filesize += delta;
        dirty_asset(*a);
        id = a->parent_id;
    }
}

void Model::attach(Asset& child, Asset& parent) {
    child.parent_id = parent.id;
    child.index = next_index(parent);
    parent.min_child_index = child.index;
    parent.children.push_back(child.id);
    parent.item_count += 1;
    dirty_asset(parent);
    dirty_asset(child);
    add_size(parent.id, contribution(child));
}

void Model::touch_project(const std::string& project_id, Micros now, bool counters_changed) {
    Project* p = project(project_id);
    if (!p)
        return;
    // V4: whether a change inside a project moves its updated_at is UNCONFIRMED; unchanged
    // unless --v4-bump-ancestors (uploads completing and transcodes included).
    const bool v4 = generation_of_project(project_id) == Generation::v4;
    if (v4 ? m_settings.v4_bump_ancestors
           : (counters_changed || m_settings.project_updated_on_any)) {
        p->updated_at = std::max(p->updated_at, now);
    }
    dirty_project(*p);
}

Asset& Model::create_folder(Asset& parent, const std::string& creator_id, std::string name,
                            std::optional<std::string> description, std::string properties,
                            Micros now) {
    Asset a;
    a.id = new_uuid();
    a.type = AssetType::folder;
    a.name = std::move(name);
    a.project_id = parent.project_id;
    a.creator_id = creator_id;
    a.description = std::move(description);
    a.properties = std::move(properties);
    a.inserted_at = a.updated_at = now;
    Asset& ref = m_assets[a.id] = std::move(a);
    attach(ref, parent);
    if (Project* p = project(ref.project_id)) {
        p->folder_count += 1;
        touch_project(p->id, now, true);
    }
    commit();
    return ref;
}

Asset& Model::create_file(Asset& parent, const std::string& creator_id, std::string name,
                          std::string filetype, std::int64_t filesize,
                          std::optional<std::string> description, std::string properties,
                          bool checksum_eligible, Micros now) {
    Asset a;
    a.id = new_uuid();
    a.type = AssetType::file;
    a.name = std::move(name);
    a.project_id = parent.project_id;
    a.creator_id = creator_id;
    a.filetype = std::move(filetype);
    a.filesize = filesize;
    a.description = std::move(description);
    a.properties = std::move(properties);
    a.inserted_at = a.updated_at = now;
    a.part_count = part_count_for(filesize, m_settings.part_size);
    a.parts.assign(static_cast<std::size_t>(a.part_count), '0');
    a.status = "created";
    a.checksum_eligible = checksum_eligible;
    Asset& ref = m_assets[a.id] = std::move(a);
    ++m_files_ever;
    attach(ref, parent);
    if (Project* p = project(ref.project_id)) {
        p->file_count += 1;
        touch_project(p->id, now, true);
    }
    commit();
    return ref;
}

void Model::touch_asset(Asset& a, Micros now) {
    a.updated_at = std::max(a.updated_at, now);
    dirty_asset(a);
    if (Asset* stack = stack_of(a))
        refresh_stack(*stack, now);
    touch_project(a.project_id, now, false);
    commit();
}

Asset* Model::stack_of(const Asset& a) {
    if (a.parent_id.empty())
        return nullptr;
    Asset* p = asset(a.parent_id);
    return p && p->type == AssetType::version_stack ? p : nullptr;
}

void Model::refresh_stack(Asset& stack, Micros now) {
    const Asset* head = nullptr;
    for (const auto& id : stack.children) {
        const Asset* c = asset(id);
        if (!c || c->deleted_at)
            continue;
        if (!head || c->index < head->index)
            head = c;
    }
    const std::string cover = head ? head->id : std::string();
    if (head && stack.name != head->name) {
        stack.name = head->name;
        stack.updated_at = std::max(stack.updated_at, now);
    }
    if (cover != stack.cover_asset_id) {
        stack.cover_asset_id = cover;
        stack.updated_at = std::max(stack.updated_at, now);
    }
    dirty_asset(stack);
}

void Model::delete_asset(Asset& top, Micros now) {
    Project* proj = project(top.project_id);
    bool counters_changed = false;
    // Mark the subtree (iteratively: trees can be deep).
    std::vector<Asset*> todo{&top};
    while (!todo.empty()) {
        Asset* a = todo.back();
        todo.pop_back();
        if (a->deleted_at)
            continue;
        a->deleted_at = now;
        a->updated_at = now;
        dirty_asset(*a);
        if (proj) {
            if (a->is_file()) {
                proj->file_count -= 1;
                if (a->upload_completed_at)
                    proj->storage -= a->filesize;
                counters_changed = true;
            } else if (a->type == AssetType::folder && !a->is_root) {
                proj->folder_count -= 1;
                counters_changed = true;
            }
        }
        for (const auto& cid : a->children) {
            if (Asset* c = asset(cid))
                todo.push_back(c);
        }
    }
    // Detach it from the live tree above.
    if (Asset* parent = asset(top.parent_id)) {
        parent->item_count -= 1;
        dirty_asset(*parent);
        add_size(parent->id, -contribution(top));
        if (parent->type == AssetType::version_stack) {
            if (parent->item_count <= 0 && !parent->deleted_at) {
                delete_asset(*parent, now); // an empty stack goes with its last version
            } else {
                refresh_stack(*parent, now);
            }
        }
    }
    touch_project(top.project_id, now, counters_changed);
    commit();
}

Asset& Model::add_version(Asset& target, Asset& next, const std::string& creator_id, Micros now) {
    Asset* stack = target.type == AssetType::version_stack ? &target : stack_of(target);

    // Take `next` out of its folder.
    if (Asset* old_parent = asset(next.parent_id)) {
        auto& siblings = old_parent->children;
        siblings.erase(std::remove(siblings.begin(), siblings.end(), next.id), siblings.end());
        old_parent->item_count -= 1;
        dirty_asset(*old_parent);
        add_size(old_parent->id, -contribution(next));
    }

    if (!stack) {
        // The stack takes the target's place: same parent, same index.
        Asset s;
        s.id = new_uuid();
        s.type = AssetType::version_stack;
        s.name = target.name;
        s.parent_id = target.parent_id;
        s.project_id = target.project_id;
        s.creator_id = creator_id;
        s.index = target.index;
        s.inserted_at = s.updated_at = now;
        s.filesize = target.filesize;
        s.item_count = 1;
        s.children.push_back(target.id);
        s.min_child_index = -1.0;
        Asset& ref = m_assets[s.id] = std::move(s);
        stack = &ref;
        if (Asset* parent = asset(target.parent_id)) {
            for (auto& cid : parent->children) {
                if (cid == target.id)
                    cid = ref.id;
            }
            dirty_asset(*parent);
        }
        target.parent_id = ref.id;
        target.index = -1.0;
        target.updated_at = now;
        dirty_asset(target);
        dirty_asset(ref);
    }

    // Put `next` on top.
    next.updated_at = now;
    attach(next, *stack);
    refresh_stack(*stack, now);
    stack->updated_at = now;
    touch_project(stack->project_id, now, false);
    commit();
    return *stack;
}

void Model::move_asset(Asset& a, Asset& folder, Micros now) {
    if (Asset* old_parent = asset(a.parent_id)) {
        auto& siblings = old_parent->children;
        siblings.erase(std::remove(siblings.begin(), siblings.end(), a.id), siblings.end());
        old_parent->item_count -= 1;
        dirty_asset(*old_parent);
        add_size(old_parent->id, -contribution(a));
        if (old_parent->type == AssetType::version_stack) {
            if (old_parent->item_count <= 0 && !old_parent->deleted_at) {
                delete_asset(*old_parent, now); // an empty stack goes with its last version
            } else {
                refresh_stack(*old_parent, now);
            }
        }
    }
    a.updated_at = std::max(a.updated_at, now);
    attach(a, folder);
    touch_project(a.project_id, now, false);
    commit();
}

Asset& Model::copy_file(const Asset& src, Asset& parent, const std::string& creator_id,
                        std::string name, Micros now) {
    Asset a = src;
    a.id = new_uuid();
    a.name = std::move(name);
    a.parent_id.clear();
    a.project_id = parent.project_id;
    a.creator_id = creator_id;
    a.label = "none";
    a.inserted_at = a.updated_at = now;
    a.deleted_at.reset();
    a.checksum_id = a.checksum ? new_uuid() : std::string();
    a.children.clear();
    Asset& ref = m_assets[a.id] = std::move(a);
    ++m_files_ever;
    attach(ref, parent);
    if (Project* p = project(ref.project_id)) {
        p->file_count += 1;
        if (ref.upload_completed_at)
            p->storage += ref.filesize;
        touch_project(p->id, now, true);
    }
    if (ref.upload_completed_at && !ref.transcoded_at)
        m_pending.emplace(now, ref.id);
    commit();
    return ref;
}

Micros Model::processing_due(const Asset& a) const {
    // V2: the checksum pass; V4 (no checksum): transcoding, which only media files finish,
    // once the upload shows complete.
    if (generation_of_project(a.project_id) == Generation::v4)
        return *a.upload_completed_at + m_settings.v4_complete_delay + m_settings.transcode_delay;
    return *a.upload_completed_at + m_settings.checksum_delay;
}

std::optional<Micros> Model::visible_completion(const Asset& a) const {
    if (!a.upload_completed_at || a.upload_failed)
        return std::nullopt;
    if (m_settings.v4_complete_delay > 0 && generation_of_project(a.project_id) == Generation::v4)
        return *a.upload_completed_at + m_settings.v4_complete_delay;
    return a.upload_completed_at;
}

Model::PartResult Model::part_received(Asset& a, std::int64_t i, Micros now) {
    auto& slot = a.parts[static_cast<std::size_t>(i)];
    if (slot != '1') {
        slot = '1';
        a.parts_received += 1;
    }
    if (!a.first_part_at)
        a.first_part_at = now;
    dirty_asset(a);
    PartResult result = PartResult::stored;
    if (a.parts_received == a.part_count && !a.upload_completed_at) {
        a.upload_completed_at = now;
        a.updated_at = now;
        a.status = "uploaded";
        if (Project* p = project(a.project_id); p && !a.deleted_at) {
            p->storage += a.filesize;
            touch_project(p->id, now, true);
        }
        m_pending.emplace(processing_due(a), a.id);
        result = PartResult::completed;
    }
    commit();
    return result;
}

void Model::fail_upload(Asset& a, Micros now) {
    a.upload_failed = true;
    if (!a.first_part_at)
        a.first_part_at = now;
    dirty_asset(a);
    commit();
}

void Model::set_computed_hash(Asset& a, std::string hash) {
    a.computed_hash = std::move(hash);
    dirty_asset(a);
    commit();
}

void Model::give_up_checksum(Asset& a) {
    a.checksum_eligible = false;
    dirty_asset(a);
    commit();
}

void Model::force_checksum(Asset& a, std::string value, Micros now) {
    a.checksum = std::move(value);
    if (a.checksum_id.empty())
        a.checksum_id = new_uuid();
    a.updated_at = std::max(a.updated_at, now);
    dirty_asset(a);
    commit();
}

std::vector<std::string> Model::settle(Micros now) {
    std::vector<std::string> waiting;
    for (auto it = m_pending.begin(); it != m_pending.end() && it->first <= now;) {
        const Micros due = it->first;
        Asset* a = asset(it->second);
        if (!a || a->transcoded_at) {
            it = m_pending.erase(it);
            continue;
        }
        if (a->checksum_eligible && a->computed_hash.empty()) {
            waiting.push_back(a->id);
            ++it;
            continue;
        }
        // The pass "ran" at its due time, whatever the time of the request that observes it.
        a->transcoded_at = due;
        if (generation_of_project(a->project_id) == Generation::v2 || is_media_type(a->filetype))
            a->status = "transcoded";
        if (a->checksum_eligible && !a->checksum) { // an admin corruption stays
            a->checksum = a->computed_hash;
            a->checksum_id = new_uuid();
        }
        a->updated_at = std::max(a->updated_at, due);
        dirty_asset(*a);
        touch_project(a->project_id, due, false);
        it = m_pending.erase(it);
    }
    commit();
    return waiting;
}

std::vector<std::string> Model::unhashed_completed() const {
    std::vector<std::string> out;
    for (const auto& [id, a] : m_assets) {
        if (a.is_file() && a.upload_completed_at && a.computed_hash.empty())
            out.push_back(id);
    }
    return out;
}

// --- OAuth -------------------------------------------------------------------------------

OAuthFamily* Model::family(const std::string& id) {
    auto it = m_families.find(id);
    return it == m_families.end() ? nullptr : &it->second;
}
OAuthCode* Model::code(const std::string& hash) {
    auto it = m_codes.find(hash);
    return it == m_codes.end() ? nullptr : &it->second;
}
OAuthToken* Model::token(const std::string& hash) {
    auto it = m_tokens.find(hash);
    return it == m_tokens.end() ? nullptr : &it->second;
}
void Model::put_family(OAuthFamily f) {
    const std::string id = f.id;
    m_families[id] = std::move(f);
    m_dirty_other.emplace("oauth_family", id);
    commit();
}
void Model::put_code(OAuthCode c) {
    const std::string id = c.hash;
    m_codes[id] = std::move(c);
    m_dirty_other.emplace("oauth_code", id);
    commit();
}
void Model::put_token(OAuthToken t) {
    const std::string id = t.hash;
    m_tokens[id] = std::move(t);
    m_dirty_other.emplace("oauth_token", id);
    commit();
}
void Model::save_family(const OAuthFamily& f) {
    m_dirty_other.emplace("oauth_family", f.id);
    commit();
}
void Model::save_code(const OAuthCode& c) {
    m_dirty_other.emplace("oauth_code", c.hash);
    commit();
}
void Model::save_token(const OAuthToken& t) {
    m_dirty_other.emplace("oauth_token", t.hash);
    commit();
}

void Model::expire_oauth(Micros now) {
    for (auto it = m_codes.begin(); it != m_codes.end();) {
        // Used codes are kept until expiry so that a replay can still be detected.
        if (it->second.expires_at + 3600 * k_micros_per_second < now) {
            m_dirty_other.emplace("oauth_code", it->first);
            it = m_codes.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = m_tokens.begin(); it != m_tokens.end();) {
        if (it->second.expires_at < now) {
            m_dirty_other.emplace("oauth_token", it->first);
            it = m_tokens.erase(it);
        } else {
            ++it;
        }
    }
    commit();
}

// --- consistency -------------------------------------------------------------------------

std::vector<std::string> Model::check_invariants() const {
    std::vector<std::string> problems;
    const auto get = [&](const std::string& id) -> const Asset* {
        auto it = m_assets.find(id);
        return it == m_assets.end() ? nullptr : &it->second;
    };
    for (const auto& [id, a] : m_assets) {
        if (a.deleted_at)
            continue; // a deleted subtree keeps its values from deletion time
        if (a.is_container()) {
            std::int64_t live = 0, size = 0;
            for (const auto& cid : a.children) {
                const Asset* c = get(cid);
                if (!c || c->deleted_at)
                    continue;
                if (c->parent_id != a.id)
                    problems.push_back("child " + cid + " parent mismatch");
                ++live;
                size += c->filesize;
            }
            if (live != a.item_count)
                problems.push_back("item_count of " + id);
            if (size != a.filesize)
                problems.push_back("filesize of " + id);
        }
    }
    for (const auto& [pid, p] : m_projects) {
        std::int64_t files = 0, folders = 0, storage = 0;
        for (const auto& [id, a] : m_assets) {
            if (a.project_id != pid || a.deleted_at)
                continue;
            if (a.is_file()) {
                ++files;
                if (a.upload_completed_at)
                    storage += a.filesize;
            } else if (a.type == AssetType::folder && !a.is_root) {
                ++folders;
            }
        }
        if (files != p.file_count)
            problems.push_back("file_count of project " + pid);
        if (folders != p.folder_count)
            problems.push_back("folder_count of project " + pid);
        if (storage != p.storage)
            problems.push_back("storage of project " + pid);
    }
    return problems;
}

} // namespace fioemu
