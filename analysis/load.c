/*
 * load.c — the per-step Achilles tendon force proxy (see an_load.h and
 * analysis/MODELS.md, "Achilles load").
 */
#include <math.h>

#include "an_internal.h"
#include "an_load.h"

/* Peak Achilles tendon force while running, body weights, against speed:
 * 8.2 BW at 2.68 m/s to 10.1 BW at 4.47 m/s, measured by shear-wave
 * tensiometry (Reiter et al. 2024, Med. Sci. Sports Exerc.), a straight
 * line through those two speeds: F/BW = 8.2 + 1.06 (v - 2.68). */
#define RUN_F0_BW            8.2
#define RUN_V0_MPS           2.68
#define RUN_SLOPE_BW_PER_MPS 1.06
/* Walking at 1.34 m/s, the same study: 44.0 N/kg, i.e. 44.0 / g0 BW. */
#define WALK_F_NPERKG 44.0
/* Non-rearfoot strikes load the tendon 11% more per step (Achilles tendon
 * impulse, Almonroeder et al. 2013, Ann. Biomed. Eng. 41:1758), applied
 * to the peak as DESIGN.md decides. */
#define NON_REAR_FACTOR 1.11

double an_achilles_force_bw(tendo_an_kind kind, double speed_mps, tendo_an_strike strike)
{
    if (kind == TENDO_AN_WALK)
        return WALK_F_NPERKG / AN_G0;
    if (kind != TENDO_AN_RUN || !isfinite(speed_mps) || speed_mps <= 0)
        return NAN;
    double f = RUN_F0_BW + RUN_SLOPE_BW_PER_MPS * (speed_mps - RUN_V0_MPS);
    if (strike == TENDO_AN_MID || strike == TENDO_AN_FORE)
        f *= NON_REAR_FACTOR;
    return f;
}

double an_achilles_ref_bw(void)
{
    return RUN_F0_BW; /* rearfoot running at 2.68 m/s: the study's easy pace */
}

/* Peak vertical ground reaction force of a running step (Morin et al. 2005,
 * J. Appl. Biomech. 21:167, eq. 6): the force over the contact modelled as
 * F(t) = Fmax sin(π t / tc), whose impulse 2 Fmax tc / π must carry the body
 * weight over the whole step tc + tf, so Fmax / (m g) = π/2 (tf/tc + 1).
 * Validated against force platforms at 3.33 m/s to maximal speed (modelled
 * Fmax 6.9 ± 2.5% below the platform on a treadmill, 3.2 ± 2.1% overground);
 * only ratios of it are used here, so that bias cancels. */
double an_vgrf_peak_bw(double contact_s, double flight_s)
{
    if (!(contact_s > 0) || !(flight_s >= 0) || !isfinite(flight_s))
        return NAN;
    return M_PI / 2 * (flight_s / contact_s + 1);
}

/* The cadence term is judged on level ground only: Morin's model and Reiter's
 * forces were both measured on level ground, and uphill the calf works harder
 * while the modelled vertical force falls. 2% grade per stride: model choice,
 * above the stride's height error (a few cm over ~2–3 m). */
#define LEVEL_GRADE 0.02
/* The session's mean contact time at a step's speed pools the level
 * running steps within ±0.25 m/s of it (5 bins of 0.1 m/s; model choice:
 * contact time changes by a few % over that span and the pooling is
 * symmetric), so the contact's own shortening with speed, already in
 * Reiter's line, is not counted twice. */
#define BIN_MPS   0.1
#define NBINS     128 /* up to 12.8 m/s; faster steps share the last bin */
#define HALF_BINS 2
/* Fewer pooled steps than this say too little about the runner's contact
 * time at that speed: the step keeps its force (model choice). */
#define MIN_REF_STEPS 20

/* The step's modelled peak vertical force, or NAN when the cadence term
 * does not apply to it. */
static double step_vgrf(const tendo_an_step *p)
{
    if (p->kind != TENDO_AN_RUN || !isfinite(p->achilles_force_bw) || !(p->speed_mps > 0))
        return NAN;
    if (!(p->stride_len_m > 0) || !isfinite(p->dz_m) ||
        fabs(p->dz_m) > LEVEL_GRADE * p->stride_len_m)
        return NAN;
    return an_vgrf_peak_bw(p->gct_ms / 1000, p->flight_ms / 1000);
}

static int speed_bin(double v)
{
    double k = floor(v / BIN_MPS);
    return k >= NBINS - 1 ? NBINS - 1 : (int)k;
}

/* The population's preferred step rate against speed: 165 steps/min at
 * 3.04 m/s, +3 steps/min at 15% higher speed (3.50 m/s), 21 experienced
 * recreational runners outdoors (van Oeveren / de Ruiter et al. 2020, Eur.
 * J. Sport Sci. 20:182; between runners ±8 steps/min). A power law through
 * those two points, SR = 165 (v / 3.04)^b, b = ln(168/165) / ln(1.15) =
 * 0.129: measured over 3.04–3.50 m/s, extrapolated (not clamped) beyond,
 * as Reiter's force line is; the power law keeps the rate positive and
 * slowly varying at any speed (model choice over the linear fit). */
#define PREF_SPM   165.0
#define PREF_V_MPS 3.04
#define PREF_B     (log(168.0 / 165.0) / log(1.15))

double an_pref_step_rate_spm(double speed_mps)
{
    if (!(speed_mps > 0) || !isfinite(speed_mps))
        return NAN;
    return PREF_SPM * pow(speed_mps / PREF_V_MPS, PREF_B);
}

void an_achilles_cadence_adjust(tendo_an_step *st, size_t n)
{
    /* The reference at a step's speed v: F̂z,ref = π/2 · T_pref(v) / t̄c(v),
     * the sine model's peak for a step lasting the population's preferred
     * step period T_pref = 60 / SR_pref(v) with this session's own mean
     * contact time t̄c of its level running steps near v. So the factor
     * F̂z / F̂z,ref = (T / T_pref) · (t̄c / tc): within a session it moves
     * as Morin's model does from step to step, and a whole session at a
     * higher step rate than the population's (retrained or habitual) is
     * credited T / T_pref, which a session-own reference cancelled.
     * Reiter's forces were measured at preferred step rates, taken here as
     * the population's. */
    double sum[NBINS] = {0};
    size_t cnt[NBINS] = {0};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(step_vgrf(&st[i])))
            continue;
        int k = speed_bin(st[i].speed_mps);
        sum[k] += st[i].gct_ms / 1000;
        cnt[k]++;
    }
    for (size_t i = 0; i < n; i++) {
        double f = step_vgrf(&st[i]);
        if (!isfinite(f))
            continue;
        int k = speed_bin(st[i].speed_mps);
        double s = 0;
        size_t c = 0;
        for (int j = k - HALF_BINS; j <= k + HALF_BINS; j++)
            if (j >= 0 && j < NBINS) {
                s += sum[j];
                c += cnt[j];
            }
        if (c < MIN_REF_STEPS || !(s > 0))
            continue;
        double tc_mean = s / (double)c;
        double ref = M_PI / 2 * (60 / an_pref_step_rate_spm(st[i].speed_mps)) / tc_mean;
        st[i].achilles_force_bw *= f / ref;
    }
}
