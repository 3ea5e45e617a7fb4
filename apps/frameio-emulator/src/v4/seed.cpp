// SPDX-License-Identifier: MIT
#include "v4/seed.hpp"

#include "core/api.hpp"
#include "core/model.hpp"

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

void seed_v4_demo(Services&) {}

} // namespace fioemu
