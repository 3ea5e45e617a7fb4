// SPDX-License-Identifier: MIT
// Fuzz target: the strict config.toml reader (lib/fios/config/toml.cpp, settings.cpp). The
// whole input is the file. Checks: every refusal is invalid_config and names the file; the
// syntax pass (parse_toml) numbers lines from 1 upwards; an accepted file holds known settings
// only, each once, with a value of the setting's type that validate_value accepts; the file
// resolves (resolve_settings) without error; and format_value writes what the reader reads
// back: `key = format_value(value)` lines parse to the same settings (`frameio-sync config`
// prints values so that they can be pasted into config.toml).
#include "fuzz_check.hpp"

#include "fios/config/toml.hpp"

#include <set>
#include <string>

namespace {

using namespace fios;
using namespace fios::fuzz;

const std::filesystem::path k_path = "/fuzz/config.toml";

config::SettingType type_of(const config::Value& v) {
    return static_cast<config::SettingType>(v.index()); // Value's order is SettingType's
}

void check_refusal(const Error& e) {
    FUZZ_CHECK(e.code == ErrorCode::invalid_config, e.message);
    FUZZ_CHECK(e.message.find(k_path.string()) != std::string::npos, e.message);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = as_text(data, size);
    auto raw = config::parse_toml(text, k_path);
    auto file = config::parse_config(text, k_path);
    if (!raw) {
        check_refusal(raw.error());
        FUZZ_CHECK(!file && file.error().message == raw.error().message, raw.error().message);
        return 0;
    }
    int last_line = 1;
    for (const auto& entry : *raw) {
        FUZZ_CHECK(entry.line >= last_line, entry.key);
        FUZZ_CHECK(type_of(entry.value) == entry.type, entry.key);
        last_line = entry.line;
    }
    if (!file) {
        check_refusal(file.error());
        return 0;
    }

    std::set<std::string> seen;
    std::string written;
    for (const auto& entry : file->entries) {
        const config::SettingSpec* spec = config::find_setting(entry.key);
        FUZZ_CHECK(spec != nullptr, entry.key);
        FUZZ_CHECK(seen.insert(entry.key).second, entry.key);
        FUZZ_CHECK(type_of(entry.value) == spec->type, entry.key);
        FUZZ_CHECK(config::validate_value(*spec, entry.value, "(fuzz)").has_value(), entry.key);
        written += entry.key + " = " + config::format_value(entry.value) + "\n";
    }
    auto resolved = config::resolve_settings({}, config::Environment::from({}), &*file);
    FUZZ_CHECK(resolved.has_value(), resolved ? std::string() : resolved.error().message);

    auto reread = config::parse_config(written, k_path);
    FUZZ_CHECK(reread.has_value(), written + (reread ? "" : reread.error().message));
    FUZZ_CHECK(reread->entries.size() == file->entries.size(), written);
    for (std::size_t i = 0; i < file->entries.size(); ++i) {
        FUZZ_CHECK(reread->entries[i].key == file->entries[i].key &&
                       reread->entries[i].value == file->entries[i].value,
                   written);
    }
    return 0;
}
