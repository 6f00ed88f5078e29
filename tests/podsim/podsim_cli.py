#!/usr/bin/python3
"""tendo-podsim's command line: help, usage errors and their exit codes,
bad input files, CMD's exit status passed through, the preload and the
testbed's cleanup.  usage: podsim_cli.py TENDO PODSIM DATA_DIR SCRATCH"""
import os
import subprocess
import sys

TENDO, PODSIM, DATA, SCRATCH = sys.argv[1:5]
FAILS = []
PASSED = [0]
GOOD = os.path.join(DATA, "r200.h5")


def check(cond, what):
    PASSED[0] += bool(cond)
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args, cmd=("true",)):
    p = subprocess.run([PODSIM] + args + ["--"] + list(cmd), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect(args, code, text, cmd=("true",)):
    rc, out, err = run(args, cmd)
    check(rc == code, "%s: exit %d, expected %d (%s)" % (args, rc, code, err.strip()))
    check(text in out + err, "%s: no '%s' in: %s" % (args, text, (out + err).strip()))


os.makedirs(SCRATCH, exist_ok=True)
p = subprocess.run([PODSIM, "--help"], capture_output=True, text=True)
check(p.returncode == 0 and "--pod SERIAL:SIDE" in p.stdout and "--fault" in p.stdout, "--help")
p = subprocess.run([TENDO, "podsim", "--help"], capture_output=True, text=True)
check(p.returncode == 0 and "--pod SERIAL:SIDE" in p.stdout, "tendo podsim --help")
p = subprocess.run([PODSIM, "--fault", "help"], capture_output=True, text=True)
check(p.returncode == 0 and "unplug@W" in p.stdout and "evil-serial" in p.stdout, "--fault help")
p = subprocess.run([PODSIM, "--pod", "L01:left:" + GOOD], capture_output=True, text=True)
check(p.returncode == 64 and "no command" in p.stderr, "no command: %s" % p.stderr)

expect(["--pod", "L01"], 64, "SERIAL:SIDE")
expect(["--pod", "L01:up:" + GOOD], 64, "left or right")
expect(["--pod", "a/b:left:" + GOOD], 64, "serial")
expect(["--pod", "L01:left:" + GOOD, "--pod", "L01:right:" + GOOD], 64, "two pods")
expect(["--pod", "L01:left:" + GOOD + ",,"], 64, "empty file name")
expect(["--clock-drift", "5000"], 64, "--clock-drift")
expect(["--pod", "L01:left:" + GOOD, "--clock-drift", "1,2,3"], 64, "3 values for 1 pods")
expect(["--fault", "teleport@0.5"], 64, "unknown kind")
expect(["--fault", "crc@1.5"], 64, "fraction")
expect(["--fault", "crc@frame:x"], 64, "frame:K")
expect(["--fault", "unplug@0.5,replug=soon"], 64, "replug=")
expect(["--fault", "list-lie@0.5"], 64, "no @WHERE")
expect(["--fault", "crc,colour=red"], 64, "does not take")
expect(["--wat"], 64, "unknown option")
for bad in ("0", "-40", "0.05", "1e6", "fast", "40MB", "nan", "inf", ""):
    expect(["--link-rate", bad], 64, "--link-rate")
expect(["--link-rate"], 64, "--link-rate")
p = subprocess.run([PODSIM, "--help"], capture_output=True, text=True)
check("--link-rate MB/S" in p.stdout and "USB 2.0" in p.stdout, "--help teaches --link-rate")
# Good values run CMD, which learns the link it is on.
for good, shown in (("40", "40"), ("0.1", "0.1"), ("unlimited", "unlimited"),
                    ("100000", "100000")):
    rc, out, err = run(["--pod", "L01:left:" + GOOD, "--link-rate", good],
                       ("sh", "-c", 'echo "rate=$TENDO_PODSIM_LINK_RATE"'))
    check(rc == 0 and "rate=%s\n" % shown in out, "--link-rate %s: %d %s %s" % (good, rc, out, err))
rc, out, err = run(["--pod", "L01:left:" + GOOD], ("sh", "-c", 'echo "rate=$TENDO_PODSIM_LINK_RATE"'))
check(rc == 0 and "rate=unlimited\n" in out, "default link rate: %s" % out)

missing = os.path.join(SCRATCH, "missing.h5")
expect(["--pod", "L01:left:" + missing], 66, "missing.h5")
junk = os.path.join(SCRATCH, "junk.h5")
with open(junk, "w") as f:
    f.write("not a session\n")
rc, out, err = run(["--pod", "L01:left:" + junk])
check(rc == 65 and "junk.h5" in err, "a file that is not a session: %d %s" % (rc, err))
blocker = os.path.join(SCRATCH, "a-file")
with open(blocker, "w") as f:
    f.write("x")
expect(["--state", os.path.join(blocker, "state")], 73, "state directory")

# CMD's exit status, a signal, a command that cannot run.
expect(["--pod", "L01:left:" + GOOD], 7, "", cmd=("sh", "-c", "exit 7"))
expect(["--pod", "L01:left:" + GOOD], 128 + 15, "", cmd=("sh", "-c", "kill -TERM $$"))
expect([], 127, "cannot run", cmd=("/nonexistent/tool",))

# The command runs under the preload, in a testbed that is gone afterwards.
rc, out, err = run(["--pod", "L01:left:" + GOOD],
                   ("sh", "-c", 'echo "$LD_PRELOAD|$UMOCKDEV_DIR"; ls "$UMOCKDEV_DIR/dev/bus/usb/001"'))
check(rc == 0 and "libumockdev-preload" in out, "preload: %s" % out)
bed = out.split("|")[1].split("\n")[0] if "|" in out else ""
check(bed.startswith("/") and "002" in out, "testbed and node: %s" % out)
check(bed and not os.path.exists(bed), "testbed %s removed at exit" % bed)

print("podsim_cli: %d passed, %d failed" % (PASSED[0], len(FAILS)))
sys.exit(1 if FAILS else 0)
