// SPDX-License-Identifier: MIT
#include "sync_fixture.hpp"
