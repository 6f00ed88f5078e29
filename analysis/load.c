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
