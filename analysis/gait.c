/*
 * gait.c — the streaming gait analyser: orientation, stride segmentation,
 * gait events and per-stride strapdown integration, with bounded memory.
 *
 * Signal: the pitch rate p = -ω_y in the foot frame (toes up positive),
 * low-passed zero-phase at 50 Hz (module filter.c). Per foot and stride:
 *   - mid-swing: a peak of p (the foot swings toes-up); the strides' cycle
 *     runs mid-swing to mid-swing (Falbriard et al. 2018, Front. Physiol.
 *     9:610; Mariani et al. 2013, Gait & Posture);
 *   - toe-off (terminal contact): the push-off trough of p the swing rises
 *     from — the fastest toes-down rotation (Falbriard 2018's most precise
 *     TC feature, precision 4 ± 2 ms vs force plates in running);
 *   - initial contact, running (duty factor < 0.5): the onset of the impact
 *     in the accelerometer (the foot is stopped within milliseconds), found
 *     between mid-swing and 50 ms after the gyroscope's candidate below —
 *     acceleration refinement of a gyroscope window as in Rampp et al. 2015
 *     (IEEE TBME 62:1089), with the impact-onset features of Falbriard 2018
 *     and gaitmap's Herzer detector. Falbriard 2018's own running IC
 *     feature, the slap minimum of p, trails contact by a speed-dependent
 *     10–30 ms that they propose to correct by speed; the impact needs no
 *     correction and serves every footstrike (a forefoot landing has no
 *     slap at all);
 *   - initial contact, walking: the heel touches down gently, and the
 *     instant the toes-up rotation stops — the last downward zero crossing
 *     of p before the slap minimum — marks it (gaitmap: within ~1 sample of
 *     motion capture, the impact transient ~15 ms later); after a fore- or
 *     midfoot landing (the heel drops, p rises after the impact) the impact
 *     onset is taken instead;
 *   - mid-stance (zero velocity): centre of the window of least gyro energy
 *     between contact and the next toe-off (Rampp et al. 2015), 100 ms or a
 *     third of the contact if shorter.
 * Each stride (zero velocity → zero velocity) is then integrated (zupt.c).
 *
 * Memory: samples live in one linear buffer of BUF_S seconds; samples no
 * stride can still need are dropped when it fills. Finished strides wait in
 * a small queue for tendo_an_gait_next().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_gait.h"
#include "an_internal.h"
#include "tendo_analysis.h"

/* Event signal low-pass, 50 Hz (transition 20 Hz): removes impact ringing
 * and sensor noise at high rates but keeps the sharp push-off minimum of p
 * (in the gaitmap walk a 30 Hz cut-off moved toe-off ~4 ms earlier). */
#define EVENT_LP_HZ    50.0
#define EVENT_LP_TW_HZ 20.0
/* Half-cycle cap: strides longer than 2 s of half cycle (very slow walking,
 * turns) and bout ends search at most 1 s either side of mid-swing. */
#define HALF_MAX_S 1.0
/* Mid-swing peak must be the maximum over [-0.35 s, +0.2 s]: strides are
 * >= 0.45 s even in sprinting (step rate <= 4.5 Hz), and a forefoot strike's
 * heel-drop bump follows its swing peak by < 0.35 s. */
#define PEAK_BACK_S 0.35
#define PEAK_FWD_S  0.20
/* Default smallest mid-swing pitch rate: 1 rad/s (57 °/s). Walking peaks are
 * 4–7 rad/s, running 8–15 rad/s; slow turning steps ~2 rad/s. */
#define MIN_SWING_RADPS 1.0
/* A swing rotates the foot toes-up by ~80–90° in walking (toe-off ~-60°,
 * heel strike ~+20°; Perry & Burnfield 2010) and ~50° or more in running
 * even with a forefoot strike; shuffles and fidgets turn it by < 20° (9–16°
 * in the gaitmap recording's turn and start). */
#define MIN_SWING_PITCH_DEG 20.0
/* Walk/run boundary: duty factor 0.5 (running has a flight phase). */
#define RUN_DUTY_FACTOR 0.5
/* Zero-velocity window: 100 ms (Rampp 2015; gaitmap default), at most a
 * third of the contact: a fast running contact (~160 ms at 6 m/s) keeps
 * the sole flat for only some 50-60 ms, and a longer window averages the
 * landing's roll into the starting attitude (design choice: with half the
 * contact, simulated forefoot strides at 6 m/s came out 10% short). */
#define ZV_WIN_S 0.100
/* The impact is sought from mid-swing to 50 ms after the gyroscope's
 * contact candidate (the end of the toes-up rotation, else the slap
 * minimum), as Rampp et al. 2015 refine that candidate with the
 * acceleration up to 50 ms after it; from mid-swing on, because a forefoot
 * landing's impact comes before the heel drop that ends the rotation.
 * Without the bound, a stride ending in a turn can take a shuffle's jolt
 * for its impact (gaitmap, right foot at 17.9 s). */
#define IMPACT_AFTER_S 0.050
/* A heel drop turns the foot toes-up by ~8° or more (a forefoot strike
 * lands ~8° toes-down or more: Altman & Davis 2012, Gait Posture 35:298)
 * within ~50 ms, i.e. at 3 rad/s or more on average; 0.5 rad/s (29°/s)
 * is well clear of sensor noise (~0.01 rad/s) and filter ripple. */
#define HEEL_DROP_RADPS 0.5
/* Impact peak: the largest specific force in the first 50 ms of contact,
 * where the heel-strike transient lies (it peaks within the first ~10% of
 * stance, 10-30 ms: Lieberman et al. 2010; Bailey & Harle 2014 for foot-
 * mounted IMUs). */
#define IMPACT_WIN_S 0.050
#define BUF_S        20.0
#define KEEP_S       3.5
#define CALIB_S      30.0

struct tendo_an_gait {
    double fs;
    double min_swing;
    tendo_an_orientation orient;
    int have_orient;
    char orient_msg[TENDO_ERROR_MSG_MAX];

    /* calibration buffer (sensor frame) while the orientation is unknown */
    float *cal_acc, *cal_gyr;
    size_t cal_n, cal_cap;

    /* foot-frame data and the filtered pitch rate, absolute index base */
    float *acc, *gyr, *pf;
    uint8_t *clip;           /* per sample: bit k, sensor accelerometer axis k clipped */
    double clip_at;          /* |a_k| at or above this is clipped; 0 unknown range */
    size_t cap, n_raw, n_pf; /* counts in the buffer */
    size_t base;             /* absolute index of buffer[0] */
    tendo_an_fir *fir;
    float *fir_in, *fir_out;
    size_t fir_out_cap, chunk;

    /* segmentation state (absolute indices) */
    size_t scan;   /* next sample to test as a peak */
    size_t pk[16]; /* pending mid-swing peaks */
    size_t npk;
    long prev_pk;      /* last finalised peak, -1 none */
    double zv_carry;   /* zero-velocity instant after the last stride (samples), <0 none */
    size_t zv_carry_w; /* its window length (samples) */
    int finishing;

    tendo_an_stride *q;
    size_t qn, qhead, qcap;
};

static inline float P(const tendo_an_gait *g, size_t abs)
{
    return g->pf[abs - g->base];
}

void tendo_an_gait_free(tendo_an_gait *g)
{
    if (!g)
        return;
    free(g->cal_acc);
    free(g->cal_gyr);
    free(g->acc);
    free(g->gyr);
    free(g->clip);
    free(g->pf);
    free(g->fir_in);
    free(g->fir_out);
    tendo_an_fir_free(g->fir);
    free(g->q);
    free(g);
}

int tendo_an_gait_new(tendo_an_gait **out, const tendo_an_gait_options *opt, tendo_error *err)
{
    *out = NULL;
    if (!opt || !(opt->fs_hz >= 50 && opt->fs_hz <= 10000))
        return tendo_error_set(err, TENDO_EUSAGE, "gait: sample rate %g Hz is outside 50–10000 Hz",
                               opt ? opt->fs_hz : 0.0);
    tendo_an_gait *g = calloc(1, sizeof *g);
    if (!g)
        return tendo_error_set(err, TENDO_EINTERNAL, "gait: out of memory");
    g->fs = opt->fs_hz;
    g->min_swing = opt->min_swing_radps > 0 ? opt->min_swing_radps : MIN_SWING_RADPS;
    g->prev_pk = -1;
    g->zv_carry = -1;
    if (opt->r_override) {
        memcpy(g->orient.r, opt->r_override, sizeof g->orient.r);
        g->orient.confidence = 1;
        g->have_orient = 1;
    } else {
        double cs = opt->calib_s > 0 ? opt->calib_s : CALIB_S;
        g->cal_cap = (size_t)(cs * g->fs);
        g->cal_acc = malloc(3 * g->cal_cap * sizeof(float));
        g->cal_gyr = malloc(3 * g->cal_cap * sizeof(float));
    }
    double taps[4096] = {1.0};
    size_t ntaps = 1;
    int rc = TENDO_OK;
    /* Below 2 × (cut-off + half transition) = 120 Hz the pod's own
     * anti-alias filter has already removed what the low-pass is for, and
     * smoothing more would blunt the toe-off minimum: pass through. */
    if (g->fs > 2 * (EVENT_LP_HZ + EVENT_LP_TW_HZ / 2))
        rc = tendo_an_lowpass_design(g->fs, EVENT_LP_HZ, EVENT_LP_TW_HZ, taps, 4096, &ntaps, err);
    if (rc == TENDO_OK)
        rc = tendo_an_fir_new(&g->fir, taps, ntaps, 1, err);
    g->chunk = (size_t)g->fs / 4 + 1;
    g->cap = (size_t)(BUF_S * g->fs);
    g->acc = malloc(3 * g->cap * sizeof(float));
    g->gyr = malloc(3 * g->cap * sizeof(float));
    g->clip = malloc(g->cap);
    /* int16 storage: the positive rail is 32767/32768 of full scale */
    g->clip_at = opt->accel_range_mps2 > 0 ? opt->accel_range_mps2 * (1 - 1.0 / 4096) : 0;
    g->pf = malloc(g->cap * sizeof(float));
    g->fir_in = malloc(g->chunk * sizeof(float));
    if (rc == TENDO_OK) {
        g->fir_out_cap = tendo_an_fir_max_out(g->fir, g->chunk);
        g->fir_out = malloc(g->fir_out_cap * sizeof(float));
    }
    if (rc == TENDO_OK && (!g->acc || !g->gyr || !g->clip || !g->pf || !g->fir_in || !g->fir_out ||
                           (!g->have_orient && (!g->cal_acc || !g->cal_gyr))))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "gait: out of memory");
    if (rc != TENDO_OK) {
        tendo_an_gait_free(g);
        return rc;
    }
    *out = g;
    return TENDO_OK;
}

const tendo_an_orientation *tendo_an_gait_orientation(const tendo_an_gait *g)
{
    return g->have_orient ? &g->orient : NULL;
}

int tendo_an_gait_next(tendo_an_gait *g, tendo_an_stride *s)
{
    if (g->qn == 0)
        return 0;
    *s = g->q[g->qhead];
    g->qhead = (g->qhead + 1) % g->qcap;
    g->qn--;
    return 1;
}

static int enqueue(tendo_an_gait *g, const tendo_an_stride *s)
{
    if (g->qn == g->qcap) {
        size_t ncap = g->qcap ? 2 * g->qcap : 16;
        tendo_an_stride *nq = malloc(ncap * sizeof *nq);
        if (!nq)
            return -1;
        for (size_t i = 0; i < g->qn; i++)
            nq[i] = g->q[(g->qhead + i) % g->qcap];
        free(g->q);
        g->q = nq;
        g->qhead = 0;
        g->qcap = ncap;
    }
    g->q[(g->qhead + g->qn) % g->qcap] = *s;
    g->qn++;
    return 0;
}

/* ---- event features on the filtered pitch rate ---- */

/* Sub-sample position of the extremum at i by a parabola through i-1..i+1. */
static double parabolic(const tendo_an_gait *g, size_t i, size_t lo, size_t hi)
{
    if (i <= lo || i + 1 > hi)
        return (double)i;
    double a = P(g, i - 1), b = P(g, i), c = P(g, i + 1);
    double den = a - 2 * b + c;
    if (den == 0)
        return (double)i;
    double d = 0.5 * (a - c) / den;
    return (double)i + (fabs(d) < 1 ? d : 0);
}

static size_t argmin_p(const tendo_an_gait *g, size_t lo, size_t hi)
{
    size_t best = lo;
    for (size_t i = lo + 1; i <= hi; i++)
        if (P(g, i) < P(g, best))
            best = i;
    return best;
}

/* Toe-off: the push-off trough of p that the swing rises from, found by
 * walking back from the mid-swing peak at hi down the swing's rising edge
 * to the first local minimum below zero (not before lo). Falbriard 2018's
 * TC feature is this minimum; taking the one adjacent to the swing, rather
 * than the lowest in a window, keeps the foot slap of the previous contact
 * (deeper than a slow push-off) or a long transitional swing from being
 * taken for it. */
static size_t push_off(const tendo_an_gait *g, size_t lo, size_t hi)
{
    size_t i = hi;
    while (i > lo && (P(g, i - 1) < P(g, i) || !(P(g, i) < 0)))
        i--;
    return i;
}

/* |a_k - 2 a_(k-1) + a_(k-2)|²: how far sample k departs from the
 * straight-line prediction of the two before it. Smooth motion (the swing)
 * leaves it near zero at any rate; an impact makes it jump. */
static double residual2(const tendo_an_gait *g, size_t k)
{
    const float *a = g->acc + 3 * (k - g->base), *b = a - 3, *c = a - 6;
    double r[3] = {a[0] - 2 * b[0] + c[0], a[1] - 2 * b[1] + c[1], a[2] - 2 * b[2] + c[2]};
    return an_dot(r, r);
}

/* Onset of the foot's impact on the ground, as a fractional sample index.
 * Contact is the sharpest change of acceleration in a stride (a running
 * foot is stopped within ~10 ms): the acceleration-derivative IC features
 * of Falbriard et al. 2018 (k10, k12: the impact's onset before the
 * acceleration maximum), gaitmap's Herzer detector (Küderle et al. 2024,
 * IEEE OJEMB 5:1: maximum of the acceleration derivative after mid-swing)
 * and Rampp et al. 2015 (acceleration refinement of the gyroscope
 * candidate). The onset is the first sample k in [lo, hi] whose departure
 * from the straight line through the two samples before it reaches a
 * sixth of the largest departure in the window: the straight-line
 * residual ignores the swing's own smooth acceleration; the first such
 * sample is the first contact, not the sole slapping flat after it (which
 * can be as sharp); a sixth catches an impact's first sample even when
 * the impact spans only one or two samples (200 Hz). Contact lies between
 * samples k-1 and k: k - 0.5 is returned (error within half a sample).
 * NAN if the window is empty. */
static double impact_onset(const tendo_an_gait *g, size_t lo, size_t hi)
{
    if (lo < g->base + 2)
        lo = g->base + 2;
    if (hi >= g->base + g->n_raw)
        hi = g->base + g->n_raw - 1;
    if (hi <= lo)
        return NAN;
    double best = 0;
    for (size_t k = lo; k <= hi; k++)
        best = fmax(best, residual2(g, k));
    if (!(best > 0))
        return NAN;
    size_t k = lo;
    while (residual2(g, k) < best / 36) /* (1/6)², squared norms */
        k++;
    return (double)k - 0.5;
}

/* 1 if the foot rotated toes-up after the impact at imp, before the
 * zero crossing at zc: p rises HEEL_DROP_RADPS above its value at the
 * impact. After a fore- or midfoot landing the heel drops to the ground
 * (the foot rotates toes-up about the ball; Lieberman et al. 2010, Nature
 * 463:531); after a heel strike, and in late swing, p only falls. */
static int heel_drop(const tendo_an_gait *g, double imp, double zc)
{
    size_t i0 = (size_t)ceil(imp), i1 = (size_t)zc;
    float top = P(g, i0);
    for (size_t i = i0; i <= i1; i++)
        top = P(g, i) > top ? P(g, i) : top;
    return top - P(g, i0) >= HEEL_DROP_RADPS;
}

/* Centre of the least-gyro-energy window of w samples within [lo, hi]. */
static double zero_velocity(const tendo_an_gait *g, size_t lo, size_t hi, size_t *w_out)
{
    size_t span = hi > lo ? hi - lo : 0;
    size_t w = (size_t)(ZV_WIN_S * g->fs + 0.5);
    if (w > span / 3)
        w = span / 3;
    if (w < 1)
        w = 1;
    *w_out = w;
    double e = 0, best = INFINITY;
    size_t bi = lo;
    const float *gy = g->gyr;
    for (size_t i = lo; i <= hi; i++) { /* running sum of |ω|² over [i-w+1, i] */
        const float *v = gy + 3 * (i - g->base);
        e += (double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2];
        if (i >= lo + w) {
            const float *o = gy + 3 * (i - w - g->base);
            e -= (double)o[0] * o[0] + (double)o[1] * o[1] + (double)o[2] * o[2];
        }
        if (i + 1 >= lo + w && e < best) {
            best = e;
            bi = i + 1 - w;
        }
    }
    return (double)bi + (double)(w - 1) / 2;
}

/* Finalises the stride around the oldest pending peak if its data are in.
 * Returns 1 if the peak was consumed, 0 if more data are needed, -1 OOM. */
static int finalise(tendo_an_gait *g)
{
    size_t pk = g->pk[0], H = (size_t)(HALF_MAX_S * g->fs);
    size_t avail = g->base + g->n_pf; /* filtered samples [base, avail) */
    int next_close = g->npk > 1 && g->pk[1] - pk <= 2 * H;
    if (!next_close && !g->finishing && avail < pk + 2 * H + 1)
        return 0;
    size_t hi_lim = avail - 1;
    size_t hminus =
        (g->prev_pk >= 0 && pk - (size_t)g->prev_pk <= 2 * H) ? (pk - (size_t)g->prev_pk) / 2 : H;
    size_t hplus = next_close ? (g->pk[1] - pk) / 2 : H;
    size_t to_lo = pk >= g->base + hminus ? pk - hminus : g->base;
    size_t ic_hi = pk + hplus < hi_lim ? pk + hplus : hi_lim;

    /* toe-off: the push-off trough just before the mid-swing */
    size_t to_i = push_off(g, to_lo, pk);
    double to = parabolic(g, to_i, to_lo, pk);
    /* gyroscope IC candidates: the slap minimum after mid-swing, and the
     * end of the toes-up rotation before it (walking, see below) */
    size_t m_i = argmin_p(g, pk, ic_hi);
    double ic_min = parabolic(g, m_i, pk, ic_hi), ic = ic_min;
    for (size_t i = m_i; i > pk; i--) /* last downward zero crossing before the slap */
        if (P(g, i - 1) > 0 && P(g, i) <= 0) {
            double a = P(g, i - 1), b = P(g, i);
            ic = (double)(i - 1) + a / (a - b);
            break;
        }

    double to_next = NAN;
    size_t zv1_hi;
    int running = 0;
    if (next_close) {
        size_t pk1 = g->pk[1], nlo = pk1 - (pk1 - pk) * 3 / 4;
        size_t tn = push_off(g, nlo, pk1);
        to_next = parabolic(g, tn, nlo, pk1);
        zv1_hi = tn;
        /* Running is gait with a flight phase: duty factor (contact /
         * stride) below 0.5 (Novacheck 1998, Gait & Posture 7:77). There the
         * contact is the impact onset. In walking the heel touches down
         * gently and the end of the toes-up rotation (the zero crossing)
         * marks it (gaitmap: within ~1 sample of motion capture, while the
         * impact transient follows ~15 ms later) — unless the crossing
         * follows an impact that set the foot rotating toes-up: then it is
         * the heel dropping after a fore- or midfoot landing (a slow jog at
         * the walk/run boundary), on the ground since the impact. */
        size_t imp_hi = (size_t)ic + (size_t)(IMPACT_AFTER_S * g->fs);
        double imp = impact_onset(g, pk, imp_hi < tn ? imp_hi : tn);
        double duty = (to_next - (isfinite(imp) ? imp : ic_min)) / (double)(pk1 - pk);
        running = duty < RUN_DUTY_FACTOR;
        if (running)
            ic = isfinite(imp) ? imp : ic_min;
        else if (imp < ic && heel_drop(g, imp, ic))
            ic = imp;
    } else {
        zv1_hi = (size_t)ic + H < hi_lim ? (size_t)ic + H : hi_lim;
    }
    size_t w = 1;
    size_t ic_s = (size_t)ceil(ic);
    size_t w0 = g->zv_carry_w;
    double zv1 = ic_s < zv1_hi ? zero_velocity(g, ic_s, zv1_hi, &w) : NAN;
    double zv0 = g->zv_carry;
    if (!(zv0 >= 0) || zv0 >= to || zv0 < (double)g->base) {
        size_t lo = to_i >= g->base + H ? to_i - H : g->base;
        if (g->prev_pk >= 0 && (size_t)g->prev_pk > lo)
            lo = (size_t)g->prev_pk;
        zv0 = lo < to_i ? zero_velocity(g, lo, to_i, &w0) : NAN;
    }
    g->zv_carry = next_close ? zv1 : -1;
    g->zv_carry_w = w;
    g->prev_pk = (long)pk;
    memmove(g->pk, g->pk + 1, (g->npk - 1) * sizeof *g->pk);
    g->npk--;

    /* Toes-up rotation from the deepest push-off since mid-stance to
     * contact: a shuffle or a pivot in a turn pushes off more than once
     * and rotates little overall (9-16° in the gaitmap turn), however
     * clean its last trough. */
    double pitch = 0;
    size_t from = zv0 > (double)to_lo && zv0 < (double)to_i ? (size_t)ceil(zv0) : to_lo;
    for (size_t i = argmin_p(g, from, to_i); i < (size_t)ic; i++)
        pitch += P(g, i) / g->fs;
    /* a stride needs a push-off (p < 0 at toe-off), a real swing, order and
     * both rests */
    if (!(P(g, to_i) < 0) || pitch < MIN_SWING_PITCH_DEG * M_PI / 180 ||
        !(zv0 < to && to < (double)pk && (double)pk < ic && ic < zv1))
        return 1;

    tendo_an_stride s = {0};
    s.t_zv0 = zv0 / g->fs;
    s.t_to = to / g->fs;
    s.t_swing = (double)pk / g->fs;
    s.t_ic = ic / g->fs;
    s.t_zv1 = zv1 / g->fs;
    s.t_to_next = to_next / g->fs;
    s.contact_s = s.t_to_next - s.t_ic;
    s.swing_s = s.t_ic - s.t_to;
    s.peak_swing_radps = P(g, pk);
    s.running = running;
    /* Sole angle at contact: the rotation from contact to the flat foot at
     * mid-stance, run backwards (toes up positive), as foot-IMU studies
     * measure the foot strike angle (e.g. Falbriard et al. 2020, Front.
     * Bioeng. Biotechnol. 8:585; Altman & Davis 2012 for its classes). */
    double rot = 0;
    for (size_t i = (size_t)ceil(ic); i < (size_t)zv1; i++)
        rot += P(g, i) / g->fs;
    s.strike_angle_deg = -rot * 180 / M_PI;
    /* Impact: the peak specific force in the first IMPACT_WIN_S of contact. */
    double peak = 0;
    size_t i_imp = (size_t)ceil(ic), i_end = i_imp + (size_t)(IMPACT_WIN_S * g->fs);
    for (size_t i = i_imp; i <= i_end && i < g->base + g->n_raw; i++) {
        const float *a = g->acc + 3 * (i - g->base);
        double m = (double)a[0] * a[0] + (double)a[1] * a[1] + (double)a[2] * a[2];
        peak = m > peak ? m : peak;
    }
    s.impact_g = sqrt(peak) / AN_G0;

    size_t i0 = (size_t)(zv0 + 0.5), i1 = (size_t)(zv1 + 0.5);
    /* g and the start attitude from the central half of the zero-velocity
     * window (50 ms): the foot is flat for only ~35 % of a fast contact
     * (64 ms at 5 m/s: flat 20-55 % of 184 ms, SIMULATOR.md after Hoyt et
     * al. 2000), so the whole 100 ms window takes in the roll to flat and
     * heel-off, whose net acceleration tilts the reference (-6 mm/m of
     * phantom grade at 200 Hz, 5 m/s, ideal sensors; -1.3 with the half).
     * Initial alignment uses stationary samples only (Skog et al. 2010). */
    size_t wz = w0 / 4;
    size_t a_lo = i0 >= g->base + wz ? i0 - wz : g->base, a_hi = i0 + wz;
    double a0[3] = {0, 0, 0};
    for (size_t i = a_lo; i <= a_hi; i++)
        for (int k = 0; k < 3; k++)
            a0[k] += g->acc[3 * (i - g->base) + k];
    for (int k = 0; k < 3; k++)
        a0[k] /= (double)(a_hi - a_lo + 1);
    double e = 0;
    size_t e_lo = i1 >= g->base + wz ? i1 - wz : g->base;
    size_t e_hi = i1 + wz < g->base + g->n_raw ? i1 + wz : g->base + g->n_raw - 1;
    for (size_t i = e_lo; i <= e_hi; i++)
        for (int k = 0; k < 3; k++) {
            double v = g->gyr[3 * (i - g->base) + k];
            e += v * v;
        }
    s.zv_gyro_radps = sqrt(e / (double)(e_hi - e_lo + 1));
    an_clip clip = {.mask = g->clip_at > 0 ? g->clip + (i0 - g->base) : NULL};
    for (int k = 0; k < 3; k++) /* sensor axis k in the foot frame: column k of r */
        for (int r = 0; r < 3; r++)
            clip.axis[3 * k + r] = g->orient.r[3 * r + k];
    if (an_stride_integrate(g->acc + 3 * (i0 - g->base), g->gyr + 3 * (i0 - g->base), i1 - i0 + 1,
                            a0, g->fs, &clip, &s.length_m, &s.dz_m,
                            &s.drift) != 0)
        s.length_m = s.dz_m = NAN;
    s.speed_mps = s.length_m / (s.t_zv1 - s.t_zv0);
    return enqueue(g, &s) == 0 ? 1 : -1;
}

/* Finds new mid-swing peaks and finalises what can be finalised. */
static int process(tendo_an_gait *g, tendo_error *err)
{
    size_t back = (size_t)(PEAK_BACK_S * g->fs), fwd = (size_t)(PEAK_FWD_S * g->fs);
    size_t avail = g->base + g->n_pf;
    size_t stop = g->finishing ? avail : (avail > fwd ? avail - fwd : 0);
    if (g->scan < g->base + 1)
        g->scan = g->base + 1;
    for (; g->scan + 1 < stop; g->scan++) {
        size_t i = g->scan;
        float v = P(g, i);
        if (v < g->min_swing || v < P(g, i - 1) || v <= P(g, i + 1))
            continue;
        size_t lo = i >= g->base + back ? i - back : g->base;
        size_t hi = i + fwd < avail ? i + fwd : avail - 1;
        int ok = 1;
        /* ties (a flat top of equal values) go to the last sample */
        for (size_t j = lo; ok && j <= hi; j++)
            ok = j == i || (j < i ? P(g, j) <= v : P(g, j) < v);
        if (!ok)
            continue;
        if (g->npk == sizeof g->pk / sizeof *g->pk)
            break; /* finalise first; retried on the next call */
        g->pk[g->npk++] = i;
    }
    while (g->npk > 0) {
        int r = finalise(g);
        if (r < 0)
            return tendo_error_set(err, TENDO_EINTERNAL, "gait: out of memory");
        if (r == 0)
            break;
    }
    return TENDO_OK;
}

/* Drops samples no pending or future stride can need. */
static void compact(tendo_an_gait *g)
{
    size_t H = (size_t)(HALF_MAX_S * g->fs), keep = (size_t)(KEEP_S * g->fs);
    size_t avail = g->base + g->n_pf;
    size_t from = avail > keep ? avail - keep : g->base;
    if (g->npk > 0 && g->pk[0] >= g->base + 2 * H + 1 && g->pk[0] - 2 * H - 1 < from)
        from = g->pk[0] - 2 * H - 1;
    else if (g->npk > 0 && g->pk[0] < g->base + 2 * H + 1)
        from = g->base;
    if (g->prev_pk >= 0 && (size_t)g->prev_pk < from && (size_t)g->prev_pk >= g->base &&
        from - (size_t)g->prev_pk < 2 * H)
        from = (size_t)g->prev_pk;
    if (from <= g->base)
        return;
    size_t d = from - g->base;
    memmove(g->acc, g->acc + 3 * d, 3 * (g->n_raw - d) * sizeof(float));
    memmove(g->gyr, g->gyr + 3 * d, 3 * (g->n_raw - d) * sizeof(float));
    memmove(g->clip, g->clip + d, g->n_raw - d);
    memmove(g->pf, g->pf + d, (g->n_pf - d) * sizeof(float));
    g->n_raw -= d;
    g->n_pf -= d;
    g->base = from;
}

/* Rotates up to g->chunk sensor samples into the foot frame, filters p. */
static int feed_foot(tendo_an_gait *g, const float *acc, const float *gyro, size_t n,
                     tendo_error *err)
{
    if (g->n_raw + n > g->cap)
        compact(g);
    /* n_pf <= n_raw always: the filter never returns more than it was fed */
    if (g->n_raw + n > g->cap)
        return tendo_error_set(err, TENDO_EINTERNAL,
                               "gait: buffer of %zu samples full (a stride longer than %g s?)",
                               g->cap, BUF_S);
    /* Once per sample of the session: the state lives in locals, since the
     * byte stores to the clip mask may alias anything reached through g and
     * would make the compiler reload it every sample. */
    /* r's elements in scalars and the products written out: at -O2 the
     * compiler kept 3×3 loops (and the clip test's) as loops here, which
     * cost more than their arithmetic; same operations in the same order. */
    const double *ro = g->orient.r;
    const double r0 = ro[0], r1 = ro[1], r2 = ro[2], r3 = ro[3], r4 = ro[4], r5 = ro[5],
                 r6 = ro[6], r7 = ro[7], r8 = ro[8];
    const double clip_at = g->clip_at;
    const int clipping = clip_at > 0;
    float *restrict da = g->acc + 3 * g->n_raw, *restrict dw = g->gyr + 3 * g->n_raw;
    float *restrict fin = g->fir_in;
    uint8_t *restrict cm = g->clip + g->n_raw;
    for (size_t i = 0; i < n; i++) {
        double a0 = acc[3 * i], a1 = acc[3 * i + 1], a2 = acc[3 * i + 2];
        double w0 = gyro[3 * i], w1 = gyro[3 * i + 1], w2 = gyro[3 * i + 2];
        da[3 * i] = (float)(r0 * a0 + r1 * a1 + r2 * a2);
        da[3 * i + 1] = (float)(r3 * a0 + r4 * a1 + r5 * a2);
        da[3 * i + 2] = (float)(r6 * a0 + r7 * a1 + r8 * a2);
        double wf1 = r3 * w0 + r4 * w1 + r5 * w2;
        dw[3 * i] = (float)(r0 * w0 + r1 * w1 + r2 * w2);
        dw[3 * i + 1] = (float)wf1;
        dw[3 * i + 2] = (float)(r6 * w0 + r7 * w1 + r8 * w2);
        fin[i] = (float)-wf1; /* pitch rate, toes up positive */
        cm[i] = clipping ? (uint8_t)((fabs(a0) >= clip_at) | (fabs(a1) >= clip_at) << 1 |
                                     (fabs(a2) >= clip_at) << 2)
                         : 0;
    }
    g->n_raw += n;
    size_t nout;
    int rc = tendo_an_fir_push(g->fir, g->fir_in, n, g->fir_out, g->fir_out_cap, &nout, err);
    if (rc != TENDO_OK)
        return rc;
    memcpy(g->pf + g->n_pf, g->fir_out, nout * sizeof(float));
    g->n_pf += nout;
    return process(g, err);
}

static int feed(tendo_an_gait *g, const float *acc, const float *gyro, size_t n, tendo_error *err)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < g->chunk ? n - done : g->chunk;
        int rc = feed_foot(g, acc + 3 * done, gyro + 3 * done, k, err);
        if (rc != TENDO_OK)
            return rc;
        done += k;
    }
    return TENDO_OK;
}

/* Estimates the orientation from the calibration buffer, then replays it. */
static int calibrate(tendo_an_gait *g, tendo_error *err)
{
    tendo_error e2 = {0};
    if (tendo_an_orientation_estimate(g->cal_acc, g->cal_gyr, g->cal_n, g->fs, &g->orient, &e2) !=
        TENDO_OK) {
        /* Nothing to orient by in this window (e.g. the pod lay still): its
         * samples cannot hold strides of note; drop them and try the next. */
        snprintf(g->orient_msg, sizeof g->orient_msg, "%s", e2.msg);
        g->base += g->cal_n; /* keep absolute time running */
        g->scan = g->base;
        g->cal_n = 0;
        return TENDO_OK;
    }
    g->have_orient = 1;
    int rc = feed(g, g->cal_acc, g->cal_gyr, g->cal_n, err);
    free(g->cal_acc);
    free(g->cal_gyr);
    g->cal_acc = g->cal_gyr = NULL;
    g->cal_n = 0;
    return rc;
}

int tendo_an_gait_push(tendo_an_gait *g, const float *acc, const float *gyro, size_t n,
                       tendo_error *err)
{
    size_t done = 0;
    while (!g->have_orient && done < n) {
        size_t k = g->cal_cap - g->cal_n;
        if (k > n - done)
            k = n - done;
        memcpy(g->cal_acc + 3 * g->cal_n, acc + 3 * done, 3 * k * sizeof(float));
        memcpy(g->cal_gyr + 3 * g->cal_n, gyro + 3 * done, 3 * k * sizeof(float));
        g->cal_n += k;
        done += k;
        if (g->cal_n == g->cal_cap) {
            int rc = calibrate(g, err);
            if (rc != TENDO_OK)
                return rc;
        }
    }
    return done < n ? feed(g, acc + 3 * done, gyro + 3 * done, n - done, err) : TENDO_OK;
}

int tendo_an_gait_finish(tendo_an_gait *g, tendo_error *err)
{
    if (!g->have_orient && g->cal_n > 0) {
        int rc = calibrate(g, err);
        if (rc != TENDO_OK)
            return rc;
    }
    if (!g->have_orient)
        return TENDO_OK; /* no movement to analyse: zero strides */
    size_t nout;
    float *tmp = malloc(tendo_an_fir_max_out(g->fir, 0) * sizeof(float));
    if (!tmp)
        return tendo_error_set(err, TENDO_EINTERNAL, "gait: out of memory");
    int rc = tendo_an_fir_finish(g->fir, tmp, tendo_an_fir_max_out(g->fir, 0), &nout, err);
    if (rc == TENDO_OK) {
        memcpy(g->pf + g->n_pf, tmp, nout * sizeof(float));
        g->n_pf += nout;
        g->finishing = 1;
        rc = process(g, err);
    }
    free(tmp);
    return rc;
}
