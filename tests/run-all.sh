#!/bin/sh
# Runs the host unit tests and the system tests; the last line counts both.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
log=$BUILD/test-logs
mkdir -p "$log"
failed_suites=""

echo "== host unit tests (cmocka, ASan+UBSan) =="
make --no-print-directory unit-tests 2>&1 | tee "$log/unit.txt"
u_line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' "$log/unit.txt" | tail -n 1)
[ -n "$u_line" ] || { u_line="unit: 0 passed, 1 failed"; failed_suites="$failed_suites unit"; }

echo "== fuzz harnesses (libFuzzer, fixed seed and run count) =="
make --no-print-directory fuzz 2>&1 | tee "$log/fuzz.txt"
f_line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$log/fuzz.txt" | tail -n 1)
[ -n "$f_line" ] || { f_line="fuzz: 0 passed, 1 failed"; failed_suites="$failed_suites fuzz"; }

echo "== tool tests =="
tests/tools/run.sh 2>&1 | tee "$log/tools.txt"
t_line=$(grep -E '^tools: [0-9]+ passed, [0-9]+ failed' "$log/tools.txt" | tail -n 1)
[ -n "$t_line" ] || { t_line="tools: 0 passed, 1 failed"; failed_suites="$failed_suites tools"; }

echo "== system tests (QEMU and Bochs) =="
tests/system/run-tests.sh "$@" 2>&1 | tee "$log/system.txt"
s_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/system.txt" | tail -n 1)
[ -n "$s_line" ] || { s_line="0 passed, 1 failed"; failed_suites="$failed_suites system"; }

up=$(echo "$u_line" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
uf=$(echo "$u_line" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
sp=$(echo "$s_line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1/')
sf=$(echo "$s_line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\2/')
fp=$(echo "$f_line" | sed -E 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
ff=$(echo "$f_line" | sed -E 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
tp=$(echo "$t_line" | sed -E 's/^tools: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
tf=$(echo "$t_line" | sed -E 's/^tools: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
[ -z "$failed_suites" ] || echo "suites that did not report a count:$failed_suites"
echo "unit tests: $up passed, $uf failed; fuzz harnesses: $fp passed, $ff failed; tool tests: $tp passed, $tf failed; system tests: $sp passed, $sf failed"
echo "$((up + fp + tp + sp)) passed, $((uf + ff + tf + sf)) failed"
[ $((uf + ff + tf + sf)) -eq 0 ] && [ -z "$failed_suites" ]
