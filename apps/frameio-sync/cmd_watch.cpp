// SPDX-License-Identifier: MIT
// sync --watch: wires settings, selections and the engine runs of sync_setup into
// watch::run_watch, and prints what the watch itself does (folders watched, retries, reloads).
#include "commands.hpp"
#include "sync_output.hpp"
#include "sync_setup.hpp"

#include "fios/api/model.hpp"
#include "fios/engine/run_lock.hpp"
#include "fios/remote/v4_remote.hpp"
#include "fios/watch/watch_loop.hpp"
#include "fios/watch/watch_status.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace fios::cli {
namespace {

/// Prints the watch's own events.
class WatchMessages final : public watch::WatchEvents {
public:
    WatchMessages(Context& ctx, const std::map<std::string, std::string>& labels)
        : m_ctx(ctx), m_labels(labels) {}

    void on_watching(const store::Selection& sel, const watch::TreeWatch& tree) override {
        if (tree.incomplete) {
            m_ctx.out.warn(fmt::format("{}: {}", label(sel.project_id), tree.incomplete->message));
            return;
        }
        m_ctx.out.verbose(fmt::format("{}: watching {} folder(s) under {}", label(sel.project_id),
                                      tree.folders, sel.local_path.string()));
    }
    void on_scanned(const store::Selection& sel, bool changed, std::size_t folders) override {
        const std::string what = !changed       ? "no change since the last look"
                                 : folders == 0 ? "changed since the last look, syncing it whole"
                                                : fmt::format("changed since the last look in {} "
                                                              "folder(s), syncing those",
                                                              folders);
        m_ctx.out.verbose(fmt::format("{}: scanned {}: {}", label(sel.project_id),
                                      sel.local_path.string(), what));
    }
    void on_retry_later(const Error& error, watch::TimePoint next) override {
        m_ctx.out.warn(fmt::format("{}; trying again at {}", error.message,
                                   api::format_timestamp(next).substr(11, 8)));
    }
    void on_overflow() override {
        m_ctx.out.warn("too many local changes at once for the kernel's event queue; every "
                       "project is scanned again (raise fs.inotify.max_queued_events to avoid it)");
    }
    void on_reload(const std::optional<Error>& error) override {
        if (error) {
            m_ctx.out.warn(fmt::format("SIGHUP: the configuration was not reloaded ({}); the "
                                       "previous one stays in use",
                                       error->message));
        } else {
            m_ctx.out.info("SIGHUP: configuration and selections reloaded");
        }
    }

private:
    std::string label(const std::string& id) const {
        auto it = m_labels.find(id);
        return it == m_labels.end() ? id : it->second;
    }
    Context& m_ctx;
    const std::map<std::string, std::string>& m_labels;
};

/// A test hook (docs/testing.md): a whole number from the environment variable `name`, 0 when
/// unset or not a number.
std::size_t count_from_environment(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr)
        return 0;
    std::size_t n = 0;
    const std::string_view v(text);
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc{} && ptr == v.data() + v.size() ? n : 0;
}

/// The watch's configuration from the settings and `setup`.
Result<watch::WatchConfig> watch_config(Context& ctx, const SyncOptions& opt,
                                        const SyncSetup& setup) {
    watch::WatchConfig config;
    config.run = setup.run;
    config.selections = setup.selections;
    std::chrono::seconds interval{60};
    if (!opt.interval.empty()) {
        auto parsed = parse_interval(opt.interval);
        if (!parsed)
            return parsed.error();
        interval = *parsed;
    } else {
        auto settings = ctx.settings();
        if (!settings)
            return settings.error();
        interval = std::chrono::seconds{(*settings)->integer("watch_interval_seconds")};
    }
    config.schedule.remote_interval = interval;
    config.schedule.settle = std::chrono::duration_cast<std::chrono::seconds>(setup.run.settle);
    config.schedule.poll_interval =
        std::min<std::chrono::seconds>(std::chrono::seconds{30}, interval);
    // Test hooks: FIOS_WATCH_MAX_WATCHES=N plays a machine whose inotify watch limit is N;
    // FIOS_WATCH_RESCAN_SECONDS=N runs the safety-net rescan every N s instead of 10 min;
    // FIOS_WATCH_POLL_SECONDS=N polls an unwatched folder every N s instead of every
    // min(30 s, interval).
    config.watcher.max_watches = count_from_environment("FIOS_WATCH_MAX_WATCHES");
    if (const std::size_t rescan = count_from_environment("FIOS_WATCH_RESCAN_SECONDS"); rescan > 0)
        config.schedule.rescan_interval = std::chrono::seconds{rescan};
    if (const std::size_t poll = count_from_environment("FIOS_WATCH_POLL_SECONDS"); poll > 0)
        config.schedule.poll_interval = std::chrono::seconds{poll};
    if (setup.v4)
        config.folder_listings_per_second = remote::V4Remote::k_folder_listings_per_second;
    return config;
}

} // namespace

ExitCode run_watch(Context& ctx, const SyncOptions& opt) {
    if (opt.dry_run) {
        ctx.out.error("--dry-run applies to sync --once: it prints one plan and changes nothing");
        return ExitCode::usage;
    }
    ctx.out.set_json(opt.json);
    // Under systemd the journal stamps every line itself.
    ctx.out.set_timestamps(std::getenv("JOURNAL_STREAM") == nullptr);
    if (!opt.log_file.empty()) {
        if (auto s = ctx.out.set_log_file(opt.log_file); !s) {
            ctx.out.error(s.error().message);
            return ExitCode::config;
        }
    }
    if (!opt.interval.empty()) {
        if (auto parsed = parse_interval(opt.interval); !parsed) {
            ctx.out.error(parsed.error().message);
            return ExitCode::usage;
        }
    }
    auto loaded = load_sync_setup(ctx, opt);
    if (auto* code = std::get_if<ExitCode>(&loaded))
        return *code;
    SyncSetup setup = std::move(std::get<SyncSetup>(loaded));
    auto state = ctx.state();
    if (!state)
        return fail(ctx, state.error());
    // Build the client before the first run so that a missing login fails at once (77).
    if (setup.v4) {
        if (auto client = ctx.v4_client(); !client)
            return fail(ctx, client.error());
    } else if (auto client = ctx.client(); !client) {
        return fail(ctx, client.error());
    }

    auto output = make_sync_output(ctx, SyncOutputMode{opt.json, false, true});
    std::map<std::string, std::string> labels = setup.labels;
    output->set_labels(labels);
    WatchMessages messages(ctx, labels);
    bool first = true;

    watch::WatchHooks hooks;
    hooks.configure = [&]() -> Result<watch::WatchConfig> {
        if (!first) {
            if (auto s = ctx.reload_settings(); !s)
                return s.error();
            auto again = load_sync_setup(ctx, opt);
            if (std::holds_alternative<ExitCode>(again)) {
                return Error{ErrorCode::invalid_config,
                             "the settings or selections could not be read (see above)"};
            }
            setup = std::move(std::get<SyncSetup>(again));
            labels = setup.labels;
            output->set_labels(labels);
        }
        first = false;
        return watch_config(ctx, opt, setup);
    };
    hooks.run = [&](const engine::RunOptions& run, engine::Observer& observer,
                    engine::RemoteCache& cache) {
        return run_accounts(ctx, setup, run, observer, true, &cache);
    };

    watch::WatchDeps deps;
    deps.state = *state;
    deps.clock = &ctx.clock();
    deps.cancel = &ctx.cancel;
    deps.wakeup = &ctx.wakeup;
    deps.reload_requested = &ctx.reload_requested;
    deps.observer = output.get();
    deps.events = &messages;
    deps.status_file = watch::watch_status_path((*state)->path().parent_path());

    {
        auto config = watch_config(ctx, opt, setup);
        if (!config)
            return fail(ctx, config.error());
        ctx.out.info(fmt::format("watching {} project(s); Frame.io is checked every {}s; "
                                 "Ctrl-C (SIGTERM) stops, SIGHUP reloads the configuration",
                                 setup.selections.size(),
                                 config->schedule.remote_interval.count()));
    }
    ctx.stop_by_signal_is_success = true;
    auto result = watch::run_watch(deps, hooks);
    if (!result) {
        ctx.out.error(result.error().message);
        if (engine::is_lock_held(result.error()))
            return ExitCode::temporary;
        return exit_code_for(result.error());
    }
    ctx.out.info("stopped; what was transferring resumes at the next sync");
    return ExitCode::ok;
}

} // namespace fios::cli
