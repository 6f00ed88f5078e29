/*
 * analyze_run.c — reads one session file and runs the analysis library on
 * it (tendo_analyze_file), the result's lifetime and accessors.
 *
 * Each pod is streamed through the analysis library in windows of a
 * quarter chunk (memory stays flat whatever the length), read by
 * analyze_pipe.c: with threads, reading and the pods' analyses overlap. A gap in a pod's clock
 * ends the gait analyser and a new one continues after it with the same
 * orientation, so no stride spans missing samples. Event times come out in
 * samples since the segment's start and are mapped to seconds since the
 * session start through the pod's own timestamps (knots at every window and
 * around every gap; linear between them, which follows the clock's drift).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze_internal.h"
#include "analyze_pipe.h"
#include "tendo_array.h"
#include "tendo_spill.h"

#define WINDOW TENDO_SESSION_CHUNK_ROWS /* chunk-aligned reads: see tendo_session.h */
/* A gap: consecutive samples more than 1.5 nominal periods apart (the
 * validator's definition), or flagged GAP_BEFORE. */
#define GAP_PERIODS 1.5

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

/* Converts a segment's cadence estimates to session seconds in place, at
 * the segment's end (every knot their times need exists then). */
static void convert_cadence(seg_cadence *sc, double fs, int64_t seg0, const knots *m,
                            int64_t start_us)
{
    for (size_t i = 0; i < sc->len; i++)
        sc->e[i].t_s = session_s(m, seg0, fs, sc->e[i].t_s, start_us);
}

/* A stride's times, seconds since the segment's first sample. */
#define STRIDE_TIMES(st)                                                                        \
    {&(st)->t_zv0, &(st)->t_to, &(st)->t_swing, &(st)->t_ic, &(st)->t_zv1, &(st)->t_to_next}

/* 1 if every time of the stride lies before the last knot: the knots
 * around them are final (later knots only come after it), so converting
 * now gives what converting at the segment's end would. */
static int stride_ready(const tendo_an_stride *st, double fs, int64_t seg0, const knots *m)
{
    if (m->len < 2)
        return 0;
    const double last = (double)m->k[m->len - 1].n;
    const double *t[] = STRIDE_TIMES(st);
    for (size_t k = 0; k < sizeof t / sizeof *t; k++)
        if (isfinite(*t[k]) && !((double)seg0 + *t[k] * fs < last))
            return 0;
    return 1;
}

static void convert_stride(tendo_an_stride *st, double fs, int64_t seg0, const knots *m,
                           int64_t start_us)
{
    double *t[] = STRIDE_TIMES(st);
    for (size_t k = 0; k < sizeof t / sizeof *t; k++)
        *t[k] = session_s(m, seg0, fs, *t[k], start_us);
    st->contact_s = st->t_to_next - st->t_ic;
    st->swing_s = st->t_ic - st->t_to;
}

/* Appends n items of size sz from *src to *dst (taking src's array when dst
 * is empty: one gap-free segment costs no copy); src is left empty. */
static int append_items(void **dst, size_t *dlen, size_t *dcap, void **src, size_t *slen,
                        size_t *scap, size_t sz)
{
    if (*dlen == 0) {
        void *t = *dst;
        size_t c = *dcap;
        *dst = *src, *dcap = *scap, *dlen = *slen;
        *src = t, *scap = c, *slen = 0;
        return 0;
    }
    for (size_t i = 0; i < *slen; i++) {
        void *g = tendo_array_reserve(*dst, dcap, *dlen, sz, 64);
        if (!g)
            return -1;
        *dst = g;
        memcpy((char *)g + (*dlen)++ * sz, (char *)*src + i * sz, sz);
    }
    *slen = 0;
    return 0;
}

typedef struct pod_stream {
    int shank;            /* accelerometer only: sh instead of g and cad */
    tendo_an_shank *sh;
    tendo_an_gait *g;
    tendo_an_cadence *cad;
    seg_strides seg;  /* strides of the current segment */
    seg_cadence segc; /* its spectral cadence estimates */
    int64_t seg0;     /* its first sample index */
    double r[9];
    int have_r;
    double confidence;
    double accel_range; /* m/s², 0 unknown */
} pod_stream;

static int drain_shank(tendo_an_shank *sh, seg_strides *out, seg_cadence *outc)
{
    tendo_an_stride st;
    while (tendo_an_shank_next(sh, &st)) {
        tendo_an_stride *s = tendo_array_reserve(out->s, &out->cap, out->len, sizeof *s, 256);
        if (!s)
            return -1;
        out->s = s;
        out->s[out->len++] = st;
    }
    tendo_an_cadence_est e;
    while (tendo_an_shank_next_cadence(sh, &e)) {
        tendo_an_cadence_est *x = tendo_array_reserve(outc->e, &outc->cap, outc->len, sizeof *x, 64);
        if (!x)
            return -1;
        outc->e = x;
        outc->e[outc->len++] = e;
    }
    return 0;
}

/* Drains what the segment's analysers have finished. */
static int drain_all(pod_stream *ps)
{
    if (ps->shank)
        return drain_shank(ps->sh, &ps->seg, &ps->segc);
    return drain(ps->g, &ps->seg) != 0 || drain_cadence(ps->cad, &ps->segc) != 0 ? -1 : 0;
}

/* Ends the current gait segment: flush, collect its strides. */
static int end_segment(pod_stream *ps, tendo_error *err)
{
    if (ps->shank) {
        if (!ps->sh)
            return TENDO_OK;
        int rc = tendo_an_shank_finish(ps->sh, err);
        if (rc == TENDO_OK && drain_all(ps) != 0)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        tendo_an_shank_free(ps->sh);
        ps->sh = NULL;
        return rc;
    }
    if (!ps->g)
        return TENDO_OK;
    int rc = tendo_an_gait_finish(ps->g, err);
    if (rc == TENDO_OK && drain_all(ps) != 0)
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
    tendo_an_gait_options go = {.fs_hz = fs, .r_override = ps->have_r ? ps->r : NULL,
                                .accel_range_mps2 = ps->accel_range};
    ps->seg0 = first;
    ps->seg.len = 0;
    ps->segc.len = 0;
    if (ps->shank)
        return tendo_an_shank_new(&ps->sh, fs, err);
    int rc = tendo_an_gait_new(&ps->g, &go, err);
    return rc == TENDO_OK ? tendo_an_cadence_new(&ps->cad, fs, err) : rc;
}

static int push(pod_stream *ps, const float *a, const float *w, size_t n, tendo_error *err)
{
    if (ps->shank)
        return tendo_an_shank_push(ps->sh, a, n, err);
    int rc = tendo_an_gait_push(ps->g, a, w, n, err);
    return rc == TENDO_OK ? tendo_an_cadence_push(ps->cad, w, n, err) : rc;
}

static void add_note(analyze_pod_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_note(analyze_pod_result *r, const char *fmt, ...)
{
    if (r->nnotes >= (int)(sizeof r->notes / sizeof *r->notes))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->nnotes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

/* One pod's analysis: the consumer of its windows (analyze_pipe.h). It
 * may run in a thread of its own, so it touches nothing shared: its strides
 * and cadence estimates collect here, in session seconds and segment order,
 * and reach the session after every pod is done, in pod order (the
 * session's input, and so every output, is the same whatever the threads). */
typedef struct pod_job {
    tendo_pod_meta meta;
    int pod, side, shank;
    double fs, period_us;
    int64_t n, start_us;
    analyze_pod_result *res;
    pod_stream ps;
    knots m;
    int64_t prev_t;
    tendo_spill *out; /* converted strides, in order (bounded memory: a 4-h session's
                         strides would take tens of MB) */
    seg_cadence outc; /* the ended segments' spectral cadence estimates */
} pod_job;

/* Moves the current segment's strides, converted to session seconds, to
 * the output: all of them, or (all = 0) those the time map already
 * covers, so a long gap-free segment does not hold its strides. */
static int move_strides(pod_job *j, int all, tendo_error *err)
{
    seg_strides *ss = &j->ps.seg;
    size_t k = 0;
    int rc = TENDO_OK;
    for (; rc == TENDO_OK && k < ss->len; k++) {
        if (!all && !stride_ready(&ss->s[k], j->fs, j->ps.seg0, &j->m))
            break;
        convert_stride(&ss->s[k], j->fs, j->ps.seg0, &j->m, j->start_us);
        rc = tendo_spill_push(j->out, &ss->s[k], err);
    }
    if (rc != TENDO_OK)
        return rc;
    if (k > 0) /* ss->s is NULL while no stride ever came */
        memmove(ss->s, ss->s + k, (ss->len - k) * sizeof *ss->s);
    ss->len -= k;
    return TENDO_OK;
}

/* Ends the current segment and moves its results, converted, to the output. */
static int close_segment(pod_job *j, tendo_error *err)
{
    int rc = end_segment(&j->ps, err);
    if (rc != TENDO_OK)
        return rc;
    convert_cadence(&j->ps.segc, j->fs, j->ps.seg0, &j->m, j->start_us);
    if ((rc = move_strides(j, 1, err)) != TENDO_OK)
        return rc;
    if (append_items((void **)&j->outc.e, &j->outc.len, &j->outc.cap, (void **)&j->ps.segc.e,
                     &j->ps.segc.len, &j->ps.segc.cap, sizeof *j->outc.e) != 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    return TENDO_OK;
}

static int pod_window(pod_job *j, const analyze_window *win, tendo_error *err)
{
    analyze_pod_result *res = j->res;
    const int64_t *t = win->time_us;
    const uint8_t *status = win->status;
    const float *a = win->accel, *w = win->gyro;
    int64_t first = win->first;
    size_t len = win->n;
    int rc = TENDO_OK;
    /* a knot at every whole chunk (the time map does not depend on how the
     * samples were windowed for reading) */
    if (first % WINDOW == 0 && knot_add(&j->m, first, t[0]) != 0)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    size_t run0 = 0; /* first sample of the window not yet pushed */
    for (size_t i = 0; rc == TENDO_OK && i < len; i++) {
        if (status[i] & (TENDO_STATUS_ACCEL_CLIPPED | TENDO_STATUS_GYRO_CLIPPED))
            res->clipped++;
        int64_t prev_t = j->prev_t;
        j->prev_t = t[i];
        if (prev_t == INT64_MIN || !((double)(t[i] - prev_t) > GAP_PERIODS * j->period_us ||
                                     (status[i] & TENDO_STATUS_GAP_BEFORE)))
            continue;
        res->gaps++;
        res->gap_s += ((double)(t[i] - prev_t) - j->period_us) / 1e6;
        int64_t gi = first + (int64_t)i;
        if (knot_add(&j->m, gi - 1, prev_t) != 0 || knot_add(&j->m, gi, t[i]) != 0)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        if (rc == TENDO_OK && i > run0)
            rc = push(&j->ps, a + 3 * run0, w ? w + 3 * run0 : NULL, i - run0, err);
        if (rc == TENDO_OK)
            rc = close_segment(j, err);
        if (rc == TENDO_OK)
            rc = new_segment(&j->ps, j->fs, gi, err);
        run0 = i;
    }
    if (rc == TENDO_OK && len > run0)
        rc = push(&j->ps, a + 3 * run0, w ? w + 3 * run0 : NULL, len - run0, err);
    if (rc == TENDO_OK && drain_all(&j->ps) != 0)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc == TENDO_OK)
        rc = move_strides(j, 0, err);
    if (rc == TENDO_OK && first + (int64_t)len == j->n &&
        knot_add(&j->m, j->n - 1, t[len - 1]) != 0)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    if (rc == TENDO_OK && first == 0)
        res->first_s = (double)(t[0] - j->start_us) / 1e6;
    if (rc == TENDO_OK && first + (int64_t)len == j->n)
        res->last_s = (double)(t[len - 1] - j->start_us) / 1e6;
    return rc;
}

/* After the pod's last window: the last segment, the notes. */
static int pod_end(pod_job *j, tendo_error *err)
{
    const tendo_pod_meta *pm = &j->meta;
    analyze_pod_result *res = j->res;
    int rc = close_segment(j, err);
    res->analyzed = rc == TENDO_OK;
    res->shank = j->shank;
    res->orientation_confidence = j->ps.confidence;
    if (rc == TENDO_OK && j->shank && j->fs < 200)
        add_note(res,
                 "%s: shank data at %g Hz: below 200 Hz the tibial shock spans a few samples, so "
                 "contact times are only good to about a sample (analysis/MODELS.md, \"Shank\")",
                 pm->serial, j->fs);
    if (rc == TENDO_OK && j->shank)
        add_note(res,
                 "%s: shank accelerometer (no gyroscope): steps, cadence, contact time and tibial "
                 "shock only; speed, distance, elevation and Achilles load need a foot pod",
                 pm->serial);
    if (rc == TENDO_OK && !j->shank && !j->ps.have_r)
        add_note(res, "%s: no walking or running to find the pod's orientation from", pm->serial);
    if (rc == TENDO_OK && res->clipped > 0)
        add_note(res,
                 "%s: %.2f%% of samples reached the sensor's range (±%g g, ±%g °/s): impact "
                 "peaks there are lower bounds",
                 pm->serial, 100.0 * (double)res->clipped / (double)res->samples, pm->accel_range_g,
                 pm->gyro_range_dps);
    return rc;
}

static int pod_consume(void *ctx, const analyze_window *w, tendo_error *err)
{
    return w ? pod_window(ctx, w, err) : pod_end(ctx, err);
}

static int pod_job_init(pod_job *j, tendo_reader *rd, size_t pod, int shank, int64_t start_us,
                        analyze_pod_result *res, tendo_error *err)
{
    memset(j, 0, sizeof *j);
    j->meta = *tendo_reader_pod(rd, pod);
    j->pod = (int)pod;
    j->side = j->meta.side == TENDO_SIDE_RIGHT;
    j->shank = shank;
    j->fs = j->meta.sample_rate_hz;
    j->period_us = 1e6 / j->fs;
    j->n = tendo_reader_sample_count(rd, pod);
    j->start_us = start_us;
    j->res = res;
    j->prev_t = INT64_MIN;
    j->ps.shank = shank;
    j->ps.confidence = NAN;
    j->ps.accel_range = j->meta.accel_range_g > 0 ? j->meta.accel_range_g * 9.80665 : 0; /* g₀ */
    res->samples = j->n;
    int rc = tendo_spill_new(&j->out, sizeof(tendo_an_stride), err);
    if (rc != TENDO_OK)
        return rc;
    return j->n > 0 ? new_segment(&j->ps, j->fs, 0, err) : TENDO_OK;
}

/* Hands the pod's results to the session (in the serial order: cadence
 * estimates and strides, segment by segment). */
static int pod_job_hand_over(pod_job *j, tendo_an_session *ses, tendo_error *err)
{
    int rc = TENDO_OK;
    for (size_t i = 0; rc == TENDO_OK && i < j->outc.len; i++)
        rc = tendo_an_session_add_cadence(ses, j->pod, &j->outc.e[i], err);
    for (size_t i = 0; rc == TENDO_OK && j->out && i < tendo_spill_count(j->out); i++) {
        tendo_an_stride st;
        if ((rc = tendo_spill_get(j->out, i, &st, err)) == TENDO_OK)
            rc = tendo_an_session_add(ses, j->pod, j->side, &st, err);
    }
    return rc;
}

static void pod_job_free(pod_job *j)
{
    tendo_an_gait_free(j->ps.g);
    tendo_an_cadence_free(j->ps.cad);
    tendo_an_shank_free(j->ps.sh);
    free(j->ps.seg.s);
    free(j->ps.segc.e);
    tendo_spill_free(j->out);
    free(j->outc.e);
    free(j->m.k);
    memset(j, 0, sizeof *j);
}

/* ------------------------------------------------------------ one file */

void tendo_analyze_defaults(tendo_analyze_options *o)
{
    memset(o, 0, sizeof *o);
    o->placement = TENDO_ANALYZE_AS_RECORDED;
    o->damage_k = 5;
    o->store = 1;
}

static int check_options(const tendo_analyze_options *o, tendo_error *err)
{
    if (o->placement != TENDO_ANALYZE_AS_RECORDED && o->placement != TENDO_PLACEMENT_FOOT &&
        o->placement != TENDO_PLACEMENT_SHANK)
        return tendo_error_set(err, TENDO_EUSAGE, "placement %d is not foot or shank",
                               o->placement);
    if (!(o->mass_kg == 0 || (o->mass_kg >= 20 && o->mass_kg <= 300)))
        return tendo_error_set(err, TENDO_EUSAGE, "body mass %g kg is outside 20–300 kg",
                               o->mass_kg);
    if (!(o->damage_k >= 1 && o->damage_k <= 20))
        return tendo_error_set(err, TENDO_EUSAGE, "damage exponent %g is outside 1–20",
                               o->damage_k);
    if (o->threads < 0 || o->threads > TENDO_ANALYZE_MAX_THREADS)
        return tendo_error_set(err, TENDO_EUSAGE, "threads %d is outside 0–%d", o->threads,
                               TENDO_ANALYZE_MAX_THREADS);
    return TENDO_OK;
}

static int analyze(tendo_analyze_result *fr, tendo_error *err)
{
    const tendo_analyze_options *o = &fr->opt;
    tendo_reader *rd;
    int rc = o->trusted ? tendo_reader_open(&rd, fr->path, err)
                        : tendo_reader_open_untrusted(&rd, fr->path, err);
    if (rc != TENDO_OK)
        return rc;
    int64_t start_us = tendo_reader_meta(rd)->start_time_us;
    /* strides wait in bounded memory, older ones in a temporary file */
    tendo_an_session_options so = {
        .mass_kg = o->mass_kg, .damage_k = o->damage_k, .records = &tendo_spill_records};
    rc = tendo_an_session_new(&fr->ses, &so, err);
    fr->npods = tendo_reader_pod_count(rd);
    pod_job *jobs = calloc(fr->npods ? fr->npods : 1, sizeof *jobs);
    analyze_stream streams[TENDO_MAX_PODS];
    size_t ns = 0;
    if (rc == TENDO_OK && !jobs)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    for (size_t p = 0; rc == TENDO_OK && p < fr->npods; p++) {
        const tendo_pod_meta *pm = tendo_reader_pod(rd, p);
        fr->pods[p] = *pm;
        analyze_pod_result *pr = &fr->pr[p];
        pr->orientation_confidence = NAN;
        int placement = o->placement >= 0 ? o->placement : (int)pm->placement;
        if (placement == TENDO_PLACEMENT_FOOT && !pm->has_gyro) {
            pr->samples = tendo_reader_sample_count(rd, p);
            add_note(pr,
                     "%s: a foot pod without a gyroscope is not analysed (the foot method needs "
                     "one); if it is worn on the shank, pass --placement shank",
                     pm->serial);
            continue;
        }
        int shank = placement == TENDO_PLACEMENT_SHANK;
        rc = pod_job_init(&jobs[ns], rd, p, shank, start_us, pr, err);
        streams[ns] = (analyze_stream){.pod = p, .want_gyro = !shank, .consume = pod_consume,
                                       .ctx = &jobs[ns]};
        ns++;
    }
    if (rc == TENDO_OK)
        rc = analyze_pipe_run(rd, streams, ns, o->threads, err);
    for (size_t k = 0; k < ns; k++) {
        if (rc == TENDO_OK)
            rc = pod_job_hand_over(&jobs[k], fr->ses, err);
        pod_job_free(&jobs[k]); /* each pod's copy goes once the session holds it */
        if (rc != TENDO_OK)
            continue;
        fr->pods_analyzed++;
        fr->foot_pods_analyzed += streams[k].want_gyro; /* the foot pods */
        double span = fr->pr[streams[k].pod].last_s;
        if (span > fr->duration_s)
            fr->duration_s = span;
    }
    free(jobs);
    /* Pods that were skipped still count for the session's length, and
     * every pod for its first sample (the steps CSV's time zero). */
    fr->first_sample_s = NAN;
    for (size_t p = 0; rc == TENDO_OK && p < fr->npods; p++) {
        int64_t n = tendo_reader_sample_count(rd, p);
        if (n <= 0)
            continue;
        if (fr->pr[p].analyzed) {
            if (!(fr->pr[p].first_s >= fr->first_sample_s))
                fr->first_sample_s = fr->pr[p].first_s;
            continue;
        }
        int64_t t_first, t_last;
        tendo_block b0 = {.n = 1, .time_us = &t_first}, b1 = {.n = 1, .time_us = &t_last};
        rc = tendo_reader_read_raw(rd, p, 0, &b0, err);
        if (rc == TENDO_OK)
            rc = tendo_reader_read_raw(rd, p, n - 1, &b1, err);
        if (rc == TENDO_OK && (double)(t_last - start_us) / 1e6 > fr->duration_s)
            fr->duration_s = (double)(t_last - start_us) / 1e6;
        double f = (double)(t_first - start_us) / 1e6;
        if (rc == TENDO_OK && !(f >= fr->first_sample_s))
            fr->first_sample_s = f;
    }
    if (!isfinite(fr->first_sample_s))
        fr->first_sample_s = 0; /* no samples at all */
    tendo_reader_close(rd);
    if (rc == TENDO_OK)
        rc = tendo_an_session_finish(fr->ses, fr->duration_s, err);
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(fr->analyzed_at, sizeof fr->analyzed_at, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    if (rc == TENDO_OK && o->store)
        rc = tendo_analyze_store(fr, err);
    return rc;
}

int tendo_analyze_file(const char *path, const tendo_analyze_options *o, tendo_analyze_result **out,
                       tendo_error *err)
{
    *out = NULL;
    int rc = check_options(o, err);
    if (rc != TENDO_OK)
        return rc;
    tendo_analyze_result *fr = calloc(1, sizeof *fr);
    if (!fr || !(fr->path = strdup(path))) {
        free(fr);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    }
    fr->opt = *o;
    rc = analyze(fr, err);
    if (rc != TENDO_OK) {
        tendo_error_prefix(err, "%s: ", path);
        tendo_analyze_free(fr);
        return rc;
    }
    *out = fr;
    return TENDO_OK;
}

void tendo_analyze_free(tendo_analyze_result *r)
{
    if (!r)
        return;
    tendo_an_session_free(r->ses);
    free(r->path);
    free(r);
}

const char *tendo_analyze_path(const tendo_analyze_result *r)
{
    return r->path;
}

int tendo_analyze_pods_analyzed(const tendo_analyze_result *r)
{
    return r->pods_analyzed;
}

const tendo_an_session *tendo_analyze_session(const tendo_analyze_result *r)
{
    return r->ses;
}

const tendo_an_summary *tendo_analyze_summary(const tendo_analyze_result *r)
{
    return tendo_an_session_summary(r->ses);
}
