#!/usr/bin/env bash
# The command line's contract: --version, --help on every subcommand, exit
# codes for unknown commands, and a demo that ends with its files written.
set -u
tendo=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
pass=0 fail=0
expect() { # expect CODE DESCRIPTION -- CMD...
  local code=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ "$rc" = "$code" ]; then pass=$((pass + 1)); echo "ok   $what"
  else fail=$((fail + 1)); echo "FAIL $what: exit $rc, expected $code"; cat "$work/err"; fi
}
expect 0 "--version" -- "$tendo" --version
grep -q '^tendo [0-9]' "$work/out" || { fail=$((fail + 1)); echo "FAIL --version output"; }
expect 0 "--help" -- "$tendo" --help
for cmd in demo simulate import export inspect; do
  expect 0 "$cmd --help" -- "$tendo" "$cmd" --help
  grep -q "usage: tendo $cmd" "$work/out" || { fail=$((fail + 1)); echo "FAIL $cmd --help lacks usage"; }
  expect 0 "help $cmd" -- "$tendo" help "$cmd"
done
expect 64 "no command" -- "$tendo"
expect 64 "unknown command" -- "$tendo" frobnicate
grep -q "not a tendo command" "$work/err" || { fail=$((fail + 1)); echo "FAIL unknown command message"; }
expect 64 "inspect without files" -- "$tendo" inspect
expect 66 "inspect missing file" -- "$tendo" inspect "$work/nope.h5"
expect 64 "demo unknown option" -- "$tendo" demo --bogus
expect 0 "demo" -- "$tendo" demo --out "$work/demo"
for f in run.h5 run-csv/left.csv run-csv/right.csv; do
  [ -s "$work/demo/$f" ] || { fail=$((fail + 1)); echo "FAIL demo did not write $f"; }
done
expect 0 "demo output is a valid session" -- "$tendo" inspect "$work/demo/run.h5"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
