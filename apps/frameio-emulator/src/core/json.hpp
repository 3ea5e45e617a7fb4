// SPDX-License-Identifier: MIT
#pragma once

#include "core/clock.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fioemu {

/// A small fluent layer over rapidjson::Writer: `j.key("id").str(id)`.
/// Everything the emulator sends or persists as JSON goes through it.
class Json {
public:
    Json() : m_writer(m_buffer) {}

    Json& key(std::string_view k);
    Json& begin_object();
    Json& end_object();
    Json& begin_array();
    Json& end_array();
    Json& str(std::string_view v);
    Json& null();
    Json& boolean(bool v);
    Json& i64(std::int64_t v);
    Json& dbl(double v);
    /// Inserts already-serialized JSON (e.g. stored `properties`).
    Json& raw(std::string_view json);
    Json& opt_str(const std::optional<std::string>& v);
    /// An empty string is written as null.
    Json& str_or_null(std::string_view v);
    Json& time(Micros t);
    Json& opt_time(const std::optional<Micros>& t);

    [[nodiscard]] std::string take() const {
        return std::string(m_buffer.GetString(), m_buffer.GetSize());
    }

private:
    rapidjson::StringBuffer m_buffer;
    rapidjson::Writer<rapidjson::StringBuffer> m_writer;
};

/// Parses a request body that must be a JSON object. Iterative parsing, UTF-8 validation and
/// a nesting limit keep hostile input (deep nesting, bad encodings) from crashing the server.
/// Returns false with a human-readable reason on failure.
bool parse_json_object(std::string_view body, rapidjson::Document& doc, std::string& error);

/// Same checks, any JSON value (used for persisted rows).
bool parse_json(std::string_view text, rapidjson::Document& doc, std::string& error);

/// Serializes a (depth-limited) value back to compact JSON.
std::string to_json_string(const rapidjson::Value& v);

/// Typed access to the members of a JSON object, recording the first type error.
/// get_* return true when the member is present, non-null and of the right type; false when it
/// is absent or null (see has()/is_null()), or of the wrong type (then error() is set).
class ObjectReader {
public:
    explicit ObjectReader(const rapidjson::Value& obj) : m_obj(obj) {}

    [[nodiscard]] const rapidjson::Value* get(std::string_view key) const;
    [[nodiscard]] bool has(std::string_view key) const { return get(key) != nullptr; }
    [[nodiscard]] bool is_null(std::string_view key) const;

    bool get_string(std::string_view key, std::string& out);
    bool get_int64(std::string_view key, std::int64_t& out);
    bool get_double(std::string_view key, double& out);
    bool get_bool(std::string_view key, bool& out);
    /// An object member (or null); returns its serialized JSON.
    bool get_object_json(std::string_view key, std::string& out);

    [[nodiscard]] bool ok() const { return m_error.empty(); }
    [[nodiscard]] const std::string& error() const { return m_error; }
    void fail(std::string message) {
        if (m_error.empty())
            m_error = std::move(message);
    }

private:
    const rapidjson::Value& m_obj;
    std::string m_error;
};

} // namespace fioemu
