/*
 * cmd_add.c — `tendo add FILE.h5... --athlete ID`: analyses session files
 * with the athlete's body mass and registers them in the catalog, once.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "add_session.h"
#include "catalog_cli.h"
#include "cli.h"
#include "commands.h"

#define CMD "add"

static const char USAGE[] =
    "usage: tendo add FILE.h5... [--athlete ID] [--json] [--home DIR]\n"
    "\n"
    "Registers session files (imported, simulated or copied from elsewhere) in the\n"
    "catalog so they count in the athlete's training load and flags. Each file is\n"
    "analysed with the athlete's body mass (the file itself is not changed) and its\n"
    "summary stored with it; then the athlete's flags are recomputed and the new\n"
    "ones shown. A session already in the catalog (same session id or same path)\n"
    "is refused and nothing is doubled; the other files are still added.\n"
    "\n"
    "Options:\n"
    "  --athlete ID       whose sessions these are (default: the athlete id the file\n"
    "                     records, if that athlete is in the catalog)\n"
    "  --json             one JSON object per file: file, session, athlete, date,\n"
    "                     distance_m, duration_s, achilles_load, added (true/false),\n"
    "                     error; then one object with the athlete's new flags\n" CCLI_HOME_HELP
    "  -h, --help         this help\n"
    "\n"
    "The session's date is the UTC calendar day of its start. Sessions tendo sync\n"
    "copies from the pods are registered by sync itself.\n"
    "\n"
    "Exit codes: 0 ok, 64 bad options, 65 a file is damaged or already registered,\n"
    "66 a file or the athlete is missing, 74 I/O error (the first failure's code\n"
    "when several files fail).\n"
    "\n"
    "Example:\n"
    "  tendo athlete add ann --name \"Ann Lee\" --mass 61\n"
    "  tendo add runs/*.h5 --athlete ann\n";

typedef struct add_opts {
    const char **files;
    int nfiles, json;
    const char *athlete, *home;
} add_opts;

static int parse(int argc, char **argv, add_opts *o)
{
    memset(o, 0, sizeof *o);
    o->files = calloc((size_t)argc, sizeof *o->files);
    if (!o->files)
        return cli_usage(CMD, "out of memory");
    const ccli_opt opts[] = {{"--athlete", &o->athlete}, {"--home", &o->home}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(USAGE, stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if ((r = ccli_match(CMD, argc, argv, &i, opts, 2)) != 0) {
            if (r != 1)
                return r;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage(CMD, "unknown option '%s'", a);
        } else {
            o->files[o->nfiles++] = a;
        }
    }
    if (o->nfiles == 0)
        return cli_usage(CMD, "no session file given (tendo add FILE.h5... --athlete ID)");
    if (o->athlete && !tendo_catalog_id_ok(o->athlete))
        return cli_usage(CMD, "athlete id '%s' is not valid", o->athlete);
    return 0;
}

typedef struct added {
    char id[40], date[11], athlete[64];
} added;

/* Adds one file; fills *ad on success. */
static int add_one(tendo_catalog *c, const add_opts *o, const char *file, added *ad,
                   double *distance_m, double *duration_s, double *load, tendo_error *e)
{
    char abs[PATH_MAX];
    if (!realpath(file, abs))
        return tendo_error_set(e, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                               "%s: %s", file, strerror(errno));
    tendo_reader *rd;
    int rc = tendo_reader_open(&rd, abs, e);
    if (rc != TENDO_OK)
        return rc;
    tendo_session_meta meta = *tendo_reader_meta(rd);
    tendo_reader_close(rd);
    /* whose: --athlete, else the file's own athlete if the catalog knows it */
    const char *who = o->athlete ? o->athlete : meta.athlete_id;
    tendo_athlete a;
    if (!who[0])
        return tendo_error_set(e, TENDO_EUSAGE,
                               "%s names no athlete: give --athlete ID", file);
    if ((rc = tendo_catalog_athlete_get(c, who, &a, e)) != TENDO_OK) {
        if (!o->athlete)
            tendo_error_prefix(e, "%s records athlete '%s'; give --athlete ID or ", file, who);
        return rc;
    }
    /* refuse a duplicate before spending time on the analysis */
    rc = tendo_catalog_session_exists(c, meta.session_id, abs, e);
    if (rc == 1)
        return tendo_error_set(e, TENDO_EDATA,
                               "%s: session %s is already in the catalog; nothing was added",
                               file, meta.session_id);
    if (rc < 0)
        return rc;
    tendo_analyze_options ao;
    tendo_analyze_defaults(&ao);
    ao.mass_kg = a.mass_kg;
    ao.store = 0;
    tendo_analyze_result *r;
    if ((rc = tendo_analyze_file(abs, &ao, &r, e)) != TENDO_OK)
        return rc;
    tendo_catalog_session s;
    rc = tendo_add_session_record(r, &meta, abs, a.id, &s, e);
    if (rc == TENDO_OK) {
        const tendo_an_summary *u = tendo_analyze_summary(r);
        *distance_m = tendo_analyze_pods_analyzed(r) ? u->distance_m : NAN;
        *duration_s = s.duration_s;
        *load = tendo_analyze_pods_analyzed(r) ? u->achilles_load : NAN;
        rc = tendo_catalog_session_add(c, &s, e);
        if (rc != TENDO_OK)
            tendo_error_prefix(e, "%s: ", file);
    }
    if (rc == TENDO_OK) {
        snprintf(ad->id, sizeof ad->id, "%s", s.id);
        snprintf(ad->date, sizeof ad->date, "%.10s", s.start_utc);
        snprintf(ad->athlete, sizeof ad->athlete, "%s", a.id);
    }
    free(s.summary_json);
    tendo_analyze_free(r);
    return rc;
}

/* Flags on the new sessions' days. */
static int show_new_flags(tendo_catalog *c, const char *home, const add_opts *o, const added *ad,
                          int nad, tendo_error *e)
{
    const char **who = calloc((size_t)nad * 3, sizeof *who);
    if (!who)
        return tendo_error_set(e, TENDO_EINTERNAL, "out of memory");
    const char **dates = who + nad, **ids = who + 2 * nad;
    for (int i = 0; i < nad; i++)
        who[i] = ad[i].athlete, dates[i] = ad[i].date, ids[i] = ad[i].id;
    int rc = ccli_show_new_flags(c, home, who, dates, ids, (size_t)nad, NULL, o->json, e);
    free(who);
    return rc;
}

int tendo_cmd_add(int argc, char **argv)
{
    add_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) {
        free(o.files);
        return rc < 0 ? 0 : rc;
    }
    tendo_catalog *c;
    char home[TENDO_CATALOG_PATH_MAX];
    if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0) {
        free(o.files);
        return rc;
    }
    added *ad = calloc((size_t)o.nfiles, sizeof *ad);
    int nad = 0, exit_code = 0;
    for (int i = 0; ad && i < o.nfiles; i++) {
        tendo_error e = {0};
        double dist = NAN, dur = NAN, load = NAN;
        rc = add_one(c, &o, o.files[i], &ad[nad], &dist, &dur, &load, &e);
        if (rc != TENDO_OK) {
            int code = cli_fail(CMD, &e);
            if (!exit_code)
                exit_code = code;
        }
        if (o.json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "file", o.files[i]);
            cJSON_AddBoolToObject(j, "added", rc == TENDO_OK);
            if (rc == TENDO_OK) {
                cJSON_AddStringToObject(j, "session", ad[nad].id);
                cJSON_AddStringToObject(j, "athlete", ad[nad].athlete);
                cJSON_AddStringToObject(j, "date", ad[nad].date);
                ccli_json_num(j, "distance_m", dist);
                ccli_json_num(j, "duration_s", dur);
                ccli_json_num(j, "achilles_load", load);
                cJSON_AddNullToObject(j, "error");
            } else {
                cJSON_AddStringToObject(j, "error", e.msg);
            }
            cli_print_json_line(j);
        } else if (rc == TENDO_OK) {
            printf("added %s: session %s of %s on %s, %.2f km in %.0f min\n", o.files[i],
                   ad[nad].id, ad[nad].athlete, ad[nad].date, isfinite(dist) ? dist / 1000 : 0,
                   isfinite(dur) ? dur / 60 : 0);
        }
        if (rc == TENDO_OK)
            nad++;
        fflush(stdout);
    }
    tendo_error e = {0};
    if (!ad)
        tendo_error_set(&e, TENDO_EINTERNAL, "out of memory");
    else if (nad)
        show_new_flags(c, home, &o, ad, nad, &e);
    if (e.code != TENDO_OK) {
        int code = cli_fail(CMD, &e);
        if (!exit_code)
            exit_code = code;
    }
    free(ad);
    free(o.files);
    tendo_catalog_close(c);
    return exit_code;
}
