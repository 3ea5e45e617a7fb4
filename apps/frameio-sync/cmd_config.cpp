// SPDX-License-Identifier: MIT
// config
#include "commands.hpp"
#include "json_writer.hpp"
#include "table.hpp"

#include <fmt/core.h>

#include <memory>
#include <variant>

namespace fios::cli {
namespace {

void json_value(JsonWriter& j, const config::Value& v) {
    std::visit(
        [&j](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                j.begin_array();
                for (const auto& s : x)
                    j.value(s);
                j.end_array();
            } else if constexpr (std::is_same_v<T, double>) {
                j.value(config::format_value(x)); // keep the text: no float formatting drift
            } else {
                j.value(x);
            }
        },
        v);
}

ExitCode run_config(Context& ctx, bool json) {
    auto settings = ctx.settings();
    if (!settings)
        return fail(ctx, settings.error());
    if (json) {
        JsonWriter j;
        j.begin_array();
        for (const auto& e : (*settings)->all()) {
            j.begin_object().member("name", e.spec->name);
            j.key("value");
            if (e.value) {
                json_value(j, *e.value);
            } else {
                j.null();
            }
            j.member("source", config::to_string(e.origin.source));
            j.member("origin", e.origin.detail);
            j.member("env", config::env_var_for(*e.spec)).end_object();
        }
        j.end_array();
        ctx.out.data(j.str());
        return ExitCode::ok;
    }
    std::vector<std::vector<std::string>> rows{{"SETTING", "VALUE", "FROM"}};
    for (const auto& e : (*settings)->all()) {
        rows.push_back({std::string(e.spec->name),
                        e.value ? config::format_value(*e.value) : std::string("(unset)"),
                        e.origin.detail});
    }
    for (const auto& line : format_table(rows))
        ctx.out.data(line);
    return ExitCode::ok;
}

} // namespace

void add_config_command(CLI::App& app, Context& ctx, Action& action) {
    auto json = std::make_shared<bool>(false);
    auto* config = app.add_subcommand(
        "config", "Show the effective settings and where each came from (flag, environment, "
                  "config file, default)");
    config->add_flag("--json", *json, "Print a JSON array on stdout");
    config->callback(
        [&ctx, &action, json] { action = [&ctx, json] { return run_config(ctx, *json); }; });
}

} // namespace fios::cli
