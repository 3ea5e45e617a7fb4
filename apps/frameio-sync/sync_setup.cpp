// SPDX-License-Identifier: MIT
// What `sync --once` and `sync --watch` share: settings and selections in, engine runs per
// backend out.
#include "sync_setup.hpp"

#include "commands.hpp"
#include "project_listing.hpp"

#include "fios/engine/project_directory.hpp"
#include "fios/remote/v2_remote.hpp"
#include "fios/remote/v4_remote.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <string_view>
#include <vector>

namespace fios::cli {
namespace {

/// A test hook (docs/testing.md): FIOS_TEST_RETRY_BACKOFF_SECONDS=N makes every wait before
/// retrying a failed item N seconds (1 to 3600) instead of the policy's 1 minute to 6 hours.
/// Anything else is ignored.
std::vector<std::chrono::seconds> backoff_from_environment() {
    const char* text = std::getenv("FIOS_TEST_RETRY_BACKOFF_SECONDS");
    if (text == nullptr)
        return {};
    std::int64_t n = 0;
    const std::string_view v(text);
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || ptr != v.data() + v.size() || n < 1 || n > 3600)
        return {};
    return {std::chrono::seconds{n}};
}

/// The integer settings of a run, with their lower bounds applied.
Status read_run_settings(Context& ctx, engine::RunOptions& run) {
    auto settings = ctx.settings();
    if (!settings)
        return settings.error();
    const config::Settings& s = **settings;
    auto at_least = [](std::int64_t v, std::int64_t min) { return std::max(v, min); };
    run.jobs = static_cast<std::size_t>(at_least(s.integer("jobs"), 1));
    run.part_jobs = static_cast<std::size_t>(at_least(s.integer("part_jobs"), 1));
    run.settle = std::chrono::seconds{at_least(s.integer("settle_seconds"), 0)};
    run.verify_timeout = std::chrono::seconds{at_least(s.integer("verify_timeout_seconds"), 0)};
    run.free_space_margin =
        static_cast<std::uint64_t>(at_least(s.integer("free_space_margin_mb"), 0)) << 20U;
    // `--verify readback` (V4 only; V2 compares Frame.io's checksum).
    run.readback = s.string("verify") == "readback";
    run.backoff = backoff_from_environment();
    return {};
}

engine::RunResult worse(engine::RunResult a, engine::RunResult b) {
    auto rank = [](engine::RunResult r) {
        switch (r) {
        case engine::RunResult::ok:
            return 0;
        case engine::RunResult::partial:
            return 1;
        case engine::RunResult::interrupted:
            return 2;
        case engine::RunResult::failed:
            return 3;
        }
        return 3;
    };
    return rank(a) >= rank(b) ? a : b;
}

} // namespace

std::variant<SyncSetup, ExitCode> load_sync_setup(Context& ctx, const SyncOptions& opt) {
    SyncSetup setup;
    engine::RunOptions& run = setup.run;
    run.dry_run = opt.dry_run;
    run.direction = opt.direction == "up"     ? policy::Direction::up
                    : opt.direction == "down" ? policy::Direction::down
                                              : policy::Direction::both;
    run.command = opt.dry_run ? "sync --once --dry-run" : "sync --once";
    if (auto s = read_run_settings(ctx, run); !s)
        return fail(ctx, s.error());

    auto api = ctx.api_generation();
    if (!api)
        return fail(ctx, api.error());
    setup.v4 = *api == auth::ApiGeneration::v4;
    const auto current = setup.v4 ? store::Generation::v4 : store::Generation::v2;

    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    auto selections = (*state)->selections();
    if (!selections)
        return fail(ctx, selections.error());
    setup.nothing_selected = selections->empty();
    std::vector<store::ProjectInfo> selected;
    for (const auto& s : *selections) {
        selected.push_back(selection_info(s));
        setup.labels[s.project_id] = project_label(selected.back());
    }
    // --project names are matched among this generation's selections first, so that a name
    // selected on both generations is not ambiguous; then among all (to warn about the other).
    std::vector<store::ProjectInfo> current_selected;
    std::copy_if(selected.begin(), selected.end(), std::back_inserter(current_selected),
                 [&](const store::ProjectInfo& p) { return p.generation == current; });
    std::vector<std::string> wanted_ids;
    for (const auto& wanted : opt.projects) {
        auto p = match_selected(ctx, wanted, current_selected, selected);
        if (auto* code = std::get_if<ExitCode>(&p))
            return *code;
        wanted_ids.push_back(std::get<store::ProjectInfo>(p).id);
    }
    if (setup.nothing_selected) {
        ctx.out.info("No project selected: `frameio-sync projects` lists them, "
                     "`frameio-sync select PROJECT --to DIR` chooses one.");
    }
    // A selection belongs to the generation it was made under: the other one's are skipped.
    std::size_t skipped = 0;
    for (const auto& s : *selections) {
        if (!opt.projects.empty() &&
            std::find(wanted_ids.begin(), wanted_ids.end(), s.project_id) == wanted_ids.end())
            continue;
        if (s.generation != current) {
            ++skipped;
            ctx.out.warn(fmt::format(
                "skipping {}: it was selected on the {} API and the API in use is {}; sync it "
                "with `--api {}`, or unselect it and select the project again on {}",
                setup.labels[s.project_id], store::to_string(s.generation),
                store::to_string(current), store::to_string(s.generation),
                store::to_string(current)));
            continue;
        }
        setup.selections.push_back(s);
        setup.account_of[s.project_id] = setup.v4 ? s.account_id : std::string();
    }
    if (setup.selections.empty() && skipped > 0) {
        ctx.out.error(fmt::format("nothing to sync on {}: every selected project belongs to the "
                                  "other API generation (see the warnings above)",
                                  store::to_string(current)));
        return ExitCode::config;
    }
    if (skipped > 0 || !opt.projects.empty()) {
        for (const auto& s : setup.selections)
            run.projects.push_back(s.project_id);
    }
    return setup;
}

Result<engine::RunReport> run_accounts(Context& ctx, const SyncSetup& setup,
                                       const engine::RunOptions& run, engine::Observer& observer,
                                       bool lock_held, engine::RemoteCache* cache) {
    auto state = ctx.state();
    if (!state)
        return state.error();
    engine::EngineDeps deps;
    deps.state = *state;
    deps.clock = &ctx.clock();
    deps.cancel = &ctx.cancel;
    deps.lock_held = lock_held;
    deps.remote_cache = cache;
    if (!setup.v4) {
        auto client = ctx.client();
        if (!client)
            return client.error();
        remote::V2Remote remote(**client);
        engine::V2ProjectDirectory directory(**client);
        deps.remote = &remote;
        deps.projects = &directory;
        return engine::SyncEngine(deps).run(run, &observer);
    }
    auto client = ctx.v4_client();
    if (!client)
        return client.error();
    // V4 routes are per account: one engine run per account of the projects asked for.
    std::map<std::string, std::vector<std::string>> by_account;
    for (const auto& s : setup.selections) {
        if (run.projects.empty() ||
            std::find(run.projects.begin(), run.projects.end(), s.project_id) != run.projects.end())
            by_account[setup.account_of.at(s.project_id)].push_back(s.project_id);
    }
    std::optional<engine::RunReport> merged;
    for (const auto& [account, ids] : by_account) {
        remote::V4Remote remote(**client, account);
        engine::V4ProjectDirectory directory(**client, account);
        deps.remote = &remote;
        deps.projects = &directory;
        engine::RunOptions one = run;
        one.projects = ids;
        auto report = engine::SyncEngine(deps).run(one, &observer);
        if (!report)
            return report.error();
        if (!merged) {
            merged = std::move(*report);
        } else {
            merged->result = worse(merged->result, report->result);
            merged->totals += report->totals;
            merged->elapsed += report->elapsed;
            if (!merged->error)
                merged->error = report->error;
            for (auto& p : report->projects)
                merged->projects.push_back(std::move(p));
            for (auto& id : report->new_projects)
                merged->new_projects.push_back(std::move(id));
        }
        if (merged->error)
            break; // auth, network, interrupted: the next account would fare no better
    }
    return merged ? std::move(*merged) : engine::RunReport{};
}

ExitCode exit_code_of(Context& ctx, const Result<engine::RunReport>& report) {
    if (!report) {
        ctx.out.error(report.error().message);
        if (engine::is_lock_held(report.error()))
            return ExitCode::temporary;
        return exit_code_for(report.error());
    }
    switch (report->result) {
    case engine::RunResult::ok:
        return ExitCode::ok;
    case engine::RunResult::partial:
        return ExitCode::failed;
    case engine::RunResult::interrupted:
        return ExitCode::interrupted;
    case engine::RunResult::failed:
        if (report->error) {
            ctx.out.error(report->error->message);
            return exit_code_for(*report->error);
        }
        return ExitCode::failed;
    }
    return ExitCode::failed;
}

Result<std::chrono::seconds> parse_interval(const std::string& text) {
    auto bad = [&] {
        return Error{ErrorCode::invalid_config,
                     fmt::format("--interval {}: not a duration; use seconds (60), or a number "
                                 "with s, m or h (30s, 5m, 1h), at least 1s",
                                 text)};
    };
    std::int64_t n = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc{} || n <= 0)
        return bad();
    const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
    std::int64_t scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1;
    else if (unit == "m")
        scale = 60;
    else if (unit == "h")
        scale = 3600;
    if (scale == 0 || n > 7 * 24 * 3600 / scale)
        return bad();
    return std::chrono::seconds{n * scale};
}

} // namespace fios::cli
