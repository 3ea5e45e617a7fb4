// SPDX-License-Identifier: MIT
#include "fios/api/model.hpp"

#include <cstdio>

namespace fios::api {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? static_cast<unsigned>(-3) : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m;
    unsigned d;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr unsigned k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : k_days[m - 1];
}

/// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, unsigned& out) {
    if (pos + n > s.size())
        return false;
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    pos += n;
    out = v;
    return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
    if (pos >= s.size() || s[pos] != c)
        return false;
    ++pos;
    return true;
}

} // namespace

std::string_view to_string(AssetType type) {
    switch (type) {
    case AssetType::file:
        return "file";
    case AssetType::folder:
        return "folder";
    case AssetType::version_stack:
        return "version_stack";
    case AssetType::other:
        return "other";
    }
    return "other";
}

Result<TimePoint> parse_timestamp(std::string_view s) {
    auto fail = [&] {
        return Error{ErrorCode::parse, "'" + std::string(s.substr(0, 64)) +
                                           "' is not an ISO-8601 timestamp "
                                           "(YYYY-MM-DDTHH:MM:SS[.ffffff]Z)"};
    };
    std::size_t pos = 0;
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
        !expect(s, pos, '-') || !digits(s, pos, 2, day)) {
        return fail();
    }
    if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
        return fail();
    ++pos;
    if (!digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute) ||
        !expect(s, pos, ':') || !digits(s, pos, 2, second)) {
        return fail();
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 60) {
        return fail();
    }
    std::int64_t nanos = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        std::size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 9)
                nanos = nanos * 10 + (s[pos] - '0');
            ++n;
            ++pos;
        }
        if (n == 0)
            return fail();
        for (std::size_t i = n; i < 9; ++i)
            nanos *= 10;
    }
    std::int64_t offset_seconds = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        const bool negative = s[pos] == '-';
        ++pos;
        unsigned oh = 0, om = 0;
        if (!digits(s, pos, 2, oh))
            return fail();
        if (pos < s.size() && s[pos] == ':')
            ++pos;
        if (!digits(s, pos, 2, om) || oh > 23 || om > 59)
            return fail();
        offset_seconds = (static_cast<std::int64_t>(oh) * 3600 + om * 60) * (negative ? -1 : 1);
    } else {
        return fail(); // no zone: refuse to guess local time
    }
    if (pos != s.size())
        return fail();
    const std::int64_t days = days_from_civil(year, month, day);
    const std::int64_t secs =
        days * 86400 + hour * 3600LL + minute * 60LL + second - offset_seconds;
    // system_clock counts nanoseconds in 64 bits: years 1678 to 2261 only.
    if (secs > 9'000'000'000LL || secs < -9'000'000'000LL) {
        return Error{ErrorCode::parse, "'" + std::string(s.substr(0, 64)) +
                                           "' is outside the supported years (1678-2261)"};
    }
    auto d = std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos);
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(d));
}

std::string format_timestamp(TimePoint t) {
    // floor, not duration_cast: before 1970 a cast cuts toward zero, i.e. toward a later time.
    const auto us = std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch());
    std::int64_t total_us = us.count();
    std::int64_t secs = total_us / 1'000'000;
    std::int64_t frac = total_us % 1'000'000;
    if (frac < 0) {
        frac += 1'000'000;
        secs -= 1;
    }
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    Civil c = civil_from_days(days);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                  static_cast<long long>(c.y), c.m, c.d, static_cast<long long>(rem / 3600),
                  static_cast<long long>((rem % 3600) / 60), static_cast<long long>(rem % 60),
                  static_cast<long long>(frac));
    return buf;
}

} // namespace fios::api
