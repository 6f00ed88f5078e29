#!/usr/bin/env bash
# Runs every fuzz target of a TENDO_FUZZ build for a bounded time, two at a
# time, then sorts what they found (fuzz/README.md):
#
#   bash fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
#
# BUILD_DIR was configured with -DCMAKE_C_COMPILER=clang -DTENDO_FUZZ=ON and
# built with `cmake --build BUILD_DIR --target fuzz_all`. Each target runs in
# libFuzzer's fork mode, which keeps going after a crash, a leak, an
# out-of-memory or a timeout (-timeout=10 s per input, -rss_limit_mb=2048,
# -malloc_limit_mb=2048). Every such input is then replayed alone through the
# target's standalone driver and sorted by triage.py:
#   ours      the failure is in tendo's code: the run FAILS (exit 1);
#   upstream  inside a system library (libhdf5 on a hostile file): reported
#             with its input kept under BUILD_DIR/fuzz-findings/, not failing;
#   none      did not reproduce alone: reported, not failing.
# Prints executions and findings per target and a final verdict line.
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "$0")" && pwd)
tsv=$build/fuzz/targets.tsv
[ -f "$tsv" ] || { echo "fuzz: $tsv missing: configure with -DTENDO_FUZZ=ON" >&2; exit 2; }
work=$build/fuzz-work
findings=$build/fuzz-findings
mkdir -p "$work" "$findings"
jobs=${TENDO_FUZZ_JOBS:-2}
max_triage=${TENDO_FUZZ_MAX_TRIAGE:-12}

wanted() { [ $# -eq 1 ] && return 0; local t; for t in "${@:2}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# One target: fuzz, then triage. Writes $work/NAME.result (one line).
fuzz_one() {
    local name=$1 max_len=$2 dict=$3 seeds=$4
    local bin=$build/fuzz/fuzz_$name replay=$build/fuzz/fuzz_${name}_replay
    local dir=$work/$name
    rm -rf "$dir/artifacts"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    local args=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
                -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
                -max_len="$max_len" -artifact_prefix="$dir/artifacts/" -print_final_stats=1)
    [ "$dict" != "-" ] && args+=(-dict="$dict")
    IFS=, read -r -a seed_dirs <<< "$seeds"
    ASAN_OPTIONS=detect_leaks=1 timeout -k 10 $((seconds * 2 + 120)) \
        "$bin" "${args[@]}" "$dir/corpus" "${seed_dirs[@]}" > "$dir/log" 2>&1
    local execs
    execs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
    local ours=0 upstream=0 none=0 triaged=0 skipped=0
    : > "$dir/findings"
    # Crashes and leaks first: they replay fast; timeouts take seconds each.
    for a in $(ls "$dir/artifacts" | sort -t- -k1,1 -s | awk -F- '{p=($1=="crash")?0:($1=="leak")?1:($1=="oom")?2:3; print p" "$0}' | sort -n -s | cut -d' ' -f2); do
        if [ "$triaged" -ge "$max_triage" ]; then skipped=$((skipped + 1)); continue; fi
        triaged=$((triaged + 1))
        local verdict
        verdict=$(ASAN_OPTIONS=handle_abort=1:detect_leaks=1:fast_unwind_on_malloc=0:max_allocation_size_mb=2048:allocator_may_return_null=0 \
                  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                  timeout -s ABRT -k 5 20 "$replay" "$dir/artifacts/$a" 2>&1 | /usr/bin/python3 "$here/triage.py")
        printf '%s\t%s\n' "$a" "$verdict" >> "$dir/findings"
        case "$verdict" in
            ours*) ours=$((ours + 1)); mkdir -p "$findings/$name/ours"; cp "$dir/artifacts/$a" "$findings/$name/ours/" ;;
            upstream*) upstream=$((upstream + 1)); mkdir -p "$findings/$name/upstream"; cp "$dir/artifacts/$a" "$findings/$name/upstream/" ;;
            *) none=$((none + 1)) ;;
        esac
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${execs:-0}" "$ours" "$upstream" "$none" "$skipped" \
        "$(ls "$dir/corpus" | wc -l)" > "$work/$name.result"
}

names=()
while IFS=$'\t' read -r name max_len dict seeds regressions; do
    [ -n "$name" ] || continue
    wanted "$name" "$@" || continue
    names+=("$name")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    rm -f "$work/$name.result"
    fuzz_one "$name" "$max_len" "$dict" "$seeds" &
done < "$tsv"
wait

fail=0 total_upstream=0
printf '%-16s %12s %8s %6s %9s %8s\n' target executions exec/s ours upstream no-repro
for name in "${names[@]}"; do
    if [ ! -f "$work/$name.result" ]; then
        echo "fuzz: $name did not finish"; fail=1; continue
    fi
    IFS=$'\t' read -r _ execs ours upstream none skipped corpus < "$work/$name.result"
    printf '%-16s %12s %8s %6s %9s %8s\n' "$name" "$execs" "$((execs / seconds))" "$ours" "$upstream" "$none"
    [ "$skipped" -gt 0 ] && echo "  ($skipped more findings not replayed: see $work/$name/artifacts)"
    if [ "$execs" -eq 0 ]; then echo "  FAIL $name: no executions (see $work/$name/log)"; fail=1; fi
    if [ "$ours" -gt 0 ]; then
        fail=1
        grep -P '\tours' "$work/$name/findings" | sed 's/^/  FAIL /' | cut -c1-300
        echo "  inputs in $findings/$name/ours: fix, then add them to fuzz/regressions/$name/"
    fi
    if [ "$upstream" -gt 0 ]; then
        grep -P '\tupstream' "$work/$name/findings" | cut -f3 | cut -d'|' -f2 | sort | uniq -c | sed 's/^/  upstream: /' | head -5
    fi
    total_upstream=$((total_upstream + upstream))
done
if [ "$fail" -ne 0 ]; then
    echo "fuzz: FAILED (a finding in tendo's code, or a target that did not run)"
    exit 1
fi
echo "fuzz: ok: ${#names[@]} targets, ${seconds} s each, no finding in tendo's code ($total_upstream upstream)"
