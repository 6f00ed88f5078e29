/*
 * an_load.h — Achilles tendon load proxies (internal to the analysis).
 */
#ifndef TENDO_AN_LOAD_H
#define TENDO_AN_LOAD_H

#include "tendo_analysis.h"

/* Peak Achilles tendon force of one step, in body weights, from the gait
 * (walk/run), the step's speed and its footstrike; NAN when unknown. */
double an_achilles_force_bw(tendo_an_kind kind, double speed_mps, tendo_an_strike strike);

/* The reference force F_ref of the damage sum Σ (F / F_ref)^k, BW. */
double an_achilles_ref_bw(void);

#endif
