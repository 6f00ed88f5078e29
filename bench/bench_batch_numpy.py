#!/usr/bin/python3
"""A straightforward numpy/scipy gait pipeline, to compare tendo's speed per core with
(a benchmark, not a test; bench/bench_batch.py runs it).

usage: bench_batch_numpy.py SESSION.h5...
prints one JSON line: files, data_hours, cpu_s, hours_per_cpu_s, strides

Per pod, the steps a scientist would write with numpy/scipy, similar to (and fewer than)
what `tendo analyze` does:
  1. read with h5py, int16 x conversion -> float64 SI
  2. zero-phase low-pass: 4th-order Butterworth, 20 Hz, scipy.signal.sosfiltfilt
  3. orientation: gravity over still samples gives vertical, the gyro's principal
     axis the medio-lateral one; pitch rate = gyro about it
  4. events: mid-swing peaks (scipy.signal.find_peaks, > 2 rad/s, >= 0.4 s apart);
     per stride the zero-velocity instant (least |gyro|), toe-off and initial contact
     (pitch-rate minima before and after the swing)
  5. zero-velocity-aided integration per stride in the sagittal plane: pitch angle by
     cumulative trapezoid, acceleration rotated to the world, gravity removed, velocity
     integrated with its end value removed as a linear drift, then position: stride
     length and height change
CPU time is time.process_time() (this process: reading included).
"""
import json
import sys
import time

import h5py
import numpy as np
from scipy.integrate import cumulative_trapezoid
from scipy.signal import butter, find_peaks, sosfiltfilt

G = 9.80665


def pod_strides(accel, gyro, fs):
    sos = butter(4, 20.0, fs=fs, output="sos")
    a = sosfiltfilt(sos, accel, axis=0)
    w = sosfiltfilt(sos, gyro, axis=0)
    wn = np.linalg.norm(w, axis=1)
    an = np.linalg.norm(a, axis=1)
    still = (wn < 0.5) & (np.abs(an - G) < 0.5)
    if still.sum() < fs:
        return []
    z = a[still].mean(axis=0)
    z /= np.linalg.norm(z)
    evals, evecs = np.linalg.eigh(np.cov(w[~still].T))
    y = evecs[:, -1] - np.dot(evecs[:, -1], z) * z
    y /= np.linalg.norm(y)
    pitch = w @ y
    if np.percentile(pitch, 99.9) < -np.percentile(pitch, 0.1):
        y, pitch = -y, -pitch
    x = np.cross(y, z)
    af = np.stack([a @ x, a @ z], axis=1)  # sagittal plane: forward, up
    peaks, _ = find_peaks(pitch, height=2.0, distance=int(0.4 * fs))
    strides = []
    zv_prev = None
    dt = 1.0 / fs
    for k in range(len(peaks) - 1):
        p0, p1 = peaks[k], peaks[k + 1]
        zv = p0 + int(np.argmin(wn[p0:p1]))
        ic = p0 + int(np.argmin(pitch[p0:min(p1, p0 + int(0.25 * fs))]))
        if zv_prev is not None:
            to = zv_prev + int(np.argmin(pitch[zv_prev:p0]))
            seg = slice(zv_prev, zv + 1)
            theta = cumulative_trapezoid(pitch[seg], dx=dt, initial=0)
            c, s = np.cos(theta), np.sin(theta)
            fwd = c * af[seg, 0] + s * af[seg, 1]
            up = -s * af[seg, 0] + c * af[seg, 1] - G
            v = cumulative_trapezoid(np.stack([fwd, up], axis=1), dx=dt, axis=0, initial=0)
            t = np.arange(len(v)) * dt
            v -= np.outer(t / t[-1], v[-1])
            pos = cumulative_trapezoid(v, dx=dt, axis=0, initial=0)
            strides.append((to, ic, pos[-1, 0], pos[-1, 1]))
        zv_prev = zv
    return strides


def main(paths):
    c0 = time.process_time()
    hours = 0.0
    total = 0
    for path in paths:
        with h5py.File(path, "r") as f:
            longest = 0.0
            for _, g in f["sensors"].items():
                fs = float(g.attrs["sample_rate_hz"])
                t = g["time"][:]
                accel = g["accel"][:].astype(np.float64) * float(g["accel"].attrs["conversion"])
                gyro = g["gyro"][:].astype(np.float64) * float(g["gyro"].attrs["conversion"])
                total += len(pod_strides(accel, gyro, fs))
                longest = max(longest, (t[-1] - t[0]) / 3.6e9)
            hours += longest
    cpu = time.process_time() - c0
    print(json.dumps({"files": len(paths), "data_hours": round(hours, 6), "cpu_s": round(cpu, 3),
                      "hours_per_cpu_s": round(hours / cpu, 4), "strides": total}))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bench_batch_numpy.py SESSION.h5...")
    main(sys.argv[1:])
