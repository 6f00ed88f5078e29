/*
 * tendo demo: the whole pipeline on built-in data, so a newcomer sees the
 * product with no hardware. Each step runs the real subcommand in-process
 * and prints the command line a user would type for it.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "demo_coach.h"

static const char USAGE[] =
    "usage: tendo demo [--out DIR]\n"
    "\n"
    "Shows tendo at work with no hardware. A 6-minute run (standing, a walk,\n"
    "running at 3.2 m/s, a walk) is simulated and loaded into two emulated shoe\n"
    "pods (tendo podsim: real USB devices to tendo's libusb code, with drifting\n"
    "clocks); tendo pods lists them and tendo sync downloads, pairs, checks and\n"
    "files the run in the demo's own home (DIR/home), then erases the pods. The\n"
    "synced session is checked, analyzed (steps, contact time, pace, Achilles\n"
    "load) and exported as CSV; the real gaitmap walking recording shipped in\n"
    "sample-data/ is shown. Then the coach's side: five weeks of short simulated\n"
    "runs before it, a symptom diary, a heel-raise test, and the report\n"
    "DIR/report.html. Every step prints the command that does it, so you can\n"
    "repeat it on your own data.\n"
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

/* Runs `tendo podsim POD_ARGS... -- tendo CMD...` as a child process: the
 * emulator re-executes itself under umockdev's preload, so it cannot run
 * inside the demo's own process. Returns the child's exit code. */
static int run_with_pods(int number, const char *title, const char *podsim, const char *self,
                         char *const *pod_args, char *const *cmd)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)podsim;
    for (int i = 0; pod_args[i] && n < 14; i++)
        argv[n++] = pod_args[i];
    argv[n++] = "--";
    argv[n++] = (char *)self;
    for (int i = 0; cmd[i] && n < 31; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    printf("\n== %d. %s\n$ tendo podsim", number, title);
    for (int i = 1; argv[i]; i++)
        printf(" %s", argv[i] == self ? "tendo" : argv[i]);
    printf("\n");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "tendo demo: cannot start tendo podsim: %s\n", strerror(errno));
        return 70;
    }
    if (pid == 0) {
        execv(podsim, argv);
        fprintf(stderr, "tendo demo: cannot run %s: %s\n", podsim, strerror(errno));
        _exit(69);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (rc != 0)
        fprintf(stderr, "tendo demo: step %d (%s) failed with exit code %d\n", number, title, rc);
    return rc;
}

/* The session file tendo sync wrote into the demo's fresh home. */
static int synced_file(const char *home, char *out, size_t size)
{
    char pattern[4200];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/sessions/*/*.h5", home);
    int found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1;
    if (found)
        snprintf(out, size, "%s", g.gl_pathv[0]);
    globfree(&g);
    return found;
}

/* Simulated run → two emulated pods → tendo pods → tendo sync. Without
 * tendo-podsim (a build without umockdev) the simulated file stands in for
 * the synced one, and the demo says so. */
static int sync_from_pods(const char *run, const char *home, int *n, char *session, size_t size)
{
    char self[PATH_MAX], podsim[PATH_MAX + 16], left[4200], right[4200];
    /* tendo-podsim sits next to this binary (it is only built with umockdev). */
    if (cli_self_and_sibling("tendo-podsim", self, sizeof self, podsim, sizeof podsim) != 0 ||
        access(podsim, X_OK) != 0) {
        printf("\n(tendo-podsim is not built here, so there are no emulated pods to sync:\n"
               " the simulated file stands in for the synced one.)\n");
        snprintf(session, size, "%s", run);
        return 0;
    }
    snprintf(left, sizeof left, "DEMO-L:left:%s", run);
    snprintf(right, sizeof right, "DEMO-R:right:%s", run);
    char *pods[] = {"--pod", left, "--pod", right, "--clock-drift", "30", NULL};
    char *list[] = {"pods", NULL};
    int rc = run_with_pods((*n)++, "two emulated shoe pods holding that run, as tendo sees them",
                           podsim, self, pods, list);
    char *sync[] = {"sync", "--home", (char *)home, "--athlete", "demo", NULL};
    if (!rc)
        rc = run_with_pods((*n)++,
                           "download, pair left and right, verify, file, then erase the pods",
                           podsim, self, pods, sync);
    if (!rc && !synced_file(home, session, size)) {
        fprintf(stderr, "tendo demo: tendo sync reported success but %s/sessions holds no "
                        "single session file\n", home);
        rc = 70;
    }
    return rc;
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
    char run[4096], csv[4096], walk[4096], home[4096], session[4200];
    snprintf(run, sizeof run, "%s/run.h5", dir);
    snprintf(csv, sizeof csv, "%s/run-csv", dir);
    printf("tendo demo: emulated pods, a simulated run and a real recording, written to %s/\n",
           dir);

    int n = 1;
    char *simulate[] = {"simulate", "--out", run, "--minutes", "6", "--speed", "3.2",
                        "--seed", "7", "--athlete", "demo", "--force", NULL};
    int rc = run_step(n++, "a 6-minute run as two foot pods record it (synthetic, with ground truth)",
                      tendo_cmd_simulate, simulate);
    if (!rc)
        rc = tendo_demo_athlete(dir, home, sizeof home, &n, run_step);
    if (!rc)
        rc = sync_from_pods(run, home, &n, session, sizeof session);
    char *inspect[] = {"inspect", session, NULL};
    if (!rc)
        rc = run_step(n++, "check the synced session file and see what it holds",
                      tendo_cmd_inspect, inspect);
    char *analyze[] = {"analyze", session, NULL};
    if (!rc)
        rc = run_step(n++, "find every step and measure the run (results stored in the file)",
                      tendo_cmd_analyze, analyze);
    char *export_csv[] = {"export", "csv", session, "--out", csv, "--force", NULL};
    if (!rc)
        rc = run_step(n++, "export the samples as CSV for any other tool", tendo_cmd_export,
                      export_csv);
    if (!rc && find_sample("gaitmap-walking.h5", walk, sizeof walk)) {
        char *inspect_real[] = {"inspect", walk, NULL};
        rc = run_step(n++, "a real recording: gaitmap walking, NilsPod IMUs on both shoes",
                      tendo_cmd_inspect, inspect_real);
    }
    if (!rc) /* the coach's side: history, diary, heel-raise test, report */
        rc = tendo_demo_coach(dir, home, session, n, run_step);
    if (rc)
        return rc;
    printf("\nDone. Files are in %s/. Next: 'tendo simulate --help' to make other runs,\n"
           "'tendo import csv --help' to bring in your own sensor data.\n",
           dir);
    return 0;
}
