/*
 * capacity.c — heel raises from a foot pod: count them and measure the
 * heel's height in each (the single-leg heel-rise test, analysis/MODELS.md).
 *
 * The foot rotates about the ball in a heel raise, so the heel's height is
 * lever · sin θ, θ the sole's angle to the floor (the geometry of the
 * heel-rise test: Lunsford & Perry, Phys Ther 75:694, 1995, define the
 * rise by the heel's lift; Silbernagel et al. 2010 measure it with a linear
 * encoder at the heel). θ comes from the gyroscope, which measures rotation
 * whatever the mounting and drifts only ~0.1° over a minute once its bias
 * is known:
 *   1. Reference: the first still period of at least 1 s (standing before
 *      the test) gives the gyro bias (its mean rate) and the standing "up"
 *      in the sensor frame (its mean specific force), as in the
 *      zero-velocity calibration of foot-IMU pipelines (Skog et al. 2010).
 *   2. Tilt: the up vector is carried through time by the bias-corrected
 *      gyro (a world-fixed direction turns by −ω in the body frame); θ is
 *      its angle to the standing up. Each still period of 0.5 s or more on
 *      the floor corrects the up vector's drift by the measured gravity
 *      (mean specific force minus mean carried up vector over the period, so
 *      rotation at its edges does not leak in) and refreshes the bias; the
 *      accelerometer's own bias is then the same as at the reference, so
 *      heights stay gyro-only. Short pauses between repetitions do not
 *      anchor to gravity (accelerations at the start of a rise would tilt
 *      it): the foot is back on the floor, so a quiet sample there resets
 *      the up vector to the last anchored floor pose. Each repetition's
 *      angle is then integrated over a couple of seconds only, which keeps
 *      a coarse gyro (int16 at low rates, bias known to ±half a count)
 *      within ~0.1°.
 *   3. Repetitions: an excursion of θ from below 2° to above the angle of
 *      the smallest counted rise and back below 2°, from a still foot to a
 *      still foot.
 *   4. Each excursion is integrated by zero-velocity-aided strapdown (the
 *      gait module's an_stride_integrate: the foot is still on the floor and
 *      momentarily at rest at the top): a heel raise lifts the pod and
 *      brings it back where it was. Excursions that travel (steps, strides)
 *      or do not lift the pod, last longer than a repetition (a foot held up
 *      while the other works) or turn further than a heel raise can, are not
 *      counted.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "an_gait.h"
#include "an_internal.h"
#include "tendo_array.h"
#include "tendo_capacity.h"

#define DEG (M_PI / 180.0)

/* Still: |ω| below 0.05 rad/s (2.9 °/s; sensor noise is ~0.06 °/s, bias
 * ≤ 0.5 °/s; a heel raise turns at tens of °/s) and |a| within 0.5 m/s² of
 * g (bias and scale errors ≤ ~0.25 m/s²). */
#define STILL_GYRO 0.05
#define STILL_ACC  0.5
/* Quiet: |ω| below 0.01 rad/s (0.6 °/s, a few times the noise). A heel
 * raise starts so gently that its first tens of ms still count as "still";
 * its strapdown starts at the last quiet sample, where the pod is at rest
 * within ~1 mm/s. */
#define QUIET_GYRO 0.01
/* The reference standing period: at least 1 s, averaged up to 5 s. The
 * first and last EDGE_S of every still period are left out of its means:
 * a movement starts and ends so gently that its first and last tens of ms
 * pass as still, with the accelerations that tilt the measured gravity. */
#define REF_MIN_S 1.0
#define REF_MAX_S 5.0
#define EDGE_S    0.25
/* Back on the floor: sole within 2° of standing. */
#define FLAT_RAD (2.0 * DEG)
/* Still runs on the floor this long re-anchor the up vector to gravity. */
#define ANCHOR_MIN_S 1.0
/* A repetition lasts 0.3 s at least (a metronome rep is ~2 s); the still
 * sample that starts it is looked for up to PRE_S back, the one that ends it
 * up to POST_S after the sole is flat again. */
#define MIN_REP_S 0.3
#define PRE_S     1.0
#define POST_S    1.0
/* Mean specific force for the strapdown start over 20 ms of the floor. */
#define A0_S 0.02
/* A heel raise turns the sole at most ~60° (plantarflexion range); 70°
 * leaves margin. The pod returns within 5 cm of where it started and rises
 * at least 3 mm (a 2 cm heel rise lifts a pod on the laces ~7 mm). */
#define MAX_ANGLE      (70.0 * DEG)
#define MAX_TRAVEL_M   0.05
#define MIN_POD_RISE_M 0.003
/* Turning about the ball, a pod rises at most (its distance from the ball)
 * · sin θ, and no pod on a shoe is more than ~0.25 m from the ball; a foot
 * lifted off the floor (bent knee) rises far more for its tilt. 2 cm of
 * margin covers the strapdown's error. */
#define MAX_POD_LEVER_M 0.25
#define RISE_MARGIN_M   0.02

enum state { IDLE, UP, DOWN, SKIP };

struct tendo_an_capacity {
    double fs, dt, lever, hi_rad;
    size_t cap, pre_n, post_n, max_n, a0_n, ref_min_n, ref_max_n, anchor_n, edge_n;
    /* sample window: absolute index of buf[0] is base, len samples */
    float *acc, *gyro, *scratch;
    double *tilt;
    uint8_t *still;
    int64_t base;
    size_t len;
    int64_t next; /* absolute index of the next sample */
    /* reference and tracking */
    int have_ref;
    double bias[3], up_ref[3], up[3], up_floor[3], g_ref;
    /* the current still run */
    size_t run_len;    /* samples in the current still run */
    size_t run_used;   /* of them in the sums (past the first edge) */
    double run_sum[9]; /* Σ accel, gyro, carried up over the used samples */
    double *ring;      /* the last edge_n used samples' 9 values */
    /* repetition detector */
    enum state st;
    int64_t last_still, last_quiet, last_low, start, peak_i, low_i;
    double peak;
    /* completed repetitions, read from `head` */
    tendo_an_heel_raise *reps;
    size_t nreps, capreps, head;
    tendo_an_capacity_stats stats;
};

int tendo_an_capacity_new(tendo_an_capacity **out, const tendo_an_capacity_options *opt,
                          tendo_error *err)
{
    *out = NULL;
    if (!opt || !(opt->fs_hz >= 100.0 && opt->fs_hz <= 2000.0))
        return tendo_error_set(err, TENDO_EUSAGE, "capacity: sample rate %g Hz is outside 100–2000",
                               opt ? opt->fs_hz : 0.0);
    double lever = opt->lever_m > 0 ? opt->lever_m : TENDO_AN_CAPACITY_LEVER_M;
    double minh = opt->min_height_m > 0 ? opt->min_height_m : TENDO_AN_CAPACITY_MIN_HEIGHT_M;
    if (!(lever >= 0.08 && lever <= 0.30))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "capacity: heel-to-ball lever %g m is outside 0.08–0.30 m", lever);
    if (!(minh < lever * sin(MAX_ANGLE)))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "capacity: smallest rise %g m is out of reach of a %g m lever", minh,
                               lever);
    tendo_an_capacity *c = calloc(1, sizeof *c);
    if (!c)
        return tendo_error_set(err, TENDO_EINTERNAL, "capacity: out of memory");
    c->fs = opt->fs_hz;
    c->dt = 1.0 / c->fs;
    c->lever = lever;
    c->hi_rad = asin(minh / lever);
    c->pre_n = (size_t)ceil(PRE_S * c->fs);
    c->post_n = (size_t)ceil(POST_S * c->fs);
    c->max_n = (size_t)ceil(TENDO_AN_CAPACITY_MAX_REP_S * c->fs);
    c->a0_n = (size_t)ceil(A0_S * c->fs);
    c->ref_min_n = (size_t)ceil(REF_MIN_S * c->fs);
    c->ref_max_n = (size_t)ceil(REF_MAX_S * c->fs);
    c->anchor_n = (size_t)ceil(ANCHOR_MIN_S * c->fs);
    c->edge_n = (size_t)ceil(EDGE_S * c->fs);
    c->cap = c->pre_n + c->max_n + c->post_n + c->a0_n + 16;
    c->acc = malloc(3 * c->cap * sizeof *c->acc);
    c->gyro = malloc(3 * c->cap * sizeof *c->gyro);
    c->scratch = malloc(3 * c->cap * sizeof *c->scratch);
    c->tilt = malloc(c->cap * sizeof *c->tilt);
    c->still = malloc(c->cap);
    c->ring = malloc(9 * c->edge_n * sizeof *c->ring);
    if (!c->acc || !c->gyro || !c->scratch || !c->tilt || !c->still || !c->ring) {
        tendo_an_capacity_free(c);
        return tendo_error_set(err, TENDO_EINTERNAL, "capacity: out of memory");
    }
    c->last_still = c->last_quiet = c->last_low = -1;
    c->st = IDLE;
    *out = c;
    return TENDO_OK;
}

void tendo_an_capacity_free(tendo_an_capacity *c)
{
    if (!c)
        return;
    free(c->acc);
    free(c->gyro);
    free(c->scratch);
    free(c->tilt);
    free(c->still);
    free(c->ring);
    free(c->reps);
    free(c);
}

const tendo_an_capacity_stats *tendo_an_capacity_get_stats(const tendo_an_capacity *c)
{
    return &c->stats;
}

int tendo_an_capacity_next(tendo_an_capacity *c, tendo_an_heel_raise *out)
{
    if (c->head >= c->nreps)
        return 0;
    *out = c->reps[c->head++];
    return 1;
}

/* Buffer position of absolute sample i (which must be in the window). */
static size_t pos(const tendo_an_capacity *c, int64_t i)
{
    return (size_t)(i - c->base);
}

/* ------------------------------------------------------------ evaluation */

/* Integrates samples [i0, i1] (bias-corrected) by zero-velocity strapdown;
 * a0 is the mean specific force on the floor before i0. */
static int integrate(tendo_an_capacity *c, int64_t i0, int64_t i1, const double *a0, double *len_m,
                     double *dz_m)
{
    size_t p0 = pos(c, i0), n = (size_t)(i1 - i0) + 1;
    for (size_t k = 0; k < n; k++)
        for (int j = 0; j < 3; j++)
            c->scratch[3 * k + j] = (float)(c->gyro[3 * (p0 + k) + j] - c->bias[j]);
    return an_stride_integrate(c->acc + 3 * p0, c->scratch, n, a0, c->fs, NULL, len_m, dz_m, NULL);
}

static int evaluate(tendo_an_capacity *c, int64_t start, int64_t end, tendo_error *err)
{
    if (c->peak < c->hi_rad)
        return TENDO_OK; /* a wobble, not an attempt */
    if ((double)(end - start) * c->dt < MIN_REP_S) {
        c->stats.rejected_short++;
        return TENDO_OK;
    }
    if (c->peak > MAX_ANGLE) {
        c->stats.rejected_angle++;
        return TENDO_OK;
    }
    /* Specific force on the floor: the samples up to the start that lie in
     * the window (the start itself at least). */
    double a0[3] = {0, 0, 0};
    int64_t from = start - (int64_t)c->a0_n + 1;
    if (from < c->base)
        from = c->base;
    for (int64_t i = from; i <= start; i++)
        for (int j = 0; j < 3; j++)
            a0[j] += c->acc[3 * pos(c, i) + j] / (double)(start - from + 1);
    double rise_len, rise, travel, dz_net;
    if (integrate(c, start, c->peak_i, a0, &rise_len, &rise) ||
        integrate(c, start, end, a0, &travel, &dz_net)) {
        c->stats.rejected_travel++;
        return TENDO_OK;
    }
    if (travel > MAX_TRAVEL_M || fabs(dz_net) > MAX_TRAVEL_M) {
        c->stats.rejected_travel++;
        return TENDO_OK;
    }
    if (rise < MIN_POD_RISE_M) {
        c->stats.rejected_no_rise++;
        return TENDO_OK;
    }
    if (rise > MAX_POD_LEVER_M * sin(c->peak) + RISE_MARGIN_M) {
        c->stats.rejected_lifted++;
        return TENDO_OK;
    }
    tendo_an_heel_raise *r = tendo_array_reserve(c->reps, &c->capreps, c->nreps, sizeof *r, 64);
    if (!r)
        return tendo_error_set(err, TENDO_EINTERNAL, "capacity: out of memory");
    c->reps = r;
    c->reps[c->nreps++] = (tendo_an_heel_raise){
        .t_start = (double)start * c->dt,
        .t_top = (double)c->peak_i * c->dt,
        .t_end = (double)end * c->dt,
        .angle_deg = c->peak / DEG,
        .height_m = c->lever * sin(c->peak),
        .pod_rise_m = rise,
        .travel_m = travel,
    };
    c->stats.reps++;
    return TENDO_OK;
}

/* ------------------------------------------------------------ per sample */

/* A still run ended (or reached REF_MAX_S): the first long one is the
 * standing reference; later ones on the floor correct the up vector's
 * drift and refresh the gyro bias. */
static void still_run_done(tendo_an_capacity *c)
{
    if (c->run_len < (c->have_ref ? c->anchor_n : c->ref_min_n))
        return;
    /* Means over the run without its last edge (the ring) */
    double sum[9];
    memcpy(sum, c->run_sum, sizeof sum);
    size_t in_ring = c->run_used < c->edge_n ? c->run_used : c->edge_n;
    for (size_t k = 0; k < in_ring; k++)
        for (int j = 0; j < 9; j++)
            sum[j] -= c->ring[9 * k + j];
    if (c->run_used <= in_ring)
        return;
    double n = (double)(c->run_used - in_ring), m[3];
    for (int j = 0; j < 3; j++)
        m[j] = sum[j] / n;
    double g = an_norm(m);
    if (!(g > 0))
        return;
    if (!c->have_ref) {
        for (int j = 0; j < 3; j++) {
            c->up_ref[j] = c->up[j] = c->up_floor[j] = m[j] / g;
            c->bias[j] = sum[3 + j] / n;
        }
        c->g_ref = g;
        c->have_ref = 1;
        c->stats.have_reference = 1;
        c->stats.reference_at_s = (double)c->next * c->dt;
        return;
    }
    double u[3] = {m[0] / g, m[1] / g, m[2] / g};
    if (an_dot(u, c->up_ref) <= cos(FLAT_RAD))
        return; /* still, but not standing on the floor */
    for (int j = 0; j < 3; j++)
        c->up[j] += u[j] - sum[6 + j] / n;
    double un = an_norm(c->up);
    for (int j = 0; j < 3; j++) {
        c->up[j] /= un;
        c->up_floor[j] = c->up[j];
        c->bias[j] = sum[3 + j] / n;
    }
}

/* Carries the up vector through one sample of bias-corrected rate w:
 * Rodrigues' rotation by −|w|·dt about w. */
static void turn_up(double *u, const double *w, double dt)
{
    double wn = an_norm(w);
    double ang = wn * dt;
    if (!(ang > 0))
        return;
    double k[3] = {w[0] / wn, w[1] / wn, w[2] / wn}, kxu[3];
    an_cross(k, u, kxu);
    double ca = cos(ang), sa = sin(ang), kd = an_dot(k, u) * (1.0 - ca);
    for (int j = 0; j < 3; j++)
        u[j] = u[j] * ca - kxu[j] * sa + k[j] * kd;
    double un = an_norm(u);
    for (int j = 0; j < 3; j++)
        u[j] /= un;
}

/* Frees window space: keeps what the detector may still need. */
static void compact(tendo_an_capacity *c)
{
    int64_t keep = c->next;
    if (c->st == UP || c->st == DOWN)
        keep = c->start;
    else if (c->st == IDLE) {
        int64_t k = c->next - (int64_t)c->pre_n;
        if (c->last_low >= 0 && c->last_low < k)
            k = c->last_low;
        keep = k;
    }
    keep -= (int64_t)c->a0_n;
    if (keep < c->base)
        keep = c->base;
    size_t drop = (size_t)(keep - c->base);
    if (drop == 0)
        return;
    size_t rest = c->len - drop;
    memmove(c->acc, c->acc + 3 * drop, 3 * rest * sizeof *c->acc);
    memmove(c->gyro, c->gyro + 3 * drop, 3 * rest * sizeof *c->gyro);
    memmove(c->tilt, c->tilt + drop, rest * sizeof *c->tilt);
    memmove(c->still, c->still + drop, rest);
    c->base = keep;
    c->len = rest;
}

static int detect(tendo_an_capacity *c, int64_t i, double th, int still, int quiet,
                  tendo_error *err)
{
    int rc = TENDO_OK;
    switch (c->st) {
    case IDLE:
        if (still)
            c->last_still = i;
        if (quiet)
            c->last_quiet = i;
        if (th < FLAT_RAD) {
            c->last_low = i;
            break;
        }
        {
            int64_t back = i - (int64_t)c->pre_n;
            c->start = c->last_quiet >= back   ? c->last_quiet
                       : c->last_still >= back ? c->last_still
                       : c->last_low >= 0      ? c->last_low
                                               : i;
        }
        if (c->start < c->base)
            c->start = c->base;
        c->peak = th;
        c->peak_i = i;
        c->st = UP;
        break;
    case UP:
        if (th > c->peak) {
            c->peak = th;
            c->peak_i = i;
        }
        if (i - c->start > (int64_t)c->max_n) {
            c->stats.rejected_long++;
            c->st = SKIP;
        } else if (th < FLAT_RAD) {
            c->low_i = i;
            c->st = DOWN;
            if (still) {
                rc = evaluate(c, c->start, i, err);
                c->st = IDLE;
                c->last_still = c->last_low = i;
                if (quiet)
                    c->last_quiet = i;
            }
        }
        break;
    case DOWN:
        if (th >= FLAT_RAD) { /* up again before settling: the next one */
            if (c->peak >= c->hi_rad) {
                rc = evaluate(c, c->start, i - 1, err);
                c->start = i - 1;
                c->peak = th;
                c->peak_i = i;
            }
            c->st = UP;
        } else if (still || i - c->low_i > (int64_t)c->post_n) {
            rc = evaluate(c, c->start, i, err);
            c->st = IDLE;
            c->last_low = i;
            if (still)
                c->last_still = i;
            if (quiet)
                c->last_quiet = i;
        }
        break;
    case SKIP:
        if (still && th < FLAT_RAD) {
            c->st = IDLE;
            c->last_still = c->last_low = i;
            if (quiet)
                c->last_quiet = i;
        }
        break;
    }
    return rc;
}

int tendo_an_capacity_push(tendo_an_capacity *c, const float *acc, const float *gyro, size_t n,
                           tendo_error *err)
{
    if (n && (!acc || !gyro))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "capacity: need accelerometer and gyroscope data");
    for (size_t s = 0; s < n; s++) {
        if (c->len == c->cap)
            compact(c);
        if (c->len == c->cap) { /* an excursion outgrew the window: not a heel raise */
            c->stats.rejected_long++;
            c->st = SKIP;
            compact(c);
        }
        const float *a = acc + 3 * s, *w = gyro + 3 * s;
        size_t p = c->len++;
        int64_t i = c->next++;
        memcpy(c->acc + 3 * p, a, 3 * sizeof *a);
        memcpy(c->gyro + 3 * p, w, 3 * sizeof *w);
        c->stats.samples++;
        double ad[3] = {a[0], a[1], a[2]}, wc[3];
        for (int j = 0; j < 3; j++)
            wc[j] = (double)w[j] - c->bias[j];
        double g = c->have_ref ? c->g_ref : AN_G0;
        int still = an_norm(wc) < STILL_GYRO && fabs(an_norm(ad) - g) < STILL_ACC;
        int quiet = still && an_norm(wc) < QUIET_GYRO;
        c->still[p] = (uint8_t)still;
        c->tilt[p] = NAN;
        if (c->have_ref) {
            turn_up(c->up, wc, c->dt);
            double th = acos(fmax(-1.0, fmin(1.0, an_dot(c->up, c->up_ref))));
            if (quiet && th < FLAT_RAD) { /* back on the floor: as last anchored */
                memcpy(c->up, c->up_floor, sizeof c->up);
                th = acos(fmax(-1.0, fmin(1.0, an_dot(c->up, c->up_ref))));
            }
            c->tilt[p] = th;
            int rc = detect(c, i, th, still, quiet, err);
            if (rc)
                return rc;
        }
        if (still) {
            if (c->run_len == 0) {
                c->run_used = 0;
                memset(c->run_sum, 0, sizeof c->run_sum);
            }
            if (c->run_len++ >= c->edge_n) { /* past the first edge */
                double v[9] = {ad[0], ad[1], ad[2], w[0], w[1], w[2], c->up[0], c->up[1], c->up[2]};
                double *slot = c->ring + 9 * (c->run_used % c->edge_n);
                for (int j = 0; j < 9; j++)
                    c->run_sum[j] += v[j];
                memcpy(slot, v, sizeof v);
                c->run_used++;
            }
            if (!c->have_ref && c->run_len >= c->ref_max_n) {
                still_run_done(c);
                c->run_len = 0;
            }
        } else if (c->run_len) {
            still_run_done(c);
            c->run_len = 0;
        }
    }
    return TENDO_OK;
}

int tendo_an_capacity_finish(tendo_an_capacity *c, tendo_error *err)
{
    int rc = TENDO_OK;
    if (c->st == DOWN && c->len)
        rc = evaluate(c, c->start, c->next - 1, err);
    c->st = SKIP;
    return rc;
}

/* --------------------------------------------------------------- summary */

static void side_summary(const tendo_an_heel_raise *r, size_t n, double mass_kg,
                         tendo_an_capacity_side *s)
{
    memset(s, 0, sizeof *s);
    s->reps = n;
    s->height_first_m = s->height_last_m = s->height_mean_m = s->height_max_m = NAN;
    s->work_j = mass_kg > 0 ? 0.0 : NAN;
    if (!n)
        return;
    double sum = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        sum += r[i].height_m;
        mx = fmax(mx, r[i].height_m);
    }
    s->height_first_m = r[0].height_m;
    s->height_last_m = r[n - 1].height_m;
    s->height_sum_m = sum;
    s->height_mean_m = sum / (double)n;
    s->height_max_m = mx;
    /* Work against gravity per rise, body weight × heel height, summed
     * (the heel-rise work of Silbernagel et al. 2010). */
    if (mass_kg > 0)
        s->work_j = mass_kg * AN_G0 * sum;
}

void tendo_an_capacity_summarize(const tendo_an_heel_raise *left, size_t nleft,
                                 const tendo_an_heel_raise *right, size_t nright, double mass_kg,
                                 int injured_side, tendo_an_capacity_result *out)
{
    memset(out, 0, sizeof *out);
    side_summary(left, nleft, mass_kg, &out->side[0]);
    side_summary(right, nright, mass_kg, &out->side[1]);
    out->lsi_reps_pct = out->lsi_height_pct = out->lsi_work_pct = NAN;
    out->injured_known = injured_side == 0 || injured_side == 1;
    if (out->injured_known)
        out->involved = injured_side;
    else /* the weaker side by total heel rise */
        out->involved = out->side[1].height_sum_m < out->side[0].height_sum_m ? 1 : 0;
    const tendo_an_capacity_side *inv = &out->side[out->involved],
                                 *oth = &out->side[1 - out->involved];
    if (!inv->reps || !oth->reps)
        return;
    out->lsi_reps_pct = 100.0 * (double)inv->reps / (double)oth->reps;
    out->lsi_height_pct = 100.0 * inv->height_mean_m / oth->height_mean_m;
    out->lsi_work_pct = 100.0 * inv->height_sum_m / oth->height_sum_m;
    out->meets_criterion = out->lsi_work_pct >= TENDO_AN_CAPACITY_LSI_CRITERION_PCT;
}
