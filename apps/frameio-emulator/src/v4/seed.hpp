// SPDX-License-Identifier: MIT
#pragma once

namespace fioemu {

struct Services;

/// First start: the V4 account ("Emulated V4 Account"), its user and the workspace
/// "Workspace". Idempotent.
void seed_v4_hierarchy(Services& s);

/// --seed-demo, once: the V4 "Demo Project" with nested folders, media-sized files (one
/// spanning several parts) and a version stack, uploaded through the part-upload code path.
void seed_v4_demo(Services& s);

} // namespace fioemu
