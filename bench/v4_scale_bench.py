#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cost of a V4 run at scale: `frameio-sync sync --once --api v4` over a large, unchanged tree at
the emulator's default V4 rate limits, against the minimum those limits impose.

1. Set-up, rate limits lifted (`--no-rate-limit`): a V4 project of F folders (two levels) and N
   files of a few bytes through the emulator's V4 API (legacy token), then one `sync --once`
   that downloads it all, so that both sides agree.
2. The emulator is restarted on the same data with its default V4 limits.
3. Measured: `sync --once --dry-run` (the full listing and the plan) and `sync --once` (an
   unchanged pass: must transfer and write nothing). For each, the seconds, the minimum the
   limits impose (from /_emulator/stats: per route, max(0, n - limit) * window / limit, the
   route's leaky bucket starting empty; the run's minimum is the largest over its routes,
   since every route has its own bucket) and their ratio (target <= 1.2).

Builds nothing (see bench/README.md). Python 3 standard library only.
"""

import argparse
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from sync_bench import find_build_dir

TOKEN = "bench-v4-token"
ACC = "/v4/accounts/{account_id}"
# Route key (as in /_emulator/stats) -> rate class (docs/emulator.md, "V4 API", "Routes").
ROUTE_CLASSES = {
    "GET /v4/me": "v4:users.show",
    "GET /v4/accounts": "v4:accounts.index",
    "GET " + ACC + "/workspaces": "v4:workspaces.index",
    "GET " + ACC + "/workspaces/{workspace_id}": "v4:workspaces.show",
    "GET " + ACC + "/projects": "v4:account_projects.index",
    "GET " + ACC + "/workspaces/{workspace_id}/projects": "v4:projects.index",
    "GET " + ACC + "/projects/{project_id}": "v4:projects.show",
    "GET " + ACC + "/folders/{folder_id}": "v4:folders.show",
    "GET " + ACC + "/folders/{folder_id}/children": "v4:folders.index",
    "GET " + ACC + "/folders/{folder_id}/folders": "v4:folders.list",
    "GET " + ACC + "/folders/{folder_id}/files": "v4:files.list",
    "GET " + ACC + "/folders/{folder_id}/version_stacks": "v4:version_stacks.list",
    "GET " + ACC + "/files/{file_id}": "v4:files.show",
    "GET " + ACC + "/files/{file_id}/status": "v4:files.show_file_upload_status",
    "GET " + ACC + "/version_stacks/{version_stack_id}": "v4:version_stacks.show",
    "GET " + ACC + "/version_stacks/{version_stack_id}/children": "v4:version_stacks.index",
}


# --- emulator -------------------------------------------------------------------------------------

class Emulator:
    def __init__(self, binary, data_dir, log_path, rate_limited):
        args = [binary, "--host", "127.0.0.1", "--port", "0", "--quiet", "--data", data_dir,
                "--v4-legacy-token", TOKEN]
        if not rate_limited:
            args.append("--no-rate-limit")
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise SystemExit("frameio-emulator did not start: %r (see %s)" % (line, log_path))
        self.base = line[len("listening on "):]
        self.netloc = urllib.parse.urlparse(self.base).netloc
        self.local = threading.local()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def request(self, method, url, body=None, headers=None):
        """One request on this thread's kept-alive connection; returns (status, bytes)."""
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.netloc, timeout=60)
        try:
            conn.request(method, url, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            self.local.conn = None
            raise

    def v4(self, method, path, data=None, expect=200):
        headers = {"Authorization": "Bearer " + TOKEN, "x-frameio-legacy-token-auth": "true"}
        body = None
        if data is not None:
            body = json.dumps({"data": data}).encode()
            headers["Content-Type"] = "application/json"
        status, text = self.request(method, "/v4" + path, body, headers)
        if status != expect:
            raise SystemExit("%s /v4%s: HTTP %d %s" % (method, path, status, text[:300]))
        return json.loads(text)["data"] if text else None

    def admin(self, method, path):
        # A connection of its own: a kept-alive one may have been closed while a run went on.
        conn = http.client.HTTPConnection(self.netloc, timeout=60)
        try:
            conn.request(method, "/_emulator/" + path)
            r = conn.getresponse()
            status, text = r.status, r.read()
        finally:
            conn.close()
        if status // 100 != 2:
            raise SystemExit("%s /_emulator/%s: HTTP %d" % (method, path, status))
        return json.loads(text) if text else None


# --- set-up ---------------------------------------------------------------------------------------

def parallel(jobs, threads, fn):
    """Runs fn(job) for every job on `threads` threads; the first exception is raised."""
    errors = []
    it = iter(jobs)
    lock = threading.Lock()

    def worker():
        while not errors:
            with lock:
                job = next(it, None)
            if job is None:
                return
            try:
                fn(job)
            except BaseException as e:  # re-raised on the main thread
                errors.append(e)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


def build_tree(emu, folders, files, threads):
    """A project of `folders` folders (ceil(sqrt(F)) at the top, the rest below them) and
    `files` files spread round-robin over them. Returns (account, project id)."""
    account = emu.v4("GET", "/accounts")[0]["id"]
    workspace = emu.v4("GET", "/accounts/%s/workspaces" % account)[0]["id"]
    project = emu.v4("POST", "/accounts/%s/workspaces/%s/projects" % (account, workspace),
                     {"name": "v4-scale"}, expect=201)
    root = project["root_folder_id"]
    tops = max(1, math.isqrt(folders))
    ids = [None] * folders

    def mkdir(i):
        parent = root if i < tops else ids[i % tops]
        ids[i] = emu.v4("POST", "/accounts/%s/folders/%s/folders" % (account, parent),
                        {"name": "d%05d" % i}, expect=201)["id"]

    parallel(range(tops), threads, mkdir)
    parallel(range(tops, folders), threads, mkdir)

    def upload(i):
        content = b"file %d\n" % i
        f = emu.v4("POST", "/accounts/%s/folders/%s/files/local_upload"
                   % (account, ids[i % folders]),
                   {"name": "f%06d.txt" % i, "file_size": len(content)}, expect=201)
        url = urllib.parse.urlparse(f["upload_urls"][0]["url"])
        status, text = emu.request("PUT", url.path + "?" + url.query, content,
                                   {"Content-Type": f["media_type"], "x-amz-acl": "private"})
        if status != 200:
            raise SystemExit("part PUT: HTTP %d %s" % (status, text[:200]))

    parallel(range(files), threads, upload)
    return account, project["id"]


# --- the runs -------------------------------------------------------------------------------------

def sync_env(workdir, emu):
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update({"HOME": workdir, "XDG_CONFIG_HOME": os.path.join(workdir, "config"),
                "XDG_STATE_HOME": os.path.join(workdir, "state"), "FRAMEIO_TOKEN": TOKEN,
                "FRAMEIO_API_URL": emu.base, "FRAMEIO_SYNC_API": "v4", "NO_COLOR": "1"})
    return env


def run_sync(sync_bin, env, extra):
    start = time.monotonic()
    r = subprocess.run([sync_bin, "sync", "--once", "--json"] + extra, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.monotonic() - start
    summary = [json.loads(l) for l in r.stdout.decode().splitlines()
               if l.startswith("{") and '"summary"' in l]
    if r.returncode != 0 or not summary:
        sys.stderr.write(r.stderr.decode()[-3000:])
        raise SystemExit("sync --once %s failed with exit %d" % (" ".join(extra), r.returncode))
    return elapsed, summary[-1]["counts"]


def minimum_seconds(requests, limits):
    """Per route: (n, limit, window_ms, seconds the route's bucket needs at least)."""
    rows = {}
    for route, n in sorted(requests.items()):
        cls = ROUTE_CLASSES.get(route)
        if cls is None:
            raise SystemExit("no rate class known for %s: add it to ROUTE_CLASSES" % route)
        c = limits[cls]
        rows[route] = (n, c["limit"], c["window_ms"],
                       max(0, n - c["limit"]) * c["window_ms"] / 1000.0 / c["limit"])
    return rows


def measured(emu, limits, sync_bin, env, label, extra):
    emu.admin("POST", "rate-limits/reset")
    emu.admin("DELETE", "stats")
    seconds, counts = run_sync(sync_bin, env, extra)
    stats = emu.admin("GET", "stats")
    rows = minimum_seconds(stats["requests"], limits)
    floor = max([r[3] for r in rows.values()] + [0.0])
    print("\n%s: %.2f s; minimum at the default limits %.2f s; ratio %s"
          % (label, seconds, floor, "%.2fx" % (seconds / floor) if floor > 0 else "n/a"))
    print("  %-70s %6s %12s %9s" % ("route", "n", "limit", "min s"))
    for route, (n, limit, window, s) in rows.items():
        print("  %-70s %6d %5d/%-5dms %9.2f" % (route, n, limit, window, s))
    print("  statuses: %s" % json.dumps(stats.get("statuses", {}), sort_keys=True))
    if stats.get("statuses", {}).get("429"):
        print("  (n counts the 429 answers too: each adds window / limit to its route's minimum)")
    return seconds, floor, counts, stats["requests"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", help="default: build/release, build/dev or build/lead")
    ap.add_argument("--folders", type=int, default=1000)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=8, help="set-up threads")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if args.folders < 1 or args.files < 1:
        raise SystemExit("--folders and --files must be at least 1")

    build = args.build_dir or find_build_dir(os.path.dirname(here))
    if not build:
        raise SystemExit("no build directory with frameio-sync found; pass --build-dir")
    sync_bin = os.path.join(build, "apps", "frameio-sync", "frameio-sync")
    emu_bin = os.path.join(build, "apps", "frameio-emulator", "frameio-emulator")
    for b in (sync_bin, emu_bin):
        if not os.access(b, os.X_OK):
            raise SystemExit("missing %s: build the frameio-sync and frameio-emulator targets" % b)

    work = tempfile.mkdtemp(prefix="fios-v4-bench-")
    data = os.path.join(work, "emulator-data")
    log = os.path.join(work, "emulator.log")
    local = os.path.join(work, "sync")
    for d in (data, local, os.path.join(work, "config")):
        os.makedirs(d)
    emu = None
    try:
        emu = Emulator(emu_bin, data, log, rate_limited=False)
        t0 = time.monotonic()
        _account, project = build_tree(emu, args.folders, args.files, args.threads)
        env = sync_env(work, emu)
        subprocess.run([sync_bin, "select", project, "--to", local], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        _, counts = run_sync(sync_bin, env, ["--jobs", "8"])
        if counts["downloaded"] != args.files:
            raise SystemExit("set-up sync downloaded %d of %d files: %s"
                             % (counts["downloaded"], args.files, counts))
        print("set-up (no rate limits): %d folders, %d files, synced once, %.1f s"
              % (args.folders, args.files, time.monotonic() - t0))
        emu.stop()

        emu = Emulator(emu_bin, data, log, rate_limited=True)
        env = sync_env(work, emu)
        limits = emu.admin("GET", "config")["rate_limits"]
        print("%s, emulator default V4 rate limits" % build)
        dry = measured(emu, limits, sync_bin, env, "full listing (sync --once --dry-run)",
                       ["--dry-run"])
        again = measured(emu, limits, sync_bin, env, "unchanged pass (sync --once)", [])
        _, _, counts, requests = again
        moved = sum(counts[k] for k in ("uploaded", "downloaded", "bytes_uploaded",
                                        "bytes_downloaded", "folders_created"))
        writes = sum(n for route, n in requests.items()
                     if route.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE"))
        print("\nunchanged pass: %d transfers/creates, %d write requests (both must be 0)"
              % (moved, writes))
        print("summary: listing %.2f s / minimum %.2f s; unchanged pass %.2f s / minimum %.2f s"
              " (target <= 1.2x)" % (dry[0], dry[1], again[0], again[1]))
        if moved or writes:
            raise SystemExit("the unchanged pass changed something")
    finally:
        if emu is not None:
            emu.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work directory kept: " + work)


if __name__ == "__main__":
    main()
