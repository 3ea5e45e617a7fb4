#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Throughput of `frameio-sync sync --once` against frameio-emulator on loopback.

Measures uploads and downloads of (a) many small files and (b) a few large files, and compares
each with two baselines measured in the same run on the same bytes:

  sequential  the same command with --jobs 1 --part-jobs 1: one file and one part at a time,
              as the original Python tool worked;
  curl        the bare transfer: one `curl` process per part PUT (after the create call) or per
              download GET, run one after another, no hashing, no journal, no verification.

Builds nothing: it runs the binaries of an existing build directory (see bench/README.md).
Python 3 standard library only.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "bench-token"
MIB = 1024 * 1024


# --- emulator ---------------------------------------------------------------------------------

class Emulator:
    def __init__(self, binary, part_size, rate_limited, data_dir):
        args = [binary, "--host", "127.0.0.1", "--port", "0", "--token", TOKEN, "--quiet",
                "--checksum-delay", "0", "--part-size", str(part_size), "--data", data_dir]
        if not rate_limited:
            args.append("--no-rate-limit")
        self.log = open(os.path.join(data_dir, "..", "emulator.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise SystemExit("frameio-emulator did not start: %r (see emulator.log)" % line)
        self.base = line[len("listening on "):]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + TOKEN)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for _ in range(30):
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    text = r.read()
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as e:
                if e.code != 429:
                    raise
                time.sleep(1)
        raise SystemExit("the emulator kept answering 429 to %s %s" % (method, path))

    def new_project(self, name):
        team = self.api("GET", "/v2/teams")[0]["id"]
        p = self.api("POST", "/v2/teams/%s/projects" % team, {"name": name})
        return p["id"], p["root_asset_id"]


# --- data ---------------------------------------------------------------------------------------

def make_files(folder, count, size, seed):
    """`count` files of `size` bytes of incompressible data, each different."""
    rnd = random.Random(seed)
    block = rnd.randbytes(MIB) if hasattr(rnd, "randbytes") else os.urandom(MIB)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        path = os.path.join(folder, "f%05d.bin" % i)
        with open(path, "wb") as f:
            f.write(i.to_bytes(8, "little"))  # makes every file unique
            left = size - 8
            while left > 0:
                n = min(left, len(block))
                f.write(block[:n])
                left -= n
        old = time.time() - 3600  # settled: not "still being written"
        os.utime(path, (old, old))
        paths.append(path)
    return paths


# --- the sync command -----------------------------------------------------------------------------

class Sync:
    def __init__(self, binary, emu, workdir):
        self.binary = binary
        self.emu = emu
        self.workdir = workdir
        self.n = 0

    def env(self, state):
        env = dict(os.environ)
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                  "all_proxy"):
            env.pop(k, None)
        env.update({"HOME": self.workdir, "XDG_CONFIG_HOME": os.path.join(self.workdir, "config"),
                    "XDG_STATE_HOME": state, "FRAMEIO_TOKEN": TOKEN,
                    "FRAMEIO_API_URL": self.emu.base, "NO_COLOR": "1"})
        return env

    def run(self, project_id, folder, extra):
        """A fresh state directory, `select`, then a timed `sync --once`. Returns seconds."""
        self.n += 1
        state = os.path.join(self.workdir, "state%d" % self.n)
        env = self.env(state)
        subprocess.run([self.binary, "select", project_id, "--to", folder], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        start = time.monotonic()
        r = subprocess.run([self.binary, "sync", "--once", "--json"] + extra, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        elapsed = time.monotonic() - start
        summary = [json.loads(l) for l in r.stdout.decode().splitlines()
                   if l.startswith("{") and '"summary"' in l]
        if r.returncode != 0 or not summary:
            sys.stderr.write(r.stderr.decode()[-3000:])
            raise SystemExit("sync --once %s failed with exit %d" % (" ".join(extra),
                                                                     r.returncode))
        return elapsed, summary[-1]["counts"]


# --- the curl baseline ----------------------------------------------------------------------------

def curl_upload(emu, root_id, paths, tmp):
    """Create each file, then PUT each part with one curl process, one after another."""
    folder = emu.api("POST", "/v2/assets/%s/children" % root_id,
                     {"type": "folder", "name": "curl-%d" % time.monotonic_ns()})
    # Part files are cut before the clock starts: curl cannot send a byte range of a file.
    plans = []
    for path in paths:
        size = os.path.getsize(path)
        plans.append((path, size))
    start = time.monotonic()
    for path, size in plans:
        asset = emu.api("POST", "/v2/assets/%s/children" % folder["id"],
                        {"type": "file", "name": os.path.basename(path),
                         "filetype": "application/octet-stream", "filesize": size})
        urls = asset["upload_urls"]
        n = len(urls)
        chunk = -(-size // n) if n else 0
        with open(path, "rb") as f:
            for i, url in enumerate(urls):
                part = f.read(min(chunk, size - i * chunk))
                r = subprocess.run(["curl", "-sS", "-f", "-X", "PUT", "--data-binary", "@-",
                                    "-H", "Content-Type: application/octet-stream",
                                    "-H", "x-amz-acl: private", "-H", "Expect:",
                                    "--noproxy", "*", "-o", "/dev/null", url],
                                   input=part, stderr=subprocess.PIPE)
                if r.returncode != 0:
                    raise SystemExit("curl PUT failed: " + r.stderr.decode())
    return time.monotonic() - start


def curl_download(emu, folder_id, out_dir):
    """GET every file of a folder with one curl process each, one after another."""
    os.makedirs(out_dir, exist_ok=True)
    items = emu.api("GET", "/v2/assets/%s/children?page_size=1000" % folder_id)
    start = time.monotonic()
    for item in items:
        asset = emu.api("GET", "/v2/assets/%s" % item["id"])
        r = subprocess.run(["curl", "-sS", "-f", "--noproxy", "*", "-o",
                            os.path.join(out_dir, item["name"]), asset["original"]],
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise SystemExit("curl GET failed: " + r.stderr.decode())
    return time.monotonic() - start


# --- main ---------------------------------------------------------------------------------------

def find_build_dir(root):
    for name in ("release", "dev", "lead"):
        d = os.path.join(root, "build", name)
        if os.path.exists(os.path.join(d, "apps", "frameio-sync", "frameio-sync")):
            return d
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", help="a configured and built build directory "
                                        "(default: build/release, build/dev or build/lead)")
    ap.add_argument("--small-count", type=int, default=200)
    ap.add_argument("--small-size", type=int, default=64 * 1024, help="bytes")
    ap.add_argument("--large-count", type=int, default=3)
    ap.add_argument("--large-size", type=int, default=256 * MIB, help="bytes")
    ap.add_argument("--part-size", type=int, default=20 * MIB,
                    help="the emulator's upload part size (Frame.io-like: 20 MiB)")
    ap.add_argument("--jobs", type=int, default=4, help="--jobs of the parallel runs")
    ap.add_argument("--part-jobs", type=int, default=4, help="--part-jobs of the parallel runs")
    ap.add_argument("--rate-limited", action="store_true",
                    help="keep the emulator's default rate limits (then small files measure "
                         "the 5 creates/s limit more than the client)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    build = args.build_dir or find_build_dir(root)
    if not build:
        raise SystemExit("no build directory with frameio-sync found; pass --build-dir")
    sync_bin = os.path.join(build, "apps", "frameio-sync", "frameio-sync")
    emu_bin = os.path.join(build, "apps", "frameio-emulator", "frameio-emulator")
    for b in (sync_bin, emu_bin):
        if not os.access(b, os.X_OK):
            raise SystemExit("missing %s: build the frameio-sync and frameio-emulator targets" % b)
    if not shutil.which("curl"):
        raise SystemExit("curl is needed for the baseline")

    work = tempfile.mkdtemp(prefix="fios-bench-")
    os.makedirs(os.path.join(work, "config"))
    os.makedirs(os.path.join(work, "emulator-data"))
    emu = Emulator(emu_bin, args.part_size, args.rate_limited, os.path.join(work, "emulator-data"))
    parallel = ["--jobs", str(args.jobs), "--part-jobs", str(args.part_jobs)]
    sequential = ["--jobs", "1", "--part-jobs", "1"]
    rows = []
    try:
        syncer = Sync(sync_bin, emu, work)
        for label, count, size in (("small", args.small_count, args.small_size),
                                   ("large", args.large_count, args.large_size)):
            src = os.path.join(work, "src-" + label)
            paths = make_files(src, count, size, seed=len(label))
            total = count * size
            timings = {}
            for mode, extra in (("parallel", parallel), ("sequential", sequential)):
                # Up: a new project, a fresh copy of the files, a fresh state directory.
                project, _root = emu.new_project("%s-up-%s" % (label, mode))
                folder = os.path.join(work, "up-%s-%s" % (label, mode))
                shutil.copytree(src, folder, copy_function=os.link)
                t, counts = syncer.run(project, folder, extra)
                assert counts["uploaded"] == count, counts
                timings[("up", mode)] = t
                # Down: the project just uploaded, into an empty folder.
                down = os.path.join(work, "down-%s-%s" % (label, mode))
                os.makedirs(down)
                t, counts = syncer.run(project, down, extra + ["--direction", "down"])
                assert counts["downloaded"] == count, counts
                timings[("down", mode)] = t
            project, root_id = emu.new_project("%s-curl" % label)
            timings[("up", "curl")] = curl_upload(emu, root_id, paths, work)
            curl_folder = emu.api("GET", "/v2/assets/%s/children" % root_id)[0]["id"]
            timings[("down", "curl")] = curl_download(emu, curl_folder,
                                                      os.path.join(work, "curl-" + label))
            for direction in ("up", "down"):
                for mode in ("parallel", "sequential", "curl"):
                    rows.append((label, count, size, direction, mode, total,
                                 timings[(direction, mode)], timings[(direction, "sequential")],
                                 timings[(direction, "curl")]))
    finally:
        emu.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work directory kept: " + work)

    print("frameio-sync sync --once vs baselines (%s, emulator part size %d MiB, %s)"
          % (build, args.part_size // MIB,
             "default rate limits" if args.rate_limited else "no rate limits"))
    print("%-6s %6s %10s %-5s %-10s %9s %9s %11s %9s" % (
        "set", "files", "bytes/file", "dir", "run", "seconds", "MiB/s", "vs sequent.", "vs curl"))
    for label, count, size, direction, mode, total, t, t_seq, t_curl in rows:
        print("%-6s %6d %10d %-5s %-10s %9.2f %9.1f %10.2fx %8.2fx" % (
            label, count, size, direction, mode, t, total / MIB / t if t > 0 else 0,
            t_seq / t if t > 0 else 0, t_curl / t if t > 0 else 0))
    print("ratios > 1 mean faster than the baseline (time of the baseline / time of the run)")


if __name__ == "__main__":
    main()
