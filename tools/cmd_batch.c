/*
 * cmd_batch.c — `tendo batch`: the command line of the batch engine
 * (tools/batch/batch.h). Options are checked here; the engine does the
 * rest. With --mpi every rank runs this command: rank 0 runs the batch,
 * the others serve it (tools/batch/batch_mpi.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze_run.h"
#include "batch.h"
#include "analyze_cli.h"
#include "cli.h"
#include "commands.h"
#include "tendo_session.h"
#ifdef TENDO_HAVE_MPI
#include "batch_mpi.h"
#endif

#define CMD "batch"
#define EXIT_INTERRUPTED 130 /* the shell's code for a command ended by Ctrl-C */

static const char USAGE[] =
    "usage: tendo batch INPUT... --out DIR [-j N] [--manifest FILE.csv] [--resume]\n"
    "                  [--steps] [--json] [--placement foot|shank] [--mass KG]\n"
    "                  [--damage-k K] [--shard I/N] [--force]\n"
    "       mpirun -n N tendo batch --mpi INPUT... --out DIR [options]\n"
    "       tendo batch --merge SHARD_DIR... --out DIR\n"
    "\n"
    "Analyses many sessions at once, exactly as `tendo analyze` would (the files\n"
    "themselves are never changed), into one table. INPUT is a session file or a\n"
    "folder, searched recursively for *.h5. A manifest lists files with options\n"
    "of their own: other sensors' CSV (rate, units, placement, left/right pairs),\n"
    "athlete, body mass (columns in docs/batch.md).\n"
    "\n"
    "Writes to DIR:\n"
    "  summary.csv    one row per session: file, athlete, start time, status and\n"
    "                 the fields of `tendo analyze --json`\n"
    "  failures.csv   file, exit code, class and message of each session that\n"
    "                 failed: a bad file is recorded and skipped, never stops the batch\n"
    "  steps/         with --steps: one CSV of steps per session\n"
    "  run.json       tendo version, parameters, counts, time taken\n"
    "  journal.jsonl  what is finished (for --resume)\n"
    "Rows are sorted by file: the same whatever -j, the ranks or the interruptions.\n"
    "\n"
    "Options:\n"
    "  --out DIR          output folder (created if missing)\n"
    "  -j, --jobs N       worker processes (default: the cores present)\n"
    "  --manifest FILE    CSV of files with per-file options (docs/batch.md)\n"
    "  --resume           continue a stopped batch in DIR: finished sessions are\n"
    "                     kept unless their input or the parameters changed\n"
    "  --force            start over in a DIR that holds an earlier batch\n"
    "  --steps            write each session's steps to DIR/steps/\n"
    "  --json             print run.json as one JSON line instead of the summary\n"
    "  --placement P      treat every pod as worn on the foot or the shank\n"
    "  --mass KG          body mass for the Achilles load in kN (the manifest's\n"
    "                     mass column overrides it per file)\n"
    "  --damage-k K       exponent of the damage sum (default 5)\n"
    "  --shard I/N        analyse only part I of N (job arrays without MPI); merge\n"
    "                     the N folders with --merge (docs/cluster.md)\n"
    "  --merge DIR...     join shard folders into --out as one batch\n"
    "  --mpi              run under mpirun: ranks share the work (docs/cluster.md)\n"
    "  -h, --help         this help\n"
    "\n"
    "A progress line (files, hours of data, ETA) shows on a terminal. Ctrl-C stops\n"
    "cleanly; so does a crash or power cut: run the same command with --resume.\n"
    "\n"
    "Exit codes: 0 every session analysed, 65 some sessions failed (failures.csv)\n"
    "or a bad manifest (names FILE:LINE), 64 bad options, 66 an INPUT is missing or\n"
    "none found, 69 MPI unavailable, 73 DIR cannot be used (holds another batch:\n"
    "--resume or --force), 74 I/O error, 130 interrupted (--resume continues).\n"
    "\n"
    "Examples:\n"
    "  tendo batch study/ --out results -j 2\n"
    "  tendo batch --manifest study.csv --out results --steps\n"
    "  tendo batch study/ --out results --resume\n";

typedef struct args {
    batch_options o;
    const char **pos;
    size_t npos;
    int merge, mpi, json;
} args;

static int parse_shard(const char *v, int *i, int *n)
{
    char extra;
    if (sscanf(v, "%d/%d%c", i, n, &extra) != 2 || *n < 1 || *n > 100000 || *i < 1 || *i > *n)
        return cli_usage(CMD, "--shard is I/N with 1 <= I <= N (e.g. 3/10), not '%s'", v);
    return 0;
}

/* Returns 0 to go on, -1 after --help, or 64. */
static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->o.placement = TENDO_ANALYZE_AS_RECORDED;
    a->o.damage_k = 5;
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (!a->pos)
        return cli_usage(CMD, "out of memory");
    int64_t jobs = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        int r;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(USAGE, stdout);
            return -1;
        } else if (!strcmp(arg, "--resume")) {
            a->o.resume = 1;
        } else if (!strcmp(arg, "--force")) {
            a->o.force = 1;
        } else if (!strcmp(arg, "--steps")) {
            a->o.steps = 1;
        } else if (!strcmp(arg, "--json")) {
            a->json = 1;
        } else if (!strcmp(arg, "--mpi")) {
            a->mpi = 1;
        } else if (!strcmp(arg, "--merge")) {
            a->merge = 1;
        } else if (!strcmp(arg, "-j")) {
            if (i + 1 >= argc)
                return cli_usage(CMD, "-j needs a value");
            if ((r = cli_parse_int64(CMD, "-j", argv[++i], 1, 1024, &jobs)) != 0)
                return r;
        } else if (!strncmp(arg, "-j", 2) && arg[2] != '\0' && arg[2] != '-') {
            if ((r = cli_parse_int64(CMD, "-j", arg + 2, 1, 1024, &jobs)) != 0)
                return r;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--jobs", &v)) != 0) {
            if (r != 1 || (r = cli_parse_int64(CMD, "--jobs", v, 1, 1024, &jobs)) != 0)
                return r;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--out", &v)) != 0) {
            if (r != 1)
                return r;
            a->o.out_dir = v;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--manifest", &v)) != 0) {
            if (r != 1)
                return r;
            a->o.manifest = v;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--shard", &v)) != 0) {
            if (r != 1 || (r = parse_shard(v, &a->o.shard_i, &a->o.shard_n)) != 0)
                return r;
        } else if ((r = tendo_analyze_cli_option(CMD, argc, argv, &i, &a->o.placement,
                                                 &a->o.mass_kg, &a->o.damage_k)) != 0) {
            if (r != 1)
                return r;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(CMD, "unknown option '%s'", arg);
        } else {
            a->pos[a->npos++] = arg;
        }
    }
    a->o.jobs = (int)jobs;
    if (!a->o.out_dir)
        return cli_usage(CMD, "--out DIR is required (where the tables go)");
    if (a->merge) {
        if (a->npos == 0)
            return cli_usage(CMD, "--merge needs the shard folders (tendo batch --merge "
                                  "DIR1 DIR2 ... --out DIR)");
        if (a->mpi || a->o.manifest || a->o.shard_n || a->o.resume || jobs)
            return cli_usage(CMD, "--merge takes only shard folders, --out, --force and --json");
        return 0;
    }
    if (a->npos == 0 && !a->o.manifest)
        return cli_usage(CMD, "nothing to analyse: give session files or folders, or "
                              "--manifest FILE.csv");
    if (a->o.resume && a->o.force)
        return cli_usage(CMD, "--resume continues the batch in --out and --force discards it: "
                              "choose one");
    if (a->mpi && jobs)
        return cli_usage(CMD, "-j and --mpi do not mix: under MPI the ranks are the workers "
                              "(mpirun -n N)");
    if (a->mpi && a->o.shard_n)
        return cli_usage(CMD, "--shard is for job arrays without MPI; under MPI one run takes "
                              "the whole study");
    return 0;
}

static void command_line(int argc, char **argv, char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "tendo");
    for (int i = 0; i < argc && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, " %s", argv[i]);
}

static int report(const args *a, int rc, const batch_counts *c, char *run_json,
                  const tendo_error *err)
{
    if (rc != TENDO_OK) {
        free(run_json);
        return cli_fail(CMD, err);
    }
    if (a->json) {
        if (run_json)
            printf("%s\n", run_json);
    } else {
        printf("%zu session%s in %s: %zu analysed, %zu failed", c->sessions,
               c->sessions == 1 ? "" : "s", a->o.out_dir, c->ok, c->failed);
        if (c->pending)
            printf(", %zu not yet", c->pending);
        printf("; %.2f h of data", c->data_hours);
        if (c->reused)
            printf(" (%zu kept from the earlier run)", c->reused);
        printf("\n  table: %s/summary.csv\n", a->o.out_dir);
        if (c->failed)
            printf("  failures: %s/failures.csv\n", a->o.out_dir);
        if (c->interrupted)
            printf("  stopped before the end: run the same command with --resume to finish\n");
    }
    free(run_json);
    fflush(stdout);
    if (c->interrupted)
        return EXIT_INTERRUPTED;
    return c->failed ? tendo_exit_code(TENDO_EDATA) : 0;
}

static int run_mpi(args *a, int argc, char **argv)
{
#ifdef TENDO_HAVE_MPI
    tendo_error err;
    tendo_error_clear(&err);
    int rank = 0, size = 1;
    if (batch_mpi_init(&argc, &argv, &rank, &size, &err) != TENDO_OK)
        return cli_fail(CMD, &err);
    int code;
    if (rank > 0) {
        code = batch_mpi_serve(&err) == TENDO_OK ? 0 : cli_fail(CMD, &err);
    } else {
        batch_counts c;
        char *run_json = NULL;
        a->o.mode = "mpi";
        int rc = batch_run(&a->o, batch_mpi_factory, NULL, &c, &run_json, &err);
        batch_mpi_release(); /* ranks still waiting if the batch stopped early */
        code = report(a, rc, &c, run_json, &err);
    }
    batch_mpi_finish(code);
    return code;
#else
    (void)a, (void)argc, (void)argv;
    tendo_error err;
    tendo_error_clear(&err);
    tendo_error_set(&err, TENDO_EUNAVAIL,
                    "this tendo was built without MPI: install OpenMPI (libopenmpi-dev) and "
                    "build with cmake -DTENDO_MPI=ON, or use -j or --shard");
    return cli_fail(CMD, &err);
#endif
}

int tendo_cmd_batch(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        free(a.pos);
        return rc < 0 ? 0 : rc;
    }
    char command[4096];
    command_line(argc, argv, command, sizeof command);
    a.o.command = command;
    a.o.inputs = a.pos;
    a.o.ninputs = a.npos;
    a.o.progress = isatty(STDERR_FILENO);
    tendo_error err;
    tendo_error_clear(&err);
    batch_counts c;
    char *run_json = NULL;
    int code;
    if (a.merge) {
        rc = batch_merge(a.pos, a.npos, a.o.out_dir, a.o.force, &c, &run_json, &err);
        code = report(&a, rc, &c, run_json, &err);
    } else if (a.mpi) {
        code = run_mpi(&a, argc, argv);
    } else {
        if (a.o.jobs == 0) {
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            a.o.jobs = cores > 0 ? (int)cores : 1;
        }
        a.o.mode = "processes";
        rc = batch_run(&a.o, batch_pool_factory, NULL, &c, &run_json, &err);
        code = report(&a, rc, &c, run_json, &err);
    }
    free(a.pos);
    return code;
}
