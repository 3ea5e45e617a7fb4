// SPDX-License-Identifier: MIT
#include "v2/seed.hpp"

#include "core/api.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "core/transfer.hpp"

#include <iostream>
#include <stdexcept>

namespace fioemu {

void seed_hierarchy(Services& s) {
    auto lock = s.model.lock();
    const Micros now = s.clock.now();
    if (!s.model.first_user(Generation::v2)) {
        Account& acc = s.model.create_account("Emulated Account", now);
        const User& u =
            s.model.create_user(acc.id, "Emulator User", "user@frameio-emulator.invalid", now);
        s.model.create_team(acc.id, u.id, "Team", now);
    }
    const User* u = s.model.first_user(Generation::v2);
    if (!u)
        throw std::runtime_error("state has an account but no user");
    for (const auto& name : s.options.teams) {
        bool exists = false;
        for (const auto& [id, t] : s.model.teams())
            exists = exists || (t.name == name && t.account_id == u->account_id);
        if (!exists)
            s.model.create_team(u->account_id, u->id, name, s.clock.now());
    }
}

void seed_demo(Services& s) {
    std::string root_id, user_id;
    {
        auto lock = s.model.lock();
        const User* u = s.model.first_user(Generation::v2);
        const auto teams = s.model.teams_in_order();
        if (!u || teams.empty())
            return;
        for (const auto& [id, p] : s.model.projects()) {
            if (p.name == "Demo Project")
                return; // seeded before
        }
        user_id = u->id;
        Project& p = s.model.create_project(
            *teams.front(), user_id, "Demo Project", false,
            std::string("Sample data from frameio-emulator --seed-demo"), s.clock.now());
        root_id = p.root_asset_id;
    }
    const auto folder = [&](const std::string& parent, const std::string& name) {
        auto lock = s.model.lock();
        return s.model
            .create_folder(*s.model.asset(parent), user_id, name, std::nullopt, {}, s.clock.now())
            .id;
    };
    const auto file = [&](const std::string& parent, const std::string& name,
                          const std::string& type, std::int64_t size) {
        std::string id;
        {
            auto lock = s.model.lock();
            id = s.model
                     .create_file(*s.model.asset(parent), user_id, name, type, size, std::nullopt,
                                  {}, true, s.clock.now())
                     .id;
        }
        store_generated_content(s, id, fnv1a(name));
        return id;
    };

    const std::string footage = folder(root_id, "Footage");
    const std::string day1 = folder(footage, "Day 1");
    const std::string day2 = folder(footage, "Day 2");
    const std::string audio = folder(root_id, "Audio");
    const std::string stills = folder(root_id, "Stills");
    const std::string exports = folder(root_id, "Exports");
    folder(exports, "Archive"); // an empty folder

    // One file spans several parts at the configured part size (kept under 64 MiB).
    const std::int64_t p = s.options.part_size;
    std::int64_t multi = p * 2 + p / 2;
    if (multi > 64 * k_mib)
        multi = 64 * k_mib;
    file(day1, "A001_C001_0101.mov", "video/quicktime", multi);
    file(day1, "A001_C002_0101.mov", "video/quicktime", 3 * k_mib + 12345);
    file(day2, "B001_C001_0102.mp4", "video/mp4", 2 * k_mib + 777);
    file(audio, "mix_v1.wav", "audio/wav", k_mib + 44);
    file(stills, "frame_0001.jpg", "image/jpeg", 180 * 1024 + 3);
    file(stills, "frame_0002.png", "image/png", 240 * 1024 + 17);
    file(root_id, "notes.txt", "text/plain", 1200);
    file(root_id, "empty.txt", "text/plain", 0);
    const std::string v1 = file(exports, "Spot_v1.mp4", "video/mp4", 1536 * 1024 + 1);
    const std::string v2 = file(exports, "Spot_v2.mp4", "video/mp4", 1600 * 1024 + 9);
    {
        auto lock = s.model.lock();
        s.model.add_version(*s.model.asset(v1), *s.model.asset(v2), user_id, s.clock.now());
    }
    std::cerr << "frameio-emulator: seeded \"Demo Project\"\n";
}

} // namespace fioemu
