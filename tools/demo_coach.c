/*
 * demo_coach.c — the coach's part of `tendo demo` (demo_coach.h).
 *
 * Runs stay short (0.5–0.8 km at 100 Hz) so the whole demo takes seconds;
 * the history's generator output is silenced (its command is printed once)
 * so the demo reads as a handful of steps.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include "demo_coach.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"

#define ATHLETE "demo"
#define WEEKS   5
/* The demo's run (tendo simulate's default start) is on Saturday 2026-11-21,
 * day 33 of a plan that starts on Monday 2026-10-19: the history runs
 * Mondays, Wednesdays and Saturdays at 07:00 UTC, the last Saturday being
 * the demo's run itself. */
static const int PLAN_YEAR = 2026, PLAN_MONTH = 10, PLAN_DAY = 19;
#define DEMO_RUN_DAY 33

/* Runs fn with its standard output sent to /dev/null (errors still show). */
static int quietly(demo_command_fn fn, int argc, char **argv)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    if (saved < 0 || null < 0) {
        if (saved >= 0)
            close(saved);
        if (null >= 0)
            close(null);
        return fn(argc, argv);
    }
    dup2(null, STDOUT_FILENO);
    close(null);
    int rc = fn(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return rc;
}

static int argc_of(char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    return n;
}

/* "YYYY-MM-DD" of plan day d (October and November 2026 only). */
static void plan_date(int d, char out[16])
{
    unsigned day = (unsigned)(PLAN_DAY + d), month = PLAN_MONTH;
    if (day > 31) { /* October has 31 days */
        day -= 31;
        month++;
    }
    snprintf(out, 16, "%04d-%02u-%02u", PLAN_YEAR, month % 100, day % 100);
}

/* The catalog of an earlier demo run is the demo's own: start afresh. */
static void fresh_catalog(const char *home)
{
    static const char *const files[] = {"catalog.sqlite", "catalog.sqlite-wal",
                                        "catalog.sqlite-shm"};
    char path[4200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", home, files[i]);
        unlink(path);
    }
}

/* Removes what an earlier demo left in its own home: the catalog, the
 * synced session files and the sync spool (never anything else). */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

static void fresh_home(const char *home)
{
    static const char *const trees[] = {"sessions", "spool"};
    char path[4200];
    fresh_catalog(home);
    for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", home, trees[i]);
        if (access(path, F_OK) == 0)
            nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

int tendo_demo_athlete(const char *dir, char *home, size_t home_cap, int *step_no,
                       demo_step_fn step)
{
    snprintf(home, home_cap, "%s/home", dir);
    if (mkdir(home, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tendo demo: cannot create %s: %s\n", home, strerror(errno));
        return 73;
    }
    fresh_home(home);
    char *athlete[] = {"athlete",
                       "add",
                       ATHLETE,
                       "--name",
                       "Demo Runner",
                       "--mass",
                       "64",
                       "--injured-side",
                       "left",
                       "--notes",
                       "Simulated athlete of tendo demo: left Achilles, back to running",
                       "--home",
                       home,
                       NULL};
    return step((*step_no)++, "the runner, in the demo's own catalog (DIR/home)",
                tendo_cmd_athlete, athlete);
}

int tendo_demo_coach(const char *dir, const char *home_dir, const char *run_h5, int first_step,
                     demo_step_fn step)
{
    char home[4096], hist[4096], report[4096], calf[4096];
    snprintf(home, sizeof home, "%s", home_dir); /* argv strings are not const */
    snprintf(hist, sizeof hist, "%s/history", dir);
    snprintf(report, sizeof report, "%s/report.html", dir);
    snprintf(calf, sizeof calf, "%s/calf.h5", dir);
    if (mkdir(hist, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tendo demo: cannot create %s: %s\n", hist, strerror(errno));
        return 73;
    }
    int n = first_step, rc = 0;

    /* Five weeks of short runs, then the demo's own run: a Saturday longer
     * than any run of the 30 days before it. */
    static const int OFFS[3] = {0, 2, 5};
    char files[WEEKS * 3][4200];
    int nfiles = 0;
    if (!rc) {
        printf("\n== %d. five weeks of short runs before it (%d sessions, simulated quietly)\n"
               "$ tendo simulate --out %s/run-2026-10-19.h5 --minutes 3.5 --speed 3 --rate 100 "
               "--seed 101 --start 2026-10-19T07:00:00Z --athlete %s   (and so on)\n",
               n++, WEEKS * 3 - 1, hist, ATHLETE);
        fflush(stdout);
    }
    for (int w = 0; !rc && w < WEEKS; w++)
        for (int k = 0; !rc && k < 3; k++) {
            int d = 7 * w + OFFS[k];
            if (d == DEMO_RUN_DAY)
                continue; /* the demo's own run */
            char date[16], start[32], seed[16], minutes[16];
            plan_date(d, date);
            snprintf(start, sizeof start, "%sT07:00:00Z", date);
            snprintf(seed, sizeof seed, "%d", 101 + d);
            snprintf(minutes, sizeof minutes, "%s", k == 2 ? "5" : "3.5");
            snprintf(files[nfiles], sizeof files[nfiles], "%s/run-%s.h5", hist, date);
            char *sim[] = {"simulate", "--out",     files[nfiles], "--minutes", minutes, "--speed",
                           "3",        "--rate",    "100",         "--seed",    seed,    "--start",
                           start,      "--athlete", ATHLETE,       "--force",   NULL};
            rc = quietly(tendo_cmd_simulate, argc_of(sim), sim);
            nfiles++;
        }

    char *add[WEEKS * 3 + 8];
    int na = 0;
    add[na++] = "add";
    for (int i = 0; i < nfiles; i++)
        add[na++] = files[i];
    add[na++] = (char *)run_h5;
    add[na++] = "--athlete";
    add[na++] = ATHLETE;
    add[na++] = "--home";
    add[na++] = home;
    add[na] = NULL;
    if (!rc) {
        printf("\n== %d. register the sessions for the athlete (analysed, flags recomputed)\n"
               "$ tendo add %s/run-*.h5 %s --athlete %s --home %s\n",
               n++, hist, run_h5, ATHLETE, home);
        rc = quietly(tendo_cmd_add, na, add);
        if (!rc)
            printf("added %d sessions\n", nfiles + 1);
    }

    /* A diary: mild stiffness, settled the day after runs, a sore day. */
    if (!rc) {
        printf("\n== %d. the athlete's symptom diary, one line a day\n"
               "$ tendo diary add --athlete %s --date 2026-11-21 --pain 3 --stiffness 2 --home "
               "%s   (and the days before)\n",
               n++, ATHLETE, home);
        fflush(stdout);
    }
    for (int d = DEMO_RUN_DAY - 12; !rc && d <= DEMO_RUN_DAY; d++) {
        char date[16], stiff[8], pain[8], p24[8];
        plan_date(d, date);
        snprintf(stiff, sizeof stiff, "%d", d >= DEMO_RUN_DAY - 1 ? 3 : 1 + d % 2);
        snprintf(pain, sizeof pain, "%d", d == DEMO_RUN_DAY ? 3 : 1);
        snprintf(p24, sizeof p24, "%d", d == DEMO_RUN_DAY ? 2 : 1);
        char *diary[] = {"diary",      "add",         "--athlete", ATHLETE,  "--date",
                         date,         "--stiffness", stiff,       "--pain", pain,
                         "--pain-24h", p24,           "--home",    home,     NULL};
        rc = quietly(tendo_cmd_diary, argc_of(diary), diary);
    }

    char *sim_calf[] = {"simulate",      "--heel-raise",
                        "--out",         calf,
                        "--reps-left",   "16",
                        "--reps-right",  "22",
                        "--height-left", "10",
                        "--rate",        "100",
                        "--start",       "2026-11-20T17:00:00Z",
                        "--athlete",     ATHLETE,
                        "--force",       NULL};
    if (!rc)
        rc = step(n++, "a calf-capacity test: single-leg heel raises to fatigue (synthetic)",
                  tendo_cmd_simulate, sim_calf);
    char *capacity[] = {"capacity", calf, "--athlete", ATHLETE, "--home", home, NULL};
    if (!rc)
        rc = step(n++, "count the heel raises, measure their height, compare the sides",
                  tendo_cmd_capacity, capacity);
    char *rep[] = {"report", "--athlete", ATHLETE,  "--out", report, "--weeks",
                   "6",      "--force",   "--home", home,    NULL};
    if (!rc)
        rc = step(n++, "the coach's report: one HTML file, charts, flags, return-to-run checklist",
                  tendo_cmd_report, rep);
    if (!rc) {
        char abs[4096];
        if (!realpath(report, abs))
            snprintf(abs, sizeof abs, "%s", report);
        printf("\nThe report: %s (open it in any browser). A picture of it:\n"
               "  chromium --headless --no-sandbox --disable-gpu --disable-background-networking "
               "--disable-component-update --disable-sync --no-first-run --user-data-dir=$(mktemp "
               "-d) --screenshot=report.png --window-size=1200,2400 file://%s\n",
               abs, abs);
    }
    return rc;
}
