#!/usr/bin/env bash
# Crash safety beyond formats.crash_safety (issue 7, SECURITY.md):
#  1. `tendo analyze` (its store path: a verified copy renamed over the
#     original) killed with SIGKILL at random points: the file under the
#     final name is always either the original, byte for byte, or a complete
#     analysed file with the same raw samples; a rerun stores the analysis
#     exactly once (same steps as a clean run, nothing doubled) and leaves no
#     temporary file.
#  2. `tendo import csv` and `tendo simulate` killed at random points:
#     nothing, or a complete file, under the final name; a rerun succeeds
#     and leaves no temporary file.
#  3. Disk full (RLIMIT_FSIZE, SIGXFSZ ignored so writes fail with EFBIG):
#     simulate, import and analyze exit 74 with a message, write nothing
#     under a final name and leave the original untouched.
#  4. A read-only output folder (as an unprivileged user when run as root):
#     exit 73, a message, the input untouched.
# Kill points are random (fixed seed) within the measured length of one run,
# so the loops stay bounded; no assertion depends on timing. Inputs are as
# small as the checks allow (a kill lands in a random phase of a run of any
# length; disk full needs outputs over the 1 MiB limit): this test is the
# longest of the ASan stage, where tendo runs ~4x slower.
#   crash_safety.sh TENDO WORK_DIR
set -u
tendo=$1
work=$2
py=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && chmod 755 "$work"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
now() { cut -d' ' -f1 /proc/uptime; }
RANDOM=7
# A random delay in [0, max) seconds, max a decimal.
delay_in() { awk -v m="$1" -v r="$RANDOM" 'BEGIN { printf "%.3f", m * r / 32768 }'; }
no_partial() { [ -z "$(ls -A "$1" | grep -E '\.partial$|\.tmp$')" ]; }
# The raw recording of a session as CSV text (export is deterministic).
raw_of() { rm -rf "$2" && mkdir -p "$2" && "$tendo" export csv "$1" --out "$2" >/dev/null 2>&1; }
steps_of() {
    $py -c "import h5py, sys
f = h5py.File(sys.argv[1], 'r')
a = f.get('analysis')
print(-1 if a is None else sum(len(a[k]['steps']) for k in a if isinstance(a[k], h5py.Group) and 'steps' in a[k]))" "$1"
}

# ---------------------------------------------------------------- analyze
a=$work/analyze && mkdir -p "$a"
"$tendo" simulate --minutes 3 --seed 11 --out "$a/orig.h5" >/dev/null
raw_of "$a/orig.h5" "$a/raw-orig"
cp "$a/orig.h5" "$a/clean.h5"
t0=$(now); "$tendo" analyze "$a/clean.h5" >/dev/null; t1=$(now)
run_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1.2 + 0.05 }')
want_steps=$(steps_of "$a/clean.h5")
check "a clean analyze stores steps" "[ '$want_steps' -gt 100 ]"
for i in 1 2 3 4 5 6 7 8; do
    cp "$a/orig.h5" "$a/run.h5"
    "$tendo" analyze "$a/run.h5" >/dev/null 2>&1 &
    pid=$!
    sleep "$(delay_in "$run_s")"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if cmp -s "$a/run.h5" "$a/orig.h5"; then
        check "analyze kill $i: original bytes kept" "true"
    else
        check "analyze kill $i: a changed file is complete" "'$tendo' inspect '$a/run.h5' >/dev/null 2>&1"
        raw_of "$a/run.h5" "$a/raw-run"
        check "analyze kill $i: raw samples unchanged" "diff -r '$a/raw-orig' '$a/raw-run' >/dev/null"
        check "analyze kill $i: analysis stored once" "[ \"\$(steps_of '$a/run.h5')\" = '$want_steps' ]"
    fi
    # The rerun (a second analyze of an analysed file too) stores it once.
    "$tendo" analyze "$a/run.h5" >/dev/null 2>&1
    check "analyze kill $i: rerun stores the analysis exactly once" \
        "[ \"\$(steps_of '$a/run.h5')\" = '$want_steps' ]"
    check "analyze kill $i: rerun leaves no temporary file" "no_partial '$a'"
done
raw_of "$a/run.h5" "$a/raw-run"
check "analyze: raw samples identical after kills and reruns" "diff -r '$a/raw-orig' '$a/raw-run' >/dev/null"

# ------------------------------------------------------- import, simulate
m=$work/import && mkdir -p "$m"
$py -c "
import math
with open('$m/big.csv', 'w') as f:
    f.write('t,ax,ay,az,gx,gy,gz\n')
    for i in range(200000):
        t = i / 1000
        f.write(f'{t:.3f},{math.sin(t):.5f},0.1,9.81,{math.cos(t):.5f},0,0.5\n')"
t0=$(now); "$tendo" import csv --rate 1000 --left "$m/big.csv" --out "$m/ref.h5" >/dev/null; t1=$(now)
run_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1.2 + 0.05 }')
for i in 1 2 3 4 5 6; do
    rm -f "$m/run.h5"
    "$tendo" import csv --rate 1000 --left "$m/big.csv" --out "$m/run.h5" >/dev/null 2>&1 &
    pid=$!
    sleep "$(delay_in "$run_s")"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -e "$m/run.h5" ]; then
        check "import kill $i: a file under the final name is complete" \
            "'$tendo' inspect '$m/run.h5' >/dev/null 2>&1"
    else
        check "import kill $i: nothing under the final name" "true"
    fi
done
"$tendo" import csv --rate 1000 --left "$m/big.csv" --out "$m/run.h5" --force >/dev/null
check "import: the rerun gives the same file as an uninterrupted import" "cmp -s '$m/run.h5' '$m/ref.h5'"
check "import: no temporary file left" "no_partial '$m'"

s=$work/simulate && mkdir -p "$s"
t0=$(now); "$tendo" simulate --minutes 4 --seed 4 --out "$s/ref.h5" >/dev/null; t1=$(now)
run_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1.2 + 0.05 }')
for i in 1 2 3 4 5 6; do
    rm -f "$s/run.h5"
    "$tendo" simulate --minutes 4 --seed 4 --out "$s/run.h5" >/dev/null 2>&1 &
    pid=$!
    sleep "$(delay_in "$run_s")"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -e "$s/run.h5" ]; then
        check "simulate kill $i: a file under the final name is the finished file" "cmp -s '$s/run.h5' '$s/ref.h5'"
    else
        check "simulate kill $i: nothing under the final name" "true"
    fi
done
"$tendo" simulate --minutes 4 --seed 4 --out "$s/run.h5" --force >/dev/null
check "simulate: the rerun gives the finished file" "cmp -s '$s/run.h5' '$s/ref.h5'"
check "simulate: no temporary file left" "no_partial '$s'"

# --------------------------------------------------------------- disk full
d=$work/full && mkdir -p "$d"
# 1 MiB per file (ulimit -f counts 1024-byte blocks); SIGXFSZ ignored so a
# write past it fails with EFBIG instead of killing the process.
limited() { ( trap '' XFSZ; ulimit -f 1024; "$@" ); }
out=$(limited "$tendo" simulate --minutes 4 --seed 2 --out "$d/sim.h5" 2>&1 >/dev/null); rc=$?
check "disk full: simulate exits 74 (got $rc: $out)" "[ $rc = 74 ]"
check "disk full: simulate says why" "[[ '$out' == *'sim.h5'* ]]"
check "disk full: simulate leaves nothing under the final name" "[ ! -e '$d/sim.h5' ]"
out=$(limited "$tendo" import csv --rate 1000 --left "$m/big.csv" --out "$d/imp.h5" 2>&1 >/dev/null); rc=$?
check "disk full: import exits 74 (got $rc: $out)" "[ $rc = 74 ]"
check "disk full: import leaves nothing under the final name" "[ ! -e '$d/imp.h5' ]"
"$tendo" simulate --minutes 4 --seed 3 --out "$d/big.h5" >/dev/null
cp "$d/big.h5" "$d/big.orig"
out=$(limited "$tendo" analyze "$d/big.h5" 2>&1 >/dev/null); rc=$?
check "disk full: analyze of a file larger than the limit exits 74 (got $rc: $out)" "[ $rc = 74 ]"
check "disk full: analyze leaves the original byte for byte" "cmp -s '$d/big.h5' '$d/big.orig'"
check "disk full: no temporary file left" "no_partial '$d'"

# ------------------------------------------------------ read-only folder
r=$work/readonly && mkdir -p "$r/in" "$r/out"
"$tendo" simulate --minutes 1 --seed 5 --out "$r/in/run.h5" >/dev/null
cp "$r/in/run.h5" "$r/run.orig"
chmod 755 "$r" "$r/in" "$r/out" && chmod 644 "$r/in/run.h5"
chmod 555 "$r/in" "$r/out"
as_user=()
if [ "$(id -u)" = 0 ]; then
    # root writes through permission bits: run as nobody instead.
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
out=$("${as_user[@]}" "$tendo" simulate --minutes 1 --out "$r/out/new.h5" 2>&1 >/dev/null); rc=$?
check "read-only: simulate exits 73 (got $rc: $out)" "[ $rc = 73 ]"
check "read-only: simulate names the folder" "[[ '$out' == *'$r/out'* ]]"
out=$("${as_user[@]}" "$tendo" import csv --rate 1000 --left "$m/big.csv" --out "$r/out/imp.h5" 2>&1 >/dev/null); rc=$?
check "read-only: import exits 73 (got $rc: $out)" "[ $rc = 73 ]"
out=$("${as_user[@]}" "$tendo" analyze "$r/in/run.h5" 2>&1 >/dev/null); rc=$?
check "read-only: analyze in a read-only folder exits 73 (got $rc: $out)" "[ $rc = 73 ]"
check "read-only: analyze leaves the input byte for byte" "cmp -s '$r/in/run.h5' '$r/run.orig'"
out=$("${as_user[@]}" "$tendo" export csv "$r/in/run.h5" --out "$r/out/csv" 2>&1 >/dev/null); rc=$?
check "read-only: export exits 73 (got $rc: $out)" "[ $rc = 73 ]"
chmod 755 "$r/in" "$r/out"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
