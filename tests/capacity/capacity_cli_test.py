#!/usr/bin/python3
"""`tendo simulate --heel-raise` and `tendo capacity` end to end: the counts and
heights against the file's /truth read with h5py (independently of tendo), the
text a person reads, a recording without heel raises, exit codes, and heel-raise
segments in a JSON profile.

usage: capacity_cli_test.py TENDO_BIN SCRATCH_DIR CASE
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import h5py
import numpy as np

TENDO, SCRATCH, CASE = sys.argv[1:4]
HEIGHT_TOL_M = 0.001  # the tolerance stated in docs/report.md ("Calf capacity")


def check(cond, msg):
    if not cond:
        sys.exit("FAIL: " + msg)


def path(name):
    return os.path.join(SCRATCH, name)


def tendo(*args, expect=0):
    p = subprocess.run([TENDO, *args], capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit(f"FAIL: tendo {' '.join(args)} exited {p.returncode}, expected {expect}\n"
                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def truth_reps(h5):
    """{side: heel_raises table} from /truth, by the pods' side attribute."""
    out = {}
    with h5py.File(h5) as f:
        for serial, grp in f["truth"].items():
            if not isinstance(grp, h5py.Group) or "side" not in grp.attrs:
                continue
            side = grp.attrs["side"]
            side = side.decode() if isinstance(side, bytes) else side
            out[side] = grp["heel_raises"][:] if "heel_raises" in grp else None
    return out


def compare(h5, res, label):
    truth = truth_reps(h5)
    worst = 0.0
    for side in ("left", "right"):
        t = truth.get(side)
        n_true = 0 if t is None else len(t)
        got = res[side]["repetitions"]
        check(res[side]["reps"] == n_true == len(got),
              f"{label} {side}: {res[side]['reps']} counted, truth {n_true}")
        for i, r in enumerate(got):
            err = abs(r["height_m"] - t["height_m"][i])
            worst = max(worst, err)
            check(err <= HEIGHT_TOL_M,
                  f"{label} {side} rep {i}: {r['height_m']:.4f} m, truth {t['height_m'][i]:.4f} m")
            check(t["start_s"][i] - 0.3 <= r["start_s"] <= t["top_s"][i],
                  f"{label} {side} rep {i}: starts at {r['start_s']:.3f} s, truth "
                  f"{t['start_s'][i]:.3f} s")
        if n_true:
            mean = float(np.mean(t["height_m"]))
            check(abs(res[side]["height_mean_m"] - mean) <= HEIGHT_TOL_M,
                  f"{label} {side}: mean height {res[side]['height_mean_m']} vs {mean}")
    return worst


def case_truth():
    """Several tests: counts exact, heights within 1 mm, the symmetry from the truth."""
    worst = 0.0
    for k, args in enumerate([
            ["--reps-left", "25", "--reps-right", "18", "--height-right", "9"],
            ["--reps-left", "30", "--reps-right", "30", "--rate", "200", "--seed", "3"],
            ["--reps-left", "12", "--reps-right", "20", "--height-left", "5",
             "--height-right", "14", "--rate", "500", "--seed", "4"],
            ["--reps-left", "0", "--reps-right", "10", "--seed", "5"]]):
        h5 = path(f"calf{k}.h5")
        tendo("simulate", "--heel-raise", "--out", h5, *args)
        res = json.loads(tendo("capacity", h5, "--json", "--mass", "70").stdout)
        worst = max(worst, compare(h5, res, f"test {k}"))
        truth = truth_reps(h5)
        sums = {s: (0.0 if truth.get(s) is None else float(np.sum(truth[s]["height_m"])))
                for s in ("left", "right")}
        for s in ("left", "right"):
            check(abs(res[s]["work_j"] - 70 * 9.80665 * res[s]["height_sum_m"]) < 1e-6,
                  "work = m g Σh")
        if sums["left"] and sums["right"]:
            weak = "left" if sums["left"] < sums["right"] else "right"
            strong = "right" if weak == "left" else "left"
            lsi = 100 * sums[weak] / sums[strong]
            check(res["involved"] == weak, f"test {k}: involved {res['involved']}, weaker {weak}")
            check(abs(res["lsi_work_pct"] - lsi) < 1.0,
                  f"test {k}: work symmetry {res['lsi_work_pct']:.2f} %, truth {lsi:.2f} %")
            check(res["meets_criterion"] == (res["lsi_work_pct"] >= 90.0), "criterion")
        else:
            check(res["lsi_work_pct"] is None and res["meets_criterion"] is None,
                  "one side only: no symmetry")
    print(f"worst height error {1000 * worst:.2f} mm (tolerance {1000 * HEIGHT_TOL_M:.1f} mm)")
    # The injured side decides the direction of the index.
    res = json.loads(tendo("capacity", path("calf0.h5"), "--json", "--injured-side",
                           "left").stdout)
    check(res["involved"] == "left" and res["involved_is_injured_side"] is True, "injured left")
    check(res["lsi_work_pct"] > 100 and res["meets_criterion"] is True,
          f"left/right work {res['lsi_work_pct']}")
    check(res["mass_kg"] is None and res["left"]["work_j"] is None, "no mass: no joules")


def case_text():
    h5 = path("calf.h5")
    tendo("simulate", "--heel-raise", "--out", h5, "--reps-left", "25", "--reps-right", "18",
          "--height-right", "9")
    out = tendo("capacity", h5).stdout
    check("left " in out and "25 heel raises" in out and "18 heel raises" in out, out)
    check("Symmetry, right / left (weaker side)" in out, out)
    check("Below the return-to-run criterion" in out and "90%" in out, out)
    check("needs the body mass" in out, out)
    out = tendo("capacity", h5, "--mass", "70", "--lever", "21").stdout
    check(" J" in out and "needs the body mass" not in out, out)
    # a longer lever scales the heights, not the counts
    a = json.loads(tendo("capacity", h5, "--json").stdout)
    b = json.loads(tendo("capacity", h5, "--json", "--lever", "21").stdout)
    check(a["left"]["reps"] == b["left"]["reps"] == 25, "counts do not depend on the lever")
    ratio = b["left"]["height_mean_m"] / a["left"]["height_mean_m"]
    check(abs(ratio - 21 / 19) < 1e-9, f"heights scale with the lever ({ratio})")
    check(abs(a["lsi_work_pct"] - b["lsi_work_pct"]) < 1e-9, "the symmetry does not")
    # a symmetric test meets the criterion
    h5 = path("even.h5")
    tendo("simulate", "--heel-raise", "--out", h5, "--seed", "9")
    out = tendo("capacity", h5).stdout
    check("Meets the return-to-run criterion" in out, out)


def case_no_raises():
    """A run and a standing recording: zero repetitions, said plainly, exit 0."""
    run = path("run.h5")
    tendo("simulate", "--out", run, "--minutes", "1.5")
    p = tendo("capacity", run)
    check("No heel raises found" in p.stdout, p.stdout)
    check("steps, not heel raises" in p.stdout, p.stdout)
    res = json.loads(tendo("capacity", run, "--json").stdout)
    for s in ("left", "right"):
        check(res[s]["reps"] == 0 and res[s]["repetitions"] == [] and res[s]["note"], s)
    check(res["lsi_work_pct"] is None, "no symmetry without repetitions")
    prof = path("still.json")
    with open(prof, "w") as f:
        json.dump({"segments": [{"kind": "rest", "duration_s": 20}]}, f)
    still = path("still.h5")
    tendo("simulate", "--out", still, "--profile", prof)
    p = tendo("capacity", still)
    check("No heel raises found" in p.stdout and "never rose" in p.stdout, p.stdout)


def case_exit_codes():
    p = tendo("capacity", expect=64)
    check("FILE.h5" in p.stderr and "--help" in p.stderr, p.stderr)
    tendo("capacity", "--help")
    h5 = path("calf.h5")
    tendo("simulate", "--heel-raise", "--out", h5, "--reps-left", "5", "--reps-right", "5")
    for bad in (["--mass", "-3"], ["--mass", "x"], ["--lever", "50"], ["--injured-side", "up"],
                ["--bogus"], [path("other.h5")]):
        p = tendo("capacity", h5, *bad, expect=64)
        check("tendo capacity:" in p.stderr, p.stderr)
    p = tendo("capacity", path("missing.h5"), expect=66)
    check("missing.h5" in p.stderr, p.stderr)
    junk = path("junk.h5")
    with open(junk, "w") as f:
        f.write("not a session\n")
    tendo("capacity", junk, expect=65)
    # pods on the shank, or without a gyroscope: nothing to measure with -> 65
    shank = path("shank.h5")
    shutil.copy(h5, shank)
    with h5py.File(shank, "r+") as f:
        for serial in f["sensors"]:
            f["sensors"][serial].attrs["placement"] = "shank"
    p = tendo("capacity", shank, expect=65)
    check("not on the foot" in p.stderr and "no foot pod" in p.stderr, p.stderr)
    accel = path("accel-only.h5")
    shutil.copy(h5, accel)
    with h5py.File(accel, "r+") as f:
        for serial in f["sensors"]:
            del f["sensors"][serial]["gyro"]
    p = tendo("capacity", accel, expect=65)
    check("no gyroscope" in p.stderr, p.stderr)
    # simulate's heel-raise options
    for bad in (["--heel-raise", "--minutes", "3"], ["--reps-left", "3"],
                ["--heel-raise", "--reps-left", "0", "--reps-right", "0"],
                ["--heel-raise", "--height-left", "30"], ["--heel-raise", "--reps-right", "-1"]):
        p = tendo("simulate", "--out", path("x.h5"), *bad, expect=64)
        check("tendo simulate:" in p.stderr, p.stderr)
    check(not os.path.exists(path("x.h5")), "nothing written on a usage error")


def case_profile():
    """heel_raise segments in a JSON profile: the other foot resting, a walk in
    between, and field errors that name the field."""
    prof = {"segments": [
        {"kind": "rest", "duration_s": 4},
        {"kind": "heel_raise", "side": "right", "reps": 8, "height_m": 0.1,
         "other_foot": "resting", "rate_per_min": 40},
        {"kind": "walk", "duration_s": 12, "speed_mps": 1.3},
        {"kind": "rest", "duration_s": 4},
        {"kind": "heel_raise", "side": "left", "reps": 6, "height_m": 0.08,
         "final_height_frac": 0.8},
        {"kind": "rest", "duration_s": 3}]}
    pj = path("test.json")
    with open(pj, "w") as f:
        json.dump(prof, f)
    h5 = path("test.h5")
    tendo("simulate", "--out", h5, "--profile", pj)
    res = json.loads(tendo("capacity", h5, "--json").stdout)
    compare(h5, res, "profile")
    check(res["right"]["reps"] == 8 and res["left"]["reps"] == 6, "counts")
    with h5py.File(h5) as f:
        kinds = [k.decode() for k in f["truth/segments"]["kind"]]
        check(kinds == ["rest", "heel_raise", "walk", "rest", "heel_raise", "rest"], str(kinds))
        seg = f["truth/segments"][:]
        check(abs((seg["end_s"][1] - seg["start_s"][1]) - (5.6 + 8 * 1.5)) < 1e-9,
              "a set lasts 5.6 s plus its repetitions at the tempo")
        eff = json.loads(f["truth"].attrs["profile"])
    # the effective profile simulates again to the same truth
    pj2 = path("again.json")
    with open(pj2, "w") as f:
        json.dump(eff, f)
    h5b = path("again.h5")
    tendo("simulate", "--out", h5b, "--profile", pj2)
    a, b = truth_reps(h5), truth_reps(h5b)
    check(all(np.array_equal(a[s], b[s]) for s in ("left", "right")), "same truth")
    for seg, field, what in [
            ({"kind": "heel_raise", "side": "left"}, "segments[0].reps", "missing"),
            ({"kind": "heel_raise", "side": "up", "reps": 3}, "segments[0].side", "one of"),
            ({"kind": "heel_raise", "side": "left", "reps": 2.5}, "segments[0].reps", "whole"),
            ({"kind": "heel_raise", "side": "left", "reps": 3, "height_m": 0.3},
             "segments[0].height_m", "outside"),
            ({"kind": "heel_raise", "side": "left", "reps": 3, "height_m": 0.03},
             "segments[0].final_height_frac", "last repetition"),
            ({"kind": "heel_raise", "side": "left", "reps": 3, "duration_s": 9},
             "segments[0].duration_s", "takes its duration"),
            ({"kind": "heel_raise", "side": "left", "reps": 3, "other_foot": "up"},
             "segments[0].other_foot", "one of"),
            ({"kind": "run", "duration_s": 9, "speed_mps": 3, "reps": 3},
             "segments[0].reps", "only a heel_raise")]:
        bad = path("bad.json")
        with open(bad, "w") as f:
            json.dump({"segments": [seg]}, f)
        p = tendo("simulate", "--out", path("bad.h5"), "--profile", bad, expect=65)
        check(field in p.stderr and what in p.stderr and "bad.json" in p.stderr,
              f"{field}: {p.stderr}")
        check(not os.path.exists(path("bad.h5")), "no output from a bad profile")


def case_catalog():
    """--athlete records the test (mass and injured side from the catalog);
    the same recording twice is refused and nothing is doubled."""
    home = path("home")
    h5 = path("calf.h5")
    tendo("simulate", "--heel-raise", "--out", h5, "--reps-left", "20", "--reps-right", "16",
          "--height-left", "9", "--height-right", "11")
    tendo("athlete", "add", "ann", "--name", "Ann", "--mass", "62", "--injured-side", "left",
          "--home", home)
    res = json.loads(tendo("capacity", h5, "--athlete", "ann", "--home", home, "--json").stdout)
    check(res["athlete"] == "ann" and res["test_id"] == 1, str(res.get("test_id")))
    check(res["mass_kg"] == 62 and abs(res["left"]["work_j"] - 62 * 9.80665 *
                                       res["left"]["height_sum_m"]) < 1e-6, "mass from catalog")
    check(res["involved"] == "left" and res["involved_is_injured_side"] is True, "injured side")
    db = sqlite3.connect(os.path.join(home, "catalog.sqlite"))
    rows = db.execute("SELECT athlete_id, date, session_id, path, left_reps, right_reps, "
                      "left_height_m, right_height_m, ratio, note FROM capacity_tests").fetchall()
    check(len(rows) == 1, f"{len(rows)} rows")
    r = rows[0]
    with h5py.File(h5) as f:
        sid = f.attrs["session_id"]
        sid = sid.decode() if isinstance(sid, bytes) else sid
    check(r[0] == "ann" and r[1] == "2026-11-21" and r[2] == sid, str(r[:3]))
    check(r[3] == os.path.realpath(h5) and r[4] == 20 and r[5] == 16, str(r[3:6]))
    check(abs(r[6] - res["left"]["height_mean_m"]) < 1e-12, "left height")
    check(abs(r[8] - res["lsi_work_pct"] / 100) < 1e-12, "ratio = work symmetry")
    check("involved: left (injured side)" in r[9], r[9])
    # the --mass option wins over the catalog, --injured-side too; a second
    # recording of the same file is refused, nothing doubled
    p = tendo("capacity", h5, "--athlete", "ann", "--home", home, expect=65)
    check("already capacity test 1" in p.stderr and "nothing was added" in p.stderr, p.stderr)
    check(p.stdout == "", "no result printed for a refused test")
    check(db.execute("SELECT count(*) FROM capacity_tests").fetchone()[0] == 1, "not doubled")
    p = tendo("capacity", h5, "--athlete", "bob", "--home", home, expect=66)
    check("no athlete 'bob'" in p.stderr, p.stderr)
    tendo("capacity", h5, "--home", home, expect=64)
    tendo("capacity", h5, "--athlete", "a b", "--home", home, expect=64)
    out = tendo("capacity", h5, "--mass", "80", "--injured-side", "right").stdout
    check("right / left (injured side)" in out, out)
    check(db.execute("SELECT count(*) FROM capacity_tests").fetchone()[0] == 1,
          "without --athlete nothing is recorded")


if __name__ == "__main__":
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    {"truth": case_truth, "text": case_text, "no_raises": case_no_raises,
     "exit_codes": case_exit_codes, "profile": case_profile, "catalog": case_catalog}[CASE]()
    print(f"capacity.cli.{CASE}: ok")
