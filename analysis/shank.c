/*
 * shank.c — contacts from an accelerometer on the shank (tibia), without a
 * gyroscope: the data of much tibial-acceleration research. Orientation-
 * free: everything is read from the resultant acceleration, so any
 * mounting works. Methods and constants: analysis/MODELS.md, "Shank".
 *
 *   - impact: each contact sends a shock up the tibia, the sharpest rise of
 *     the resultant in a stride. Candidates are the peaks of its jerk (the
 *     rate of change of the 70 Hz low-passed resultant, as Aubol & Milner
 *     2020 use it) that start a shock (the resultant peaks within 50 ms of
 *     the onset: impact band 10-20 Hz, Shorten & Winslow 1992; a swing's
 *     motion rises slower) and are the largest such within ±0.2 s; a
 *     candidate is a contact when no candidate within ±0.6 stride periods
 *     is sharper (one
 *     contact per stride of one leg; the stride period from the spectral
 *     cadence of the same signal, cadence.c);
 *   - initial contact: the minimum of the resultant in the 75 ms before the
 *     jerk peak (Aubol & Milner 2020: the onset of the shock), sub-sample
 *     by a parabola;
 *   - toe-off: on the 15 Hz low-passed resultant (Mercer et al. 2003's
 *     filter), the first plateau in the descent from the propulsive peak
 *     that follows the impact (Sinclair et al. 2013: toe-off is "the first
 *     plateau in the descent phase of the second peak"; Mercer et al. 2003
 *     take the minimum after that peak, where the descent ends at the
 *     latest); the propulsive peak is the first local maximum from 60 ms
 *     after contact on that stands 0.5 g above the minima on both sides;
 *   - impact: the peak resultant specific force in the 50 ms after contact
 *     (peak tibial acceleration, g).
 * Without a gyroscope there is no strapdown integration: stride length,
 * speed and height change stay NAN.
 *
 * Memory: the filtered signals live in one linear buffer of BUF_S seconds,
 * compacted as contacts are decided; candidates and contacts wait in small
 * queues.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "tendo_analysis.h"
#include "tendo_array.h"

/* Impact signal: 70 Hz low-pass (Aubol & Milner 2020 filter the tibial
 * acceleration at 70 Hz before taking its jerk), transition 20 Hz; below
 * 2 × (70 + 10) = 160 Hz the sensor's own anti-alias filter has done it. */
#define IMPACT_LP_HZ 70.0
/* Toe-off signal: 15 Hz low-pass (Mercer et al. 2003, as implemented by
 * Kiernan et al. 2023), transition 10 Hz. */
#define TO_LP_HZ 15.0
#define LP_TW_HZ 20.0
#define TO_LP_TW_HZ 10.0
/* Candidate impacts: jerk peaks that are the largest within ±0.2 s; a
 * stride of one leg lasts ≥ 0.42 s even at 4.75 steps/s (the fastest step
 * rate Kiernan et al. 2023 allow), so no two contacts of one leg are that
 * close. */
#define CAND_HALF_S 0.2
/* A candidate is a contact if none within ±0.6 stride periods is sharper:
 * the leg's other contacts lie a whole period away, the swing's own jerk
 * peaks within half a period of a contact (design choice). */
#define NMS_PERIODS 0.6
/* The stride period when no spectral estimate is at hand (a short file),
 * and the range estimates are clamped to (0.4–2 s: 0.5–2.5 strides/s,
 * cadence.c's search band). */
#define DEFAULT_PERIOD_S 0.7
#define MIN_PERIOD_S     0.4
#define MAX_PERIOD_S     2.0
/* Smallest jerk peak taken as a candidate: 300 m/s³, a rise of 3 g in
 * 0.1 s. A walking heel strike reached ~1400 m/s³ in the simulator's
 * shank, the swing's smooth motions stay below ~1000; sensor noise after
 * the low-pass is far below (design choice). */
#define MIN_JERK 300.0
/* Aubol & Milner 2020: the shock's onset is the resultant's minimum in the
 * 75 ms before the jerk peak. */
#define ONSET_BACK_S 0.075
/* A shock, not a swing: from its onset (the minimum above) the resultant
 * must reach its next peak within 50 ms. The tibia's impact transient lies
 * in 10-20 Hz and the leg's voluntary ("active") motion below ~8 Hz
 * (Shorten & Winslow 1992, J Appl Biomech 8:288; the 10-20 Hz impact band
 * as in Gruber et al. 2014, Med Sci Sports Exerc 46:1578); a minimum-to-
 * maximum rise lasts half a period: <= 50 ms at 10 Hz and above, >= 62 ms
 * at 8 Hz and below. Without it a swing that starts sharply (a gait change,
 * a stumble, the first step from standing) outranked the next contact:
 * every false contact of the simulator's shank was such a toe-off. */
#define SHOCK_RISE_MAX_S 0.050
/* ... and rise by at least 0.5 g over those 50 ms. The smallest shocks are
 * walking heel strikes: 2.7-3.7 g resultant at the tibia (Lafortune 1991,
 * J Biomech 24:877, bone-mounted), i.e. a rise of well over 1 g from the
 * ~1 g before them; 0.5 g is a third of that (design choice) and ~10 SD of
 * the 70 Hz low-passed noise of a noisy (0.1 g RMS) accelerometer, whose
 * wiggles passed the jerk threshold at rest (with the 50 ms test alone: 15
 * false contacts per leg in the 16 s of standing of a simulated 500 Hz
 * shank run with 0.1 g of white noise added; with this limit, none). */
#define SHOCK_MIN_G 0.5
/* Toe-off search: from 60 ms after contact (past the impact transient,
 * whose power lies at 12–20 Hz: Shorten & Winslow 1992) to the next
 * contact, at most 1.5 s; the propulsive peak must stand 0.5 g above the
 * minima around it (design choice: smaller wiggles are not push-off). */
#define TO_FROM_S      0.060
#define TO_MAX_S       1.5
#define PUSH_PROM_G    0.5
/* A contact with no next contact of the same leg within 2 s is the last
 * before a stop: the foot stays down, no toe-off (session.c's rest rule). */
#define LAST_GAP_S 2.0
/* Impact peak window, as the foot's (gait.c): 50 ms after contact. */
#define IMPACT_WIN_S 0.050
/* Running or walking: by cadence, 140 steps/min, i.e. a stride (two
 * steps) shorter than 2 × 60 / 140 s ("Cadence as an indicator of the
 * walk-to-run transition", Hum. Mov. Sci. 90:103117, 2023: 91 % of bouts
 * classified right, optimal values 134–141 steps/min). The duty factor
 * (contact / stride < 0.5, Novacheck 1998) that the foot uses would need a
 * walking toe-off, and the shank's walking toe-off is not validated (its
 * push-off leaves little trace in the tibia's acceleration): walking steps
 * get no toe-off or contact time. */
#define RUN_CADENCE_SPM 140.0
#define BUF_S 40.0

typedef struct cand {
    size_t k;   /* absolute sample index of the jerk peak */
    double j;   /* jerk there, m/s³ */
} cand;

typedef struct contact {
    double ic;  /* fractional absolute index */
    size_t k;   /* its jerk peak */
    double j;   /* jerk there */
} contact;

struct tendo_an_shank {
    double fs;
    tendo_an_fir *fir_imp, *fir_to; /* 3 channels each */
    float *fin, *fout;
    size_t fout_cap, chunk;
    /* buffers, absolute index of element 0 = base */
    float *raw;       /* |a| unfiltered, m/s² */
    float *r, *r15;   /* resultant of the 70 Hz and 15 Hz low-passed data */
    size_t cap, n_raw, n_r, n_r15, base;
    size_t scan;      /* next sample to test as a jerk peak */
    tendo_an_cadence *cad;
    tendo_an_cadence_est *est; /* spectral estimates, oldest first */
    size_t nest, capest;
    cand *c;          /* candidates: [0, decided) decided, kept while a later
                         decision can still see them; the rest undecided */
    size_t nc, capc, decided;
    contact *ct;      /* accepted contacts not yet emitted (at most a few) */
    size_t nct, capct;
    double prev_to;   /* toe-off of the last emitted contact (abs index), NAN */
    double prev_ic;
    int finishing;
    tendo_an_stride *q;
    size_t qn, qhead, qcap;
    tendo_an_cadence_est *qc; /* estimates handed out by next_cadence */
    size_t qcn, qccap;
};

void tendo_an_shank_free(tendo_an_shank *s)
{
    if (!s)
        return;
    tendo_an_fir_free(s->fir_imp);
    tendo_an_fir_free(s->fir_to);
    tendo_an_cadence_free(s->cad);
    free(s->fin);
    free(s->fout);
    free(s->raw);
    free(s->r);
    free(s->r15);
    free(s->est);
    free(s->c);
    free(s->ct);
    free(s->q);
    free(s->qc);
    free(s);
}

static int make_lowpass(double fs, double cut, double tw, tendo_an_fir **out, tendo_error *err)
{
    double taps[4096] = {1.0};
    size_t ntaps = 1;
    int rc = TENDO_OK;
    if (fs > 2 * (cut + tw / 2))
        rc = tendo_an_lowpass_design(fs, cut, tw, taps, 4096, &ntaps, err);
    return rc == TENDO_OK ? tendo_an_fir_new(out, taps, ntaps, 3, err) : rc;
}

int tendo_an_shank_new(tendo_an_shank **out, double fs_hz, tendo_error *err)
{
    *out = NULL;
    if (!(fs_hz >= 50 && fs_hz <= 10000))
        return tendo_error_set(err, TENDO_EUSAGE, "shank: sample rate %g Hz is outside 50–10000 Hz",
                               fs_hz);
    tendo_an_shank *s = calloc(1, sizeof *s);
    if (!s)
        return tendo_error_set(err, TENDO_EINTERNAL, "shank: out of memory");
    s->fs = fs_hz;
    s->prev_to = s->prev_ic = NAN;
    s->chunk = (size_t)fs_hz / 4 + 1;
    s->cap = (size_t)(BUF_S * fs_hz);
    int rc = make_lowpass(fs_hz, IMPACT_LP_HZ, LP_TW_HZ, &s->fir_imp, err);
    if (rc == TENDO_OK)
        rc = make_lowpass(fs_hz, TO_LP_HZ, TO_LP_TW_HZ, &s->fir_to, err);
    if (rc == TENDO_OK)
        rc = tendo_an_cadence_new(&s->cad, fs_hz, err);
    if (rc == TENDO_OK) {
        size_t m1 = tendo_an_fir_max_out(s->fir_imp, s->chunk),
               m2 = tendo_an_fir_max_out(s->fir_to, s->chunk);
        s->fout_cap = m1 > m2 ? m1 : m2;
        size_t f1 = tendo_an_fir_max_out(s->fir_imp, 0), f2 = tendo_an_fir_max_out(s->fir_to, 0);
        if (f1 > s->fout_cap)
            s->fout_cap = f1;
        if (f2 > s->fout_cap)
            s->fout_cap = f2;
        s->fin = malloc(3 * s->chunk * sizeof *s->fin);
        s->fout = malloc(3 * s->fout_cap * sizeof *s->fout);
        s->raw = malloc(s->cap * sizeof *s->raw);
        s->r = malloc(s->cap * sizeof *s->r);
        s->r15 = malloc(s->cap * sizeof *s->r15);
        if (!s->fin || !s->fout || !s->raw || !s->r || !s->r15)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "shank: out of memory");
    }
    if (rc != TENDO_OK) {
        tendo_an_shank_free(s);
        return rc;
    }
    *out = s;
    return TENDO_OK;
}

/* ------------------------------------------------------------ queues */

static int enqueue(tendo_an_shank *s, const tendo_an_stride *st)
{
    if (s->qn == s->qcap) {
        size_t ncap = s->qcap ? 2 * s->qcap : 16;
        tendo_an_stride *nq = malloc(ncap * sizeof *nq);
        if (!nq)
            return -1;
        for (size_t i = 0; i < s->qn; i++)
            nq[i] = s->q[(s->qhead + i) % s->qcap];
        free(s->q);
        s->q = nq;
        s->qhead = 0;
        s->qcap = ncap;
    }
    s->q[(s->qhead + s->qn) % s->qcap] = *st;
    s->qn++;
    return 0;
}

int tendo_an_shank_next(tendo_an_shank *s, tendo_an_stride *out)
{
    if (s->qn == 0)
        return 0;
    *out = s->q[s->qhead];
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qn--;
    return 1;
}

int tendo_an_shank_next_cadence(tendo_an_shank *s, tendo_an_cadence_est *e)
{
    if (s->qcn == 0)
        return 0;
    *e = s->qc[0];
    memmove(s->qc, s->qc + 1, (s->qcn - 1) * sizeof *s->qc);
    s->qcn--;
    return 1;
}

/* ------------------------------------------------------------ signals */

static inline float R(const tendo_an_shank *s, size_t abs) { return s->r[abs - s->base]; }
static inline float R15(const tendo_an_shank *s, size_t abs) { return s->r15[abs - s->base]; }

/* Jerk of the resultant at k (central difference), m/s³. */
static double jerk(const tendo_an_shank *s, size_t k)
{
    return 0.5 * ((double)R(s, k + 1) - (double)R(s, k - 1)) * s->fs;
}

/* The stride period at sample k from the spectral estimate nearest in time. */
static double period_at(const tendo_an_shank *s, size_t k)
{
    double t = (double)k / s->fs, best = INFINITY, T = DEFAULT_PERIOD_S;
    for (size_t i = 0; i < s->nest; i++) {
        double d = fabs(s->est[i].t_s - t);
        if (d < best && s->est[i].stride_hz > 0) {
            best = d;
            T = 1.0 / s->est[i].stride_hz;
        }
    }
    return fmax(MIN_PERIOD_S, fmin(MAX_PERIOD_S, T));
}

/* Initial contact before the jerk peak k: the resultant's minimum in the
 * 75 ms before it, refined by a parabola. */
static double onset(const tendo_an_shank *s, size_t k)
{
    size_t back = (size_t)(ONSET_BACK_S * s->fs + 0.5);
    size_t lo = k >= s->base + back + 1 ? k - back : s->base + 1, m = k;
    for (size_t i = lo; i <= k; i++)
        if (R(s, i) < R(s, m))
            m = i;
    double x = (double)m;
    if (m > s->base && m + 1 < s->base + s->n_r) {
        double a = R(s, m - 1), b = R(s, m), c = R(s, m + 1), den = a - 2 * b + c;
        if (den > 0) {
            double d = 0.5 * (a - c) / den;
            x += fabs(d) < 1 ? d : 0;
        }
    }
    return x;
}

/* Whether the jerk peak at k is the rising edge of a shock: the resultant
 * reaches a local maximum within SHOCK_RISE_MAX_S of the onset and rises
 * by SHOCK_MIN_G over that time.
 * Needs the samples up to that maximum (callers scan CAND_HALF_S behind
 * the data's end). */
static int shock_shaped(const tendo_an_shank *s, size_t k)
{
    size_t end = s->base + s->n_r, lim = (size_t)(SHOCK_RISE_MAX_S * s->fs + 0.5);
    double on = onset(s, k), top = R(s, k);
    int peaked = 0;
    for (size_t i = k + 1; i + 1 < end && (double)i - on <= (double)lim + 0.5; i++) {
        top = fmax(top, R(s, i));
        peaked |= R(s, i) >= R(s, i - 1) && R(s, i) > R(s, i + 1);
    }
    size_t i0 = (size_t)(on + 0.5);
    return peaked && top - R(s, i0 < k ? i0 : k) >= SHOCK_MIN_G * AN_G0;
}

/* Toe-off after the contact at ic, before `until` (absolute indices), or
 * NAN. The propulsive peak: the first local maximum of r15 from TO_FROM_S
 * after contact on that stands PUSH_PROM_G above the minimum before it and
 * the first minimum after it. Toe-off: the first plateau in its descent
 * (Sinclair et al. 2013), i.e. after the steepest fall, the first sample
 * where the slope stops steepening (a local maximum of the slope) or the
 * fall ends (the minimum). */
static double toe_off(const tendo_an_shank *s, double ic, size_t until)
{
    size_t lo = (size_t)ceil(ic) + (size_t)(TO_FROM_S * s->fs);
    size_t hi = until < s->base + s->n_r15 ? until : s->base + s->n_r15;
    if (hi < lo + 3)
        return NAN;
    double prom = PUSH_PROM_G * AN_G0, prev_min = R15(s, lo);
    for (size_t k = lo + 1; k + 1 < hi; k++) {
        float v = R15(s, k);
        if (v <= R15(s, k - 1) && v < R15(s, k + 1)) {
            prev_min = v;
            continue;
        }
        if (!(v >= R15(s, k - 1) && v > R15(s, k + 1)))
            continue;
        /* a local maximum: the first minimum after it */
        size_t m = k + 1;
        while (m + 1 < hi && !(R15(s, m) <= R15(s, m - 1) && R15(s, m) < R15(s, m + 1)))
            m++;
        if (m + 1 >= hi)
            return NAN;
        if (!(v - fmax(prev_min, R15(s, m)) >= prom)) {
            prev_min = R15(s, m);
            k = m;
            continue;
        }
        /* the steepest fall between them, then the first plateau */
        size_t steep = k;
        for (size_t i = k; i < m; i++)
            if (R15(s, i + 1) - R15(s, i) < R15(s, steep + 1) - R15(s, steep))
                steep = i;
        for (size_t i = steep + 1; i < m; i++) {
            double d0 = R15(s, i) - R15(s, i - 1), d1 = R15(s, i + 1) - R15(s, i),
                   d2 = R15(s, i + 2) - R15(s, i + 1);
            if (d1 >= d0 && d1 > d2)
                return (double)i + 0.5; /* the slope between i and i + 1 */
        }
        return (double)m;
    }
    return NAN;
}

/* Peak raw |a| in the 50 ms after ic, in g. */
static double impact_g(const tendo_an_shank *s, double ic)
{
    size_t i0 = (size_t)ceil(ic), i1 = i0 + (size_t)(IMPACT_WIN_S * s->fs);
    float m = 0;
    for (size_t i = i0; i <= i1 && i < s->base + s->n_raw; i++)
        m = s->raw[i - s->base] > m ? s->raw[i - s->base] : m;
    return m / AN_G0;
}

/* Emits the oldest accepted contact once the next one is known, or once
 * it is known that none follows within LAST_GAP_S (every candidate up to
 * then decided), or the stream has ended. Returns -1 when out of memory. */
static int emit_contacts(tendo_an_shank *s)
{
    while (s->nct > 0) {
        const contact *c = &s->ct[0];
        /* no contact can still be accepted before `horizon` */
        size_t horizon = (size_t)(s->ct[s->nct - 1].ic + LAST_GAP_S * s->fs) + 1;
        int settled = s->finishing || (s->scan > horizon && (s->nc == s->decided ||
                                                             s->c[s->decided].k > horizon));
        /* the next contact must itself be confirmed (its own next known) */
        if (s->nct < 3 && !settled)
            break;
        int has_next = s->nct > 1;
        double next = has_next ? s->ct[1].ic : NAN;
        int last = !has_next || (next - c->ic) / s->fs > LAST_GAP_S;
        size_t until = (size_t)(c->ic + TO_MAX_S * s->fs);
        if (!last && (size_t)next < until)
            until = (size_t)next;
        int running = !last && (next - c->ic) / s->fs < 2 * 60 / RUN_CADENCE_SPM;
        double to = running ? toe_off(s, c->ic, until) : NAN;
        tendo_an_stride st;
        memset(&st, 0, sizeof st);
        st.t_zv0 = st.t_zv1 = st.t_swing = NAN;
        st.t_ic = c->ic / s->fs;
        st.t_to_next = to / s->fs;
        st.t_to = isfinite(s->prev_to) && (c->ic - s->prev_ic) / s->fs <= LAST_GAP_S
                      ? s->prev_to / s->fs
                      : NAN;
        st.contact_s = st.t_to_next - st.t_ic;
        st.swing_s = st.t_ic - st.t_to;
        st.length_m = st.dz_m = st.speed_mps = NAN;
        st.peak_swing_radps = st.zv_gyro_radps = NAN;
        st.strike_angle_deg = NAN;
        st.running = running;
        st.gait_known = !last;
        st.impact_g = impact_g(s, c->ic);
        if (enqueue(s, &st) != 0)
            return -1;
        s->prev_to = to;
        s->prev_ic = c->ic;
        memmove(s->ct, s->ct + 1, (s->nct - 1) * sizeof *s->ct);
        s->nct--;
    }
    return 0;
}

/* A local maximum of the jerk at k (value v) of at least MIN_JERK that
 * starts a shock (shock_shaped). */
static int is_shock(const tendo_an_shank *s, size_t k, double v)
{
    return v >= MIN_JERK && v >= jerk(s, k - 1) && v > jerk(s, k + 1) && shock_shaped(s, k);
}

/* Finds new candidates, decides those whose neighbourhood is known and
 * emits contacts. Returns -1 when out of memory. */
static int process(tendo_an_shank *s)
{
    size_t avail = s->base + (s->n_r < s->n_r15 ? s->n_r : s->n_r15);
    size_t half = (size_t)(CAND_HALF_S * s->fs);
    size_t stop = s->finishing ? avail : (avail > half + 1 ? avail - half - 1 : 0);
    if (s->scan < s->base + 2)
        s->scan = s->base + 2;
    for (; s->scan + 1 < stop; s->scan++) {
        size_t k = s->scan;
        double v = jerk(s, k);
        if (!is_shock(s, k, v))
            continue;
        /* the sharpest shock within ±CAND_HALF_S (ties go to the last) */
        size_t lo = k >= s->base + half + 2 ? k - half : s->base + 2;
        size_t hi = k + half + 1 < avail ? k + half : avail - 2;
        int ok = 1;
        for (size_t i = lo; ok && i <= hi; i++) {
            if (i == k)
                continue;
            double u = jerk(s, i);
            if (i < k ? u > v : u >= v)
                ok = !is_shock(s, i, u);
        }
        if (!ok)
            continue;
        cand *c = tendo_array_reserve(s->c, &s->capc, s->nc, sizeof *c, 32);
        if (!c)
            return -1;
        s->c = c;
        s->c[s->nc++] = (cand){k, v};
    }
    /* Decide the oldest undecided candidate once its stride period is
     * known (an estimate centred at or after it) and every candidate within
     * NMS_PERIODS periods after it has been found. It is a contact if no
     * candidate within that distance is sharper (an earlier equal one wins). */
    while (s->decided < s->nc) {
        const cand *c0 = &s->c[s->decided];
        double t0 = (double)c0->k / s->fs;
        int have_est = s->nest > 0 && s->est[s->nest - 1].t_s >= t0;
        size_t w = (size_t)(NMS_PERIODS * period_at(s, c0->k) * s->fs);
        if (!s->finishing && (!have_est || c0->k + w + half + 2 >= avail))
            break;
        int keep = 1;
        for (size_t i = 0; keep && i < s->nc; i++) {
            const cand *q = &s->c[i];
            if (i == s->decided || (q->k < c0->k ? c0->k - q->k : q->k - c0->k) > w)
                continue;
            keep = q->k < c0->k ? q->j < c0->j : q->j <= c0->j;
        }
        if (keep) {
            contact *ct = tendo_array_reserve(s->ct, &s->capct, s->nct, sizeof *ct, 8);
            if (!ct)
                return -1;
            s->ct = ct;
            s->ct[s->nct++] = (contact){onset(s, c0->k), c0->k, c0->j};
        }
        s->decided++;
    }
    /* decided candidates further back than any later decision can reach
     * (the longest window) are dropped */
    size_t reach = (size_t)(NMS_PERIODS * MAX_PERIOD_S * s->fs) + 1, drop = 0;
    size_t front = s->decided < s->nc ? s->c[s->decided].k : s->scan;
    while (drop < s->decided && s->c[drop].k + reach < front)
        drop++;
    if (drop) {
        memmove(s->c, s->c + drop, (s->nc - drop) * sizeof *s->c);
        s->nc -= drop;
        s->decided -= drop;
    }
    return emit_contacts(s) == 0 ? 0 : -1;
}

/* Drops samples nothing can need any more: before the oldest contact not
 * yet emitted and the oldest undecided candidate's onset window. */
static void compact(tendo_an_shank *s)
{
    size_t keep = s->scan > (size_t)(0.5 * s->fs) ? s->scan - (size_t)(0.5 * s->fs) : 0;
    if (s->nct > 0 && (size_t)s->ct[0].ic < keep)
        keep = (size_t)s->ct[0].ic;
    if (s->decided < s->nc) {
        size_t b = (size_t)(ONSET_BACK_S * s->fs) + 2;
        size_t k = s->c[s->decided].k > b ? s->c[s->decided].k - b : 0;
        if (k < keep)
            keep = k;
    }
    keep = keep > 2 ? keep - 2 : 0;
    if (keep <= s->base)
        return;
    size_t d = keep - s->base;
    if (d > s->n_r)
        d = s->n_r;
    if (d > s->n_r15)
        d = s->n_r15;
    memmove(s->raw, s->raw + d, (s->n_raw - d) * sizeof *s->raw);
    memmove(s->r, s->r + d, (s->n_r - d) * sizeof *s->r);
    memmove(s->r15, s->r15 + d, (s->n_r15 - d) * sizeof *s->r15);
    s->n_raw -= d;
    s->n_r -= d;
    s->n_r15 -= d;
    s->base += d;
}

/* Appends the filter's output frames as resultants. */
static void append_resultant(float *dst, size_t *n, const float *frames, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        const float *a = frames + 3 * i;
        dst[*n + i] = sqrtf(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    }
    *n += m;
}

static int take_estimates(tendo_an_shank *s, tendo_error *err)
{
    tendo_an_cadence_est e;
    while (tendo_an_cadence_next(s->cad, &e)) {
        tendo_an_cadence_est *x =
            tendo_array_reserve(s->est, &s->capest, s->nest, sizeof *x, 16);
        tendo_an_cadence_est *y = tendo_array_reserve(s->qc, &s->qccap, s->qcn, sizeof *y, 16);
        if (!x || !y)
            return tendo_error_set(err, TENDO_EINTERNAL, "shank: out of memory");
        s->est = x;
        s->qc = y;
        s->qc[s->qcn++] = e;
        /* keep the estimates of the last minute (decisions lag by ~12 s) */
        size_t old = 0;
        while (old < s->nest && s->est[old].t_s < e.t_s - 60)
            old++;
        memmove(s->est, s->est + old, (s->nest - old) * sizeof *s->est);
        s->nest -= old;
        s->est[s->nest++] = e;
    }
    return TENDO_OK;
}

static int feed(tendo_an_shank *s, const float *acc, size_t n, tendo_error *err)
{
    if (s->n_raw + n > s->cap)
        compact(s);
    if (s->n_raw + n > s->cap)
        return tendo_error_set(err, TENDO_EINTERNAL,
                               "shank: buffer of %zu samples full (no decision for %g s)", s->cap,
                               BUF_S);
    for (size_t i = 0; i < n; i++) {
        const float *a = acc + 3 * i;
        s->raw[s->n_raw + i] = sqrtf(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    }
    s->n_raw += n;
    size_t m;
    int rc = tendo_an_fir_push(s->fir_imp, acc, n, s->fout, s->fout_cap, &m, err);
    if (rc != TENDO_OK)
        return rc;
    append_resultant(s->r, &s->n_r, s->fout, m);
    rc = tendo_an_fir_push(s->fir_to, acc, n, s->fout, s->fout_cap, &m, err);
    if (rc != TENDO_OK)
        return rc;
    append_resultant(s->r15, &s->n_r15, s->fout, m);
    rc = tendo_an_cadence_push(s->cad, acc, n, err);
    if (rc == TENDO_OK)
        rc = take_estimates(s, err);
    if (rc == TENDO_OK && process(s) != 0)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "shank: out of memory");
    return rc;
}

int tendo_an_shank_push(tendo_an_shank *s, const float *acc, size_t n, tendo_error *err)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < s->chunk ? n - done : s->chunk;
        int rc = feed(s, acc + 3 * done, k, err);
        if (rc != TENDO_OK)
            return rc;
        done += k;
    }
    return TENDO_OK;
}

int tendo_an_shank_finish(tendo_an_shank *s, tendo_error *err)
{
    size_t m;
    if (s->n_r + tendo_an_fir_max_out(s->fir_imp, 0) > s->cap ||
        s->n_r15 + tendo_an_fir_max_out(s->fir_to, 0) > s->cap)
        compact(s);
    int rc = tendo_an_fir_finish(s->fir_imp, s->fout, s->fout_cap, &m, err);
    if (rc == TENDO_OK)
        append_resultant(s->r, &s->n_r, s->fout, m);
    if (rc == TENDO_OK)
        rc = tendo_an_fir_finish(s->fir_to, s->fout, s->fout_cap, &m, err);
    if (rc == TENDO_OK)
        append_resultant(s->r15, &s->n_r15, s->fout, m);
    if (rc == TENDO_OK)
        rc = take_estimates(s, err);
    if (rc == TENDO_OK) {
        s->finishing = 1;
        if (process(s) != 0)
            rc = tendo_error_set(err, TENDO_EINTERNAL, "shank: out of memory");
    }
    return rc;
}
