#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what is missing, builds, and runs
# every test, first in the dev preset, then again under AddressSanitizer + UBSan, then runs
# each libFuzzer target briefly (scripts/fuzz.sh; FIOS_FUZZ_SECONDS per target, default 20).
# Works as root on a fresh Debian 12 machine. Set FIOS_SKIP_ASAN=1 to skip the second pass,
# FIOS_SKIP_FUZZ=1 to skip the fuzz step (which needs clang: installed here unless skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${FIOS_SKIP_FUZZ:-0}" != 1 ]]; then
  bash scripts/install-deps.sh --fuzz
else
  bash scripts/install-deps.sh
fi
jobs=$(nproc 2>/dev/null || echo 2)

run_preset() {
  local preset=$1
  echo "== preset ${preset}: configure, build, test =="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  ctest --preset "${preset}" -j "${jobs}"
}

run_preset dev
if [[ "${FIOS_SKIP_ASAN:-0}" != 1 ]]; then
  run_preset asan
fi
if [[ "${FIOS_SKIP_FUZZ:-0}" != 1 ]]; then
  # A short run on the seed corpora: every target starts, the seeds pass every invariant,
  # and a few hundred thousand mutations find nothing (docs/reliability.md, "Fuzzing").
  bash scripts/fuzz.sh "${FIOS_FUZZ_SECONDS:-20}"
fi
echo "== all tests passed =="
