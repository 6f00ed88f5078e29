#!/usr/bin/env bash
# Regenerates sample-data/ from the simulator profiles and the shared real
# recording. Same tendo version + same inputs = same bytes.
#
#   bash scripts/make-sample-data.sh [OUT_DIR]      (default: sample-data/)
#
# tests/formats runs it into a temporary folder and compares the result with
# the committed files byte for byte.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tendo=${TENDO:-$root/build/tools/tendo}
out=${1:-$root/sample-data}
profiles=$root/sample-data/profiles
gaitmap=${TENDO_SHARED_DATA:-$root/../shared/data}/gaitmap-walking
mkdir -p "$out"

# Simulated sessions: 500 Hz keeps the folder small; seeds and start times are
# fixed so every run of this script gives the same files.
"$tendo" simulate --profile "$profiles/easy-run.json" --rate 500 --seed 101 \
  --athlete sample --start 2026-01-05T07:00:00Z --out "$out/easy-run.h5" --force
"$tendo" simulate --profile "$profiles/intervals.json" --rate 500 --seed 102 \
  --athlete sample --start 2026-01-07T07:00:00Z --out "$out/intervals.h5" --force
"$tendo" simulate --profile "$profiles/hilly.json" --rate 500 --seed 103 \
  --athlete sample --start 2026-01-10T08:00:00Z --out "$out/hilly.h5" --force

# The real recording: gaitmap's example walking trial (MIT licence).
"$tendo" import csv --rate 204.8 --left "$gaitmap/left.csv" --right "$gaitmap/right.csv" \
  --athlete gaitmap --start 2019-01-01T00:00:00Z --serial-left nilspod-left \
  --serial-right nilspod-right --out "$out/gaitmap-walking.h5" --force
