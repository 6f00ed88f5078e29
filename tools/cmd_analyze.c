/*
 * cmd_analyze.c — `tendo analyze`: steps, contact time, cadence, speed,
 * hills and Achilles load of session files, stored in each file's
 * /analysis group and printed as a summary, JSON Lines or a steps CSV.
 *
 * The options and the output loop only: analysing, storing and printing
 * one file is tools/analyze/analyze_run.h (shared with batch and add).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_pipe.h"
#include "analyze_run.h"
#include "analyze_cli.h"
#include "cli.h"
#include "commands.h"
#include "tendo_session.h"

#define CMD "analyze"

typedef struct analyze_opts {
    const char **files;
    int nfiles;
    int json;
    const char *steps_csv;
    tendo_analyze_options an;
} analyze_opts;

static const char USAGE[] =
    "usage: tendo analyze FILE.h5... [--json] [--steps-csv OUT.csv]\n"
    "                    [--placement foot|shank] [--mass KG] [--damage-k K]\n"
    "                    [--no-store] [--threads N]\n"
    "\n"
    "Finds every step of each foot pod and measures it: ground contact and flight\n"
    "time, cadence, footstrike, impact, speed, stride length and height change;\n"
    "then splits the session into rest, walking and running and adds up distance,\n"
    "pace, climb and an Achilles tendon load estimate. Results are stored in the\n"
    "file's /analysis group (a verified copy replaces the file, so the recording\n"
    "is never at risk) and shown as a summary.\n"
    "\n"
    "On a treadmill nothing needs setting: the stance foot rests on the belt, which\n"
    "moves at a steady speed, so the pods measure what they would overground at the\n"
    "belt's speed. Steps, contact times and cadence are as overground; speed and\n"
    "distance are the belt's, and an incline counts as climb.\n"
    "\n"
    "Options:\n"
    "  --json             one JSON object per file (JSON Lines) instead of the summary;\n"
    "                     values not measured are null\n"
    "  --steps-csv FILE   also write one row per step (all files) to FILE; times in\n"
    "                     seconds since the session's first sample (--json gives\n"
    "                     first_sample_s, its offset from the session start that\n"
    "                     the stored /analysis counts from)\n"
    "  --placement P      treat every pod as worn on the foot or the shank (default:\n"
    "                     as recorded in the file). shank: accelerometer-only tibial\n"
    "                     data, as in tibial-shock research: steps, cadence, running\n"
    "                     contact time and peak tibial acceleration; speed, distance,\n"
    "                     climb and Achilles load need a foot pod and come out null\n"
    "  --mass KG          body mass, to give the Achilles load in kN as well as in\n"
    "                     body weights\n"
    "  --damage-k K       exponent of the damage sum Σ (F/F_ref)^K (default 5)\n"
    "  --no-store         do not write /analysis into the file (read-only files)\n"
    "  --threads N        1: read and analyse in one thread; 2-64: one thread reads\n"
    "                     the file while each pod's thread decompresses and\n"
    "                     analyses its own data\n"
    "                     (default: TENDO_THREADS, else the cores present). The\n"
    "                     results are identical whatever N\n"
    "  -h, --help         this help\n"
    "\n"
    "Methods, constants and their sources: analysis/MODELS.md.\n"
    "\n"
    "Exit codes: 0 ok, 64 bad options, 65 a file is damaged or not a session,\n"
    "66 a file is missing, 73 the CSV cannot be created, 74 I/O error.\n"
    "\n"
    "Example:\n"
    "  tendo analyze run.h5\n"
    "  tendo analyze week/*.h5 --json --steps-csv steps.csv\n";

/* Returns 0 to go on, -1 after --help, or 64. */
static int parse_args(int argc, char **argv, analyze_opts *o)
{
    memset(o, 0, sizeof *o);
    tendo_analyze_defaults(&o->an);
    o->files = calloc((size_t)argc, sizeof *o->files);
    if (!o->files)
        return cli_usage(CMD, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        int r;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(USAGE, stdout);
            return -1;
        } else if (!strcmp(arg, "--json")) {
            o->json = 1;
        } else if (!strcmp(arg, "--no-store")) {
            o->an.store = 0;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--threads", &v)) != 0) {
            int64_t n;
            if (r != 1 || (r = cli_parse_int64(CMD, "--threads", v, 1, TENDO_ANALYZE_MAX_THREADS,
                                               &n)) != 0)
                return r;
            o->an.threads = (int)n;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--steps-csv", &v)) != 0) {
            if (r != 1)
                return r;
            o->steps_csv = v;
        } else if ((r = tendo_analyze_cli_option(CMD, argc, argv, &i, &o->an.placement,
                                                 &o->an.mass_kg, &o->an.damage_k)) != 0) {
            if (r != 1)
                return r;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(CMD, "unknown option '%s'", arg);
        } else {
            o->files[o->nfiles++] = arg;
        }
    }
    if (o->nfiles == 0)
        return cli_usage(CMD, "no session file given (tendo analyze FILE.h5...)");
    /* a bad TENDO_THREADS stops before any file is read, not once per file */
    int threads;
    tendo_error e;
    tendo_error_clear(&e);
    if (o->an.threads == 0 && analyze_pipe_auto_threads(&threads, &e) != TENDO_OK)
        return cli_usage(CMD, "%s", e.msg);
    return 0;
}

int tendo_cmd_analyze(int argc, char **argv)
{
    analyze_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        free(o.files);
        return rc < 0 ? 0 : rc;
    }
    FILE *csv = NULL;
    if (o.steps_csv) {
        csv = fopen(o.steps_csv, "w");
        if (!csv) {
            tendo_error e = {0};
            tendo_error_set(&e, TENDO_ECANTCREAT, "cannot create %s: %s", o.steps_csv,
                            strerror(errno));
            free(o.files);
            return cli_fail(CMD, &e);
        }
        tendo_analyze_csv_header(csv);
    }
    int exit_code = 0;
    for (int i = 0; i < o.nfiles; i++) {
        tendo_analyze_result *r;
        tendo_error err = {0};
        if (tendo_analyze_file(o.files[i], &o.an, &r, &err) != TENDO_OK) {
            int code = cli_fail(CMD, &err);
            if (!exit_code)
                exit_code = code;
        } else {
            if (o.json)
                cli_print_json_line(tendo_analyze_json(r));
            else
                tendo_analyze_print_summary(stdout, r);
            if (csv)
                tendo_analyze_csv_rows(csv, r);
        }
        tendo_analyze_free(r);
        fflush(stdout);
    }
    if (csv && (fflush(csv) != 0 || ferror(csv) | fclose(csv))) {
        tendo_error e = {0};
        tendo_error_set(&e, TENDO_EIO, "writing %s failed", o.steps_csv);
        int code = cli_fail(CMD, &e);
        if (!exit_code)
            exit_code = code;
    }
    free(o.files);
    return exit_code;
}
