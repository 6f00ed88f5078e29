/*
 * orientation.c — the sensor's orientation on the foot, found from the data.
 *
 * Vertical: during foot-flat the sole rests on the ground and the
 * accelerometer measures only the reaction to gravity, so the mean specific
 * force over still samples points up in the foot frame (the "gravity
 * alignment" of foot-IMU pipelines, e.g. Rampp et al. 2015, Skog et al. 2010).
 *
 * Medio-lateral: in walking and running the foot rotates mostly in the
 * sagittal plane, so the principal axis of the angular velocity (largest
 * eigenvector of Σ ω ωᵀ over moving samples) is the medio-lateral axis; it
 * is orthogonalised to the vertical. This is the PCA alignment used for
 * sensor-to-segment calibration (e.g. Falbriard et al. 2018, Front. Physiol.,
 * who align the pitch axis by the principal rotation axis during swing).
 *
 * Sign: an axis has two directions. Between two foot-flat periods the foot
 * first pitches toes-down (heel rise, push-off: ~60° in walking) and later
 * toes-up only a little (~20° at a heel strike, ~0 at a forefoot strike) —
 * see the sagittal foot angle curves in Perry & Burnfield, Gait Analysis,
 * 2nd ed. 2010. So with y pointing LEFT (pitch rate p = -ω_y > 0 toes up),
 * the integrated pitch reaches deeper below zero than above it. x = y × z
 * then points forward.
 */
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "tendo_analysis.h"

/* Still samples: the quietest 15% by |ω| that also have |a| within
 * 1.5 m/s² of g. 15%: foot-flat lasts ~25–30% of a walking stride and
 * ~15–20% of a running stride at moderate speed, so the quietest 15% are
 * foot-flat in both (and rest, if there is any). */
#define STILL_QUANTILE 0.15
#define STILL_ACC_TOL 1.5
/* Moving samples for the PCA: above the median |ω| (swing and push-off). */
#define MOVING_QUANTILE 0.5
/* The moving half must rotate at >= 0.5 rad/s RMS (29 °/s): walking swings
 * reach 4–7 rad/s, running 8–15; gyro noise at rest is ~0.01 rad/s. */
#define MIN_MOVING_RMS 0.5
/* Ignore segments between still periods shorter than 0.2 s (jitter). */
#define MIN_SEGMENT_S 0.2

int tendo_an_orientation_estimate(const float *acc, const float *gyro, size_t n, double fs_hz,
                                  tendo_an_orientation *out, tendo_error *err)
{
    memset(out, 0, sizeof *out);
    if (!acc || !gyro || n < 2 || !(fs_hz > 0))
        return tendo_error_set(err, TENDO_EUSAGE, "orientation: need data and a sample rate");
    double *wn = malloc(n * sizeof *wn);
    unsigned char *still = malloc(n);
    if (!wn || !still) {
        free(wn);
        free(still);
        return tendo_error_set(err, TENDO_EINTERNAL, "orientation: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        double w[3] = {gyro[3 * i], gyro[3 * i + 1], gyro[3 * i + 2]};
        wn[i] = an_norm(w);
    }
    double q_still = an_quantile(wn, n, STILL_QUANTILE);
    double q_move = an_quantile(wn, n, MOVING_QUANTILE);

    double sa[3] = {0, 0, 0}, sabs = 0, m[9] = {0};
    size_t ns = 0, nm = 0;
    for (size_t i = 0; i < n; i++) {
        double a[3] = {acc[3 * i], acc[3 * i + 1], acc[3 * i + 2]};
        double an = an_norm(a);
        still[i] = wn[i] <= q_still && fabs(an - AN_G0) < STILL_ACC_TOL;
        if (still[i]) {
            for (int k = 0; k < 3; k++)
                sa[k] += a[k];
            sabs += an;
            ns++;
        } else if (wn[i] > q_move) {
            const float *w = gyro + 3 * i;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++)
                    m[3 * r + c] += (double)w[r] * w[c];
            nm++;
        }
    }
    free(wn);
    out->still_samples = ns;
    out->moving_samples = nm;
    if (ns < 3 || an_norm(sa) <= 0) {
        free(still);
        return tendo_error_set(err, TENDO_EDATA,
                               "orientation: no still samples (|a| near g with little "
                               "rotation) among %zu; cannot find the vertical — give the "
                               "mounting as an override",
                               n);
    }
    double z[3], sn = an_norm(sa);
    for (int k = 0; k < 3; k++)
        z[k] = sa[k] / sn;
    out->gravity_consistency = sn / sabs;

    /* Project the gyro second moments onto the horizontal plane: M' = P M P. */
    double p[9], pm[9], mp[9];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            p[3 * r + c] = (r == c) - z[r] * z[c];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            pm[3 * r + c] = 0;
            for (int k = 0; k < 3; k++)
                pm[3 * r + c] += p[3 * r + k] * m[3 * k + c];
        }
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            mp[3 * r + c] = 0;
            for (int k = 0; k < 3; k++)
                mp[3 * r + c] += pm[3 * r + k] * p[3 * k + c];
        }
    double ev[3], vec[9];
    an_eig_sym3(mp, ev, vec);
    double trace = m[0] + m[4] + m[8];
    if (nm < 3 || !(trace > 0) || !(ev[0] > 0) || sqrt(trace / (double)nm) < MIN_MOVING_RMS) {
        free(still);
        return tendo_error_set(err, TENDO_EDATA,
                               "orientation: the foot hardly rotates in %zu samples; the "
                               "medio-lateral axis needs some walking or running — give the "
                               "mounting as an override",
                               n);
    }
    double y[3] = {vec[0], vec[3], vec[6]};
    double yn = an_norm(y);
    for (int k = 0; k < 3; k++)
        y[k] /= yn;
    out->ml_dominance = ev[0] / trace;

    /* Heel-rise rule for the sign of y (see the file comment). */
    double down = 0, up = 0, theta = 0, tmin = 0, tmax = 0, dt = 1 / fs_hz;
    size_t seg = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || still[i]) {
            if ((double)seg * dt >= MIN_SEGMENT_S) {
                down += -tmin;
                up += tmax;
            }
            theta = tmin = tmax = 0;
            seg = 0;
            continue;
        }
        const float *w = gyro + 3 * i;
        double pr = -(y[0] * w[0] + y[1] * w[1] + y[2] * w[2]);
        theta += pr * dt;
        tmin = fmin(tmin, theta);
        tmax = fmax(tmax, theta);
        seg++;
    }
    free(still);
    if (!(down + up > 0))
        return tendo_error_set(err, TENDO_EDATA,
                               "orientation: no movement between still periods to tell "
                               "forward from backward — give the mounting as an override");
    if (up > down)
        for (int k = 0; k < 3; k++)
            y[k] = -y[k];
    out->sign_margin = fabs(down - up) / (down + up);
    double x[3];
    an_cross(y, z, x);
    for (int k = 0; k < 3; k++) {
        out->r[k] = x[k];
        out->r[3 + k] = y[k];
        out->r[6 + k] = z[k];
    }
    /* Each check maps to 0..1; the sign margin saturates at 0.3 (walking and
     * running give ~0.4–0.8, a wrong or ambiguous sign gives ~0). */
    out->confidence = out->gravity_consistency * fmin(1.0, out->ml_dominance / 0.7) *
                      fmin(1.0, out->sign_margin / 0.3);
    return TENDO_OK;
}
