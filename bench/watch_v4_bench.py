#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Idle cost, remote-check budget and reaction time of `frameio-sync sync --watch` on V4, at the
emulator's default V4 rate limits.

1. Set-up, rate limits lifted: a V4 project of F folders and N small files (bench/v4_scale_bench.py
   builds it), synced once; the emulator is restarted on the same data with its default limits.
2. `sync --watch --interval I` starts; once it is idle, its CPU time and resident memory are
   read, nothing changes for S seconds (a check starts I seconds after the last one ended), and
   they are read again. The emulator's stats over that window give the folder listings per
   remote check (the budget: I x 5 per second x 0.5 folders, docs/cli.md "How a watch checks
   Frame.io") and any 429.
3. Reaction: K files are written one after another into one folder; for each, the time until
   the watcher's log reports it uploaded, against settle + 2 s; the emulator's stats give the
   folder listings each reaction cost (a partial run lists the changed folder only). Then one
   more file, written once a remote check has listed its first folders: the check gives way to
   it, so it too should arrive within settle + 2 s.

Builds nothing (bench/README.md). Python 3 standard library only.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

from sync_bench import find_build_dir
from v4_scale_bench import Emulator, build_tree, run_sync, sync_env
from watch_bench import cpu_seconds, rss_kib

SETTLE_SECONDS = 1
FILES_ROUTE = "GET /v4/accounts/{account_id}/folders/{folder_id}/files"


def wait_idle(work, watcher, log_path, deadline_s=900):
    status = os.path.join(work, "state", "frameio-sync", "watch.status")
    deadline = time.monotonic() + deadline_s
    while True:
        text = open(status).read() if os.path.exists(status) else ""
        if "\nstate idle\n" in text and " watched " in text:
            return
        if time.monotonic() > deadline or watcher.poll() is not None:
            raise SystemExit("the watcher did not become idle; see %s" % log_path)
        time.sleep(0.2)


def wait_processed(emu, deadline_s=900):
    """Until the emulator has finished processing every upload (its restart hashes the files
    again, and a file's updated_at moves when that ends): a watch started earlier would see
    those changes, and its first remote pass would not be idle."""
    deadline = time.monotonic() + deadline_s
    while any("checksum_due_at" in a for a in emu.admin("GET", "state")["assets"]):
        if time.monotonic() > deadline:
            raise SystemExit("the emulator did not finish processing its uploads")
        time.sleep(1)


def seconds_until_uploaded(name, written, watcher, log_path):
    """Seconds from `written` (time.monotonic()) until the watcher's log reports `name`
    uploaded."""
    while True:
        with open(log_path) as f:
            if any(name in line and "upload" in line for line in f):
                return time.monotonic() - written
        if time.monotonic() - written > 300 or watcher.poll() is not None:
            raise SystemExit("%s was never reported uploaded; see %s" % (name, log_path))
        time.sleep(0.05)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", help="default: build/release, build/dev or build/lead")
    ap.add_argument("--folders", type=int, default=100)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--idle-seconds", type=int, default=480,
                    help="the idle window; several remote checks, so that where its edges fall "
                         "matters little")
    ap.add_argument("--interval", type=int, default=60, help="--interval of the watch, seconds")
    ap.add_argument("--reactions", type=int, default=5)
    args = ap.parse_args()

    build = args.build_dir or find_build_dir(os.path.dirname(here))
    if not build:
        raise SystemExit("no build directory with frameio-sync found; pass --build-dir")
    sync_bin = os.path.join(build, "apps", "frameio-sync", "frameio-sync")
    emu_bin = os.path.join(build, "apps", "frameio-emulator", "frameio-emulator")
    work = tempfile.mkdtemp(prefix="fios-watch-v4-bench-")
    data, local = os.path.join(work, "emulator-data"), os.path.join(work, "sync")
    for d in (data, local, os.path.join(work, "config")):
        os.makedirs(d)
    emu = watcher = None
    try:
        emu = Emulator(emu_bin, data, os.path.join(work, "emulator.log"), rate_limited=False)
        _account, project = build_tree(emu, args.folders, args.files, 8)
        env = sync_env(work, emu)
        subprocess.run([sync_bin, "select", project, "--to", local], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        run_sync(sync_bin, env, ["--jobs", "8"])
        emu.stop()
        emu = Emulator(emu_bin, data, os.path.join(work, "emulator.log"), rate_limited=True)
        env = sync_env(work, emu)
        wait_processed(emu)
        env["FRAMEIO_SYNC_SETTLE_SECONDS"] = str(SETTLE_SECONDS)

        log_path = os.path.join(work, "watch.log")
        log = open(log_path, "w")
        watcher = subprocess.Popen([sync_bin, "sync", "--watch", "--interval",
                                    "%ds" % args.interval], env=env,
                                   stdout=subprocess.DEVNULL, stderr=log)
        wait_idle(work, watcher, log_path)

        emu.admin("DELETE", "stats")
        cpu0, rss0, t0 = cpu_seconds(watcher.pid), rss_kib(watcher.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        cpu1, rss1, t1 = cpu_seconds(watcher.pid), rss_kib(watcher.pid), time.monotonic()
        stats = emu.admin("GET", "stats")
        listings = stats["requests"].get(FILES_ROUTE, 0)
        # A check starts one interval after the previous one ended, so the window holds fewer
        # checks than window / interval: count them by the folders each one lists.
        per_check = min(int(args.interval * 5 * 0.5), args.folders + 1)
        checks = max(1, round(listings / per_check))
        most_checks = int((t1 - t0) // args.interval) + 1  # what the rate could allow at most
        idle_minutes = (t1 - t0) / 60
        cpu_per_minute = (cpu1 - cpu0) / idle_minutes

        # Reaction: each new file until the watcher reports it uploaded.
        folder = sorted(d for d in os.listdir(local) if d.startswith("d"))[-1]
        reactions, reaction_listings = [], []
        for i in range(args.reactions):
            wait_idle(work, watcher, log_path)
            emu.admin("DELETE", "stats")
            name = "new_%d.txt" % i
            with open(os.path.join(local, folder, name), "w") as f:
                f.write("reaction %d\n" % i)
            reactions.append(seconds_until_uploaded(name, time.monotonic(), watcher, log_path))
            reaction_listings.append(emu.admin("GET", "stats")["requests"].get(FILES_ROUTE, 0))

        # A file written while a remote check lists (the check gives way to it, docs/cli.md).
        wait_idle(work, watcher, log_path)
        emu.admin("DELETE", "stats")
        started = time.monotonic()
        while emu.admin("GET", "stats")["requests"].get(FILES_ROUTE, 0) < 2:
            if time.monotonic() - started > 3 * args.interval + 60:
                raise SystemExit("no remote check began within %d s" % (3 * args.interval + 60))
            time.sleep(0.05)
        name = "during_check.txt"
        with open(os.path.join(local, folder, name), "w") as f:
            f.write("written while Frame.io is checked\n")
        during_check = seconds_until_uploaded(name, time.monotonic(), watcher, log_path)
        during_listings = emu.admin("GET", "stats")["requests"].get(FILES_ROUTE, 0)

        budget = int(args.interval * 5 * 0.5)
        print("frameio-sync sync --watch, V4 at the default rate limits, %d files in %d folders "
              "(+ root), --interval %ds, %s" % (args.files, args.folders, args.interval, build))
        print("  idle CPU:                    %8.3f s per minute over %.1f min (target <= 0.050: %s)"
              % (cpu_per_minute, idle_minutes, "met" if cpu_per_minute <= 0.05 else "MISSED"))
        print("  resident memory:             %8d KiB -> %d KiB (%+d KiB)" % (rss0, rss1, rss1 - rss0))
        print("  folder listings while idle:  %8d in about %d remote checks (budget %d per check, "
              "at most %d checks: %s); 429s: %d"
              % (listings, checks, budget, most_checks,
                 "within" if listings <= budget * most_checks else "EXCEEDED",
                 stats.get("statuses", {}).get("429", 0)))
        reactions.sort()
        target = SETTLE_SECONDS + 2.0
        print("  new file uploaded after:     median %.2f s, worst %.2f s of %d (target settle %d s "
              "+ 2 s = %.1f s: %s); folder listings per reaction: %s"
              % (reactions[len(reactions) // 2], reactions[-1], len(reactions), SETTLE_SECONDS,
                 target, "met" if reactions[-1] <= target else "MISSED", reaction_listings))
        print("  written during a remote check: uploaded after %.2f s (target %.1f s: %s); folder "
              "listings from the check's start to the upload: %d (the check lists %d)"
              % (during_check, target, "met" if during_check <= target else "MISSED",
                 during_listings, per_check))
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.terminate()
            watcher.wait(timeout=30)
        if emu is not None:
            emu.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
