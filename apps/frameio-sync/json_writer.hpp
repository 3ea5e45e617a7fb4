// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fios::cli {

/// Builds one compact JSON document for `--json` output (the CLI's only JSON writer).
/// Calls must nest correctly (begin_object/end_object, key before each member value).
class JsonWriter {
public:
    JsonWriter();
    ~JsonWriter();
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view v);
    JsonWriter& value(const char* v) { return value(std::string_view(v)); }
    JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
    JsonWriter& value(std::int64_t v);
    JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
    JsonWriter& value(bool v);
    JsonWriter& null();
    JsonWriter& value(const std::optional<std::string>& v) { return v ? value(*v) : null(); }
    /// key(k).value(v) in one call.
    template <class T>
    JsonWriter& member(std::string_view k, const T& v) {
        key(k);
        return value(v);
    }
    [[nodiscard]] std::string str() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace fios::cli
