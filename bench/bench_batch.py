#!/usr/bin/python3
"""Figures of `tendo batch` (a benchmark, not a test). CPU seconds are the figures that
count on a shared machine (getrusage: the batch's own run.json cpu_s, or the children's
rusage); wall times are printed but are noisy when other work shares the cores.

usage: bench_batch.py BUILD_DIR WORK_DIR [--sessions N] [--minutes M] [--lengths 15,60,240]
                      [--numpy-files K] [--skip-mpi]

  1. makes N simulated sessions of M minutes, two pods at 1000 Hz (tendo simulate, seeds
     1..N; kept in WORK_DIR/data and reused by later runs)
  2. the floor: bench_batch_floor reads and decompresses them all (no analysis)
  3. tendo batch -j 1, -j 2 and (if built with MPI) mpirun -n 2 ... --mpi on them:
     hours of data per CPU second, and the ratio to the floor
  4. tendo analyze --no-store on the first files: what the batch adds to analyze
  5. one session of each length in --lengths (minutes): CPU seconds and peak memory of a
     -j 1 batch (/usr/bin/time %M: the largest process, i.e. the worker)
  6. bench_batch_numpy.py (numpy/scipy pipeline) on the first K files: per-core speed
Defaults: 20 sessions of 60 minutes, lengths 15,60,240, K = 2.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env=None):
    """Runs cmd; returns (stdout, wall s, children CPU s, peak RSS KiB) via /usr/bin/time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", *cmd], capture_output=True,
                       text=True, env=env)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = 0
    for line in p.stderr.splitlines():
        if line.startswith("MAXRSS "):
            rss = int(line.split()[1])
    if p.returncode not in (0, 65):
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-500:]}")
    return p.stdout, wall, cpu, rss


def simulate(tendo, path, minutes, seed):
    if not os.path.exists(path):
        run([tendo, "simulate", "--out", path, "--minutes", str(minutes), "--rate", "1000",
             "--seed", str(seed)])


def batch_figures(name, out, wall):
    r = json.load(open(os.path.join(out, "run.json")))
    cpu = r["cpu_s"]  # the coordinator and its worker processes (getrusage self + children)
    return {"run": name, "sessions": r["counts"]["sessions"], "data_hours": r["data_hours"],
            "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "hours_per_cpu_s": round(r["data_hours"] / cpu, 4),
            "hours_per_wall_s": round(r["data_hours"] / wall, 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("work")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--lengths", default="15,60,240")
    ap.add_argument("--numpy-files", type=int, default=2)
    ap.add_argument("--skip-mpi", action="store_true")
    a = ap.parse_args()
    tendo = os.path.join(a.build, "tools", "tendo")
    floor_bin = os.path.join(a.build, "bench", "bench_batch_floor")
    data = os.path.join(a.work, "data")
    os.makedirs(data, exist_ok=True)
    files = []
    for i in range(1, a.sessions + 1):
        f = os.path.join(data, f"s{i:02d}-{a.minutes:g}min.h5")
        simulate(tendo, f, a.minutes, i)
        files.append(f)
    # only this study's files in the batch folder
    study = os.path.join(a.work, f"study-{a.sessions}x{a.minutes:g}")
    os.makedirs(study, exist_ok=True)
    for f in files:
        link = os.path.join(study, os.path.basename(f))
        if not os.path.exists(link):
            os.symlink(f, link)
    for f in files:  # into the page cache: every run below reads from memory
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    results = []

    out, wall, cpu, _ = run([floor_bin, *files])
    fl = json.loads(out)
    floor = {"run": "floor (read+decompress)", "sessions": fl["files"],
             "data_hours": fl["data_hours"], "cpu_s": fl["cpu_s"], "wall_s": round(wall, 2),
             "hours_per_cpu_s": fl["hours_per_cpu_s"],
             "hours_per_wall_s": round(fl["data_hours"] / wall, 4)}
    results.append(floor)

    for jobs in ("1", "2"):
        out_dir = os.path.join(a.work, f"out-j{jobs}")
        _, wall, cpu, _ = run([tendo, "batch", study, "--out", out_dir, "--force", "-j", jobs])
        results.append(batch_figures(f"batch -j {jobs}", out_dir, wall))
    mpirun = "/usr/bin/mpirun"
    if not a.skip_mpi and os.path.exists(mpirun):
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        out_dir = os.path.join(a.work, "out-mpi2")
        _, wall, cpu, _ = run([mpirun, "-n", "2", "--oversubscribe", tendo, "batch", "--mpi",
                               study, "--out", out_dir, "--force"], env=env)
        # under MPI the children's rusage covers both ranks (mpirun waits for them)
        r = json.load(open(os.path.join(out_dir, "run.json")))
        results.append({"run": "batch --mpi, 2 ranks", "sessions": r["counts"]["sessions"],
                        "data_hours": r["data_hours"], "cpu_s": round(cpu, 2),
                        "wall_s": round(wall, 2),
                        "hours_per_cpu_s": round(r["data_hours"] / cpu, 4),
                        "hours_per_wall_s": round(r["data_hours"] / wall, 4)})
        same = open(os.path.join(out_dir, "summary.csv")).read() == \
            open(os.path.join(a.work, "out-j1", "summary.csv")).read()
        print(f"MPI summary.csv identical to -j 1: {same}")

    n_an = min(2, len(files))
    _, wall, cpu, _ = run([tendo, "analyze", *files[:n_an], "--no-store", "--json"])
    an_hours = n_an * a.minutes / 60
    results.append({"run": f"analyze --no-store ({n_an} files)", "sessions": n_an,
                    "data_hours": an_hours, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
                    "hours_per_cpu_s": round(an_hours / cpu, 4),
                    "hours_per_wall_s": round(an_hours / wall, 4)})

    k = min(a.numpy_files, len(files))
    out, wall, cpu, _ = run(["/usr/bin/python3", os.path.join(HERE, "bench_batch_numpy.py"),
                             *files[:k]])
    npy = json.loads(out)
    results.append({"run": f"numpy/scipy pipeline ({k} files)", "sessions": k,
                    "data_hours": npy["data_hours"], "cpu_s": npy["cpu_s"],
                    "wall_s": round(wall, 2), "hours_per_cpu_s": npy["hours_per_cpu_s"],
                    "hours_per_wall_s": round(npy["data_hours"] / wall, 4)})

    lengths = []
    for minutes in [float(m) for m in a.lengths.split(",") if m]:
        f = os.path.join(data, f"len-{minutes:g}min.h5")
        simulate(tendo, f, minutes, 99)
        out_dir = os.path.join(a.work, f"out-len{minutes:g}")
        _, wall, cpu, rss = run([tendo, "batch", f, "--out", out_dir, "--force", "-j", "1"])
        r = json.load(open(os.path.join(out_dir, "run.json")))
        lengths.append({"minutes": minutes, "cpu_s": r["cpu_s"], "wall_s": round(wall, 2),
                        "cpu_s_per_hour": round(r["cpu_s"] / (minutes / 60), 3),
                        "peak_rss_mib": round(rss / 1024, 1)})

    print(f"\n{'run':34} {'sessions':>8} {'hours':>7} {'CPU s':>8} {'wall s':>8} "
          f"{'h/CPU-s':>8} {'h/wall-s':>8}")
    for r in results:
        print(f"{r['run']:34} {r['sessions']:8} {r['data_hours']:7.2f} {r['cpu_s']:8.2f} "
              f"{r['wall_s']:8.2f} {r['hours_per_cpu_s']:8.3f} {r['hours_per_wall_s']:8.3f}")
    j1 = next(r for r in results if r["run"] == "batch -j 1")
    print(f"\nbatch -j 1 CPU / floor CPU: {j1['cpu_s'] / floor['cpu_s']:.2f}x "
          f"(aim: <= 1.5x)")
    print(f"per-core speed, batch -j 1 / numpy-scipy: "
          f"{j1['hours_per_cpu_s'] / npy['hours_per_cpu_s']:.2f}x")
    print(f"\n{'minutes':>8} {'CPU s':>8} {'CPU s/h':>8} {'wall s':>8} {'peak RSS MiB':>13}")
    for r in lengths:
        print(f"{r['minutes']:8g} {r['cpu_s']:8.2f} {r['cpu_s_per_hour']:8.3f} "
              f"{r['wall_s']:8.2f} {r['peak_rss_mib']:13.1f}")
    print(json.dumps({"throughput": results, "lengths": lengths}))


if __name__ == "__main__":
    main()
