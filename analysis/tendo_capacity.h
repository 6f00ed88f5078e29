/*
 * tendo_capacity.h — calf capacity from a foot pod: the single-leg
 * heel-raise test to fatigue (repetitions, the heel's height in each, total
 * work, and the left/right limb symmetry index used for return to run).
 *
 * Pure computation on arrays, streaming like the rest of analysis/: push a
 * pod's sensor-frame samples (SI units, interleaved x,y,z) in chunks of any
 * size, pop the repetitions as they complete. Memory is bounded by the
 * longest repetition considered (TENDO_AN_CAPACITY_MAX_REP_S), not by the
 * recording. Any mounting works: the method needs no foot frame.
 * Method, constants and sources: analysis/MODELS.md, "Calf capacity".
 */
#ifndef TENDO_CAPACITY_H
#define TENDO_CAPACITY_H

#include <stddef.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default lever from the heel to the ball of the foot (m): foot length
 * ≈ 0.152 × stature (Drillis & Contini 1966) with the metatarsal heads at
 * ≈ 72 % of it from the heel, i.e. ≈ 0.19 m at 1.75 m. */
#define TENDO_AN_CAPACITY_LEVER_M 0.19
/* Smallest heel rise counted as a repetition (m). */
#define TENDO_AN_CAPACITY_MIN_HEIGHT_M 0.015
/* Longest repetition considered (s); longer excursions are not heel raises. */
#define TENDO_AN_CAPACITY_MAX_REP_S 6.0
/* Return-to-run criterion: the involved side within 90 % of the other
 * (limb symmetry index, DESIGN.md; Silbernagel et al. 2010). */
#define TENDO_AN_CAPACITY_LSI_CRITERION_PCT 90.0

typedef struct tendo_an_capacity_options {
    double fs_hz;        /* sample rate, 100–2000 Hz */
    double lever_m;      /* heel-to-ball distance; 0 → TENDO_AN_CAPACITY_LEVER_M */
    double min_height_m; /* 0 → TENDO_AN_CAPACITY_MIN_HEIGHT_M */
} tendo_an_capacity_options;

/* One heel raise. Times in seconds since the first sample pushed. */
typedef struct tendo_an_heel_raise {
    double t_start;    /* the foot leaves the standing pose */
    double t_top;      /* highest sole angle */
    double t_end;      /* back on the floor */
    double angle_deg;  /* sole angle at the top against standing (plantarflexion) */
    double height_m;   /* heel height: lever · sin(angle) */
    double pod_rise_m; /* the pod's own rise, floor → top, by strapdown integration */
    double travel_m;   /* the pod's horizontal displacement floor → floor (≈ 0) */
} tendo_an_heel_raise;

/* What the detector saw: for messages when nothing was counted. */
typedef struct tendo_an_capacity_stats {
    size_t samples;
    int have_reference;      /* a standing still period (≥ 1 s) was found */
    double reference_at_s;   /* when it ended */
    size_t reps;             /* repetitions counted */
    size_t rejected_long;    /* excursions from standing longer than the max (a lifted foot) */
    size_t rejected_short;   /* shorter than 0.3 s */
    size_t rejected_travel;  /* the pod moved away (a step, not a heel raise) */
    size_t rejected_no_rise; /* the pod did not rise */
    size_t rejected_angle;   /* sole angle above 70°: not a heel raise */
    size_t rejected_lifted;  /* the pod rose more than turning on the ball allows */
} tendo_an_capacity_stats;

typedef struct tendo_an_capacity tendo_an_capacity;

int tendo_an_capacity_new(tendo_an_capacity **out, const tendo_an_capacity_options *opt,
                          tendo_error *err);
void tendo_an_capacity_free(tendo_an_capacity *c);
/* Feeds n samples of accelerometer (m/s²) and gyroscope (rad/s) data. */
int tendo_an_capacity_push(tendo_an_capacity *c, const float *acc, const float *gyro, size_t n,
                           tendo_error *err);
/* Ends the stream: a repetition back on the floor is completed. */
int tendo_an_capacity_finish(tendo_an_capacity *c, tendo_error *err);
/* Pops the oldest completed repetition: 1 if one was written, 0 if none. */
int tendo_an_capacity_next(tendo_an_capacity *c, tendo_an_heel_raise *out);
const tendo_an_capacity_stats *tendo_an_capacity_get_stats(const tendo_an_capacity *c);

/* ---------------------------------------------------------------------
 * The test's result for both feet.
 * ------------------------------------------------------------------- */

typedef struct tendo_an_capacity_side {
    size_t reps;
    double height_first_m, height_last_m; /* NAN without reps */
    double height_mean_m, height_max_m;
    double height_sum_m; /* total heel rise */
    double work_j;       /* Σ m·g·height; NAN when the mass is unknown */
} tendo_an_capacity_side;

typedef struct tendo_an_capacity_result {
    tendo_an_capacity_side side[2]; /* 0 left, 1 right */
    int involved;      /* side the symmetry is about: the injured side, else the weaker */
    int injured_known; /* 1: `involved` is the athlete's injured side */
    /* Limb symmetry index, involved / other × 100 (Silbernagel et al. 2010);
     * NAN unless both sides have repetitions. Work uses the height sum, so it
     * needs no body mass. */
    double lsi_reps_pct, lsi_height_pct, lsi_work_pct;
    int meets_criterion; /* lsi_work_pct >= TENDO_AN_CAPACITY_LSI_CRITERION_PCT */
} tendo_an_capacity_result;

/* Summarises the repetitions of each side. mass_kg <= 0: unknown (no work
 * in joules); injured_side 0/1, or -1 when not known (the weaker side by
 * total heel rise is then the involved one). */
void tendo_an_capacity_summarize(const tendo_an_heel_raise *left, size_t nleft,
                                 const tendo_an_heel_raise *right, size_t nright, double mass_kg,
                                 int injured_side, tendo_an_capacity_result *out);

#ifdef __cplusplus
}
#endif
#endif
