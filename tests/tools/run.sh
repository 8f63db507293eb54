#!/usr/bin/env bash
# Tests of the tools' text processing (tools/trace-summary), on synthetic transcripts.
# Ends with "tools: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0
check() { # check NAME EXPECTED ACTUAL
	if [[ "$2" == "$3" ]]; then
		passed=$((passed + 1)); echo "ok - $1"
	else
		failed=$((failed + 1)); echo "not ok - $1"
		printf '# expected:\n%s\n# got:\n%s\n' "$2" "$3" | sed 's/^/# /'
	fi
}

# An L3 CPUID reflected twice and handled by L2, with L1's VMRUN in between; a plain L0 exit;
# a first line from L0 (the level a fresh journey must not be glued to).
transcript=$'[L0] exit from L1: CPUID (72) info1=0 info2=0 -> handled\r
[L0] exit from L2: CPUID (72) info1=0 info2=0 -> reflected to the guest hypervisor\r
[L1] exit from L3: CPUID (72) info1=0 info2=0 -> reflected to the guest hypervisor\r
[L0] exit from L1: VMRUN (80) info1=0 info2=0 -> handled\r
[L2] exit from L3: CPUID (72) info1=0 info2=0 -> handled\r
[L3] hello\r
[L0] exit from L2: CPUID (72) info1=0 info2=0 -> reflected to the guest hypervisor\r
[L1] exit from L2: CPUID (72) info1=0 info2=0 -> handled\r
[L0] exit from L1: CPUID (72) info1=0 info2=0 -> handled'
got=$(printf '%s\n' "$transcript" | tools/trace-summary)
want='       2  CPUID: L0 handled
       1  CPUID: L0 reflected -> L1 reflected -> L2 handled  (+1 lower-level exits)
       1  CPUID: L0 reflected -> L1 handled'
check "trace-summary: journeys and their lower-level exits" "$want" "$got"

got=$(printf '' | tools/trace-summary)
check "trace-summary: empty transcript" "" "$got"

# A journey cut off by the end of the run still counts.
got=$(printf '[L0] exit from L2: IOIO (7b) info1=f40010 info2=0 -> reflected to the guest hypervisor\n' | tools/trace-summary)
check "trace-summary: unfinished journey" "       1  IOIO: L0 reflected" "$got"

echo "tools: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
