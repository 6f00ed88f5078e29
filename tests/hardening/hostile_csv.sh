#!/usr/bin/env bash
# `tendo import csv` on hostile and broken CSV files (issue 7): enormous
# lines, binary garbage, UTF-16, mixed decimal separators, missing columns,
# NaN/Inf, negative and decreasing time, sample intervals that imply a rate
# of 0 or 10^9 Hz. Each must give its exit code and a message naming the
# file and line; a refused import must leave nothing behind (no output, no
# temporary file); memory stays bounded on a 16 MiB single-line file.
#   hostile_csv.sh TENDO WORK_DIR
set -u
tendo=$1
work=$2
rm -rf "$work" && mkdir -p "$work/in" "$work/out"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# expect NAME EXIT FRAGMENT: imports in/NAME.csv as the left pod.
expect() {
    local name=$1 code=$2 fragment=$3 out="$work/out/$1.h5"
    local msg rc
    msg=$("$tendo" import csv --rate 100 --left "$work/in/$name.csv" --out "$out" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" = "$code" ] || { bad "$name: exit $rc, expected $code ($msg)"; return; }
    if [ "$code" != 0 ]; then
        [[ "$msg" == *"$fragment"* ]] || { bad "$name: message '$msg' lacks '$fragment'"; return; }
        [[ "$msg" == *"$name.csv"* ]] || { bad "$name: message '$msg' does not name the file"; return; }
        [ ! -e "$out" ] || { bad "$name: refused, but $out exists"; return; }
    else
        "$tendo" inspect "$out" >/dev/null || { bad "$name: imported file does not inspect"; return; }
    fi
    [ -z "$(ls -A "$work/out" | grep partial)" ] || { bad "$name: a temporary file is left"; return; }
    ok
}

in=$work/in
py=/usr/bin/python3
# Enormous lines: one past the 64 KiB limit, and 16 MiB with no line break.
$py -c "import sys; sys.stdout.write('t,ax,ay,az\n0,1,2,' + '3' * 70000 + '\n')" > "$in/long-line.csv"
$py -c "import sys; sys.stdout.write('t,ax,ay,az\n' + '1' * (16 << 20))" > "$in/no-line-breaks.csv"
expect long-line 65 ":2: line is longer than 65536 bytes"
expect no-line-breaks 65 ":2: line is longer than 65536 bytes"
# Binary garbage (fixed seed) and a UTF-16 export.
$py -c "import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(1 << 20)))" > "$in/garbage.csv"
expect garbage 65 ":1:"
printf 't,ax,ay,az\n0,1,2,3\n' | iconv -f UTF-8 -t UTF-16 > "$in/utf16.csv"
expect utf16 65 "NUL byte"
# Decimal separators: a decimal comma in a comma file, and mixed within a file.
printf 't,ax,ay,az\n0,9,81,0,0\n' > "$in/decimal-comma.csv"
expect decimal-comma 65 "decimal comma"
printf 't,ax,ay,az\n0,9.81,0,0\n0.01,"9,81",0,0\n' > "$in/mixed-separators.csv"
expect mixed-separators 65 ":3: 'ax' is '9,81', which uses a decimal comma"
printf 't;ax;ay;az\n0;9,81;0;0\n' > "$in/semicolons.csv"
expect semicolons 65 "';'"
# Missing columns: in the header, and a short row.
printf 't,ax,ay\n0,1,2\n' > "$in/no-az.csv"
expect no-az 65 "no 'az' column"
printf 't,ax,ay,az\n0,1,2,3\n0.01,1,2\n' > "$in/short-row.csv"
expect short-row 65 ":3: 3 fields, but the header has 4"
printf 't,ax,ay,az\n0,1,,3\n' > "$in/empty-field.csv"
expect empty-field 65 ":2: 'ay' is empty"
# NaN and infinity, in every spelling strtod would take.
for v in nan NaN -nan inf -Infinity 1e999; do
    printf 't,ax,ay,az\n0,1,2,3\n0.01,1,%s,3\n' "$v" > "$in/value-$v.csv"
    expect "value-$v" 65 ":3: 'ay' is"
done
printf 't,ax,ay,az\nnan,1,2,3\n' > "$in/time-nan.csv"
expect time-nan 65 ":2: 't' is 'nan'"
# Time: negative is a valid origin; decreasing, repeated, 1 ns steps
# (10^9 Hz) and an absurd timestamp are not.
printf 't,ax,ay,az\n-2.5,1,2,3\n-2.49,1,2,3\n-2.48,1,2,3\n' > "$in/negative-time.csv"
expect negative-time 0 ""
printf 't,ax,ay,az\n0,1,2,3\n0.02,1,2,3\n0.01,1,2,3\n' > "$in/decreasing-time.csv"
expect decreasing-time 65 ":4: t = 0.01 s is not later than the previous row's 0.02 s"
printf 't,ax,ay,az\n5,1,2,3\n5,1,2,3\n' > "$in/rate-zero.csv"
expect rate-zero 65 ":3: t = 5 s is not later"
printf 't,ax,ay,az\n0,1,2,3\n0.000000001,1,2,3\n' > "$in/rate-1e9.csv"
expect rate-1e9 65 ":3: t = 1e-09 s is less than 1 µs after"
printf 't,ax,ay,az\n1767225600123,1,2,3\n' > "$in/epoch-ms.csv"
expect epoch-ms 65 ":2: t = 1.76723e+12 s is beyond"
# Values beyond float32, and an empty file.
printf 't,ax,ay,az\n0,1e39,2,3\n' > "$in/beyond-float.csv"
expect beyond-float 65 "float32"
: > "$in/empty.csv"
expect empty 65 ":1: the file is empty"
printf 't,ax,ay,az\n' > "$in/header-only.csv"
expect header-only 65 "no data rows"

# Memory stays flat on the 16 MiB line (the reader's line buffer is fixed).
if [ -z "${TENDO_TEST_WRAP:-}" ] && [ -x /usr/bin/time ]; then
    /usr/bin/time -o "$work/rss.txt" -f '%M' "$tendo" import csv --rate 100 \
        --left "$in/no-line-breaks.csv" --out "$work/out/rss.h5" >/dev/null 2>&1
    kb=$(tail -1 "$work/rss.txt")
    if [ "${kb:-0}" -gt 0 ] && [ "$kb" -lt 262144 ]; then ok; else bad "16 MiB line: peak RSS ${kb} KiB"; fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 20 ]
