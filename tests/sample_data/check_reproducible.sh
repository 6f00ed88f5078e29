#!/usr/bin/env bash
# Regenerates sample-data/ into a temporary folder with the script that made
# it and compares every session file byte for byte with the committed one.
set -u
tendo=$1
root=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
if ! TENDO="$tendo" bash "$root/scripts/make-sample-data.sh" "$work" >"$work/log.txt" 2>&1; then
  cat "$work/log.txt"; echo "0 passed, 1 failed"; exit 1
fi
pass=0 fail=0
for f in "$root"/sample-data/*.h5; do
  name=$(basename "$f")
  if cmp -s "$f" "$work/$name"; then
    echo "ok   $name"; pass=$((pass + 1))
  else
    echo "FAIL $name differs from a fresh run of scripts/make-sample-data.sh"; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$pass" -ge 4 ] && [ "$fail" -eq 0 ]
