#!/usr/bin/env bash
# tests/system/run-tests.sh: run the system test cases (tests/system/cases.sh)
# through tools/run and print TAP. `run-tests.sh --help` for the options.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: tests/system/run-tests.sh [--filter REGEX] [--list] [-j N] [--cases FILE]

Runs the cases declared in tests/system/cases.sh (see tests/system/lib.sh for
sys_test) from the repository root, at most N emulators at a time (default 2),
and prints TAP in case order: "1..N", "ok I - NAME" or "not ok I - NAME" plus
"# " lines (reasons and the last 30 transcript lines), then a last line
"P passed, F failed". Transcripts: build/test-logs/NAME.log.

  --filter REGEX  only the cases whose name matches REGEX (grep -E)
  --list          list the selected cases (name, platform, status, command)
  -j N, --jobs N  run N cases at once (default 2; -j1 runs them one by one)
  --cases FILE    read the cases from FILE instead of tests/system/cases.sh
  -h, --help      this text

Exit status: 0 if all selected cases passed, 1 if any failed or none was
selected, 2 on a usage or case-declaration error.
EOF
}

die() {
    printf 'run-tests.sh: %s\n' "$*" >&2
    exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

filter=
list=0
jobs=2
cases_file=$here/cases.sh
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --filter)
            [[ $# -ge 2 ]] || die "--filter needs a regex"
            filter=$2
            shift 2
            ;;
        --filter=*)
            filter=${1#*=}
            shift
            ;;
        --list)
            list=1
            shift
            ;;
        -j | --jobs)
            [[ $# -ge 2 ]] || die "$1 needs a number"
            jobs=$2
            shift 2
            ;;
        -j* | --jobs=*)
            jobs=${1#-j}
            jobs=${jobs#--jobs=}
            shift
            ;;
        --cases)
            [[ $# -ge 2 ]] || die "--cases needs a file"
            cases_file=$2
            shift 2
            ;;
        --cases=*)
            cases_file=${1#*=}
            shift
            ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "-j needs a positive number, not '$jobs'"
[[ -f $cases_file ]] || die "no such cases file: $cases_file"
cases_file=$(cd "$(dirname "$cases_file")" && pwd)/$(basename "$cases_file")
if [[ -n $filter ]]; then
    rc=0
    grep -Eq -e "$filter" </dev/null 2>/dev/null || rc=$?
    [[ $rc -le 1 ]] || die "bad --filter regex: $filter"
fi

cd "$root"
# shellcheck source=tests/system/lib.sh
source "$here/lib.sh"
# shellcheck source=tests/system/cases.sh
source "$cases_file"

runner=$root/tools/run
[[ -x $runner ]] || die "tools/run is missing or not executable: $runner"

sel=()
for i in "${!SYS_NAME[@]}"; do
    if [[ -z $filter ]] || grep -Eq -e "$filter" <<<"${SYS_NAME[$i]}"; then sel+=("$i"); fi
done

if [[ $list -eq 1 ]]; then
    for i in "${sel[@]}"; do
        printf '%-28s %-12s status=%-4s %s\n' "${SYS_NAME[$i]}" "${SYS_PLATFORM[$i]}" \
            "${SYS_STATUS[$i]}" "$(sys__command "$i")"
    done
    exit 0
fi

total=${#sel[@]}
echo "1..$total"
if [[ $total -eq 0 ]]; then
    printf '# no test case matches --filter %s\n' "$filter"
    echo "0 passed, 0 failed"
    exit 1
fi

logdir=build/test-logs
mkdir -p "$logdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/matryoshka-tests.XXXXXX")
declare -A running=() # position in sel -> job pid

# shellcheck disable=SC2317  # called from the EXIT trap
stop_all() {
    local k pidf
    for k in "${!running[@]}"; do
        pidf=$work/${sel[$k]}.pid
        if [[ -f $pidf ]]; then kill -TERM "$(cat "$pidf")" 2>/dev/null || true; fi
        kill -TERM "${running[$k]}" 2>/dev/null || true
    done
    for k in "${!running[@]}"; do wait "${running[$k]}" 2>/dev/null || true; done
    running=()
}
# shellcheck disable=SC2317  # the EXIT trap
on_exit() {
    local rc=$?
    trap - EXIT INT TERM HUP
    stop_all
    rm -rf -- "$work"
    exit "$rc"
}
trap on_exit EXIT
trap 'echo "# interrupted"; exit 130' INT
trap 'echo "# terminated"; exit 143' TERM HUP

passed=0
failed=0
next_start=0
next_print=0
start=$SECONDS
while ((next_print < total)); do
    while ((${#running[@]} < jobs && next_start < total)); do
        sys__run_case "${sel[$next_start]}" "$work" "$logdir" "$runner" &
        running[$next_start]=$!
        next_start=$((next_start + 1))
    done

    # reap finished jobs (a job that died without a result fails its case)
    for k in "${!running[@]}"; do
        i=${sel[$k]}
        if [[ -e $work/$i.res ]] || ! kill -0 "${running[$k]}" 2>/dev/null; then
            wait "${running[$k]}" 2>/dev/null || true
            if [[ ! -e $work/$i.res ]]; then
                printf 'not ok\nthe test job ended without a result (harness error)\n' >"$work/$i.res"
            fi
            unset "running[$k]"
        fi
    done

    progressed=0
    while ((next_print < total)) && [[ -e $work/${sel[$next_print]}.res && -z ${running[$next_print]+x} ]]; do
        i=${sel[$next_print]}
        n=$((next_print + 1))
        sys__check_passes "$i" "$logdir" "$work/$i.res"
        {
            read -r verdict
            if [[ $verdict == ok ]]; then
                echo "ok $n - ${SYS_NAME[$i]}"
                passed=$((passed + 1))
            else
                echo "not ok $n - ${SYS_NAME[$i]}"
                failed=$((failed + 1))
                while IFS= read -r line; do printf '# %s\n' "$line"; done
            fi
        } <"$work/$i.res"
        next_print=$n
        progressed=1
    done
    if [[ $progressed -eq 0 ]]; then sleep 0.2; fi
done

printf '# %d cases in %d s, logs in %s/\n' "$total" "$((SECONDS - start))" "$logdir"
echo "$passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then exit 1; fi
exit 0
