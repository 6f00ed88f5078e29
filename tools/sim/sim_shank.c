/*
 * sim_shank.c — an accelerometer on the distal shank (tibia), derived from
 * the simulated foot: the ankle joint rides on the foot, the shank tilts
 * about it through the gait cycle, and each contact adds the tibial shock
 * transient. Every number is listed with its source or as a model choice
 * in tools/SIMULATOR.md ("Shank pods").
 *
 * Frames: shank frame x anterior, y to the left, z along the tibia towards
 * the knee. Tilt φ: the shank's angle from the vertical in the sagittal
 * plane, positive when the knee is ahead of the ankle; the shank frame is
 * the track frame rotated by φ about y, so the pose's pitch is −φ.
 */
#include <math.h>

#include "sim_internal.h"

#define DEG (M_PI / 180.0)

/* Ankle joint centre in the foot frame (heel sole point at the origin):
 * 5 cm ahead of the heel, 8 cm above the sole (model choice: adult foot
 * geometry, malleoli some 7–8 cm above the floor). */
#define ANKLE_X 0.05
#define ANKLE_Z 0.08
/* The sensor: 8 cm up the tibia from the ankle joint and 2 cm in front of
 * its axis, i.e. on the anteromedial distal tibia a few centimetres above
 * the medial malleolus, where tibial-shock studies tape it (e.g. 5 cm
 * above the malleolus: Sports Eng. 21, 2018, doi:10.1007/s12283-018-0271-4). */
#define SENSOR_AXIAL 0.08
#define SENSOR_ANTERIOR 0.02
/* A closing step's shank comes upright within this time (s) (model choice,
 * inside the simulator's 0.3 s settle before a rest). */
#define SETTLE_S 0.25

/* Tilt at contact and toe-off, degrees (model choice, from the sagittal
 * hip and knee angles of Novacheck 1998, Gait & Posture 7:77: tilt = knee
 * flexion − hip flexion; running ≈ 20° − 30° at contact, ≈ 25° + 15° of
 * hip extension at toe-off; walking ≈ 5° − 25° and 38° + 10°). */
static double tilt_ic(const sim_stance *st)
{
    return (st->kind == TENDO_SIM_WALK ? -20.0 : -10.0) * DEG;
}
static double tilt_to(const sim_stance *st)
{
    return (st->kind == TENDO_SIM_WALK ? 45.0 : 40.0) * DEG;
}
/* Largest tilt in the swing, when the knee is most flexed (model choice:
 * the heel swings up behind, more with speed; Novacheck 1998 reports peak
 * swing knee flexion rising from ~90° jogging to ~130° sprinting):
 * walking 55°, running 60° at 3 m/s + 6° per m/s, within 55–85°. */
static double tilt_swing_peak(const sim_stance *st)
{
    if (st->kind == TENDO_SIM_WALK)
        return 55.0 * DEG;
    return fmax(55.0, fmin(85.0, 60.0 + 6.0 * (st->speed - 3.0))) * DEG;
}
/* The tibia rotates forward over the planted foot at its mean stance rate. */
static double tilt_rate(const sim_stance *st)
{
    double tc = isfinite(st->t_to) && isfinite(st->t_ic) && !st->resting
                    ? st->t_to - st->t_ic
                    : tendo_sim_contact_time(st->kind == TENDO_SIM_WALK ? TENDO_SIM_WALK
                                                                        : TENDO_SIM_RUN,
                                             fmax(st->speed, 1.0), 0.92 /* default hip height */);
    return (tilt_to(st) - tilt_ic(st)) / fmax(tc, 0.05);
}

/* Quintic Hermite from (p0, v0, 0) at t0 to (p1, v1, 0) at t1, as a jet at t. */
static jet hermite_jet(double p0, double v0, double p1, double v1, double t0, double t1, double t)
{
    double T = t1 - t0, u = (t - t0) / T;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    double dp = p1 - p0, V0 = v0 * T, V1 = v1 * T;
    double c[6] = {p0, V0, 0.0, 10.0 * dp - 6.0 * V0 - 4.0 * V1, -15.0 * dp + 8.0 * V0 + 7.0 * V1,
                   6.0 * dp - 3.0 * V0 - 3.0 * V1};
    double p = c[5], d = 0.0, dd = 0.0;
    for (int k = 4; k >= 0; k--) {
        dd = dd * u + 2.0 * d;
        d = d * u + p;
        p = p * u + c[k];
    }
    return (jet){p, d / T, dd / (T * T)};
}

/* The shank's tilt φ(t) as a jet. */
static jet tilt(const sim_stance *st, const sim_stance *next, int in_swing, double t)
{
    /* a standing foot's push-off leads into the next contact's gait */
    const sim_stance *gait = st->kind == TENDO_SIM_REST && next ? next : st;
    if (in_swing) { /* toe-off → next contact, plus the knee-flexion bump */
        double p0 = tilt_to(gait), p1 = tilt_ic(next);
        jet h = hermite_jet(p0, tilt_rate(gait), p1, tilt_rate(next), st->t_to, next->t_ic, t);
        double T = next->t_ic - st->t_to, u = (t - st->t_to) / T;
        jet U = {u, 1.0 / T, 0.0}, W = j_sub(j_const(1.0), U);
        jet bump = j_scale(j_mul(j_mul(U, j_mul(U, U)), j_mul(W, j_mul(W, W))), 64.0);
        return j_add(h, j_scale(bump, tilt_swing_peak(next) - 0.5 * (p0 + p1)));
    }
    if (!st->resting)
        return hermite_jet(tilt_ic(st), tilt_rate(st), tilt_to(st), tilt_rate(st), st->t_ic,
                           st->t_to, t);
    /* standing: upright, after settling from a closing step, until the
     * push-off of the first step of the next bout */
    if (isfinite(st->t_ic) && t < st->t_ic + SETTLE_S)
        return hermite_jet(tilt_ic(st), tilt_rate(st), 0.0, 0.0, st->t_ic, st->t_ic + SETTLE_S, t);
    if (isfinite(st->t_to) && t > st->t_ho && next)
        return hermite_jet(0.0, 0.0, tilt_to(gait), tilt_rate(gait), st->t_ho, st->t_to, t);
    return j_const(0.0);
}

/* Tibial shock transient: the tibia arrives with an extra velocity along
 * its axis that the pulse D(t) = t·exp(−(t/τ)²) removes (the shape of the
 * foot's impact, sim_model.c). Peak deceleration: 5 g at 2 m/s rising
 * 1.75 g per m/s (12 g at 6 m/s), rearfoot; ×0.8 midfoot, ×0.6 forefoot as
 * the foot's impact; 2 g walking (model choices within the 5–12 g range of
 * peak tibial acceleration in running and its rise with speed: Sheerin et
 * al. 2020, Sports Biomech 19:750, +3.8 g (+38 %) from 2.7 to 3.7 m/s).
 * Time scale: the shank's impact power lies at 12–20 Hz, rising with speed
 * over 2–5 m/s (Shorten & Winslow 1992, J Appl Biomech 8:288); the
 * pulse's positive lobe (1.22 τ) is taken as half a period of that
 * frequency, so τ = 1/(2.45 f), 34–20 ms, and the peak comes ~0.5 τ
 * (10–17 ms) after contact. */
double sim_shank_shock_g(const sim_stance *st)
{
    if (st->kind != TENDO_SIM_RUN)
        return 2.0;
    double g = fmax(4.0, fmin(14.0, 5.0 + 1.75 * (st->speed - 2.0)));
    return g * (st->strike == TENDO_SIM_MID ? 0.8 : st->strike == TENDO_SIM_FORE ? 0.6 : 1.0);
}

static double shock_tau(const sim_stance *st)
{
    double v = st->kind == TENDO_SIM_RUN ? st->speed : 1.5;
    double f = fmax(12.0, fmin(20.0, 12.0 + 8.0 / 3.0 * (v - 2.0)));
    return 1.0 / (2.45 * f);
}

void sim_shank_pose(const sim_stance *st, const sim_stance *next, int in_swing,
                    const sim_pose *foot, double t, double heading, sim_pose *out)
{
    /* the ankle rides on the foot, without the foot's own impact pulse
     * (the tibia's transient replaces it) */
    jet d_along, d_up;
    if (!in_swing && sim_impact_offset(st, t, &d_along, &d_up)) {
        d_along = j_scale(d_along, -1.0);
        d_up = j_scale(d_up, -1.0);
    } else {
        d_along = d_up = j_const(0.0);
    }
    double dx = ANKLE_X - SIM_POD_X, dz = ANKLE_Z - SIM_POD_Z;
    jet cp = j_cos(foot->pitch), sp = j_sin(foot->pitch);
    d_along = j_add(d_along, j_sub(j_scale(cp, dx), j_scale(sp, dz)));
    d_up = j_add(d_up, j_add(j_scale(sp, dx), j_scale(cp, dz)));
    /* up the tilted tibia to the sensor */
    jet phi = tilt(st, next, in_swing, t);
    jet cf = j_cos(phi), sf = j_sin(phi);
    d_along = j_add(d_along, j_add(j_scale(sf, SENSOR_AXIAL), j_scale(cf, SENSOR_ANTERIOR)));
    d_up = j_add(d_up, j_sub(j_scale(cf, SENSOR_AXIAL), j_scale(sf, SENSOR_ANTERIOR)));
    /* the shock, along the tibia's axis at contact */
    double tau = shock_tau(st), ti = t - st->t_ic;
    if (!in_swing && isfinite(st->t_ic) && ti >= 0.0 && ti < 6.0 * tau) {
        double dv = sim_shank_shock_g(st) * TENDO_SIM_GRAVITY * tau / sim_impact_shape_peak();
        jet tt = {ti, 1.0, 0.0};
        jet x = j_scale(tt, 1.0 / tau);
        jet D = j_scale(j_mul(tt, j_exp(j_scale(j_mul(x, x), -1.0))), dv);
        double ax = sin(tilt_ic(st)), az = cos(tilt_ic(st));
        d_along = j_sub(d_along, j_scale(D, ax));
        d_up = j_sub(d_up, j_scale(D, az));
    }
    double ch = cos(heading), sh = sin(heading);
    out->p[0] = j_add(foot->p[0], j_scale(d_along, ch));
    out->p[1] = j_add(foot->p[1], j_scale(d_along, sh));
    out->p[2] = j_add(foot->p[2], d_up);
    out->pitch = j_scale(phi, -1.0);
    out->roll = j_const(0.0);
}
