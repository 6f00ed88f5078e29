/*
 * zupt.c — zero-velocity-aided strapdown integration of one stride.
 *
 * The foot is (nearly) still at mid-stance, so a stride is integrated from
 * one zero-velocity instant to the next (Foxlin 2005, IEEE CG&A "Pedestrian
 * tracking with shoe-mounted inertial sensors"; Skog et al. 2010, IEEE TBME;
 * per-stride form with linear velocity de-drift as in Rampp et al. 2015,
 * IEEE TBME 62(4):1089, and Hannink et al. 2017):
 *   1. initial attitude: roll and pitch from the mean specific force over the
 *      zero-velocity window (it points up); heading is arbitrary (0), which
 *      does not change a stride's length or height;
 *   2. attitude: q ← q ⊗ exp(½ ω dt) with ω the mean of consecutive samples;
 *   3. acceleration in the world frame minus gravity, whose magnitude is taken
 *      from the same window (absorbs accelerometer scale error);
 *   4. velocity by trapezoidal integration; the velocity left at the end,
 *      which should be zero, is removed as a linear drift in time;
 *   5. position by trapezoidal integration of the corrected velocity (done
 *      in the same pass: see below);
 *   6. in the same pass, the end velocity's and the displacement's
 *      first-order sensitivities to constant sensor biases (tendo_an_drift),
 *      from which session.c estimates and removes each pod's biases
 *      (bias error states of ZUPT-aided INS: Foxlin 2005; Skog et al. 2010).
 */
#include <string.h>

#include "an_gait.h"
#include "an_internal.h"

static void quat_mul(const double *a, const double *b, double *c)
{
    c[0] = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
    c[1] = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
    c[2] = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
    c[3] = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
}

/* World-from-body rotation matrix of a unit quaternion (w, x, y, z). */
static void quat_matrix(const double *q, double *r)
{
    double w = q[0], x = q[1], y = q[2], z = q[3];
    r[0] = 1 - 2 * (y * y + z * z);
    r[1] = 2 * (x * y - w * z);
    r[2] = 2 * (x * z + w * y);
    r[3] = 2 * (x * y + w * z);
    r[4] = 1 - 2 * (x * x + z * z);
    r[5] = 2 * (y * z - w * x);
    r[6] = 2 * (x * z - w * y);
    r[7] = 2 * (y * z + w * x);
    r[8] = 1 - 2 * (x * x + y * y);
}

int an_stride_integrate(const float *acc, const float *gyro, size_t n, const double *a0,
                        double fs_hz, double *length_m, double *dz_m, tendo_an_drift *drift)
{
    if (n < 3)
        return -1;
    /* 1. a0 is the mean specific force over the zero-velocity window. */
    double g = an_norm(a0);
    if (!(g > 0))
        return -1;
    double up[3] = {a0[0], a0[1], a0[2]}, z[3] = {0, 0, 1}, ax[3];
    double un = an_norm(up);
    for (int k = 0; k < 3; k++)
        up[k] /= un;
    /* shortest rotation taking `up` (body) to world z */
    an_cross(up, z, ax);
    double s = an_norm(ax), c = an_dot(up, z);
    double q[4] = {1, 0, 0, 0};
    if (s > 1e-12) {
        double ang = atan2(s, c);
        for (int k = 0; k < 3; k++)
            q[1 + k] = ax[k] / s * sin(ang / 2);
        q[0] = cos(ang / 2);
    } else if (c < 0) {
        q[0] = 0;
        q[1] = 1;
    }
    /* 2-5 in one pass: attitude, world acceleration, velocity and position
     * by the trapezoidal rule. Removing the end velocity as a drift linear
     * in time, v_c(t) = v(t) - (t/T) v_end, takes v_end T/2 off the
     * trapezoidal position exactly, so the corrected displacement needs no
     * second pass. */
    double dt = 1 / fs_hz, v[3] = {0, 0, 0}, pos[3] = {0, 0, 0}, awp[3];
    double T = (double)(n - 1) * dt;
    /* Accelerometer-bias sensitivities (see tendo_an_drift) with the
     * trapezoidal weights of ∫ (·) dt and ∫ (T/2 - t)(·) dt. */
    double R[9], R0[9], Rc[9], K[9] = {0}, ma[9] = {0}, qa[9] = {0}, mg[9] = {0}, vc[3] = {0};
    size_t ic = 0, step = fs_hz > 200 ? (size_t)(fs_hz / 200) : 1;
    quat_matrix(q, R);
    memcpy(R0, R, sizeof R0);
    memcpy(Rc, R, sizeof Rc);
    {
        double a[3] = {acc[0], acc[1], acc[2]};
        an_mat_vec(R, a, awp);
        awp[2] -= g;
    }
    for (size_t i = 1; i < n; i++) {
        double wm[3], dq[4], qn[4], aw[3];
        for (int k = 0; k < 3; k++)
            wm[k] = 0.5 * ((double)gyro[3 * (i - 1) + k] + gyro[3 * i + k]);
        /* q ← q ⊗ exp(½ ω dt): dq = (cos(θ/2), sin(θ/2) ω/|ω|), θ = |ω| dt; by
         * its Taylor series while θ < 0.1 rad (truncation < 1e-9) */
        double th2 = an_dot(wm, wm) * dt * dt, ch, sc; /* sc = sin(θ/2)/|ω| */
        if (th2 < 0.01) {
            double x2 = th2 / 4; /* (θ/2)² */
            ch = 1 - x2 / 2 + x2 * x2 / 24;
            sc = 0.5 * dt * (1 - x2 / 6 + x2 * x2 / 120);
        } else {
            double th = sqrt(th2);
            ch = cos(th / 2);
            sc = sin(th / 2) * dt / th;
        }
        dq[0] = ch;
        for (int k = 0; k < 3; k++)
            dq[1 + k] = wm[k] * sc;
        quat_mul(q, dq, qn);
        double qnn = sqrt(qn[0] * qn[0] + qn[1] * qn[1] + qn[2] * qn[2] + qn[3] * qn[3]);
        for (int k = 0; k < 4; k++)
            q[k] = qn[k] / qnn;
        quat_matrix(q, R);
        double a[3] = {acc[3 * i], acc[3 * i + 1], acc[3 * i + 2]};
        an_mat_vec(R, a, aw);
        aw[2] -= g;
        for (int k = 0; k < 3; k++) {
            double vn = v[k] + 0.5 * (awp[k] + aw[k]) * dt;
            pos[k] += 0.5 * (v[k] + vn) * dt;
            v[k] = vn;
            awp[k] = aw[k];
        }
        /* The sensitivities are smooth integrals: trapezoids on a ~200 Hz
         * grid are accurate enough for a correction of a few percent and
         * keep their cost small at high rates. The specific force enters
         * through its integral over each interval (the velocity change plus
         * gravity), so impacts are not aliased. */
        if (drift && (i % step == 0 || i == n - 1)) {
            double h = (double)(i - ic) * dt, tm = ((double)(i + ic) / 2) * dt, F[3], Km[9];
            for (int k = 0; k < 3; k++)
                F[k] = v[k] - vc[k];
            F[2] += g * h;
            for (int k = 0; k < 9; k++) {
                double rm = 0.5 * (Rc[k] + R[k]), kn = K[k] + h * rm;
                Km[k] = 0.5 * (K[k] + kn);
                K[k] = kn;
                ma[k] += h * (rm - R0[k]);
                qa[k] += h * (T / 2 - tm) * rm;
            }
            /* gyro bias ω_b tilts the attitude by δθ(t) = K(t) ω_b, which
             * turns the specific force f: error δθ × f = -[f×] K ω_b */
            for (int col = 0; col < 3; col++) {
                double kc[3] = {Km[col], Km[3 + col], Km[6 + col]}, fx[3];
                an_cross(F, kc, fx);
                for (int r = 0; r < 3; r++)
                    mg[3 * r + col] -= fx[r];
            }
            memcpy(Rc, R, sizeof Rc);
            memcpy(vc, v, sizeof vc);
            ic = i;
        }
    }
    for (int k = 0; k < 3; k++)
        pos[k] -= v[k] * T / 2;
    *length_m = hypot(pos[0], pos[1]);
    *dz_m = pos[2];
    if (drift) {
        for (int k = 0; k < 9; k++) {
            drift->ma[k] = (float)ma[k];
            drift->qa[k] = (float)qa[k];
            drift->mg[k] = (float)mg[k];
            drift->r0[k] = (float)R0[k];
        }
        for (int k = 0; k < 3; k++) {
            drift->v_end[k] = (float)v[k];
            drift->pos[k] = (float)pos[k];
        }
        drift->g = (float)g;
        drift->valid = 1;
    }
    return 0;
}
