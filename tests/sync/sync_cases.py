#!/usr/bin/python3
"""End-to-end cases of `tendo sync` and `tendo pods`: real libusb against
emulated pods (tendo-podsim, umockdev), real HDF5 files, the real catalog.

usage: sync_cases.py TENDO PODSIM SCRATCH CASE

Each case simulates short runs (`tendo simulate`), loads them into emulated
pods, syncs, and checks outcomes against the originals: samples bit-exact,
times within 1 ms after the UTC mapping, one session per run, the ledger,
what is left on the pods. Exit 0 when every check passes."""
import glob
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import h5py
import numpy as np

TENDO, PODSIM, SCRATCH, CASE = sys.argv[1:5]
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def workdir(name):
    d = os.path.join(SCRATCH, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def simulate(path, minutes, rate=1000, seed=1, hours_ago=6.0):
    """A simulated run that started hours_ago before now: pods record before
    they are synced, so their clocks map the run by interpolation between the
    anchor and this sync's clock read (PROTOCOL.md 5), as in real life."""
    if os.path.exists(path):
        return path
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - hours_ago * 3600))
    args = [TENDO, "simulate", "--out", path, "--minutes", str(minutes), "--rate", str(rate),
            "--seed", str(seed), "--start", start]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return path


def podsim_args(pods, faults=(), state=None, drift=None, compress=True, seed=1, anchor=None):
    args = [PODSIM, "--seed", str(seed)]
    for serial, side, files in pods:
        args += ["--pod", "%s:%s:%s" % (serial, side, ",".join(files))]
    for f in faults:
        args += ["--fault", f]
    if state:
        args += ["--state", state]
    if drift is not None:
        args += ["--clock-drift", str(drift)]
    if compress:
        args += ["--compress"]
    if anchor is not None:
        args += ["--anchor", str(anchor)]
    return args + ["--"]


def run(pods, cmd, timeout=300, **kw):
    """Runs cmd (a list) with the emulated pods attached."""
    p = subprocess.run(podsim_args(pods, **kw) + cmd, capture_output=True, text=True,
                       timeout=timeout)
    return p


def sync(home, pods, extra=(), **kw):
    """tendo sync --json under the emulator: (exit code, JSON object, stderr)."""
    p = run(pods, [TENDO, "sync", "--home", home, "--json"] + list(extra), **kw)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    obj = json.loads(lines[-1]) if lines else None
    return p.returncode, obj, p.stderr


def pods_json(pods, **kw):
    p = run(pods, [TENDO, "pods", "--json"], **kw)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    return p.returncode, (json.loads(lines[-1]) if lines else None), p.stderr


def catalog(home):
    db = sqlite3.connect(os.path.join(home, "catalog.sqlite"))
    sessions = db.execute("SELECT id, path FROM sessions ORDER BY start_utc").fetchall()
    ledger = db.execute("SELECT pod_serial, pod_session, crc32, bytes, session_id, state "
                        "FROM sync_ledger ORDER BY pod_serial, pod_session").fetchall()
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return sessions, ledger, ok


def original(path, side):
    with h5py.File(path, "r") as f:
        for name, g in f["sensors"].items():
            if g.attrs["side"] == side:
                return {"time": g["time"][:], "accel": g["accel"][:], "gyro": g["gyro"][:],
                        "status": g["status"][:], "rate": g.attrs["sample_rate_hz"],
                        "accel_range_g": g.attrs["accel_range_g"]}
    raise KeyError(side)


def check_home(home, runs, keep=False, tol_us=1000):
    """runs: list of [(serial, side, original file)], one list per expected
    session file. Checks the catalog holds exactly these sessions, each pod's
    samples bit-exact and times within tol_us of the originals, left and right
    aligned, and the ledger. Returns the worst time error in µs."""
    sessions, ledger, ok = catalog(home)
    check(ok == "ok", "PRAGMA integrity_check: %s" % ok)
    check(len(sessions) == len(runs), "%d sessions in the catalog, expected %d"
          % (len(sessions), len(runs)))
    finals = sorted(glob.glob(os.path.join(home, "sessions", "**", "*.h5"), recursive=True))
    check(sorted(p for _, p in sessions) == finals,
          "files under sessions/ %s are the registered ones %s" % (finals, sessions))
    check(not glob.glob(os.path.join(home, "sessions", "**", ".*partial"), recursive=True),
          "no .partial file left")
    worst = 0.0
    used = set()
    for members in runs:
        serials = sorted(m[0] for m in members)
        match = None
        for sid, path in sessions:
            with h5py.File(path, "r") as f:
                if sorted(f["sensors"].keys()) == serials:
                    if match is None or sid not in used:
                        match = (sid, path)
                        if sid not in used:
                            break
        if not check(match is not None and match[0] not in used,
                     "a session holds exactly pods %s" % serials):
            continue
        used.add(match[0])
        with h5py.File(match[1], "r") as f:
            check(f.attrs["source"] == "sync", "source attribute")
            offsets = []
            for serial, side, orig_path in members:
                g = f["sensors"][serial]
                o = original(orig_path, side)
                check(g.attrs["side"] == side, "%s side" % serial)
                check(g.attrs["sample_rate_hz"] == o["rate"], "%s rate" % serial)
                check(g.attrs["accel_range_g"] == o["accel_range_g"], "%s range" % serial)
                n = g["time"].shape[0]
                if not check(n == o["time"].shape[0], "%s: %d samples, original %d"
                             % (serial, n, o["time"].shape[0])):
                    continue
                check(np.array_equal(g["accel"][:], o["accel"]), "%s accel bit-exact" % serial)
                check(np.array_equal(g["gyro"][:], o["gyro"]), "%s gyro bit-exact" % serial)
                check(np.array_equal(g["status"][:], o["status"]), "%s status bit-exact" % serial)
                d = g["time"][:].astype(np.int64) - o["time"]
                err = float(np.max(np.abs(d)))
                worst = max(worst, err)
                check(err < tol_us, "%s: time error %.0f µs (limit %d)" % (serial, err, tol_us))
                offsets.append(d)
            if len(offsets) == 2:
                # left/right alignment: the difference of the two pods' errors
                n = min(len(offsets[0]), len(offsets[1]))
                rel = np.abs(offsets[0][:n] - offsets[1][:n]).max()
                check(rel < 1000, "left/right alignment error %.0f µs" % rel)
        for serial, side, _ in members:
            rows = [r for r in ledger if r[0] == serial and r[4] == match[0]]
            check(len(rows) == 1, "one ledger row for %s in %s" % (serial, match[0]))
            if rows:
                check(rows[0][5] == ("committed" if keep else "erased"),
                      "%s ledger state %s" % (serial, rows[0][5]))
    return worst


def pod_sessions(pods, state, **kw):
    """Recordings on each pod; kw must repeat the sync's podsim options (the
    clock drift changes the recordings' content, so their identity)."""
    rc, obj, err = pods_json(pods, state=state, **kw)
    check(rc == 0 and obj, "tendo pods: %d %s" % (rc, err))
    return {p["serial"]: p["sessions"] for p in (obj or {}).get("pods", [])}


# ------------------------------------------------------------------ cases

def case_roundtrip_1pod():
    d = workdir("rt1")
    a = simulate(os.path.join(d, "a.h5"), 0.5, rate=200, seed=11)
    b = simulate(os.path.join(d, "b.h5"), 0.5, rate=1600, seed=12, hours_ago=3)
    home = os.path.join(d, "not", "yet", "home")  # created with its parents
    pods = [("L0001A", "left", [a, b])]
    rc, obj, err = sync(home, pods, compress=False)
    check(rc == 0 and obj and obj["ok"], "sync: %d %s" % (rc, err))
    check(obj and len(obj["files"]) == 2, "two files")
    check_home(home, [[("L0001A", "left", a)], [("L0001A", "left", b)]])
    check(not glob.glob(os.path.join(home, "spool", "*", "session-*")), "spool emptied")


def case_roundtrip_2pods():
    d = workdir("rt2")
    runs = [simulate(os.path.join(d, "r%d.h5" % i), 0.5, rate=rate, seed=20 + i,
                     hours_ago=30 - 10 * i)
            for i, rate in enumerate([500, 1000, 1600])]
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("L0001A", "left", runs), ("R0001A", "right", runs)]
    rc, obj, err = sync(home, pods, state=state, drift=30)
    check(rc == 0 and obj and obj["ok"], "sync: %d %s" % (rc, err))
    print("clock read uncertainty (µs):", [p["clock_unc_us"] for p in obj["pods"]] if obj else "-")
    check(obj and all(p["synced"] == 3 and p["erased"] == 3 for p in obj["pods"]),
          "3 synced and erased per pod: %s" % (obj and obj["pods"]))
    check_home(home, [[("L0001A", "left", r), ("R0001A", "right", r)] for r in runs])
    left = pod_sessions(pods, state, drift=30)
    check(left == {"L0001A": 0, "R0001A": 0}, "pods empty after sync: %s" % left)


def case_plain_option():
    """--plain asks compressing pods for plain frames; same outcome."""
    d = workdir("plain")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=1000, seed=31)
    home = os.path.join(d, "home")
    pods = [("L1", "left", [r]), ("R1", "right", [r])]
    rc, obj, err = sync(home, pods, extra=["--plain"], compress=True)
    check(rc == 0, "sync --plain: %d %s" % (rc, err))
    check_home(home, [[("L1", "left", r), ("R1", "right", r)]])


def case_clock_2h():
    """±50 ppm, 2-hour run (100 Hz keeps it fast): every sample within 1 ms,
    left and right aligned within 1 ms."""
    d = workdir("clock")
    r = simulate(os.path.join(d, "long.h5"), 120, rate=100, seed=41, hours_ago=3)
    # podsim runs the left pod fast and the right one slow: +50 and -50 ppm
    for drift in (50,):
        home = os.path.join(d, "home%d" % drift)
        pods = [("L2H", "left", [r]), ("R2H", "right", [r])]
        rc, obj, err = sync(home, pods, drift=drift)
        check(rc == 0, "sync at %+d ppm: %d %s" % (drift, rc, err))
        if obj:
            drifts = sorted(p["drift_ppm"] for p in obj["pods"])
            check(abs(drifts[0] + abs(drift)) < 5 and abs(drifts[1] - abs(drift)) < 5,
                  "fitted drifts %s for ±%d ppm" % (drifts, abs(drift)))
            check(all(p["anchored"] for p in obj["pods"]), "mapped through the anchor")
        worst = check_home(home, [[("L2H", "left", r), ("R2H", "right", r)]])
        print("drift %+d ppm: worst sample time error %.0f µs" % (drift, worst))


def case_idempotence():
    d = workdir("idem")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=500, seed=51)
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("L3", "left", [r]), ("R3", "right", [r])]
    # --keep, then again with --keep: nothing downloaded twice, nothing erased
    for _ in range(2):
        rc, obj, err = sync(home, pods, extra=["--keep"], state=state)
        check(rc == 0, "sync --keep: %d %s" % (rc, err))
    check(obj and all(p["synced"] == 0 and p["already_synced"] == 1 and p["erased"] == 0
                      for p in obj["pods"]), "second --keep sync: %s" % (obj and obj["pods"]))
    check_home(home, [[("L3", "left", r), ("R3", "right", r)]], keep=True)
    check(pod_sessions(pods, state) == {"L3": 1, "R3": 1}, "--keep left the recordings")
    # a plain sync now erases what is safely stored, downloads nothing
    rc, obj, err = sync(home, pods, state=state)
    check(rc == 0 and obj and all(p["bytes"] == 0 and p["erased"] == 1 for p in obj["pods"]),
          "third sync erases only: %s %s" % (obj and obj["pods"], err))
    rc, obj, err = sync(home, pods, state=state)
    check(rc == 0 and obj and not obj["files"], "fourth sync: nothing to do")
    check_home(home, [[("L3", "left", r), ("R3", "right", r)]])
    check(pod_sessions(pods, state) == {"L3": 0, "R3": 0}, "erased")


def case_no_pod():
    d = workdir("nopod")
    p = subprocess.run([TENDO, "sync", "--home", os.path.join(d, "home")], capture_output=True,
                       text=True)
    check(p.returncode == 69, "sync without pods exits 69, got %d" % p.returncode)
    check("no tendo pod is attached" in p.stderr and "tendo pods" in p.stderr,
          "says what to try: %s" % p.stderr)
    p = subprocess.run([TENDO, "pods"], capture_output=True, text=True)
    check(p.returncode == 69 and "no tendo pod" in p.stderr, "pods without pods: %d %s"
          % (p.returncode, p.stderr))
    p = subprocess.run([TENDO, "sync", "--bogus"], capture_output=True, text=True)
    check(p.returncode == 64 and "--bogus" in p.stderr, "unknown option: %d" % p.returncode)
    p = subprocess.run([TENDO, "sync", "--athlete", "../x"], capture_output=True, text=True)
    check(p.returncode == 64, "bad athlete id refused: %d" % p.returncode)


def case_pods():
    d = workdir("pods")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=500, seed=61)
    pods = [("L4", "left", [r, r]), ("R4", "right", [r])]
    rc, obj, err = pods_json(pods)
    check(rc == 0 and obj, "tendo pods --json: %d %s" % (rc, err))
    got = {p["serial"]: p for p in (obj or {}).get("pods", [])}
    check(set(got) == {"L4", "R4"}, "both pods listed: %s" % list(got))
    if set(got) == {"L4", "R4"}:
        check(got["L4"]["sessions"] == 2 and got["R4"]["sessions"] == 1, "session counts")
        check(got["L4"]["side"] == "left" and got["R4"]["side"] == "right", "sides")
        check(got["L4"]["bytes"] > got["R4"]["bytes"] > 0, "bytes")
    p = run(pods, [TENDO, "pods"])
    check(p.returncode == 0 and "L4" in p.stdout and "SERIAL" in p.stdout, "table: %s" % p.stdout)


def ledger_states(home):
    if not os.path.exists(os.path.join(home, "catalog.sqlite")):
        return {}
    _, ledger, _ = catalog(home)
    return {(r[0], r[1]): r[5] for r in ledger}


def fault_case(spec, must_complete):
    """One fault in the first sync: it completes or stops with a clear error
    (65 or 69, a message naming the pod), erases nothing that is not
    committed; a second sync without the fault completes, nothing lost or
    doubled. must_complete: the first sync must recover by itself."""
    name = spec.split("@")[0].split(",")[0].split("=")[0]
    d = workdir("fault-" + name)
    runs = [simulate(os.path.join(d, "r%d.h5" % i), 0.5, rate=500, seed=70 + i,
                     hours_ago=8 - 2 * i) for i in range(2)]
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("L7", "left", runs), ("R7", "right", runs)]
    rc, obj, err = sync(home, pods, extra=["--wait", "2"], state=state, faults=[spec], drift=20)
    msg = (obj or {}).get("error", err.strip())
    print("%s: first sync exit %d%s" % (spec, rc, (": " + msg) if rc else ""))
    if must_complete:
        check(rc == 0, "%s: the sync recovers by itself (exit %d: %s)" % (spec, rc, msg))
    else:
        check(rc in (0, 65, 69), "%s: exit %d" % (spec, rc))
    if rc:
        check(obj is not None and len(msg) > 40 and
              ("L7" in msg or "R7" in msg or "bus" in msg or "1209:0001" in msg),
              "a clear message naming the pod: %r" % msg)
    # nothing erased unless committed: what left the pods is in the ledger
    left = pod_sessions(pods, state, drift=20)
    states = ledger_states(home)
    for serial in ("L7", "R7"):
        gone = 2 - left.get(serial, 2)
        erased = sum(1 for (s, _), st in states.items() if s == serial and st == "erased")
        committed = sum(1 for (s, _), st in states.items() if s == serial)
        check(gone <= committed, "%s: %d recordings left the pod, %d committed"
              % (serial, gone, committed))
        check(gone == erased, "%s: %d gone, %d marked erased" % (serial, gone, erased))
    rc, obj, err = sync(home, pods, state=state, drift=20)
    check(rc == 0, "%s: the next sync completes (exit %d: %s)" % (spec, rc, err))
    check_home(home, [[("L7", "left", r), ("R7", "right", r)] for r in runs])
    check(pod_sessions(pods, state, drift=20) == {"L7": 0, "R7": 0}, "pods empty at the end")


def case_hostile_serial():
    """Pods whose serial would be a path, a control character, a lone
    surrogate, too long, empty: never used, never erased, nothing written
    outside HOME; the good pod beside them syncs."""
    for form in ("path", "control", "utf16", "long", "empty", "odd"):
        d = workdir("hostile-" + form)
        r = simulate(os.path.join(d, "r.h5"), 0.5, rate=500, seed=81)
        home = os.path.join(d, "home")
        state = os.path.join(d, "state")
        os.makedirs(state)
        pods = [("L8", "left", [r]), ("R8", "right", [r])]
        before = set(os.listdir(d))
        rc, obj, err = sync(home, pods, faults=["evil-serial=%s,pod=R8" % form], state=state)
        msg = (obj or {}).get("error", err)
        check(rc == 65 or rc == 69, "%s: exit %d (%s)" % (form, rc, msg))
        check(obj and len(obj["pods"]) == 2 and any(p["serial"] == "" and p["problem"]
                                                    for p in obj["pods"]),
              "%s: the hostile pod is reported, without a serial: %s" % (form, obj and obj["pods"]))
        check(set(os.listdir(d)) == before | {"home"}, "%s: nothing beside HOME: %s"
              % (form, sorted(set(os.listdir(d)) - before)))
        check(not os.path.exists(os.path.join(SCRATCH, "x")) and
              not os.path.exists(os.path.join(d, "x")), "%s: no ../../x" % form)
        for root, dirs, files in os.walk(home):
            for name in dirs + files:
                check(name.isprintable() and ".." not in name.split("-")[-1],
                      "%s: odd name %r under HOME" % (form, name))
        statefile = os.path.join(state, "R8.state")
        check(not os.path.exists(statefile) or "erased" not in open(statefile).read(),
              "%s: nothing erased from the hostile pod" % form)
        check_home(home, [[("L8", "left", r)]])


def case_disk_full():
    """A write fails for want of space (RLIMIT_FSIZE: the same failing
    write(2) as a full disk): exit 74, nothing erased; once there is space
    the next sync completes."""
    import resource

    d = workdir("diskfull")
    r = simulate(os.path.join(d, "r.h5"), 3, rate=1000, seed=91)
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("L9", "left", [r]), ("R9", "right", [r])]

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    p = subprocess.run(podsim_args(pods, state=state) + [TENDO, "sync", "--home", home],
                       capture_output=True, text=True, timeout=300, preexec_fn=small_files)
    check(p.returncode == 74, "a full disk is an I/O error (74), got %d: %s"
          % (p.returncode, p.stderr))
    check("keep" in p.stderr, "the message says the pods keep their data: %s" % p.stderr)
    check(pod_sessions(pods, state) == {"L9": 1, "R9": 1}, "nothing erased")
    rc, obj, err = sync(home, pods, state=state)
    check(rc == 0, "with space again the sync completes: %d %s" % (rc, err))
    check_home(home, [[("L9", "left", r), ("R9", "right", r)]])


def case_kill_loop():
    """SIGKILL `tendo sync` at random points, then rerun: never a partial
    file under a final name, the catalog intact, and in the end every run
    exactly once, bit-exact."""
    d = workdir("kill")
    runs = [simulate(os.path.join(d, "r%d.h5" % i), 2, rate=1000, seed=100 + i,
                     hours_ago=9 - 3 * i) for i in range(2)]
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("LK", "left", runs), ("RK", "right", runs)]
    rnd = random.Random(int(os.environ.get("TENDO_KILL_SEED", "7")))
    for i in range(int(os.environ.get("TENDO_KILL_ROUNDS", "8"))):
        delay = rnd.uniform(0.02, 0.9)
        script = ('"$0" sync --home "$1" >/dev/null 2>&1 & p=$!; sleep %.3f; kill -9 $p; '
                  'wait $p; echo "exit $?"' % delay)
        p = run(pods, ["sh", "-c", script, TENDO, home], state=state)
        print("round %d: killed after %.2f s (%s)" % (i, delay, p.stdout.strip()))
        if os.path.exists(os.path.join(home, "catalog.sqlite")):
            sessions, _, ok = catalog(home)
            check(ok == "ok", "round %d: integrity_check %s" % (i, ok))
            registered = {path for _, path in sessions}
        else:
            registered = set()
        for path in glob.glob(os.path.join(home, "sessions", "**", "*.h5"), recursive=True):
            v = subprocess.run([TENDO, "inspect", path], capture_output=True, text=True)
            check(v.returncode == 0, "round %d: %s under a final name fails inspect: %s"
                  % (i, path, v.stderr))
            if path not in registered:
                print("  not yet registered (replaced by the next sync):", path)
    rc, obj, err = sync(home, pods, state=state)
    check(rc == 0, "the sync after the kills completes: %d %s" % (rc, err))
    check_home(home, [[("LK", "left", r), ("RK", "right", r)] for r in runs])
    check(pod_sessions(pods, state) == {"LK": 0, "RK": 0}, "pods empty at the end")
    check(not glob.glob(os.path.join(home, "spool", "*", "session-*")), "spools removed")


def sessions_by_id(home):
    db = sqlite3.connect(os.path.join(home, "catalog.sqlite"))
    rows = db.execute("SELECT id, path, athlete_id, summary_json IS NOT NULL FROM sessions "
                      "ORDER BY start_utc").fetchall()
    db.close()
    return {r[0]: {"path": r[1], "athlete": r[2], "summary": bool(r[3])} for r in rows}


def case_claim():
    """Synced before the pods had an athlete: `tendo add --pending` cannot
    measure the session (no body mass) and says how to fix it; assigning the
    pods later (`tendo sync --athlete ID`, nothing new to download) gives the
    session to that athlete, says so, and `tendo add --pending` completes it.
    A session that has an athlete is never given to another."""
    d = workdir("claim")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=500, seed=131)
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("LC", "left", [r]), ("RC", "right", [r])]
    rc, obj, err = sync(home, pods, state=state)
    check(rc == 0 and obj and len(obj["files"]) == 1, "first sync: %d %s" % (rc, err))
    check(obj and obj["claimed"] == [], "nothing claimed without an athlete")
    sess = sessions_by_id(home)
    check(len(sess) == 1 and all(s["athlete"] is None for s in sess.values()),
          "registered without an athlete: %s" % sess)
    p = subprocess.run([TENDO, "add", "--pending", "--home", home], capture_output=True,
                       text=True)
    check(p.returncode == 64 and "no athlete" in p.stderr and "--athlete" in p.stderr,
          "add --pending cannot measure it and says how to fix it: %d %s"
          % (p.returncode, p.stderr))
    for who, mass in (("anna", "61"), ("bob", "80")):
        p = subprocess.run([TENDO, "athlete", "add", who, "--name", who, "--mass", mass,
                            "--home", home], capture_output=True, text=True)
        check(p.returncode == 0, "athlete add %s: %s" % (who, p.stderr))
    # the pods are assigned later; nothing new on them
    p = run(pods, [TENDO, "sync", "--home", home, "--athlete", "anna"], state=state)
    check(p.returncode == 0, "sync --athlete anna: %d %s" % (p.returncode, p.stderr))
    check("now the pods' athlete's" in p.stdout and "anna" in p.stdout and
          "tendo add --pending" in p.stdout, "the summary says so: %s" % p.stdout)
    sess = sessions_by_id(home)
    check(all(s["athlete"] == "anna" and not s["summary"] for s in sess.values()),
          "the session is anna's, still pending: %s" % sess)
    # a second sync claims nothing more; another athlete never takes it
    rc, obj, err = sync(home, pods, extra=["--athlete", "bob"], state=state)
    check(rc == 0 and obj and obj["claimed"] == [] and not obj["files"],
          "sync --athlete bob claims nothing: %s %s" % (obj and obj["claimed"], err))
    check(all(s["athlete"] == "anna" for s in sessions_by_id(home).values()),
          "never reassigned to bob")
    p = subprocess.run([TENDO, "add", "--pending", "--home", home, "--json"],
                       capture_output=True, text=True)
    outs = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    done = [o for o in outs if o.get("file")]
    check(p.returncode == 0 and len(done) == 1 and done[0]["completed"] and
          done[0]["athlete"] == "anna", "add --pending completes it: %d %s %s"
          % (p.returncode, outs, p.stderr))
    check(all(s["summary"] for s in sessions_by_id(home).values()), "summary stored")
    check_home(home, [[("LC", "left", r), ("RC", "right", r)]])


def case_claim_json():
    """--json reports what was claimed, per pod and per session."""
    d = workdir("claimjson")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=500, seed=132)
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    pods = [("LJ", "left", [r])]
    rc, obj, err = sync(home, pods, extra=["--keep"], state=state)
    check(rc == 0, "first sync: %d %s" % (rc, err))
    subprocess.run([TENDO, "athlete", "add", "cy", "--name", "Cy", "--mass", "70", "--home",
                    home], check=True, capture_output=True)
    rc, obj, err = sync(home, pods, extra=["--athlete", "cy"], state=state)
    check(rc == 0 and obj, "sync --athlete cy: %d %s" % (rc, err))
    sid = list(sessions_by_id(home))[0]
    check(obj and [c["session_id"] for c in obj["claimed"]] == [sid] and
          obj["claimed"][0]["athlete_id"] == "cy" and obj["pods"][0]["claimed"] == 1 and
          obj["pods"][0]["erased"] == 1, "claimed in --json: %s" % (obj and obj["claimed"]))


def late_pod_home(d, name, first, second, athlete=None):
    """Syncs pod `first`, then, separately, pod `second` (same run) into
    HOME d/name: (home, state, first sync's JSON, second sync's JSON)."""
    home = os.path.join(d, name)
    state = os.path.join(d, name + "-state")
    os.makedirs(state)
    extra = []
    if athlete:
        subprocess.run([TENDO, "athlete", "add", athlete, "--name", athlete, "--mass", "60",
                        "--home", home], check=True, capture_output=True)
        extra = ["--athlete", athlete]
    out = []
    for pods in ([first], [second]):
        rc, obj, err = sync(home, pods, extra=extra, state=state)
        check(rc == 0 and obj and len(obj["files"]) == 1, "%s: sync of %s: %d %s"
              % (name, pods[0][0], rc, err))
        out.append(obj)
        if athlete and len(out) == 1:
            p = subprocess.run([TENDO, "add", "--pending", "--home", home], capture_output=True,
                               text=True)
            check(p.returncode == 0, "add --pending of the one-pod session: %s" % p.stderr)
    return home, state, out[0], out[1]


def case_late_pod():
    """The left pod synced today, the right one tomorrow: one two-pod session
    in the end, with the id and the file a sync of both together gives, the
    one-pod session retired (its file gone, its ledger row moved), pending for
    `tendo add --pending`; a rerun creates nothing. Both orders, with and
    without an athlete."""
    d = workdir("late")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=500, seed=141)
    left, right = ("LL", "left", [r]), ("RL", "right", [r])
    # reference: both pods in one sync
    ref = os.path.join(d, "together")
    rc, obj, err = sync(ref, [left, right])
    check(rc == 0 and obj and len(obj["files"]) == 1, "together: %d %s" % (rc, err))
    ref_id = obj["files"][0]["session_id"] if obj and obj["files"] else None
    ref_name = os.path.basename(obj["files"][0]["path"]) if obj and obj["files"] else None
    for name, first, second, athlete in (("lr-anna", left, right, "anna"),
                                         ("rl-none", right, left, None)):
        home, state, one, two = late_pod_home(d, name, first, second, athlete)
        if not (one and two and one["files"] and two["files"]):
            continue
        old = one["files"][0]
        new = two["files"][0]
        check(new["replaces"] and new["replaces"]["session_id"] == old["session_id"] and
              new["replaces"]["path"] == old["path"], "%s: replaces %s" % (name, new["replaces"]))
        check(new["session_id"] == ref_id, "%s: the id of a sync of both together (%s, %s)"
              % (name, new["session_id"], ref_id))
        check(os.path.basename(new["path"]) == ref_name, "%s: file name %s" % (name, new["path"]))
        check(not os.path.exists(old["path"]), "%s: the one-pod file is gone" % name)
        check([p["side"] for p in new["pods"]] == ["left", "right"], "%s: left first" % name)
        check_home(home, [[("LL", "left", r), ("RL", "right", r)]])
        sess = sessions_by_id(home)
        check(list(sess) == [new["session_id"]] and not sess[new["session_id"]]["summary"] and
              sess[new["session_id"]]["athlete"] == athlete,
              "%s: one session, pending, athlete %s: %s" % (name, athlete, sess))
        with h5py.File(new["path"], "r") as f:
            check(f.attrs["athlete_id"] == (athlete or ""), "%s: file's athlete" % name)
            check("analysis" not in f, "%s: no one-pod /analysis carried over" % name)
        v = subprocess.run([TENDO, "inspect", new["path"]], capture_output=True, text=True)
        check(v.returncode == 0, "%s: inspect: %s" % (name, v.stderr))
        check(not glob.glob(os.path.join(home, "spool", "retire-*")), "%s: no marker" % name)
        # rerun with both pods: nothing new, nothing doubled
        rc, obj, err = sync(home, [left, right], state=state)
        check(rc == 0 and obj and not obj["files"], "%s: rerun creates nothing: %s"
              % (name, obj and obj["files"]))
        check_home(home, [[("LL", "left", r), ("RL", "right", r)]])
        if athlete:
            p = subprocess.run([TENDO, "add", "--pending", "--home", home, "--json"],
                               capture_output=True, text=True)
            check(p.returncode == 0 and '"completed":true' in p.stdout.replace(" ", ""),
                  "%s: add --pending completes the two-pod session: %s %s"
                  % (name, p.stdout, p.stderr))


def case_late_pod_no_merge():
    """No merge across athletes, or into a run that does not overlap: the
    second pod's recording gets its own file."""
    d = workdir("late-no")
    a = simulate(os.path.join(d, "a.h5"), 0.5, rate=500, seed=151, hours_ago=8)
    b = simulate(os.path.join(d, "b.h5"), 0.5, rate=500, seed=152, hours_ago=4)
    home = os.path.join(d, "home")
    state = os.path.join(d, "state")
    os.makedirs(state)
    rc, obj, err = sync(home, [("LN", "left", [a])], state=state)
    check(rc == 0, "left: %d %s" % (rc, err))
    rc, obj, err = sync(home, [("RN", "right", [b])], state=state)
    check(rc == 0 and obj and obj["files"] and obj["files"][0]["replaces"] is None,
          "another run is not merged: %s" % (obj and obj["files"]))
    subprocess.run([TENDO, "athlete", "add", "zoe", "--name", "Z", "--mass", "55", "--home",
                    home], check=True, capture_output=True)
    rc, obj, err = sync(home, [("RZ", "right", [a])], extra=["--athlete", "zoe"], state=state)
    check(rc == 0 and obj and obj["files"] and obj["files"][0]["replaces"] is None,
          "zoe's pod is not merged into a session without athlete: %s" % (obj and obj["files"]))
    check(len(sessions_by_id(home)) == 3, "three one-pod sessions")


def case_late_pod_kill():
    """SIGKILL the merging sync at random points, each round from the same
    start (the left pod synced alone): after the kill the catalog holds
    either the one-pod session or the two-pod one (never both, never
    neither), every registered file is there and passes inspect; the next
    sync then ends with one two-pod session, bit-exact, no one-pod file
    left, no marker, the pods empty."""
    d = workdir("late-kill")
    r = simulate(os.path.join(d, "r.h5"), 2, rate=1000, seed=161)
    base, base_state = os.path.join(d, "base"), os.path.join(d, "base-state")
    os.makedirs(base_state)
    left, right = ("LX", "left", [r]), ("RX", "right", [r])
    rc, obj, err = sync(base, [left], state=base_state)
    check(rc == 0 and obj and obj["files"], "left alone: %d %s" % (rc, err))
    old_id = obj["files"][0]["session_id"] if obj and obj["files"] else ""

    def fresh(name):
        home, state = os.path.join(d, name), os.path.join(d, name + "-state")
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(base, home)
        shutil.copytree(base_state, state)
        # the catalog holds absolute paths: the copy's session file is moved
        # to where the catalog says it is by a symlink-free rewrite
        db = sqlite3.connect(os.path.join(home, "catalog.sqlite"))
        db.execute("UPDATE sessions SET path = replace(path, ?, ?)", (base, home))
        db.commit()
        db.close()
        return home, state

    # how long an uninterrupted merge takes, to spread the kills over it
    home, state = fresh("timing")
    t0 = time.time()
    rc, obj, err = sync(home, [right], state=state)
    span = time.time() - t0
    check(rc == 0 and obj and obj["files"] and obj["files"][0]["replaces"],
          "the merge: %d %s" % (rc, err))
    merged = obj["files"][0]["path"] if obj and obj["files"] else ""
    old_path = sessions_by_id(base)[old_id]["path"] if old_id else ""
    rnd = random.Random(int(os.environ.get("TENDO_KILL_SEED", "11")))
    seen = set()
    # Kill at a random time, or the moment a step of the merge shows: the
    # two-pod file under its final name (before the catalog), the retire
    # marker (just before the transaction), the one-pod file gone (after it).
    triggers = ["time", "renamed", "marker", "old-gone"]
    for i in range(int(os.environ.get("TENDO_KILL_ROUNDS", "8"))):
        home, state = fresh("round")
        trig = triggers[i % len(triggers)]
        delay = rnd.uniform(0.05, 1.0) * span
        pidfile = os.path.join(d, "round.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        script = '"$0" sync --home "$1" >/dev/null 2>&1 & echo $! > "$2"; wait $!; echo "exit $?"'
        proc = subprocess.Popen(podsim_args([right], state=state) +
                                ["sh", "-c", script, TENDO, home, pidfile],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        while not os.path.exists(pidfile) and proc.poll() is None:
            time.sleep(0.001)
        pid = None
        while pid is None and proc.poll() is None:
            try:
                pid = int(open(pidfile).read())
            except (OSError, ValueError):
                time.sleep(0.001)
        t_start = time.time()
        cases = {"renamed": lambda: os.path.exists(merged.replace("/timing/", "/round/")),
                 "marker": lambda: os.path.exists(os.path.join(home, "spool",
                                                               "retire-%s.txt" % old_id)),
                 "old-gone": lambda: not os.path.exists(old_path.replace("/base/", "/round/"))}
        while proc.poll() is None and pid:
            if (cases[trig]() if trig in cases else time.time() - t_start >= delay):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break
            time.sleep(0.0005)
        out, _ = proc.communicate(timeout=300)
        sess = sessions_by_id(home)
        _, ledger, ok = catalog(home)
        check(ok == "ok", "round %d: integrity_check %s" % (i, ok))
        two = [s for s in sess if s != old_id]
        if old_id in sess:
            st = "old"
            check(not two, "round %d: old and new registered together: %s" % (i, sess))
            check(not any(row[0] == "RX" for row in ledger), "round %d: RX in the ledger" % i)
        else:
            st = "new"
            check(len(two) == 1, "round %d: neither session registered: %s" % (i, sess))
            check(all(row[4] == two[0] for row in ledger), "round %d: ledger moved" % i)
        files = glob.glob(os.path.join(home, "sessions", "**", "*.h5"), recursive=True)
        extra = len(files) - len(sess)
        seen.add("%s+%d" % (st, extra))
        for sid, s in sess.items():
            check(os.path.exists(s["path"]), "round %d: registered %s is missing" % (i, s["path"]))
        for path in files:
            v = subprocess.run([TENDO, "inspect", path], capture_output=True, text=True)
            check(v.returncode == 0, "round %d: %s fails inspect: %s" % (i, path, v.stderr))
        print("round %d: killed at %s (%s): %s state, %d unregistered file(s)"
              % (i, trig if trig != "time" else "%.2f of %.2f s" % (delay, span), out.strip(),
                 st, extra))
        rc, obj, err = sync(home, [left, right], state=state)
        check(rc == 0, "round %d: the sync after the kill completes: %d %s" % (i, rc, err))
        check_home(home, [[("LX", "left", r), ("RX", "right", r)]])
        check(not glob.glob(os.path.join(home, "spool", "retire-*")),
              "round %d: no retire marker left" % i)
        check(pod_sessions([left, right], state) == {"LX": 0, "RX": 0},
              "round %d: pods empty at the end" % i)
    # A kill after the transaction and before the one-pod file went: the
    # marker remains, and the next sync removes the file it names.
    home = os.path.join(d, "timing")
    shutil.copy(os.path.join(base, os.path.relpath(old_path, base)), old_path.replace("/base/", "/timing/"))
    with open(os.path.join(home, "spool", "retire-%s.txt" % old_id), "w") as f:
        f.write("tendo-retire 1\n%s\n%s\n" % (old_id, old_path.replace("/base/", "/timing/")))
    rc, obj, err = sync(home, [left, right], state=os.path.join(d, "timing-state"))
    check(rc == 0, "sync after a kill past the transaction: %d %s" % (rc, err))
    check_home(home, [[("LX", "left", r), ("RX", "right", r)]])
    check(not glob.glob(os.path.join(home, "spool", "retire-*")), "marker done")
    print("states seen after the kills:", sorted(seen))


def case_future():
    """A recording stamped after the sync's own clock read (a run "in the
    future": its pod ticks lie past the pod's clock now) is refused with a
    clear message, exit 65, and stays on the pod; the pod's other recording
    is synced and erased; a rerun doubles nothing. With and without an
    anchor."""
    d = workdir("future")
    r = simulate(os.path.join(d, "r.h5"), 0.5, rate=200, seed=171, hours_ago=3)
    f = simulate(os.path.join(d, "f.h5"), 0.5, rate=200, seed=172, hours_ago=-2)
    for anchor in (None, "none"):
        home = os.path.join(d, "home-%s" % anchor)
        state = os.path.join(d, "state-%s" % anchor)
        os.makedirs(state)
        pods = [("LF", "left", [r, f])]
        for attempt in range(2):
            rc, obj, err = sync(home, pods, state=state, anchor=anchor)
            msg = (obj or {}).get("error", "")
            check(rc == 65, "anchor %s, sync %d: exit 65, got %d %s" % (anchor, attempt, rc, err))
            check("recording 2 of pod LF" in msg and "after the pod's own clock" in msg and
                  "stays on the pod" in msg, "the message says what and why: %r" % msg)
            check(obj and obj["pods"][0]["kept_after_error"] == 1, "kept: %s" % (obj and obj["pods"]))
            check(obj and obj["files"] == [] if attempt else len(obj["files"]) == 1,
                  "files: %s" % (obj and obj["files"]))
        check(pod_sessions(pods, state, anchor=anchor) == {"LF": 1}, "the future run stays")
        check_home(home, [[("LF", "left", r)]])
        states = ledger_states(home)
        check(states == {("LF", 1): "erased"}, "ledger: %s" % states)


# Faults the sync must recover from within the same run, and faults after
# which it may stop with a clear error (the next sync completes).
RECOVER = ["crc@0.5", "drop@0.5", "dup@0.5", "reorder@0.5", "length@0.5", "stall@0.3,for=1s",
           "stall@0.3", "unplug@0.5,replug=1s", "crc@frame:0,times=2"]
MAY_STOP = ["unplug@0.5", "reset@0.5", "mute@0.5", "mute", "short-reply",
            "short-reply,request=LIST", "list-lie,field=size", "list-lie,field=samples",
            "list-lie,field=crc", "list-lie,field=total", "list-lie,field=order",
            "descriptors,form=truncated", "descriptors,form=class", "descriptors,form=packet",
            "descriptors,form=length"]


def case_fault():
    spec = sys.argv[5]
    fault_case(spec, spec in RECOVER)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if CASE not in CASES:
        print("unknown case %s; cases: %s" % (CASE, " ".join(sorted(CASES))), file=sys.stderr)
        sys.exit(2)
    os.makedirs(SCRATCH, exist_ok=True)
    CASES[CASE]()
    if FAILS:
        print("%s: %d check(s) failed" % (CASE, len(FAILS)), file=sys.stderr)
        sys.exit(1)
    print("%s: all checks passed" % CASE)
