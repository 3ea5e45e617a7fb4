// SPDX-License-Identifier: MIT
#pragma once

#include "core/clock.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fioemu {

class Store;

enum class AssetType { file, folder, version_stack };
std::string_view to_string(AssetType t);

/// Which API an account belongs to. A V4 login never sees a V2 account and vice versa.
enum class Generation { v2 = 2, v4 = 4 };

struct Account {
    std::string id;
    Generation generation = Generation::v2;
    std::string display_name;
    std::string owner_id;
    Micros inserted_at = 0;
    Micros updated_at = 0;
};

struct User {
    std::string id;
    std::string name;
    std::string email;
    std::string account_id;
    std::string context_id;  ///< id of the embedded `context` object
    std::string features_id; ///< id of the embedded `features_seen` object
    Micros inserted_at = 0;
    Micros updated_at = 0;
};

struct Team {
    std::string id;
    std::string name;
    std::string account_id;
    std::string creator_id;
    Micros inserted_at = 0;
    Micros updated_at = 0;
};

struct Project {
    std::string id;
    std::string name;
    std::string team_id;
    std::string owner_id;
    std::string root_asset_id;
    std::optional<std::string> description;
    bool is_private = false; ///< V2 `private`; V4 `restricted`
    bool inactive = false;   ///< V4 `status`: "inactive" (V2 has no such state)
    Micros inserted_at = 0;
    Micros updated_at = 0;
    std::optional<Micros> deleted_at;
    // Counters, kept true by every asset mutation.
    std::int64_t file_count = 0;   ///< live file assets (versions inside stacks included)
    std::int64_t folder_count = 0; ///< live folders (the root excluded)
    std::int64_t storage = 0;      ///< bytes of live files whose upload completed
};

struct Asset {
    std::string id;
    AssetType type = AssetType::folder;
    std::string name;
    std::string parent_id; ///< empty for a project's root
    std::string project_id;
    std::string creator_id;
    bool is_root = false;
    std::string filetype;      ///< files only
    std::int64_t filesize = 0; ///< files: declared; folders and stacks: sum of live files below
    double index = 0;          ///< order within the parent: new assets get min - 1
    std::string label = "none";
    std::optional<std::string> description;
    std::string properties; ///< serialized JSON object; empty = null
    Micros inserted_at = 0;
    Micros updated_at = 0;
    std::optional<Micros> deleted_at;

    // Files: upload and post-upload state.
    std::int64_t part_count = 0;
    std::string parts; ///< one '0'/'1' per part
    std::int64_t parts_received = 0;
    std::optional<Micros> upload_completed_at;
    std::optional<Micros> transcoded_at; ///< when the post-upload pass (checksum) ran
    std::string status;                  ///< "created", "uploaded", "transcoded"
    std::optional<Micros> first_part_at; ///< V4 status `uploaded_at`: the first part arrived
    bool upload_failed = false;          ///< V4: the upload_failed fault hit this upload
    bool checksum_eligible = true;       ///< false: chosen by --no-checksum-rate
    std::string computed_hash;           ///< XXH64 hex once hashed; internal until published
    std::optional<std::string> checksum; ///< the published checksums.xx_hash
    std::string checksum_id;

    // Folders and version stacks.
    std::int64_t item_count = 0; ///< live direct children
    std::string cover_asset_id;  ///< stacks: head version (live child with the lowest index)

    // Derived on load, not persisted.
    std::vector<std::string> children; ///< every child id, deleted ones included
    double min_child_index = 0;        ///< lowest index among children (0 when none)

    [[nodiscard]] bool is_file() const { return type == AssetType::file; }
    [[nodiscard]] bool is_container() const { return type != AssetType::file; }
    [[nodiscard]] std::int64_t chunk_size() const;
    [[nodiscard]] std::int64_t part_length(std::int64_t i) const;
    [[nodiscard]] std::int64_t part_offset(std::int64_t i) const { return i * chunk_size(); }
};

/// Number of upload parts for a file: n = max(1, ceil(filesize / P)) with P = max(part_size,
/// ceil(filesize / 10000)), so that no upload exceeds S3's 10,000 parts.
std::int64_t part_count_for(std::int64_t filesize, std::int64_t part_size);
/// V4's rule (docs/frameio-api-v4.md, correction 9): n = max(1, ceil(file_size / P)) parts of
/// ceil(file_size / n) bytes, the last the remainder (Asset::part_length applies it).
std::int64_t v4_part_count(std::int64_t file_size, std::int64_t part_size);
/// video/*, audio/* and image/*: the files V4 transcodes (others stay `uploaded`).
bool is_media_type(std::string_view media_type);

/// An OAuth login: the chain of tokens issued from one authorization code.
struct OAuthFamily {
    std::string id;
    std::string client_id;
    std::string user_id;
    std::set<std::string> scopes;
    Micros refresh_expires_at = 0; ///< absolute: refreshes do not extend it
    bool revoked = false;
};

struct OAuthCode {
    std::string hash; ///< SHA-256 of the code (the code itself is never stored)
    std::string client_id;
    std::string redirect_uri; ///< as sent to /oauth2/auth (empty when omitted)
    std::set<std::string> scopes;
    std::string challenge;
    std::string user_id;
    std::string family_id; ///< set once exchanged (a replay revokes that family)
    Micros expires_at = 0;
    bool used = false;
};

struct OAuthToken {
    std::string hash; ///< SHA-256 of the token
    bool refresh = false;
    std::string family_id;
    std::set<std::string> scopes;
    Micros expires_at = 0;
    bool used = false; ///< refresh tokens: already exchanged (rotation)
};

struct ModelSettings {
    std::int64_t part_size = 0;
    Micros checksum_delay = 0;
    Micros transcode_delay = 0; ///< V4: from upload completion to status `transcoded`
    bool project_updated_on_any = true;
    bool v4_bump_ancestors = false; ///< --v4-bump-ancestors (V4 projects' updated_at)
    /// --v4-complete-delay: a V4 upload shows complete this long after its last part.
    Micros v4_complete_delay = 0;
};

/// All emulator state, in memory, written through to the Store as it changes.
/// Every member function requires the caller to hold lock(); mutations persist their changes
/// before returning (write-through), so an acknowledged change survives kill -9.
class Model {
public:
    Model(Store& store, ModelSettings settings);

    [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock(m_mutex); }
    [[nodiscard]] const ModelSettings& settings() const { return m_settings; }
    void set_checksum_delay(Micros delay) { m_settings.checksum_delay = delay; }

    /// Loads everything from the store and rebuilds derived indexes.
    void load();
    [[nodiscard]] Store& store() { return m_store; }

    // --- lookups -------------------------------------------------------------------------
    Account* account(const std::string& id);
    User* user(const std::string& id);
    Team* team(const std::string& id);
    Project* project(const std::string& id);
    Asset* asset(const std::string& id);
    const std::map<std::string, Account>& accounts() const { return m_accounts; }
    const std::map<std::string, User>& users() const { return m_users; }
    const std::map<std::string, Team>& teams() const { return m_teams; }
    const std::map<std::string, Project>& projects() const { return m_projects; }
    const std::unordered_map<std::string, Asset>& assets() const { return m_assets; }
    /// Teams in creation order.
    std::vector<const Team*> teams_in_order() const;
    /// Live projects of a team in creation order.
    std::vector<const Project*> projects_of(const std::string& team_id) const;
    /// Every file asset ever created (deleted ones included): the accounts' lifetime_file_count.
    [[nodiscard]] std::int64_t files_ever() const { return m_files_ever; }
    /// Deleted, or in a deleted project.
    bool is_deleted(const Asset& a) const;

    // --- hierarchy -----------------------------------------------------------------------
    Account& create_account(std::string display_name, Micros now,
                            Generation generation = Generation::v2);
    /// The generation of the account that owns `project_id` (v2 when unknown).
    Generation generation_of_project(const std::string& project_id) const;
    /// When the background step after `a`'s completion is due (V2 checksum, V4 transcode);
    /// requires upload_completed_at.
    Micros processing_due(const Asset& a) const;
    /// When the API shows `a`'s upload complete: a V2 file when its last part arrived, a V4
    /// file --v4-complete-delay later (the media pipeline stitching the parts); nullopt
    /// before its last part, and for a failed upload.
    std::optional<Micros> visible_completion(const Asset& a) const;
    /// visible_completion(a) has come by `now`: the API says complete and the bytes can be
    /// downloaded.
    bool upload_visible_complete(const Asset& a, Micros now) const {
        const auto at = visible_completion(a);
        return at && *at <= now;
    }
    /// The account that owns `project_id`, or nullptr.
    const Account* account_of_project(const std::string& project_id) const;
    /// The oldest user of the oldest account of `generation` (who developer tokens act as).
    const User* first_user(Generation generation) const;
    User& create_user(const std::string& account_id, std::string name, std::string email,
                      Micros now);
    Team& create_team(const std::string& account_id, const std::string& creator_id,
                      std::string name, Micros now);
    Project& create_project(const Team& team, const std::string& owner_id, std::string name,
                            bool is_private, std::optional<std::string> description, Micros now);
    void save_project(Project& p, Micros now);
    void delete_project(Project& p, Micros now);

    // --- assets --------------------------------------------------------------------------
    Asset& create_folder(Asset& parent, const std::string& creator_id, std::string name,
                         std::optional<std::string> description, std::string properties,
                         Micros now);
    Asset& create_file(Asset& parent, const std::string& creator_id, std::string name,
                       std::string filetype, std::int64_t filesize,
                       std::optional<std::string> description, std::string properties,
                       bool checksum_eligible, Micros now);
    /// Persists a changed asset (rename, label, ...) and bumps updated_at.
    void touch_asset(Asset& a, Micros now);
    /// Soft-deletes `a` and its whole subtree.
    void delete_asset(Asset& a, Micros now);
    /// Puts `next` on top of `target` (creating a stack in the target's place when needed).
    Asset& add_version(Asset& target, Asset& next, const std::string& creator_id, Micros now);
    /// The live stack a version sits in, or nullptr.
    Asset* stack_of(const Asset& a);
    /// V4 move: takes `a` (a file, folder or stack of the same project) out of its parent and
    /// puts it in folder `folder` (first in its order). A stack left empty is deleted.
    void move_asset(Asset& a, Asset& folder, Micros now);
    /// V4 copy: a new file in `parent` with `src`'s content and upload state (the caller
    /// links the stored parts).
    Asset& copy_file(const Asset& src, Asset& parent, const std::string& creator_id,
                     std::string name, Micros now);

    enum class PartResult { stored, completed };
    /// Records that part `i` of `a` is on disk; completes the upload with the last part.
    PartResult part_received(Asset& a, std::int64_t i, Micros now);
    /// V4 upload_failed fault: the last part arrived but the upload is marked failed instead of
    /// completing (status stays "created", never downloadable). The part is not recorded.
    void fail_upload(Asset& a, Micros now);
    /// Stores a computed hash (publication waits for the checksum delay).
    void set_computed_hash(Asset& a, std::string hash);
    /// The content cannot be hashed (missing part files): the asset never gets a checksum.
    void give_up_checksum(Asset& a);
    /// Overwrites the published checksum (admin: simulated corruption).
    void force_checksum(Asset& a, std::string value, Micros now);

    /// Publishes every post-upload pass due at `now`. Returns the ids of due assets whose hash
    /// is not computed yet (the caller waits for them and calls again).
    std::vector<std::string> settle(Micros now);
    /// Completed uploads still lacking a computed hash (to re-queue after a restart).
    std::vector<std::string> unhashed_completed() const;

    // --- OAuth ---------------------------------------------------------------------------
    OAuthFamily* family(const std::string& id);
    OAuthCode* code(const std::string& hash);
    OAuthToken* token(const std::string& hash);
    void put_family(OAuthFamily f);
    void put_code(OAuthCode c);
    void put_token(OAuthToken t);
    void save_family(const OAuthFamily& f);
    void save_code(const OAuthCode& c);
    void save_token(const OAuthToken& t);
    /// Drops expired codes and tokens.
    void expire_oauth(Micros now);

    // --- consistency (admin) -------------------------------------------------------------
    /// Recounts every derived value from scratch; returns mismatches (empty when consistent).
    std::vector<std::string> check_invariants() const;

private:
    void attach(Asset& child, Asset& parent);
    void add_size(const std::string& from_id, std::int64_t delta);
    void refresh_stack(Asset& stack, Micros now);
    void touch_project(const std::string& project_id, Micros now, bool counters_changed);
    double next_index(Asset& parent);
    std::int64_t contribution(const Asset& a) const;
    void dirty_asset(const Asset& a) { m_dirty_assets.insert(a.id); }
    void dirty_project(const Project& p) { m_dirty_projects.insert(p.id); }
    void commit();

    Store& m_store;
    ModelSettings m_settings;
    std::mutex m_mutex;
    std::map<std::string, Account> m_accounts;
    std::map<std::string, User> m_users;
    std::map<std::string, Team> m_teams;
    std::map<std::string, Project> m_projects;
    std::unordered_map<std::string, Asset> m_assets;
    std::map<std::string, OAuthFamily> m_families;
    std::map<std::string, OAuthCode> m_codes;
    std::map<std::string, OAuthToken> m_tokens;
    /// (due time, asset id) of completed uploads whose post-upload pass has not run.
    std::set<std::pair<Micros, std::string>> m_pending;

    std::int64_t m_files_ever = 0;

    std::set<std::string> m_dirty_assets, m_dirty_projects;
    std::set<std::pair<std::string, std::string>> m_dirty_other; ///< (kind, id)
};

} // namespace fioemu
