#!/usr/bin/env bash
# Runs `tendo inspect` on every file of the bad-file corpus and checks the
# exit code and that the message names the problem (expected.tsv).
set -u
tendo=$1
corpus=$2
fail=0
count=0
while IFS=$'\t' read -r file code fragment; do
  case "$file" in ''|'#'*) continue ;; esac
  count=$((count + 1))
  out=$("$tendo" inspect "$corpus/$file" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" != "$code" ]; then
    echo "FAIL $file: exit $rc, expected $code ($out)"; fail=$((fail + 1)); continue
  fi
  if [ "$code" != 0 ] && [[ "$out" != *"$fragment"* ]]; then
    echo "FAIL $file: message '$out' lacks '$fragment'"; fail=$((fail + 1)); continue
  fi
  if [ "$code" != 0 ] && [[ "$out" != *"$file"* ]]; then
    echo "FAIL $file: message '$out' does not name the file"; fail=$((fail + 1)); continue
  fi
  echo "ok   $file -> $rc"
done < "$corpus/expected.tsv"
echo "$((count - fail)) passed, $fail failed"
[ "$count" -gt 20 ] && [ "$fail" -eq 0 ]
