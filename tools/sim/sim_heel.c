/*
 * sim_heel.c — the heel-raise test: single-leg heel raises to fatigue on
 * the beat of a metronome, the other foot held off the ground.
 *
 * The protocol is the clinical heel-rise (work) test: standing on one leg,
 * fingertips on a wall, the heel raised as high as possible and lowered
 * again at 30 repetitions per minute (a 60 beats/min metronome, up on one
 * beat and down on the next) until the person can no longer keep up
 * (Silbernagel et al., Knee Surg Sports Traumatol Arthrosc 18:258, 2010;
 * Hébert-Losier et al., Physiotherapy 103:446, 2017). The simulated floor is
 * level (the clinical test often uses a 10° incline).
 *
 * The rising foot rotates about the ball (the metatarsal heads, SIM_BALL_X
 * ahead of the heel), so the heel's height is SIM_BALL_X · sin θ for a sole
 * angle θ. Each rise and each lowering follows the quintic smoothstep
 * 10u³ − 15u⁴ + 6u⁵ (zero rate and angular acceleration at both ends, so the
 * sensor signal has no jumps). Fatigue shows as a loss of range of motion
 * rather than of force (Österberg et al., Clin Biomech 13:330, 1998), so the
 * height falls over the set. Constants: tools/SIMULATOR.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define DEG (M_PI / 180.0)

/* Set timeline (model choice): standing still SETTLE_S, the other foot
 * lifts over LIFT_S, standing on one leg SETTLE_S, the repetitions,
 * SETTLE_S, the other foot comes down over LIFT_S, SETTLE_S. */
#define SETTLE_S 1.0
#define LIFT_S   0.8
/* Shares of one metronome period (model choice: up on one beat, down on
 * the next, a short pause at the top and on the floor); the rise and the
 * lowering vary by TEMPO_CV (clipped at 2 SD), the period does not. */
#define UP_SHARE   0.40
#define HOLD_SHARE 0.08
#define DOWN_SHARE 0.40
#define TEMPO_CV   0.04
/* Repetition-to-repetition height variation (model choice). */
#define HEIGHT_CV 0.03
/* Highest sole angle (model choice; the ankle's plantarflexion range ends
 * near 50–60° in a heel raise). */
#define MAX_ANGLE (60.0 * DEG)
/* The lifted foot (model choice): knee bent, heel 0.20 m up and 0.10 m
 * back, toes pitched 30° down; while lifted it sways (balance on one leg)
 * by about ±1.5° of pitch and ±1 cm, faded in and out over SWAY_RAMP_S. */
#define LIFT_UP_M   0.20
#define LIFT_BACK_M 0.10
#define LIFT_PITCH  (30.0 * DEG)
#define SWAY_PITCH  (1.5 * DEG)
#define SWAY_M      0.01
#define SWAY_RAMP_S 1.0
/* Purpose tag of the heel-raise random stream (sim_gen.c uses 1–5). */
#define TAG_HEEL 6

typedef struct rep_plan {
    double start, up, hold, down; /* start time and phase durations (s) */
    double theta;                 /* sole angle at the top (rad) */
} rep_plan;

typedef struct heel_set {
    int side, lifted;
    double t0, t_lift, t_reps, period, t_lower, t_end;
    size_t first, nreps; /* into plan[side] */
    double phase[4];     /* sway phases (rad) */
} heel_set;

struct sim_heel {
    heel_set *sets;
    size_t nsets;
    rep_plan *plan[TENDO_SIM_PODS];
    tendo_sim_heel_rep *rows[TENDO_SIM_PODS];
    size_t nrows[TENDO_SIM_PODS];
};

void tendo_sim_heel_raise_default(tendo_sim_heel_raise *h)
{
    memset(h, 0, sizeof *h);
    h->reps = 24;
    h->height_m = 0.12;
    h->rate_per_min = 30.0;
    h->final_height_frac = 0.6;
    h->other_resting = 0;
}

double tendo_sim_heel_raise_duration(const tendo_sim_heel_raise *h)
{
    double period = 60.0 / h->rate_per_min;
    return 4.0 * SETTLE_S + 2.0 * LIFT_S + (double)h->reps * period;
}

/* Smoothstep S(u) = 10u³ − 15u⁴ + 6u⁵ as a jet in time (du/dt = inv_T). */
static jet smoothstep(double u, double inv_T)
{
    u = fmin(1.0, fmax(0.0, u));
    double u2 = u * u;
    double s = u2 * u * (10.0 + u * (-15.0 + 6.0 * u));
    double ds = 30.0 * u2 * (1.0 - u) * (1.0 - u);
    double dds = 60.0 * u * (1.0 - u) * (1.0 - 2.0 * u);
    return (jet){s, ds * inv_T, dds * inv_T * inv_T};
}

static double clipped_normal(sim_rng *r)
{
    return fmax(-2.0, fmin(2.0, rng_normal(r)));
}

int sim_heel_build(sim_heel **out, const tendo_sim_profile *p, uint64_t seed)
{
    *out = NULL;
    size_t nsets = 0, nreps[TENDO_SIM_PODS] = {0, 0};
    for (size_t i = 0; i < p->nseg; i++)
        if (p->seg[i].kind == TENDO_SIM_HEEL_RAISE) {
            nsets++;
            nreps[p->seg[i].heel.side ? 1 : 0] += (size_t)p->seg[i].heel.reps;
        }
    if (nsets == 0)
        return 0;
    sim_heel *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->sets = calloc(nsets, sizeof *h->sets);
    for (int f = 0; f < TENDO_SIM_PODS; f++) {
        h->plan[f] = calloc(nreps[f] ? nreps[f] : 1, sizeof(rep_plan));
        h->rows[f] = calloc(nreps[f] ? nreps[f] : 1, sizeof(tendo_sim_heel_rep));
    }
    if (!h->sets || !h->plan[0] || !h->plan[1] || !h->rows[0] || !h->rows[1]) {
        sim_heel_free(h);
        return -1;
    }
    sim_rng rng = rng_stream(seed, TAG_HEEL);
    double t0 = 0.0;
    for (size_t i = 0; i < p->nseg; i++) {
        const tendo_sim_segment *g = &p->seg[i];
        if (g->kind != TENDO_SIM_HEEL_RAISE) {
            t0 += g->duration_s;
            continue;
        }
        const tendo_sim_heel_raise *hr = &g->heel;
        int f = hr->side ? 1 : 0;
        heel_set *set = &h->sets[h->nsets++];
        set->side = f;
        set->lifted = !hr->other_resting;
        set->t0 = t0;
        set->t_lift = t0 + SETTLE_S;
        set->t_reps = set->t_lift + LIFT_S + SETTLE_S;
        set->period = 60.0 / hr->rate_per_min;
        set->t_lower = set->t_reps + (double)hr->reps * set->period + SETTLE_S;
        set->t_end = t0 + g->duration_s;
        set->first = h->nrows[f];
        set->nreps = (size_t)hr->reps;
        for (int k = 0; k < 4; k++)
            set->phase[k] = rng_range(&rng, 0.0, 2.0 * M_PI);
        for (size_t k = 0; k < set->nreps; k++) {
            double x = set->nreps > 1 ? (double)k / (double)(set->nreps - 1) : 0.0;
            double height = hr->height_m * (1.0 - (1.0 - hr->final_height_frac) * x * x) *
                            (1.0 + HEIGHT_CV * clipped_normal(&rng));
            double theta = fmin(asin(fmin(1.0, height / SIM_BALL_X)), MAX_ANGLE);
            rep_plan *rp = &h->plan[f][h->nrows[f]];
            rp->start = set->t_reps + (double)k * set->period;
            rp->up = UP_SHARE * set->period * (1.0 + TEMPO_CV * clipped_normal(&rng));
            rp->hold = HOLD_SHARE * set->period;
            rp->down = DOWN_SHARE * set->period * (1.0 + TEMPO_CV * clipped_normal(&rng));
            rp->theta = theta;
            tendo_sim_heel_rep *row = &h->rows[f][h->nrows[f]++];
            row->start_s = rp->start;
            row->top_s = rp->start + rp->up;
            row->end_s = rp->start + rp->up + rp->hold + rp->down;
            row->height_m = SIM_BALL_X * sin(theta);
            row->angle_deg = theta / DEG;
            row->pod_rise_m = NAN; /* set by the generator from the true pose */
        }
        t0 += g->duration_s;
    }
    *out = h;
    return 0;
}

void sim_heel_free(sim_heel *h)
{
    if (!h)
        return;
    free(h->sets);
    for (int f = 0; f < TENDO_SIM_PODS; f++) {
        free(h->plan[f]);
        free(h->rows[f]);
    }
    free(h);
}

size_t sim_heel_reps(const sim_heel *h, int f, const tendo_sim_heel_rep **rows)
{
    *rows = h ? h->rows[f] : NULL;
    return h ? h->nrows[f] : 0;
}

void sim_heel_set_rise(sim_heel *h, int f, size_t i, double rise_m)
{
    h->rows[f][i].pod_rise_m = rise_m;
}

/* Sole angle θ (toes down, rad) of a rep at t; 0 on the floor. */
static int rep_angle(const rep_plan *rp, double t, jet *theta)
{
    double ts = t - rp->start;
    double t_hold = rp->up, t_down = rp->up + rp->hold, t_end = t_down + rp->down;
    if (ts <= 0.0 || ts >= t_end)
        return 0;
    if (ts < t_hold)
        *theta = j_scale(smoothstep(ts / rp->up, 1.0 / rp->up), rp->theta);
    else if (ts < t_down)
        *theta = j_const(rp->theta);
    else
        *theta = j_scale(j_sub(j_const(1.0), smoothstep((ts - t_down) / rp->down, 1.0 / rp->down)),
                         rp->theta);
    return 1;
}

/* How far the other foot is lifted (0..1) and the sway envelope at t. */
static int lift_state(const heel_set *set, double t, jet *lift, jet *env)
{
    double t_down_end = set->t_lower + LIFT_S;
    if (!set->lifted || t <= set->t_lift || t >= t_down_end)
        return 0;
    if (t < set->t_lift + LIFT_S)
        *lift = smoothstep((t - set->t_lift) / LIFT_S, 1.0 / LIFT_S);
    else if (t < set->t_lower)
        *lift = j_const(1.0);
    else
        *lift = j_sub(j_const(1.0), smoothstep((t - set->t_lower) / LIFT_S, 1.0 / LIFT_S));
    jet in = smoothstep((t - (set->t_lift + LIFT_S)) / SWAY_RAMP_S, 1.0 / SWAY_RAMP_S);
    jet out = j_sub(j_const(1.0), smoothstep((t - (set->t_lower - SWAY_RAMP_S)) / SWAY_RAMP_S,
                                             1.0 / SWAY_RAMP_S));
    *env = j_mul(in, out);
    return 1;
}

/* sin(2π f t + φ) as a jet. */
static jet wave(double f_hz, double phase, double t)
{
    double w = 2.0 * M_PI * f_hz;
    return j_sin((jet){w * t + phase, w, 0.0});
}

int sim_heel_pose(const sim_heel *h, int f, double t, const sim_stance *st, double heading,
                  double lateral, sim_pose *out)
{
    const heel_set *set = NULL;
    for (size_t i = 0; i < h->nsets; i++)
        if (t > h->sets[i].t0 && t < h->sets[i].t_end) {
            set = &h->sets[i];
            break;
        }
    if (!set)
        return 0;
    double slope = atan(st->grade);
    jet along, up;
    if (set->side == f) {
        double k = floor((t - set->t_reps) / set->period);
        if (k < 0.0 || k >= (double)set->nreps)
            return 0;
        jet theta;
        if (!rep_angle(&h->plan[f][set->first + (size_t)k], t, &theta))
            return 0;
        jet pitch = j_sub(j_const(slope), theta); /* heel up = toes down */
        sim_pivot_position(st->hx, st->hz, slope, pitch, 1, &along, &up);
        sim_track_to_world(along, lateral, up, heading, out->p);
        out->pitch = pitch;
        out->roll = j_const(0.0);
        return 1;
    }
    jet lift, env;
    if (!lift_state(set, t, &lift, &env))
        return 0;
    const double *ph = set->phase;
    jet sway_p = j_mul(
        env, j_scale(j_add(wave(0.4, ph[0], t), j_scale(wave(1.1, ph[1], t), 0.5)), SWAY_PITCH));
    jet sway_x = j_mul(env, j_scale(wave(0.3, ph[2], t), SWAY_M));
    jet sway_z = j_mul(env, j_scale(wave(0.7, ph[3], t), 0.5 * SWAY_M));
    jet pitch = j_add(j_sub(j_const(slope), j_scale(lift, LIFT_PITCH)), sway_p);
    sim_pivot_position(st->hx, st->hz, slope, pitch, 0, &along, &up);
    along = j_add(along, j_add(j_scale(lift, -LIFT_BACK_M), sway_x));
    up = j_add(up, j_add(j_scale(lift, LIFT_UP_M), sway_z));
    sim_track_to_world(along, lateral, up, heading, out->p);
    out->pitch = pitch;
    out->roll = j_const(0.0);
    return 1;
}
