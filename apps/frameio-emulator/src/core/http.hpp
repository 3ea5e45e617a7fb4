// SPDX-License-Identifier: MIT
#pragma once
// cpp-httplib's header warns under our flags (-Wconversion, -Wold-style-cast, ...): include it
// only through this wrapper, which marks it as a system header.
#pragma GCC system_header

#include <httplib.h>
