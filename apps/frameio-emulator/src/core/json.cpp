// SPDX-License-Identifier: MIT
#include "core/json.hpp"

#include <rapidjson/error/en.h>

namespace fioemu {

namespace {

constexpr int k_max_depth = 64;

rapidjson::SizeType json_size(std::string_view s) {
    return static_cast<rapidjson::SizeType>(s.size());
}

// Maximum nesting of arrays/objects outside strings; stops counting past the limit.
int nesting_depth(std::string_view s) {
    int depth = 0, max_depth = 0;
    bool in_string = false, escaped = false;
    for (char c : s) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                max_depth = depth;
            if (max_depth > k_max_depth)
                return max_depth;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return max_depth;
}

} // namespace

Json& Json::key(std::string_view k) {
    m_writer.Key(k.data(), json_size(k));
    return *this;
}
Json& Json::begin_object() {
    m_writer.StartObject();
    return *this;
}
Json& Json::end_object() {
    m_writer.EndObject();
    return *this;
}
Json& Json::begin_array() {
    m_writer.StartArray();
    return *this;
}
Json& Json::end_array() {
    m_writer.EndArray();
    return *this;
}
Json& Json::str(std::string_view v) {
    m_writer.String(v.data(), json_size(v));
    return *this;
}
Json& Json::null() {
    m_writer.Null();
    return *this;
}
Json& Json::boolean(bool v) {
    m_writer.Bool(v);
    return *this;
}
Json& Json::i64(std::int64_t v) {
    m_writer.Int64(v);
    return *this;
}
Json& Json::dbl(double v) {
    m_writer.Double(v);
    return *this;
}
Json& Json::raw(std::string_view json) {
    if (json.empty())
        return null();
    m_writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
}
Json& Json::opt_str(const std::optional<std::string>& v) {
    return v ? str(*v) : null();
}
Json& Json::str_or_null(std::string_view v) {
    return v.empty() ? null() : str(v);
}
Json& Json::time(Micros t) {
    return str(format_timestamp(t));
}
Json& Json::opt_time(const std::optional<Micros>& t) {
    return t ? time(*t) : null();
}

bool parse_json(std::string_view text, rapidjson::Document& doc, std::string& error) {
    if (nesting_depth(text) > k_max_depth) {
        error = "JSON nested deeper than 64 levels";
        return false;
    }
    constexpr unsigned k_flags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseFullPrecisionFlag;
    doc.Parse<k_flags>(text.data(), text.size());
    if (doc.HasParseError()) {
        error = std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                " at offset " + std::to_string(doc.GetErrorOffset());
        return false;
    }
    return true;
}

bool parse_json_object(std::string_view body, rapidjson::Document& doc, std::string& error) {
    if (!parse_json(body, doc, error))
        return false;
    if (!doc.IsObject()) {
        error = "the request body must be a JSON object";
        return false;
    }
    return true;
}

std::string to_json_string(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

const rapidjson::Value* ObjectReader::get(std::string_view key) const {
    if (!m_obj.IsObject())
        return nullptr;
    const rapidjson::Value k(rapidjson::StringRef(key.data(), json_size(key)));
    auto it = m_obj.FindMember(k);
    return it == m_obj.MemberEnd() ? nullptr : &it->value;
}

bool ObjectReader::is_null(std::string_view key) const {
    const auto* v = get(key);
    return v && v->IsNull();
}

bool ObjectReader::get_string(std::string_view key, std::string& out) {
    const auto* v = get(key);
    if (!v || v->IsNull())
        return false;
    if (!v->IsString()) {
        fail(std::string(key) + " must be a string");
        return false;
    }
    out.assign(v->GetString(), v->GetStringLength());
    return true;
}

bool ObjectReader::get_int64(std::string_view key, std::int64_t& out) {
    const auto* v = get(key);
    if (!v || v->IsNull())
        return false;
    if (!v->IsInt64()) {
        fail(std::string(key) + " must be an integer");
        return false;
    }
    out = v->GetInt64();
    return true;
}

bool ObjectReader::get_double(std::string_view key, double& out) {
    const auto* v = get(key);
    if (!v || v->IsNull())
        return false;
    if (!v->IsNumber()) {
        fail(std::string(key) + " must be a number");
        return false;
    }
    out = v->GetDouble();
    return true;
}

bool ObjectReader::get_bool(std::string_view key, bool& out) {
    const auto* v = get(key);
    if (!v || v->IsNull())
        return false;
    if (!v->IsBool()) {
        fail(std::string(key) + " must be a boolean");
        return false;
    }
    out = v->GetBool();
    return true;
}

bool ObjectReader::get_object_json(std::string_view key, std::string& out) {
    const auto* v = get(key);
    if (!v || v->IsNull())
        return false;
    if (!v->IsObject()) {
        fail(std::string(key) + " must be an object");
        return false;
    }
    out = to_json_string(*v);
    return true;
}

} // namespace fioemu
