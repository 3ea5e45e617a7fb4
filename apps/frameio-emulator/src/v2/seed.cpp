// SPDX-License-Identifier: MIT
#include "v2/seed.hpp"

#include "core/api.hpp"
#include "core/blobs.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "core/options.hpp"
#include "v2/checksum.hpp"

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <vector>

namespace fioemu {

namespace {

/// Deterministic pseudo-random content (incompressible, like media), seeded by the name.
class Generator {
public:
    explicit Generator(std::uint64_t seed) : m_state(seed) {}
    void fill(char* buf, std::size_t n) {
        std::size_t i = 0;
        while (i < n) {
            std::uint64_t v = splitmix64(m_state++);
            for (int k = 0; k < 8 && i < n; ++k, ++i) {
                buf[i] = static_cast<char>(v & 0xFFU);
                v >>= 8;
            }
        }
    }

private:
    std::uint64_t m_state;
};

/// Writes every part of `asset_id` the way a part PUT does: temp file, rename under the lock,
/// part_received.
void upload(Services& s, const std::string& asset_id, std::uint64_t seed) {
    std::int64_t parts = 0;
    std::vector<std::int64_t> lengths;
    {
        auto lock = s.model.lock();
        const Asset* a = s.model.asset(asset_id);
        parts = a->part_count;
        for (std::int64_t i = 0; i < parts; ++i)
            lengths.push_back(a->part_length(i));
    }
    Generator gen(seed);
    std::vector<char> buf(1 << 20);
    bool completed = false;
    for (std::int64_t i = 0; i < parts; ++i) {
        BufferedFile f;
        const auto temp = s.blobs.temp_path(asset_id, i);
        if (!f.open(temp))
            throw std::runtime_error("cannot write " + temp.string());
        std::int64_t left = lengths[static_cast<std::size_t>(i)];
        while (left > 0) {
            const auto n = static_cast<std::size_t>(
                std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size())));
            gen.fill(buf.data(), n);
            if (!f.write(buf.data(), n))
                throw std::runtime_error("cannot write " + temp.string());
            left -= static_cast<std::int64_t>(n);
        }
        if (!f.close())
            throw std::runtime_error("cannot write " + temp.string());
        auto lock = s.model.lock();
        Asset* a = s.model.asset(asset_id);
        const auto final_path = s.blobs.part_path(asset_id, i);
        if (std::rename(temp.c_str(), final_path.c_str()) != 0) {
            throw std::runtime_error("cannot store " + final_path.string());
        }
        completed = s.model.part_received(*a, i, s.clock.now()) == Model::PartResult::completed;
    }
    if (completed)
        s.checksums.enqueue(asset_id);
}

} // namespace

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
        upload(s, id, fnv1a(name));
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
