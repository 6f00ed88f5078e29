#!/usr/bin/python3
"""Proof that a tendo session file stands on its own: plain h5py + numpy,
no tendo code, read every pod and get the same numbers tendo reports.

usage: h5py_reads_session.py TENDO_BINARY WORK_DIR SESSION.h5...

For each file: `tendo inspect --json` must agree with the counts computed
here (samples, duration, gaps, clipped samples, rate, truth/analysis), and
`tendo export csv` must hold exactly value = raw x conversion (as float32)
for every sample. Exits 1 on the first disagreement.
"""
import csv
import json
import os
import subprocess
import sys

import h5py
import numpy as np


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def pod_numbers(g):
    t = g["time"][:]
    rate = float(g.attrs["sample_rate_hz"])
    status = g["status"][:] if "status" in g else np.zeros(len(t), np.uint8)
    dt = np.diff(t)
    gap = (dt > 1.5e6 / rate) | ((status[1:] & 4) != 0)
    clipped = {}
    for name, bit in (("accel", 1), ("gyro", 2)):
        if name not in g:
            clipped[name] = 0
            continue
        v = g[name][:]
        flag = (status & bit) != 0
        if v.dtype == np.int16:
            flag |= np.any((v == 32767) | (v == -32768), axis=1)
        clipped[name] = int(flag.sum())
    duration = (t[-1] - t[0]) / 1e6 if len(t) > 1 else 0.0
    return {
        "samples": len(t),
        "duration_s": duration,
        "gaps": int(gap.sum()),
        "accel_clipped": clipped["accel"],
        "gyro_clipped": clipped["gyro"],
        "sample_rate_hz": rate,
        "side": g.attrs["side"],
    }


def si(g, name):
    v = g[name][:]
    conv = float(g[name].attrs.get("conversion", 1.0))
    if v.dtype == np.int16:
        return (v.astype(np.float64) * conv).astype(np.float32)
    return (v.astype(np.float64) * conv).astype(np.float32) if conv != 1.0 else v


def check_file(tendo, work, path):
    rep = json.loads(subprocess.run([tendo, "inspect", "--json", path], check=True,
                                    capture_output=True, text=True).stdout)
    with h5py.File(path, "r") as f:
        if f.attrs["tendo_format"] != "tendo.session":
            fail(f"{path}: tendo_format is {f.attrs['tendo_format']!r}")
        # start_time_utc is ISO 8601 UTC ("...Z"); numpy parses it without tendo.
        start = np.datetime64(f.attrs["start_time_utc"].rstrip("Z"), "us")
        start_us = int(start.astype(np.int64))
        if rep["has_truth"] != ("truth" in f) or rep["has_analysis"] != ("analysis" in f):
            fail(f"{path}: truth/analysis flags differ")
        pods = sorted(f["sensors"].keys())
        if [p["serial"] for p in rep["pods"]] != pods:
            fail(f"{path}: pods {pods} vs tendo {[p['serial'] for p in rep['pods']]}")
        outdir = os.path.join(work, os.path.basename(path) + ".csv")
        subprocess.run([tendo, "export", "csv", path, "--out", outdir, "--force"], check=True,
                       capture_output=True)
        for tp, serial in zip(rep["pods"], pods):
            g = f["sensors"][serial]
            mine = pod_numbers(g)
            for key, value in mine.items():
                theirs = tp[key]
                same = abs(theirs - value) < 1e-6 if isinstance(value, float) else theirs == value
                if not same:
                    fail(f"{path} {serial}: {key} h5py={value} tendo={theirs}")
            check_csv(g, start_us, outdir, tp["side"], serial)
        print(f"ok {path}: {len(pods)} pods, {sum(p['samples'] for p in rep['pods'])} samples")


def check_csv(g, start_us, outdir, side, serial):
    name = os.path.join(outdir, f"{side}.csv")
    if not os.path.exists(name):
        name = os.path.join(outdir, f"{side}-{serial}.csv")
    with open(name, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], np.array(rows[1:], dtype=np.float64)
    t = (g["time"][:] - start_us) / 1e6
    if len(body) != len(t):
        fail(f"{name}: {len(body)} rows for {len(t)} samples")
    if np.max(np.abs(body[:, header.index("t")] - t)) > 0.6e-6:
        fail(f"{name}: t column differs from the time dataset")
    for name3, cols in (("accel", ("ax", "ay", "az")), ("gyro", ("gx", "gy", "gz"))):
        if name3 not in g:
            continue
        want = si(g, name3)
        got = body[:, [header.index(c) for c in cols]].astype(np.float32)
        if not np.array_equal(want, got):
            bad = np.argwhere(want != got)[0]
            fail(f"{name}: {name3}[{bad[0]},{bad[1]}] csv={got[tuple(bad)]!r} "
                 f"h5py={want[tuple(bad)]!r}")


def main():
    tendo, work, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    if not files:
        fail("no session files given")
    for path in files:
        check_file(tendo, work, path)
    print(f"{len(files)} passed, 0 failed")


if __name__ == "__main__":
    main()
