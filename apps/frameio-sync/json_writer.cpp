// SPDX-License-Identifier: MIT
#include "json_writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fios::cli {

struct JsonWriter::Impl {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
};

JsonWriter::JsonWriter() : m_impl(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::begin_object() {
    m_impl->writer.StartObject();
    return *this;
}
JsonWriter& JsonWriter::end_object() {
    m_impl->writer.EndObject();
    return *this;
}
JsonWriter& JsonWriter::begin_array() {
    m_impl->writer.StartArray();
    return *this;
}
JsonWriter& JsonWriter::end_array() {
    m_impl->writer.EndArray();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
    m_impl->writer.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()), true);
    return *this;
}
JsonWriter& JsonWriter::value(std::string_view v) {
    m_impl->writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()), true);
    return *this;
}
JsonWriter& JsonWriter::value(std::int64_t v) {
    m_impl->writer.Int64(v);
    return *this;
}
JsonWriter& JsonWriter::value(bool v) {
    m_impl->writer.Bool(v);
    return *this;
}
JsonWriter& JsonWriter::null() {
    m_impl->writer.Null();
    return *this;
}
std::string JsonWriter::str() const {
    return m_impl->buffer.GetString();
}

} // namespace fios::cli
