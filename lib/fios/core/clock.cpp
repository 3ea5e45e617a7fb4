// SPDX-License-Identifier: MIT
#include "fios/core/clock.hpp"

namespace fios {

const SystemClock& SystemClock::instance() {
    static const SystemClock clock;
    return clock;
}

} // namespace fios
