/*
 * sim_gen.c — the generator: turns a profile into a step schedule (a row
 * per ground contact of each foot), then samples each pod's sensor along
 * the resulting foot trajectory, block by block.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_array.h"
#include "sim_internal.h"
#include "tendo_session.h"

#define DEG (M_PI / 180.0)

/* Purpose tags of the random streams. */
enum { TAG_SCHEDULE = 1, TAG_POD = 2, TAG_NOISE = 3, TAG_ID = 4, TAG_HEADING = 5 };

/* Stride-to-stride variability: step time CV 1 % (model choice; healthy
 * gait shows stride-time CVs of 1–3 %, Hausdorff, J NeuroEng Rehabil 2005). */
#define STEP_TIME_CV 0.01
/* Speed changes between segments at most 1 m/s² (model choice). */
#define MAX_ACCEL 1.0
/* Half the distance between the feet (model choice). */
#define HALF_STEP_WIDTH 0.05
/* Lowest speeds the regressions are used at. */
#define RUN_MIN_SPEED 1.8
#define WALK_MAX_SPEED 2.2
/* Time for a closing step's sole to settle flat before a rest begins, and
 * after a rest before the next bout may start (model choice). */
#define SETTLE_S 0.3
/* How long after the profile ends the schedule runs on, so every sample
 * up to the end lies inside a planned motion. */
#define TAIL_S 3.0

typedef struct foot_track {
    sim_stance *st;
    size_t n, cap;
} foot_track;

typedef struct pod_state {
    tendo_sim_pod_info info;
    double period;    /* true sample spacing, s */
    int64_t next_n;   /* next sample index */
    size_t cur;       /* stance cursor */
    size_t swing_of;  /* stance index the cached swing leaves from, SIZE_MAX none */
    sim_swing swing;
    sim_rng noise;
    sim_rng noise_start;
} pod_state;

typedef struct footprint {
    double t_ic, s, hz;
} footprint;

struct tendo_sim {
    tendo_sim_options opt;
    double duration;
    double leg;
    double heading;
    double lateral[TENDO_SIM_PODS];
    foot_track foot[TENDO_SIM_PODS];
    pod_state pod[TENDO_SIM_PODS];
    tendo_sim_step *rows[TENDO_SIM_PODS];
    size_t nrows[TENDO_SIM_PODS];
    tendo_sim_segment_row *segs;
    size_t nsegs;
    footprint *fp;
    size_t nfp, capfp;
    sim_heel *heel; /* heel-raise sets, NULL when the profile has none */
    int shank;      /* pods on the shanks, accelerometer only (profile pods.placement) */
    tendo_sim_totals totals;
    char session_id[40];
};

void tendo_sim_options_default(tendo_sim_options *o)
{
    memset(o, 0, sizeof *o);
    o->rate_hz = 1000.0;
    o->seed = 1;
    /* A fixed default start keeps output reproducible: 2026-11-21T07:30:00Z. */
    o->start_time_us = INT64_C(1795246200) * 1000000;
    o->ideal = 0;
}

/* ------------------------------------------------------------ schedule */

static sim_stance *push_stance(foot_track *ft)
{
    sim_stance *grown = tendo_array_reserve(ft->st, &ft->cap, ft->n, sizeof *grown, 256);
    if (!grown)
        return NULL;
    ft->st = grown;
    sim_stance *st = &ft->st[ft->n++];
    memset(st, 0, sizeof *st);
    return st;
}

static int push_footprint(tendo_sim *s, double t_ic, double sdist, double hz)
{
    footprint *fp = tendo_array_reserve(s->fp, &s->capfp, s->nfp, sizeof *fp, 512);
    if (!fp)
        return -1;
    s->fp = fp;
    s->fp[s->nfp++] = (footprint){t_ic, sdist, hz};
    return 0;
}

/* The builder's running state. */
typedef struct builder {
    tendo_sim *s;
    sim_rng rng;
    double B, hx, hz;   /* latest footprint: surface distance, horizontal, height */
    int last_foot;      /* −1 before the first step */
    double t_last;      /* latest initial contact */
    double v;           /* speed of the latest step, 0 at rest */
    int moving;
} builder;

/* Both feet stand (on the floor or in a heel-raise set) in these segments. */
static int standing(tendo_sim_kind kind)
{
    return kind == TENDO_SIM_REST || kind == TENDO_SIM_HEEL_RAISE;
}

static double nominal_step_time(tendo_sim_kind kind, double v)
{
    return 1.0 / tendo_sim_step_freq(kind, v);
}

/* Makes the foot's previous stance end in time for a contact at t_ic. */
static void fit_previous(sim_stance *prev, const sim_stance *next, double swing)
{
    if (prev->resting) {
        double push = next->t_to - next->t_ho;
        prev->t_to = next->t_ic - swing;
        prev->t_ho = prev->t_to - push;
        prev->resting = 1;
        return;
    }
    /* A shorter stride after a change of gait: keep a usable swing. */
    double min_swing = 0.6 * swing;
    if (next->t_ic - prev->t_to < min_swing) {
        double to = fmax(next->t_ic - min_swing, prev->t_ff + 0.04);
        double share = (prev->t_ho - prev->t_ff) / (prev->t_to - prev->t_ff);
        prev->t_ho = prev->t_ff + share * (to - prev->t_ff);
        prev->t_to = to;
    }
}

/* Adds a step of `foot` landing step_len further along the surface. */
static int add_step(builder *b, int foot, const tendo_sim_segment *seg, double v,
                    double step_time, double t_ic, double step_len)
{
    tendo_sim *s = b->s;
    foot_track *ft = &s->foot[foot];
    sim_stance *st = push_stance(ft);
    if (!st)
        return -1;
    sim_stance *prev = &ft->st[ft->n - 2]; /* the initial stance is always there */
    st->t_ic = t_ic;
    sim_stance_params(st, seg->kind, seg->strike, v, s->leg, step_time);
    double k = 1.0 / sqrt(1.0 + seg->grade * seg->grade);
    b->B += step_len;
    b->hx += step_len * k;
    b->hz += step_len * seg->grade * k;
    st->s = b->B;
    st->hx = b->hx;
    st->hz = b->hz;
    st->grade = seg->grade;
    st->step_len = step_len;
    double swing = sim_swing_duration(seg->kind, v, s->leg) * step_time /
                   nominal_step_time(seg->kind, v);
    fit_previous(prev, st, swing);
    b->last_foot = foot;
    b->t_last = t_ic;
    b->v = v;
    return push_footprint(s, t_ic, b->B, b->hz);
}

/* Stops: the foot that stepped last stays down, the other closes beside it. */
static int close_bout(builder *b, const tendo_sim_segment *prev_seg)
{
    tendo_sim *s = b->s;
    foot_track *stay = &s->foot[b->last_foot];
    sim_stance *last = &stay->st[stay->n - 1];
    last->resting = 1;
    last->t_ho = last->t_to = INFINITY;
    double step_time = nominal_step_time(prev_seg->kind, b->v);
    if (add_step(b, 1 - b->last_foot, prev_seg, b->v, step_time, b->t_last + step_time, 0.0))
        return -1;
    foot_track *ft = &s->foot[b->last_foot];
    sim_stance *closing = &ft->st[ft->n - 1];
    closing->resting = 1;
    closing->t_ho = closing->t_to = INFINITY;
    b->moving = 0;
    b->v = 0.0;
    return 0;
}

/* Speed of the next step: towards the target at ≤ MAX_ACCEL, inside the
 * range the kind's regressions hold for. */
static double next_speed(const builder *b, const tendo_sim_segment *seg)
{
    double step = nominal_step_time(seg->kind, seg->speed_mps);
    double v = b->v;
    double dv = MAX_ACCEL * step;
    v = seg->speed_mps > v ? fmin(seg->speed_mps, v + dv) : fmax(seg->speed_mps, v - dv);
    if (seg->kind == TENDO_SIM_RUN)
        v = fmax(v, fmin(RUN_MIN_SPEED, seg->speed_mps));
    else
        v = fmin(v, WALK_MAX_SPEED);
    return fmax(v, 0.3);
}

static double jittered(builder *b, double nominal)
{
    double z = fmax(-3.0, fmin(3.0, rng_normal(&b->rng)));
    return nominal * (1.0 + STEP_TIME_CV * z);
}

/* Starts moving at T0 from standing: heel-off at T0, then the first swing. */
static int start_bout(builder *b, const tendo_sim_segment *seg, double T0)
{
    int foot = b->last_foot < 0 ? 0 : 1 - b->last_foot;
    double v = next_speed(b, seg);
    double step_time = jittered(b, nominal_step_time(seg->kind, v));
    sim_stance probe = {0};
    sim_stance_params(&probe, seg->kind, seg->strike, v, b->s->leg, step_time);
    double push = probe.t_to - probe.t_ho;
    double swing = sim_swing_duration(seg->kind, v, b->s->leg) * step_time /
                   nominal_step_time(seg->kind, v);
    b->moving = 1;
    return add_step(b, foot, seg, v, step_time, T0 + push + swing, v * step_time);
}

/* Steps through one walk/run segment until the next contact would fall at
 * or after `until`. Before a rest, room is kept for the closing step and
 * for the sole to settle flat, so the person stands still for the whole
 * rest segment. */
static int walk_segment(builder *b, const tendo_sim_segment *seg, double until, int rest_next)
{
    for (;;) {
        double v = next_speed(b, seg);
        double step_time = jittered(b, nominal_step_time(seg->kind, v));
        double t_ic = b->t_last + step_time;
        double limit = rest_next ? until - nominal_step_time(seg->kind, v) * (1.0 + 3.0 * STEP_TIME_CV) -
                                       SETTLE_S
                                 : until;
        if (t_ic >= limit)
            return 0;
        if (add_step(b, 1 - b->last_foot, seg, v, step_time, t_ic, v * step_time))
            return -1;
    }
}

static int build_schedule(tendo_sim *s, const tendo_sim_profile *p)
{
    builder b = {.s = s, .rng = rng_stream(s->opt.seed, TAG_SCHEDULE), .last_foot = -1,
                 .t_last = -INFINITY};
    for (int f = 0; f < TENDO_SIM_PODS; f++) {
        sim_stance *st = push_stance(&s->foot[f]);
        if (!st)
            return -1;
        st->t_ic = st->t_ff = -INFINITY;
        st->t_ho = st->t_to = INFINITY;
        st->grade = p->seg[0].grade;
        st->kind = TENDO_SIM_REST;
        st->resting = 1;
    }
    double t0 = 0.0;
    const tendo_sim_segment *moving_seg = NULL;
    for (size_t i = 0; i < p->nseg; i++) {
        const tendo_sim_segment *seg = &p->seg[i];
        double t1 = t0 + seg->duration_s;
        if (standing(seg->kind)) {
            if (b.moving && close_bout(&b, moving_seg))
                return -1;
        } else {
            if (!b.moving) {
                double T0 = t0;
                if (b.last_foot >= 0) { /* let the closing step settle first */
                    const foot_track *ft = &s->foot[b.last_foot];
                    T0 = fmax(T0, ft->st[ft->n - 1].t_ff + SETTLE_S);
                }
                if (start_bout(&b, seg, T0))
                    return -1;
            }
            moving_seg = seg;
            int last = i + 1 == p->nseg;
            int rest_next = !last && standing(p->seg[i + 1].kind);
            if (walk_segment(&b, seg, last ? t1 + TAIL_S : t1, rest_next))
                return -1;
        }
        t0 = t1;
    }
    return 0;
}

/* ---------------------------------------------------------- foot pose */

/* Index of the stance in force at t: the last with t_ic <= t. */
static size_t find_stance(const foot_track *ft, double t, size_t hint)
{
    size_t j = hint < ft->n ? hint : 0;
    if (ft->st[j].t_ic > t)
        j = 0;
    while (j + 1 < ft->n && ft->st[j + 1].t_ic <= t)
        j++;
    return j;
}

static void foot_pose(const tendo_sim *s, int f, double t, size_t j, sim_swing *cache,
                      size_t *cache_of, sim_pose *out)
{
    const foot_track *ft = &s->foot[f];
    const sim_stance *st = &ft->st[j];
    if (t <= st->t_to || j + 1 >= ft->n) {
        if (s->heel && st->resting && t < st->t_ho &&
            sim_heel_pose(s->heel, f, t, st, s->heading, s->lateral[f], out))
            return;
        sim_stance_eval(st, s->heading, s->lateral[f], fmin(t, st->t_to), out);
        return;
    }
    if (*cache_of != j) {
        sim_swing_init(cache, st, &ft->st[j + 1], s->heading, s->lateral[f], f == 0 ? 1.0 : -1.0);
        *cache_of = j;
    }
    sim_swing_eval(cache, t, out);
}

void tendo_sim_truth_pose(const tendo_sim *s, size_t pod, double t, double pos[3], double vel[3],
                          double R_ws[9])
{
    int f = (int)pod;
    size_t j = find_stance(&s->foot[f], t, 0);
    sim_swing sw;
    size_t of = SIZE_MAX;
    sim_pose ps;
    foot_pose(s, f, t, j, &sw, &of, &ps);
    double R[9];
    sim_pose_rotation(&ps, s->heading, R, NULL);
    const double *M = s->pod[f].info.mounting;
    for (int k = 0; k < 3; k++) {
        pos[k] = ps.p[k].v;
        if (vel)
            vel[k] = ps.p[k].d;
    }
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 3; c++) {
            double a = 0;
            for (int k = 0; k < 3; k++)
                a += R[3 * i + k] * M[3 * k + c];
            R_ws[3 * i + c] = a;
        }
}

/* ---------------------------------------------------------------- pods */

/* Rz(yaw)·Ry(pitch)·Rx(roll), standard right-handed rotations. */
static void euler_zyx(const double deg[3], double M[9])
{
    double r = deg[0] * DEG, p = deg[1] * DEG, y = deg[2] * DEG;
    double cr = cos(r), sr = sin(r), cp = cos(p), sp = sin(p), cy = cos(y), sy = sin(y);
    double m[9] = {cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
                   sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
                   -sp,     cp * sr,                cp * cr};
    memcpy(M, m, sizeof m);
}

/* Sensor error figures: TDK InvenSense ICM-42688-P datasheet (DS-000347,
 * 2021): noise densities 70 µg/√Hz and 2.8 mdps/√Hz, taken over a
 * bandwidth of half the sample rate. Initial offsets ±20 mg and ±0.5 °/s
 * and sensitivity errors ±0.5 % are the usual order of consumer MEMS
 * tolerances (model choice within those bounds). Clock: pod crystals
 * drift tens of ppm (±50 ppm here), start offsets up to 1 s (model choice). */
#define ACCEL_NOISE_DENSITY (70e-6 * TENDO_SIM_GRAVITY)
#define GYRO_NOISE_DENSITY (2.8e-3 * DEG)
#define ACCEL_BIAS_MAX (0.020 * TENDO_SIM_GRAVITY)
#define GYRO_BIAS_MAX (0.5 * DEG)
#define SCALE_ERR_MAX 0.005
#define DRIFT_PPM_MAX 50.0
#define START_OFFSET_MAX 1.0

static void init_pod(tendo_sim *s, const tendo_sim_profile *p, int f)
{
    pod_state *ps = &s->pod[f];
    tendo_sim_pod_info *in = &ps->info;
    sim_rng r = rng_stream(s->opt.seed, TAG_POD + 16 * (uint64_t)(f + 1));
    memset(ps, 0, sizeof *ps);
    snprintf(in->serial, sizeof in->serial, "TS-%c%06X", f == 0 ? 'L' : 'R',
             (unsigned)(rng_next(&r) & 0xFFFFFF));
    in->side = f;
    if (p->pods.has_mounting[f]) {
        memcpy(in->mounting_deg, p->pods.mounting_deg[f], sizeof in->mounting_deg);
    } else { /* a pod clipped to the laces, at any heading, tilted (model choice) */
        in->mounting_deg[0] = rng_range(&r, -20.0, 20.0);
        in->mounting_deg[1] = rng_range(&r, -30.0, 30.0);
        in->mounting_deg[2] = rng_range(&r, -180.0, 180.0);
    }
    euler_zyx(in->mounting_deg, in->mounting);
    int ideal = s->opt.ideal;
    in->drift_ppm = ideal ? 0.0 : rng_range(&r, -DRIFT_PPM_MAX, DRIFT_PPM_MAX);
    in->start_offset_s = ideal ? 0.0 : rng_range(&r, 0.0, START_OFFSET_MAX);
    for (int k = 0; k < 3; k++) {
        in->accel_bias[k] = ideal ? 0.0 : rng_range(&r, -ACCEL_BIAS_MAX, ACCEL_BIAS_MAX);
        in->gyro_bias[k] = ideal ? 0.0 : rng_range(&r, -GYRO_BIAS_MAX, GYRO_BIAS_MAX);
        in->accel_scale[k] = 1.0 + (ideal ? 0.0 : rng_range(&r, -SCALE_ERR_MAX, SCALE_ERR_MAX));
        in->gyro_scale[k] = 1.0 + (ideal ? 0.0 : rng_range(&r, -SCALE_ERR_MAX, SCALE_ERR_MAX));
    }
    double bw = sqrt(0.5 * s->opt.rate_hz);
    in->accel_noise_sd = ideal ? 0.0 : ACCEL_NOISE_DENSITY * bw;
    in->gyro_noise_sd = ideal ? 0.0 : GYRO_NOISE_DENSITY * bw;
    in->accel_range = p->pods.accel_range_g * TENDO_SIM_GRAVITY;
    in->gyro_range = p->pods.gyro_range_dps * DEG;

    ps->period = 1.0 / (s->opt.rate_hz * (1.0 + in->drift_ppm * 1e-6));
    double span = s->duration - in->start_offset_s;
    int64_t n = span > 0 ? (int64_t)ceil(span / ps->period) : 0;
    while (n > 0 && in->start_offset_s + (double)(n - 1) * ps->period >= s->duration)
        n--;
    in->samples = n;
    ps->noise_start = rng_stream(s->opt.seed, TAG_NOISE + 16 * (uint64_t)(f + 1));
    ps->noise = ps->noise_start;
    ps->swing_of = SIZE_MAX;
}

const tendo_sim_pod_info *tendo_sim_pod(const tendo_sim *s, size_t pod)
{
    return pod < TENDO_SIM_PODS ? &s->pod[pod].info : NULL;
}

const char *tendo_sim_session_id(const tendo_sim *s)
{
    return s->session_id;
}

void tendo_sim_rewind(tendo_sim *s, size_t pod)
{
    pod_state *ps = &s->pod[pod];
    ps->next_n = 0;
    ps->cur = 0;
    ps->swing_of = SIZE_MAX;
    ps->noise = ps->noise_start;
}

/* Exact specific force and rate in the sensor frame at instant t. */
static void exact(tendo_sim *s, int f, double t, double acc[3], double gyr[3])
{
    pod_state *ps = &s->pod[f];
    const tendo_sim_pod_info *in = &ps->info;
    ps->cur = find_stance(&s->foot[f], t, ps->cur);
    sim_pose pose;
    foot_pose(s, f, t, ps->cur, &ps->swing, &ps->swing_of, &pose);
    if (s->shank) { /* the pod sits on the shank above this foot */
        const foot_track *ft = &s->foot[f];
        const sim_stance *st = &ft->st[ps->cur];
        const sim_stance *nx = ps->cur + 1 < ft->n ? &ft->st[ps->cur + 1] : NULL;
        sim_pose foot = pose;
        sim_shank_pose(st, nx, !(t <= st->t_to || !nx), &foot, t, s->heading, &pose);
    }
    double R[9], w[3];
    sim_pose_rotation(&pose, s->heading, R, w);
    double fw[3] = {pose.p[0].dd, pose.p[1].dd, pose.p[2].dd + TENDO_SIM_GRAVITY};
    double ff[3];
    for (int c = 0; c < 3; c++) /* foot frame: R^T · f_world */
        ff[c] = R[c] * fw[0] + R[3 + c] * fw[1] + R[6 + c] * fw[2];
    const double *M = in->mounting;
    for (int c = 0; c < 3; c++) { /* sensor frame: M^T · v_foot */
        acc[c] = M[c] * ff[0] + M[3 + c] * ff[1] + M[6 + c] * ff[2];
        gyr[c] = M[c] * w[0] + M[3 + c] * w[1] + M[6 + c] * w[2];
    }
}

/* Anti-alias filter: a sample is the mean of the exact signal over its own
 * sample interval, centred on its timestamp (an integrate-and-dump, the
 * first-order sinc of a sigma-delta decimator: -3 dB at 0.443 of the output
 * rate, as a MEMS IMU's widest "ODR/2" low-pass setting, e.g. TDK
 * ICM-42688-P DS-000347 ACCEL_UI_FILT_BW = 0; tools/SIMULATOR.md). It keeps
 * the integral: the samples of an impact sum to its velocity change at any
 * rate, as a real sensor's do, where point samples of a pulse shorter than
 * the interval do not. The mean is taken by two-point Gauss-Legendre on
 * pieces of at most AA_SUB_S, split at the stance's phase changes (contact,
 * sole flat, heel-off, toe-off), where the model's derivatives jump: exact
 * for cubics, ~1e-5 g on a 5 ms impact. The filter's group delay is not
 * modelled (the timestamps are the windows' centres). */
#define AA_SUB_S 1e-3

static void add_piece(tendo_sim *s, int f, double a, double b, double acc[3], double gyr[3])
{
    int m = (int)ceil((b - a) / AA_SUB_S - 1e-9);
    m = m < 1 ? 1 : m;
    double h = (b - a) / m, off = 0.5 * h / sqrt(3.0); /* nodes at ±h/(2√3) */
    for (int j = 0; j < m; j++) {
        double mid = a + (j + 0.5) * h;
        for (int q = -1; q <= 1; q += 2) {
            double x[3], g[3];
            exact(s, f, mid + q * off, x, g);
            for (int c = 0; c < 3; c++) {
                acc[c] += 0.5 * h * x[c];
                gyr[c] += 0.5 * h * g[c];
            }
        }
    }
}

static uint8_t sample(tendo_sim *s, int f, double t, double acc[3], double gyr[3])
{
    pod_state *ps = &s->pod[f];
    const tendo_sim_pod_info *in = &ps->info;
    const foot_track *ft = &s->foot[f];
    double lo = t - 0.5 * ps->period, hi = t + 0.5 * ps->period;
    double cut[13];
    int nc = 0;
    size_t j = find_stance(ft, lo, ps->cur);
    for (size_t k = j > 0 ? j - 1 : 0; k < ft->n && k <= j + 1; k++) {
        const double e[4] = {ft->st[k].t_ic, ft->st[k].t_ff, ft->st[k].t_ho, ft->st[k].t_to};
        for (int q = 0; q < 4; q++)
            if (e[q] > lo && e[q] < hi) { /* insertion: the cuts stay in time order */
                int at = nc++;
                while (at > 0 && cut[at - 1] > e[q]) {
                    cut[at] = cut[at - 1];
                    at--;
                }
                cut[at] = e[q];
            }
    }
    cut[nc++] = hi;
    for (int c = 0; c < 3; c++)
        acc[c] = gyr[c] = 0.0;
    double a = lo;
    for (int k = 0; k < nc; k++) {
        if (cut[k] > a)
            add_piece(s, f, a, cut[k], acc, gyr);
        a = cut[k];
    }
    for (int c = 0; c < 3; c++) {
        acc[c] /= ps->period;
        gyr[c] /= ps->period;
    }
    if (!s->opt.ideal) {
        double z[6];
        rng_normal2(&ps->noise, &z[0], &z[1]);
        rng_normal2(&ps->noise, &z[2], &z[3]);
        rng_normal2(&ps->noise, &z[4], &z[5]);
        for (int c = 0; c < 3; c++) {
            acc[c] = acc[c] * in->accel_scale[c] + in->accel_bias[c] + in->accel_noise_sd * z[c];
            gyr[c] = gyr[c] * in->gyro_scale[c] + in->gyro_bias[c] + in->gyro_noise_sd * z[3 + c];
        }
    }
    uint8_t status = 0;
    for (int c = 0; c < 3; c++) {
        if (fabs(acc[c]) >= in->accel_range) {
            acc[c] = copysign(in->accel_range, acc[c]);
            status |= TENDO_STATUS_ACCEL_CLIPPED;
        }
        if (fabs(gyr[c]) >= in->gyro_range) {
            gyr[c] = copysign(in->gyro_range, gyr[c]);
            status |= TENDO_STATUS_GYRO_CLIPPED;
        }
    }
    return status;
}

size_t tendo_sim_next(tendo_sim *s, size_t pod, size_t max_n, const tendo_sim_block *blk)
{
    if (pod >= TENDO_SIM_PODS)
        return 0;
    pod_state *ps = &s->pod[pod];
    size_t i = 0;
    for (; i < max_n && ps->next_n < ps->info.samples; i++, ps->next_n++) {
        double t = ps->info.start_offset_s + (double)ps->next_n * ps->period;
        double a[3], g[3];
        uint8_t st = sample(s, (int)pod, t, a, g);
        if (blk->time_us)
            blk->time_us[i] = s->opt.start_time_us + llround(t * 1e6);
        if (blk->t_s)
            blk->t_s[i] = t;
        if (blk->accel)
            memcpy(&blk->accel[3 * i], a, sizeof a);
        if (blk->gyro)
            memcpy(&blk->gyro[3 * i], g, sizeof g);
        if (blk->status)
            blk->status[i] = st;
    }
    return i;
}

void tendo_sim_to_int16(const double *si, size_t count, double conversion, int16_t *out)
{
    for (size_t i = 0; i < count; i++) {
        double c = nearbyint(si[i] / conversion);
        out[i] = (int16_t)(c > 32767.0 ? 32767.0 : c < -32768.0 ? -32768.0 : c);
    }
}

/* --------------------------------------------------------------- truth */

static void copy_name(char dst[16], const char *src)
{
    memset(dst, 0, 16);
    strncpy(dst, src, 15);
}

/* One row per contact that starts inside the recording. */
static int build_rows(tendo_sim *s, int f)
{
    const foot_track *ft = &s->foot[f];
    double D = s->duration;
    s->rows[f] = calloc(ft->n ? ft->n : 1, sizeof(tendo_sim_step));
    if (!s->rows[f])
        return -1;
    size_t n = 0;
    for (size_t j = 1; j < ft->n; j++) {
        const sim_stance *st = &ft->st[j];
        if (st->t_ic >= D)
            break;
        const sim_stance *nx = j + 1 < ft->n && ft->st[j + 1].t_ic < D ? &ft->st[j + 1] : NULL;
        tendo_sim_step *r = &s->rows[f][n++];
        r->ic_s = st->t_ic;
        r->to_s = isfinite(st->t_to) && st->t_to < D ? st->t_to : NAN;
        r->gct_ms = st->resting || !isfinite(r->to_s) ? NAN : 1000.0 * (st->t_to - st->t_ic);
        r->stride_s = nx && !st->resting ? nx->t_ic - st->t_ic : NAN;
        r->speed_mps = st->speed;
        r->grade = st->grade;
        r->stride_len_m = nx ? nx->s - st->s : NAN;
        r->dz_m = nx ? nx->hz - st->hz : NAN;
        copy_name(r->kind, tendo_sim_kind_name(st->kind));
        copy_name(r->footstrike, tendo_sim_strike_name(st->strike));
        r->flat_start_s = fmax(st->t_ff, st->t_ic + 6.0 * st->imp_tau);
        r->flat_end_s = isfinite(st->t_ho) && st->t_ho < D ? st->t_ho : NAN;
        r->impact_g = s->shank ? sim_shank_shock_g(st) : st->impact_g;
    }
    s->nrows[f] = n;
    return 0;
}

static int build_segments(tendo_sim *s, const tendo_sim_profile *p)
{
    s->segs = calloc(p->nseg, sizeof *s->segs);
    if (!s->segs)
        return -1;
    double t = 0.0;
    for (size_t i = 0; i < p->nseg; i++) {
        const tendo_sim_segment *g = &p->seg[i];
        tendo_sim_segment_row *r = &s->segs[i];
        r->start_s = t;
        t += g->duration_s;
        r->end_s = t;
        copy_name(r->kind, tendo_sim_kind_name(g->kind));
        r->speed_mps = standing(g->kind) ? 0.0 : g->speed_mps;
        r->grade = g->grade;
        copy_name(r->footstrike, standing(g->kind) ? "" : tendo_sim_strike_name(g->strike));
    }
    s->nsegs = p->nseg;
    return 0;
}

static void build_totals(tendo_sim *s)
{
    tendo_sim_totals *t = &s->totals;
    t->duration_s = s->duration;
    double z = 0.0;
    for (size_t i = 0; i < s->nfp && s->fp[i].t_ic < s->duration; i++) {
        double dz = s->fp[i].hz - z;
        if (dz > 0)
            t->ascent_m += dz;
        else
            t->descent_m -= dz;
        z = s->fp[i].hz;
        t->distance_m = s->fp[i].s;
    }
}

/* Each heel raise's pod rise, from the true pose at its start and top. */
static void heel_truth_rise(tendo_sim *s)
{
    for (int f = 0; f < TENDO_SIM_PODS; f++) {
        const tendo_sim_heel_rep *rows;
        size_t n = sim_heel_reps(s->heel, f, &rows);
        for (size_t i = 0; i < n; i++) {
            double p0[3], p1[3], R[9];
            tendo_sim_truth_pose(s, (size_t)f, rows[i].start_s, p0, NULL, R);
            tendo_sim_truth_pose(s, (size_t)f, rows[i].top_s, p1, NULL, R);
            sim_heel_set_rise(s->heel, f, i, p1[2] - p0[2]);
        }
    }
}

static void make_session_id(tendo_sim *s)
{
    sim_rng r = rng_stream(s->opt.seed, TAG_ID);
    uint8_t b[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t x = rng_next(&r);
        for (int k = 0; k < 8; k++)
            b[i + k] = (uint8_t)(x >> (8 * k));
    }
    tendo_session_id_format(b, s->session_id); /* seeded, in the version-4 layout */
}

int tendo_sim_create(tendo_sim **out, const tendo_sim_profile *p, const tendo_sim_options *opt,
                     tendo_error *err)
{
    *out = NULL;
    if (!(opt->rate_hz >= TENDO_SIM_RATE_MIN && opt->rate_hz <= TENDO_SIM_RATE_MAX))
        return tendo_error_set(err, TENDO_EUSAGE, "sample rate %g Hz is outside %g–%g Hz",
                               opt->rate_hz, TENDO_SIM_RATE_MIN, TENDO_SIM_RATE_MAX);
    int rc = tendo_sim_profile_check(p, "profile", err);
    if (rc)
        return rc;
    tendo_sim *s = calloc(1, sizeof *s);
    if (!s)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory creating the simulator");
    s->opt = *opt;
    s->duration = tendo_sim_profile_duration(p);
    s->leg = p->leg_length_m;
    s->shank = p->pods.shank;
    if (isfinite(p->heading_deg)) {
        s->heading = p->heading_deg * DEG;
    } else {
        sim_rng r = rng_stream(opt->seed, TAG_HEADING);
        s->heading = rng_range(&r, 0.0, 2.0 * M_PI);
    }
    s->lateral[0] = HALF_STEP_WIDTH;
    s->lateral[1] = -HALF_STEP_WIDTH;
    make_session_id(s);
    for (int f = 0; f < TENDO_SIM_PODS; f++)
        init_pod(s, p, f);
    if (build_schedule(s, p) || build_rows(s, 0) || build_rows(s, 1) || build_segments(s, p)) {
        tendo_sim_free(s);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory building the step schedule");
    }
    build_totals(s);
    if (sim_heel_build(&s->heel, p, opt->seed)) {
        tendo_sim_free(s);
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory planning the heel raises");
    }
    heel_truth_rise(s);
    *out = s;
    return TENDO_OK;
}

void tendo_sim_free(tendo_sim *s)
{
    if (!s)
        return;
    for (int f = 0; f < TENDO_SIM_PODS; f++) {
        free(s->foot[f].st);
        free(s->rows[f]);
    }
    free(s->segs);
    free(s->fp);
    sim_heel_free(s->heel);
    free(s);
}

size_t tendo_sim_steps(const tendo_sim *s, size_t pod, const tendo_sim_step **rows)
{
    if (pod >= TENDO_SIM_PODS) {
        *rows = NULL;
        return 0;
    }
    *rows = s->rows[pod];
    return s->nrows[pod];
}

size_t tendo_sim_segments(const tendo_sim *s, const tendo_sim_segment_row **rows)
{
    *rows = s->segs;
    return s->nsegs;
}

size_t tendo_sim_heel_reps(const tendo_sim *s, size_t pod, const tendo_sim_heel_rep **rows)
{
    if (pod >= TENDO_SIM_PODS) {
        *rows = NULL;
        return 0;
    }
    return sim_heel_reps(s->heel, (int)pod, rows);
}

void tendo_sim_get_totals(const tendo_sim *s, tendo_sim_totals *t)
{
    *t = s->totals;
}
