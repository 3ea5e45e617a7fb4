#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check_case_names.sh TEST_BINARY
# Fails when a Catch2 case name holds a ';': ctest splits a listed name there and runs a filter
# that matches no case, which passes, so such a case would never run.
# (Catch2 v2 exits with the number of cases listed: the exit status says nothing here.)
names=$("$1" --list-test-names-only 2>&1)
if [ -z "$names" ]; then
    echo "$1 listed no test cases" >&2
    exit 1
fi
if printf '%s\n' "$names" | grep ';'; then
    echo "rename the cases above (no ';'): ctest cannot run them" >&2
    exit 1
fi
