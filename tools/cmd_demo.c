/*
 * tendo demo: the whole pipeline on built-in data, so a newcomer sees the
 * product with no hardware. Each step runs the real subcommand in-process
 * and prints the command line a user would type for it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "demo_coach.h"

static const char USAGE[] =
    "usage: tendo demo [--out DIR]\n"
    "\n"
    "Shows tendo at work with no hardware: simulates a 6-minute session with\n"
    "two foot pods (standing, a walk, running at 3.2 m/s, a walk), checks the\n"
    "session file, analyzes the run (steps, contact time, pace, Achilles load),\n"
    "shows the real gaitmap walking recording shipped in sample-data/, and\n"
    "exports the run as CSV. Then the coach's side: a demo athlete in the demo's\n"
    "own catalog (DIR/home) with five weeks of short simulated runs and that run,\n"
    "a symptom diary, a heel-raise test, and the report DIR/report.html. Every\n"
    "step prints the command that does it, so you can repeat it on your own data.\n"
    "\n"
    "Options:\n"
    "  --out DIR   where to write (default ./tendo-demo; replaced files are the\n"
    "              demo's own)\n"
    "  -h, --help  this help\n";

#ifndef TENDO_SOURCE_DIR
#define TENDO_SOURCE_DIR "."
#endif

typedef int (*command_fn)(int argc, char **argv);

static int run_step(int number, const char *title, command_fn fn, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    printf("\n== %d. %s\n$ tendo", number, title);
    for (int i = 0; i < argc; i++) /* quoted when the shell would split it */
        printf(strpbrk(argv[i], " '\"$&;|<>()") ? " '%s'" : " %s", argv[i]);
    printf("\n");
    fflush(stdout);
    optind = 0; /* glibc: fully re-initialise getopt for the next command */
    int rc = fn(argc, argv);
    fflush(stdout);
    if (rc != 0)
        fprintf(stderr, "tendo demo: step %d (%s) failed with exit code %d\n", number, title, rc);
    return rc;
}

/* The real recording ships in sample-data/ of the source tree. */
static int find_sample(const char *name, char *out, size_t size)
{
    const char *dirs[] = {getenv("TENDO_SAMPLE_DATA"), "sample-data", TENDO_SOURCE_DIR "/sample-data"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i])
            continue;
        snprintf(out, size, "%s/%s", dirs[i], name);
        if (access(out, R_OK) == 0)
            return 1;
    }
    return 0;
}

int tendo_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = "tendo-demo";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'o')
            dir = optarg;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else
            return cli_usage("demo", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage("demo", "unexpected argument '%s'", argv[optind]);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tendo demo: cannot create %s: %s\n", dir, strerror(errno));
        return 73;
    }
    char run[4096], csv[4096], walk[4096];
    snprintf(run, sizeof run, "%s/run.h5", dir);
    snprintf(csv, sizeof csv, "%s/run-csv", dir);
    printf("tendo demo: simulated pods and a real recording, written to %s/\n", dir);

    char *simulate[] = {"simulate", "--out", run, "--minutes", "6", "--speed", "3.2",
                        "--seed", "7", "--athlete", "demo", "--force", NULL};
    int rc = run_step(1, "simulate a 6-minute run with two foot pods (synthetic, with ground truth)",
                      tendo_cmd_simulate, simulate);
    char *inspect[] = {"inspect", run, NULL};
    if (!rc)
        rc = run_step(2, "check the session file and see what it holds", tendo_cmd_inspect,
                      inspect);
    char *analyze[] = {"analyze", run, NULL};
    if (!rc)
        rc = run_step(3, "find every step and measure the run (results stored in the file)",
                      tendo_cmd_analyze, analyze);
    char *export_csv[] = {"export", "csv", run, "--out", csv, "--force", NULL};
    if (!rc)
        rc = run_step(4, "export the samples as CSV for any other tool", tendo_cmd_export,
                      export_csv);
    if (!rc && find_sample("gaitmap-walking.h5", walk, sizeof walk)) {
        char *inspect_real[] = {"inspect", walk, NULL};
        rc = run_step(5, "a real recording: gaitmap walking, NilsPod IMUs on both shoes",
                      tendo_cmd_inspect, inspect_real);
    }
    if (!rc) /* the coach's side: catalog, diary, heel-raise test, report */
        rc = tendo_demo_coach(dir, run, 6, run_step);
    if (rc)
        return rc;
    printf("\nDone. Files are in %s/. Next: 'tendo simulate --help' to make other runs,\n"
           "'tendo import csv --help' to bring in your own sensor data.\n",
           dir);
    return 0;
}
