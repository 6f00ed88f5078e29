"""Plain h5py (no tendo code) decodes a session written by the threaded
writer to exactly the samples that were appended (test_writer_threads
writes them to DIR/<serial>-<dataset>.bin).

usage: h5py_reads_threaded.py FILE.h5 DIR
"""
import sys

import h5py
import numpy as np

path, folder = sys.argv[1], sys.argv[2]
expect = {
    ("A1", "time"): ("<i8", 1), ("A1", "accel"): ("<i2", 3), ("A1", "gyro"): ("<i2", 3),
    ("A1", "status"): ("u1", 1), ("B2", "time"): ("<i8", 1), ("B2", "accel"): ("<f4", 3),
    ("B2", "status"): ("u1", 1),
}
bad = 0
with h5py.File(path, "r") as f:
    for (serial, name), (dtype, cols) in expect.items():
        want = np.fromfile(f"{folder}/{serial}-{name}.bin", dtype=dtype)
        if cols > 1:
            want = want.reshape(-1, cols)
        ds = f["sensors"][serial][name]
        got = ds[:]
        # the datasets declare shuffle + deflate, as every tendo file does
        if not (ds.shuffle and ds.compression == "gzip"):
            print(f"{serial}/{name}: filters {ds.shuffle} {ds.compression}")
            bad += 1
        if got.dtype != np.dtype(dtype) or got.shape != want.shape or \
                got.tobytes() != want.tobytes():
            print(f"{serial}/{name}: {got.dtype} {got.shape} differs from {want.shape}")
            bad += 1
    for name in ("time", "accel", "gyro", "status"):
        if f["sensors"]["E3"][name].shape[0] != 0:
            print(f"E3/{name} is not empty")
            bad += 1
    if "gyro" in f["sensors"]["B2"]:
        print("B2 has a gyro dataset")
        bad += 1
print("h5py_reads_threaded:", "ok" if not bad else f"{bad} problem(s)")
sys.exit(1 if bad else 0)
