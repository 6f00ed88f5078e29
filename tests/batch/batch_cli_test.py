#!/usr/bin/python3
"""End-to-end tests of `tendo batch`.

usage: batch_cli_test.py TENDO WORKDIR CASE [MPIRUN]

The study is a mixed folder made fresh for each case: short simulated pod
sessions (200 Hz), a CSV pair exported from one of them and listed in a
manifest, a truncated session, a non-HDF5 file and an empty file. Every
check compares real outputs: summary numbers against `tendo analyze --json`
of the same file, table bytes against table bytes, exit codes, messages.
"""
import csv
import io
import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time

TENDO, WORK, CASE = sys.argv[1:4]
MPIRUN = sys.argv[4] if len(sys.argv) > 4 else None
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def tendo(*args, env=None):
    p = subprocess.run([TENDO, *args], capture_output=True, text=True, errors="replace",
                       env=env)
    return p.returncode, p.stdout, p.stderr


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def table(path):
    """A CSV as a list of dicts, parsed by Python's csv module."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


GOOD = [("run1.h5", 1.5, 1), ("run2.h5", 1.0, 2), ("deep/run3.h5", 2.0, 3),
        ("deep/run4.h5", 1.0, 4)]
BAD = {"bad/truncated.h5": "truncated", "bad/text.h5": "not an HDF5 file",
       "bad/empty.h5": "not an HDF5 file"}


def make_study(root, extra=()):
    """The mixed folder; returns (study dir, manifest path)."""
    study = os.path.join(root, "study")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(study, "deep"))
    os.makedirs(os.path.join(study, "bad"))
    os.makedirs(os.path.join(study, "more"))
    for name, minutes, seed in list(GOOD) + list(extra):
        rc, _, se = tendo("simulate", "--out", os.path.join(study, name), "--minutes",
                          str(minutes), "--rate", "200", "--seed", str(seed))
        assert rc == 0, se
    whole = read(os.path.join(study, "run2.h5"), "rb")
    with open(os.path.join(study, "bad/truncated.h5"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(os.path.join(study, "bad/text.h5"), "w") as f:
        f.write("this is not a session\n")
    open(os.path.join(study, "bad/empty.h5"), "w").close()
    with open(os.path.join(study, "notes.txt"), "w") as f:  # not *.h5: not an input
        f.write("notes\n")
    # Foreign data: a CSV pair (SI units, rad/s) with a start time, via the manifest.
    csvdir = os.path.join(root, "foreign")
    rc, _, se = tendo("export", "csv", os.path.join(study, "run1.h5"), "--out", csvdir)
    assert rc == 0, se
    manifest = os.path.join(root, "manifest.csv")
    with open(manifest, "w") as f:
        f.write("file,format,side,pair,rate,gyro_unit,athlete,start,mass\n"
                "# a pair of foot CSVs from another sensor\n"
                "foreign/right.csv,csv,right,foreign/left.csv,200,rad/s,P07,"
                "2026-11-21T07:30:00Z,70\n"
                "study/run2.h5,,,,,,A02,,\n")
    return study, manifest


def batch(root, out, *extra, env=None):
    study = os.path.join(root, "study")
    return tendo("batch", study, "--manifest", os.path.join(root, "manifest.csv"), "--out",
                 out, *extra, env=env)


def analyze_json(path, *extra):
    rc, so, se = tendo("analyze", path, "--json", "--no-store", *extra)
    assert rc == 0, se
    return json.loads(so)


def same_number(text, value):
    if value is None:
        return text == ""
    if isinstance(value, (int, float)):
        return text != "" and float(text) == float(value)  # exact: shortest round-trip text
    return text == str(value)


def compare_row(row, want, what):
    """Every analyze --json field equals the summary's, exactly."""
    bad = []
    for k, v in want.items():
        if k == "file":
            continue
        if isinstance(v, dict):
            for q, qv in v.items():
                if q == "notes":
                    if row.get(q, "") != " | ".join(qv):
                        bad.append(q)
                elif not same_number(row.get(q, "?"), qv):
                    bad.append(q)
        elif not same_number(row.get(k, "?"), v):
            bad.append(k)
    check(not bad, f"{what}: summary equals analyze --json (differs: {bad})")


def tables(out):
    names = ["summary.csv", "failures.csv"]
    steps = os.path.join(out, "steps")
    if os.path.isdir(steps):
        names += ["steps/" + n for n in sorted(os.listdir(steps))]
    return {n: read(os.path.join(out, n), "rb") for n in names}


def snapshot(study):
    return {os.path.join(d, n): read(os.path.join(d, n), "rb")
            for d, _, files in os.walk(study) for n in files}


# ------------------------------------------------------------------ cases

def case_mixed():
    root = os.path.join(WORK, "mixed")
    study, manifest = make_study(root)
    before = snapshot(study)
    out = os.path.join(root, "out")
    rc, so, se = batch(root, out, "-j", "2", "--steps", "--mass", "65")
    check(rc == 65, f"some sessions failed → exit 65 (got {rc}; {se.strip()[:200]})")
    check(se == "", f"no progress line when stderr is not a terminal ({se[:80]!r})")
    check("failures.csv" in so, "the summary line points at failures.csv")
    check(snapshot(study) == before, "input files untouched (no /analysis written)")
    rows = table(os.path.join(out, "summary.csv"))
    files = [r["file"] for r in rows]
    want_files = sorted([os.path.join(root, "foreign/right.csv")] +
                        [os.path.join(study, n) for n, _, _ in GOOD] +
                        [os.path.join(study, n) for n in BAD])
    check(files == want_files, f"one row per session, sorted by file: {files}")
    by = {r["file"]: r for r in rows}
    for name, _, _ in GOOD:
        path = os.path.join(study, name)
        r = by.get(path, {})
        check(r.get("status") == "ok", f"{name}: status ok")
        compare_row(r, analyze_json(path, "--mass", "65"), name)
        with open(path, "rb"):
            pass
    check(by[os.path.join(study, "run2.h5")]["athlete"] == "A02", "manifest athlete overrides")
    check(by[os.path.join(study, "run1.h5")]["athlete"] == "sim-athlete",
          "athlete from the file otherwise")
    # The CSV pair: the same numbers as importing it by hand and analysing.
    imported = os.path.join(root, "imported.h5")
    rc, _, se = tendo("import", "csv", "--out", imported, "--rate", "200", "--left",
                      os.path.join(root, "foreign/left.csv"), "--right",
                      os.path.join(root, "foreign/right.csv"), "--gyro-unit", "rad/s",
                      "--athlete", "P07", "--start", "2026-11-21T07:30:00Z")
    check(rc == 0, f"hand import of the CSV pair ({se.strip()})")
    r = by.get(os.path.join(root, "foreign/right.csv"), {})
    check(r.get("status") == "ok" and r.get("format") == "csv" and r.get("athlete") == "P07" and
          r.get("pair") == os.path.join(root, "foreign/left.csv"), "CSV pair row: ok, csv, P07")
    want = analyze_json(imported, "--mass", "70")
    compare_row(r, want, "CSV pair (mass 70 from the manifest)")
    check(r.get("session_id") == json.loads(tendo("inspect", imported, "--json")[1])
          .get("session_id", r.get("session_id")), "CSV session id as a hand import gives")
    # The pod session the CSVs came from gives the same gait numbers.
    r1 = by[os.path.join(study, "run1.h5")]
    check(r["steps"] == r1["steps"] and r["distance_m"] == r1["distance_m"],
          "CSV export of run1 analyses like run1 itself")
    # Failures: each bad file with its reason, exit class 65.
    fails = {f["file"]: f for f in table(os.path.join(out, "failures.csv"))}
    check(sorted(fails) == sorted(os.path.join(study, n) for n in BAD),
          f"failures.csv lists exactly the bad files: {sorted(fails)}")
    for name, reason in BAD.items():
        f = fails.get(os.path.join(study, name), {})
        check(f.get("exit_code") == "65" and f.get("class") == "bad data" and
              reason in f.get("message", ""), f"{name}: 65 bad data, '{reason}' in {f}")
        check(by[os.path.join(study, name)]["status"] == "failed", f"{name}: status failed")
    # Steps: one file per good session, same rows as analyze --steps-csv.
    path = os.path.join(study, "deep/run3.h5")
    steps_csv = os.path.join(root, "run3-steps.csv")
    rc, _, _ = tendo("analyze", path, "--no-store", "--json", "--steps-csv", steps_csv)
    got = read(os.path.join(out, by[path]["steps_file"]))
    check(rc == 0 and got == read(steps_csv), "steps file = analyze --steps-csv, byte for byte")
    check(len(os.listdir(os.path.join(out, "steps"))) == len(GOOD) + 1, "one steps file per ok")
    run = json.loads(read(os.path.join(out, "run.json")))
    check(run["counts"] == {"sessions": 8, "ok": 5, "failed": 3, "pending": 0, "reused": 0,
                            "analyzed": 8}, f"run.json counts {run['counts']}")
    check(run["parameters"]["mass_kg"] == 65 and run["complete"] is True and
          run["tendo_version"], "run.json parameters and version")
    leftovers = [n for n in os.listdir(out) if n.startswith(".") and n != ".lock"]
    check(leftovers == [], f"no temporary or scratch files left: {leftovers}")
    # On a terminal, the progress line: files, hours of data.
    master, slave = pty.openpty()
    p = subprocess.Popen([TENDO, "batch", study, "--out", os.path.join(root, "out-tty"), "-j",
                          "1"], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    p.communicate()
    os.close(master)
    check(b"7/7 files" in seen and b"h of data" in seen and b"\r" in seen,
          f"progress on a terminal ({seen[-120:]!r})")
    # --json prints run.json's counts as one line.
    rc, so, _ = batch(root, os.path.join(root, "out-json"), "-j", "1", "--json")
    j = json.loads(so)
    check(rc == 65 and j["counts"]["ok"] == 5 and j["workers"]["count"] == 1, "--json line")


def case_parallel():
    root = os.path.join(WORK, "parallel")
    make_study(root)
    outs = {}
    for jobs in ("1", "2", "3"):
        out = os.path.join(root, "out-j" + jobs)
        rc, _, se = batch(root, out, "-j", jobs, "--steps")
        check(rc == 65, f"-j {jobs} ran ({se.strip()[:200]})")
        outs[jobs] = tables(out)
    check(outs["1"] == outs["2"] == outs["3"],
          "-j 1, -j 2, -j 3: summary, failures and steps identical byte for byte")
    if MPIRUN:
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1")
        out = os.path.join(root, "out-mpi")
        study = os.path.join(root, "study")
        p = subprocess.run([MPIRUN, "-n", "3", "--oversubscribe", TENDO, "batch", "--mpi", study,
                            "--manifest", os.path.join(root, "manifest.csv"), "--out", out,
                            "--steps"], capture_output=True, text=True, env=env, timeout=300)
        check(os.path.exists(os.path.join(out, "summary.csv")),
              f"MPI run wrote its tables ({p.stderr.strip()[:300]})")
        if os.path.exists(os.path.join(out, "summary.csv")):
            check(tables(out) == outs["1"], "MPI (3 ranks) = -j 1, byte for byte")
            run = json.loads(read(os.path.join(out, "run.json")))
            check(run["workers"] == {"mode": "mpi", "count": 3}, f"run.json: {run['workers']}")


def wait_for_lines(path, n, proc, limit_s=120):
    """Polls the journal until it has n lines or the process ended."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if os.path.exists(path) and read(path, "rb").count(b"\n") >= n:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def case_resume():
    root = os.path.join(WORK, "resume")
    extra = [(f"more/run{i}.h5", 3.0, 10 + i) for i in range(6)]
    study, manifest = make_study(root, extra)
    ref = os.path.join(root, "ref")
    rc, _, se = batch(root, ref, "-j", "2", "--steps")
    check(rc == 65, f"reference run ({se.strip()[:200]})")
    want = tables(ref)

    # SIGKILL mid-batch, then --resume.
    out = os.path.join(root, "out")
    journal = os.path.join(out, "journal.jsonl")
    cmd = [TENDO, "batch", study, "--manifest", manifest, "--out", out, "-j", "1", "--steps"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mid = wait_for_lines(journal, 2, p)
    p.send_signal(signal.SIGKILL)
    p.wait()
    check(mid, "the batch was killed mid-way (2+ sessions journaled, not finished)")
    done_before = read(journal, "rb").count(b"\n")
    check(not os.path.exists(os.path.join(out, "summary.csv")),
          "no summary.csv from a killed first run (nothing torn)")
    # A power cut in the middle of a journal write: a torn last line; and a
    # half-written table under its temporary name.
    with open(journal, "ab") as f:
        f.write(b'{"file":"torn')
    with open(os.path.join(out, ".summary.csv.tmp99999"), "w") as f:
        f.write("file,pa")
    rc, so, se = tendo(*cmd[1:], "--resume")
    check(rc == 65, f"--resume finishes ({se.strip()[:200]})")
    check(tables(out) == want, "resumed tables = uninterrupted run, byte for byte")
    check(not os.path.exists(os.path.join(out, ".summary.csv.tmp99999")),
          "a killed run's temporary file is cleared")
    run = json.loads(read(os.path.join(out, "run.json")))
    c = run["counts"]
    check(c["reused"] == done_before and c["analyzed"] == c["sessions"] - done_before,
          f"finished sessions were not redone ({done_before} journaled; counts {c})")
    rows = table(os.path.join(out, "summary.csv"))
    check(len(rows) == len({r["file"] for r in rows}) == c["sessions"],
          "no row doubled or lost")

    # Ctrl-C: exit 130, outputs list what is pending, --resume completes.
    out2 = os.path.join(root, "out-int")
    cmd2 = [TENDO, "batch", study, "--manifest", manifest, "--out", out2, "-j", "1", "--steps"]
    p = subprocess.Popen(cmd2, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mid = wait_for_lines(os.path.join(out2, "journal.jsonl"), 1, p)
    rc, _, se = tendo(*cmd2[1:], "--resume")
    check(rc == 73 and "another tendo batch is writing" in se,
          f"a second batch on a folder in use → 73 ({se.strip()})")
    p.send_signal(signal.SIGINT)
    so, se = p.communicate()
    check(mid and p.returncode == 130 and "--resume" in so,
          f"Ctrl-C → exit 130 and a hint to resume (got {p.returncode}: {so.strip()[-120:]})")
    pend = [r for r in table(os.path.join(out2, "summary.csv")) if r["status"] == "pending"]
    run = json.loads(read(os.path.join(out2, "run.json")))
    check(pend and run["complete"] is False and run["counts"]["pending"] == len(pend),
          f"interrupted run: {len(pend)} pending rows, run.json complete false")
    rc, _, _ = tendo(*cmd2[1:], "--resume")
    check(rc == 65 and tables(out2) == want, "after Ctrl-C, --resume = uninterrupted run")


def children(pid):
    try:
        return [int(c) for c in read(f"/proc/{pid}/task/{pid}/children").split()]
    except OSError:
        return []


def reading_from(pid, folder):
    """True while process pid holds a file under folder open: a worker in the
    middle of a job (its state 'R' alone also matches a worker between jobs
    on a loaded machine)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(folder + os.sep):
                return True
        except OSError:
            pass
    return False


def case_worker_dies():
    root = os.path.join(WORK, "worker")
    extra = [(f"more/run{i}.h5", 3.0, 20 + i) for i in range(4)]
    study, manifest = make_study(root, extra)
    ref = os.path.join(root, "ref")
    batch(root, ref, "-j", "2")
    out = os.path.join(root, "out")
    cmd = [TENDO, "batch", study, "--manifest", manifest, "--out", out, "-j", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    t0 = time.monotonic()
    wait_for_lines(os.path.join(out, "journal.jsonl"), 1, p)
    while victim is None and p.poll() is None and time.monotonic() - t0 < 120:
        kids = children(p.pid)
        if kids and reading_from(kids[0], study):  # busy analysing, not waiting for a job
            os.kill(kids[0], signal.SIGKILL)
            victim = kids[0]
        time.sleep(0.002)
    so, se = p.communicate()
    check(victim is not None, "a worker was killed in the middle of a job")
    check(p.returncode == 65, f"the batch went on to the end (exit {p.returncode}; {se[-200:]})")
    rows = table(os.path.join(out, "summary.csv"))
    check(len(rows) == 12 and len({r["file"] for r in rows}) == 12, "every session has its row")
    died = [f for f in table(os.path.join(out, "failures.csv")) if f["exit_code"] == "70"]
    check(len(died) == 1 and "killed by signal 9" in died[0]["message"],
          f"the dead worker's job failed with class 70 and the signal: {died}")
    ok = [r for r in rows if r["status"] == "ok"]
    check(len(ok) == 8, f"the other sessions were analysed by a new worker ({len(ok)} ok)")
    rc, _, _ = tendo(*cmd[1:], "--resume")
    check(rc == 65 and tables(out) == tables(ref),
          "--resume retries the dead worker's job: tables = an undisturbed run")


def case_changes():
    root = os.path.join(WORK, "changes")
    study, manifest = make_study(root)
    out = os.path.join(root, "out")
    batch(root, out, "-j", "2")
    first = tables(out)

    def counts(*extra):
        rc, so, se = batch(root, out, "-j", "2", "--resume", "--json", *extra)
        return rc, json.loads(so)["counts"] if so.strip() else {}, se

    rc, c, se = counts()
    check(c.get("reused") == 8 and c.get("analyzed") == 0 and tables(out) == first,
          f"nothing changed: nothing redone ({c}; {se.strip()[:100]})")
    run1 = os.path.join(study, "run1.h5")
    os.utime(run1, (time.time() + 5, time.time() + 5))  # touched, same bytes
    rc, c, _ = counts()
    check(c.get("analyzed") == 0 and tables(out) == first,
          f"a touched file (same content id) is not redone ({c})")
    tendo("simulate", "--out", run1, "--minutes", "1.5", "--rate", "200", "--seed", "77",
          "--force")
    rc, c, _ = counts()
    new = tables(out)
    check(c.get("analyzed") == 1 and new["summary.csv"] != first["summary.csv"],
          f"a changed file is redone, alone ({c})")
    rc, c, _ = counts("--damage-k", "4")
    check(c.get("analyzed") == 8 and c.get("reused") == 0,
          f"new parameters redo every session ({c})")
    rc, c, _ = counts("--damage-k", "4", "--steps")
    check(c.get("analyzed") == 5 and len(os.listdir(os.path.join(out, "steps"))) == 5,
          f"--steps added on resume: the sessions without step tables are redone ({c})")
    rc, _, se = batch(root, out, "-j", "2")
    check(rc == 73 and "--resume" in se and "--force" in se,
          f"an existing batch folder without --resume → 73 ({se.strip()})")
    rc, _, se = batch(root, out, "-j", "2", "--force")
    check(rc == 65 and json.loads(read(os.path.join(out, "run.json")))["counts"]["reused"] == 0,
          "--force starts over")


def case_shards():
    root = os.path.join(WORK, "shards")
    make_study(root)
    full = os.path.join(root, "full")
    batch(root, full, "-j", "2", "--steps")
    dirs = []
    for i in (1, 2, 3):
        d = os.path.join(root, f"shard{i}")
        rc, _, se = batch(root, d, "-j", "1", "--steps", "--shard", f"{i}/3")
        check(rc in (0, 65), f"shard {i}/3 ran ({se.strip()[:200]})")
        dirs.append(d)
    n = [len(table(os.path.join(d, "summary.csv"))) for d in dirs]
    check(sum(n) == 8 and min(n) >= 1, f"the shards split the 8 sessions: {n}")
    merged = os.path.join(root, "merged")
    rc, so, se = tendo("batch", "--merge", *dirs, "--out", merged)
    check(rc == 65, f"merge ran ({se.strip()[:200]})")
    check(tables(merged) == tables(full), "merged shards = one run, byte for byte")
    rc, _, se = tendo("batch", "--merge", *dirs[:2], "--out", os.path.join(root, "m2"))
    check(rc == 65 and "shard 3/3 is missing" in se, f"a missing shard is named ({se.strip()})")
    # The merged folder is an ordinary batch: --resume over all inputs reuses everything.
    rc, so, _ = batch(root, merged, "--resume", "--json", "--steps")
    check(json.loads(so)["counts"]["reused"] == 8, "a merged folder resumes like any batch")


BAD_MANIFESTS = {
    "unknown column": ("file,speed\nx.h5,3\n", 1, "unknown column 'speed'"),
    "no file column": ("format,rate\nh5,100\n", 1, "no 'file' column"),
    "csv without rate": ("file\nfoo.csv\n", 2, "rate is required"),
    "bad rate": ("file,rate\nfoo.csv,fast\n", 2, "rate must be a number"),
    "rate out of range": ("file,rate\nfoo.csv,0\n", 2, "rate must be a number"),
    "rate for h5": ("file,rate\nx.h5,100\n", 2, "rate applies to CSV inputs only"),
    "bad unit": ("file,rate,accel_unit\nfoo.csv,100,mg\n", 2, "accel_unit is m/s2 or g"),
    "bad gyro unit": ("file,rate,gyro_unit\nfoo.csv,100,rpm\n", 2, "gyro_unit is deg/s"),
    "bad side": ("file,rate,side\nfoo.csv,100,middle\n", 2, "side is left or right"),
    "bad placement": ("file,placement\nx.h5,hip\n", 2, "placement is foot or shank"),
    "bad format": ("file,format\nx.h5,xlsx\n", 2, "format is h5 or csv"),
    "bad start": ("file,rate,start\nfoo.csv,100,yesterday\n", 2, "not an ISO 8601 time"),
    "bad mass": ("file,mass\nx.h5,5\n", 2, "mass must be a number"),
    "field count": ("file,athlete\nx.h5,A,B\n", 2, "3 fields where the header has 2"),
    "empty file": ("file,athlete\n,A\n", 2, "the file column is empty"),
    "twice": ("file\n\nx.h5\n# c\nx.h5\n", 5, "already listed on line 3"),
    "unclosed quote": ("file\n\"x.h5\n", 2, "quoted field is not closed"),
    "long athlete": ("file,athlete\nx.h5," + "a" * 70 + "\n", 2, "longer than 63"),
    "nul byte": ("file\nx\0.h5\n", 2, "NUL byte"),
    "empty manifest": ("", None, "the manifest is empty"),
}


def case_manifest_errors():
    root = os.path.join(WORK, "manifest")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for name, (content, line, words) in BAD_MANIFESTS.items():
        m = os.path.join(root, "m.csv")
        with open(m, "w") as f:
            f.write(content)
        out = os.path.join(root, "out")
        shutil.rmtree(out, ignore_errors=True)
        rc, _, se = tendo("batch", "--manifest", m, "--out", out)
        where = f"{m}:{line}:" if line else m
        check(rc == 65 and where in se and words in se,
              f"manifest {name}: 65, '{where} … {words}' ({se.strip()[:160]})")
        check(not os.path.exists(os.path.join(out, "summary.csv")), f"{name}: no tables")
    rc, _, se = tendo("batch", "--manifest", os.path.join(root, "nope.csv"), "--out",
                      os.path.join(root, "out"))
    check(rc == 66 and "nope.csv" in se, f"missing manifest → 66 ({se.strip()})")


def case_usage():
    root = os.path.join(WORK, "usage")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    rc, so, _ = tendo("batch", "--help")
    check(rc == 0 and "--resume" in so and "docs/cluster.md" in so, "batch --help teaches")
    out = os.path.join(root, "out")
    for args in ([], [root], ["--out", out], [root, "--out", out, "-j", "0"],
                 [root, "--out", out, "-j", "x"], [root, "--out", out, "--shard", "3/2"],
                 [root, "--out", out, "--shard", "1"], [root, "--out", out, "--bogus"],
                 [root, "--out", out, "--resume", "--force"],
                 [root, "--out", out, "--placement", "hip"],
                 [root, "--out", out, "--mpi", "-j", "2"],
                 ["--merge", "--out", out]):
        rc, _, se = tendo("batch", *args)
        check(rc == 64 and not os.path.exists(out),
              f"batch {' '.join(args)!r} → 64 (got {rc}: {se.strip()[:100]})")
    rc, _, se = tendo("batch", os.path.join(root, "nowhere"), "--out", out)
    check(rc == 66 and "nowhere" in se, f"missing INPUT → 66 ({se.strip()})")
    os.makedirs(os.path.join(root, "emptydir"))
    rc, _, se = tendo("batch", os.path.join(root, "emptydir"), "--out", out)
    check(rc == 66 and "no session files found" in se, f"nothing found → 66 ({se.strip()})")
    rc, _, se = tendo("batch", root, "--out", os.path.join(root, "no/such/parent"))
    check(rc == 73, f"output folder that cannot be made → 73 ({se.strip()})")


CASES = {"mixed": case_mixed, "parallel": case_parallel, "resume": case_resume,
         "changes": case_changes, "worker_dies": case_worker_dies, "shards": case_shards,
         "manifest_errors": case_manifest_errors, "usage": case_usage}

if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    CASES[CASE]()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("all checks passed")
