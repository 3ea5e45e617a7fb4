#!/usr/bin/env bash
# Fails when a library module includes a module that comes after it in the dependency order
# (docs/ARCHITECTURE.md). Usage: check_module_deps.sh lib/fios
set -u
root=${1:?usage: check_module_deps.sh LIB_FIOS_DIR}
order=(core model hash net api auth remote store config scan policy plan transfer engine watch)
rank() { local i; for i in "${!order[@]}"; do [[ "${order[$i]}" == "$1" ]] && { echo "$i"; return; }; done; echo 99; }
bad=0
for dir in "$root"/*/; do
  module=$(basename "$dir")
  mine=$(rank "$module")
  while IFS= read -r line; do
    file=${line%%:*}
    dep=$(sed -E 's/.*#include "fios\/([a-z_]+)\/.*/\1/' <<<"$line")
    if (( $(rank "$dep") > mine )); then
      echo "module '$module' may not include module '$dep' (it comes later): $file"
      bad=1
    fi
  done < <(grep -rHE '^#include "fios/[a-z_]+/' "$dir" || true)
done
if (( bad )); then exit 1; fi
echo "module dependency order: ok"
