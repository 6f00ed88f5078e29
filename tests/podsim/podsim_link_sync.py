#!/usr/bin/python3
"""tendo-podsim --link-rate changes no byte: `tendo sync` of two pods on a
throttled link gives session files whose samples are bit-exact and whose
times are within 1 ms of the originals, exactly as on the unlimited link.
It reuses the sync tests' checks (tests/sync/sync_cases.py: simulate,
check_home) rather than repeating them. No timing is asserted.

usage: podsim_link_sync.py TENDO PODSIM SCRATCH RATE [compress|plain]"""
import importlib.util
import os
import sys

TENDO, PODSIM, SCRATCH, RATE = sys.argv[1:5]
COMPRESS = len(sys.argv) > 5 and sys.argv[5] == "compress"

# sync_cases.py reads TENDO PODSIM SCRATCH CASE from argv when loaded.
here = os.path.dirname(os.path.abspath(__file__))
sys.argv = [sys.argv[0], TENDO, PODSIM, SCRATCH, "link_rate"]
spec = importlib.util.spec_from_file_location(
    "sync_cases", os.path.join(here, "..", "sync", "sync_cases.py"))
sc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sc)

d = sc.workdir("link-%s-%s" % (RATE, "zlib" if COMPRESS else "plain"))
runs = [sc.simulate(os.path.join(d, "r%d.h5" % i), 0.5, rate=rate, seed=40 + i,
                    hours_ago=20 - 10 * i)
        for i, rate in enumerate([1000, 1600])]
home = os.path.join(d, "home")
pods = [("L0001A", "left", runs), ("R0001A", "right", runs)]
# The link rate goes before the pods' options; podsim_args ends with "--".
args = sc.podsim_args(pods, drift=20, compress=COMPRESS)
args = args[:1] + ["--link-rate", RATE] + args[1:]
p = sc.subprocess.run(args + [TENDO, "sync", "--home", home, "--json"], capture_output=True,
                      text=True, timeout=300)
lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
obj = sc.json.loads(lines[-1]) if lines else None
sc.check(p.returncode == 0 and obj and obj["ok"], "sync at --link-rate %s: %d %s"
         % (RATE, p.returncode, p.stderr))
sc.check(obj and all(x["synced"] == 2 and x["erased"] == 2 for x in obj["pods"]),
         "2 synced and erased per pod: %s" % (obj and obj["pods"]))
# The bytes the pods sent are the content the ledger recorded (LIST's size).
sc.check_home(home, [[("L0001A", "left", r), ("R0001A", "right", r)] for r in runs])
if sc.FAILS:
    print("link_sync: %d check(s) failed" % len(sc.FAILS), file=sys.stderr)
    sys.exit(1)
print("link_sync at %s MB/s: all checks passed" % RATE)
