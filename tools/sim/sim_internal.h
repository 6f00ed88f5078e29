/*
 * sim_internal.h — shared by the simulator's sources; not installed.
 *
 * Kinematics are built from "jets" (value, first and second time derivative)
 * so that acceleration and angular rate are the exact derivatives of the
 * trajectory the truth describes: integrating the sensor output reproduces
 * the trajectory up to the integrator's own error.
 */
#ifndef TENDO_SIM_INTERNAL_H
#define TENDO_SIM_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "tendo_sim.h"

/* ------------------------------------------------------------------ jets */

typedef struct jet {
    double v, d, dd;
} jet;

static inline jet j_const(double c) { return (jet){c, 0.0, 0.0}; }
static inline jet j_add(jet a, jet b) { return (jet){a.v + b.v, a.d + b.d, a.dd + b.dd}; }
static inline jet j_sub(jet a, jet b) { return (jet){a.v - b.v, a.d - b.d, a.dd - b.dd}; }
static inline jet j_scale(jet a, double k) { return (jet){a.v * k, a.d * k, a.dd * k}; }
static inline jet j_mul(jet a, jet b)
{
    return (jet){a.v * b.v, a.d * b.v + a.v * b.d, a.dd * b.v + 2.0 * a.d * b.d + a.v * b.dd};
}
static inline jet j_sin(jet a)
{
    double s = sin(a.v), c = cos(a.v);
    return (jet){s, c * a.d, c * a.dd - s * a.d * a.d};
}
static inline jet j_cos(jet a)
{
    double s = sin(a.v), c = cos(a.v);
    return (jet){c, -s * a.d, -s * a.dd - c * a.d * a.d};
}
static inline jet j_exp(jet a)
{
    double e = exp(a.v);
    return (jet){e, e * a.d, e * (a.dd + a.d * a.d)};
}

/* ------------------------------------------------------------------- RNG */

/* splitmix64 (Steele, Lea & Flood 2014): small, fast, well mixed; one
 * stream per purpose so draws never depend on block sizes. */
typedef struct sim_rng {
    uint64_t s;
} sim_rng;

static inline uint64_t rng_next(sim_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Uniform in (0, 1): never 0, so log() is safe. */
static inline double rng_uniform(sim_rng *r)
{
    return ((double)(rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static inline double rng_range(sim_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}
/* Two independent standard normals (Box–Muller). */
static inline void rng_normal2(sim_rng *r, double *a, double *b)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    double m = sqrt(-2.0 * log(u));
    *a = m * cos(2.0 * M_PI * v);
    *b = m * sin(2.0 * M_PI * v);
}
static inline double rng_normal(sim_rng *r)
{
    double a, b;
    rng_normal2(r, &a, &b);
    return a;
}
/* A stream for one purpose, from the seed and a purpose tag. */
static inline sim_rng rng_stream(uint64_t seed, uint64_t tag)
{
    sim_rng r = {seed ^ (tag * 0xD1B54A32D192ED03ull)};
    rng_next(&r);
    return r;
}

/* ---------------------------------------------------------- gait / foot */

/* One ground contact of one foot, with everything needed to evaluate the
 * foot's motion from initial contact to toe-off. */
typedef struct sim_stance {
    double t_ic, t_ff, t_ho, t_to; /* contact, sole flat, heel-off, toe-off (s) */
    double s;                      /* footprint: surface distance of the heel (m) */
    double hx, hz;                 /* heel: horizontal along track, height (m) */
    double grade;
    double speed;                  /* locomotion speed of this step */
    tendo_sim_kind kind;           /* walk or run; REST for the initial stance */
    tendo_sim_strike strike;
    int resting;                   /* the foot stands through a rest after it */
    double th_ic, om_ic;           /* pitch rel. ground at contact (rad), rate (rad/s) */
    double th_to, om_to;           /* the same at toe-off */
    double imp_v[2];               /* impact velocity absorbed: forward, down (m/s) */
    double imp_tau;                /* impact time scale (s) */
    double impact_g;
    double clear_m;                /* extra swing height into this contact (m) */
    double step_len;               /* surface distance of the step into this contact */
    double step_time;
} sim_stance;

/* Geometry of the foot (foot frame, m): heel sole point is the origin. */
#define SIM_BALL_X 0.19  /* metatarsal heads: push-off pivot */
#define SIM_POD_X 0.12   /* pod on the laces, over the midfoot */
#define SIM_POD_Z 0.06

/* Foot pose as jets: sensor position (world) and pitch/roll. */
typedef struct sim_pose {
    jet p[3];
    jet pitch; /* toe up positive, includes the ground slope */
    jet roll;  /* about the foot x axis */
} sim_pose;

/* Evaluates a stance at time t (t_ic <= t <= t_to, or in a rest). */
void sim_stance_eval(const sim_stance *st, double heading, double lateral, double t,
                     sim_pose *out);

/* The swing between two stances of one foot, precomputed. */
typedef struct sim_swing {
    double t0, t1;
    double c[4][6];   /* quintic coefficients in u: x, y, z (world), pitch */
    double clear_m;   /* bump height */
    double side_sign; /* +1 left, −1 right */
    double heading;
} sim_swing;

void sim_swing_init(sim_swing *sw, const sim_stance *from, const sim_stance *to, double heading,
                    double lateral, double side_sign);
void sim_swing_eval(const sim_swing *sw, double t, sim_pose *out);

/* Sensor position along the track and up for a sole at absolute `pitch`
 * pivoting about the heel (ball = 0) or the ball (ball = 1) of a foot whose
 * heel sole point lies at (hx, hz) when flat on a slope (rad). */
void sim_pivot_position(double hx, double hz, double slope, jet pitch, int ball, jet *along,
                        jet *up);
/* Track coordinates (along, lateral, up) to world. */
void sim_track_to_world(jet along, double lateral, jet up, double heading, jet p[3]);

/* Rotation matrix (foot → world) for a pose; omega in the foot frame. */
void sim_pose_rotation(const sim_pose *ps, double heading, double R[9], double omega_foot[3]);

/* The foot's impact pulse as a displacement (along the track, up) at time
 * t of stance st: returns 1 inside the pulse, else 0 with both zero.
 * sim_stance_eval adds it. */
int sim_impact_offset(const sim_stance *st, double t, jet *along, jet *up);
/* Peak of |d²/dt² [t·exp(−(t/τ)²)]| · τ: a pulse absorbing dv peaks at
 * dv · this / τ. */
double sim_impact_shape_peak(void);

/* ------------------------------------------------- shank pods (sim_shank.c) */

/* Pose of a sensor on the distal shank at time t, from the pose of the
 * foot's pod at t (`foot`, as sim_stance_eval / sim_swing_eval give it):
 * st is the stance in force (the last with t_ic <= t) and next the one
 * after it (NULL if none); in_swing says which phase t lies in. The pose's
 * pitch is minus the shank's forward tilt. */
void sim_shank_pose(const sim_stance *st, const sim_stance *next, int in_swing,
                    const sim_pose *foot, double t, double heading, sim_pose *out);
/* Peak of the tibial shock transient of a contact (g): the truth's
 * impact_g for shank pods. */
double sim_shank_shock_g(const sim_stance *st);

/* Fills the per-step parameters (timing, angles, impact) for a step at
 * speed v of a kind/strike; t_ic and footprint are set by the caller. */
void sim_stance_params(sim_stance *st, tendo_sim_kind kind, tendo_sim_strike strike, double v,
                       double leg_length_m, double step_time);

/* Gait numbers for a speed (see SIMULATOR.md). */
double sim_swing_duration(tendo_sim_kind kind, double v, double leg_length_m);

/* ------------------------------------------------- heel raises (sim_heel.c) */

typedef struct sim_heel sim_heel;

/* Plans every heel-raise set of the profile: repetition times, heights and
 * the lifted foot's sway (seeded). *out stays NULL when the profile has no
 * heel-raise segment. Returns -1 when out of memory. */
int sim_heel_build(sim_heel **out, const tendo_sim_profile *p, uint64_t seed);
void sim_heel_free(sim_heel *h);
/* When foot f (0 left) moves for a heel-raise set at time t, writes its
 * pose and returns 1; otherwise returns 0 and the foot stands as `st` says.
 * st is the foot's resting stance (sole flat). */
int sim_heel_pose(const sim_heel *h, int f, double t, const sim_stance *st, double heading,
                  double lateral, sim_pose *out);
size_t sim_heel_reps(const sim_heel *h, int f, const tendo_sim_heel_rep **rows);
/* Records how far the pod rose in repetition i of foot f (from the true pose). */
void sim_heel_set_rise(sim_heel *h, int f, size_t i, double rise_m);

#endif
