#!/usr/bin/python3
"""Writes the bad-file corpus for the session validator (tests/formats/bad/).

Each file is a small tendo session written with plain h5py, then broken in
one way. expected.tsv lists file, exit code and a fragment the message must
contain. Run again after a format change:
    /usr/bin/python3 tests/formats/make_bad_corpus.py tests/formats/bad
"""
import os
import sys

import zlib

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "bad")
N = 200
EXPECTED = []


def good(path, storage="int16", version=1, libver="earliest"):
    with h5py.File(path, "w", libver=libver) as f:
        f.attrs["tendo_format"] = "tendo.session"
        f.attrs["tendo_format_version"] = version
        f.attrs["session_id"] = "00000000-0000-4000-8000-00000000bad0"
        f.attrs["athlete_id"] = "corpus"
        f.attrs["start_time_utc"] = "2026-01-01T00:00:00.000000Z"
        f.attrs["source"] = "import"
        f.attrs["software_version"] = "make_bad_corpus.py"
        g = f.create_group("sensors/P1")
        g.attrs["side"] = "left"
        g.attrs["placement"] = "foot"
        g.attrs["sample_rate_hz"] = 100.0
        g.attrs["accel_range_g"] = 16.0
        g.attrs["gyro_range_dps"] = 2000.0
        t = 1767225600000000 + np.arange(N, dtype=np.int64) * 10000
        g.create_dataset("time", data=t, chunks=(N,), maxshape=(None,))
        rng = np.random.default_rng(1)
        if storage == "int16":
            a = g.create_dataset("accel", data=rng.integers(-3000, 3000, (N, 3), dtype=np.int16),
                                 chunks=(N, 3), maxshape=(None, 3))
            gy = g.create_dataset("gyro", data=rng.integers(-3000, 3000, (N, 3), dtype=np.int16),
                                  chunks=(N, 3), maxshape=(None, 3))
            a.attrs["conversion"] = 16 * 9.80665 / 32768
            gy.attrs["conversion"] = 2000 * np.pi / 180 / 32768
        else:
            a = g.create_dataset("accel", data=rng.normal(0, 9.8, (N, 3)).astype(np.float32))
            gy = g.create_dataset("gyro", data=rng.normal(0, 3, (N, 3)).astype(np.float32))
            a.attrs["conversion"] = 1.0
            gy.attrs["conversion"] = 1.0
        a.attrs["unit"] = "m/s^2"
        gy.attrs["unit"] = "rad/s"
        g.create_dataset("status", data=np.zeros(N, np.uint8))


def case(name, code, fragment, breaker=None, storage="int16", libver="earliest"):
    path = os.path.join(OUT, name)
    good(path, storage, libver=libver)
    if breaker:
        breaker(path)
    EXPECTED.append((name, code, fragment))


def edit(fn):
    def run(path):
        with h5py.File(path, "r+") as f:
            fn(f)
    return run


def replace(f, path, data, **kw):
    attrs = dict(f[path].attrs)
    del f[path]
    d = f.create_dataset(path, data=data, **kw)
    for k, v in attrs.items():
        d.attrs[k] = v


def truncate(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)


def write_bytes(data):
    def run(path):
        with open(path, "wb") as fh:
            fh.write(data)
    return run


def clip_and_gap(f):
    """Full-scale counts on a few samples, a status flag on others, two gaps."""
    g = f["sensors/P1"]
    a, gy, st, t = g["accel"][:], g["gyro"][:], g["status"][:], g["time"][:]
    a[[10, 11, 12], 2] = 32767
    a[40, 0] = -32768
    gy[90, 1] = 32767
    st[[60, 61]] |= 1          # accel clipped, flagged by the pod
    st[150] |= 4               # gap flagged by the pod (spacing unchanged)
    t[120:] += 35000           # a 35 ms hole after sample 119
    g["accel"][...], g["gyro"][...], g["status"][...], g["time"][...] = a, gy, st, t


def unwritten(f, path, shape, dtype):
    """Replaces a dataset with a chunked one of any claimed shape and no
    stored chunk: the file stays tiny whatever the dimensions say."""
    attrs = dict(f[path].attrs)
    del f[path]
    d = f.create_dataset(path, shape=shape, dtype=dtype, chunks=(1024,) + shape[1:],
                         maxshape=(None,) + shape[1:])
    for k, v in attrs.items():
        d.attrs[k] = v


def absurd_dims(f):
    """2^62 samples: bytes = 2^62 x 3 x 2 overflows 64 bits."""
    for name, cols, dtype in (("time", (), np.int64), ("accel", (3,), np.int16),
                              ("gyro", (3,), np.int16), ("status", (), np.uint8)):
        unwritten(f, "sensors/P1/" + name, (2**62,) + cols, dtype)


def chunk_stream(f, stored, nfilters):
    """status rewritten with deflate applied nfilters times and one chunk
    whose stored bytes are `stored` (a zlib stream), written directly. The
    chunk is nominally 1 MiB (HDF5 will not store a chunk larger than its
    nominal size can encode); the dataset holds 200 samples of it."""
    g = f["sensors/P1"]
    del g["status"]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((1 << 20,))
    for _ in range(nfilters):
        dcpl.set_deflate(1)
    space = h5py.h5s.create_simple((N,), (h5py.h5s.UNLIMITED,))
    ds = h5py.h5d.create(g.id, b"status", h5py.h5t.STD_U8LE, space, dcpl=dcpl)
    ds.write_direct_chunk((0,), stored, 0)


def double_deflate(f):
    """256 MiB of zeros compressed twice: ~500 stored bytes."""
    chunk_stream(f, zlib.compress(zlib.compress(bytes(256 << 20), 9), 9), 2)


def deflate_bomb(f):
    """A chunk whose stream inflates to 80 MiB (> tendo's 64 MiB)."""
    chunk_stream(f, zlib.compress(bytes(80 << 20), 9), 1)


def external_storage(f):
    replace(f, "sensors/P1/accel", None, shape=(N, 3), dtype=np.int16,
            external=[("accel-samples.raw", 0, N * 6)])


def virtual_accel(f):
    layout = h5py.VirtualLayout(shape=(N, 3), dtype=np.int16)
    layout[:] = h5py.VirtualSource("elsewhere.h5", "accel", shape=(N, 3))
    attrs = dict(f["sensors/P1/accel"].attrs)
    del f["sensors/P1/accel"]
    d = f["sensors/P1"].create_virtual_dataset("accel", layout, fillvalue=0)
    for k, v in attrs.items():
        d.attrs[k] = v


def deep_groups(f):
    g = f["sensors/P1"]
    for _ in range(100):
        g = g.create_group("deeper")
    g["back_to_root"] = f["/"]          # and a hard-link cycle at the bottom


def hostile_cases():
    """Crafted files (issue 7): absurd sizes, wrong types, links, huge
    attributes, compressed data that expands enormously, samples kept
    outside the file. Each is refused before anything big is allocated."""
    case("absurd-dims.h5", 65, "claims 4611686018427387904 samples", edit(absurd_dims))
    case("time-int32.h5", 65, "/sensors/P1/time has an unexpected element type",
         edit(lambda f: replace(f, "sensors/P1/time", np.arange(N, dtype=np.int32))))
    case("accel-float16.h5", 65, "/sensors/P1/accel has an unexpected element type",
         edit(lambda f: replace(f, "sensors/P1/accel", np.zeros((N, 3), np.float16))))
    case("rate-text.h5", 65, "sample_rate_hz must be a number",
         edit(lambda f: f["sensors/P1"].attrs.__setitem__("sample_rate_hz", "100")))
    case("rate-array-64k.h5", 65, "sample_rate_hz must be a number",
         edit(lambda f: f["sensors/P1"].attrs.__setitem__("sample_rate_hz",
                                                           np.full(8000, 100.0))))
    case("start-time-70k-string.h5", 65, "start_time_utc",
         edit(lambda f: f.attrs.__setitem__("start_time_utc",
                                            np.bytes_(b"2026-01-01T00:00:00Z" + b" " * 70000))),
         libver="latest")  # attributes over 64 KiB need the newer (dense) storage
    case("hard-link-cycle.h5", 65, "/sensors/P2: attribute side must be",
         edit(lambda f: f["sensors"].__setitem__("P2", f["sensors"])))
    case("deep-groups-and-cycle.h5", 0, "P1", edit(deep_groups))
    case("external-link.h5", 65, "soft/external links",
         edit(lambda f: f["sensors"].__setitem__("P2", h5py.ExternalLink("/etc/passwd", "/"))))
    case("external-storage.h5", 65, "keeps its samples in an external file",
         edit(external_storage))
    case("virtual-dataset.h5", 65, "is a virtual dataset", edit(virtual_accel))
    case("lzf-filter.h5", 65, "compressed with HDF5 filter 32000",
         edit(lambda f: replace(f, "sensors/P1/status", np.zeros(N, np.uint8), chunks=(N,),
                                compression="lzf")))
    case("double-deflate.h5", 65, "compressed with HDF5 filter 1", edit(double_deflate))
    # HDF5 would inflate the whole stream (~80 MiB for a 1 MiB chunk); the
    # validator streams each chunk through zlib first and refuses one that
    # inflates beyond its shape (SECURITY.md).
    case("deflate-bomb-80mib.h5", 65, "a decompression bomb", edit(deflate_bomb))


def main():
    os.makedirs(OUT, exist_ok=True)
    case("good-int16.h5", 0, "P1")
    case("good-float32.h5", 0, "P1", storage="float32")
    case("good-clipped-gaps.h5", 0, "P1", edit(clip_and_gap))
    case("not-hdf5.h5", 65, "not an HDF5 file", write_bytes(b"t,ax,ay,az\n0,1,2,3\n"))
    case("empty.h5", 65, "not an HDF5 file", write_bytes(b""))
    case("truncated.h5", 65, "damaged or truncated", truncate)
    case("no-format-attr.h5", 65, "not a tendo session",
         edit(lambda f: f.attrs.__delitem__("tendo_format")))
    case("future-version.h5", 65, "upgrade tendo",
         edit(lambda f: f.attrs.__setitem__("tendo_format_version", 99)))
    case("bad-start-time.h5", 65, "start_time_utc",
         edit(lambda f: f.attrs.__setitem__("start_time_utc", "yesterday")))
    case("no-sensors.h5", 65, "no /sensors group", edit(lambda f: f.__delitem__("sensors")))
    case("empty-sensors.h5", 65, "holds no pod", edit(lambda f: f.__delitem__("sensors/P1")))
    case("missing-time.h5", 65, "has no time dataset",
         edit(lambda f: f.__delitem__("sensors/P1/time")))
    case("missing-accel.h5", 65, "has no accel dataset",
         edit(lambda f: f.__delitem__("sensors/P1/accel")))
    case("time-float.h5", 65, "/sensors/P1/time has an unexpected element type",
         edit(lambda f: replace(f, "sensors/P1/time", np.arange(N, dtype=np.float64))))
    case("accel-two-columns.h5", 65, "/sensors/P1/accel has the wrong shape",
         edit(lambda f: replace(f, "sensors/P1/accel", np.zeros((N, 2), np.int16))))
    case("accel-rank1.h5", 65, "/sensors/P1/accel has the wrong shape",
         edit(lambda f: replace(f, "sensors/P1/accel", np.zeros(N, np.int16))))
    case("accel-text.h5", 65, "/sensors/P1/accel has an unexpected element type",
         edit(lambda f: replace(f, "sensors/P1/accel", np.array([[b"x"] * 3] * N))))
    case("length-mismatch.h5", 65, "time has 200 samples but accel has 199",
         edit(lambda f: replace(f, "sensors/P1/accel", np.zeros((N - 1, 3), np.int16))))
    case("time-not-increasing.h5", 65, "time does not increase at sample 100",
         edit(lambda f: f["sensors/P1/time"].__setitem__(100, f["sensors/P1/time"][99])))
    case("time-backwards.h5", 65, "time does not increase at sample 50",
         edit(lambda f: f["sensors/P1/time"].__setitem__(50, 0)))
    case("nan-accel.h5", 65, "accel holds NaN or infinity at sample 7",
         edit(lambda f: f["sensors/P1/accel"].__setitem__((7, 1), np.nan)), storage="float32")
    case("inf-gyro.h5", 65, "gyro holds NaN or infinity at sample 150",
         edit(lambda f: f["sensors/P1/gyro"].__setitem__((150, 2), np.inf)), storage="float32")
    case("bad-side.h5", 65, "side must be",
         edit(lambda f: f["sensors/P1"].attrs.__setitem__("side", "middle")))
    case("zero-rate.h5", 65, "sample_rate_hz",
         edit(lambda f: f["sensors/P1"].attrs.__setitem__("sample_rate_hz", 0.0)))
    case("no-conversion.h5", 65, "needs a positive 'conversion'",
         edit(lambda f: f["sensors/P1/accel"].attrs.__delitem__("conversion")))
    case("status-int32.h5", 65, "/sensors/P1/status has an unexpected element type",
         edit(lambda f: replace(f, "sensors/P1/status", np.zeros(N, np.int32))))
    case("mixed-storage.h5", 65, "share one storage type",
         edit(lambda f: replace(f, "sensors/P1/gyro", np.zeros((N, 3), np.float32))))
    case("soft-link-loop.h5", 65, "links",
         edit(lambda f: f["sensors"].__setitem__("P2", h5py.SoftLink("/sensors/P2"))))
    case("bad-serial.h5", 65, "not a valid pod serial",
         edit(lambda f: f.move("sensors/P1", "sensors/bad name")))
    case("pod-not-group.h5", 65, "/sensors/P2 is not a group",
         edit(lambda f: f["sensors"].create_dataset("P2", data=[1])))
    case("huge-chunks.h5", 65, "chunks",
         edit(lambda f: replace(f, "sensors/P1/status", np.zeros(N, np.uint8),
                                chunks=(100_000_000,), maxshape=(None,),
                                compression="gzip")))

    hostile_cases()

    with open(os.path.join(OUT, "expected.tsv"), "w") as fh:
        fh.write("# file\texit\tmessage fragment (written by make_bad_corpus.py)\n")
        for name, code, fragment in EXPECTED:
            fh.write(f"{name}\t{code}\t{fragment}\n")


if __name__ == "__main__":
    main()
