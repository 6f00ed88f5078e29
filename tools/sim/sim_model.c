/*
 * sim_model.c — the gait model: how cadence and contact time vary with
 * speed, and the motion of one foot through a stance and a swing.
 *
 * Every number that is not plain geometry names its source here and in
 * tools/SIMULATOR.md; "model choice" marks values picked for plausibility
 * where no regression was at hand.
 */
#include <math.h>
#include <string.h>

#include "sim_internal.h"

#define DEG (M_PI / 180.0)

/* ------------------------------------------------------------ cadence */

/* Running stride frequency (strides/s) against speed: group means of
 * Dorn, Schache & Pandy (J Exp Biol 215:1944, 2012), read from their
 * Fig. 2A and the percentage rises printed on it (+10 %, +12 %, +25 %
 * between successive speeds). Linear between points, extrapolated below
 * with the first slope; Cavanagh & Kram (MSSE 1989) saw the same near-flat
 * frequency (+4 % over 3.15–4.12 m/s) in distance runners. */
static const double DORN_V[] = {3.56, 5.20, 6.97, 8.95};
static const double DORN_SF[] = {1.38, 1.52, 1.70, 2.13};
#define DORN_N 4

static double run_stride_freq(double v)
{
    if (v <= DORN_V[1]) {
        double slope = (DORN_SF[1] - DORN_SF[0]) / (DORN_V[1] - DORN_V[0]);
        return DORN_SF[0] + slope * (v - DORN_V[0]);
    }
    for (int i = 1; i < DORN_N - 1; i++)
        if (v <= DORN_V[i + 1])
            return DORN_SF[i] + (DORN_SF[i + 1] - DORN_SF[i]) * (v - DORN_V[i]) /
                                    (DORN_V[i + 1] - DORN_V[i]);
    return DORN_SF[DORN_N - 1];
}

/* Walking: the walk ratio (step length / cadence) stays near constant over
 * ordinary speeds (Sekiya & Nagasaki 1998; ≈0.0065 m per step/min for
 * adults), so speed = WR · cadence² / 60 and cadence = sqrt(60 v / WR). */
#define WALK_RATIO 0.0065

double tendo_sim_step_freq(tendo_sim_kind kind, double v)
{
    if (kind == TENDO_SIM_RUN)
        return 2.0 * run_stride_freq(v);
    if (kind == TENDO_SIM_WALK)
        return sqrt(60.0 * v / WALK_RATIO) / 60.0;
    return 0.0;
}

/* Running contact time: Hoyt, Wickler & Cogger (J Exp Biol 203:221, 2000)
 * interspecific fit t_c = 0.80 · L^0.84 / v^0.87 (L leg length in m, v in
 * m/s, r² = 0.97). Capped at 45 % of the stride so a run keeps an aerial
 * phase (model choice). Walking: stance share of the gait cycle
 * 64.2 − 3.5 v % (Kirtley, Whittle & Jefferson, J Biomed Eng 7:282, 1985). */
#define RUN_MAX_DUTY 0.45

double tendo_sim_contact_time(tendo_sim_kind kind, double v, double leg_length_m)
{
    double f = tendo_sim_step_freq(kind, v);
    if (f <= 0.0)
        return 0.0;
    double stride = 2.0 / f;
    if (kind == TENDO_SIM_RUN) {
        double tc = 0.80 * pow(leg_length_m, 0.84) / pow(v, 0.87);
        return fmin(tc, RUN_MAX_DUTY * stride);
    }
    return (0.642 - 0.035 * v) * stride;
}

double sim_swing_duration(tendo_sim_kind kind, double v, double leg_length_m)
{
    double f = tendo_sim_step_freq(kind, v);
    return 2.0 / f - tendo_sim_contact_time(kind, v, leg_length_m);
}

/* ------------------------------------------------------- stance shape */

/* Peak of |d²/dt² [t·exp(−(t/τ)²)]| · τ, the impact pulse's shape factor. */
double sim_impact_shape_peak(void)
{
    static double peak = 0.0;
    if (peak == 0.0) {
        double m = 0.0;
        for (double x = 0.0; x < 4.0; x += 1e-5) {
            double a = fabs(x * exp(-x * x) * (4.0 * x * x - 6.0));
            if (a > m)
                m = a;
        }
        peak = m;
    }
    return peak;
}

/* Impact peak (g) at the foot. Anchors: ~10 g at an easy 3 m/s, reaching
 * ~70 g at high speed (foot-mounted IMU, Bailey & Harle 2014, up to 70 g
 * around heel strike); linear in speed between (model choice). Mid- and
 * forefoot strikes lack the distinct impact transient of heel strikes
 * (Lieberman et al., Nature 2010): scaled by 0.8 / 0.6 (model choice).
 * Walking heel strikes: a few g (model choice). */
static double impact_peak_g(tendo_sim_kind kind, tendo_sim_strike strike, double v)
{
    double g = kind == TENDO_SIM_RUN ? 10.0 + 20.0 * (v - 3.0) : 1.5 + 1.1 * v;
    g = fmax(kind == TENDO_SIM_RUN ? 6.0 : 2.0, fmin(g, 80.0));
    if (strike == TENDO_SIM_MID)
        g *= 0.8;
    else if (strike == TENDO_SIM_FORE)
        g *= 0.6;
    return g;
}

void sim_stance_params(sim_stance *st, tendo_sim_kind kind, tendo_sim_strike strike, double v,
                       double leg_length_m, double step_time)
{
    double nominal_step = 1.0 / tendo_sim_step_freq(kind, v);
    double tc = tendo_sim_contact_time(kind, v, leg_length_m) * (step_time / nominal_step);
    st->kind = kind;
    st->strike = strike;
    st->speed = v;
    st->step_time = step_time;

    /* Share of stance until the sole is flat, and until heel-off. Walking:
     * loading response ends ≈10 % and heel rise starts ≈31 % of the gait
     * cycle, stance ≈60 % (Perry & Burnfield, Gait Analysis, 2010) → 0.15
     * and 0.52 of stance. Running: model choice, shorter roll-over for mid-
     * and longer for forefoot strikes, which lower the heel about the ball. */
    double f_ff, f_ho;
    if (kind == TENDO_SIM_WALK) {
        f_ff = 0.15;
        f_ho = 0.52;
    } else if (strike == TENDO_SIM_REAR) {
        f_ff = 0.20;
        f_ho = 0.55;
    } else if (strike == TENDO_SIM_MID) {
        f_ff = 0.10;
        f_ho = 0.55;
    } else {
        f_ff = 0.22;
        f_ho = 0.60;
    }
    st->t_ff = st->t_ic + f_ff * tc;
    st->t_ho = st->t_ic + f_ho * tc;
    st->t_to = st->t_ic + tc;

    /* Foot-strike angle (sole to ground) at contact: rearfoot > 8°,
     * midfoot −1.6…8°, forefoot < −1.6° (Altman & Davis, Gait Posture
     * 35:298, 2012); we use 15° (20° walking), 3°, −8°. */
    if (strike == TENDO_SIM_REAR)
        st->th_ic = (kind == TENDO_SIM_WALK ? 20.0 : 15.0) * DEG;
    else if (strike == TENDO_SIM_MID)
        st->th_ic = 3.0 * DEG;
    else
        st->th_ic = -8.0 * DEG;
    /* The foot arrives with its pitch rate near zero and the ground reaction
     * then slaps the sole flat: the roll starts from rest (zero rate and
     * angular acceleration at contact) and peaks at 1.875× its mean rate
     * half-way (model choice). */
    st->om_ic = 0.0;

    /* Sole angle at toe-off (model choice): −40° walking; running −40°
     * at 3 m/s, 4° more plantarflexion per m/s, within −35…−65°. */
    double th_to = kind == TENDO_SIM_WALK ? -40.0 : fmax(-65.0, fmin(-35.0, -40.0 - 4.0 * (v - 3.0)));
    st->th_to = th_to * DEG;
    st->om_to = 2.0 * st->th_to / fmax(st->t_to - st->t_ho, 1e-3);

    /* The impact: the foot arrives with extra velocity that the pulse
     * t·exp(−(t/τ)²) removes; its peak deceleration is v·K/τ. Direction
     * 70° below the horizontal, forward (model choice). τ = 5 ms running,
     * 8 ms walking (model choice: a pulse of some 10 ms, resolved at 1 kHz). */
    st->impact_g = impact_peak_g(kind, strike, v);
    st->imp_tau = kind == TENDO_SIM_RUN ? 0.005 : 0.008;
    double dv = st->impact_g * TENDO_SIM_GRAVITY * st->imp_tau / sim_impact_shape_peak();
    st->imp_v[0] = dv * cos(70.0 * DEG);
    st->imp_v[1] = dv * sin(70.0 * DEG);

    /* Extra swing height over the straight path (model choice): the pod
     * rises ≈0.1 m more in walking, more with running speed. */
    st->clear_m = kind == TENDO_SIM_WALK ? 0.06 : fmin(0.35, 0.10 + 0.05 * (v - 2.0));
}

/* Quintic Hermite coefficients (in u ∈ [0,1]) matching value, first and
 * second derivative at both ends; T is the duration in seconds. */
static void hermite5(double p0, double v0, double a0, double p1, double v1, double a1, double T,
                     double c[6])
{
    double dp = p1 - p0, V0 = v0 * T, V1 = v1 * T, A0 = a0 * T * T, A1 = a1 * T * T;
    c[0] = p0;
    c[1] = V0;
    c[2] = 0.5 * A0;
    c[3] = 10.0 * dp - 6.0 * V0 - 4.0 * V1 - 1.5 * A0 + 0.5 * A1;
    c[4] = -15.0 * dp + 8.0 * V0 + 7.0 * V1 + 1.5 * A0 - A1;
    c[5] = 6.0 * dp - 3.0 * V0 - 3.0 * V1 - 0.5 * A0 + 0.5 * A1;
}

/* Evaluates a quintic in u as a jet in time (du/dt = inv_T). */
static jet poly5(const double c[6], double u, double inv_T)
{
    double p = c[5], dp = 0.0, ddp = 0.0;
    for (int k = 4; k >= 0; k--) {
        ddp = ddp * u + 2.0 * dp;
        dp = dp * u + p;
        p = p * u + c[k];
    }
    return (jet){p, dp * inv_T, ddp * inv_T * inv_T};
}

/* Pitch relative to the ground during one phase of stance. */
static jet stance_rel_pitch(const sim_stance *st, double t, int *pivot_ball)
{
    double c[6];
    if (t < st->t_ff) { /* roll to flat about the heel (ball for forefoot) */
        double T = st->t_ff - st->t_ic;
        hermite5(st->th_ic, st->om_ic, 0.0, 0.0, 0.0, 0.0, T, c);
        *pivot_ball = st->strike == TENDO_SIM_FORE;
        return poly5(c, (t - st->t_ic) / T, 1.0 / T);
    }
    if (t < st->t_ho || !isfinite(st->t_to)) { /* flat: exactly still */
        *pivot_ball = 0;
        return j_const(0.0);
    }
    double T = st->t_to - st->t_ho; /* heel rises about the ball */
    hermite5(0.0, 0.0, 0.0, st->th_to, st->om_to, 0.0, T, c);
    *pivot_ball = 1;
    return poly5(c, (fmin(t, st->t_to) - st->t_ho) / T, 1.0 / T);
}

void sim_track_to_world(jet along, double lateral, jet up, double heading, jet p[3])
{
    double ch = cos(heading), sh = sin(heading);
    p[0] = j_add(j_scale(along, ch), j_const(-lateral * sh));
    p[1] = j_add(j_scale(along, sh), j_const(lateral * ch));
    p[2] = up;
}

/* The pivot (heel or ball) stays where it lies when the sole is flat. */
void sim_pivot_position(double hx, double hz, double slope, jet pitch, int ball, jet *along,
                        jet *up)
{
    double rpx = ball ? SIM_BALL_X : 0.0;
    double dx = SIM_POD_X - rpx, dz = SIM_POD_Z;
    jet c = j_cos(pitch), s = j_sin(pitch);
    *along = j_add(j_const(hx + rpx * cos(slope)), j_sub(j_scale(c, dx), j_scale(s, dz)));
    *up = j_add(j_const(hz + rpx * sin(slope)), j_add(j_scale(s, dx), j_scale(c, dz)));
}

int sim_impact_offset(const sim_stance *st, double t, jet *along, jet *up)
{
    /* Impact pulse: displacement D(t) = t·exp(−(t/τ)²) per m/s absorbed, so
     * D(0) = 0, D'(0) = 1, D''(0) = 0 (no jump in acceleration), and gone
     * (below 1e-15) after 6τ, before the sole is flat. */
    *along = *up = j_const(0.0);
    double ti = t - st->t_ic;
    if (ti >= 0.0 && ti < 6.0 * st->imp_tau) {
        jet tt = {ti, 1.0, 0.0};
        jet x = j_scale(tt, 1.0 / st->imp_tau);
        jet D = j_mul(tt, j_exp(j_scale(j_mul(x, x), -1.0)));
        *along = j_scale(D, st->imp_v[0]);
        *up = j_scale(D, -st->imp_v[1]);
        return 1;
    }
    return 0;
}

void sim_stance_eval(const sim_stance *st, double heading, double lateral, double t,
                     sim_pose *out)
{
    int ball = 0;
    jet rel = stance_rel_pitch(st, t, &ball);
    double slope = atan(st->grade);
    jet pitch = j_add(j_const(slope), rel);

    jet along, up;
    sim_pivot_position(st->hx, st->hz, slope, pitch, ball, &along, &up);

    jet ia, iu;
    if (sim_impact_offset(st, t, &ia, &iu)) {
        along = j_add(along, ia);
        up = j_add(up, iu);
    }
    sim_track_to_world(along, lateral, up, heading, out->p);
    out->pitch = pitch;
    out->roll = j_const(0.0);
}

/* The swing bump 64·u³(1−u)³: zero value, slope and curvature at both ends. */
static jet bump(double u, double inv_T)
{
    jet U = {u, inv_T, 0.0};
    jet W = j_sub(j_const(1.0), U);
    jet a = j_mul(U, j_mul(U, U)), b = j_mul(W, j_mul(W, W));
    return j_scale(j_mul(a, b), 64.0);
}

/* Lateral excursion and roll of the swinging foot (model choice): 1.5 cm
 * towards the midline, 6° of roll. */
#define SWING_LATERAL_M 0.015
#define SWING_ROLL_RAD (6.0 * DEG)

void sim_swing_init(sim_swing *sw, const sim_stance *from, const sim_stance *to, double heading,
                    double lateral, double side_sign)
{
    sim_pose a, b;
    sw->t0 = from->t_to;
    sw->t1 = to->t_ic;
    sim_stance_eval(from, heading, lateral, sw->t0, &a);
    sim_stance_eval(to, heading, lateral, sw->t1, &b);
    double T = sw->t1 - sw->t0;
    for (int k = 0; k < 3; k++)
        hermite5(a.p[k].v, a.p[k].d, a.p[k].dd, b.p[k].v, b.p[k].d, b.p[k].dd, T, sw->c[k]);
    hermite5(a.pitch.v, a.pitch.d, a.pitch.dd, b.pitch.v, b.pitch.d, b.pitch.dd, T, sw->c[3]);
    sw->clear_m = to->clear_m;
    sw->side_sign = side_sign;
    sw->heading = heading;
}

void sim_swing_eval(const sim_swing *sw, double t, sim_pose *out)
{
    double T = sw->t1 - sw->t0, inv = 1.0 / T;
    double u = (t - sw->t0) * inv;
    jet b = bump(u, inv);
    for (int k = 0; k < 3; k++)
        out->p[k] = poly5(sw->c[k], u, inv);
    out->p[2] = j_add(out->p[2], j_scale(b, sw->clear_m));
    double lat = -sw->side_sign * SWING_LATERAL_M; /* towards the midline */
    out->p[0] = j_add(out->p[0], j_scale(b, -lat * sin(sw->heading)));
    out->p[1] = j_add(out->p[1], j_scale(b, lat * cos(sw->heading)));
    out->pitch = poly5(sw->c[3], u, inv);
    out->roll = j_scale(b, sw->side_sign * SWING_ROLL_RAD);
}

/* R = Rz(heading) · Ry(−pitch) · Rx(roll): foot → world. The body rate
 * of that product is (roll', −pitch'·cos roll, pitch'·sin roll). */
void sim_pose_rotation(const sim_pose *ps, double heading, double R[9], double w[3])
{
    double ch = cos(heading), sh = sin(heading);
    double cp = cos(ps->pitch.v), sp = sin(ps->pitch.v);
    double cr = cos(ps->roll.v), sr = sin(ps->roll.v);
    double Ry[9] = {cp, 0, -sp, 0, 1, 0, sp, 0, cp};
    double Rx[9] = {1, 0, 0, 0, cr, -sr, 0, sr, cr};
    double Rz[9] = {ch, -sh, 0, sh, ch, 0, 0, 0, 1};
    double A[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            A[3 * i + j] = 0;
            for (int k = 0; k < 3; k++)
                A[3 * i + j] += Ry[3 * i + k] * Rx[3 * k + j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            R[3 * i + j] = 0;
            for (int k = 0; k < 3; k++)
                R[3 * i + j] += Rz[3 * i + k] * A[3 * k + j];
        }
    if (w) {
        w[0] = ps->roll.d;
        w[1] = -ps->pitch.d * cr;
        w[2] = ps->pitch.d * sr;
    }
}
