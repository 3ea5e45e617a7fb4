// SPDX-License-Identifier: MIT
#pragma once

// Shared by the fuzz targets (tests/fuzz): invariant checks that stop the run like a crash,
// so libFuzzer saves the input, and small readers of the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <string_view>

namespace fios::fuzz {

/// A broken invariant: say which and where, then abort (libFuzzer writes crash-<sha1>).
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line,
                                          std::string_view detail) {
    std::fprintf(stderr, "\nINVARIANT BROKEN at %s:%d: %s\n  %.*s\n", file, line, what,
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

/// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Which of `n` entry points a target runs: the first input byte, counted from 'a' so that
/// seed files can start with a readable letter ('a' is the first entry point, 'b' the next).
inline unsigned pick(std::uint8_t first, unsigned n) {
    return static_cast<std::uint8_t>(first - 'a') % n;
}

/// No byte below 0x20 and no DEL: text that is safe to print on a terminal line.
inline bool has_no_control(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return false;
    }
    return true;
}

} // namespace fios::fuzz

/// FUZZ_CHECK(condition, detail): `detail` is any string-like value printed on failure.
#define FUZZ_CHECK(cond, detail)                                                                   \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ::fios::fuzz::invariant_failed(#cond, __FILE__, __LINE__, (detail));                   \
    } while (false)
