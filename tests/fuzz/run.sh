#!/bin/sh
# Runs libFuzzer harnesses built by tests/fuzz/fuzz.mk, each deterministically: seed 1, a fixed
# number of inputs (FUZZ_RUNS, default 20000), starting from the seed corpus
# tests/fuzz/corpus/NAME/ if there is one (read-only: new inputs go to an emptied work dir).
#   FUZZ_BUILD_DIR=build/fuzz tests/fuzz/run.sh NAME...
# Prints "fuzz NAME: ok (N runs)" or "fuzz NAME: FAILED" (then the end of its log, which
# names the invariant and the saved input) per harness, and last "fuzz: N passed, N failed".
# The full output of each harness is kept in $FUZZ_BUILD_DIR/NAME.log.  Exits 1 on a failure.
set -u
runs=${FUZZ_RUNS:-20000}
dir=${FUZZ_BUILD_DIR:-build/fuzz}
to=""
command -v timeout >/dev/null 2>&1 && to="timeout ${FUZZ_TIMEOUT:-600}"
passed=0
failed=0

for name in "$@"; do
	bin=$dir/fuzz_$name
	work=$dir/work/$name
	log=$dir/$name.log
	rm -rf "$work" "$dir/$name"-crash-* "$dir/$name"-leak-* "$dir/$name"-timeout-* \
		"$dir/$name"-oom-*
	mkdir -p "$work"
	case $name in
	insn_len) max_len=64 ;;
	memmap) max_len=512 ;;
	npt12) max_len=1024 ;;
	loader) max_len=4096 ;;
	*) max_len=2048 ;;
	esac
	corpus=tests/fuzz/corpus/$name
	[ -d "$corpus" ] || corpus=""
	# shellcheck disable=SC2086 # $corpus and $to are empty or one word
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} $to "$bin" -seed=1 -runs="$runs" \
		-max_len="$max_len" -timeout=30 -rss_limit_mb=2048 -reload=0 -print_final_stats=0 \
		-artifact_prefix="$dir/$name-" "$work" $corpus >"$log" 2>&1
	rc=$?
	n=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$n" ]; then
		echo "fuzz $name: ok ($n runs)"
		passed=$((passed + 1))
	else
		echo "fuzz $name: FAILED"
		failed=$((failed + 1))
		# The last 40 lines the harness and the sanitizers wrote about the failing input,
		# the frames of the code under test, and where the input was saved (the whole log
		# is kept).
		awk '
			/^#[0-9]+	|NEW_FUNC|^Running: |^INFO: |^Base64: / { n = 0; next }
			/==[0-9]+== ?ERROR/ && !err {
				for (i = (n > 40 ? n - 40 : 0); i < n; i++) print buf[i % 40]
				print; err = 1; next
			}
			err && /^ +#[0-9]+ / && frames < 8 &&
			    /[ \/](tests\/fuzz|kernel|svm|vmm|lib)\/[^ ]*[.][ch](:[0-9]|$)/ {
				print; frames++; next
			}
			/^SUMMARY: / { print; next }
			/Test unit written/ { art = $0; next }
			!err { buf[n++ % 40] = $0 }
			END {
				if (!err) for (i = (n > 40 ? n - 40 : 0); i < n; i++) print buf[i % 40]
				if (art != "") print art
			}' "$log" | sed 's/^/    /'
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
