#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Idle cost and reaction time of `frameio-sync sync --watch` against frameio-emulator (V2).

1. A project of N small files in nested folders is synced once (`sync --once`).
2. `sync --watch --interval I` starts; once it is idle, its CPU time (utime + stime from
   /proc/PID/stat) and resident memory are read, nothing changes for S seconds (which includes
   S / I remote checks), and they are read again: CPU seconds per idle minute (target: at most
   0.05 s per minute over 10,000 files) and memory growth.
3. Reaction: K new files are written one after another into a watched folder; for each, the
   time until Frame.io (the emulator) holds it complete is measured and compared with the
   target settle time + 2 s (a small file's transfer time is a few milliseconds here).

Builds nothing: it runs the binaries of an existing build directory (bench/README.md).
Python 3 standard library only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_bench import TOKEN, Emulator  # noqa: E402  (one emulator start-up for every bench)

SETTLE_SECONDS = 1


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def make_tree(root, files):
    per_folder = 100
    for i in range(files):
        folder = os.path.join(root, "Reel %03d" % (i // (per_folder * 10)),
                              "Shot %04d" % (i // per_folder))
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "frame_%05d.txt" % i)
        with open(path, "w") as f:
            f.write("frame %d\n" % i)
        os.utime(path, (time.time() - 3600, time.time() - 3600))  # settled long ago
    os.makedirs(os.path.join(root, "Latency"), exist_ok=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build/release", help="build directory (default %(default)s)")
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--idle-seconds", type=int, default=180)
    ap.add_argument("--interval", type=int, default=60, help="--interval of the watch, seconds")
    ap.add_argument("--reactions", type=int, default=5)
    args = ap.parse_args()

    cli = os.path.abspath(os.path.join(args.build, "apps/frameio-sync/frameio-sync"))
    emu_bin = os.path.abspath(os.path.join(args.build, "apps/frameio-emulator/frameio-emulator"))
    for b in (cli, emu_bin):
        if not os.access(b, os.X_OK):
            raise SystemExit("%s is missing: build first (bench/README.md)" % b)

    work = tempfile.mkdtemp(prefix="fios-watch-bench-")
    os.makedirs(os.path.join(work, "emulator"))
    emu = Emulator(emu_bin, 20 * 1024 * 1024, False, os.path.join(work, "emulator"))
    watcher = None
    try:
        env = dict(os.environ)
        env.update({"XDG_CONFIG_HOME": os.path.join(work, "config"),
                    "XDG_STATE_HOME": os.path.join(work, "state"),
                    "FRAMEIO_API_URL": emu.base, "FRAMEIO_SYNC_API": "v2",
                    "FRAMEIO_SYNC_SETTLE_SECONDS": str(SETTLE_SECONDS), "NO_COLOR": "1"})
        env.pop("FRAMEIO_TOKEN", None)

        def run(*a, stdin=None):
            r = subprocess.run([cli, *a], env=env, input=stdin, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit("frameio-sync %s: exit %d\n%s" % (" ".join(a), r.returncode, r.stderr))
            return r

        project_id, root_id = emu.new_project("Watch bench")
        folder = os.path.join(work, "project")
        make_tree(folder, args.files)
        run("login", "--token-stdin", stdin=TOKEN + "\n")
        run("select", project_id, "--to", folder)
        t = time.monotonic()
        run("sync", "--once", "--jobs", "8")
        first_sync = time.monotonic() - t
        # Until both sides agree (checksums seen): the idle watch must have nothing left to do.
        for _ in range(5):
            if "nothing to do" in run("sync", "--once").stderr:
                break
        else:
            raise SystemExit("the project did not settle into agreement before the watch")

        log = open(os.path.join(work, "watch.log"), "w")
        watcher = subprocess.Popen([cli, "sync", "--watch", "--interval", "%ds" % args.interval],
                                   env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 600
        while True:
            status = os.path.join(work, "state", "frameio-sync", "watch.status")
            text = open(status).read() if os.path.exists(status) else ""
            if "\nstate idle\n" in text and "project %s watched" % project_id in text:
                break
            if time.monotonic() > deadline or watcher.poll() is not None:
                raise SystemExit("the watcher did not become idle; see %s" % log.name)
            time.sleep(0.2)

        cpu0, rss0, t0 = cpu_seconds(watcher.pid), rss_kib(watcher.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        cpu1, rss1, t1 = cpu_seconds(watcher.pid), rss_kib(watcher.pid), time.monotonic()
        idle_minutes = (t1 - t0) / 60
        cpu_per_minute = (cpu1 - cpu0) / idle_minutes

        # Reaction time: each new file until the emulator holds it, complete.
        latency_id = None
        for a in emu.api("GET", "/v2/assets/%s/children" % root_id):
            if a["name"] == "Latency":
                latency_id = a["id"]
        reactions = []
        for i in range(args.reactions):
            name = "new_%d.txt" % i
            path = os.path.join(folder, "Latency", name)
            with open(path, "w") as f:
                f.write("reaction %d\n" % i)
            written = time.monotonic()
            while True:
                kids = emu.api("GET", "/v2/assets/%s/children" % latency_id)
                if any(k["name"] == name and k.get("upload_completed_at") for k in kids):
                    break
                if time.monotonic() - written > 120:
                    raise SystemExit("%s never reached the emulator" % name)
                time.sleep(0.05)
            reactions.append(time.monotonic() - written)
            time.sleep(1)

        target = SETTLE_SECONDS + 2.0
        print("frameio-sync sync --watch, V2, %d files in %d folders, --interval %ds"
              % (args.files, (args.files + 99) // 100, args.interval))
        print("  first sync --once (8 jobs):       %8.1f s" % first_sync)
        print("  idle CPU:                         %8.3f s per minute over %.1f min "
              "(target <= 0.050: %s)" % (cpu_per_minute, idle_minutes,
                                        "met" if cpu_per_minute <= 0.05 else "MISSED"))
        print("  resident memory:                  %8d KiB -> %d KiB (%+d KiB)"
              % (rss0, rss1, rss1 - rss0))
        reactions.sort()
        print("  new file on Frame.io after:       median %.2f s, worst %.2f s of %d "
              "(target settle %d s + 2 s = %.1f s; ratio %.2f: %s)"
              % (reactions[len(reactions) // 2], reactions[-1], len(reactions), SETTLE_SECONDS,
                 target, reactions[-1] / target, "met" if reactions[-1] <= target else "MISSED"))
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.terminate()
            watcher.wait(timeout=30)
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
