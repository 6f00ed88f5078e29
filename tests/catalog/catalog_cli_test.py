#!/usr/bin/python3
"""The catalog commands end to end: real simulated session files, a real
SQLite catalog (read back with Python's sqlite3, independently of tendo),
exit codes and messages.

usage: catalog_cli_test.py TENDO_BIN SCRATCH_DIR CASE
cases:
  history  a 14-week athlete history from real simulated runs with planted
           spikes (the plan of tests/training/test_training_rules.c, scaled
           to short runs): each spike flagged by its rule in its week, the
           longest run and the symptoms on their exact days, quiet weeks
           silent; sums of the load series match the sessions
  errors   unknown athlete, dates out of order, diary values out of range,
           a session registered twice, a bad training.json: clear messages,
           documented exit codes, nothing written or doubled
  review   a coach's ack survives recomputation; flag ids are stable
  crash    SIGKILL during catalog writes, in a bounded loop: integrity_check
           ok, a diary import is all or nothing, nothing doubled
  parallel two writers at once wait for each other (busy timeout)
  pending  a session registered without a summary (as sync registers) is
           analysed by `tendo add FILE` or `tendo add --pending`, once
  help     every command's --help teaches and exits 0
"""
import datetime
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TENDO, SCRATCH, CASE = sys.argv[1:4]
HOME = os.path.join(SCRATCH, "home")
MONDAY = datetime.date(2026, 1, 5)


def check(cond, msg):
    if not cond:
        sys.exit("FAIL: " + msg)


def path(name):
    return os.path.join(SCRATCH, name)


def tendo(*args, expect=0, home=True):
    cmd = [TENDO, *args] + (["--home", HOME] if home else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if expect is not None and p.returncode != expect:
        sys.exit(f"FAIL: tendo {' '.join(args)} exited {p.returncode}, expected {expect}\n"
                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def db():
    return sqlite3.connect(os.path.join(HOME, "catalog.sqlite"))


def count(sql, *args):
    with db() as c:
        return c.execute(sql, args).fetchone()[0]


def day(n):
    return (MONDAY + datetime.timedelta(days=n)).isoformat()


def simulate(name, run_s, speed=3.0, grade=0.0, seed=1, start=None, rate=200):
    """A short session: stand, walk, run (half up and half down a grade), walk,
    stand. Returns its path."""
    run = [{"kind": "run", "duration_s": run_s, "speed_mps": speed}]
    if grade:
        run = [{"kind": "run", "duration_s": run_s / 2, "speed_mps": speed, "grade": grade},
               {"kind": "run", "duration_s": run_s / 2, "speed_mps": speed, "grade": -grade}]
    prof = {"segments": [{"kind": "rest", "duration_s": 2},
                         {"kind": "walk", "duration_s": 10, "speed_mps": 1.4}, *run,
                         {"kind": "walk", "duration_s": 10, "speed_mps": 1.4},
                         {"kind": "rest", "duration_s": 2}]}
    pj, out = path(name + ".json"), path(name + ".h5")
    with open(pj, "w") as f:
        json.dump(prof, f)
    args = ["simulate", "--out", out, "--profile", pj, "--rate", str(rate), "--seed", str(seed),
            "--athlete", "ann", "--force"]
    if start:
        args += ["--start", start]
    tendo(*args, home=False)
    return out


def fresh():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)


def add_ann():
    tendo("athlete", "add", "ann", "--name", "Ann Lee", "--mass", "61", "--injured-side", "left")


# ---------------------------------------------------------------- history

# Quiet week: Mon/Wed/Fri 0.6 km, Sun 0.9 km at 3.0 m/s on the flat.
# week 5: Sunday 1.26 km (+40% on the 30-day longest) -> longest_run_30d that day
# week 8: 0.96, 0.96, 0.96, 1.08 km (+47%) -> weekly_progression in week 8
# week 10: the quiet distances at 4.5 m/s, +-8% grade -> stacked_increases in week 10
# week 12: stiffness 1..7 -> symptoms on day 87; pain 7 on day 89; pain 4 at 24 h on day 90
SPIKE_WEEKS = {5, 8, 10, 12}
WEEKS = 14


def plan():
    runs = []
    for w in range(WEEKS):
        for k, off in enumerate((0, 2, 4, 6)):
            km, speed, grade = (0.9 if k == 3 else 0.6), 3.0, 0.0
            if w == 5 and k == 3:
                km = 1.26
            if w == 8:
                km = 1.08 if k == 3 else 0.96
            if w == 10:
                speed, grade = 4.5, 0.08
            runs.append((7 * w + off, km, speed, grade))
    return runs


def diary_rows():
    rows = ["date,stiffness,pain,pain_24h,note"]
    for n in range(7 * WEEKS):
        stiff = (n - 84 + 1) if 84 <= n <= 90 else (2 if n % 2 else 1)
        pain = "7" if n == 89 else ""
        p24 = "4" if n == 90 else ""
        note = '"sore, after hills"' if n == 89 else ""
        rows.append(f"{day(n)},{stiff},{pain},{p24},{note}")
    return "\n".join(rows) + "\n"


def case_history():
    fresh()
    add_ann()
    runs = plan()

    def make(r):
        n, km, speed, grade = r
        return simulate(f"run-{n:03d}", km * 1000 / speed, speed, grade, seed=n + 1,
                        start=f"{day(n)}T07:00:00Z")

    with ThreadPoolExecutor(max_workers=2) as ex:
        files = list(ex.map(make, runs))
    p = tendo("add", *files, "--athlete", "ann", "--json")
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    added = [x for x in lines if "added" in x]
    check(len(added) == len(runs) and all(x["added"] for x in added), "every file added")
    check(count("SELECT count(*) FROM sessions") == len(runs), "one row per session")
    for x, (n, km, speed, grade) in zip(added, runs):
        check(x["date"] == day(n), f"session date {x['date']} is {day(n)}")
        # distance: the run plus two 14 m walks, measured within 5%
        true_m = km * 1000 + 28
        check(abs(x["distance_m"] - true_m) < 0.05 * true_m,
              f"{x['file']}: distance {x['distance_m']:.0f} m, true {true_m:.0f} m")
    with open(path("diary.csv"), "w") as f:
        f.write(diary_rows())
    tendo("diary", "import", path("diary.csv"), "--athlete", "ann")
    check(count("SELECT count(*) FROM diary WHERE athlete_id = 'ann'") == 7 * WEEKS, "diary rows")

    # the training config can scale the floors; the defaults (1 km) would
    # hide these short runs' weeks, so this history uses 0.5 km floors
    with open(os.path.join(HOME, "training.json"), "w") as f:
        json.dump({"weekly_min_prev_m": 500, "stack_min_volume_m": 500,
                   "stack_min_high_speed_m": 100, "stack_min_hills_m": 10}, f)
    flags = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)
    check(flags["enough_history"] and flags["history_note"] == "", "enough history")
    got = [(f["rule"], (datetime.date.fromisoformat(f["date"]) - MONDAY).days, f)
           for f in flags["flags"]]
    for rule, n, f in got:
        check(n // 7 in SPIKE_WEEKS, f"no flag in quiet week {n // 7}: {rule} on {f['date']}: "
              f"{f['message']}")
        for key in ("id", "rule", "date", "session", "severity", "value", "threshold",
                    "message"):
            check(key in f, f"flag has '{key}'")

    def first(rule):
        days = [n for r, n, _ in got if r == rule]
        return min(days) if days else None

    long_day = 41
    lr = [f for r, n, f in got if r == "longest_run_30d"]
    check(len(lr) == 1 and lr[0]["date"] == day(long_day), f"longest run flagged on {day(41)}")
    sess = count("SELECT id FROM sessions WHERE start_utc LIKE ?", day(long_day) + "%")
    check(lr[0]["session"] == sess and lr[0]["severity"] == "moderate", "longest-run session")
    check(1.3 < lr[0]["value"] < 1.5, f"longest ratio {lr[0]['value']}")
    check(first("weekly_progression") is not None and first("weekly_progression") // 7 == 8,
          f"weekly progression in week 8, got day {first('weekly_progression')}")
    # (the +47% week may stack too: volume plus the feet's phantom climb)
    stacked = [n for r, n, _ in got if r == "stacked_increases"]
    check(any(n // 7 == 10 for n in stacked), f"stacked increases in week 10, got days {stacked}")
    sym = {n: f for r, n, f in got if r == "symptoms"}
    check(sorted(sym) == [87, 89, 90], f"symptom days {sorted(sym)}")
    check(sym[89]["severity"] == "high" and "7/10" in sym[89]["message"], "pain 7 is high")
    check("not settled" in sym[90]["message"], "pain at 24 h")
    check("stiffness" in sym[87]["message"], "rising stiffness")

    # the series adds up: daily distance sums to the sessions' distances
    load = json.loads(tendo("load", "--athlete", "ann", "--json").stdout)
    check(len(load["days"]) == 7 * WEEKS and load["from"] == day(0), "a row per calendar day")
    total = sum(x["distance_m"] for x in added)
    check(abs(sum(d["distance_m"] for d in load["days"]) - total) < 1e-3, "distance adds up")
    check(all(d["distance_m"] == 0 for d in load["days"] if d["sessions"] == 0), "rest days 0")
    d41 = load["days"][41]
    check(abs(d41["distance_28d"] - sum(x["distance_m"] for x, r in zip(added, runs)
                                        if 41 - 27 <= r[0] <= 41)) < 1e-3, "28-day sum")
    run41 = [r for r in load["runs"] if r["date"] == day(41)][0]
    longest = max(x["distance_m"] for x, r in zip(added, runs) if 41 - 30 <= r[0] < 41)
    check(abs(run41["longest_before_m"] - longest) < 1e-6, "30-day longest")
    check(d41["stiffness"] == 2 and load["days"][89]["pain"] == 7, "diary in the series")
    # high-speed running only in week 10
    fast = [d["high_speed_m"] for d in load["days"]]
    check(sum(fast[70:77]) > 2500 and sum(fast[:70]) < 50, "high-speed distance in week 10")
    # the CSV has the same days
    csv = tendo("load", "--athlete", "ann", "--csv").stdout.splitlines()
    check(len(csv) == 1 + 7 * WEEKS and csv[0].startswith("date,sessions,"), "CSV rows")
    human = tendo("load", "--athlete", "ann").stdout
    check(human.count("\n2026-") == WEEKS, "one line per week")
    print(f"history: {len(runs)} sessions, {len(got)} flags:",
          ", ".join(f"{r}@{n}" for r, n, _ in got))


# ---------------------------------------------------------------- errors

def case_errors():
    fresh()
    f1 = simulate("one", 60, seed=3, start="2026-03-02T07:00:00Z")
    # unknown athlete everywhere: 66, and the message says what to do
    for args in (["add", f1, "--athlete", "zoe"], ["load", "--athlete", "zoe"],
                 ["flags", "--athlete", "zoe"], ["diary", "list", "--athlete", "zoe"],
                 ["diary", "add", "--athlete", "zoe", "--date", "2026-03-02", "--pain", "1"],
                 ["athlete", "set", "zoe", "--mass", "50"]):
        p = tendo(*args, expect=66)
        check("no athlete 'zoe'" in p.stderr and "tendo athlete" in p.stderr, p.stderr)
    check(not os.path.exists(HOME) or count("SELECT count(*) FROM sessions") == 0, "nothing added")
    add_ann()
    p = tendo("athlete", "add", "ann", "--name", "Other", "--mass", "70", expect=65)
    check("already exists" in p.stderr, p.stderr)
    check(count("SELECT name FROM athletes WHERE id='ann'") == "Ann Lee", "athlete unchanged")
    tendo("athlete", "add", "bad id", "--name", "x", "--mass", "60", expect=64)
    tendo("athlete", "add", "bob", "--name", "Bob", "--mass", "400", expect=64)
    tendo("athlete", "add", "bob", "--name", "Bob", expect=64)
    tendo("athlete", "add", "bob", "--name", "Bob", "--mass", "70", "--injured-side", "both",
          expect=64)
    # registered twice: refused, nothing doubled, other files still added
    tendo("add", f1, "--athlete", "ann")
    f2 = simulate("two", 60, seed=4, start="2026-03-03T07:00:00Z")
    p = tendo("add", f1, f2, "--athlete", "ann", expect=65)
    check("already in the catalog" in p.stderr, p.stderr)
    check(count("SELECT count(*) FROM sessions") == 2, "f2 added, f1 not doubled")
    copy = path("copy-of-one.h5")
    shutil.copy(f1, copy)  # same session id under another path
    p = tendo("add", copy, "--athlete", "ann", expect=65)
    check("already in the catalog" in p.stderr, p.stderr)
    check(count("SELECT count(*) FROM sessions") == 2, "a copy is not a new session")
    tendo("add", path("missing.h5"), "--athlete", "ann", expect=66)
    with open(path("junk.h5"), "w") as f:
        f.write("not hdf5")
    tendo("add", path("junk.h5"), "--athlete", "ann", expect=65)
    tendo("add", "--athlete", "ann", expect=64)
    # dates out of order
    p = tendo("load", "--athlete", "ann", "--from", "2026-03-10", "--to", "2026-03-01", expect=64)
    check("out of order" in p.stderr, p.stderr)
    tendo("load", "--athlete", "ann", "--from", "2026-02-30", expect=64)
    tendo("flags", "--athlete", "ann", "--since", "yesterday", expect=64)
    # diary values out of range
    for bad in (["--pain", "11"], ["--pain", "-1"], ["--stiffness", "3.5"], ["--pain-24h", "x"]):
        p = tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", *bad, expect=64)
        check("from 0 to 10" in p.stderr, p.stderr)
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-3-2", "--pain", "1", expect=64)
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", expect=64)
    check(count("SELECT count(*) FROM diary") == 0, "no diary written")
    # the same day twice: one entry, fields merged
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", "--pain", "3")
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", "--stiffness", "2",
          "--note", "tight")
    with db() as c:
        rows = c.execute("SELECT pain, pain_24h, stiffness, note FROM diary").fetchall()
    check(rows == [(3, None, 2, "tight")], f"merged entry {rows}")
    # import: one bad row rejects the whole file, naming the line
    good = "athlete,date,pain,pain_24h,stiffness,note\n" \
           "ann,2026-03-04,2,1,1,ok\nann,2026-03-05,,,2,\n"
    bad_files = {
        "range.csv": (good + "ann,2026-03-06,12,,,\n", "line 4"),
        "order.csv": (good + "ann,2026-03-01,1,,,\n", "date order"),
        "dup.csv": (good + "ann,2026-03-05,1,,,\n", "the same as"),
        "who.csv": (good + "zoe,2026-03-07,1,,,\n", "zoe"),
        "date.csv": (good + "ann,03/07/2026,1,,,\n", "YYYY-MM-DD"),
        "cols.csv": ("date,pian\n2026-03-04,2\n", "unknown column 'pian'"),
        "fields.csv": (good + "ann,2026-03-08,1\n", "fields"),
        "empty.csv": ("athlete,date,pain\n", "no diary rows"),
    }
    for name, (text, needle) in bad_files.items():
        with open(path(name), "w") as f:
            f.write(text)
        p = tendo("diary", "import", path(name), expect=66 if name == "who.csv" else 65)
        check(needle in p.stderr, f"{name}: {p.stderr}")
        check(count("SELECT count(*) FROM diary") == 1, f"{name}: nothing imported")
    with open(path("good.csv"), "w") as f:
        f.write(good)
    tendo("diary", "import", path("good.csv"))
    tendo("diary", "import", path("good.csv"))  # again: updates, never doubles
    check(count("SELECT count(*) FROM diary") == 3, "three days")
    tendo("diary", "import", path("nope.csv"), expect=66)
    # a bad training.json is named
    with open(os.path.join(HOME, "training.json"), "w") as f:
        f.write('{"weekly_ratio": 0.5}')
    p = tendo("flags", "--athlete", "ann", expect=65)
    check("training.json" in p.stderr and "weekly_ratio" in p.stderr, p.stderr)
    with open(os.path.join(HOME, "training.json"), "w") as f:
        f.write('{"weekly_rato": 1.2}')
    p = tendo("load", "--athlete", "ann", expect=65)
    check("weekly_rato" in p.stderr, p.stderr)
    os.remove(os.path.join(HOME, "training.json"))
    # too little history is said
    out = tendo("flags", "--athlete", "ann").stdout
    check("too little history" in out, out)
    j = json.loads(tendo("load", "--athlete", "ann", "--json").stdout)
    check(not j["enough_history"] and "too little history" in j["history_note"], "note in JSON")
    # ack: unknown flag, empty note
    p = tendo("flags", "ack", "f000000000000", "--note", "x", expect=66)
    check("no flag" in p.stderr, p.stderr)
    tendo("flags", "ack", "f000000000000", expect=64)
    check(count("SELECT count(*) FROM flag_reviews") == 0, "no review written")
    tendo("athlete", "frobnicate", expect=64)
    tendo("load", expect=64)
    with db() as c:
        check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity")


# ---------------------------------------------------------------- review

def case_review():
    fresh()
    add_ann()
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", "--pain", "7")
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-03", "--pain-24h", "5")
    flags = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)["flags"]
    check([f["date"] for f in flags] == ["2026-03-02", "2026-03-03"], f"{flags}")
    check(all(not f["reviewed"] and f["review_note"] is None for f in flags), "open")
    fid = flags[0]["id"]
    p = tendo("flags", "ack", fid, "--note", "rest until Friday")
    check(fid in p.stdout, p.stdout)
    # recompute (a new session and diary entries) keeps id and review
    f1 = simulate("one", 60, seed=5, start="2026-03-04T07:00:00Z")
    tendo("add", f1, "--athlete", "ann")
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-05", "--stiffness", "1")
    again = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)["flags"]
    same = [f for f in again if f["id"] == fid]
    check(len(same) == 1 and same[0]["reviewed"] and same[0]["review_note"] ==
          "rest until Friday" and same[0]["reviewed_utc"], f"{same}")
    check(len(again) == 2, "no flag doubled by recomputation")
    open_only = json.loads(tendo("flags", "--athlete", "ann", "--open", "--json").stdout)
    check([f["date"] for f in open_only["flags"]] == ["2026-03-03"], "--open")
    since = json.loads(tendo("flags", "--athlete", "ann", "--since", "2026-03-03",
                             "--json").stdout)
    check([f["date"] for f in since["flags"]] == ["2026-03-03"], "--since")
    # an edit that removes the cause removes the flag; the review waits for it
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", "--pain", "2")
    gone = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)["flags"]
    check(all(f["id"] != fid for f in gone), "flag gone with its cause")
    tendo("diary", "add", "--athlete", "ann", "--date", "2026-03-02", "--pain", "8")
    back = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)["flags"]
    check(any(f["id"] == fid and f["reviewed"] for f in back), "review found its flag again")
    # all athletes: flags of every one
    tendo("athlete", "add", "bob", "--name", "Bob", "--mass", "80")
    lines = tendo("flags", "--json").stdout.splitlines()
    check([json.loads(x)["athlete"] for x in lines] == ["ann", "bob"], "one object per athlete")
    cfg = [json.loads(x) for x in tendo("flags", "--show-config", "--json").stdout.splitlines()]
    check(any(c["name"] == "longest_ratio" and c["value"] == 1.1 and "Frandsen" in c["source"]
              for c in cfg), "config with sources")


# ---------------------------------------------------------------- crash

def case_crash():
    fresh()
    add_ann()
    f1 = simulate("one", 60, seed=6, start="2026-03-02T07:00:00Z")
    # a large diary import: 5000 days in one transaction
    start = datetime.date(2000, 1, 1)
    with open(path("big.csv"), "w") as f:
        f.write("date,pain,stiffness,note\n")
        for n in range(5000):
            f.write(f"{start + datetime.timedelta(days=n)},{n % 11},{n % 7},day {n}\n")
    rng = random.Random(7)
    writes = [["diary", "import", path("big.csv"), "--athlete", "ann"],
              ["add", f1, "--athlete", "ann"]]
    # how long each write takes here, only to spread the kills over it (a
    # throw-away home; no assertion on time)
    span = []
    calib = path("calib")
    tendo("athlete", "add", "ann", "--name", "A", "--mass", "60", "--home", calib, home=False)
    for args in writes:
        t0 = time.monotonic()
        tendo(*args, "--home", calib, home=False)
        span.append(time.monotonic() - t0)
    killed = 0
    for i in range(12):
        args = writes[i % 2]
        p = subprocess.Popen([TENDO, *args, "--home", HOME], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.0) * span[i % 2])
        p.send_signal(signal.SIGKILL)
        rc = p.wait()
        killed += rc == -signal.SIGKILL
        with db() as c:
            check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"integrity {i}")
            check(c.execute("PRAGMA foreign_key_check").fetchall() == [], f"foreign keys {i}")
            n = c.execute("SELECT count(*) FROM diary").fetchone()[0]
            check(n in (0, 5000), f"diary import all or nothing: {n} rows after kill {i}")
            s = c.execute("SELECT count(*) FROM sessions").fetchone()[0]
            check(s in (0, 1), f"session not doubled: {s}")
        if i == 5:
            # the catalog still works after the kills
            tendo("diary", "import", path("big.csv"), "--athlete", "ann")
    tendo("add", f1, "--athlete", "ann", expect=None)
    check(count("SELECT count(*) FROM sessions") == 1, "one session in the end")
    check(count("SELECT count(*) FROM diary") == 5000, "5000 diary days in the end")
    print(f"crash: {killed} of 12 writers killed mid-way; catalog intact")


# ---------------------------------------------------------------- parallel

def case_parallel():
    fresh()
    add_ann()
    procs = []
    for n in range(8):
        procs.append(subprocess.Popen(
            [TENDO, "diary", "add", "--athlete", "ann", "--date", f"2026-03-{n + 1:02d}",
             "--pain", str(n), "--home", HOME], stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for p in procs:
        out, err = p.communicate()
        check(p.returncode == 0, f"parallel writer failed: {err}")
    check(count("SELECT count(*) FROM diary") == 8, "every parallel write kept")


# ---------------------------------------------------------------- pending

def register_like_sync(f, sid, start):
    """A row as sync writes it: no summary yet."""
    with db() as c:
        c.execute("INSERT INTO sessions (id, path, athlete_id, start_utc, duration_s, source, "
                  "added_utc) VALUES (?, ?, 'ann', ?, 84, 'sync', '2026-03-02T08:00:00Z')",
                  (sid, os.path.realpath(f), start))


def case_pending():
    fresh()
    add_ann()
    f1 = simulate("one", 60, seed=8, start="2026-03-02T07:00:00Z")
    f2 = simulate("two", 60, seed=9, start="2026-03-03T07:00:00Z")
    sid1 = json.loads(tendo("inspect", f1, "--json", home=False).stdout)["session_id"]
    sid2 = json.loads(tendo("inspect", f2, "--json", home=False).stdout)["session_id"]
    register_like_sync(f1, sid1, "2026-03-02T07:00:00.000000Z")
    register_like_sync(f2, sid2, "2026-03-03T07:00:00.000000Z")
    out = tendo("load", "--athlete", "ann").stdout
    check("2 sessions of ann have no analysis yet" in out and "--pending" in out, out)
    j = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)
    check(j["pending_sessions"] == 2, f"{j}")
    # the file itself: its registration is completed, not doubled
    p = tendo("add", f1, "--json")
    r = json.loads(p.stdout.splitlines()[0])
    check(r["added"] and r["completed"] and r["session"] == sid1 and r["distance_m"] > 100, f"{r}")
    check(count("SELECT count(*) FROM sessions") == 2, "not doubled")
    check(count("SELECT count(*) FROM sessions WHERE summary_json IS NULL") == 1, "one left")
    tendo("add", f1, expect=65)  # now complete: a second add is a duplicate
    # --pending does the rest
    p = tendo("add", "--pending", "--athlete", "ann")
    check("analysed" in p.stdout and sid2 in p.stdout, p.stdout)
    check(count("SELECT count(*) FROM sessions WHERE summary_json IS NULL") == 0, "none left")
    p = tendo("add", "--pending")
    check("has its summary already" in p.stdout, p.stdout)
    tendo("add", "--pending", f1, expect=64)
    load = json.loads(tendo("load", "--athlete", "ann", "--json").stdout)
    check(all(d["distance_m"] > 100 for d in load["days"]), "both days have distance")


# ---------------------------------------------------------------- help

def case_help():
    for cmd in ("athlete", "add", "diary", "load", "flags"):
        p = subprocess.run([TENDO, cmd, "--help"], capture_output=True, text=True)
        check(p.returncode == 0 and "usage: tendo " + cmd in p.stdout, f"{cmd} --help")
        check("Exit codes" in p.stdout and "--home" in p.stdout and "Example" in p.stdout,
              f"{cmd} --help teaches")
    p = subprocess.run([TENDO, "--help"], capture_output=True, text=True)
    for cmd in ("athlete", "add", "diary", "load", "flags"):
        check(f"  {cmd} " in p.stdout, f"tendo --help lists {cmd}")


{"history": case_history, "errors": case_errors, "review": case_review, "crash": case_crash,
 "parallel": case_parallel, "pending": case_pending, "help": case_help}[CASE]()
print(f"catalog cli {CASE}: ok")
