#!/usr/bin/env bash
# The fault soak and crash points of issue 9 at their full sizes (docs/reliability.md, "Fault
# soak" and "Crash points"): 500 files under every fault with `sync --once`, 200 under
# `sync --watch` for 60 s, 32 crash points over 200 files, the emulator killed mid-run and a
# state database damaged mid-run, on V2 then V4. CI runs the same tests at reduced sizes.
#
#   bash scripts/soak.sh [catch2 filter]      # e.g. "[soak]" or "crash points: download"
#
# FIOS_SOAK_SEED picks another seed; FIOS_SOAK_FILES, FIOS_SOAK_WATCH_FILES,
# FIOS_SOAK_WATCH_SECONDS, FIOS_CRASH_FILES and FIOS_CRASH_POINTS override single sizes.
# Builds the dev preset's targets it needs first. Exits 1 when any case fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev -j 2 --target frameio-sync frameio-emulator fios_integration_soak
export FIOS_SOAK=full
export FIOS_CRASH_POINTS="${FIOS_CRASH_POINTS:-all}"
status=0
for generation in v2 v4; do
  echo "== ${generation}"
  FIOS_HARNESS_GENERATION=${generation} build/dev/tests/integration/soak/fios_integration_soak \
    "${1:-*}" || status=1
done
exit ${status}
