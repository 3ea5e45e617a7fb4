#!/usr/bin/env bash
# The main job, against the bundled emulator: builds frameio-sync and frameio-emulator,
# starts the emulator with a demo project, logs in on the V4 API with an Adobe IMS
# server-to-server credential, lists projects, selects the demo project into a local folder,
# syncs both ways and shows status. Works as root on a fresh Debian 12 machine.
# Everything it creates lives in one temporary folder, printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== building (release preset) =="
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target frameio-sync frameio-emulator
bin="$PWD/build/release/apps"
sync="$bin/frameio-sync/frameio-sync"
emulator="$bin/frameio-emulator/frameio-emulator"

work=$(mktemp -d /tmp/frameio-sync-demo.XXXXXX)
emulator_pid=""
cleanup() { [[ -n "$emulator_pid" ]] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null; true; }
trap cleanup EXIT

# A random client secret for the emulator's stand-in of an Adobe Developer Console
# "OAuth Server-to-Server" credential. frameio-sync reads it from FRAMEIO_CLIENT_SECRET (never
# from its argv). The emulator, a local test server, takes its credentials as options.
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

echo "== starting frameio-emulator with a demo project =="
"$emulator" --host 127.0.0.1 --port 0 --data "$work/emulator" --ims-s2s "demo-s2s:$secret" \
  --seed-demo >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
  line=$(head -n 1 "$work/emulator.out" 2>/dev/null || true)
  [[ "$line" == "listening on "* ]] && break
  sleep 0.1
done
[[ "${line:-}" == "listening on "* ]] || { echo "emulator did not start:"; cat "$work/emulator.log"; exit 1; }
url=${line#listening on }
echo "emulator: $url (log: $work/emulator.log)"

export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
# V4 (the default API) on the emulator's V4 account; the emulator also plays Adobe IMS.
export FRAMEIO_API_URL="$url" FRAMEIO_IMS_URL="$url" FRAMEIO_CLIENT_SECRET="$secret"
unset FRAMEIO_TOKEN FRAMEIO_SYNC_API

run() { echo; echo "\$ frameio-sync $*"; "$sync" "$@"; }
run login --s2s --client-id demo-s2s
run whoami
run projects
run select "Demo Project" --to "$work/Demo Project"
if "$sync" sync --help >/dev/null 2>&1; then
  mkdir -p "$work/Demo Project/From the edit bay"
  head -c 3000000 /dev/urandom > "$work/Demo Project/From the edit bay/cut-v1.mov"
  printf 'Notes from the edit\n' > "$work/Demo Project/From the edit bay/edit-notes.txt"
  # Files count as ready once unchanged for 5 s (--settle-seconds); these are "older".
  touch -d '1 minute ago' "$work/Demo Project/From the edit bay/"*
  run sync --once || true  # exit 1 when something needs attention; status says what
  run sync --once || true  # a second run finds nothing to do
  run status
  echo; echo "local folder after the sync:"
  (cd "$work/Demo Project" && find . -not -name '.*' | sort)

  # sync --watch: a file dropped into the folder reaches Frame.io by itself; SIGTERM stops it.
  echo; echo "\$ frameio-sync sync --watch --settle-seconds 1   (in the background; a file is dropped in, then SIGTERM)"
  "$sync" sync --watch --settle-seconds 1 2>"$work/watch.log" &
  watch_pid=$!
  for _ in $(seq 600); do
    grep -q "^state idle" "$work/state/frameio-sync/watch.status" 2>/dev/null && break
    kill -0 "$watch_pid" 2>/dev/null || { cat "$work/watch.log"; echo "sync --watch ended early"; exit 1; }
    sleep 0.2
  done
  printf 'Dropped in while watching\n' > "$work/Demo Project/From the edit bay/dropped.txt"
  for _ in $(seq 600); do
    grep -q 'upload: "From the edit bay/dropped.txt"' "$work/watch.log" && break
    sleep 0.2
  done
  run status
  kill -TERM "$watch_pid"
  wait "$watch_pid" && echo "sync --watch stopped (exit 0)"
  echo "its log:"; cat "$work/watch.log"
  grep -q 'upload: "From the edit bay/dropped.txt"' "$work/watch.log" || { echo "the dropped file was not uploaded"; exit 1; }
else
  run status
fi
echo
echo "Demo files are in $work (remove it when done)."
