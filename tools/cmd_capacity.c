/*
 * cmd_capacity.c — `tendo capacity`: the calf-capacity (single-leg
 * heel-raise) test from a recording of both foot pods: repetitions and
 * heel heights per foot, total work and the left/right symmetry against the
 * return-to-run criterion; with --athlete, the result goes into the catalog.
 *
 * Each foot pod is streamed through analysis/tendo_capacity.h in
 * chunk-aligned windows; a gap in a pod's clock ends the detector and a new
 * one continues after it, so no repetition spans missing samples.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cli.h"
#include "tendo_catalog_capacity.h"

#include "cli.h"
#include "commands.h"
#include "tendo_capacity.h"
#include "tendo_session.h"

#define CMD         "capacity"
#define WINDOW      TENDO_SESSION_CHUNK_ROWS
#define GAP_PERIODS 1.5 /* the validator's gap: > 1.5 nominal periods */

static const char USAGE[] =
    "usage: tendo capacity FILE.h5 [--athlete ID] [--home DIR] [--mass KG]\n"
    "                      [--injured-side left|right] [--lever CM] [--json]\n"
    "\n"
    "Calf capacity for return to run: reads a recording of the single-leg\n"
    "heel-raise test (both pods on the shoes; heel raises to fatigue, one foot\n"
    "at a time, ~30 per minute) and counts each foot's repetitions, measures\n"
    "the heel's height in every one, adds up the work, and compares the sides:\n"
    "the limb symmetry index (involved / other side x 100) should reach 90%\n"
    "before running becomes training again.\n"
    "\n"
    "Options:\n"
    "  --athlete ID        record the test in the catalog for this athlete (their\n"
    "                      body mass and injured side are used); the report shows it\n"
    "  --home DIR          the tendo home holding catalog.sqlite (default $TENDO_HOME,\n"
    "                      else $XDG_DATA_HOME/tendo, else ~/.local/share/tendo)\n"
    "  --mass KG           body mass for the work in joules (overrides the catalog)\n"
    "  --injured-side S    the involved side for the symmetry index (default: the\n"
    "                      athlete's injured side, else the weaker side)\n"
    "  --lever CM          heel-to-ball length of the foot (default 19 cm, an adult\n"
    "                      of ~1.75 m); heights scale with it, the symmetry does not\n"
    "  --json              one JSON object with every repetition\n"
    "  -h, --help          this help\n"
    "\n"
    "Method and sources: analysis/MODELS.md (\"Calf capacity\"); docs/report.md.\n"
    "Try it: tendo simulate --heel-raise --out calf.h5 --reps-right 18\n"
    "        tendo capacity calf.h5\n"
    "\n"
    "Exit codes: 0 ok (also when no heel raise was found: it says so), 64 bad\n"
    "options, 65 not a session file, or no foot pod with a gyroscope, or the test is\n"
    "already recorded, 66 file or athlete missing, 74 I/O error.\n";

typedef struct cap_opts {
    const char *file, *athlete, *home;
    double mass_kg, lever_cm;
    int injured_side; /* -1 not given */
    int json;
} cap_opts;

static int parse_args(int argc, char **argv, cap_opts *o)
{
    const char *mass = NULL, *lever = NULL, *side = NULL, *files[2];
    const cli_opt opts[] = {{"--json", NULL, &o->json},          {"--athlete", &o->athlete, NULL},
                            {"--home", &o->home, NULL},          {"--mass", &mass, NULL},
                            {"--lever", &lever, NULL},           {"--injured-side", &side, NULL}};
    size_t npos;
    int r = cli_scan(CMD, USAGE, argc, argv, opts, sizeof opts / sizeof *opts, files, 2, &npos);
    if (r != CLI_GO)
        return r;
    if (npos == 2)
        return cli_usage(CMD, "one recording at a time ('%s' and '%s')", files[0], files[1]);
    o->file = npos ? files[0] : NULL;
    if (!o->file)
        return cli_usage(CMD, "give the recording of the heel-raise test (FILE.h5)");
    if (mass && cli_parse_double(CMD, "--mass", mass, 20.0, 250.0, &o->mass_kg))
        return CLI_EXIT_USAGE;
    if (lever && cli_parse_double(CMD, "--lever", lever, 8.0, 30.0, &o->lever_cm))
        return CLI_EXIT_USAGE;
    if (side) {
        if (!strcmp(side, "left"))
            o->injured_side = 0;
        else if (!strcmp(side, "right"))
            o->injured_side = 1;
        else
            return cli_usage(CMD, "--injured-side is left or right, not '%s'", side);
    }
    if (o->home && !o->athlete)
        return cli_usage(CMD, "--home names the catalog, which is used with --athlete ID");
    if (o->athlete && !tendo_catalog_id_ok(o->athlete))
        return cli_usage(CMD, "--athlete '%s' is not an athlete id", o->athlete);
    return -1;
}

/* ------------------------------------------------------------ one pod */

typedef struct pod_reps {
    tendo_an_heel_raise *r;
    size_t n, cap;
    tendo_an_capacity_stats stats; /* summed over gap segments */
    int used;
} pod_reps;

/* Ends a detector: flush, collect its repetitions in session seconds. */
static int drain(tendo_an_capacity *c, double t0_s, pod_reps *out, tendo_error *err)
{
    int rc = tendo_an_capacity_finish(c, err);
    tendo_an_heel_raise h;
    while (rc == TENDO_OK && tendo_an_capacity_next(c, &h)) {
        if (out->n == out->cap) {
            size_t nc = out->cap ? 2 * out->cap : 64;
            tendo_an_heel_raise *g = realloc(out->r, nc * sizeof *g);
            if (!g)
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            out->r = g;
            out->cap = nc;
        }
        h.t_start += t0_s;
        h.t_top += t0_s;
        h.t_end += t0_s;
        out->r[out->n++] = h;
    }
    const tendo_an_capacity_stats *s = tendo_an_capacity_get_stats(c);
    out->stats.samples += s->samples;
    out->stats.have_reference |= s->have_reference;
    out->stats.rejected_long += s->rejected_long;
    out->stats.rejected_short += s->rejected_short;
    out->stats.rejected_travel += s->rejected_travel;
    out->stats.rejected_no_rise += s->rejected_no_rise;
    out->stats.rejected_angle += s->rejected_angle;
    out->stats.rejected_lifted += s->rejected_lifted;
    out->stats.reps += s->reps;
    tendo_an_capacity_free(c);
    return rc;
}

static int analyze_pod(tendo_reader *rd, size_t pod, int64_t start_us, double lever_m,
                       pod_reps *out, tendo_error *err)
{
    const tendo_pod_meta *pm = tendo_reader_pod(rd, pod);
    int64_t n = tendo_reader_sample_count(rd, pod);
    double fs = pm->sample_rate_hz, period_us = 1e6 / fs;
    tendo_an_capacity_options co = {.fs_hz = fs, .lever_m = lever_m};
    int64_t *t = malloc(WINDOW * sizeof *t);
    float *a = malloc(3 * WINDOW * sizeof *a), *w = malloc(3 * WINDOW * sizeof *w);
    uint8_t *status = malloc(WINDOW);
    tendo_an_capacity *c = NULL;
    int rc = TENDO_OK;
    if (!t || !a || !w || !status)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc == TENDO_OK)
        rc = tendo_an_capacity_new(&c, &co, err);
    double seg_t0 = NAN; /* session seconds of the detector's first sample */
    int64_t prev_t = INT64_MIN;
    for (int64_t first = 0; rc == TENDO_OK && first < n; first += WINDOW) {
        size_t len = (size_t)(n - first < WINDOW ? n - first : WINDOW);
        tendo_block blk = {.n = len, .time_us = t, .accel = a, .gyro = w, .status = status};
        memset(status, 0, len);
        rc = tendo_reader_read_si(rd, pod, first, &blk, err);
        size_t run0 = 0;
        for (size_t i = 0; rc == TENDO_OK && i < len; i++) {
            if (isnan(seg_t0))
                seg_t0 = (double)(t[i] - start_us) / 1e6;
            int gap = prev_t != INT64_MIN && ((double)(t[i] - prev_t) > GAP_PERIODS * period_us ||
                                              (status[i] & TENDO_STATUS_GAP_BEFORE));
            if (gap) { /* finish this stretch, start a fresh detector after the gap */
                if (i > run0)
                    rc = tendo_an_capacity_push(c, a + 3 * run0, w + 3 * run0, i - run0, err);
                if (rc == TENDO_OK)
                    rc = drain(c, seg_t0, out, err);
                c = NULL;
                if (rc == TENDO_OK)
                    rc = tendo_an_capacity_new(&c, &co, err);
                seg_t0 = (double)(t[i] - start_us) / 1e6;
                run0 = i;
            }
            prev_t = t[i];
        }
        if (rc == TENDO_OK && len > run0)
            rc = tendo_an_capacity_push(c, a + 3 * run0, w + 3 * run0, len - run0, err);
    }
    if (rc == TENDO_OK && c)
        rc = drain(c, isnan(seg_t0) ? 0.0 : seg_t0, out, err);
    else
        tendo_an_capacity_free(c);
    out->used = rc == TENDO_OK;
    free(t);
    free(a);
    free(w);
    free(status);
    return rc;
}

/* ------------------------------------------------------------ output */

static double cm(double m)
{
    return 100.0 * m;
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* Why a foot shows no repetitions, in words. */
static const char *why_none(const pod_reps *p)
{
    if (!p->used)
        return "no foot pod with a gyroscope on this side";
    if (!p->stats.have_reference)
        return "the pod never stood still for 1 s (standing before the test is needed)";
    if (p->stats.rejected_travel)
        return "the foot moved away from where it stood (steps, not heel raises)";
    return "the heel never rose 1.5 cm from standing";
}

static void print_text(const cap_opts *o, const pod_reps reps[2], const char *serial[2],
                       const tendo_an_capacity_result *res, double mass_kg)
{
    static const char *const name[2] = {"left", "right"};
    printf("%s: single-leg heel-raise test\n", o->file);
    for (int s = 0; s < 2; s++) {
        const tendo_an_capacity_side *sd = &res->side[s];
        if (!sd->reps) {
            printf("  %-5s %s: no heel raises (%s)\n", name[s], serial[s] ? serial[s] : "-",
                   why_none(&reps[s]));
            continue;
        }
        printf("  %-5s %s: %zu heel raises, height %.1f cm first, %.1f cm last, %.1f cm mean, "
               "%.0f cm in total",
               name[s], serial[s], sd->reps, cm(sd->height_first_m), cm(sd->height_last_m),
               cm(sd->height_mean_m), cm(sd->height_sum_m));
        if (isfinite(sd->work_j))
            printf(", work %.0f J", sd->work_j);
        printf("\n");
    }
    if (!res->side[0].reps && !res->side[1].reps) {
        printf(
            "No heel raises found: is this a heel-raise test? Record standing still for a few\n"
            "seconds, then single-leg heel raises on each foot (see 'tendo capacity --help').\n");
        return;
    }
    if (!isfinite(res->lsi_work_pct)) {
        printf("Symmetry: needs heel raises on both feet.\n");
        return;
    }
    int inv = res->involved;
    printf("Symmetry, %s / %s (%s): repetitions %.0f%%, mean height %.0f%%, work %.0f%%\n",
           name[inv], name[1 - inv], res->injured_known ? "injured side" : "weaker side",
           res->lsi_reps_pct, res->lsi_height_pct, res->lsi_work_pct);
    if (res->meets_criterion)
        printf("Meets the return-to-run criterion: work within %.0f%% of the other side.\n",
               TENDO_AN_CAPACITY_LSI_CRITERION_PCT);
    else
        printf("Below the return-to-run criterion: the %s side does %.0f%% of the other's work; "
               "%.0f%% is the mark.\n",
               name[inv], res->lsi_work_pct, TENDO_AN_CAPACITY_LSI_CRITERION_PCT);
    if (!(mass_kg > 0))
        printf("(Work in joules needs the body mass: --mass KG or an athlete with a mass.)\n");
}

static void print_json(const cap_opts *o, const pod_reps reps[2], const char *serial[2],
                       const tendo_an_capacity_result *res, double mass_kg, long long test_id)
{
    static const char *const name[2] = {"left", "right"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", o->file);
    if (o->athlete)
        cJSON_AddStringToObject(j, "athlete", o->athlete);
    if (test_id > 0)
        cJSON_AddNumberToObject(j, "test_id", (double)test_id);
    cJSON_AddItemToObject(j, "mass_kg", num_or_null(mass_kg > 0 ? mass_kg : NAN));
    cJSON_AddNumberToObject(j, "lever_m",
                            o->lever_cm > 0 ? o->lever_cm / 100.0 : TENDO_AN_CAPACITY_LEVER_M);
    for (int s = 0; s < 2; s++) {
        const tendo_an_capacity_side *sd = &res->side[s];
        cJSON *side = cJSON_AddObjectToObject(j, name[s]);
        if (serial[s])
            cJSON_AddStringToObject(side, "pod", serial[s]);
        else
            cJSON_AddNullToObject(side, "pod");
        cJSON_AddNumberToObject(side, "reps", (double)sd->reps);
        cJSON_AddItemToObject(side, "height_first_m", num_or_null(sd->height_first_m));
        cJSON_AddItemToObject(side, "height_last_m", num_or_null(sd->height_last_m));
        cJSON_AddItemToObject(side, "height_mean_m", num_or_null(sd->height_mean_m));
        cJSON_AddItemToObject(side, "height_max_m", num_or_null(sd->height_max_m));
        cJSON_AddNumberToObject(side, "height_sum_m", sd->height_sum_m);
        cJSON_AddItemToObject(side, "work_j", num_or_null(sd->work_j));
        if (!sd->reps)
            cJSON_AddStringToObject(side, "note", why_none(&reps[s]));
        cJSON *arr = cJSON_AddArrayToObject(side, "repetitions");
        for (size_t i = 0; i < reps[s].n; i++) {
            const tendo_an_heel_raise *h = &reps[s].r[i];
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "start_s", h->t_start);
            cJSON_AddNumberToObject(r, "top_s", h->t_top);
            cJSON_AddNumberToObject(r, "end_s", h->t_end);
            cJSON_AddNumberToObject(r, "angle_deg", h->angle_deg);
            cJSON_AddNumberToObject(r, "height_m", h->height_m);
            cJSON_AddNumberToObject(r, "pod_rise_m", h->pod_rise_m);
            cJSON_AddItemToArray(arr, r);
        }
    }
    cJSON_AddStringToObject(j, "involved", name[res->involved]);
    cJSON_AddBoolToObject(j, "involved_is_injured_side", res->injured_known);
    cJSON_AddItemToObject(j, "lsi_reps_pct", num_or_null(res->lsi_reps_pct));
    cJSON_AddItemToObject(j, "lsi_height_pct", num_or_null(res->lsi_height_pct));
    cJSON_AddItemToObject(j, "lsi_work_pct", num_or_null(res->lsi_work_pct));
    cJSON_AddNumberToObject(j, "criterion_pct", TENDO_AN_CAPACITY_LSI_CRITERION_PCT);
    if (isfinite(res->lsi_work_pct))
        cJSON_AddBoolToObject(j, "meets_criterion", res->meets_criterion);
    else
        cJSON_AddNullToObject(j, "meets_criterion");
    cli_print_json_line(j);
}

/* ------------------------------------------------------------ catalog */

/* The athlete's mass and injured side (an unknown id fails before any work). */
static int athlete_lookup(tendo_catalog *cat, const char *id, double *mass, int *injured,
                          tendo_error *err)
{
    tendo_athlete a;
    int rc = tendo_catalog_athlete_get(cat, id, &a, err);
    if (rc)
        return rc;
    *mass = a.mass_kg > 0 ? a.mass_kg : NAN;
    *injured = !strcmp(a.injured_side, "left") ? 0 : !strcmp(a.injured_side, "right") ? 1 : -1;
    return TENDO_OK;
}

static int record_test(tendo_catalog *cat, const cap_opts *o, const tendo_session_meta *meta,
                       const tendo_an_capacity_result *res, long long *id, tendo_error *err)
{
    static const char *const name[2] = {"left", "right"};
    tendo_catalog_capacity t;
    memset(&t, 0, sizeof t);
    snprintf(t.athlete_id, sizeof t.athlete_id, "%s", o->athlete);
    char iso[40];
    tendo_time_format_iso(meta->start_time_us, iso, sizeof iso);
    snprintf(t.date, sizeof t.date, "%.10s", iso);
    snprintf(t.session_id, sizeof t.session_id, "%s", meta->session_id);
    char abs[PATH_MAX];
    if (realpath(o->file, abs))
        snprintf(t.path, sizeof t.path, "%s", abs);
    t.left_reps = (int)res->side[0].reps;
    t.right_reps = (int)res->side[1].reps;
    t.left_height_m = res->side[0].height_mean_m;
    t.right_height_m = res->side[1].height_mean_m;
    t.ratio = res->lsi_work_pct / 100.0;
    if (isfinite(res->lsi_work_pct))
        snprintf(t.note, sizeof t.note, "involved: %s (%s); work %.0f%% of the other side",
                 name[res->involved], res->injured_known ? "injured side" : "weaker side",
                 res->lsi_work_pct);
    int rc = tendo_catalog_capacity_add(cat, &t, err);
    *id = t.id;
    return rc;
}

/* ------------------------------------------------------------ main */

int tendo_cmd_capacity(int argc, char **argv)
{
    cap_opts o = {.injured_side = -1};
    int code = parse_args(argc, argv, &o);
    if (code >= 0)
        return code;
    tendo_error err;
    tendo_error_clear(&err);

    int rc = TENDO_OK;
    double mass = NAN;
    int injured = -1;
    tendo_catalog *cat = NULL;
    if (o.athlete) {
        char home[TENDO_CATALOG_PATH_MAX];
        int open_code = ccli_open(CMD, o.home, home, sizeof home, &cat);
        if (open_code)
            return open_code;
        if ((rc = athlete_lookup(cat, o.athlete, &mass, &injured, &err))) {
            tendo_catalog_close(cat);
            return cli_fail(CMD, &err);
        }
    }
    if (o.mass_kg > 0)
        mass = o.mass_kg;
    if (o.injured_side >= 0)
        injured = o.injured_side;
    tendo_reader *rd = NULL;
    long long test_id = 0;
    if ((rc = tendo_reader_open_untrusted(&rd, o.file, &err))) {
        tendo_catalog_close(cat);
        return cli_fail(CMD, &err);
    }
    const tendo_session_meta *meta = tendo_reader_meta(rd);
    pod_reps reps[2];
    memset(reps, 0, sizeof reps);
    const char *serial[2] = {NULL, NULL};
    char skipped[256] = "";
    for (size_t p = 0; rc == TENDO_OK && p < tendo_reader_pod_count(rd); p++) {
        const tendo_pod_meta *pm = tendo_reader_pod(rd, p);
        int side = pm->side == TENDO_SIDE_RIGHT;
        if (pm->placement != TENDO_PLACEMENT_FOOT || !pm->has_gyro || serial[side]) {
            size_t l = strlen(skipped);
            snprintf(skipped + l, sizeof skipped - l, "%s%s (%s)", l ? ", " : "", pm->serial,
                     pm->placement != TENDO_PLACEMENT_FOOT ? "not on the foot"
                     : !pm->has_gyro                       ? "no gyroscope"
                                                           : "a second pod on that side");
            continue;
        }
        serial[side] = pm->serial;
        rc = analyze_pod(rd, p, meta->start_time_us, o.lever_cm / 100.0, &reps[side], &err);
    }
    if (rc == TENDO_OK && !serial[0] && !serial[1])
        rc = tendo_error_set(&err, TENDO_EDATA,
                             "%s: no foot pod with a gyroscope (%s); the heel-raise test needs "
                             "the pods on the shoes",
                             o.file, skipped[0] ? skipped : "no pods");
    tendo_an_capacity_result res;
    if (rc == TENDO_OK) {
        tendo_an_capacity_summarize(reps[0].r, reps[0].n, reps[1].r, reps[1].n, mass, injured,
                                    &res);
        if (cat)
            rc = record_test(cat, &o, meta, &res, &test_id, &err);
    }
    if (rc == TENDO_OK) {
        if (o.json)
            print_json(&o, reps, serial, &res, mass, test_id);
        else {
            print_text(&o, reps, serial, &res, mass);
            if (skipped[0])
                printf("(Not used: %s.)\n", skipped);
            if (test_id > 0)
                printf("Recorded as capacity test %lld of athlete %s: 'tendo report --athlete "
                       "%s' shows it.\n",
                       test_id, o.athlete, o.athlete);
        }
    }
    tendo_reader_close(rd);
    tendo_catalog_close(cat);
    free(reps[0].r);
    free(reps[1].r);
    return rc ? cli_fail(CMD, &err) : 0;
}
