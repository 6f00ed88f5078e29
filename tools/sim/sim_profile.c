/*
 * sim_profile.c — simulator profiles: the built-in default, the JSON
 * format (tools/SIMULATOR.md, "Profile JSON"), and value checks with
 * messages that name the file and the field.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_sim.h"

/* Accepted ranges; the regressions are not used outside them. */
#define WALK_SPEED_MIN 0.5
#define WALK_SPEED_MAX 2.2
#define RUN_SPEED_MIN 1.8
#define RUN_SPEED_MAX 9.0
#define GRADE_MAX 0.30
#define REST_MIN_S 2.0
#define SEGMENT_MAX_S 86400.0
#define PROFILE_MAX_S (48.0 * 3600.0)
#define SEGMENTS_MAX 100000

const char *tendo_sim_kind_name(tendo_sim_kind k)
{
    return k == TENDO_SIM_RUN          ? "run"
           : k == TENDO_SIM_WALK       ? "walk"
           : k == TENDO_SIM_HEEL_RAISE ? "heel_raise"
                                       : "rest";
}

const char *tendo_sim_strike_name(tendo_sim_strike s)
{
    return s == TENDO_SIM_FORE ? "fore" : s == TENDO_SIM_MID ? "mid" : "rear";
}

void tendo_sim_profile_init(tendo_sim_profile *p)
{
    memset(p, 0, sizeof *p);
    p->leg_length_m = 0.92; /* hip height of a 1.75 m adult (≈0.53 × stature) */
    p->heading_deg = NAN;
    p->pods.accel_range_g = 32.0;
    p->pods.gyro_range_dps = 4000.0;
}

void tendo_sim_profile_free(tendo_sim_profile *p)
{
    if (!p)
        return;
    free(p->seg);
    free(p->json);
    p->seg = NULL;
    p->json = NULL;
    p->nseg = 0;
}

double tendo_sim_profile_duration(const tendo_sim_profile *p)
{
    double t = 0.0;
    for (size_t i = 0; i < p->nseg; i++)
        t += p->seg[i].duration_s;
    return t;
}

/* "<source>: <field>: <v><unit> is outside <lo>–<hi><unit><tail>" */
static int bad(tendo_error *err, const char *source, const char *field, double v, double lo,
               double hi, const char *unit, const char *tail)
{
    return tendo_error_set(err, TENDO_EDATA, "%s: %s: %g%s is outside %g–%g%s%s", source, field, v,
                           unit, lo, hi, unit, tail);
}

/* Heel-raise set limits: heights from 2 cm (a heel clearly off the floor;
 * `tendo capacity` counts rises from 1.5 cm) to 16 cm (near the 60°
 * sole-angle cap with the 0.19 m heel-to-ball lever), the last repetition
 * too; tempo around the clinical 30/min. The built-in test takes first
 * heights from 4 cm, so its last (60 %) is still 2.4 cm. */
#define HEEL_REPS_MAX       200
#define HEEL_HEIGHT_MIN     0.02
#define HEEL_HEIGHT_MAX     0.16
#define HEEL_RATE_MIN       10.0
#define HEEL_RATE_MAX       60.0
#define HEEL_FINAL_MIN      0.2
#define HEEL_CLI_HEIGHT_MIN 0.04

static int check_heel(const tendo_sim_heel_raise *h, size_t i, const char *source, tendo_error *err)
{
    char f[64];
    snprintf(f, sizeof f, "segments[%zu].reps", i);
    if (!(h->reps >= 1 && h->reps <= HEEL_REPS_MAX))
        return bad(err, source, f, h->reps, 1, HEEL_REPS_MAX, "", "");
    snprintf(f, sizeof f, "segments[%zu].height_m", i);
    if (!(h->height_m >= HEEL_HEIGHT_MIN && h->height_m <= HEEL_HEIGHT_MAX))
        return bad(err, source, f, h->height_m, HEEL_HEIGHT_MIN, HEEL_HEIGHT_MAX, " m", "");
    snprintf(f, sizeof f, "segments[%zu].rate_per_min", i);
    if (!(h->rate_per_min >= HEEL_RATE_MIN && h->rate_per_min <= HEEL_RATE_MAX))
        return bad(err, source, f, h->rate_per_min, HEEL_RATE_MIN, HEEL_RATE_MAX, "/min", "");
    snprintf(f, sizeof f, "segments[%zu].final_height_frac", i);
    if (!(h->final_height_frac >= HEEL_FINAL_MIN && h->final_height_frac <= 1.0))
        return bad(err, source, f, h->final_height_frac, HEEL_FINAL_MIN, 1.0, "", "");
    if (h->height_m * h->final_height_frac < HEEL_HEIGHT_MIN)
        return tendo_error_set(err, TENDO_EDATA,
                               "%s: %s: the last repetition would rise %g m (height_m × "
                               "final_height_frac); keep it at least %g m",
                               source, f, h->height_m * h->final_height_frac, HEEL_HEIGHT_MIN);
    return TENDO_OK;
}

static int check_segment(const tendo_sim_segment *g, size_t i, const char *source, tendo_error *err)
{
    char f[64];
    if (g->kind == TENDO_SIM_HEEL_RAISE) {
        int rc = check_heel(&g->heel, i, source, err);
        if (rc)
            return rc;
        double need = tendo_sim_heel_raise_duration(&g->heel);
        snprintf(f, sizeof f, "segments[%zu].duration_s", i);
        if (fabs(g->duration_s - need) > 1e-9)
            return bad(err, source, f, g->duration_s, need, need, " s",
                       " (a heel_raise set lasts as its reps and tempo say)");
    }
    snprintf(f, sizeof f, "segments[%zu].duration_s", i);
    double lo = g->kind == TENDO_SIM_REST ? REST_MIN_S : 1.0;
    if (!(g->duration_s >= lo && g->duration_s <= SEGMENT_MAX_S))
        return bad(err, source, f, g->duration_s, lo, SEGMENT_MAX_S, " s",
                   g->kind == TENDO_SIM_REST ? " for a rest" : "");
    snprintf(f, sizeof f, "segments[%zu].grade", i);
    if (!(fabs(g->grade) <= GRADE_MAX))
        return bad(err, source, f, g->grade, -GRADE_MAX, GRADE_MAX, "", " (rise over run)");
    snprintf(f, sizeof f, "segments[%zu].speed_mps", i);
    if (g->kind == TENDO_SIM_WALK && !(g->speed_mps >= WALK_SPEED_MIN && g->speed_mps <= WALK_SPEED_MAX))
        return bad(err, source, f, g->speed_mps, WALK_SPEED_MIN, WALK_SPEED_MAX, " m/s",
                   " for a walk");
    if (g->kind == TENDO_SIM_RUN && !(g->speed_mps >= RUN_SPEED_MIN && g->speed_mps <= RUN_SPEED_MAX))
        return bad(err, source, f, g->speed_mps, RUN_SPEED_MIN, RUN_SPEED_MAX, " m/s",
                   " for a run");
    return TENDO_OK;
}

int tendo_sim_profile_check(const tendo_sim_profile *p, const char *source, tendo_error *err)
{
    if (p->nseg == 0)
        return tendo_error_set(err, TENDO_EDATA, "%s: segments: at least one segment is needed",
                               source);
    if (p->nseg > SEGMENTS_MAX)
        return tendo_error_set(err, TENDO_EDATA, "%s: segments: %zu segments, at most %d", source,
                               p->nseg, SEGMENTS_MAX);
    for (size_t i = 0; i < p->nseg; i++) {
        int rc = check_segment(&p->seg[i], i, source, err);
        if (rc)
            return rc;
    }
    double total = tendo_sim_profile_duration(p);
    if (total > PROFILE_MAX_S)
        return bad(err, source, "segments (total duration)", total, 0.0, PROFILE_MAX_S, " s", "");
    if (!(p->leg_length_m >= 0.6 && p->leg_length_m <= 1.2))
        return bad(err, source, "leg_length_m", p->leg_length_m, 0.6, 1.2, " m", "");
    if (!(p->pods.accel_range_g >= 2.0 && p->pods.accel_range_g <= 400.0))
        return bad(err, source, "pods.accel_range_g", p->pods.accel_range_g, 2.0, 400.0, " g", "");
    if (!(p->pods.gyro_range_dps >= 125.0 && p->pods.gyro_range_dps <= 8000.0))
        return bad(err, source, "pods.gyro_range_dps", p->pods.gyro_range_dps, 125.0, 8000.0,
                   " °/s", "");
    for (int f = 0; f < TENDO_SIM_PODS; f++) {
        if (!p->pods.has_mounting[f])
            continue;
        const double *m = p->pods.mounting_deg[f];
        const double lim[3] = {180.0, 90.0, 180.0};
        for (int k = 0; k < 3; k++)
            if (!(fabs(m[k]) <= lim[k])) {
                char fld[64];
                snprintf(fld, sizeof fld, "pods.%s.mounting_deg[%d]", f ? "right" : "left", k);
                return bad(err, source, fld, m[k], -lim[k], lim[k], "°", "");
            }
    }
    return TENDO_OK;
}

/* ------------------------------------------------------ canonical JSON */

/* The effective profile as compact JSON, recorded in the session so a
 * simulated file says how it was made. */
static int profile_to_json(tendo_sim_profile *p)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return -1;
    cJSON_AddNumberToObject(root, "leg_length_m", p->leg_length_m);
    if (isfinite(p->heading_deg))
        cJSON_AddNumberToObject(root, "heading_deg", p->heading_deg);
    cJSON *pods = cJSON_AddObjectToObject(root, "pods");
    cJSON_AddStringToObject(pods, "storage", p->pods.float32 ? "float32" : "int16");
    if (p->pods.shank)
        cJSON_AddStringToObject(pods, "placement", "shank");
    cJSON_AddNumberToObject(pods, "accel_range_g", p->pods.accel_range_g);
    cJSON_AddNumberToObject(pods, "gyro_range_dps", p->pods.gyro_range_dps);
    for (int f = 0; f < TENDO_SIM_PODS; f++)
        if (p->pods.has_mounting[f]) {
            cJSON *side = cJSON_AddObjectToObject(pods, f ? "right" : "left");
            cJSON_AddItemToObject(side, "mounting_deg",
                                  cJSON_CreateDoubleArray(p->pods.mounting_deg[f], 3));
        }
    cJSON *segs = cJSON_AddArrayToObject(root, "segments");
    for (size_t i = 0; i < p->nseg; i++) {
        const tendo_sim_segment *g = &p->seg[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", tendo_sim_kind_name(g->kind));
        if (g->kind != TENDO_SIM_HEEL_RAISE) /* a set's duration follows from its values */
            cJSON_AddNumberToObject(o, "duration_s", g->duration_s);
        if (g->kind == TENDO_SIM_HEEL_RAISE) {
            cJSON_AddStringToObject(o, "side", g->heel.side ? "right" : "left");
            cJSON_AddNumberToObject(o, "reps", g->heel.reps);
            cJSON_AddNumberToObject(o, "height_m", g->heel.height_m);
            cJSON_AddNumberToObject(o, "rate_per_min", g->heel.rate_per_min);
            cJSON_AddNumberToObject(o, "final_height_frac", g->heel.final_height_frac);
            cJSON_AddStringToObject(o, "other_foot", g->heel.other_resting ? "resting" : "lifted");
        } else if (g->kind != TENDO_SIM_REST) {
            cJSON_AddNumberToObject(o, "speed_mps", g->speed_mps);
            cJSON_AddStringToObject(o, "footstrike", tendo_sim_strike_name(g->strike));
        }
        cJSON_AddNumberToObject(o, "grade", g->grade);
        cJSON_AddItemToArray(segs, o);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    free(p->json);
    p->json = strdup(text);
    cJSON_free(text);
    return p->json ? 0 : -1;
}

/* --------------------------------------------------------------- default */

int tendo_sim_profile_default(double minutes, double speed, tendo_sim_profile *out,
                              tendo_error *err)
{
    tendo_sim_profile_init(out);
    if (!(minutes >= 0.5 && minutes <= PROFILE_MAX_S / 60.0))
        return tendo_error_set(err, TENDO_EUSAGE, "--minutes %g is outside 0.5–%g", minutes,
                               PROFILE_MAX_S / 60.0);
    if (!(speed >= RUN_SPEED_MIN && speed <= RUN_SPEED_MAX))
        return tendo_error_set(err, TENDO_EUSAGE, "--speed %g m/s is outside %g–%g m/s", speed,
                               RUN_SPEED_MIN, RUN_SPEED_MAX);
    /* Stand 10 s, walk 1 min at 1.4 m/s, run, walk 1 min, stand 10 s;
     * short sessions shrink the rest and walks to 5 % and 15 % each. */
    double T = minutes * 60.0;
    double rest = fmax(REST_MIN_S, fmin(10.0, 0.05 * T));
    double walk = fmin(60.0, 0.15 * T);
    double run = T - 2.0 * rest - 2.0 * walk;
    out->seg = calloc(5, sizeof *out->seg);
    if (!out->seg)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    const tendo_sim_segment segs[5] = {
        {.kind = TENDO_SIM_REST, .duration_s = rest},
        {.kind = TENDO_SIM_WALK, .duration_s = walk, .speed_mps = 1.4},
        {.kind = TENDO_SIM_RUN, .duration_s = run, .speed_mps = speed},
        {.kind = TENDO_SIM_WALK, .duration_s = walk, .speed_mps = 1.4},
        {.kind = TENDO_SIM_REST, .duration_s = rest},
    };
    memcpy(out->seg, segs, sizeof segs);
    out->nseg = 5;
    if (profile_to_json(out))
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return TENDO_OK;
}

int tendo_sim_profile_set_placement(tendo_sim_profile *p, int shank, tendo_error *err)
{
    p->pods.shank = shank != 0;
    free(p->json);
    p->json = NULL;
    if (profile_to_json(p))
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return TENDO_OK;
}

/* The built-in heel-raise test: stand 5 s, the left set, 30 s standing
 * between the legs (the clinical protocols rest 2 min; shortened to keep
 * files small, model choice), the right set, stand 5 s. */
#define HEEL_STAND_S  5.0
#define HEEL_SWITCH_S 30.0

int tendo_sim_profile_heel_raise(int reps_left, int reps_right, double height_left_m,
                                 double height_right_m, tendo_sim_profile *out, tendo_error *err)
{
    tendo_sim_profile_init(out);
    const int reps[2] = {reps_left, reps_right};
    const double height[2] = {height_left_m, height_right_m};
    const char *name[2] = {"left", "right"};
    for (int f = 0; f < 2; f++) {
        if (!(reps[f] >= 0 && reps[f] <= HEEL_REPS_MAX))
            return tendo_error_set(err, TENDO_EUSAGE, "--reps-%s %d is outside 0–%d", name[f],
                                   reps[f], HEEL_REPS_MAX);
        if (!(height[f] >= HEEL_CLI_HEIGHT_MIN && height[f] <= HEEL_HEIGHT_MAX))
            return tendo_error_set(err, TENDO_EUSAGE, "--height-%s %g cm is outside %g–%g cm",
                                   name[f], height[f] * 100.0, HEEL_CLI_HEIGHT_MIN * 100.0,
                                   HEEL_HEIGHT_MAX * 100.0);
    }
    if (reps_left + reps_right == 0)
        return tendo_error_set(err, TENDO_EUSAGE, "give at least one repetition on one side");
    out->seg = calloc(5, sizeof *out->seg);
    if (!out->seg)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    out->seg[out->nseg++] = (tendo_sim_segment){.kind = TENDO_SIM_REST, .duration_s = HEEL_STAND_S};
    for (int f = 0; f < 2; f++) {
        if (!reps[f])
            continue;
        if (out->nseg > 1)
            out->seg[out->nseg++] =
                (tendo_sim_segment){.kind = TENDO_SIM_REST, .duration_s = HEEL_SWITCH_S};
        tendo_sim_segment *g = &out->seg[out->nseg++];
        g->kind = TENDO_SIM_HEEL_RAISE;
        tendo_sim_heel_raise_default(&g->heel);
        g->heel.side = f;
        g->heel.reps = reps[f];
        g->heel.height_m = height[f];
        g->duration_s = tendo_sim_heel_raise_duration(&g->heel);
    }
    out->seg[out->nseg++] = (tendo_sim_segment){.kind = TENDO_SIM_REST, .duration_s = HEEL_STAND_S};
    if (profile_to_json(out))
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return TENDO_OK;
}

/* ------------------------------------------------------------ JSON parse */

typedef struct ctx {
    const char *source;
    tendo_error *err;
} ctx;

static int fail(ctx *c, const char *field, const char *what)
{
    return tendo_error_set(c->err, TENDO_EDATA, "%s: %s: %s", c->source, field, what);
}

/* Rejects keys not in `allowed` (NULL-terminated): catches typos such as
 * "speed" for "speed_mps" that would otherwise be silently ignored. */
static int only_keys(ctx *c, const cJSON *obj, const char *where, const char *const *allowed)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (it->string && !strcmp(it->string, *a))
                ok = 1;
        if (!ok) {
            char f[128];
            snprintf(f, sizeof f, "%s%s%s", where, *where ? "." : "", it->string ? it->string : "?");
            return fail(c, f, "unknown field (see tools/SIMULATOR.md, \"Profile JSON\")");
        }
    }
    return TENDO_OK;
}

static int get_number(ctx *c, const cJSON *obj, const char *key, const char *field, int required,
                      double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return required ? fail(c, field, "missing (a number is required)") : TENDO_OK;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return fail(c, field, "must be a number");
    *out = it->valuedouble;
    return TENDO_OK;
}

static int get_choice(ctx *c, const cJSON *obj, const char *key, const char *field,
                      const char *const *names, int n, int required, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return required ? fail(c, field, "missing") : TENDO_OK;
    if (cJSON_IsString(it))
        for (int i = 0; i < n; i++)
            if (!strcmp(it->valuestring, names[i])) {
                *out = i;
                return TENDO_OK;
            }
    char what[160] = "must be one of";
    for (int i = 0; i < n; i++) {
        strncat(what, i ? ", \"" : " \"", sizeof what - strlen(what) - 1);
        strncat(what, names[i], sizeof what - strlen(what) - 1);
        strncat(what, "\"", sizeof what - strlen(what) - 1);
    }
    return fail(c, field, what);
}

/* A heel_raise segment: its duration follows from reps and tempo, and it
 * has no speed or footstrike. */
static int parse_heel(ctx *c, const cJSON *o, const char *where, tendo_sim_segment *g)
{
    static const char *const sides[] = {"left", "right"};
    static const char *const others[] = {"lifted", "resting"};
    static const char *const not_here[] = {"duration_s", "duration_min", "speed_mps", "footstrike",
                                           NULL};
    char f[96];
    for (const char *const *k = not_here; *k; k++)
        if (cJSON_HasObjectItem(o, *k)) {
            snprintf(f, sizeof f, "%s.%s", where, *k);
            return fail(c, f,
                        "a heel_raise segment takes its duration from reps and "
                        "rate_per_min and has no speed or footstrike");
        }
    tendo_sim_heel_raise *h = &g->heel;
    tendo_sim_heel_raise_default(h);
    int rc;
    double reps = 0;
    snprintf(f, sizeof f, "%s.side", where);
    if ((rc = get_choice(c, o, "side", f, sides, 2, 1, &h->side)))
        return rc;
    snprintf(f, sizeof f, "%s.reps", where);
    if ((rc = get_number(c, o, "reps", f, 1, &reps)))
        return rc;
    if (reps != floor(reps) || !(reps >= 1 && reps <= HEEL_REPS_MAX))
        return fail(c, f, "must be a whole number of repetitions, 1–200");
    h->reps = (int)reps;
    snprintf(f, sizeof f, "%s.height_m", where);
    if ((rc = get_number(c, o, "height_m", f, 0, &h->height_m)))
        return rc;
    snprintf(f, sizeof f, "%s.rate_per_min", where);
    if ((rc = get_number(c, o, "rate_per_min", f, 0, &h->rate_per_min)))
        return rc;
    snprintf(f, sizeof f, "%s.final_height_frac", where);
    if ((rc = get_number(c, o, "final_height_frac", f, 0, &h->final_height_frac)))
        return rc;
    snprintf(f, sizeof f, "%s.other_foot", where);
    if ((rc = get_choice(c, o, "other_foot", f, others, 2, 0, &h->other_resting)))
        return rc;
    snprintf(f, sizeof f, "%s.grade", where);
    if ((rc = get_number(c, o, "grade", f, 0, &g->grade)))
        return rc;
    g->duration_s = tendo_sim_heel_raise_duration(h);
    return TENDO_OK;
}

static int parse_segment(ctx *c, const cJSON *o, size_t i, tendo_sim_segment *g)
{
    static const char *const keys[] = {
        "kind",       "duration_s", "duration_min", "speed_mps",
        "grade",      "footstrike", "note",         "side",
        "reps",       "height_m",   "rate_per_min", "final_height_frac",
        "other_foot", NULL};
    static const char *const kinds[] = {"rest", "walk", "run", "heel_raise"};
    static const char *const strikes[] = {"rear", "mid", "fore"};
    char where[48], f[96];
    snprintf(where, sizeof where, "segments[%zu]", i);
    if (!cJSON_IsObject(o))
        return fail(c, where, "must be an object");
    int rc = only_keys(c, o, where, keys);
    if (rc)
        return rc;
    int kind = 0, strike = 0;
    snprintf(f, sizeof f, "%s.kind", where);
    if ((rc = get_choice(c, o, "kind", f, kinds, 4, 1, &kind)))
        return rc;
    g->kind = (tendo_sim_kind)kind;
    if (g->kind == TENDO_SIM_HEEL_RAISE)
        return parse_heel(c, o, where, g);
    static const char *const heel_only[] = {
        "side", "reps", "height_m", "rate_per_min", "final_height_frac", "other_foot", NULL};
    for (const char *const *k = heel_only; *k; k++)
        if (cJSON_HasObjectItem(o, *k)) {
            snprintf(f, sizeof f, "%s.%s", where, *k);
            return fail(c, f, "only a heel_raise segment has this field");
        }
    int has_s = cJSON_HasObjectItem(o, "duration_s"), has_m = cJSON_HasObjectItem(o, "duration_min");
    snprintf(f, sizeof f, "%s.duration_s", where);
    if (has_s == has_m)
        return fail(c, f, has_s ? "give duration_s or duration_min, not both"
                                : "missing (give duration_s or duration_min)");
    if (has_s) {
        if ((rc = get_number(c, o, "duration_s", f, 1, &g->duration_s)))
            return rc;
    } else {
        snprintf(f, sizeof f, "%s.duration_min", where);
        double m = 0;
        if ((rc = get_number(c, o, "duration_min", f, 1, &m)))
            return rc;
        g->duration_s = 60.0 * m;
    }
    snprintf(f, sizeof f, "%s.speed_mps", where);
    if ((rc = get_number(c, o, "speed_mps", f, g->kind != TENDO_SIM_REST, &g->speed_mps)))
        return rc;
    if (g->kind == TENDO_SIM_REST && g->speed_mps != 0.0)
        return fail(c, f, "a rest has no speed (leave it out or give 0)");
    snprintf(f, sizeof f, "%s.grade", where);
    if ((rc = get_number(c, o, "grade", f, 0, &g->grade)))
        return rc;
    snprintf(f, sizeof f, "%s.footstrike", where);
    if ((rc = get_choice(c, o, "footstrike", f, strikes, 3, 0, &strike)))
        return rc;
    g->strike = (tendo_sim_strike)strike;
    return TENDO_OK;
}

static int parse_mounting(ctx *c, const cJSON *pods, int f, tendo_sim_profile *p)
{
    static const char *const keys[] = {"mounting_deg", NULL};
    const char *name = f ? "right" : "left";
    const cJSON *side = cJSON_GetObjectItemCaseSensitive(pods, name);
    if (!side)
        return TENDO_OK;
    char where[32], fld[64];
    snprintf(where, sizeof where, "pods.%s", name);
    if (!cJSON_IsObject(side))
        return fail(c, where, "must be an object");
    int rc = only_keys(c, side, where, keys);
    if (rc)
        return rc;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(side, "mounting_deg");
    snprintf(fld, sizeof fld, "%s.mounting_deg", where);
    if (!m)
        return TENDO_OK;
    if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 3)
        return fail(c, fld, "must be [roll, pitch, yaw] in degrees");
    for (int k = 0; k < 3; k++) {
        const cJSON *e = cJSON_GetArrayItem(m, k);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
            return fail(c, fld, "must be [roll, pitch, yaw] in degrees");
        p->pods.mounting_deg[f][k] = e->valuedouble;
    }
    p->pods.has_mounting[f] = 1;
    return TENDO_OK;
}

static int parse_pods(ctx *c, const cJSON *pods, tendo_sim_profile *p)
{
    static const char *const keys[] = {"storage", "accel_range_g", "gyro_range_dps", "left",
                                       "right", "placement", NULL};
    static const char *const storages[] = {"int16", "float32"};
    static const char *const placements[] = {"foot", "shank"};
    if (!cJSON_IsObject(pods))
        return fail(c, "pods", "must be an object");
    int rc = only_keys(c, pods, "pods", keys);
    if (rc)
        return rc;
    if ((rc = get_choice(c, pods, "storage", "pods.storage", storages, 2, 0, &p->pods.float32)))
        return rc;
    if ((rc = get_choice(c, pods, "placement", "pods.placement", placements, 2, 0,
                         &p->pods.shank)))
        return rc;
    if ((rc = get_number(c, pods, "accel_range_g", "pods.accel_range_g", 0, &p->pods.accel_range_g)))
        return rc;
    if ((rc = get_number(c, pods, "gyro_range_dps", "pods.gyro_range_dps", 0,
                         &p->pods.gyro_range_dps)))
        return rc;
    for (int f = 0; f < TENDO_SIM_PODS; f++)
        if ((rc = parse_mounting(c, pods, f, p)))
            return rc;
    return TENDO_OK;
}

/* Line and column of a byte offset, for JSON syntax errors. */
static void line_col(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *q = text; q < at && *q; q++) {
        if (*q == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int parse_root(ctx *c, const cJSON *root, tendo_sim_profile *p)
{
    static const char *const keys[] = {"name", "description", "note", "leg_length_m",
                                       "heading_deg", "pods", "segments", NULL};
    if (!cJSON_IsObject(root))
        return fail(c, "(top level)", "must be a JSON object with a \"segments\" array");
    int rc = only_keys(c, root, "", keys);
    if (rc)
        return rc;
    if ((rc = get_number(c, root, "leg_length_m", "leg_length_m", 0, &p->leg_length_m)))
        return rc;
    if ((rc = get_number(c, root, "heading_deg", "heading_deg", 0, &p->heading_deg)))
        return rc;
    const cJSON *pods = cJSON_GetObjectItemCaseSensitive(root, "pods");
    if (pods && (rc = parse_pods(c, pods, p)))
        return rc;
    const cJSON *segs = cJSON_GetObjectItemCaseSensitive(root, "segments");
    if (!segs)
        return fail(c, "segments", "missing (a list of segments is required)");
    if (!cJSON_IsArray(segs) || cJSON_GetArraySize(segs) == 0)
        return fail(c, "segments", "must be a non-empty array");
    size_t n = (size_t)cJSON_GetArraySize(segs);
    if (n > SEGMENTS_MAX)
        return fail(c, "segments", "too many segments");
    p->seg = calloc(n, sizeof *p->seg);
    if (!p->seg)
        return tendo_error_set(c->err, TENDO_EINTERNAL, "out of memory");
    p->nseg = n;
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, segs)
    {
        if ((rc = parse_segment(c, o, i, &p->seg[i])))
            return rc;
        i++;
    }
    return TENDO_OK;
}

int tendo_sim_profile_parse(const char *text, const char *source, tendo_sim_profile *out,
                            tendo_error *err)
{
    tendo_sim_profile_init(out);
    ctx c = {source ? source : "profile", err};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line, col;
        line_col(text, end ? end : text, &line, &col);
        return tendo_error_set(err, TENDO_EDATA, "%s: not valid JSON near line %d, column %d",
                               c.source, line, col);
    }
    int rc = parse_root(&c, root, out);
    cJSON_Delete(root);
    if (!rc)
        rc = tendo_sim_profile_check(out, c.source, err);
    if (!rc && profile_to_json(out))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc)
        tendo_sim_profile_free(out);
    return rc;
}
