// SPDX-License-Identifier: MIT
#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fioemu {

Micros Clock::now() const {
    const auto real = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    return real + m_offset.load();
}

std::string format_timestamp(Micros t) {
    Micros secs = t / k_micros_per_second;
    Micros frac = t % k_micros_per_second;
    if (frac < 0) {
        frac += k_micros_per_second;
        secs -= 1;
    }
    const auto tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long>(frac));
    return buf;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size())
        return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

} // namespace

std::optional<Micros> parse_timestamp(std::string_view s) {
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
    if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mon) ||
        s[7] != '-' || !digits(s, 8, 2, day)) {
        return std::nullopt;
    }
    std::size_t pos = 10;
    Micros frac = 0;
    Micros zone_offset = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
            return std::nullopt;
        if (!digits(s, pos + 1, 2, hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, min)) {
            return std::nullopt;
        }
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            if (!digits(s, pos + 1, 2, sec))
                return std::nullopt;
            pos += 3;
            if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
                ++pos;
                Micros scale = 100'000;
                std::size_t n = 0;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    frac += (s[pos] - '0') * scale;
                    scale /= 10;
                    ++pos;
                    ++n;
                }
                if (n == 0)
                    return std::nullopt;
            }
        }
        if (pos < s.size()) {
            if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
                pos += 1;
            } else if (s[pos] == '+' || s[pos] == '-') {
                int zh = 0, zm = 0;
                const int sign = s[pos] == '-' ? -1 : 1;
                if (!digits(s, pos + 1, 2, zh))
                    return std::nullopt;
                std::size_t p2 = pos + 3;
                if (p2 < s.size() && s[p2] == ':')
                    ++p2;
                if (!digits(s, p2, 2, zm) || p2 + 2 != s.size())
                    return std::nullopt;
                zone_offset = sign * (Micros{zh} * 3600 + Micros{zm} * 60) * k_micros_per_second;
                pos = s.size();
            } else {
                return std::nullopt;
            }
        }
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    const std::time_t t = ::timegm(&tm);
    return Micros{t} * k_micros_per_second + frac - zone_offset;
}

} // namespace fioemu
