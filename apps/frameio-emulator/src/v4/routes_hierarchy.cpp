// SPDX-License-Identifier: MIT
#include "v4/routes.hpp"

namespace fioemu {

void register_v4_hierarchy_routes(HttpServer&, Services&) {}

} // namespace fioemu
