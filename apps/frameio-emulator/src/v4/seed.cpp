// SPDX-License-Identifier: MIT
#include "v4/seed.hpp"

#include "core/api.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "core/transfer.hpp"
#include "v4/links.hpp"

#include <iostream>
#include <string>

namespace fioemu {

void seed_v4_hierarchy(Services& s) {
    auto lock = s.model.lock();
    if (s.model.first_user(Generation::v4))
        return;
    const Micros now = s.clock.now();
    Account& acc = s.model.create_account("Emulated V4 Account", now, Generation::v4);
    const std::string account_id = acc.id;
    User& u = s.model.create_user(account_id, "Emulated V4 User",
                                  "v4-user@frameio-emulator.invalid", now);
    const std::string user_id = u.id;
    s.model.create_team(account_id, user_id, "Workspace", now);
}

void seed_v4_demo(Services& s) {
    std::string root_id, user_id;
    {
        auto lock = s.model.lock();
        const User* u = s.model.first_user(Generation::v4);
        if (!u)
            return;
        const Team* workspace = nullptr;
        for (const Team* t : s.model.teams_in_order()) {
            if (!workspace && t->account_id == u->account_id)
                workspace = t;
        }
        if (!workspace)
            return;
        for (const auto& [id, p] : s.model.projects()) {
            const Team* t = s.model.team(p.team_id);
            if (p.name == "Demo Project" && t && t->account_id == u->account_id)
                return; // seeded before
        }
        user_id = u->id;
        const Project& p = s.model.create_project(
            *workspace, user_id, "Demo Project", false,
            std::string("Sample V4 data from frameio-emulator --seed-demo"), s.clock.now());
        root_id = p.root_asset_id;
    }
    const auto folder = [&](const std::string& parent, const std::string& name) {
        auto lock = s.model.lock();
        return s.model
            .create_folder(*s.model.asset(parent), user_id, name, std::nullopt, {}, s.clock.now())
            .id;
    };
    // Created like a client's local_upload, then stored through the part-upload code path.
    const auto file = [&](const std::string& parent, const std::string& name, std::int64_t size) {
        std::string id;
        {
            auto lock = s.model.lock();
            id = create_v4_file(s, *s.model.asset(parent), user_id, name, size, s.clock.now()).id;
        }
        store_generated_content(s, id, fnv1a("v4/" + name));
        return id;
    };

    const std::string footage = folder(root_id, "Footage");
    const std::string day1 = folder(footage, "Day 1");
    const std::string day2 = folder(footage, "Day 2");
    const std::string audio = folder(root_id, "Audio");
    const std::string stills = folder(root_id, "Stills");
    const std::string exports = folder(root_id, "Exports");
    folder(exports, "Archive"); // an empty folder

    // 45,000,000 bytes: three parts at the default part size of 20,000,000.
    file(day1, "A001_C001_0101.mov", 45'000'000);
    file(day1, "A001_C002_0101.mov", 3 * 1024 * 1024 + 12345);
    file(day2, "B001_C001_0102.mp4", 2 * 1024 * 1024 + 777);
    file(audio, "mix_v1.wav", 1024 * 1024 + 44);
    file(stills, "frame_0001.jpg", 180 * 1024 + 3);
    file(stills, "frame_0002.png", 240 * 1024 + 17);
    file(root_id, "notes.txt", 1200);
    // A version stack of three; the newest (v3) is the head.
    const std::string v1 = file(exports, "Spot_v1.mp4", 1536 * 1024 + 1);
    const std::string v2 = file(exports, "Spot_v2.mp4", 1600 * 1024 + 9);
    const std::string v3 = file(exports, "Spot_v3.mp4", 1700 * 1024 + 5);
    {
        auto lock = s.model.lock();
        Asset& stack =
            s.model.add_version(*s.model.asset(v1), *s.model.asset(v2), user_id, s.clock.now());
        s.model.add_version(stack, *s.model.asset(v3), user_id, s.clock.now());
    }
    std::cerr << "frameio-emulator: seeded the V4 \"Demo Project\"\n";
}

} // namespace fioemu
