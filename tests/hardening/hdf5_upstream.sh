#!/usr/bin/env bash
# Files that crash or hang libhdf5 itself (hdf5-upstream/README.md), a
# decompression bomb, and a large chunk against a small probe memory limit: `tendo inspect`,
# `analyze` and `export` must each exit 65 with a message naming the file
# and saying why, never die of a signal, print nothing on stdout and write
# nothing (the file and its folder stay byte for byte the same).
#   hdf5_upstream.sh TENDO CASES_DIR BOMB.h5 WORK_DIR [asan|plain]
set -u
tendo=$1
cases=$2
bomb=$3
work=$4
build=${5:-plain}
rm -rf "$work" && mkdir -p "$work"
# The hangs spin inside libhdf5 until the probe's CPU limit: keep it short.
export TENDO_PROBE_SECONDS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# run NAME FRAGMENT CMD...: CMD must exit 65, with stderr's tendo line naming
# NAME and holding FRAGMENT, an empty stdout and an unchanged folder.
run() {
    local name=$1 fragment=$2
    shift 2
    local before after rc line
    before=$(cd "$work/d" && sha256sum -- * | sort)
    "$@" >"$work/stdout" 2>"$work/stderr"
    rc=$?
    after=$(cd "$work/d" && sha256sum -- * | sort)
    # under ASan the child's own report precedes tendo's message
    line=$(grep '^tendo ' "$work/stderr" | tail -n 1)
    [ "$rc" = 65 ] || { bad "$name: '$*' exit $rc, expected 65 ($(tail -n 3 "$work/stderr"))"; return; }
    [[ "$line" == *"$name"* ]] || { bad "$name: '$*': message '$line' does not name the file"; return; }
    [[ "$line" == *"$fragment"* ]] || { bad "$name: '$*': message '$line' lacks '$fragment'"; return; }
    [ ! -s "$work/stdout" ] || { bad "$name: '$*' printed on stdout"; return; }
    [ "$before" = "$after" ] || { bad "$name: '$*' changed the folder"; return; }
    ok
}

n=0
for f in "$cases"/*.h5; do
    name=$(basename "$f")
    rm -rf "$work/d" "$work/out" && mkdir -p "$work/d"
    cp "$f" "$work/d/$name"
    case "$name" in
        crash-*) why="crashed" ;;
        timeout-*) why="ran out of time" ;;
        *) why="" ;;
    esac
    run "$name" "the HDF5 library $why" "$tendo" inspect "$work/d/$name"
    run "$name" "the HDF5 library $why" "$tendo" analyze "$work/d/$name"
    # the hangs cost a CPU limit each: the other commands on crashes only
    [ "$why" = crashed ] || { n=$((n + 1)); continue; }
    run "$name" "the HDF5 library $why" "$tendo" inspect --json "$work/d/$name"
    run "$name" "the HDF5 library $why" "$tendo" export csv "$work/d/$name" --out "$work/out"
    [ ! -e "$work/out" ] || bad "$name: export created $work/out"
    n=$((n + 1))
done
[ "$n" -ge 7 ] || bad "only $n cases in $cases"

# A chunk that inflates to ~80 MiB from a 100 KB file (HDF5's own deflate
# filter would inflate it whole): the sandboxed check decodes only a first
# chunk, so this is refused in tendo's own process, by the reader's chunk
# decoder, which inflates into exactly the chunk's bytes; every command that
# reads samples, with tendo's whole address space limited to 600 MiB (it
# needs ~150 MiB here).
# (AddressSanitizer maps terabytes of shadow: no address-space limit there.)
limit=600000
[ "$build" = plain ] || limit=unlimited
rm -rf "$work/d" && mkdir -p "$work/d"
cp "$bomb" "$work/d/bomb.h5"
run bomb.h5 "a decompression bomb" bash -c 'ulimit -v "$0" && exec "$@"' "$limit" \
    "$tendo" inspect "$work/d/bomb.h5"
run bomb.h5 "a decompression bomb" bash -c 'ulimit -v "$0" && exec "$@"' "$limit" \
    "$tendo" analyze "$work/d/bomb.h5"

# A one-hostile-chunk file: a 3-minute session whose SECOND accel chunk
# (768 KiB of samples, ~600 KB stored, within the stored-size bound) is a
# zlib stream of 600 MiB. The sandboxed check decodes first chunks only, so
# this reaches the reader in tendo's own process: analyze and export read it
# under a 600 MiB address space and must refuse it (HDF5's own filter would
# need 600 MiB+ for it).
rm -rf "$work/d" && mkdir -p "$work/d"
"$tendo" simulate --out "$work/d/bomb2.h5" --minutes 3 --rate 1000 >/dev/null 2>&1 ||
    bad "simulate for bomb2.h5 failed"
/usr/bin/python3 - "$work/d/bomb2.h5" <<'PY'
import sys, zlib, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for serial in f["sensors"]:
        z = zlib.compressobj(9)
        block = bytes(1 << 20)
        stream = b"".join(z.compress(block) for _ in range(600)) + z.flush()
        f["sensors"][serial]["accel"].id.write_direct_chunk((131072, 0), stream, 0)
        break
PY
run bomb2.h5 "a decompression bomb" bash -c 'ulimit -v "$0" && exec "$@"' "$limit" \
    "$tendo" analyze "$work/d/bomb2.h5"
run bomb2.h5 "a decompression bomb" bash -c 'ulimit -v "$0" && exec "$@"' "$limit" \
    "$tendo" export csv "$work/d/bomb2.h5" --out "$work/out"
[ ! -e "$work/out" ] || bad "bomb2.h5: export created $work/out"

# A legal 64 MiB chunk (zeros, 64 KB stored; the largest chunk tendo reads):
# read by default (exit 0), also by the reader's own decoder under the same
# 600 MiB address space.
rm -rf "$work/d" && mkdir -p "$work/d"
cp "$(dirname "$bomb")/good-int16.h5" "$work/d/big-chunk.h5"
/usr/bin/python3 - "$work/d/big-chunk.h5" <<'PY'
import sys, zlib, h5py
with h5py.File(sys.argv[1], "r+") as f:
    g = f["sensors/P1"]
    n = g["status"].shape[0]
    del g["status"]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((64 << 20,))
    dcpl.set_deflate(1)
    space = h5py.h5s.create_simple((n,), (h5py.h5s.UNLIMITED,))
    ds = h5py.h5d.create(g.id, b"status", h5py.h5t.STD_U8LE, space, dcpl=dcpl)
    ds.write_direct_chunk((0,), zlib.compress(bytes(64 << 20), 9), 0)
PY
"$tendo" inspect "$work/d/big-chunk.h5" >/dev/null 2>"$work/stderr" ||
    bad "big-chunk.h5: a legal 64 MiB chunk is refused: $(cat "$work/stderr")"
bash -c 'ulimit -v "$0" && exec "$@"' "$limit" "$tendo" inspect --json "$work/d/big-chunk.h5" \
    >"$work/stdout" 2>"$work/stderr" ||
    bad "big-chunk.h5: a legal 64 MiB chunk under ulimit -v $limit: $(cat "$work/stderr")"
grep -q '"samples": *200' "$work/stdout" || bad "big-chunk.h5: inspect --json: $(head -c 300 "$work/stdout")"
# With the check held to 64 MiB more address space, HDF5's decode of that
# chunk fails for lack of memory in the child, which is a clean refusal
# there (the same as for a hostile size), not a crash: the samples are
# tendo's reader's job, and it reads them within the chunk's own bound.
# (AddressSanitizer aborts on a failed allocation by default; real malloc
# returns NULL, which is what HDF5 and this case rely on.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" \
TENDO_PROBE_MEMORY_MB=64 "$tendo" inspect --json "$work/d/big-chunk.h5" >"$work/stdout" \
    2>"$work/stderr" || bad "big-chunk.h5: refused with a 64 MiB check: $(cat "$work/stderr")"
grep -q '"samples": *200' "$work/stdout" || bad "big-chunk.h5: 64 MiB check: $(head -c 300 "$work/stdout")"

# The probe's limits from the environment: a value that is not a whole
# number in range is a usage error (64) naming the variable, not ignored.
for setting in TENDO_PROBE_SECONDS=abc TENDO_PROBE_SECONDS=0 TENDO_PROBE_MEMORY_MB=1 \
               TENDO_PROBE_MEMORY_MB=-5; do
    rc=0
    env "$setting" "$tendo" inspect "$work/d/big-chunk.h5" >"$work/stdout" 2>"$work/stderr" || rc=$?
    if [ "$rc" = 64 ] && grep -q "${setting%%=*}" "$work/stderr" && [ ! -s "$work/stdout" ]; then
        ok
    else
        bad "$setting: exit $rc, $(cat "$work/stderr")"
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
