#!/usr/bin/python3
"""`tendo simulate` end to end; files read back with h5py, independently of tendo.

usage: sim_cli_test.py TENDO_BIN SOURCE_DIR SCRATCH_DIR CASE
"""
import calendar
import json
import math
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

TENDO, SRC, SCRATCH, CASE = sys.argv[1:5]
G0 = 9.80665


def run(*args, expect=0):
    p = subprocess.run([TENDO, "simulate", *args], capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit(f"FAIL: tendo simulate {' '.join(args)} exited {p.returncode}, expected "
                 f"{expect}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def check(cond, msg):
    if not cond:
        sys.exit("FAIL: " + msg)


def path(name):
    return os.path.join(SCRATCH, name)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return path(name)


def case_same_bytes():
    a, b, c = path("a.h5"), path("b.h5"), path("c.h5")
    run("--out", a, "--minutes", "0.5", "--rate", "200", "--seed", "5")
    run("--out", b, "--minutes", "0.5", "--rate", "200", "--seed", "5")
    run("--out", c, "--minutes", "0.5", "--rate", "200", "--seed", "6")
    da, db, dc = (open(x, "rb").read() for x in (a, b, c))
    check(da == db, "the same seed gave different files")
    check(da != dc, "seeds 5 and 6 gave the same file")
    with h5py.File(a) as fa, h5py.File(c) as fc:
        check(fa.attrs["session_id"] != fc.attrs["session_id"], "session id ignores the seed")
    print(f"same_bytes: {len(da)} bytes identical for seed 5; seed 6 differs")


def case_exit_codes():
    out = path("x.h5")
    if os.path.exists(out):
        os.remove(out)
    cases = [
        ((), 64, "--out"),
        (("--out", out, "--rate", "50"), 64, "--rate"),
        (("--out", out, "--rate", "3000"), 64, "--rate"),
        (("--out", out, "--speed", "20"), 64, "--speed"),
        (("--out", out, "--minutes", "abc"), 64, "--minutes"),
        (("--out", out, "--seed", "-3"), 64, "--seed"),
        (("--out", out, "--bogus"), 64, "--bogus"),
        (("--out", out, "--start", "yesterday"), 64, "yesterday"),
        (("--out", out, "--profile", os.path.join(SRC, "sample-data/profiles/easy-run.json"),
          "--minutes", "3"), 64, "--profile"),
        (("--out", out, "--profile", path("no-such.json")), 66, "no-such.json"),
    ]
    for args, code, needle in cases:
        p = run(*args, expect=code)
        check(needle in p.stderr, f"{args}: stderr lacks '{needle}': {p.stderr}")
        check(not os.path.exists(out), f"{args}: an output file appeared")
    check("usage: tendo simulate" in run("--help").stdout, "--help")
    run("--out", out, "--minutes", "0.5", "--rate", "100")
    p = run("--out", out, "--minutes", "0.5", "--rate", "100", expect=73)
    check(out in p.stderr or "exists" in p.stderr, f"73 without a reason: {p.stderr}")
    run("--out", out, "--minutes", "0.5", "--rate", "100", "--seed", "9", "--force")
    with h5py.File(out) as f:
        check(json.loads("[" + f["/truth"].attrs["seed"] + "]") == [9], "--force did not replace")
    print("exit_codes: 64 for bad options, 66 missing profile, 73 existing output, --force replaces")


BAD_PROFILES = [
    ("syntax.json", '{"segments": [\n  {"kind": "run",,}\n]}', "line 2"),
    ("nosegs.json", '{"name": "x"}', "segments"),
    ("kind.json", '{"segments": [{"kind": "sprint", "duration_s": 10, "speed_mps": 3}]}',
     "segments[0].kind"),
    ("speed.json", '{"segments": [{"kind": "rest", "duration_s": 5},'
     '{"kind": "walk", "duration_s": 10, "speed_mps": 4}]}', "segments[1].speed_mps"),
    ("typo.json", '{"segments": [{"kind": "run", "duration_s": 10, "speed_mps": 3, '
     '"grade_pct": 5}]}', "segments[0].grade_pct"),
    ("range.json", '{"pods": {"accel_range_g": 1}, "segments": [{"kind": "rest", '
     '"duration_s": 5}]}', "pods.accel_range_g"),
    ("type.json", '{"segments": [{"kind": "run", "duration_s": "ten", "speed_mps": 3}]}',
     "segments[0].duration_s"),
    ("empty.json", "", "not valid JSON"),
]


def case_bad_profiles():
    out = path("bad.h5")
    for name, text, field in BAD_PROFILES:
        prof = write(name, text)
        p = run("--out", out, "--profile", prof, expect=65)
        check(name in p.stderr and field in p.stderr,
              f"{name}: message should name the file and '{field}': {p.stderr}")
        check(not os.path.exists(out), f"{name}: output written for a bad profile")
        print("  ", p.stderr.strip())
    print(f"bad_profiles: {len(BAD_PROFILES)} malformed profiles rejected with exit 65")


def read_pod(f, serial):
    g = f["sensors"][serial]
    t = g["time"][:]
    a = g["accel"][:].astype(np.float64) * g["accel"].attrs["conversion"]
    w = g["gyro"][:].astype(np.float64) * g["gyro"].attrs["conversion"]
    return g, t, a, w, g["status"][:]


def case_file_layout():
    prof = write("layout.json", json.dumps({
        "pods": {"left": {"mounting_deg": [10, -20, 90]}},
        "segments": [
            {"kind": "rest", "duration_s": 8},
            {"kind": "walk", "duration_s": 15, "speed_mps": 1.4},
            {"kind": "run", "duration_s": 20, "speed_mps": 6.5, "grade": 0.02},
            {"kind": "rest", "duration_s": 6}]}))
    out = path("layout.h5")
    run("--out", out, "--profile", prof, "--force", "--start", "2026-05-01T06:00:00Z",
        "--athlete", "A17")
    with h5py.File(out) as f:
        check(f.attrs["source"] == "simulate", "source attribute")
        check(f.attrs["athlete_id"] == "A17", "athlete")
        check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                           f.attrs["session_id"]), "session id is not a UUID")
        start = int(f.attrs["start_time_us"])
        expect = calendar.timegm((2026, 5, 1, 6, 0, 0)) * 10**6
        check(start == expect, f"start_time_us {start}, expected {expect}")
        truth = f["truth"]
        for k in ("distance_m", "ascent_m", "descent_m"):
            check(k in truth.attrs, f"/truth lacks {k}")
        check("never" in truth.attrs["note"], "/truth note must say it is not real data")
        segs = truth["segments"][:]
        check([s.decode() for s in segs["kind"]] == ["rest", "walk", "run", "rest"], "segments")
        check(abs(segs["end_s"][-1] - 49.0) < 1e-9, "segment end")
        serials = sorted(f["sensors"].keys())
        check(len(serials) == 2 and sorted(truth.keys()) == sorted(serials + ["segments"]),
              f"pods {serials} vs truth {list(truth.keys())}")
        total_clipped = 0
        for serial in serials:
            g, t, a, w, st = read_pod(f, serial)
            tr = truth[serial]
            side = g.attrs["side"]
            check(tr.attrs["side"] == side, "truth side")
            check(g["accel"].dtype == np.int16 and g["gyro"].dtype == np.int16, "int16 storage")
            check(np.all(np.diff(t) > 0), "time not increasing")
            # The pod clock: first sample at start + offset, spacing 1/(rate(1+drift)).
            off = tr.attrs["start_offset_s"]
            check(abs((t[0] - start) * 1e-6 - off) <= 1e-6, "first sample vs start_offset_s")
            rate = (len(t) - 1) / ((t[-1] - t[0]) * 1e-6)
            check(abs(rate / 1000 - 1 - tr.attrs["drift_ppm"] * 1e-6) < 1e-6,
                  f"{serial}: rate {rate:.6f} vs drift {tr.attrs['drift_ppm']:.2f} ppm")
            M = np.array(json.loads(tr.attrs["mounting_matrix"])).reshape(3, 3)
            check(np.allclose(M @ M.T, np.eye(3), atol=1e-12), "mounting is not a rotation")
            if side == "left":
                rpy = json.loads(tr.attrs["mounting_rpy_deg"])
                check(np.allclose(rpy, [10, -20, 90]), "profile mounting ignored")
            # Standing at the start: |f| ≈ g up to bias and noise; gravity
            # seen in the foot frame is straight up.
            rest = (t - start) * 1e-6 < 7.0
            mag = np.linalg.norm(a[rest], axis=1)
            check(abs(mag.mean() - G0) < 0.4, f"{serial}: |f| at rest {mag.mean():.3f}")
            up = M @ a[rest].mean(axis=0)
            check(up[2] / np.linalg.norm(up) > 0.999, f"{serial}: gravity not up in the foot frame")
            # Clipping: flagged samples are exactly those at the rail.
            rail = (np.abs(g["accel"][:].astype(np.int32)) >= 32767).any(axis=1)
            check(np.array_equal(rail, (st & 1) != 0), f"{serial}: clip flags vs rail")
            total_clipped += int(rail.sum())
            steps = tr["steps"][:]
            names = steps.dtype.names
            for col in ("ic_s", "to_s", "gct_ms", "stride_s", "speed_mps", "grade",
                        "stride_len_m", "dz_m", "kind", "footstrike"):
                check(col in names, f"steps lack {col}")
            check(steps["kind"].dtype == np.dtype("S16"), "kind is not STR16")
            run_rows = steps[steps["kind"] == b"run"]
            check(len(run_rows) > 20, "run steps")
            # No contact in the closing rest (43–49 s): the stop happens before it.
            late = steps["ic_s"] >= 43.0
            check(not late.any(), f"{serial}: contacts during the rest: {steps['ic_s'][late]}")
            # Per foot, strides add up to the distance (less one step at the ends).
            sl = steps["stride_len_m"][np.isfinite(steps["stride_len_m"])]
            check(truth.attrs["distance_m"] - 3.0 < sl.sum() <= truth.attrs["distance_m"] + 1e-6,
                  f"{serial}: Σ stride {sl.sum():.2f} vs {truth.attrs['distance_m']:.2f}")
        check(total_clipped > 0, "6.5 m/s heel strikes should clip at ±32 g")
    print(f"file_layout: layout, clock, mounting, rest gravity, {total_clipped} clipped "
          "samples flagged, truth sums")


def case_sample_profiles():
    folder = os.path.join(SRC, "sample-data", "profiles")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    check(names == ["easy-run.json", "hilly.json", "intervals.json"], f"profiles {names}")
    for name in names:
        spec = json.load(open(os.path.join(folder, name)))
        out = path(name.replace(".json", ".h5"))
        run("--out", out, "--profile", os.path.join(folder, name), "--rate", "200", "--force")
        with h5py.File(out) as f:
            segs = f["truth/segments"][:]
            check(len(segs) == len(spec["segments"]), f"{name}: segment count")
            dur = segs["end_s"][-1]
            check(150 <= dur <= 270, f"{name}: {dur} s is not a few minutes")
            kinds = {s.decode() for s in segs["kind"]}
            check({"walk", "run", "rest"} <= kinds, f"{name}: kinds {kinds}")
            if name == "hilly.json":
                check(f["truth"].attrs["ascent_m"] > 5 and f["truth"].attrs["descent_m"] > 5,
                      "hilly has no hills")
            if name == "intervals.json":
                check(sum(s == b"walk" for s in segs["kind"]) >= 3, "intervals lack walk breaks")
        print(f"  {name}: {dur:.0f} s, {os.path.getsize(out)} bytes at 200 Hz")
    print("sample_profiles: all three simulate")


if __name__ == "__main__":
    SCRATCH = os.path.join(SCRATCH, CASE)  # cases may run in parallel
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    {"same_bytes": case_same_bytes, "exit_codes": case_exit_codes,
     "bad_profiles": case_bad_profiles, "file_layout": case_file_layout,
     "sample_profiles": case_sample_profiles}[CASE]()
