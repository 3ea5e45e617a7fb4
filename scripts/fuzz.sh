#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: Clang, ASan + UBSan) and runs each one for
# SECONDS_PER_TARGET (default 600) on its seed corpus, one after another on one core.
# Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]
#   FIOS_FUZZ_ONLY="config path_map"  runs only these targets (names without fuzz_)
#   FIOS_FUZZ_WORK=dir                keeps the scratch directory there (default: a temp dir)
# New inputs go to the scratch directory, never into tests/fuzz/corpus (copy an interesting
# one there by hand). A finding (crash, sanitizer report, broken invariant, timeout, leak,
# out-of-memory) leaves its input in <scratch>/<target>/artifacts/ and makes the exit status 1.
# Prints per target: runs executed, seconds, coverage (libFuzzer's final cov:) and the result.
# docs/reliability.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
if ! [[ "${seconds}" =~ ^[0-9]+$ ]] || [[ "${seconds}" -lt 1 ]]; then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a positive whole number, not '${seconds}'" >&2
  exit 2
fi
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found; run scripts/install-deps.sh --fuzz as root" >&2
  exit 2
fi

targets=(v2_json v4_json token_response credentials path_map config)
if [[ -n "${FIOS_FUZZ_ONLY:-}" ]]; then
  read -r -a targets <<<"${FIOS_FUZZ_ONLY}"
fi

echo "== fuzz: configure and build (preset fuzz, targets only) =="
cmake --preset fuzz >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_${t}"); done
cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)" --target "${build_targets[@]}"

work=${FIOS_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/fios-fuzz.XXXXXX")}
mkdir -p "${work}"
echo "== fuzz: ${#targets[@]} target(s), ${seconds} s each; scratch ${work} =="

# The longest input worth trying: a page of a few items for the JSON parsers (the largest
# seed, the V2 version stack fixture, is 7 KB); names and small files are short.
max_len_for() {
  case "$1" in
    v2_json | v4_json) echo 16384 ;;
    credentials) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="build/fuzz/tests/fuzz/fuzz_${t}"
  seeds="tests/fuzz/corpus/${t}"
  dir="${work}/${t}"
  mkdir -p "${dir}/corpus" "${dir}/artifacts"
  args=(-max_total_time="${seconds}" -max_len="$(max_len_for "${t}")" -timeout=10
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="${dir}/artifacts/")
  dict="tests/fuzz/${t}.dict"
  [[ "${t}" == v2_json || "${t}" == v4_json ]] && dict="tests/fuzz/json.dict"
  if [[ -f "${dict}" ]]; then
    args+=(-dict="${dict}")
  fi
  echo "-- fuzz_${t}: log ${dir}/log"
  status=0
  started=$(date +%s)
  # The scratch corpus comes first: libFuzzer writes new inputs to the first directory only.
  "${bin}" "${args[@]}" "${dir}/corpus" "${seeds}" >"${dir}/log" 2>&1 || status=$?
  # A run that ends in a finding prints no "Done" line: every grep here may match nothing.
  runs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "${dir}/log" | tail -1 | awk '{print $2}' ||
         true)
  took=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "${dir}/log" | tail -1 | awk '{print $5}' ||
         true)
  [[ -n "${runs}" ]] || runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "${dir}/log" |
                               tail -1 | grep -oE '[0-9]+$' || true)
  [[ -n "${took}" ]] || took=$(( $(date +%s) - started ))
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "${dir}/log" | tail -1 || true)
  if [[ ${status} -eq 0 ]]; then
    result="ok"
  else
    result="FINDING (exit ${status}): $(ls "${dir}/artifacts" | head -3 | tr '\n' ' ' || true)"
    failed=1
    grep -E 'INVARIANT BROKEN|ERROR: |runtime error|SUMMARY' "${dir}/log" | head -5 || true
  fi
  line=$(printf '%-16s runs %-10s time %-5s cov %-22s %s' "${t}" "${runs:-?}" "${took:-?}s" \
         "${cov#cov: }" "${result}")
  echo "${line}"
  summary+=("${line}")
done

echo "== fuzz summary (${seconds} s per target) =="
printf '%s\n' "${summary[@]}"
if [[ ${failed} -ne 0 ]]; then
  echo "fuzz.sh: findings above; inputs under ${work}/*/artifacts (reproduce: build/fuzz/tests/fuzz/fuzz_<target> <input>)" >&2
  exit 1
fi
