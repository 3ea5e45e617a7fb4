// SPDX-License-Identifier: MIT
#pragma once

// Internal to the api module: the RapidJSON field reader and body writer that json.cpp (V2)
// and v4_json.cpp (V4) share. Include it from those two files only; no other file of the
// library sees RapidJSON (docs/api-client.md).

#include "fios/api/model.hpp"
#include "fios/core/json_bounds.hpp"
#include "fios/core/result.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace fios::api::json::detail {

using rapidjson::Value;

inline std::string type_phrase(const Value& v) {
    if (v.IsNull())
        return "null";
    if (v.IsBool())
        return "a boolean";
    if (v.IsObject())
        return "an object";
    if (v.IsArray())
        return "an array";
    if (v.IsString())
        return "a string";
    if (v.IsInt64() || v.IsUint64())
        return "an integer";
    // A double: 1e300 or 2^64 is a whole number too large for 64 bits, not a fraction.
    const double d = v.GetDouble();
    if (std::fabs(d) >= 9223372036854775808.0) // 2^63; RapidJSON keeps below 2^64 as integers
        return "a number too large for 64 bits";
    return "a fractional number";
}

/// Reads the fields of one JSON object. The first problem is kept and later reads return
/// placeholders; callers check failed() before using anything, so a placeholder never
/// escapes as data.
class Fields {
public:
    Fields(const Value& object, std::string where, std::string prefix = {})
        : m_obj(object), m_where(std::move(where)), m_prefix(std::move(prefix)) {}

    [[nodiscard]] bool failed() const { return m_error.has_value(); }
    [[nodiscard]] const Error& error() const { return *m_error; }
    void fail(const std::string& message) {
        if (!m_error)
            m_error = Error{ErrorCode::parse, m_where + ": " + message};
    }
    [[nodiscard]] std::string field_name(const char* name) const { return m_prefix + name; }

    /// The member, or null when absent. `required`: absence is an error.
    const Value* get(const char* name, bool required) {
        if (failed())
            return nullptr;
        auto it = m_obj.FindMember(name);
        if (it == m_obj.MemberEnd()) {
            if (required)
                fail("field '" + field_name(name) + "' is missing");
            return nullptr;
        }
        return &it->value;
    }

    void wrong_type(const char* name, const Value& v, const char* expected) {
        fail("field '" + field_name(name) + "' is " + type_phrase(v) + ", expected " + expected);
    }

    // Strings.
    std::string string(const char* name) {
        const Value* v = get(name, true);
        if (!v)
            return {};
        if (!v->IsString()) {
            wrong_type(name, *v, "a string");
            return {};
        }
        return std::string(v->GetString(), v->GetStringLength());
    }
    /// Present, string or null (`required`), or also absent (!required).
    std::optional<std::string> nullable_string(const char* name, bool required = true) {
        const Value* v = get(name, required);
        if (!v || v->IsNull())
            return std::nullopt;
        if (!v->IsString()) {
            wrong_type(name, *v, "a string or null");
            return std::nullopt;
        }
        return std::string(v->GetString(), v->GetStringLength());
    }

    // Integers.
    std::int64_t integer(const char* name) {
        const Value* v = get(name, true);
        if (!v)
            return 0;
        return as_integer(name, *v, false).value_or(0);
    }
    std::optional<std::int64_t> nullable_integer(const char* name, bool required) {
        const Value* v = get(name, required);
        if (!v)
            return std::nullopt;
        return as_integer(name, *v, true);
    }
    std::int64_t count(const char* name) {
        std::int64_t n = integer(name);
        if (!failed() && n < 0)
            fail("field '" + field_name(name) + "' is negative");
        return n;
    }

    std::optional<double> nullable_number(const char* name, bool required) {
        const Value* v = get(name, required);
        if (!v || v->IsNull())
            return std::nullopt;
        if (!v->IsNumber()) {
            wrong_type(name, *v, "a number or null");
            return std::nullopt;
        }
        return v->GetDouble();
    }

    std::optional<bool> nullable_bool(const char* name, bool required) {
        const Value* v = get(name, required);
        if (!v || v->IsNull())
            return std::nullopt;
        if (!v->IsBool()) {
            wrong_type(name, *v, "a boolean or null");
            return std::nullopt;
        }
        return v->GetBool();
    }

    // Timestamps.
    TimePoint timestamp(const char* name) {
        const Value* v = get(name, true);
        if (!v)
            return {};
        if (!v->IsString()) {
            wrong_type(name, *v, "an ISO-8601 timestamp string");
            return {};
        }
        return as_time(name, *v).value_or(TimePoint{});
    }
    std::optional<TimePoint> nullable_timestamp(const char* name, bool required = true) {
        const Value* v = get(name, required);
        if (!v || v->IsNull())
            return std::nullopt;
        if (!v->IsString()) {
            wrong_type(name, *v, "an ISO-8601 timestamp string or null");
            return std::nullopt;
        }
        return as_time(name, *v);
    }

private:
    std::optional<std::int64_t> as_integer(const char* name, const Value& v, bool allow_null) {
        if (allow_null && v.IsNull())
            return std::nullopt;
        if (v.IsInt64())
            return v.GetInt64();
        if (v.IsUint64()) {
            fail("field '" + field_name(name) + "' is an integer too large for 64 bits");
            return std::nullopt;
        }
        wrong_type(name, v, allow_null ? "an integer or null" : "an integer");
        return std::nullopt;
    }
    std::optional<TimePoint> as_time(const char* name, const Value& v) {
        auto t = parse_timestamp(std::string_view(v.GetString(), v.GetStringLength()));
        if (!t) {
            fail("field '" + field_name(name) + "': " + t.error().message);
            return std::nullopt;
        }
        return *t;
    }

    const Value& m_obj;
    std::string m_where;
    std::string m_prefix;
    std::optional<Error> m_error;
};

/// A list is reserved for at most this many items up front: the count comes from the server,
/// and `[0,0,...]` must fail on its first item, not on a reservation for millions.
inline constexpr std::size_t k_reserve_at_most = 1024;

/// Parses `body` into `doc` within check_json_bounds() (iteratively: no recursion on the
/// call stack); the error names the endpoint.
inline Status parse_document(rapidjson::Document& doc, std::string_view body,
                             std::string_view endpoint) {
    if (auto bounded = check_json_bounds(body); !bounded)
        return bounded.error().with_context(std::string(endpoint));
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (doc.HasParseError()) {
        return Error{ErrorCode::parse, std::string(endpoint) + ": malformed JSON at offset " +
                                           std::to_string(doc.GetErrorOffset()) + ": " +
                                           rapidjson::GetParseError_En(doc.GetParseError())};
    }
    return {};
}

// ---- writing --------------------------------------------------------------------------------

class Body {
public:
    Body() : m_writer(m_buffer) { m_writer.StartObject(); }
    Body& str(const char* key, std::string_view value) {
        m_writer.Key(key);
        m_writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
        return *this;
    }
    Body& u64(const char* key, std::uint64_t value) {
        m_writer.Key(key);
        m_writer.Uint64(value);
        return *this;
    }
    Body& integer(const char* key, int value) {
        m_writer.Key(key);
        m_writer.Int(value);
        return *this;
    }
    Body& boolean(const char* key, bool value) {
        m_writer.Key(key);
        m_writer.Bool(value);
        return *this;
    }
    Body& open(const char* key) {
        m_writer.Key(key);
        m_writer.StartObject();
        return *this;
    }
    Body& close() {
        m_writer.EndObject();
        return *this;
    }
    std::string done() {
        m_writer.EndObject();
        return std::string(m_buffer.GetString(), m_buffer.GetSize());
    }

private:
    rapidjson::StringBuffer m_buffer;
    rapidjson::Writer<rapidjson::StringBuffer> m_writer;
};

} // namespace fios::api::json::detail
