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
    "       tendo add --pending [--athlete ID] [--json] [--home DIR]\n"
    "\n"
    "Registers session files (imported, simulated or copied from elsewhere) in the\n"
    "catalog so they count in the athlete's training load and flags. Each file is\n"
    "analysed with the athlete's body mass (the file itself is not changed) and its\n"
    "summary stored with it; then the athlete's flags are recomputed and the new\n"
    "ones shown. A session already in the catalog (same session id or same path)\n"
    "is refused and nothing is doubled; the other files are still added. A file\n"
    "registered without a summary (tendo sync registers before analysing) gets its\n"
    "summary instead; --pending does that for every such session.\n"
    "\n"
    "Options:\n"
    "  --athlete ID       whose sessions these are (default: the athlete id the file\n"
    "                     records, if that athlete is in the catalog)\n"
    "  --pending          analyse the registered sessions that have no summary yet\n"
    "                     (of --athlete, or of everyone)\n"
    "  --json             one JSON object per file: file, added (true/false),\n"
    "                     completed, session, athlete, date, distance_m, duration_s,\n"
    "                     achilles_load, error; then {\"athlete\", \"new_flags\"}\n" CCLI_HOME_HELP
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
    int nfiles, json, pending;
    const char *athlete, *home;
} add_opts;

static int parse(int argc, char **argv, add_opts *o)
{
    memset(o, 0, sizeof *o);
    o->files = calloc((size_t)argc, sizeof *o->files);
    if (!o->files)
        return cli_usage(CMD, "out of memory");
    const cli_opt opts[] = {{"--json", NULL, &o->json},
                            {"--pending", NULL, &o->pending},
                            {"--athlete", &o->athlete, NULL},
                            {"--home", &o->home, NULL}};
    size_t nfiles;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, o->files,
                     (size_t)argc, &nfiles);
    if (r != CLI_GO)
        return r;
    o->nfiles = (int)nfiles;
    if (o->pending && o->nfiles)
        return cli_usage(CMD, "--pending takes no files: it analyses the registered ones");
    if (o->nfiles == 0 && !o->pending)
        return cli_usage(CMD, "no session file given (tendo add FILE.h5... --athlete ID)");
    if (o->athlete && !tendo_catalog_id_ok(o->athlete))
        return cli_usage(CMD, "athlete id '%s' is not valid", o->athlete);
    return CLI_GO;
}

typedef struct added {
    char id[40], date[11], athlete[64];
} added;

/* What one file gave, for the output. */
typedef struct outcome {
    double distance_m, duration_s, load;
    int completed; /* 1: a registered session got its summary (sync's files) */
} outcome;

/* Analyses abs with the body mass of athlete a (the file is not changed);
 * probed: 1 when abs has just passed tendo_probe. */
static int analyse(const char *abs, int probed, const tendo_athlete *a, tendo_analyze_result **r,
                   outcome *out, tendo_error *e)
{
    tendo_analyze_options ao;
    tendo_analyze_defaults(&ao);
    ao.mass_kg = a->mass_kg;
    ao.store = 0;
    ao.trusted = probed;
    int rc = tendo_analyze_file(abs, &ao, r, e);
    if (rc != TENDO_OK)
        return rc;
    const tendo_an_summary *u = tendo_analyze_summary(*r);
    int any = tendo_analyze_pods_analyzed(*r) > 0;
    out->distance_m = any ? u->distance_m : NAN;
    out->load = any ? u->achilles_load : NAN;
    out->duration_s = u->duration_s;
    return TENDO_OK;
}

/* The registered session waiting for its summary with this id or path:
 * 1 (copied to *s, summary NULL), 0 none, < 0 error. */
static int find_pending(tendo_catalog *c, const char *id, const char *abs,
                        tendo_catalog_session *s, tendo_error *e)
{
    tendo_catalog_session *p;
    size_t n;
    int rc = tendo_catalog_session_pending(c, NULL, &p, &n, e), found = 0;
    if (rc != TENDO_OK)
        return rc;
    for (size_t i = 0; i < n && !found; i++)
        if (!strcmp(p[i].id, id) || !strcmp(p[i].path, abs)) {
            *s = p[i];
            s->summary_json = NULL;
            found = 1;
        }
    tendo_catalog_sessions_free(p, n);
    return found;
}

/* Gives a registered session (sync's) its summary. */
static int complete(tendo_catalog *c, const tendo_catalog_session *reg, const char *who,
                    added *ad, outcome *out, tendo_error *e)
{
    tendo_athlete a;
    if (!reg->athlete_id[0] && !who[0])
        return tendo_error_set(e, TENDO_EUSAGE,
                               "%s has no athlete, so no body mass to measure it with: "
                               "'tendo sync --athlete ID' with its pods plugged in gives their "
                               "sessions to ID (or 'tendo add %s --athlete ID')",
                               reg->path, reg->path);
    int rc = tendo_catalog_athlete_get(c, reg->athlete_id[0] ? reg->athlete_id : who, &a, e);
    if (rc != TENDO_OK)
        return rc;
    tendo_analyze_result *r;
    if ((rc = analyse(reg->path, 0, &a, &r, out, e)) != TENDO_OK)
        return rc;
    char *json = tendo_add_summary_json(r);
    rc = json ? tendo_catalog_session_set_summary(c, reg->id, json, TENDO_AN_VERSION,
                                                  out->duration_s, e)
              : tendo_error_set(e, TENDO_EINTERNAL, "out of memory");
    free(json);
    tendo_analyze_free(r);
    if (rc == TENDO_OK) {
        out->completed = 1;
        snprintf(ad->id, sizeof ad->id, "%s", reg->id);
        snprintf(ad->date, sizeof ad->date, "%.10s", reg->start_utc);
        snprintf(ad->athlete, sizeof ad->athlete, "%s", a.id);
    }
    return rc;
}

/* Registers one file (or completes its registration); fills *ad on success. */
static int add_one(tendo_catalog *c, const add_opts *o, const char *file, added *ad,
                   outcome *out, tendo_error *e)
{
    char abs[PATH_MAX];
    if (!realpath(file, abs))
        return tendo_error_set(e, errno == ENOENT ? TENDO_ENOINPUT : TENDO_EIO,
                               "%s: %s", file, strerror(errno));
    tendo_reader *rd;
    int rc = tendo_reader_open_untrusted(&rd, abs, e);
    if (rc != TENDO_OK)
        return rc;
    tendo_session_meta meta = *tendo_reader_meta(rd);
    tendo_reader_close(rd);
    /* whose: --athlete, else the file's own athlete if the catalog knows it */
    const char *who = o->athlete ? o->athlete : meta.athlete_id;
    /* registered already: refused, unless it still waits for its summary */
    rc = tendo_catalog_session_exists(c, meta.session_id, abs, e);
    if (rc == 1) {
        tendo_catalog_session reg;
        if ((rc = find_pending(c, meta.session_id, abs, &reg, e)) == 1)
            return complete(c, &reg, who, ad, out, e);
        return rc < 0 ? rc
                      : tendo_error_set(e, TENDO_EDATA,
                                        "%s: session %s is already in the catalog; nothing was "
                                        "added",
                                        file, meta.session_id);
    }
    if (rc < 0)
        return rc;
    tendo_athlete a;
    if (!who[0])
        return tendo_error_set(e, TENDO_EUSAGE, "%s names no athlete: give --athlete ID", file);
    if ((rc = tendo_catalog_athlete_get(c, who, &a, e)) != TENDO_OK) {
        if (!o->athlete)
            tendo_error_prefix(e, "%s records athlete '%s'; give --athlete ID or ", file, who);
        return rc;
    }
    tendo_analyze_result *r;
    if ((rc = analyse(abs, 1, &a, &r, out, e)) != TENDO_OK)
        return rc;
    tendo_catalog_session s;
    rc = tendo_add_session_record(r, &meta, abs, a.id, &s, e);
    if (rc == TENDO_OK && (rc = tendo_catalog_session_add(c, &s, e)) != TENDO_OK)
        tendo_error_prefix(e, "%s: ", file);
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

static void report(const add_opts *o, const char *label, int rc, const added *ad,
                   const outcome *out, const tendo_error *e)
{
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "file", label);
        cJSON_AddBoolToObject(j, "added", rc == TENDO_OK);
        if (rc == TENDO_OK) {
            cJSON_AddBoolToObject(j, "completed", out->completed);
            cJSON_AddStringToObject(j, "session", ad->id);
            cJSON_AddStringToObject(j, "athlete", ad->athlete);
            cJSON_AddStringToObject(j, "date", ad->date);
            ccli_json_num(j, "distance_m", out->distance_m);
            ccli_json_num(j, "duration_s", out->duration_s);
            ccli_json_num(j, "achilles_load", out->load);
            cJSON_AddNullToObject(j, "error");
        } else {
            cJSON_AddStringToObject(j, "error", e->msg);
        }
        cli_print_json_line(j);
    } else if (rc == TENDO_OK) {
        printf("%s %s: session %s of %s on %s, %.2f km in %.0f min\n",
               out->completed ? "analysed" : "added", label, ad->id, ad->athlete, ad->date,
               isfinite(out->distance_m) ? out->distance_m / 1000 : 0,
               isfinite(out->duration_s) ? out->duration_s / 60 : 0);
    }
    fflush(stdout);
}

int tendo_cmd_add(int argc, char **argv)
{
    add_opts o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_GO) {
        free(o.files);
        return rc;
    }
    tendo_catalog *c;
    char home[TENDO_CATALOG_PATH_MAX];
    if ((rc = ccli_open(CMD, o.home, home, sizeof home, &c)) != 0) {
        free(o.files);
        return rc;
    }
    tendo_error e = {0};
    tendo_catalog_session *pend = NULL;
    size_t npend = 0;
    if (o.pending && tendo_catalog_session_pending(c, o.athlete, &pend, &npend, &e) != TENDO_OK) {
        tendo_catalog_close(c);
        free(o.files);
        return cli_fail(CMD, &e);
    }
    size_t njobs = o.pending ? npend : (size_t)o.nfiles;
    added *ad = calloc(njobs ? njobs : 1, sizeof *ad);
    int nad = 0, exit_code = 0;
    for (size_t i = 0; ad && i < njobs; i++) {
        tendo_error fe = {0};
        outcome out = {NAN, NAN, NAN, 0};
        const char *label = o.pending ? pend[i].path : o.files[i];
        rc = o.pending ? complete(c, &pend[i], "", &ad[nad], &out, &fe)
                       : add_one(c, &o, o.files[i], &ad[nad], &out, &fe);
        if (rc != TENDO_OK) {
            int code = cli_fail(CMD, &fe);
            if (!exit_code)
                exit_code = code;
        }
        report(&o, label, rc, &ad[nad], &out, &fe);
        if (rc == TENDO_OK)
            nad++;
    }
    if (o.pending && npend == 0 && !o.json)
        printf("every registered session%s%s has its summary already\n",
               o.athlete ? " of " : "", o.athlete ? o.athlete : "");
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
    tendo_catalog_sessions_free(pend, npend);
    tendo_catalog_close(c);
    return exit_code;
}
