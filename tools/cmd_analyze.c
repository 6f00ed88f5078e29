/*
 * cmd_analyze.c — `tendo analyze`: steps, contact time, cadence, speed,
 * hills and Achilles load of session files, stored in each file's
 * /analysis group and printed as a summary, JSON Lines or a steps CSV.
 *
 * Each pod is streamed through the analysis library in chunk-aligned
 * windows (memory stays flat whatever the length). A gap in a pod's clock
 * ends the gait analyser and a new one continues after it with the same
 * orientation, so no stride spans missing samples. Event times come out in
 * samples since the segment's start and are mapped to seconds since the
 * session start through the pod's own timestamps (knots at every window and
 * around every gap; linear between them, which follows the clock's drift).
 *
 * Results are written with tendo_writer_open_update: a verified copy of the
 * session with the new /analysis is renamed over the original, so a crash
 * at any point leaves the raw recording as it was.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "tendo_array.h"
#include "cli.h"
#include "commands.h"
#include "tendo_analysis.h"
#include "tendo_session.h"
#include "tendo_version.h"

#define CMD    "analyze"
#define WINDOW TENDO_SESSION_CHUNK_ROWS /* chunk-aligned reads: see tendo_session.h */
/* A gap: consecutive samples more than 1.5 nominal periods apart (the
 * validator's definition), or flagged GAP_BEFORE. */
#define GAP_PERIODS 1.5

typedef struct analyze_opts {
    const char **files;
    int nfiles;
    int json;
    const char *steps_csv;
    int placement; /* -1: as the file says */
    double mass_kg, damage_k;
    int no_store;
} analyze_opts;

static const char USAGE[] =
    "usage: tendo analyze FILE.h5... [--json] [--steps-csv OUT.csv]\n"
    "                    [--placement foot|shank] [--mass KG] [--damage-k K]\n"
    "                    [--no-store]\n"
    "\n"
    "Finds every step of each foot pod and measures it: ground contact and flight\n"
    "time, cadence, footstrike, impact, speed, stride length and height change;\n"
    "then splits the session into rest, walking and running and adds up distance,\n"
    "pace, climb and an Achilles tendon load estimate. Results are stored in the\n"
    "file's /analysis group (a verified copy replaces the file, so the recording\n"
    "is never at risk) and shown as a summary.\n"
    "\n"
    "Options:\n"
    "  --json             one JSON object per file (JSON Lines) instead of the summary;\n"
    "                     values not measured are null\n"
    "  --steps-csv FILE   also write one row per step (all files) to FILE; times in\n"
    "                     seconds since the session start\n"
    "  --placement P      treat every pod as worn on the foot or the shank (default:\n"
    "                     as recorded in the file)\n"
    "  --mass KG          body mass, to give the Achilles load in kN as well as in\n"
    "                     body weights\n"
    "  --damage-k K       exponent of the damage sum Σ (F/F_ref)^K (default 5)\n"
    "  --no-store         do not write /analysis into the file (read-only files)\n"
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

/* ------------------------------------------------------------ time map */

/* (sample index, time) pairs of one pod; linear between neighbours. */
typedef struct knot {
    int64_t n;
    int64_t t_us;
} knot;

typedef struct knots {
    knot *k;
    size_t len, cap;
} knots;

static int knot_add(knots *m, int64_t n, int64_t t_us)
{
    if (m->len && m->k[m->len - 1].n >= n)
        return 0;
    knot *k = tendo_array_reserve(m->k, &m->cap, m->len, sizeof *k, 64);
    if (!k)
        return -1;
    m->k = k;
    m->k[m->len++] = (knot){n, t_us};
    return 0;
}

/* Time in µs of fractional sample index x. */
static double knot_time(const knots *m, double x)
{
    if (!isfinite(x) || m->len == 0)
        return NAN;
    size_t lo = 0, hi = m->len - 1;
    if (m->len == 1 || x <= (double)m->k[0].n)
        lo = 0, hi = m->len > 1 ? 1 : 0;
    else if (x >= (double)m->k[hi].n)
        lo = hi - 1;
    else
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if ((double)m->k[mid].n <= x)
                lo = mid;
            else
                hi = mid;
        }
    if (lo == hi)
        return (double)m->k[lo].t_us;
    const knot *a = &m->k[lo], *b = &m->k[hi];
    return (double)a->t_us +
           (x - (double)a->n) * (double)(b->t_us - a->t_us) / (double)(b->n - a->n);
}

/* ------------------------------------------------------------ one pod */

typedef struct pod_result {
    int analyzed;
    char notes[3][200]; /* what the reader should know about this pod */
    int nnotes;
    double orientation_confidence; /* NAN if none */
    int64_t samples, clipped, gaps;
    double gap_s;
    double first_s, last_s; /* first and last sample, s since the session start */
} pod_result;

/* The strides of one gait segment, in samples since the segment's start. */
typedef struct seg_strides {
    tendo_an_stride *s;
    size_t len, cap;
} seg_strides;

static int drain(tendo_an_gait *g, seg_strides *out)
{
    tendo_an_stride st;
    while (tendo_an_gait_next(g, &st)) {
        tendo_an_stride *s = tendo_array_reserve(out->s, &out->cap, out->len, sizeof *s, 256);
        if (!s)
            return -1;
        out->s = s;
        out->s[out->len++] = st;
    }
    return 0;
}

/* Spectral cadence estimates of one segment. */
typedef struct seg_cadence {
    tendo_an_cadence_est *e;
    size_t len, cap;
} seg_cadence;

static int drain_cadence(tendo_an_cadence *c, seg_cadence *out)
{
    tendo_an_cadence_est e;
    while (tendo_an_cadence_next(c, &e)) {
        tendo_an_cadence_est *x = tendo_array_reserve(out->e, &out->cap, out->len, sizeof *x, 64);
        if (!x)
            return -1;
        out->e = x;
        out->e[out->len++] = e;
    }
    return 0;
}

/* Session seconds of t seconds since the segment's first sample. */
static double session_s(const knots *m, int64_t seg0, double fs, double t, int64_t start_us)
{
    return (knot_time(m, (double)seg0 + t * fs) - (double)start_us) / 1e6;
}

/* Converts a segment's strides and cadence estimates to session seconds
 * and hands them over. */
static int hand_over(tendo_an_session *ses, int pod, int side, const seg_strides *ss,
                     const seg_cadence *sc, double fs, int64_t seg0, const knots *m,
                     int64_t start_us, tendo_error *err)
{
    for (size_t i = 0; i < sc->len; i++) {
        tendo_an_cadence_est e = sc->e[i];
        e.t_s = session_s(m, seg0, fs, e.t_s, start_us);
        int rc = tendo_an_session_add_cadence(ses, pod, &e, err);
        if (rc != TENDO_OK)
            return rc;
    }
    for (size_t i = 0; i < ss->len; i++) {
        tendo_an_stride st = ss->s[i];
        double *t[] = {&st.t_zv0, &st.t_to, &st.t_swing, &st.t_ic, &st.t_zv1, &st.t_to_next};
        for (size_t k = 0; k < sizeof t / sizeof *t; k++)
            *t[k] = session_s(m, seg0, fs, *t[k], start_us);
        st.contact_s = st.t_to_next - st.t_ic;
        st.swing_s = st.t_ic - st.t_to;
        int rc = tendo_an_session_add(ses, pod, side, &st, err);
        if (rc != TENDO_OK)
            return rc;
    }
    return TENDO_OK;
}

typedef struct pod_stream {
    tendo_an_gait *g;
    tendo_an_cadence *cad;
    seg_strides seg;  /* strides of the current segment */
    seg_cadence segc; /* its spectral cadence estimates */
    int64_t seg0;     /* its first sample index */
    double r[9];
    int have_r;
    double confidence;
} pod_stream;

/* Ends the current gait segment: flush, collect its strides. */
static int end_segment(pod_stream *ps, tendo_error *err)
{
    if (!ps->g)
        return TENDO_OK;
    int rc = tendo_an_gait_finish(ps->g, err);
    if (rc == TENDO_OK && (drain(ps->g, &ps->seg) != 0 || drain_cadence(ps->cad, &ps->segc) != 0))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    const tendo_an_orientation *o = tendo_an_gait_orientation(ps->g);
    if (o && !ps->have_r) {
        memcpy(ps->r, o->r, sizeof ps->r);
        ps->have_r = 1;
        ps->confidence = o->confidence;
    }
    tendo_an_gait_free(ps->g);
    tendo_an_cadence_free(ps->cad);
    ps->g = NULL;
    ps->cad = NULL;
    return rc;
}

static int new_segment(pod_stream *ps, double fs, int64_t first, tendo_error *err)
{
    tendo_an_gait_options go = {.fs_hz = fs, .r_override = ps->have_r ? ps->r : NULL};
    ps->seg0 = first;
    ps->seg.len = 0;
    ps->segc.len = 0;
    int rc = tendo_an_gait_new(&ps->g, &go, err);
    return rc == TENDO_OK ? tendo_an_cadence_new(&ps->cad, fs, err) : rc;
}

static int push(pod_stream *ps, const float *a, const float *w, size_t n, tendo_error *err)
{
    int rc = tendo_an_gait_push(ps->g, a, w, n, err);
    return rc == TENDO_OK ? tendo_an_cadence_push(ps->cad, w, n, err) : rc;
}

static void add_note(pod_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(pod_result *r, const char *fmt, ...)
{
    if (r->nnotes >= (int)(sizeof r->notes / sizeof *r->notes))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->nnotes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

static int analyze_pod(tendo_reader *rd, size_t pod, tendo_an_session *ses, int64_t start_us,
                       pod_result *res, tendo_error *err)
{
    const tendo_pod_meta *pm = tendo_reader_pod(rd, pod);
    int64_t n = tendo_reader_sample_count(rd, pod);
    double fs = pm->sample_rate_hz, period_us = 1e6 / fs;
    int side = pm->side == TENDO_SIDE_RIGHT;
    res->samples = n;
    int64_t *t = malloc(WINDOW * sizeof *t);
    float *a = malloc(3 * WINDOW * sizeof *a), *w = malloc(3 * WINDOW * sizeof *w);
    uint8_t *status = malloc(WINDOW);
    knots m = {0};
    pod_stream ps = {0};
    ps.confidence = NAN;
    int rc = TENDO_OK;
    if (!t || !a || !w || !status)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc == TENDO_OK && n > 0)
        rc = new_segment(&ps, fs, 0, err);
    int64_t prev_t = INT64_MIN;
    for (int64_t first = 0; rc == TENDO_OK && first < n; first += WINDOW) {
        size_t len = (size_t)(n - first < WINDOW ? n - first : WINDOW);
        tendo_block blk = {.n = len, .time_us = t, .accel = a, .gyro = w, .status = status};
        memset(status, 0, len);
        rc = tendo_reader_read_si(rd, pod, first, &blk, err);
        if (rc == TENDO_OK && knot_add(&m, first, t[0]) != 0)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        size_t run0 = 0; /* first sample of the window not yet pushed */
        for (size_t i = 0; rc == TENDO_OK && i < len; i++) {
            if (status[i] & (TENDO_STATUS_ACCEL_CLIPPED | TENDO_STATUS_GYRO_CLIPPED))
                res->clipped++;
            int gap = prev_t != INT64_MIN && ((double)(t[i] - prev_t) > GAP_PERIODS * period_us ||
                                              (status[i] & TENDO_STATUS_GAP_BEFORE));
            if (gap) {
                res->gaps++;
                res->gap_s += ((double)(t[i] - prev_t) - period_us) / 1e6;
                int64_t gi = first + (int64_t)i;
                if (knot_add(&m, gi - 1, prev_t) != 0 || knot_add(&m, gi, t[i]) != 0)
                    rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
                if (rc == TENDO_OK && i > run0)
                    rc = push(&ps, a + 3 * run0, w + 3 * run0, i - run0, err);
                if (rc == TENDO_OK)
                    rc = end_segment(&ps, err);
                if (rc == TENDO_OK)
                    rc = hand_over(ses, (int)pod, side, &ps.seg, &ps.segc, fs, ps.seg0, &m,
                                   start_us, err);
                if (rc == TENDO_OK)
                    rc = new_segment(&ps, fs, gi, err);
                run0 = i;
            }
            prev_t = t[i];
        }
        if (rc == TENDO_OK && len > run0)
            rc = push(&ps, a + 3 * run0, w + 3 * run0, len - run0, err);
        if (rc == TENDO_OK && (drain(ps.g, &ps.seg) != 0 || drain_cadence(ps.cad, &ps.segc) != 0))
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        if (rc == TENDO_OK && first + (int64_t)len == n && knot_add(&m, n - 1, t[len - 1]) != 0)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        if (rc == TENDO_OK && first == 0)
            res->first_s = (double)(t[0] - start_us) / 1e6;
        if (rc == TENDO_OK && first + (int64_t)len == n)
            res->last_s = (double)(t[len - 1] - start_us) / 1e6;
    }
    if (rc == TENDO_OK)
        rc = end_segment(&ps, err);
    if (rc == TENDO_OK)
        rc = hand_over(ses, (int)pod, side, &ps.seg, &ps.segc, fs, ps.seg0, &m, start_us, err);
    tendo_an_gait_free(ps.g);
    tendo_an_cadence_free(ps.cad);
    res->analyzed = rc == TENDO_OK;
    res->orientation_confidence = ps.confidence;
    if (rc == TENDO_OK && !ps.have_r)
        add_note(res, "%s: no walking or running to find the pod's orientation from", pm->serial);
    if (rc == TENDO_OK && res->clipped > 0)
        add_note(res,
                 "%s: %.2f%% of samples reached the sensor's range (±%g g, ±%g °/s): impact "
                 "peaks there are lower bounds",
                 pm->serial, 100.0 * (double)res->clipped / (double)res->samples, pm->accel_range_g,
                 pm->gyro_range_dps);
    free(ps.seg.s);
    free(ps.segc.e);
    free(m.k);
    free(t);
    free(a);
    free(w);
    free(status);
    return rc;
}

/* ------------------------------------------------------------ results */

typedef struct file_result {
    const char *path;
    tendo_an_session *ses;
    size_t npods;
    tendo_pod_meta pods[TENDO_MAX_PODS];
    pod_result pr[TENDO_MAX_PODS];
    double duration_s;
    int pods_analyzed;
    char analyzed_at[40];
} file_result;

/* One row of /analysis/<serial>/steps. */
typedef struct step_row {
    char side[16];
    double ic_s, to_s, gct_ms, flight_ms, stride_s, cadence_spm, speed_mps, stride_len_m, dz_m;
    double strike_angle_deg;
    char footstrike[16];
    double impact_g, achilles_force_bw;
    char kind[16];
    int32_t bout;
} step_row;

#define COL(name, type)                                                                            \
    {                                                                                              \
#name, type, offsetof(step_row, name)                                                      \
    }
static const tendo_column STEP_COLS[] = {
    COL(side, TENDO_COL_STR16),
    COL(ic_s, TENDO_COL_F64),
    COL(to_s, TENDO_COL_F64),
    COL(gct_ms, TENDO_COL_F64),
    COL(flight_ms, TENDO_COL_F64),
    COL(stride_s, TENDO_COL_F64),
    COL(cadence_spm, TENDO_COL_F64),
    COL(speed_mps, TENDO_COL_F64),
    COL(stride_len_m, TENDO_COL_F64),
    COL(dz_m, TENDO_COL_F64),
    COL(strike_angle_deg, TENDO_COL_F64),
    COL(footstrike, TENDO_COL_STR16),
    COL(impact_g, TENDO_COL_F64),
    COL(achilles_force_bw, TENDO_COL_F64),
    COL(kind, TENDO_COL_STR16),
    COL(bout, TENDO_COL_I32),
};
#undef COL

typedef struct bout_row {
    double start_s, end_s;
    char kind[16];
    int32_t steps;
    double distance_m;
} bout_row;

#define COL(name, type)                                                                            \
    {                                                                                              \
#name, type, offsetof(bout_row, name)                                                      \
    }
static const tendo_column BOUT_COLS[] = {
    COL(start_s, TENDO_COL_F64), COL(end_s, TENDO_COL_F64),      COL(kind, TENDO_COL_STR16),
    COL(steps, TENDO_COL_I32),   COL(distance_m, TENDO_COL_F64),
};
#undef COL

static void str16(char dst[16], const char *src)
{
    memset(dst, 0, 16);
    strncpy(dst, src, 15);
}

static step_row to_row(const tendo_an_step *s)
{
    step_row r;
    memset(&r, 0, sizeof r);
    str16(r.side, s->side ? "right" : "left");
    r.ic_s = s->ic_s;
    r.to_s = s->to_s;
    r.gct_ms = s->gct_ms;
    r.flight_ms = s->flight_ms;
    r.stride_s = s->stride_s;
    r.cadence_spm = s->cadence_spm;
    r.speed_mps = s->speed_mps;
    r.stride_len_m = s->stride_len_m;
    r.dz_m = s->dz_m;
    r.strike_angle_deg = s->strike_angle_deg;
    str16(r.footstrike, tendo_an_strike_name(s->footstrike));
    r.impact_g = s->impact_g;
    r.achilles_force_bw = s->achilles_force_bw;
    str16(r.kind, tendo_an_kind_name(s->kind));
    r.bout = s->bout;
    return r;
}

/* Summary numbers by name, for /analysis/summary and the JSON: the one
 * list both read, so they cannot drift apart. */
typedef struct summary_field {
    const char *name;
    double value;
} summary_field;

static size_t summary_fields(const file_result *fr, const analyze_opts *o, summary_field *f)
{
    const tendo_an_summary *u = tendo_an_session_summary(fr->ses);
    int none = fr->pods_analyzed == 0; /* nothing measured: steps unknown, not zero */
    size_t n = 0;
    f[n++] = (summary_field){"duration_s", u->duration_s};
    f[n++] = (summary_field){"run_s", none ? NAN : u->run_s};
    f[n++] = (summary_field){"walk_s", none ? NAN : u->walk_s};
    f[n++] = (summary_field){"rest_s", none ? NAN : u->rest_s};
    f[n++] = (summary_field){"steps", none ? NAN : (double)u->steps};
    f[n++] = (summary_field){"steps_left", none ? NAN : (double)u->steps_left};
    f[n++] = (summary_field){"steps_right", none ? NAN : (double)u->steps_right};
    f[n++] = (summary_field){"cadence_spm", u->cadence_spm};
    f[n++] = (summary_field){"cadence_spectral_spm", u->cadence_spectral_spm};
    f[n++] = (summary_field){"cadence_walk_spm", u->cadence_walk_spm};
    f[n++] = (summary_field){"gct_ms", u->gct_ms};
    f[n++] = (summary_field){"flight_ms", u->flight_ms};
    f[n++] = (summary_field){"distance_m", none ? NAN : u->distance_m};
    f[n++] = (summary_field){"speed_mps", u->speed_mps};
    f[n++] = (summary_field){"ascent_m", none ? NAN : u->ascent_m};
    f[n++] = (summary_field){"descent_m", none ? NAN : u->descent_m};
    f[n++] = (summary_field){"achilles_load", none ? NAN : u->achilles_load};
    f[n++] = (summary_field){
        "achilles_load_kn",
        none || !(o->mass_kg > 0) ? NAN : u->achilles_load * o->mass_kg * 9.80665 / 1000};
    f[n++] = (summary_field){"achilles_damage", none ? NAN : u->achilles_damage};
    f[n++] = (summary_field){"impact_g", u->impact_g};
    f[n++] = (summary_field){"gct_balance_left_pct", u->gct_balance_left_pct};
    return n;
}

/* Quality over the analysed pods: lowest orientation confidence, largest
 * clipped share, all gaps. */
static void quality(const file_result *fr, double *conf, double *clipped, int64_t *gaps,
                    double *gap_s)
{
    *conf = NAN;
    *clipped = 0;
    *gaps = 0;
    *gap_s = 0;
    for (size_t p = 0; p < fr->npods; p++) {
        const pod_result *r = &fr->pr[p];
        if (isfinite(r->orientation_confidence))
            *conf = isfinite(*conf) ? fmin(*conf, r->orientation_confidence)
                                    : r->orientation_confidence;
        if (r->samples > 0)
            *clipped = fmax(*clipped, (double)r->clipped / (double)r->samples);
        *gaps += r->gaps;
        *gap_s += r->gap_s;
    }
}

static char *parameters_json(const analyze_opts *o)
{
    cJSON *p = cJSON_CreateObject();
    if (o->placement < 0)
        cJSON_AddStringToObject(p, "placement", "as recorded");
    else
        cJSON_AddStringToObject(p, "placement", o->placement ? "shank" : "foot");
    if (o->mass_kg > 0)
        cJSON_AddNumberToObject(p, "mass_kg", o->mass_kg);
    else
        cJSON_AddNullToObject(p, "mass_kg");
    cJSON_AddNumberToObject(p, "damage_k", o->damage_k);
    cJSON_AddStringToObject(p, "methods", "analysis/MODELS.md");
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

static int store(const file_result *fr, const analyze_opts *o, tendo_error *err)
{
    tendo_writer *w;
    int rc = tendo_writer_open_update(&w, fr->path, err);
    if (rc != TENDO_OK)
        return rc;
    const tendo_an_step *steps;
    size_t nsteps = tendo_an_session_steps(fr->ses, &steps);
    step_row *rows = malloc((nsteps ? nsteps : 1) * sizeof *rows);
    if (!rows)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t p = 0; rc == TENDO_OK && p < fr->npods; p++) {
        if (!fr->pr[p].analyzed)
            continue;
        size_t k = 0;
        for (size_t i = 0; i < nsteps; i++)
            if (steps[i].pod == (int)p)
                rows[k++] = to_row(&steps[i]);
        char path[128];
        snprintf(path, sizeof path, "/analysis/%s/steps", fr->pods[p].serial);
        rc = tendo_writer_put_table(w, path, STEP_COLS, sizeof STEP_COLS / sizeof *STEP_COLS, rows,
                                    sizeof *rows, k, err);
    }
    free(rows);
    const tendo_an_bout *bouts;
    size_t nb = tendo_an_session_bouts(fr->ses, &bouts);
    bout_row *br = malloc((nb ? nb : 1) * sizeof *br);
    if (rc == TENDO_OK && !br)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t i = 0; rc == TENDO_OK && i < nb; i++) {
        memset(&br[i], 0, sizeof br[i]);
        br[i].start_s = bouts[i].start_s;
        br[i].end_s = bouts[i].end_s;
        str16(br[i].kind, tendo_an_kind_name(bouts[i].kind));
        br[i].steps = (int32_t)bouts[i].steps;
        br[i].distance_m = bouts[i].distance_m;
    }
    if (rc == TENDO_OK)
        rc = tendo_writer_put_table(w, "/analysis/bouts", BOUT_COLS,
                                    sizeof BOUT_COLS / sizeof *BOUT_COLS, br, sizeof *br, nb, err);
    free(br);
    char *params = rc == TENDO_OK ? parameters_json(o) : NULL;
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "algorithm_version", TENDO_AN_VERSION, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "parameters", params ? params : "{}", err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "analyzed_at", fr->analyzed_at, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_str(w, "/analysis", "software_version", TENDO_VERSION, err);
    free(params);
    summary_field f[32];
    size_t nf = summary_fields(fr, o, f);
    for (size_t i = 0; rc == TENDO_OK && i < nf; i++)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", f[i].name, f[i].value, err);
    double conf, clipped, gap_s;
    int64_t gaps;
    quality(fr, &conf, &clipped, &gaps, &gap_s);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", "orientation_confidence", conf, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", "clipped_fraction", clipped, err);
    if (rc == TENDO_OK)
        rc = tendo_writer_put_attr_f64(w, "/analysis/summary", "gaps", (double)gaps, err);
    if (rc != TENDO_OK) {
        tendo_writer_abort(w);
        return rc;
    }
    return tendo_writer_commit(w, err);
}

/* ------------------------------------------------------------ output */

static void json_number(cJSON *o, const char *name, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static void print_json(const file_result *fr, const analyze_opts *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", fr->path);
    summary_field f[32];
    size_t nf = summary_fields(fr, o, f);
    for (size_t i = 0; i < nf; i++)
        json_number(j, f[i].name, f[i].value);
    double conf, clipped, gap_s;
    int64_t gaps;
    quality(fr, &conf, &clipped, &gaps, &gap_s);
    cJSON *q = cJSON_AddObjectToObject(j, "quality");
    json_number(q, "orientation_confidence", conf);
    json_number(q, "clipped_fraction", clipped);
    cJSON_AddNumberToObject(q, "gaps", (double)gaps);
    cJSON_AddNumberToObject(q, "gap_s", gap_s);
    json_number(q, "elevation_lr_diff_m",
                fr->pods_analyzed ? tendo_an_session_summary(fr->ses)->elevation_lr_diff_m : NAN);
    cJSON_AddNumberToObject(q, "pods", (double)fr->npods);
    cJSON_AddNumberToObject(q, "pods_analyzed", fr->pods_analyzed);
    cJSON *notes = cJSON_AddArrayToObject(q, "notes");
    for (size_t p = 0; p < fr->npods; p++)
        for (int k = 0; k < fr->pr[p].nnotes; k++)
            cJSON_AddItemToArray(notes, cJSON_CreateString(fr->pr[p].notes[k]));
    cJSON_AddStringToObject(j, "algorithm_version", TENDO_AN_VERSION);
    cli_print_json_line(j);
}

/* "1:02:03" or "2:03" */
static void hms(double s, char *out, size_t size)
{
    long t = lround(s);
    if (t >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%ld:%02ld", t / 60, t % 60);
}

static void print_summary(const file_result *fr, const analyze_opts *o)
{
    const tendo_an_summary *u = tendo_an_session_summary(fr->ses);
    char d[32], r[32], w[32], s[32];
    hms(u->duration_s, d, sizeof d);
    printf("%s: %s session\n", fr->path, d);
    if (fr->pods_analyzed == 0) {
        printf("  not analysed: no pod could be (see the notes below)\n");
    } else if (u->steps == 0) {
        printf("  no steps found: the pods did not walk or run (a pod lying still?)\n");
    } else {
        hms(u->run_s, r, sizeof r);
        hms(u->walk_s, w, sizeof w);
        hms(fmax(0, u->rest_s), s, sizeof s);
        printf("  %s running, %s walking, %s standing or still\n", r, w, s);
        printf("  distance %.2f km", u->distance_m / 1000);
        if (isfinite(u->speed_mps) && u->speed_mps > 0) {
            double pace = 1000 / u->speed_mps;
            printf(", running pace %d:%02d /km (%.2f m/s)", (int)(pace / 60),
                   (int)lround(fmod(pace, 60)) % 60, u->speed_mps);
        }
        printf(", climb +%.0f m / -%.0f m\n", u->ascent_m, u->descent_m);
        /* The feet's height estimates drift apart with accelerometer bias
         * (MODELS.md): when they disagree by more than 0.5% of the distance,
         * say so beside the climb. */
        if (fabs(u->elevation_lr_diff_m) > fmax(2, 0.005 * u->distance_m))
            printf("  (climb uncertain: the two feet's height estimates differ by %.0f m)\n",
                   fabs(u->elevation_lr_diff_m));
        printf("  steps %zu (%zu left, %zu right)", u->steps, u->steps_left, u->steps_right);
        if (!isfinite(u->cadence_spm) && isfinite(u->cadence_walk_spm))
            printf(", walking cadence %.0f steps/min", u->cadence_walk_spm);
        if (isfinite(u->cadence_spm))
            printf(", running cadence %.0f steps/min", u->cadence_spm);
        if (isfinite(u->cadence_spectral_spm))
            printf(" (spectrum: %.0f)", u->cadence_spectral_spm);
        printf("\n");
        if (isfinite(u->gct_ms)) {
            printf("  ground contact %.0f ms", u->gct_ms);
            if (isfinite(u->flight_ms))
                printf(", flight %.0f ms", u->flight_ms);
            if (isfinite(u->gct_balance_left_pct))
                printf(", contact balance %.1f%% left / %.1f%% right", u->gct_balance_left_pct,
                       100 - u->gct_balance_left_pct);
            printf("\n");
        }
        if (isfinite(u->impact_g))
            printf("  impact %.1f g at the foot (shock, not the tendon's load)\n", u->impact_g);
        printf("  Achilles load %.0f body weights over the steps", u->achilles_load);
        if (o->mass_kg > 0)
            printf(" (%.0f kN)", u->achilles_load * o->mass_kg * 9.80665 / 1000);
        printf(", damage index %.0f (k = %g)\n", u->achilles_damage, o->damage_k);
    }
    double conf, clipped, gap_s;
    int64_t gaps;
    quality(fr, &conf, &clipped, &gaps, &gap_s);
    printf("  quality: orientation confidence ");
    if (isfinite(conf))
        printf("%.2f", conf);
    else
        printf("-");
    printf(", clipped %.2f%%, ", 100 * clipped);
    if (gaps)
        printf("%" PRId64 " gap%s (%.1f s missing)\n", gaps, gaps == 1 ? "" : "s", gap_s);
    else
        printf("no gaps\n");
    for (size_t p = 0; p < fr->npods; p++)
        for (int k = 0; k < fr->pr[p].nnotes; k++)
            printf("  note: %s\n", fr->pr[p].notes[k]);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.6g", v);
    else
        fputc(',', f);
}

static void csv_rows(FILE *f, const file_result *fr)
{
    const tendo_an_step *s;
    size_t n = tendo_an_session_steps(fr->ses, &s);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s,%.4f", s[i].side ? "right" : "left", s[i].ic_s);
        csv_num(f, s[i].to_s);
        csv_num(f, s[i].gct_ms);
        csv_num(f, s[i].flight_ms);
        csv_num(f, s[i].stride_s);
        csv_num(f, s[i].cadence_spm);
        csv_num(f, s[i].speed_mps);
        csv_num(f, s[i].stride_len_m);
        csv_num(f, s[i].dz_m);
        fprintf(f, ",%s", tendo_an_strike_name(s[i].footstrike));
        csv_num(f, s[i].impact_g);
        csv_num(f, s[i].achilles_force_bw);
        fprintf(f, ",%d,%s,", s[i].bout, tendo_an_kind_name(s[i].kind));
        /* the file name, quoted if it needs it */
        if (strpbrk(fr->path, ",\"\n")) {
            fputc('"', f);
            for (const char *c = fr->path; *c; c++) {
                if (*c == '"')
                    fputc('"', f);
                fputc(*c, f);
            }
            fputc('"', f);
        } else {
            fputs(fr->path, f);
        }
        fputc('\n', f);
    }
}

/* ------------------------------------------------------------ driver */

static int analyze_file(const char *path, const analyze_opts *o, file_result *fr, tendo_error *err)
{
    memset(fr, 0, sizeof *fr);
    fr->path = path;
    tendo_reader *rd;
    int rc = tendo_reader_open(&rd, path, err);
    if (rc != TENDO_OK)
        return rc;
    int64_t start_us = tendo_reader_meta(rd)->start_time_us;
    tendo_an_session_options so = {.mass_kg = o->mass_kg, .damage_k = o->damage_k};
    rc = tendo_an_session_new(&fr->ses, &so, err);
    fr->npods = tendo_reader_pod_count(rd);
    for (size_t p = 0; rc == TENDO_OK && p < fr->npods; p++) {
        const tendo_pod_meta *pm = tendo_reader_pod(rd, p);
        fr->pods[p] = *pm;
        pod_result *pr = &fr->pr[p];
        pr->orientation_confidence = NAN;
        int placement = o->placement >= 0 ? o->placement : (int)pm->placement;
        if (placement == TENDO_PLACEMENT_SHANK || !pm->has_gyro) {
            pr->samples = tendo_reader_sample_count(rd, p);
            add_note(pr, "%s: %s pods are not analysed yet (foot pods with a gyroscope only)",
                     pm->serial,
                     placement == TENDO_PLACEMENT_SHANK ? "shank" : "accelerometer-only");
            continue;
        }
        rc = analyze_pod(rd, p, fr->ses, start_us, pr, err);
        if (rc == TENDO_OK)
            fr->pods_analyzed++;
        double span = pr->last_s;
        if (span > fr->duration_s)
            fr->duration_s = span;
    }
    /* pods that were skipped still count for the session's length */
    for (size_t p = 0; rc == TENDO_OK && p < fr->npods; p++) {
        int64_t n = tendo_reader_sample_count(rd, p);
        if (fr->pr[p].analyzed || n <= 0)
            continue;
        int64_t t_last;
        tendo_block blk = {.n = 1, .time_us = &t_last};
        rc = tendo_reader_read_raw(rd, p, n - 1, &blk, err);
        if (rc == TENDO_OK && (double)(t_last - start_us) / 1e6 > fr->duration_s)
            fr->duration_s = (double)(t_last - start_us) / 1e6;
    }
    tendo_reader_close(rd);
    if (rc == TENDO_OK)
        rc = tendo_an_session_finish(fr->ses, fr->duration_s, err);
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(fr->analyzed_at, sizeof fr->analyzed_at, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    if (rc == TENDO_OK && !o->no_store)
        rc = store(fr, o, err);
    if (rc != TENDO_OK)
        tendo_error_prefix(err, "%s: ", path);
    return rc;
}

/* Returns 0 to go on, -1 after --help, or 64. */
static int parse_args(int argc, char **argv, analyze_opts *o)
{
    memset(o, 0, sizeof *o);
    o->placement = -1;
    o->damage_k = 5;
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
            o->no_store = 1;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--steps-csv", &v)) != 0) {
            if (r != 1)
                return r;
            o->steps_csv = v;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--placement", &v)) != 0) {
            if (r != 1)
                return r;
            if (!strcmp(v, "foot"))
                o->placement = TENDO_PLACEMENT_FOOT;
            else if (!strcmp(v, "shank"))
                o->placement = TENDO_PLACEMENT_SHANK;
            else
                return cli_usage(CMD, "--placement is 'foot' or 'shank', not '%s'", v);
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--mass", &v)) != 0) {
            if (r != 1 || (r = cli_parse_double(CMD, "--mass", v, 20, 300, &o->mass_kg)) != 0)
                return r;
        } else if ((r = cli_option_value(CMD, argc, argv, &i, "--damage-k", &v)) != 0) {
            if (r != 1 || (r = cli_parse_double(CMD, "--damage-k", v, 1, 20, &o->damage_k)) != 0)
                return r;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(CMD, "unknown option '%s'", arg);
        } else {
            o->files[o->nfiles++] = arg;
        }
    }
    if (o->nfiles == 0)
        return cli_usage(CMD, "no session file given (tendo analyze FILE.h5...)");
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
        fputs("side,ic_s,to_s,gct_ms,flight_ms,stride_s,cadence_spm,speed_mps,stride_len_m,dz_m,"
              "footstrike,impact_g,achilles_force_bw,bout,kind,file\n",
              csv);
    }
    int exit_code = 0;
    for (int i = 0; i < o.nfiles; i++) {
        file_result fr;
        tendo_error err = {0};
        if (analyze_file(o.files[i], &o, &fr, &err) != TENDO_OK) {
            int code = cli_fail(CMD, &err);
            if (!exit_code)
                exit_code = code;
        } else {
            if (o.json)
                print_json(&fr, &o);
            else
                print_summary(&fr, &o);
            if (csv)
                csv_rows(csv, &fr);
        }
        tendo_an_session_free(fr.ses);
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
