#!/usr/bin/env bash
# Verifies the systemd user units of apps/frameio-sync/systemd with `systemd-analyze verify`
# (syntax, directives, that ExecStart names an executable), configured with the built binary.
# Usage: check_systemd_units.sh SOURCE_DIR FRAMEIO_SYNC_BINARY
set -euo pipefail
src=${1:?usage: check_systemd_units.sh SOURCE_DIR FRAMEIO_SYNC_BINARY}
bin=${2:?usage: check_systemd_units.sh SOURCE_DIR FRAMEIO_SYNC_BINARY}
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is not installed: units not verified (apt-get install systemd)"
  exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for unit in frameio-sync.service frameio-sync-once.service; do
  sed "s|@FIOS_INSTALL_BINDIR@|$(dirname "$bin")|" "$src/apps/frameio-sync/systemd/$unit.in" >"$dir/$unit"
done
cp "$src/apps/frameio-sync/systemd/frameio-sync-once.timer" "$dir/"
grep -q '^RestartPreventExitStatus=77 78$' "$dir/frameio-sync.service"
grep -q '^ExecStart=.* sync --watch$' "$dir/frameio-sync.service"
cd "$dir"
out=$(systemd-analyze verify ./frameio-sync.service ./frameio-sync-once.service ./frameio-sync-once.timer 2>&1) || {
  echo "$out"; exit 1; }
# verify exits 0 on some warnings: any line about our units is a failure.
if grep -q 'frameio-sync' <<<"$out"; then echo "$out"; exit 1; fi
echo "systemd units: ok"
