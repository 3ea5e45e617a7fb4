// SPDX-License-Identifier: MIT
#pragma once

namespace fioemu {

struct Services;

/// First start: one account, one user, the team "Team"; every --team NAME not present yet.
void seed_hierarchy(Services& s);

/// --seed-demo, once: "Demo Project" with nested folders, generated media-sized files (one
/// spanning several parts) and a version stack, uploaded through the same code paths as
/// client uploads (so checksums follow after --checksum-delay).
void seed_demo(Services& s);

} // namespace fioemu
