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
 *      (bias error states of ZUPT-aided INS: Foxlin 2005; Skog et al. 2010);
 *      since 0.8 also to each sensor axis' scale error, which acts as a
 *      bias proportional to that axis' reading (MODELS.md, "Sensor biases
 *      and scale errors");
 *   7. clipped samples (accelerometer axis at full scale, typically the
 *      impact of a fast heel strike): the impulse they lose is a velocity
 *      step at the impact, not a drift, so the end velocity's part along
 *      the clipped axes is removed as a step at the clipped samples, the rest
 *      linearly. This is the smoothed (Rauch-Tung-Striebel) estimate between
 *      two zero-velocity updates when the clipped samples' specific force is
 *      unknown along those axes (Colomar, Nilsson & Händel 2012, "Smoothing
 *      for ZUPT-aided INSs", IPIN; the linear de-drift is the same smoother
 *      with equal process noise on every sample). The bias sensitivities are
 *      projected off those axes to match (tendo_an_drift).
 */
#include <string.h>

#include "an_gait.h"
#include "an_internal.h"

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

/* Orthonormal basis (columns of u, row-major 3×3) of the clipped axes'
 * world directions d (three vectors, zero where an axis did not clip); a
 * direction within ~10° of the span of the others adds nothing. Returns
 * how many. */
static int clip_basis(double d[3][3], double u[9])
{
    int m = 0;
    for (int k = 0; k < 3; k++) {
        double v[3] = {d[k][0], d[k][1], d[k][2]}, n0 = an_norm(v);
        if (!(n0 > 0))
            continue;
        for (int j = 0; j < m; j++) {
            double c = v[0] * u[j] + v[1] * u[3 + j] + v[2] * u[6 + j];
            for (int r = 0; r < 3; r++)
                v[r] -= c * u[3 * r + j];
        }
        double nv = an_norm(v);
        if (nv < 0.17 * n0) /* sin 10° */
            continue;
        for (int r = 0; r < 3; r++)
            u[3 * r + m] = v[r] / nv;
        m++;
    }
    return m;
}

/* x ← x - U Uᵀ x for each column of the row-major 3×3 x; y ← y - s U Uᵀ x
 * (before x changes) when y is given. */
static void clip_project(const double *u, int m, double *x, double *y, double s)
{
    for (int col = 0; col < 3; col++) {
        double p[3] = {0, 0, 0};
        for (int j = 0; j < m; j++) {
            double c = u[j] * x[col] + u[3 + j] * x[3 + col] + u[6 + j] * x[6 + col];
            for (int r = 0; r < 3; r++)
                p[r] += c * u[3 * r + j];
        }
        for (int r = 0; r < 3; r++) {
            if (y)
                y[3 * r + col] -= s * p[r];
            x[3 * r + col] -= p[r];
        }
    }
}

int an_stride_integrate(const float *acc, const float *gyro, size_t n, const double *a0,
                        double fs_hz, const an_clip *clip, double *length_m, double *dz_m,
                        tendo_an_drift *drift)
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
     * second pass. This loop runs once per sample of every stride (a third
     * of the whole analysis before 0.4), so its state lives in scalars and
     * it avoids the square root and divisions of a textbook normalisation
     * (see below). */
    double dt = 1 / fs_hz, v[3] = {0, 0, 0}, pos[3] = {0, 0, 0};
    double T = (double)(n - 1) * dt;
    /* Accelerometer-bias sensitivities (see tendo_an_drift) with the
     * trapezoidal weights of ∫ (·) dt and ∫ (T/2 - t)(·) dt. */
    double R[9], R0[9], Rc[9], K[9] = {0}, ma[9], qa[9] = {0}, mg[9] = {0}, qg[9] = {0};
    double vc[3] = {0};
    /* Scale-error sensitivities (0.8): per-axis body integrals of the
     * specific force and rate over each grid interval, and K_s(t) =
     * ∫₀ᵗ R e_k ω_k ds (column k), the attitude error per unit gyro scale
     * error of axis k. */
    double Ks[9] = {0}, msa[9] = {0}, qsa[9] = {0}, msg[9] = {0}, qsg[9] = {0};
    double ifx = 0, ify = 0, ifz = 0, iwx = 0, iwy = 0, iwz = 0;
    double sxp = acc[0], syp = acc[1], szp = acc[2];
    /* the sensor's axes in the frame of the data (axis k at ua + 3k),
     * identity if not given */
    static const double ident[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double *ua = clip ? clip->axis : ident;
    const uint8_t *cmask = clip ? clip->mask : NULL;
    size_t ic = 0, step = fs_hz > 200 ? (size_t)(fs_hz / 200) : 1, since = 0;
    quat_matrix(q, R);
    memcpy(R0, R, sizeof R0);
    memcpy(Rc, R, sizeof Rc);
    double qw = q[0], qx = q[1], qy = q[2], qz = q[3];
    double vx = 0, vy = 0, vz = 0, px = 0, py = 0, pz = 0, ax_p, ay_p, az_p;
    {
        double a[3] = {acc[0], acc[1], acc[2]}, awp[3];
        an_mat_vec(R, a, awp);
        ax_p = awp[0], ay_p = awp[1], az_p = awp[2] - g;
    }
    double gxp = gyro[0], gyp = gyro[1], gzp = gyro[2], hdt = 0.5 * dt, dt2 = dt * dt;
    /* clipped samples: each axis' world direction summed, and their times */
    double cdir[3][3] = {{0}}, ct = 0;
    size_t cn = 0;
    for (size_t i = 1; i < n; i++) {
        double gx = gyro[3 * i], gy = gyro[3 * i + 1], gz = gyro[3 * i + 2];
        double wx = 0.5 * (gxp + gx), wy = 0.5 * (gyp + gy), wz = 0.5 * (gzp + gz);
        gxp = gx, gyp = gy, gzp = gz;
        /* q ← q ⊗ exp(½ ω dt): dq = (cos(θ/2), sin(θ/2) ω/|ω|), θ = |ω| dt; by
         * its Taylor series while θ < 0.1 rad (truncation < 1e-9) */
        double th2 = (wx * wx + wy * wy + wz * wz) * dt2, ch, sc; /* sc = sin(θ/2)/|ω| */
        if (th2 < 0.01) {
            double x2 = th2 / 4; /* (θ/2)² */
            ch = 1 - 0.5 * x2 + x2 * x2 * (1.0 / 24); /* constants: no divides */
            sc = hdt * (1 - x2 * (1.0 / 6) + x2 * x2 * (1.0 / 120));
        } else {
            double th = sqrt(th2);
            ch = cos(th / 2);
            sc = sin(th / 2) * dt / th;
        }
        double dx = wx * sc, dy = wy * sc, dz = wz * sc;
        double nw = qw * ch - qx * dx - qy * dy - qz * dz;
        double nx = qw * dx + qx * ch + qy * dz - qz * dy;
        double ny = qw * dy - qx * dz + qy * ch + qz * dx;
        double nz = qw * dz + qx * dy - qy * dx + qz * ch;
        /* Back to unit length every 8th sample by one Newton step for
         * 1/sqrt(|q|²) around 1. |q|² departs from 1 only by rounding and the
         * series' truncation (< 1e-10 a sample even at θ = 0.1 rad), so the
         * step's own error, 3/8 (|q|² - 1)², is below 1e-18 and the rotation
         * below by an unnormalised q is off by < 1e-9 (relative): as exact as
         * dividing by the norm every sample, without sqrt or divide, and out
         * of the loop's chain of dependent operations most of the time. */
        if ((i & 7) == 0) {
            double f = 1.5 - 0.5 * (nw * nw + nx * nx + ny * ny + nz * nz);
            nw *= f, nx *= f, ny *= f, nz *= f;
        }
        qw = nw, qx = nx, qy = ny, qz = nz;
        if (cmask && cmask[i]) {
            for (int k = 0; k < 3; k++) {
                if (!(cmask[i] & (1u << k)))
                    continue;
                const double *e = clip->axis + 3 * k;
                double ux = 2 * (qy * e[2] - qz * e[1]), uy = 2 * (qz * e[0] - qx * e[2]),
                       uz = 2 * (qx * e[1] - qy * e[0]);
                cdir[k][0] += e[0] + qw * ux + (qy * uz - qz * uy);
                cdir[k][1] += e[1] + qw * uy + (qz * ux - qx * uz);
                cdir[k][2] += e[2] + qw * uz + (qx * uy - qy * ux);
            }
            ct += (double)i * dt;
            cn++;
        }
        /* world specific force q a q*: a + w t + u × t with t = 2 u × a
         * (u the quaternion's vector part), cheaper than forming R */
        double sx = acc[3 * i], sy = acc[3 * i + 1], sz = acc[3 * i + 2];
        ifx += sxp + sx, ify += syp + sy, ifz += szp + sz; /* × hdt at the grid point */
        iwx += wx, iwy += wy, iwz += wz;                   /* × dt at the grid point */
        sxp = sx, syp = sy, szp = sz;
        double tx = 2 * (qy * sz - qz * sy), ty = 2 * (qz * sx - qx * sz),
               tz = 2 * (qx * sy - qy * sx);
        double awx = sx + qw * tx + (qy * tz - qz * ty);
        double awy = sy + qw * ty + (qz * tx - qx * tz);
        double awz = sz + qw * tz + (qx * ty - qy * tx) - g;
        double nvx = vx + (ax_p + awx) * hdt, nvy = vy + (ay_p + awy) * hdt,
               nvz = vz + (az_p + awz) * hdt;
        px += (vx + nvx) * hdt, py += (vy + nvy) * hdt, pz += (vz + nvz) * hdt;
        vx = nvx, vy = nvy, vz = nvz;
        ax_p = awx, ay_p = awy, az_p = awz;
        /* The sensitivities are smooth integrals: trapezoids on a ~200 Hz
         * grid are accurate enough for a correction of a few percent and
         * keep their cost small at high rates. The specific force enters
         * through its integral over each interval (the velocity change plus
         * gravity), so impacts are not aliased. */
        if (drift && (++since == step || i == n - 1)) { /* i % step without a divide */
            since = 0;
            double qn[4] = {qw, qx, qy, qz};
            quat_matrix(qn, R);
            /* w: the displacement weight T/2 - t at the interval's middle */
            double h = (double)(i - ic) * dt, w = T / 2 - ((double)(i + ic) / 2) * dt, hw = h * w;
            double F[3] = {vx - vc[0], vy - vc[1], vz - vc[2] + g * h};
            double rm[9], Km[9], Ksm[9];
            /* ∫ R dt and ∫ (T/2 - t) R dt; ∫ (R - R0) dt is K(T) - T R0, formed
             * after the loop (Σ h = T) */
            for (int k = 0; k < 9; k++) {
                rm[k] = 0.5 * (Rc[k] + R[k]);
                double hr = h * rm[k];
                Km[k] = K[k] + 0.5 * hr;
                K[k] += hr;
                qa[k] += hw * rm[k];
            }
            /* scale errors: the accelerometer's as a bias s_k f_k(t), the
             * gyroscope's as a gyro bias s_k ω_k(t), with the same weights;
             * the interval integrals were summed without their dt factors */
            double pf[3], pw[3]; /* ∫ u_k·f dt, ∫ u_k·ω dt */
            for (int k = 0; k < 3; k++) {
                const double *u = ua + 3 * k;
                pf[k] = (u[0] * ifx + u[1] * ify + u[2] * ifz) * hdt;
                pw[k] = (u[0] * iwx + u[1] * iwy + u[2] * iwz) * dt;
            }
            for (int r = 0; r < 3; r++) {
                const double *m = rm + 3 * r;
                for (int k = 0; k < 3; k++) {
                    const double *u = ua + 3 * k;
                    /* sensor axis k in the world, row r */
                    double ru = m[0] * u[0] + m[1] * u[1] + m[2] * u[2];
                    double sa = ru * pf[k], kd = ru * pw[k];
                    msa[3 * r + k] += sa;
                    qsa[3 * r + k] += w * sa;
                    Ksm[3 * r + k] = Ks[3 * r + k] + 0.5 * kd;
                    Ks[3 * r + k] += kd;
                }
            }
            /* gyro bias ω_b tilts the attitude by δθ(t) = K(t) ω_b, which
             * turns the specific force f: error δθ × f = -[f×] K ω_b; in
             * the de-drifted displacement with the weight (T/2 - t), as
             * for the accelerometer bias (0.5); the gyro scale error the
             * same through K_s */
            for (int col = 0; col < 3; col++) {
                double a0x = Km[col], a0y = Km[3 + col], a0z = Km[6 + col];
                double f0 = F[1] * a0z - F[2] * a0y, f1 = F[2] * a0x - F[0] * a0z,
                       f2 = F[0] * a0y - F[1] * a0x;
                mg[col] -= f0, mg[3 + col] -= f1, mg[6 + col] -= f2;
                qg[col] -= w * f0, qg[3 + col] -= w * f1, qg[6 + col] -= w * f2;
                double b0x = Ksm[col], b0y = Ksm[3 + col], b0z = Ksm[6 + col];
                double e0 = F[1] * b0z - F[2] * b0y, e1 = F[2] * b0x - F[0] * b0z,
                       e2 = F[0] * b0y - F[1] * b0x;
                msg[col] -= e0, msg[3 + col] -= e1, msg[6 + col] -= e2;
                qsg[col] -= w * e0, qsg[3 + col] -= w * e1, qsg[6 + col] -= w * e2;
            }
            ifx = ify = ifz = iwx = iwy = iwz = 0;
            memcpy(Rc, R, sizeof Rc);
            vc[0] = vx, vc[1] = vy, vc[2] = vz;
            ic = i;
        }
    }
    for (int k = 0; k < 9; k++)
        ma[k] = K[k] - T * R0[k];
    v[0] = vx, v[1] = vy, v[2] = vz;
    /* the start attitude from a0 = (1 + s_k) f0_k: tilted as by a bias s_k a0_k */
    double ts[9]; /* column k: u_k (u_k·a0), the bias that s_k = 1 adds to a0 */
    for (int k = 0; k < 3; k++) {
        const double *u = ua + 3 * k;
        double d = an_dot(u, a0), r0u[3];
        an_mat_vec(R0, u, r0u);
        for (int r = 0; r < 3; r++) {
            msa[3 * r + k] -= T * r0u[r] * d;
            ts[3 * r + k] = u[r] * d;
        }
    }
    pos[0] = px, pos[1] = py, pos[2] = pz;
    for (int k = 0; k < 3; k++)
        pos[k] -= v[k] * T / 2;
    /* 7. The end velocity's part c = U Uᵀ v along the clipped axes is a step
     * at the clip time t_c: the linear de-drift took c T/2 off the
     * displacement where c (T - t_c) was due, so c (T/2 - t_c) more comes
     * off. The rest of v (and the sensitivities) stays for the bias estimate. */
    double U[9];
    int m = cn ? clip_basis(cdir, U) : 0;
    if (m > 0) {
        double lev = T / 2 - ct / (double)cn, cv[3] = {0, 0, 0};
        for (int j = 0; j < m; j++) {
            double d = U[j] * v[0] + U[3 + j] * v[1] + U[6 + j] * v[2];
            for (int r = 0; r < 3; r++)
                cv[r] += d * U[3 * r + j];
        }
        for (int k = 0; k < 3; k++) {
            pos[k] -= cv[k] * lev;
            v[k] -= cv[k];
        }
        clip_project(U, m, ma, qa, lev);
        clip_project(U, m, mg, qg, lev);
        clip_project(U, m, msa, qsa, lev);
        clip_project(U, m, msg, qsg, lev);
    }
    *length_m = hypot(pos[0], pos[1]);
    *dz_m = pos[2];
    if (drift) {
        drift->clipped = m;
        for (int k = 0; k < 9; k++) {
            drift->ma[k] = (float)ma[k];
            drift->qa[k] = (float)qa[k];
            drift->mg[k] = (float)mg[k];
            drift->r0[k] = (float)R0[k];
            drift->qg[k] = (float)qg[k];
            drift->msa[k] = (float)msa[k];
            drift->qsa[k] = (float)qsa[k];
            drift->msg[k] = (float)msg[k];
            drift->qsg[k] = (float)qsg[k];
            drift->ts[k] = (float)ts[k];
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
