#!/bin/sh
# Runs host unit test programs (cmocka, TAP output) and counts their test cases.
#   tests/unit/run.sh PROGRAM...
# Each program's TAP output and stderr are kept next to it (PROGRAM.tap, PROGRAM.stderr).
# Prints one line per program, the details of any failure, and last
#   unit: N passed, N failed
# Skipped cases count as neither.  Test cases a program never reported (it crashed) count as
# failed, and so does a program that reported no failure but exited non-zero (a leak report).
# Exits 1 if anything failed.
set -u

passed=0
failed=0
skipped=0
to=""
command -v timeout >/dev/null 2>&1 && to="timeout ${UNIT_TIMEOUT:-300}"

for prog in "$@"; do
	name=$(basename "$prog")
	tap="$prog.tap"
	err="$prog.stderr"
	CMOCKA_MESSAGE_OUTPUT=TAP UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		$to "$prog" >"$tap" 2>"$err"
	rc=$?
	# plan, passed, failed, skipped, reported
	counts=$(awk '
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
		/^(not )?ok [0-9]+/ {
			n++
			if ($0 ~ /# SKIP/) s++
			else if ($0 ~ /^ok /) p++
			else f++
		}
		END { print plan + 0, p + 0, f + 0, s + 0, n + 0 }' "$tap")
	read -r plan p f s n <<EOF
$counts
EOF
	note=""
	if [ "$n" -lt "$plan" ]; then
		f=$((f + plan - n))
		note="; $((plan - n)) never reported (exit status $rc)"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=$((f + 1))
		note="; exited with status $rc after its tests (counted as one failure)"
	fi
	[ "$plan" -eq 0 ] && [ "$n" -eq 0 ] && [ "$f" -eq 0 ] && {
		f=1
		note="; no TAP output (exit status $rc)"
	}
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	line="$name: $p passed, $f failed"
	[ "$s" -gt 0 ] && line="$line, $s skipped"
	echo "$line$note"
	if [ "$f" -gt 0 ]; then
		# the failing cases with their diagnostics, then the program's stderr
		awk '/^not ok / && !/# SKIP/ { show = 1; print "    " $0; next }
		     /^(ok|not ok) / { show = 0 }
		     /^# (not )?ok - / { show = 0 }
		     show && /^#/ { print "    " $0 }' "$tap"
		if [ -s "$err" ]; then
			echo "    --- stderr ($err) ---"
			sed 's/^/    /' "$err"
		fi
	fi
	[ "$s" -gt 0 ] && grep -E '^# .*skipped' "$tap" | sed 's/^/    /'
done

[ "$skipped" -gt 0 ] && echo "unit: $skipped skipped"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
