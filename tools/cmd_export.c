/*
 * cmd_export.c — `tendo export csv`: a session's samples as CSV, one file
 * per pod, in SI units and the column convention `tendo import csv` reads.
 *
 * Files are named after the pod's side (left.csv, right.csv); pods that share
 * a side are told apart by serial (left-<serial>.csv). Every target name is
 * checked before the first file is written, so a refused export writes
 * nothing; each file appears atomically (tendo_csv_export_pod).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "tendo_csv.h"
#include "tendo_session.h"

#define CMD "export"

typedef struct export_opts {
    const char *session;
    const char *dir;
    int force, json;
} export_opts;

static void print_help(FILE *out)
{
    fprintf(out,
"usage: tendo export csv FILE.h5 --out DIR [--force] [--json]\n"
"\n"
"Writes each pod of a session as CSV into DIR (created if missing):\n"
"left.csv and right.csv, or <side>-<serial>.csv when two pods share a side.\n"
"Columns: t,ax,ay,az[,gx,gy,gz] with t in seconds since the session start,\n"
"acceleration in m/s^2 and angular rate in rad/s. float32 samples are printed\n"
"with enough digits to re-import bit for bit:\n"
"  tendo export csv walk.h5 --out walk-csv\n"
"  tendo import csv --out again.h5 --rate 204.8 --gyro-unit rad/s \\\n"
"      --left walk-csv/left.csv --right walk-csv/right.csv\n"
"\n"
"Options:\n"
"  --out DIR   folder for the CSV files\n"
"  --force     replace CSV files that already exist there\n"
"  --json      print one JSON object instead of the list of files\n"
"\n"
"Exit codes: 0 ok, 64 bad options, 65 not a valid session file, 66 FILE.h5 missing,\n"
"73 a CSV file exists (use --force) or DIR cannot be made, 74 I/O error.\n");
}

/* Returns 0 to go on, -1 after --help, or 64. */
static int parse_args(int argc, char **argv, export_opts *o)
{
    memset(o, 0, sizeof *o);
    int format_seen = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(stdout);
            return -1;
        } else if (!strcmp(arg, "--out")) {
            if (++i >= argc)
                return cli_usage(CMD, "--out needs a folder");
            o->dir = argv[i];
        } else if (!strncmp(arg, "--out=", 6)) {
            o->dir = arg + 6;
        } else if (!strcmp(arg, "--force")) {
            o->force = 1;
        } else if (!strcmp(arg, "--json")) {
            o->json = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(CMD, "unknown option '%s'", arg);
        } else if (!format_seen) {
            if (strcmp(arg, "csv") != 0)
                return cli_usage(CMD, "'%s' is not an export format; the one format is 'csv' "
                                      "(tendo export csv FILE.h5 --out DIR)",
                                 arg);
            format_seen = 1;
        } else if (!o->session) {
            o->session = arg;
        } else {
            return cli_usage(CMD, "unexpected argument '%s' (one session file at a time)", arg);
        }
    }
    if (!format_seen || !o->session)
        return cli_usage(CMD, "usage: tendo export csv FILE.h5 --out DIR");
    if (!o->dir || !*o->dir)
        return cli_usage(CMD, "--out DIR is required");
    return 0;
}

/* mkdir -p: creates dir and its missing parents. */
static int make_dirs(const char *dir, tendo_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return tendo_error_set(err, TENDO_EUSAGE, "--out: path too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return tendo_error_set(err, TENDO_ECANTCREAT, "cannot create folder %s: %s", path,
                                   strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tendo_error_set(err, TENDO_ECANTCREAT, "--out %s exists and is not a folder",
                               dir);
    return TENDO_OK;
}

/* DIR/left.csv, or DIR/left-SERIAL.csv when another pod has the same side. */
static void csv_path_for(tendo_reader *r, size_t pod_index, const char *dir, char *out,
                         size_t size)
{
    const tendo_pod_meta *pod = tendo_reader_pod(r, pod_index);
    const char *side = pod->side == TENDO_SIDE_LEFT ? "left" : "right";
    int shared = 0;
    for (size_t k = 0; k < tendo_reader_pod_count(r); k++)
        shared |= k != pod_index && tendo_reader_pod(r, k)->side == pod->side;
    if (shared)
        snprintf(out, size, "%s/%s-%s.csv", dir, side, pod->serial);
    else
        snprintf(out, size, "%s/%s.csv", dir, side);
}

static int check_targets(tendo_reader *r, const export_opts *o, tendo_error *err)
{
    for (size_t k = 0; k < tendo_reader_pod_count(r); k++) {
        char path[4200];
        struct stat st;
        csv_path_for(r, k, o->dir, path, sizeof path);
        if (!o->force && stat(path, &st) == 0)
            return tendo_error_set(err, TENDO_ECANTCREAT,
                                   "%s already exists; use --force to replace it (nothing "
                                   "was written)",
                                   path);
    }
    return TENDO_OK;
}

static int export_all(tendo_reader *r, const export_opts *o, tendo_error *err)
{
    cJSON *root = o->json ? cJSON_CreateObject() : NULL;
    cJSON *files = root ? cJSON_AddArrayToObject(root, "files") : NULL;
    if (root)
        cJSON_AddStringToObject(root, "session", o->session);
    int rc = TENDO_OK;
    for (size_t k = 0; rc == TENDO_OK && k < tendo_reader_pod_count(r); k++) {
        const tendo_pod_meta *pod = tendo_reader_pod(r, k);
        char path[4200];
        csv_path_for(r, k, o->dir, path, sizeof path);
        rc = tendo_csv_export_pod(r, k, path, err);
        if (rc != TENDO_OK)
            break;
        int64_t n = tendo_reader_sample_count(r, k);
        if (files) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "path", path);
            cJSON_AddStringToObject(f, "serial", pod->serial);
            cJSON_AddStringToObject(f, "side", pod->side == TENDO_SIDE_LEFT ? "left" : "right");
            cJSON_AddNumberToObject(f, "samples", (double)n);
            cJSON_AddBoolToObject(f, "has_gyro", pod->has_gyro);
            cJSON_AddItemToArray(files, f);
        } else {
            printf("wrote %s: pod %s, %" PRId64 " samples, %s\n", path, pod->serial, n,
                   pod->has_gyro ? "t,ax,ay,az,gx,gy,gz" : "t,ax,ay,az");
        }
    }
    if (root && rc == TENDO_OK)
        cli_print_json_line(root);
    else
        cJSON_Delete(root);
    return rc;
}

int tendo_cmd_export(int argc, char **argv)
{
    export_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;

    tendo_error err;
    tendo_error_clear(&err);
    struct stat st;
    if (stat(o.session, &st) != 0) {
        tendo_error_set(&err, TENDO_ENOINPUT, "%s: %s", o.session, strerror(errno));
        return cli_fail(CMD, &err);
    }
    tendo_reader *r = NULL;
    rc = tendo_reader_open_untrusted(&r, o.session, &err);
    if (rc == TENDO_OK)
        rc = check_targets(r, &o, &err);
    int had_dir = stat(o.dir, &st) == 0;
    if (rc == TENDO_OK)
        rc = make_dirs(o.dir, &err);
    if (rc == TENDO_OK)
        rc = export_all(r, &o, &err);
    if (rc != TENDO_OK && !had_dir)
        rmdir(o.dir); /* a damaged file found mid-way leaves no empty folder */
    if (r)
        tendo_reader_close(r);
    return rc == TENDO_OK ? CLI_EXIT_OK : cli_fail(CMD, &err);
}
