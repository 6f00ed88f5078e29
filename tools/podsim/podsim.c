/*
 * tendo-podsim — runs a command with emulated tendo pods attached over
 * umockdev, so the command's unmodified libusb code sees real usbdevfs
 * devices. Usage and design: acquire/PODSIM.md.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "pod_bus.h"
#include "pod_emu.h"
#include "pod_emu_fault.h"

#define CMD "podsim"
#define MAX_PODS 16
#define PRELOAD_LIB "libumockdev-preload.so.0"
#define DEFAULT_ANCHOR_S 60.0
/* --link-rate bounds in MB/s (10^6 bytes). 0.1 is below USB full speed's
 * bulk ceiling (19 x 64-byte packets per 1 ms frame = 1.216 MB/s, USB 2.0
 * spec table 5-9), 100000 far above any real link. */
#define LINK_RATE_MIN 0.1
#define LINK_RATE_MAX 100000.0

static const char usage_text[] =
    "usage: tendo-podsim [options] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD with emulated tendo pods plugged in. CMD's own, unmodified libusb\n"
    "code sees them as real USB devices (enumeration, hotplug, control and bulk\n"
    "transfers) through umockdev; tendo-podsim sets up the preload itself. Each\n"
    "pod's flash holds one session per file, encoded exactly as a pod stores it.\n"
    "The pods live as long as tendo-podsim: run several commands against the same\n"
    "pods with `-- sh -c 'tendo sync; tendo sync'`.\n"
    "\n"
    "Options:\n"
    "  --pod SERIAL:SIDE[:A.h5[,B.h5...]]\n"
    "                      a pod with serial SERIAL ([A-Za-z0-9_.-], 1-63 chars) worn\n"
    "                      on SIDE (left|right) whose flash holds, as separate\n"
    "                      sessions, the SIDE sensor of each file. Repeat for more\n"
    "                      pods (up to 16).\n"
    "  --clock-drift PPM   pod clocks run PPM parts per million off true time: the\n"
    "                      1st, 3rd... pod fast, the 2nd, 4th... slow, so a left and\n"
    "                      a right pod drift apart by 2 x PPM. A list (40,-55) sets\n"
    "                      each pod in order. Default 0. Every pod also has a clock\n"
    "                      offset of 1-25 h (from --seed).\n"
    "  --anchor SECONDS|none\n"
    "                      the pod was anchored by an earlier sync (CLOCK_SET) that\n"
    "                      long before its first sample (default 60); none: never.\n"
    "  --compress          pods send zlib-compressed frames when the host allows it\n"
    "  --fault SPEC        misbehave on purpose, e.g. unplug@0.5 or crc@frame:3;\n"
    "                      repeatable; `--fault help` lists every kind and WHERE\n"
    "  --seed N            clock offsets and faults follow from N (default 1)\n"
    "  --state DIR         keep what pods remember (erased sessions, clock epoch and\n"
    "                      anchor) in DIR, so a later tendo-podsim run continues\n"
    "  --link-rate MB/S|unlimited\n"
    "                      each pod's bulk IN carries at most MB/S (10^6 bytes/s),\n"
    "                      as if on its own USB port of that speed: a transfer\n"
    "                      completes when its bytes would have crossed the wire.\n"
    "                      40 is a real pod's USB 2.0 high-speed link (480 Mbit/s\n"
    "                      raw, ~35-45 MB/s of bulk data in practice); 1 is USB\n"
    "                      full speed. Same bytes, same protocol, only slower.\n"
    "                      Default unlimited (as fast as the emulator goes).\n"
    "  --help              show this help\n"
    "\n"
    "Examples:\n"
    "  tendo simulate --out run.h5 --minutes 20\n"
    "  tendo-podsim --pod L01:left:run.h5 --pod R01:right:run.h5 -- tendo sync\n"
    "  tendo-podsim --pod L01:left:run.h5 --fault unplug@0.5,replug=2s -- tendo sync\n"
    "  tendo-podsim --pod L01:left:run.h5 --state st -- bench/bench_podsim_link\n"
    "  tendo-podsim --pod L01:left:run.h5 --link-rate 40 -- tendo sync\n"
    "\n"
    "Exit status: CMD's (128+N if a signal N ended it); 64 bad options, 65 a bad\n"
    "session file, 66 a missing one, 69/70 when the emulated bus cannot be set up.\n";

typedef struct pod_arg {
    char serial[TENDO_POD_SERIAL_MAX + 1];
    uint8_t side;
    char **files; /* NULL-terminated */
} pod_arg;

typedef struct opts {
    pod_arg pods[MAX_PODS];
    size_t npods;
    double drift[MAX_PODS];
    size_t ndrift;
    int compress;
    double anchor_s; /* < 0: none */
    int64_t seed;
    const char *state_dir;
    double link_rate_mb_s; /* 0: unlimited */
    const char *faults[64];
    size_t nfaults;
    char **cmd;
} opts;

static int parse_pod(const char *text, pod_arg *p)
{
    const char *c1 = strchr(text, ':');
    if (!c1)
        return cli_usage(CMD, "--pod expects SERIAL:SIDE[:FILES], not '%s'", text);
    size_t sl = (size_t)(c1 - text);
    if (sl == 0 || sl > TENDO_POD_SERIAL_MAX)
        return cli_usage(CMD, "--pod '%s': the serial must have 1-%u characters", text,
                         TENDO_POD_SERIAL_MAX);
    memcpy(p->serial, text, sl);
    p->serial[sl] = '\0';
    tendo_error err;
    tendo_error_clear(&err);
    if (tendo_pod_serial_check(p->serial, &err))
        return cli_usage(CMD, "--pod '%s': %s", text, err.msg);
    const char *side = c1 + 1, *c2 = strchr(side, ':');
    size_t dl = c2 ? (size_t)(c2 - side) : strlen(side);
    if (dl == 4 && !strncmp(side, "left", 4))
        p->side = 0;
    else if (dl == 5 && !strncmp(side, "right", 5))
        p->side = 1;
    else
        return cli_usage(CMD, "--pod '%s': the side must be left or right", text);
    p->files = g_strsplit(c2 && c2[1] ? c2 + 1 : "", ",", -1);
    for (char **f = p->files; *f; f++)
        if (!**f)
            return cli_usage(CMD, "--pod '%s': an empty file name in the list", text);
    return 0;
}

static int parse_drift(const char *text, opts *o)
{
    char **parts = g_strsplit(text, ",", -1);
    int rc = 0;
    o->ndrift = 0;
    for (char **p = parts; *p && !rc; p++) {
        if (o->ndrift == MAX_PODS)
            rc = cli_usage(CMD, "--clock-drift: more values than pods can be attached (%d)",
                           MAX_PODS);
        else
            rc = cli_parse_double(CMD, "--clock-drift", *p, -TENDO_POD_DRIFT_MAX_PPM,
                                  TENDO_POD_DRIFT_MAX_PPM, &o->drift[o->ndrift++]);
    }
    g_strfreev(parts);
    return rc;
}

/* 0 to go on, -1 after --help, else an exit code. */
static int parse_args(int argc, char **argv, opts *o)
{
    o->anchor_s = DEFAULT_ANCHOR_S;
    o->seed = 1;
    int i = 1;
    for (; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return -1;
        } else if (!strcmp(argv[i], "--compress")) {
            o->compress = 1;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--pod", &v))) {
            if (r != 1)
                return r;
            if (o->npods == MAX_PODS)
                return cli_usage(CMD, "at most %d pods can be attached", MAX_PODS);
            if ((r = parse_pod(v, &o->pods[o->npods])))
                return r;
            for (size_t k = 0; k < o->npods; k++)
                if (!strcmp(o->pods[k].serial, o->pods[o->npods].serial))
                    return cli_usage(CMD, "two pods have the serial %s", o->pods[k].serial);
            o->npods++;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--clock-drift", &v))) {
            if (r != 1 || (r = parse_drift(v, o)))
                return r;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--anchor", &v))) {
            if (r != 1)
                return r;
            if (!strcmp(v, "none"))
                o->anchor_s = -1;
            else if ((r = cli_parse_double(CMD, "--anchor", v, 0, 1e7, &o->anchor_s)))
                return r;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--fault", &v))) {
            if (r != 1)
                return r;
            if (!strcmp(v, "help")) {
                fputs(tendo_pod_fault_help(), stdout);
                return -1;
            }
            if (o->nfaults == sizeof o->faults / sizeof o->faults[0])
                return cli_usage(CMD, "too many --fault options");
            o->faults[o->nfaults++] = v;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--seed", &v))) {
            if (r != 1 || (r = cli_parse_int64(CMD, "--seed", v, 0, INT64_MAX, &o->seed)))
                return r ? r : 64;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--link-rate", &v))) {
            if (r != 1)
                return r;
            if (!strcmp(v, "unlimited"))
                o->link_rate_mb_s = 0;
            else if ((r = cli_parse_double(CMD, "--link-rate (MB/s, or unlimited)", v,
                                           LINK_RATE_MIN, LINK_RATE_MAX, &o->link_rate_mb_s)))
                return r;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--state", &v))) {
            if (r != 1)
                return r;
            o->state_dir = v;
        } else {
            return cli_usage(CMD, "unknown option '%s' (the command to run goes after --)",
                             argv[i]);
        }
    }
    if (i >= argc)
        return cli_usage(CMD, "no command: give one after --, e.g. -- tendo sync");
    if (o->ndrift > 1 && o->ndrift != o->npods)
        return cli_usage(CMD, "--clock-drift lists %zu values for %zu pods", o->ndrift, o->npods);
    o->cmd = argv + i;
    return 0;
}

/* ------------------------------------------------------------ the child */

typedef struct run {
    GMainLoop *loop;
    GPid child;
    int status;
    int exited;
} run;

static void on_child(GPid pid, gint status, gpointer user)
{
    run *r = user;
    r->status = status;
    r->exited = 1;
    g_spawn_close_pid(pid);
    g_main_loop_quit(r->loop);
}

/* SIGINT, SIGTERM, SIGHUP go to the command; we end when it does. */
static gboolean on_signal(gpointer user)
{
    run *r = user;
    kill(r->child, SIGTERM);
    return G_SOURCE_CONTINUE;
}

/* The environment of the command: umockdev's preload first in
 * LD_PRELOAD, and AddressSanitizer told not to insist on coming first. */
static char **child_env(void)
{
    char **env = g_get_environ();
    const char *pre = g_environ_getenv(env, "LD_PRELOAD");
    char *v = pre && *pre ? g_strconcat(PRELOAD_LIB, " ", pre, NULL) : g_strdup(PRELOAD_LIB);
    env = g_environ_setenv(env, "LD_PRELOAD", v, TRUE);
    g_free(v);
    const char *asan = g_environ_getenv(env, "ASAN_OPTIONS");
    if (!asan || !strstr(asan, "verify_asan_link_order")) {
        v = asan && *asan ? g_strconcat(asan, ":verify_asan_link_order=0", NULL)
                          : g_strdup("verify_asan_link_order=0");
        env = g_environ_setenv(env, "ASAN_OPTIONS", v, TRUE);
        g_free(v);
    }
    return env;
}

static int run_command(char **cmd)
{
    run r = {.loop = g_main_loop_new(NULL, FALSE)};
    char **env = child_env();
    GError *gerr = NULL;
    gboolean ok = g_spawn_async(NULL, cmd, env,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_CHILD_INHERITS_STDIN,
                                NULL, NULL, &r.child, &gerr);
    g_strfreev(env);
    if (!ok) {
        fprintf(stderr, "tendo-podsim: cannot run %s: %s\n", cmd[0],
                gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        g_main_loop_unref(r.loop);
        return 127; /* as a shell says for a command it cannot run */
    }
    g_child_watch_add(r.child, on_child, &r);
    guint sig[3] = {g_unix_signal_add(SIGINT, on_signal, &r),
                    g_unix_signal_add(SIGTERM, on_signal, &r),
                    g_unix_signal_add(SIGHUP, on_signal, &r)};
    g_main_loop_run(r.loop);
    for (int k = 0; k < 3; k++)
        g_source_remove(sig[k]);
    g_main_loop_unref(r.loop);
    if (WIFEXITED(r.status))
        return WEXITSTATUS(r.status);
    if (WIFSIGNALED(r.status))
        return 128 + WTERMSIG(r.status);
    return 70;
}

/* ------------------------------------------------------------------ main */

/* umockdev 0.17 complains when a host dies in the middle of an ioctl (a
 * killed `tendo sync`, which tests do on purpose): the message is about its
 * own bookkeeping of the dead client and changes nothing for the pods. */
static void log_filter(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user)
{
    (void)user;
    if (msg && strstr(msg, "Destroying IoctlClient with open stream"))
        return;
    g_log_default_handler(domain, level, msg, NULL);
}

/* tendo-podsim itself must run under the preload too: umockdev sends
 * uevents (hotplug) through libudev, which must see the testbed's /sys.
 * The preload has to be there when the process starts, so we re-execute
 * ourselves once with it (child_env's LD_PRELOAD and ASAN_OPTIONS). */
static void reexec_under_preload(char **argv)
{
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, PRELOAD_LIB))
        return;
    char **env = child_env();
    execve("/proc/self/exe", argv, env);
    /* Not reached unless exec failed: go on; only hotplug events will be missing. */
    fprintf(stderr, "tendo-podsim: cannot re-run under %s (%s): hotplug events will be missing\n",
            PRELOAD_LIB, strerror(errno));
    g_strfreev(env);
}

static int fail(const tendo_error *err)
{
    fprintf(stderr, "tendo-podsim: %s\n", err->msg);
    return tendo_exit_code(err->code);
}

int main(int argc, char **argv)
{
    static opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    reexec_under_preload(argv);
    g_log_set_handler(NULL, G_LOG_LEVEL_CRITICAL, log_filter, NULL);
    tendo_error err;
    tendo_error_clear(&err);
    if (o.state_dir && mkdir(o.state_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tendo-podsim: cannot create the state directory %s: %s\n", o.state_dir,
                strerror(errno));
        return 73;
    }
    tendo_pod_fault_set *faults = NULL;
    if ((rc = tendo_pod_fault_parse_all(o.faults, o.nfaults, (uint64_t)o.seed, &faults, &err)))
        return rc == TENDO_EUSAGE ? cli_usage(CMD, "%s", err.msg) : fail(&err);
    tendo_pod_emu *pods[MAX_PODS] = {0};
    int64_t now = g_get_real_time();
    for (size_t i = 0; i < o.npods && !rc; i++) {
        tendo_pod_emu_config cfg = {.side = o.pods[i].side,
                                    .compress = o.compress,
                                    .seed = (uint64_t)o.seed};
        snprintf(cfg.serial, sizeof cfg.serial, "%s", o.pods[i].serial);
        cfg.drift_ppm = o.ndrift > 1 ? o.drift[i]
                        : o.ndrift    ? (i % 2 ? -o.drift[0] : o.drift[0])
                                      : 0.0;
        rc = tendo_pod_emu_new(&pods[i], &cfg, &err);
        for (char **f = o.pods[i].files; !rc && *f; f++)
            rc = tendo_pod_emu_add_file(pods[i], *f, &err);
        if (!rc)
            rc = tendo_pod_emu_start(pods[i], now,
                                     o.anchor_s < 0 ? -1 : (int64_t)(o.anchor_s * 1e6), &err);
        if (!rc)
            rc = tendo_pod_fault_attach(faults, pods[i], i, &err);
        if (!rc && o.state_dir)
            rc = tendo_pod_emu_state_load(pods[i], o.state_dir, &err);
    }
    tendo_pod_bus *bus = NULL;
    if (!rc)
        rc = tendo_pod_bus_new(&bus, o.state_dir, &err);
    if (!rc)
        tendo_pod_bus_set_link_rate(bus, o.link_rate_mb_s * 1e6);
    for (size_t i = 0; i < o.npods && !rc; i++)
        rc = tendo_pod_bus_plug(bus, pods[i], &err);
    /* Tell the command which link it is on (bench_sync prints it beside its figures). */
    char rate[32] = "unlimited";
    if (o.link_rate_mb_s > 0)
        snprintf(rate, sizeof rate, "%g", o.link_rate_mb_s);
    g_setenv("TENDO_PODSIM_LINK_RATE", rate, TRUE);
    int status = rc ? fail(&err) : run_command(o.cmd);
    tendo_pod_bus_free(bus);
    for (size_t i = 0; i < o.npods; i++) {
        tendo_pod_emu_free(pods[i]);
        g_strfreev(o.pods[i].files);
    }
    tendo_pod_fault_set_free(faults);
    return status;
}
