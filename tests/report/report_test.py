#!/usr/bin/python3
"""`tendo report` end to end on a real catalog: a simulated athlete history
(real session files through `tendo add`, a diary, a recorded heel-raise test,
a coach's review), an athlete whose name and notes are HTML, and one with no
data. The report's HTML is checked for being self-contained and escaped, for
its sections and every flag sentence; then headless Chromium renders it to a
PNG that must be a real page of the expected size, not blank.

usage: report_test.py TENDO_BIN SCRATCH_DIR CASE
cases:
  fixture  builds the catalog in SCRATCH_DIR/fixture (the others need it)
  html     the athlete report: self-contained, escaped, sections, flag sentences,
           checklist, palette, hover titles
  squad    the squad report: ranking by open flags, escaping
  errors   bad options and inputs: exit codes, nothing written
  browser  headless Chromium screenshots of both reports, checked as images
           (skipped only when /usr/bin/chromium is missing)
  demo     `tendo demo` ends with a report (twice in the same folder)
"""
import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

TENDO, SCRATCH, CASE = sys.argv[1:4]
FIX = os.path.join(SCRATCH, "fixture")
HOME = os.path.join(FIX, "home")
MONDAY = datetime.date(2026, 1, 5)
WEEKS = 6
EVIL_NAME = '<script>alert("x")</script> & Co'
EVIL_NOTES = "<img src=x onerror=alert(1)> 'quoted' \"double\""
ANN_NOTES = 'Left Achilles <mid-portion> & "morning" stiffness'
REVIEW = "<b>spoke to Ann</b>: easy week"
CHROMIUM = "/usr/bin/chromium"
# Okabe & Ito (2008) colours, and the neutrals of the page
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7"}


def check(cond, msg):
    if not cond:
        sys.exit("FAIL: " + msg)


def tendo(*args, expect=0, home=HOME, cwd=None):
    cmd = [TENDO, *args] + (["--home", home] if home else [])
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if expect is not None and p.returncode != expect:
        sys.exit(f"FAIL: tendo {' '.join(cmd[1:])} exited {p.returncode}, expected {expect}\n"
                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def day(n):
    return (MONDAY + datetime.timedelta(days=n)).isoformat()


# ---------------------------------------------------------------- fixture

def run_days():
    """Ann's runs: Mon, Wed, Sat; 0.5 km, Saturday 0.8 km; week 5's Saturday
    1.25 km, 56% over the 30-day longest (longest_run_30d)."""
    out = []
    for w in range(WEEKS):
        for k, off in enumerate((0, 2, 5)):
            km = 0.8 if k == 2 else 0.5
            if w == 4 and k == 2:
                km = 1.25
            out.append((7 * w + off, km))
    return out


def simulate(name, start, km, seed, athlete="ann"):
    prof = {"segments": [{"kind": "rest", "duration_s": 2},
                         {"kind": "walk", "duration_s": 6, "speed_mps": 1.4},
                         {"kind": "run", "duration_s": km * 1000 / 3.0, "speed_mps": 3.0},
                         {"kind": "walk", "duration_s": 6, "speed_mps": 1.4},
                         {"kind": "rest", "duration_s": 2}]}
    pj = os.path.join(FIX, name + ".json")
    with open(pj, "w") as f:
        json.dump(prof, f)
    out = os.path.join(FIX, name + ".h5")
    tendo("simulate", "--out", out, "--profile", pj, "--rate", "100", "--seed", str(seed),
          "--athlete", athlete, "--start", start, home=None)
    return out


def diary_days():
    """Stiffness 1-2 with a rise to 5 in week 6, pain 1 on rest days, the
    24-hour score after each run; pain 6 during the long run of week 5."""
    runs = {d for d, _ in run_days()}
    for n in range(7 * WEEKS):
        args = ["--date", day(n), "--stiffness", str(5 if n >= 37 else (2 if n % 2 else 1)),
                "--pain", str(6 if n == 33 else (1 if n not in runs else 2))]
        if (n - 1) in runs:
            args += ["--pain-24h", "1"]
        if n == 33:
            args += ["--note", "felt <tight> & sore"]
        yield args


def build_fixture():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(FIX)
    tendo("athlete", "add", "ann", "--name", "Ann Lee", "--mass", "61", "--injured-side", "left",
          "--notes", ANN_NOTES)
    tendo("athlete", "add", "evil", "--name", EVIL_NAME, "--mass", "70", "--notes", EVIL_NOTES)
    tendo("athlete", "add", "cal", "--name", "Cal Empty", "--mass", "80")
    files = [simulate(f"ann-{n:02d}", f"{day(n)}T07:00:00Z", km, seed=100 + n)
             for n, km in run_days()]
    tendo("add", *files, "--athlete", "ann")
    ev = [simulate(f"evil-{n:02d}", f"{day(n)}T18:00:00Z", 0.6, seed=500 + n, athlete="evil")
          for n in (30, 33, 36, 40)]
    tendo("add", *ev, "--athlete", "evil")
    for args in diary_days():
        tendo("diary", "add", "--athlete", "ann", *args)
    tendo("diary", "add", "--athlete", "evil", "--date", day(41), "--pain", "7", "--note",
          "<script>alert(2)</script>")
    # heel-raise test two days before the end: injured left at 72% of the right's work
    calf = os.path.join(FIX, "calf.h5")
    tendo("simulate", "--heel-raise", "--out", calf, "--reps-left", "18", "--reps-right", "25",
          "--height-left", "10", "--start", f"{day(39)}T08:00:00Z", "--athlete", "ann",
          "--rate", "200", home=None)
    tendo("capacity", calf, "--athlete", "ann")
    flags = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)
    check(len(flags["flags"]) >= 3, f"the fixture plants flags: {flags['flags']}")
    tendo("flags", "ack", flags["flags"][0]["id"], "--note", REVIEW)
    print("fixture:", len(files), "runs,", len(flags["flags"]), "flags for ann")


# ---------------------------------------------------------------- html

class Page(HTMLParser):
    """Tags, attributes and text of a page, for structural checks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.ids, self.titles = [], [], set(), []
        self.text, self._in_title = [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            self.attrs.append((tag, k, v or ""))
            if k == "id":
                self.ids.add(v)
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.titles.append(data)


def self_contained(html, label):
    p = Page()
    p.feed(html)
    check(html.startswith("<!DOCTYPE html>"), f"{label}: an HTML5 document")
    low = html.lower()
    for bad in ("http://", "https://", "//cdn", "url(", "@import", "<script", "<link",
                "<iframe", "<object", "<embed", "<img", "javascript:"):
        check(bad not in low, f"{label}: contains {bad!r}")
    for tag in ("script", "link", "iframe", "object", "embed", "img", "base", "meta"):
        if tag == "meta":
            continue
        check(tag not in p.tags, f"{label}: a <{tag}> element")
    for tag, k, v in p.attrs:
        check(not k.startswith("on"), f"{label}: event handler attribute {k} on <{tag}>")
        check(k not in ("src", "srcset", "xlink:href"), f"{label}: {k} on <{tag}>")
        if k == "href":
            check(v.startswith("#"), f"{label}: link {v!r} leaves the page")
    check("style" in p.tags and "svg" in p.tags, f"{label}: inline CSS and SVG")
    check("@media print" in html, f"{label}: a print style")
    colours = {c.upper() for c in re.findall(r'(?:fill|stroke)="(#[0-9A-Fa-f]{6})"', html)}
    check(colours <= OKABE_ITO, f"{label}: colours outside Okabe-Ito: {colours - OKABE_ITO}")
    return p


def fresh(*names):
    """This case's own output files, removed first (the scratch folder stays)."""
    paths = [os.path.join(SCRATCH, n) for n in names]
    for p in paths:
        if os.path.exists(p):
            os.remove(p)
    return paths


def case_html():
    out, out2 = fresh("ann.html", "ann2.html")
    p = tendo("report", "--athlete", "ann", "--out", out, "--weeks", str(WEEKS))
    check("wrote" in p.stdout and "athlete report" in p.stdout, p.stdout)
    html = open(out, encoding="utf-8").read()
    page = self_contained(html, "ann.html")
    for sec in ("return-to-run", "load", "chart-distance", "chart-load", "chart-ratio",
                "chart-gait", "chart-balance", "chart-diary", "flags", "capacity", "runs"):
        check(sec in page.ids, f"section {sec} missing")
    text = "".join(page.text)
    # escaped catalog text: shown as text, never as markup
    check(ANN_NOTES in text and "&lt;mid-portion&gt;" in html, "notes escaped")
    check(REVIEW in text and "<b>spoke" not in html, "review note escaped")
    # every flag sentence of the window, with its rule, and the open/reviewed state
    flags = json.loads(tendo("flags", "--athlete", "ann", "--json").stdout)["flags"]
    for f in flags:
        check(f["message"] in text, f"flag sentence missing: {f['message']}")
        check(f["rule"] in text, f"rule {f['rule']} missing")
    rules = {f["rule"] for f in flags}
    check({"longest_run_30d", "symptoms"} <= rules, f"planted flags: {rules}")
    long = [f for f in flags if f["rule"] == "longest_run_30d"]
    check(long and long[0]["date"] == day(33), f"longest run flagged on {day(33)}: {long}")
    check(text.count("reviewed") >= 1 and "open" in text, "review state shown")
    nflag_rows = len([i for i in page.ids if i.startswith("flag-")])
    check(nflag_rows == len(flags), f"{nflag_rows} flag rows, {len(flags)} flags")
    # flags marked on the timeline, linked to their rows
    check(html.count('class="marker"') >= 3 * len({f["date"] for f in flags}),
          "markers on the distance, load, ratio and diary charts")
    for i in range(1, len(flags) + 1):
        check(f'href="#flag-{i}"' in html or any(
            f["date"] == flags[i - 1]["date"] for f in flags[:i - 1]), f"marker for flag {i}")
    # hover titles: exact values on bars and dots
    check(len(page.titles) > 300, f"{len(page.titles)} hover titles")
    check(any(re.match(r"\d{4}-\d\d-\d\d: distance \d+\.\d\d km$", t) for t in page.titles),
          "distance bar titles")
    check(any(t.startswith(f"{day(33)}: distance 1.2") for t in page.titles),
          "the long run's bar")
    check(any(": morning stiffness 5 /10" in t for t in page.titles), "diary dot titles")
    # the checklist: stiffness rose, heel raises 72%, pain walking fine
    check("Return-to-run checklist" in text and "of 4 met" in text, "checklist verdict")
    check(re.search(r"Morning stiffness not worse than the week before\s*✗ not met", text),
          "stiffness rose in the last week")
    check(re.search(r"Walking and daily life without pain\s*✓ met", text), "walking pain 1/10")
    check(re.search(r"Calf capacity: heel raises within 90% of the other side\s*✗ not met", text),
          "heel-raise symmetry below 90%")
    check(re.search(r"The last runs settled within 24 hours\s*✓ met", text), "24-h response")
    # the capacity test with its numbers
    db = sqlite3.connect(os.path.join(HOME, "catalog.sqlite"))
    lr, rr, ratio = db.execute("SELECT left_reps, right_reps, ratio FROM capacity_tests "
                               "WHERE athlete_id = 'ann'").fetchone()
    check(lr == 18 and rr == 25, f"capacity reps {lr}/{rr}")
    check(f"{100 * ratio:.0f}%" in text and "not yet" in text, "capacity row")
    # reproducible: the same catalog gives the same bytes
    tendo("report", "--athlete", "ann", "--out", out2, "--weeks", str(WEEKS))
    check(open(out2, encoding="utf-8").read() == html, "same catalog, same report")
    # JSON summary
    j = json.loads(tendo("report", "--athlete", "ann", "--out", out2, "--force",
                         "--json").stdout)
    check(j["athletes"][0]["athlete"] == "ann" and j["athletes"][0]["flags"] >= 3, str(j))
    check(j["athletes"][0]["open_flags"] == j["athletes"][0]["flags"] - 1, "one flag reviewed")
    check(j["athletes"][0]["to"] == day(41), f"ends on the last data day: {j}")
    # --end moves the window: before the long run there is no longest-run flag
    j = json.loads(tendo("report", "--athlete", "ann", "--out", out2, "--force", "--json",
                         "--weeks", "2", "--end", day(27)).stdout)
    a = j["athletes"][0]
    check(a["from"] == day(14) and a["to"] == day(27), f"--end window: {a}")
    early = open(out2, encoding="utf-8").read()
    check("longest_run_30d" not in early and "Flags (" in early, "no flag before the spike")
    print(f"ann.html: {len(html)} bytes, {len(page.titles)} titles, {len(flags)} flags")


def case_squad():
    out, = fresh("squad.html")
    tendo("report", "--squad", "--out", out, "--weeks", str(WEEKS))
    html = open(out, encoding="utf-8").read()
    page = self_contained(html, "squad.html")
    text = "".join(page.text)
    check(EVIL_NAME in text and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html,
          "the athlete named <script> is text")
    check("<script>alert(2)</script>" not in html, "diary note escaped")
    j = json.loads(tendo("report", "--squad", "--out", out, "--force", "--json").stdout)
    order = [a["athlete"] for a in j["athletes"]]
    opens = [a["open_flags"] for a in j["athletes"]]
    check(opens == sorted(opens, reverse=True), f"ranked by open flags: {order} {opens}")
    check(order[-1] == "cal" and opens[-1] == 0, f"the athlete without data last: {order}")
    check(opens[0] > 0, "someone has open flags")
    # rank order in the table follows the same order
    pos = [text.find(n) for n in ("Ann Lee", EVIL_NAME, "Cal Empty")]
    names = {"ann": "Ann Lee", "evil": EVIL_NAME, "cal": "Cal Empty"}
    pos = [text.find(names[a]) for a in order]
    check(pos == sorted(pos) and min(pos) >= 0, f"table order {order}")
    check("Open flags" in text and "no data yet" in text, "sections")


def case_errors():
    out, e_html = fresh("err.html", "e.html")
    tendo("report", "--athlete", "nobody", "--out", out, expect=66)
    check(not os.path.exists(out), "nothing written for an unknown athlete")
    for bad in (["--athlete", "ann"], ["--out", out], ["--athlete", "ann", "--squad", "--out", out],
                ["--athlete", "ann", "--out", out, "--weeks", "0"],
                ["--athlete", "ann", "--out", out, "--weeks", "x"],
                ["--athlete", "ann", "--out", out, "--end", "2026-02-30"],
                ["--athlete", "a b", "--out", out], ["--squad", "--out", out, "--bogus"]):
        p = tendo("report", *bad, expect=64)
        check("tendo report:" in p.stderr, p.stderr)
    check(not os.path.exists(out), "nothing written on a usage error")
    with open(out, "w") as f:
        f.write("keep me")
    p = tendo("report", "--athlete", "ann", "--out", out, expect=73)
    check("--force" in p.stderr and open(out).read() == "keep me", "existing file kept")
    tendo("report", "--athlete", "ann", "--out", out, "--force")
    check(open(out).read().startswith("<!DOCTYPE html>"), "--force replaces")
    missing_dir = os.path.join(SCRATCH, "no", "such", "dir", "r.html")
    tendo("report", "--athlete", "ann", "--out", missing_dir, expect=73)
    leftovers = [f for f in os.listdir(SCRATCH) if f.startswith(".err.html")]
    check(not leftovers, f"no temporary files left: {leftovers}")
    # an empty catalog: the squad page says there is nothing yet
    empty = os.path.join(SCRATCH, "empty-home")
    shutil.rmtree(empty, ignore_errors=True)
    tendo("report", "--squad", "--out", e_html, home=empty)
    check("None: every flag" in open(e_html).read(), "an empty squad says so")
    tendo("help", "report", home=None)


# ---------------------------------------------------------------- browser

def screenshot(html_path, png, width, height):
    profile = tempfile.mkdtemp(prefix="tendo-chromium-")
    try:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--screenshot={png}", f"--window-size={width},{height}",
               "file://" + os.path.abspath(html_path)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        check(p.returncode == 0 and os.path.exists(png),
              f"chromium failed ({p.returncode}): {p.stderr[-2000:]}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def judge(png, width, height, label, min_ink, min_blue):
    """A real page: the requested size, ink on it (not blank, not one flat
    colour), and the charts' Okabe-Ito blue (#0072B2) drawn."""
    from PIL import Image
    im = Image.open(png).convert("RGB")
    check(im.size == (width, height), f"{label}: {im.size}, expected {(width, height)}")
    counts = im.getcolors(maxcolors=width * height)
    total = width * height
    ink = sum(n for n, (r, g, b) in counts if r + g + b < 720) / total
    blue = sum(n for n, (r, g, b) in counts if abs(r - 0x00) < 40 and abs(g - 0x72) < 40
               and abs(b - 0xB2) < 40)
    print(f"{label}: {im.size}, {100 * ink:.1f}% ink, {len(counts)} colours, {blue} pixels of "
          f"chart blue")
    check(ink > min_ink, f"{label}: blank page ({100 * ink:.2f}% ink)")
    check(len(counts) > 100, f"{label}: only {len(counts)} colours")
    check(blue > min_blue, f"{label}: no chart colours ({blue} blue pixels)")


def case_browser():
    if not os.path.exists(CHROMIUM):
        print("SKIP: /usr/bin/chromium is missing (scripts/setup.sh installs it)")
        sys.exit(77)
    # thresholds well under the rendered pages' (docs/report.md): the athlete
    # page at 1200x2400 has ~11% ink and ~28k pixels of bar blue, the squad page
    # at 1200x1200 ~6% and ~300 (its sparklines)
    for what, args, h, ink, blue in (
            ("ann", ["--athlete", "ann", "--weeks", str(WEEKS)], 2400, 0.05, 5000),
            ("squad", ["--squad", "--weeks", str(WEEKS)], 1200, 0.025, 100)):
        html = os.path.join(SCRATCH, f"browser-{what}.html")
        png = os.path.join(SCRATCH, f"browser-{what}.png")
        for f in (html, png):
            if os.path.exists(f):
                os.remove(f)
        tendo("report", *args, "--out", html)
        screenshot(html, png, 1200, h)
        judge(png, 1200, h, what, ink, blue)


def case_demo():
    """The demo: two emulated pods synced, its own catalog, a report, the screenshot command."""
    out = os.path.join(SCRATCH, "demo")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(SCRATCH, exist_ok=True)
    for attempt in (1, 2):  # a second run in the same folder starts afresh
        # The second run names its folder relative to the current one, as
        # scripts/demo.sh does: the synced path must still reach the catalog.
        p = (tendo("demo", "--out", out, home=None) if attempt == 1 else
             tendo("demo", "--out", "demo", home=None, cwd=SCRATCH))
        report = os.path.join(out, "report.html")
        check(f"The report: {os.path.realpath(report)}" in p.stdout, p.stdout[-1500:])
        check("--screenshot=report.png" in p.stdout and "--window-size=1200,2400" in p.stdout,
              "the screenshot command is printed")
        html = open(report, encoding="utf-8").read()
        page = self_contained(html, f"demo report (run {attempt})")
        text = "".join(page.text)
        check("Demo Runner" in text and "Return-to-run checklist" in text, "the demo athlete")
        check("longest_run_30d" in text, "the demo's run is longer than the month before")
        check("Calf capacity" in text and "16" in text and "22" in text, "the heel-raise test")
        db = sqlite3.connect(os.path.join(out, "home", "catalog.sqlite"))
        n = db.execute("SELECT count(*) FROM sessions WHERE athlete_id = 'demo'").fetchone()[0]
        c = db.execute("SELECT count(*) FROM capacity_tests").fetchone()[0]
        synced = db.execute("SELECT count(*), sum(summary_json IS NOT NULL) FROM sessions "
                            "WHERE source = 'sync'").fetchone()
        erased = db.execute("SELECT count(*) FROM sync_ledger WHERE state = 'erased'").fetchone()[0]
        db.close()
        check(n == 15 and c == 1, f"run {attempt}: {n} sessions, {c} capacity tests")
        # The run came from two emulated pods through tendo sync, was erased
        # from both, and tendo add gave it its summary.
        check("Synced 2 pods" in p.stdout, "the demo syncs two emulated pods")
        check(synced == (1, 1) and erased == 2,
              f"run {attempt}: synced sessions (count, with summary) {synced}, erased {erased}")


if __name__ == "__main__":
    if CASE not in ("fixture", "demo"):
        check(os.path.exists(os.path.join(HOME, "catalog.sqlite")),
              "the fixture is missing: run the report.fixture test first")
    {"fixture": build_fixture, "html": case_html, "squad": case_squad, "errors": case_errors,
     "browser": case_browser, "demo": case_demo}[CASE]()
    print(f"report.{CASE}: ok")
