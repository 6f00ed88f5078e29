#!/usr/bin/python3
"""Sorts one fuzz finding: reads a sanitizer report (a replay's output) on
stdin and prints one line:  ours | upstream LIB | none,  then a tab and a
short description.

The site of a report is the first stack frame that is not the sanitizer
runtime itself (malloc, memcpy and other interceptors, which ASan places in
the instrumented binary without a source line) nor glibc's CPU-specific
string routines (__memcpy_avx512_unaligned_erms, ...) that the interceptors
call. A site inside a system
shared library (libhdf5, libz, libc, ...) is an upstream finding: tendo
called that library with a hostile file and the library failed inside. Any
other site is tendo's own code: a bug to fix. LeakSanitizer reports are
judged per leak; one leak of ours makes the finding ours.
"""
import re
import sys

FRAME = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+ (?:in (\S+) )?(.*)$")
RUNTIME = re.compile(r"^(__interceptor_|__asan|__lsan|__ubsan|__sanitizer|malloc$|calloc$|realloc$"
                     r"|free$|operator |strdup$|memcpy$|memmove$|memset$|__libc_|abort$|raise$"
                     r"|__GI_|gsignal$"
                     # glibc's CPU-specific string routines, e.g.
                     # __memcpy_avx512_unaligned_erms: named by glibc's own
                     # source path, not by a /lib/... module, so SYSLIB misses them
                     r"|__(?:mem|str|stp|wmem|wcs)[a-z]*_[a-z0-9_]+$)")
SYSLIB = re.compile(r"\((/(?:usr/)?lib[^+)]*/(lib[^/+)]+?)(?:\.so[^+)]*)?)\+0x")


def stacks(text):
    """Yields (headline, frames) for each stack in the report."""
    head, frames = None, []
    for line in text.splitlines():
        m = FRAME.match(line)
        if m:
            frames.append((m.group(2) or "", m.group(3)))
            continue
        if frames:
            yield head, frames
            frames = []
        if ("ERROR:" in line or "leak of" in line or "runtime error" in line
                or "deadly signal" in line):
            head = line.strip()
    if frames:
        yield head, frames


def site(frames):
    for func, where in frames:
        if RUNTIME.match(func):
            continue
        lib = SYSLIB.search(where)
        if lib:
            if lib.group(2).startswith("libc") and func in ("", "abort", "raise"):
                continue
            return "upstream", lib.group(2), func
        return "ours", where.split(" (")[0], func
    return "ours", "?", "?"


def main():
    text = sys.stdin.read()
    ubsan = re.search(r"^(\S+:\d+:\d+): runtime error: (.*)$", text, re.M)
    if ubsan:  # UBSan names the line itself; a repo path is ours
        where = ubsan.group(1)
        kind = "ours" if "/lib/" not in where else "upstream"
        print(f"{kind}\tundefined behaviour at {where}: {ubsan.group(2)}")
        return
    verdicts = []
    for head, frames in stacks(text):
        if head is None:
            continue
        verdicts.append((head, site(frames)))
        if "LeakSanitizer" not in text:
            break  # the first stack of an ASan report is where it happened
    if not verdicts:
        print("none\tno sanitizer report (did not reproduce alone)")
        return
    ours = [v for v in verdicts if v[1][0] == "ours"]
    head, (kind, where, func) = (ours or verdicts)[0]
    label = kind if kind == "ours" else f"upstream {where}"
    print(f"{label}\t{head[:160]} | site: {func or '?'} ({where})")


if __name__ == "__main__":
    main()
