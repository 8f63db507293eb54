# shellcheck shell=bash
# tests/system/lib.sh: declaring and running system test cases (sourced by
# run-tests.sh, which sources cases.sh after it).
#
# A case is declared with
#
#   sys_test NAME PLATFORM STATUS [--expect REGEX]... [--reject REGEX]... -- RUN_ARGS...
#
#   NAME      unique, [A-Za-z0-9._-]+; the transcript goes to build/test-logs/NAME.log
#   PLATFORM  qemu-amd | bochs-amd | bochs-intel (selects tools/run's --vendor/--emu)
#   STATUS    the exit status tools/run must return (0..255)
#   --expect  an extended regex (grep -E) that must match at least one line
#   --reject  an extended regex that must match no line
#   --passes-of REF
#             differential check: every "PASS: name" line in the transcript of
#             the earlier case REF (the reference run) must also be in this one,
#             or be a "KNOWN: name (...)" line there: a check that an emulator
#             deviation (named with its manual section) breaks only in this run
#   RUN_ARGS  the rest of tools/run's arguments: more options (--smp 2,
#             --timeout 30, ...), KERNEL, MODULE... (each one word, which may
#             carry the file's command line: "build/guests/hello.elf probe-slice")
#
# The transcript checked is tools/run's stdout+stderr with \r removed: the
# serial console plus tools/run's own "tools/run: ..." messages.

SYS_NAME=()
SYS_PLATFORM=()
SYS_STATUS=()
SYS_EXPECT=() # regexes, one per line
SYS_REJECT=()
SYS_ARGS=() # tools/run arguments, shell-quoted (printf %q)
SYS_PASSES_OF=() # reference case for the differential check, or empty

sys__die() {
    printf 'tests/system: %s\n' "$*" >&2
    exit 2
}

# sys__platform_opts PLATFORM: tools/run options, one per line
sys__platform_opts() {
    case $1 in
        qemu-amd) printf '%s\n' --vendor amd --emu qemu ;;
        bochs-amd) printf '%s\n' --vendor amd --emu bochs ;;
        bochs-intel) printf '%s\n' --vendor intel --emu bochs ;;
        *) return 1 ;;
    esac
}

sys_test() {
    if [[ $# -lt 3 ]]; then sys__die "sys_test: need NAME PLATFORM STATUS ... -- RUN_ARGS (got: $*)"; fi
    local name=$1 platform=$2 status=$3 n
    shift 3
    if ! [[ $name =~ ^[A-Za-z0-9._-]+$ ]]; then sys__die "sys_test: bad case name '$name'"; fi
    for n in "${SYS_NAME[@]}"; do
        if [[ $n == "$name" ]]; then sys__die "sys_test: case '$name' declared twice"; fi
    done
    if ! sys__platform_opts "$platform" >/dev/null; then
        sys__die "sys_test $name: unknown platform '$platform' (qemu-amd, bochs-amd, bochs-intel)"
    fi
    if ! [[ $status =~ ^[0-9]+$ ]] || ((10#$status > 255)); then
        sys__die "sys_test $name: the expected status must be 0..255, not '$status'"
    fi
    local expect='' reject='' re rc passes_of=''
    while [[ $# -gt 0 && $1 != -- ]]; do
        case $1 in
            --passes-of)
                if [[ $# -lt 2 ]]; then sys__die "sys_test $name: --passes-of needs a case name"; fi
                passes_of=$2
                shift 2
                ;;
            --expect | --reject)
                if [[ $# -lt 2 ]]; then sys__die "sys_test $name: $1 needs a regex"; fi
                re=$2
                if [[ $re == *$'\n'* ]]; then sys__die "sys_test $name: a regex must not contain a newline"; fi
                # grep exits 2 on a bad regex, 1 on no match
                rc=0
                grep -Eq -e "$re" </dev/null 2>/dev/null || rc=$?
                if [[ $rc -gt 1 ]]; then sys__die "sys_test $name: bad regex: $re"; fi
                if [[ $1 == --expect ]]; then expect+=$re$'\n'; else reject+=$re$'\n'; fi
                shift 2
                ;;
            *) sys__die "sys_test $name: unexpected '$1' (--expect RE, --reject RE, then -- RUN_ARGS)" ;;
        esac
    done
    if [[ $# -lt 2 || $1 != -- ]]; then sys__die "sys_test $name: missing '-- RUN_ARGS...' (at least the kernel)"; fi
    shift
    local quoted
    quoted=$(printf '%q ' "$@")
    SYS_NAME+=("$name")
    SYS_PLATFORM+=("$platform")
    SYS_STATUS+=("$((10#$status))")
    SYS_EXPECT+=("$expect")
    SYS_REJECT+=("$reject")
    SYS_ARGS+=("$quoted")
    SYS_PASSES_OF+=("$passes_of")
}

# sys__check_passes I LOGDIR RES: the differential check of case I (after it ran and its
# reference ran); rewrites RES to "not ok" with the missing checks if any.
sys__check_passes() {
    local i=$1 logdir=$2 res=$3 ref=${SYS_PASSES_OF[$1]}
    [[ -n $ref ]] || return 0
    local reflog=$logdir/$ref.log log=$logdir/${SYS_NAME[$i]}.log missing
    if [[ ! -s $reflog ]]; then
        printf 'not ok\nreference transcript %s is missing (run case %s too)\n' "$reflog" "$ref" >"$res"
        return 0
    fi
    missing=$(comm -23 <(sed -nE 's/.*PASS: ([^ ]+).*/\1/p' "$reflog" | sort -u) \
        <(sed -nE 's/.*(PASS|KNOWN): ([^ ]+).*/\2/p' "$log" | sort -u))
    [[ -n $missing ]] || return 0
    {
        echo "not ok"
        echo "checks that pass on the reference ($ref) but not here:"
        printf '  %s\n' $missing
        sed -n '2,$p' "$res"
    } >"$res.tmp"
    mv -f "$res.tmp" "$res"
}

# sys__command I: the tools/run command line of case I, for display
sys__command() {
    local i=$1 w out
    local -a cmd
    mapfile -t cmd < <(sys__platform_opts "${SYS_PLATFORM[$i]}")
    eval "cmd+=(${SYS_ARGS[$i]})"
    out=tools/run
    for w in "${cmd[@]}"; do
        if [[ $w =~ ^[A-Za-z0-9_./,:=+@%-]+$ ]]; then out+=" $w"; else out+=" \"$w\""; fi
    done
    printf '%s\n' "$out"
}

# sys__run_case I WORKDIR LOGDIR RUNNER: run case I; write WORKDIR/I.pid while
# tools/run runs and finally WORKDIR/I.res: "ok" or "not ok" on the first line,
# then the diagnostic lines (without the "# ").
sys__run_case() {
    local i=$1 work=$2 logdir=$3 runner=$4
    local name=${SYS_NAME[$i]} want=${SYS_STATUS[$i]}
    local log=$logdir/$name.log raw=$work/$i.raw res=$work/$i.res.tmp
    local -a cmd
    mapfile -t cmd < <(sys__platform_opts "${SYS_PLATFORM[$i]}")
    eval "cmd+=(${SYS_ARGS[$i]})"

    local start=$SECONDS rc=0
    "$runner" "${cmd[@]}" </dev/null >"$raw" 2>&1 &
    echo "$!" >"$work/$i.pid"
    wait "$!" || rc=$?
    local took=$((SECONDS - start))
    tr -d '\r' <"$raw" >"$log"

    local -a why=()
    local re line
    if [[ $rc -ne $want ]]; then
        why+=("tools/run exited $rc, expected $want")
    fi
    while IFS= read -r re; do
        [[ -n $re ]] || continue
        if ! grep -Eq -e "$re" "$log"; then why+=("no line matches: $re"); fi
    done <<<"${SYS_EXPECT[$i]}"
    while IFS= read -r re; do
        [[ -n $re ]] || continue
        line=$(grep -Em1 -e "$re" "$log" || true)
        if [[ -n $line ]]; then why+=("a line matches the forbidden $re: $line"); fi
    done <<<"${SYS_REJECT[$i]}"

    {
        if [[ ${#why[@]} -eq 0 ]]; then
            echo ok
        else
            echo "not ok"
            printf '%s\n' "${why[@]}"
            printf 'command: %s\n' "$(sys__command "$i")"
            printf 'took %s s; last 30 lines of %s:\n' "$took" "$log"
            tail -n 30 "$log" | sed 's/\x1b/^[/g; s/^/| /'
        fi
    } >"$res"
    mv -f "$res" "$work/$i.res"
}
