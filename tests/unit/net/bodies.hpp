// SPDX-License-Identifier: MIT
#pragma once

#include "fios/net/http.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace fios::test {

/// A BodySource over a string; counts rewinds; can be told to fail after some bytes.
class StringSource final : public net::BodySource {
public:
    explicit StringSource(std::string data) : m_data(std::move(data)) {}
    [[nodiscard]] std::uint64_t size() const override { return m_data.size(); }
    Result<std::size_t> read(std::span<char> buf) override {
        if (m_fail_at && m_pos >= *m_fail_at)
            return Error{ErrorCode::io, "disk read failed"};
        std::size_t n = std::min(buf.size(), m_data.size() - m_pos);
        std::memcpy(buf.data(), m_data.data() + m_pos, n);
        m_pos += n;
        return n;
    }
    Status rewind() override {
        ++m_rewinds;
        m_pos = 0;
        return {};
    }
    void fail_at(std::size_t offset) { m_fail_at = offset; }
    [[nodiscard]] int rewinds() const { return m_rewinds; }

private:
    std::string m_data;
    std::size_t m_pos = 0;
    std::optional<std::size_t> m_fail_at;
    int m_rewinds = 0;
};

/// A BodySink collecting into a string; can be told to fail.
class StringSink final : public net::BodySink {
public:
    Status write(std::span<const char> data) override {
        if (m_fail)
            return Error{ErrorCode::io, "disk full"};
        m_data.append(data.data(), data.size());
        return {};
    }
    void fail() { m_fail = true; }
    [[nodiscard]] const std::string& data() const { return m_data; }

private:
    std::string m_data;
    bool m_fail = false;
};

inline std::string pattern_bytes(std::size_t n, unsigned seed = 1) {
    std::string s(n, '\0');
    unsigned x = seed;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>((x >> 16) & 0xFF);
    }
    return s;
}

} // namespace fios::test
