#!/usr/bin/env bash
# Crash safety of session writes: `tendo simulate` killed with SIGKILL at
# several points never leaves anything under the final name, never damages
# an existing file it was replacing, and the next run removes the dead
# writer's temporary file and completes; `tendo analyze` killed while it
# stores /analysis leaves the recording intact. Bounded: 11 kills.
set -u
tendo=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }

# Delays spread over the run (a 20-minute simulation takes ~1-2 s here); the
# assertions hold wherever the kill lands, so no timing is asserted.
for delay in 0.05 0.2 0.4 0.7 1.0 1.5; do
  out="$work/run.h5"
  rm -f "$out"
  "$tendo" simulate --minutes 20 --seed 3 --out "$out" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -e "$out" ]; then
    # The kill came after the rename: the file must then be complete.
    check "kill at $delay s: a file under the final name is complete" \
      "'$tendo' inspect '$out' >/dev/null 2>&1"
  else
    check "kill at $delay s: nothing under the final name" "true"
  fi
done

# Replacing an existing file with --force and dying leaves the old bytes.
"$tendo" simulate --minutes 1 --seed 5 --out "$work/keep.h5" >/dev/null
cp "$work/keep.h5" "$work/keep.orig"
"$tendo" simulate --minutes 20 --seed 6 --out "$work/keep.h5" --force >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if cmp -s "$work/keep.h5" "$work/keep.orig"; then
  check "killed --force leaves the old file" "true"
else
  check "killed --force leaves the old file or a complete new one" \
    "'$tendo' inspect '$work/keep.h5' >/dev/null 2>&1"
fi

# A completed run cleans up the temporary files of dead writers.
"$tendo" simulate --minutes 1 --seed 3 --out "$work/run.h5" --force >/dev/null
check "a complete run after the kills inspects clean" "'$tendo' inspect '$work/run.h5' >/dev/null"
check "no dead writer's .partial file is left for run.h5" \
  "[ -z \"\$(ls -A '$work' | grep '^\.run\.h5\..*\.partial$')\" ]"
# `tendo analyze` stores /analysis through an update (a copy of the file whose
# raw chunks are verified byte for byte, renamed over it): killed at any
# point it leaves the original bytes, or a complete file with the same
# recording (every /sensors dataset equal, read with h5py alone).
"$tendo" simulate --minutes 20 --seed 7 --out "$work/an.orig" >/dev/null
same_recording() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    names = []
    a["sensors"].visit(names.append)
    ok = set(a["sensors"]) == set(b["sensors"]) and "analysis" in b
    for n in names:
        x, y = a["sensors"][n], b["sensors"][n]
        if isinstance(x, h5py.Dataset):
            ok = ok and x.dtype == y.dtype and np.array_equal(x[()], y[()])
sys.exit(0 if ok else 1)
PY
}
for delay in 0.05 0.2 0.4 0.7 1.0; do
  cp "$work/an.orig" "$work/an.h5"
  "$tendo" analyze "$work/an.h5" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if cmp -s "$work/an.h5" "$work/an.orig"; then
    check "analyze killed at $delay s: the original is untouched" "true"
  else
    check "analyze killed at $delay s: a complete file with the same recording" \
      "'$tendo' inspect '$work/an.h5' >/dev/null 2>&1 && same_recording '$work/an.orig' '$work/an.h5'"
  fi
done
"$tendo" analyze "$work/an.h5" >/dev/null
check "analyze after the kills stores /analysis and keeps the recording" \
  "same_recording '$work/an.orig' '$work/an.h5'"
check "no dead analyze's .partial file is left for an.h5" \
  "[ -z \"\$(ls -A '$work' | grep '^\.an\.h5\..*\.partial$')\" ]"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
