#!/usr/bin/env bash
# Installs every Debian 12 package frameio-sync needs to build, test and run.
# Idempotent: installs only what is missing; safe to run again. Needs root (or sudo).
# Usage: scripts/install-deps.sh [--with-tools] [--fuzz]
#   --with-tools adds clang-format, clang, clang-tidy, valgrind, ccache
#   --fuzz       adds what the fuzz preset needs (scripts/fuzz.sh, the fuzz step of test.sh):
#                clang, libFuzzer's runtime and llvm-symbolizer for readable sanitizer reports
set -euo pipefail

packages=(
  # toolchain: a minimal Debian 12 has none of these
  g++ cmake ninja-build pkg-config make git ca-certificates
  # libraries (see cmake/FiosDependencies.cmake)
  libcli11-dev libcurl4-openssl-dev rapidjson-dev libsqlite3-dev libxxhash-dev
  libfmt-dev catch2 libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  # used by tests and the demo: curl to probe, xxhsum to cross-check checksums,
  # python3 for the bench/report scripts, procps for ps, util-linux for flock
  curl xxhash python3 procps util-linux
  # the OpenAPI check of the emulator's V4 and IMS answers (tests/openapi)
  python3-jsonschema
)
for arg in "$@"; do
  case "${arg}" in
    --with-tools) packages+=(clang clang-format clang-tidy valgrind ccache) ;;
    # libclang_rt.fuzzer-x86_64.a is in libclang-rt-14-dev on Debian 12, which clang-14 only
    # reaches through a Recommends (of libclang-common-14-dev): --no-install-recommends below
    # would leave it out, so it is named. llvm provides /usr/bin/llvm-symbolizer.
    --fuzz) packages+=(clang libclang-rt-14-dev llvm) ;;
    *) echo "install-deps: unknown option '${arg}' (use --with-tools, --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root, or install them with apt-get" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
