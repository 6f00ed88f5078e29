/*
 * an_load.h — Achilles tendon load proxies (internal to the analysis).
 */
#ifndef TENDO_AN_LOAD_H
#define TENDO_AN_LOAD_H

#include <stddef.h>

#include "tendo_analysis.h"

/* Peak Achilles tendon force of one step, in body weights, from the gait
 * (walk/run), the step's speed and its footstrike; NAN when unknown. The
 * cadence term is applied afterwards over the whole session
 * (an_achilles_cadence_adjust). */
double an_achilles_force_bw(tendo_an_kind kind, double speed_mps, tendo_an_strike strike);

/* The reference force F_ref of the damage sum Σ (F / F_ref)^k, BW. */
double an_achilles_ref_bw(void);

/* Peak vertical ground reaction force of a running step, body weights, by
 * the sine-wave model of Morin et al. 2005: π/2 · (tf/tc + 1); NAN unless
 * contact_s > 0 and flight_s >= 0. */
double an_vgrf_peak_bw(double contact_s, double flight_s);

/* The population's preferred step rate at a speed, steps/min (van Oeveren /
 * de Ruiter et al. 2020: 165 at 3.04 m/s, +3 at +15% speed; a power law
 * through them); NAN unless speed_mps > 0. */
double an_pref_step_rate_spm(double speed_mps);

/* The cadence term: scales each level running step's force by its modelled
 * peak vertical force over the one a step at the population's preferred
 * step rate for that speed gives with this session's mean contact time
 * there (see analysis/MODELS.md, "Achilles load"). Steps it cannot judge
 * keep their force. */
void an_achilles_cadence_adjust(tendo_an_step *st, size_t n);

#endif
