#!/usr/bin/python3
"""fuzz/triage.py sorts sanitizer reports into tendo's bugs (which fail CI)
and libhdf5's (reported upstream). Real report shapes, from fuzzing runs:
a crash that surfaces in glibc's CPU-specific memcpy, called through ASan's
interceptor, belongs to whoever called memcpy.

usage: triage_test.py TRIAGE.py"""
import subprocess
import sys

TRIAGE = sys.argv[1]
HEAD = ("==18349==ERROR: AddressSanitizer: SEGV on unknown address 0x616000010460 "
        "(pc 0x7f6f332ab870 bp 0x7ffdcccfd560 sp 0x7ffdcccfcd18 T0)\n"
        "==18349==The signal is caused by a READ memory access.\n")
GLIBC = ("    #0 0x7f6f332ab870 in __memcpy_avx512_unaligned_erms "
         "string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:350\n"
         "    #1 0x55df2ab46cb7 in __interceptor_memcpy "
         "(/tmp/x/build-fuzz/fuzz/fuzz_session_image_replay+0x4fcb7) (BuildId: cb45)\n")
HDF5 = ("    #2 0x7f6f33590f18  (/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x190f18) (BuildId: e9)\n"
        "    #3 0x7f6f335b4ca4 in H5O__msg_iterate_real "
        "(/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x1b4ca4) (BuildId: e9)\n"
        "    #4 0x55df2ac03546 in open_scalar_attr /tmp/x/formats/session_common.c:249:9\n")
OURS = ("    #2 0x55df2ac03546 in open_scalar_attr /tmp/x/formats/session_common.c:249:9\n"
        "    #3 0x55df2ac03923 in tendo_h5_get_str /tmp/x/formats/session_common.c:269:18\n")

CASES = [
    ("memcpy inside libhdf5", HEAD + GLIBC + HDF5, "upstream libhdf5_serial"),
    ("memcpy called by tendo", HEAD + GLIBC + OURS, "ours"),
    ("tendo's own frame first", HEAD + OURS, "ours"),
    ("no report", "INFO: Running with entropic power schedule\n", "none"),
]

fails = 0
for name, report, want in CASES:
    out = subprocess.run(["/usr/bin/python3", TRIAGE], input=report, capture_output=True,
                         text=True).stdout
    got = out.split("\t")[0]
    if got != want:
        fails += 1
        print(f"FAIL {name}: got '{got}', want '{want}' ({out.strip()[:200]})")
if fails:
    sys.exit(1)
print(f"triage: all {len(CASES)} cases sorted as expected")
