#!/usr/bin/python3
"""End-to-end tests of `tendo import csv` and `tendo export csv`.

usage: csv_cli_test.py TENDO SHARED_DATA WORKDIR CASE

Each CASE checks real outcomes: the numbers stored in the session file (read
with h5py, independently of tendo), the bytes of the exported CSVs, exit codes,
the FILE:LINE in error messages, and that a failed command leaves no file.
"""
import csv
import datetime
import math
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

TENDO, SHARED, WORK, CASE = sys.argv[1:5]
GAITMAP = os.path.join(SHARED, "gaitmap-walking")
DEFAULT_START_US = 946684800 * 10**6  # 2000-01-01T00:00:00Z, the documented default
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def tendo(*args):
    p = subprocess.run([TENDO, *args], capture_output=True, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


def write(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def read_csv(path):
    """The CSV as {column: list of strings}, parsed by Python, not by tendo."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])}


def pods(path):
    """{serial: (attrs, time, accel, gyro or None)} read with plain h5py."""
    out = {}
    with h5py.File(path, "r") as f:
        for serial, g in f["sensors"].items():
            out[serial] = (dict(g.attrs), g["time"][:], g["accel"][:],
                           g["gyro"][:] if "gyro" in g else None)
        out["/"] = dict(f.attrs)
    return out


def f32(values, scale=1.0):
    """What tendo must store: the decimal text → double, × scale in double, → float32."""
    return np.array([float(v) * scale for v in values], dtype=np.float64).astype(np.float32)


def leftovers(folder):
    return [n for n in os.listdir(folder) if ".tmp" in n or n.startswith(".")]


# ----------------------------------------------------------------- cases

def case_gaitmap():
    out = os.path.join(WORK, "walk.h5")
    left, right = os.path.join(GAITMAP, "left.csv"), os.path.join(GAITMAP, "right.csv")
    rc, so, se = tendo("import", "csv", "--out", out, "--rate", "204.8",
                       "--left", left, "--right", right, "--force")
    check(rc == 0, f"gaitmap imports as is (rc {rc}: {se.strip()})")
    if rc:
        return
    check("7928 samples" in so, "summary reports 7928 samples")
    s = pods(out)
    check(s["/"]["source"] == "import", "source attribute is 'import'")
    check(s["/"]["start_time_us"] == DEFAULT_START_US, "default start is 2000-01-01T00:00:00Z")
    d2r = math.pi / 180
    for serial, path in (("csv-left", left), ("csv-right", right)):
        attrs, t, acc, gyr = s[serial]
        c = read_csv(path)
        check(len(t) == 7928 and acc.shape == (7928, 3) and gyr.shape == (7928, 3),
              f"{serial}: 7,928 samples of accel and gyro")
        check(acc.dtype == np.float32 and gyr.dtype == np.float32 and t.dtype == np.int64,
              f"{serial}: float32 samples, int64 times")
        check(attrs["side"] == serial[4:] and attrs["sample_rate_hz"] == 204.8,
              f"{serial}: side and rate attributes")
        for axis, name in enumerate("xyz"):
            check(np.array_equal(acc[:, axis], f32(c["a" + name])),
                  f"{serial}: a{name} equals the CSV to float32 precision")
            check(np.array_equal(gyr[:, axis], f32(c["g" + name], d2r)),
                  f"{serial}: g{name} equals the CSV's deg/s in rad/s to float32 precision")
        want_t = DEFAULT_START_US + np.array([round(float(v) * 1e6) for v in c["t"]])
        check(np.array_equal(t, want_t), f"{serial}: times are start + t (µs)")
    check(np.array_equal(s["csv-left"][1], s["csv-right"][1]),
          "left and right keep their shared clock")

    # --start moves every time by the same amount; the samples do not change.
    out2 = os.path.join(WORK, "walk-start.h5")
    rc, _, se = tendo("import", "csv", "--out", out2, "--rate", "204.8", "--left", left,
                      "--start", "2026-11-21T07:30:00.5+01:00", "--force", "--athlete", "A17")
    check(rc == 0, f"import with --start ({se.strip()})")
    if rc == 0:
        s2 = pods(out2)
        utc = datetime.datetime(2026, 11, 21, 6, 30, tzinfo=datetime.timezone.utc)
        shift = int(utc.timestamp()) * 10**6 + 500000 - DEFAULT_START_US
        check(np.array_equal(s2["csv-left"][1], s["csv-left"][1] + shift), "--start shifts times")
        check(np.array_equal(s2["csv-left"][2], s["csv-left"][2]), "same samples again")
        check(s2["/"]["athlete_id"] == "A17" and "csv-right" not in s2, "athlete; one pod")


def case_roundtrip():
    left, right = os.path.join(GAITMAP, "left.csv"), os.path.join(GAITMAP, "right.csv")
    first, again = os.path.join(WORK, "first.h5"), os.path.join(WORK, "again.h5")
    exp = os.path.join(WORK, "exported")
    shutil.rmtree(exp, ignore_errors=True)
    rc1 = tendo("import", "csv", "--out", first, "--rate", "204.8", "--left", left,
                "--right", right, "--force")[0]
    rc2, so, se = tendo("export", "csv", first, "--out", exp)
    check(rc1 == 0 and rc2 == 0, f"import then export ({se.strip()})")
    check(sorted(os.listdir(exp)) == ["left.csv", "right.csv"], "export wrote left.csv and right.csv")
    check("left.csv" in so and "right.csv" in so, "export says what it wrote")
    with open(os.path.join(exp, "left.csv")) as f:
        head = [f.readline() for _ in range(2)]
    check(head[0] == "t,ax,ay,az,gx,gy,gz\n", "exported header")
    check(head[1].startswith("0.000000,"), "t with 6 decimals from the session start")
    rc3, _, se = tendo("import", "csv", "--out", again, "--rate", "204.8", "--gyro-unit", "rad/s",
                       "--left", os.path.join(exp, "left.csv"),
                       "--right", os.path.join(exp, "right.csv"), "--force")
    check(rc3 == 0, f"re-import of the export ({se.strip()})")
    if rc3:
        return
    a, b = pods(first), pods(again)
    for serial in ("csv-left", "csv-right"):
        check(np.array_equal(a[serial][1], b[serial][1]), f"{serial}: times identical")
        for k, name in ((2, "accel"), (3, "gyro")):
            check(np.array_equal(a[serial][k].view(np.uint32), b[serial][k].view(np.uint32)),
                  f"{serial}: {name} bit-identical after export → import")

    # Two pods on one side get <side>-<serial>.csv (edit a copy with h5py).
    twin = os.path.join(WORK, "twin.h5")
    shutil.copy(first, twin)
    with h5py.File(twin, "r+") as f:
        f["sensors/csv-right"].attrs["side"] = "left"
    exp2 = os.path.join(WORK, "exported-twin")
    shutil.rmtree(exp2, ignore_errors=True)
    rc, _, se = tendo("export", "csv", twin, "--out", exp2 + "/nested")
    check(rc == 0 and sorted(os.listdir(exp2 + "/nested")) ==
          ["left-csv-left.csv", "left-csv-right.csv"],
          f"two left pods → left-<serial>.csv, nested DIR created ({se.strip()})")


def case_units():
    start = DEFAULT_START_US
    # Accelerometer-only, in g, no t: times from --rate.
    path = write("accel_g.csv", "AZ, ay ,\"Ax\",temp\n1,0,-0.5,20\n0.98,0.25,1,21\n1.02,-2,0,x\n")
    out = os.path.join(WORK, "accel.h5")
    rc, so, se = tendo("import", "csv", "--out", out, "--rate", "100", "--left", path,
                       "--accel-unit", "g", "--placement", "shank", "--force")
    check(rc == 0, f"accelerometer-only CSV in g imports ({se.strip()})")
    if rc == 0:
        attrs, t, acc, gyr = pods(out)["csv-left"]
        check(gyr is None, "no gyro dataset for accelerometer-only data")
        check(attrs["placement"] == "shank", "--placement shank stored")
        check(np.array_equal(t, start + np.array([0, 10000, 20000])), "t = start + i/rate")
        g = 9.80665
        want = np.array([[-0.5 * g, 0, 1 * g], [1 * g, 0.25 * g, 0.98 * g], [0, -2 * g, 1.02 * g]])
        check(np.array_equal(acc, want.astype(np.float32)), "g × 9.80665 → m/s², columns by name")
        check("accel only" in so, "summary says accel only")

    # Gyro in rad/s kept; in deg/s converted; a t column in ms triggers a warning.
    rows = "t,ax,ay,az,gx,gy,gz\n0,0,0,9.81,1.5,-0.25,3.14159\n0.01,0,0,9.81,0,0,-1\n"
    path = write("gyro.csv", rows)
    for unit, scale in (("rad/s", 1.0), ("deg/s", math.pi / 180)):
        out = os.path.join(WORK, "gyro.h5")
        rc, so, se = tendo("import", "csv", "--out", out, "--rate", "100", "--right", path,
                           "--gyro-unit", unit, "--force", "--json")
        check(rc == 0 and '"time_from":"t"' in so, f"--gyro-unit {unit} ({se.strip()})")
        if rc == 0:
            _, t, _, gyr = pods(out)["csv-right"]
            want = np.array([[1.5, -0.25, 3.14159], [0, 0, -1]]) * scale
            check(np.array_equal(gyr, want.astype(np.float32)), f"gyro {unit} → rad/s numerically")
            check(np.array_equal(t, start + np.array([0, 10000])), "times from t")
    # t before zero is kept (time = start + t) and exported as negative seconds.
    path_neg = write("negative_t.csv", "t,ax,ay,az\n-0.5,1,2,3\n-0.000001,1,2,3\n0.25,1,2,3\n")
    out = os.path.join(WORK, "neg.h5")
    exp = os.path.join(WORK, "neg-exp")
    rc1 = tendo("import", "csv", "--out", out, "--rate", "4", "--left", path_neg, "--force")[0]
    rc2 = tendo("export", "csv", out, "--out", exp, "--force")[0]
    check(rc1 == 0 and rc2 == 0, "negative t imports and exports")
    if rc1 == 0 and rc2 == 0:
        check(np.array_equal(pods(out)["csv-left"][1], start + np.array([-500000, -1, 250000])),
              "negative t → times before start")
        with open(os.path.join(exp, "left.csv")) as f:
            check(f.read() == "t,ax,ay,az\n-0.500000,1,2,3\n-0.000001,1,2,3\n0.250000,1,2,3\n",
                  "exported bytes: negative t with 6 decimals, values %.9g")
    rc, _, se = tendo("import", "csv", "--out", os.path.join(WORK, "gyro.h5"), "--rate", "1000",
                      "--right", path, "--force")
    check(rc == 0 and "warning" in se and "100 Hz" in se, "t disagreeing with --rate warns")


BAD = {
    # name: (content, line the message must name)
    "missing_ax.csv": ("t,ay,az\n0,1,2\n", 1),
    "short_row.csv": ("t,ax,ay,az\n0,1,2,3\n0.01,1,2\n", 3),
    "text.csv": ("t,ax,ay,az\n0,1,2,3\n0.01,1,two,3\n", 3),
    "nan.csv": ("t,ax,ay,az,gx,gy,gz\n0,1,2,3,4,5,6\n0.01,1,2,3,nan,5,6\n", 3),
    "decreasing_t.csv": ("t,ax,ay,az\n0,1,2,3\n0.02,1,2,3\n0.01,1,2,3\n", 4),
    "comma_decimal.csv": ("t,ax,ay,az\n0,9,81,0,12,1,5\n", 2),
    "semicolon.csv": ("t;ax;ay;az\n0;9,81;0,12;1,5\n", 1),
    "garbage.csv": (b"t,ax,ay,az\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\n", 2),
    "binary.csv": (bytes(range(256)) * 64, 1),
    "empty.csv": ("", 1),
    "header_only.csv": ("t,ax,ay,az,gx,gy,gz\r\n", 2),
    "long_line.csv": ("t,ax,ay,az\n0,1,2,3\n0.01," + "1" * 100000 + ",2,3\n", 3),
}


def case_bad_csv():
    good = write("good.csv", "t,ax,ay,az\n0,1,2,3\n0.01,1,2,3\n")
    for name, (content, line) in BAD.items():
        path = write(name, content)
        out_dir = os.path.join(WORK, "out-" + name)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        out = os.path.join(out_dir, "s.h5")
        # The bad file is the right one, so the left pod is already being written when it fails.
        rc, _, se = tendo("import", "csv", "--out", out, "--rate", "100", "--left", good,
                          "--right", path)
        check(rc == 65, f"{name}: exit 65 (got {rc})")
        check(f"{path}:{line}:" in se, f"{name}: message names {name}:{line}: {se.strip()[:160]}")
        check(os.listdir(out_dir) == [], f"{name}: nothing left in the output folder")


def case_exit_codes():
    good = write("good.csv", "t,ax,ay,az\n0,1,2,3\n0.01,1,2,3\n")
    out = os.path.join(WORK, "codes.h5")
    if os.path.exists(out):
        os.remove(out)
    rc, so, _ = tendo("import", "--help")
    check(rc == 0 and "gaitmap-walking/left.csv" in so, "import --help teaches with gaitmap")
    rc, so, _ = tendo("export", "--help")
    check(rc == 0 and "export csv" in so, "export --help")

    rc, _, se = tendo("import", "csv", "--out", out, "--rate", "100",
                      "--left", os.path.join(WORK, "nope.csv"))
    check(rc == 66 and "nope.csv" in se and not os.path.exists(out), "missing CSV → 66, no output")

    usage = [
        [],
        ["csv"],
        ["xlsx", "--out", out, "--rate", "100", "--left", good],
        ["csv", "--rate", "100", "--left", good],
        ["csv", "--out", out, "--left", good],
        ["csv", "--out", out, "--rate", "100"],
        ["csv", "--out", out, "--rate", "fast", "--left", good],
        ["csv", "--out", out, "--rate", "-5", "--left", good],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--placement", "hip"],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--accel-unit", "mg"],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--gyro-unit", "rpm"],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--start", "yesterday"],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--serial-left", "a b"],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--right", good,
         "--serial-left", "x", "--serial-right", "x"],
        ["csv", "--out", out, "--rate", "100", "--left", good, "--bogus"],
        ["csv", "--out", out, "--rate", "100", "--left"],
    ]
    for args in usage:
        rc, _, se = tendo("import", *args)
        check(rc == 64 and not os.path.exists(out), f"import {' '.join(args)!r} → 64 (got {rc})")

    rc, _, _ = tendo("import", "csv", "--out=" + out, "--rate=100", "--left=" + good)
    check(rc == 0 and os.path.exists(out), "--opt=value form works")
    before = open(out, "rb").read()
    rc, _, se = tendo("import", "csv", "--out", out, "--rate", "50", "--left", good)
    check(rc == 73 and "--force" in se and open(out, "rb").read() == before,
          "existing output → 73, file untouched")
    rc, _, _ = tendo("import", "csv", "--out", out, "--rate", "50", "--left", good, "--force")
    check(rc == 0 and pods(out)["csv-left"][0]["sample_rate_hz"] == 50, "--force replaces it")

    exp = os.path.join(WORK, "codes-exp")
    shutil.rmtree(exp, ignore_errors=True)
    rc, _, _ = tendo("export", "csv", os.path.join(WORK, "nope.h5"), "--out", exp)
    check(rc == 66 and not os.path.exists(exp), "export of a missing file → 66")
    notsession = write("not-a-session.h5", "t,ax,ay,az\n0,1,2,3\n")
    rc, _, se = tendo("export", "csv", notsession, "--out", exp)
    check(rc == 65 and not os.path.exists(exp), f"export of a non-session → 65 ({se.strip()})")
    for args in ([], ["csv"], ["csv", out], ["json", out, "--out", exp],
                 ["csv", out, "--out", exp, "--bogus"]):
        rc = tendo("export", *args)[0]
        check(rc == 64, f"export {' '.join(args)!r} → 64 (got {rc})")
    rc, _, _ = tendo("export", "csv", out, "--out", exp)
    check(rc == 0 and os.listdir(exp) == ["left.csv"], "export of one pod")
    written = open(os.path.join(exp, "left.csv"), "rb").read()
    with open(os.path.join(exp, "left.csv"), "w") as f:
        f.write("keep me\n")
    rc, _, se = tendo("export", "csv", out, "--out", exp)
    check(rc == 73 and open(os.path.join(exp, "left.csv")).read() == "keep me\n",
          "existing CSV → 73, untouched")
    rc, so, _ = tendo("export", "csv", out, "--out", exp, "--force", "--json")
    check(rc == 0 and open(os.path.join(exp, "left.csv"), "rb").read() == written
          and '"samples":2' in so, "export --force --json")
    check(leftovers(exp) == [], "no temporary files left by export")


CASES = {"gaitmap": case_gaitmap, "roundtrip": case_roundtrip, "units": case_units,
         "bad_csv": case_bad_csv, "exit_codes": case_exit_codes}

if __name__ == "__main__":
    WORK = os.path.join(WORK, CASE)
    os.makedirs(WORK, exist_ok=True)
    CASES[CASE]()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1 if failures else 0)
