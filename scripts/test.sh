#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what is missing, builds, and runs
# every test, first in the dev preset, then again under AddressSanitizer + UBSan.
# Works as root on a fresh Debian 12 machine. Set FIOS_SKIP_ASAN=1 to skip the second pass.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
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
echo "== all tests passed =="
