/*
 * mathutil.c — 3×3 symmetric eigen-decomposition and quantiles for the
 * analysis modules.
 */
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "an_internal.h"

void an_eig_sym3(const double *a_in, double *w, double *v)
{
    double a[9];
    memcpy(a, a_in, sizeof a);
    for (int i = 0; i < 9; i++)
        v[i] = (i % 4 == 0) ? 1.0 : 0.0;
    /* Cyclic Jacobi (Golub & Van Loan, Matrix Computations, §8.5): each
     * rotation zeroes one off-diagonal pair; a 3×3 converges in a few sweeps. */
    for (int sweep = 0; sweep < 50; sweep++) {
        double off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
        if (off < 1e-30 * (a[0] * a[0] + a[4] * a[4] + a[8] * a[8]) || off == 0)
            break;
        for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++) {
                double apq = a[3 * p + q];
                if (apq == 0)
                    continue;
                double theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 3; k++) { /* A ← A·J */
                    double akp = a[3 * k + p], akq = a[3 * k + q];
                    a[3 * k + p] = c * akp - s * akq;
                    a[3 * k + q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; k++) { /* A ← Jᵀ·A */
                    double apk = a[3 * p + k], aqk = a[3 * q + k];
                    a[3 * p + k] = c * apk - s * aqk;
                    a[3 * q + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; k++) { /* V ← V·J */
                    double vkp = v[3 * k + p], vkq = v[3 * k + q];
                    v[3 * k + p] = c * vkp - s * vkq;
                    v[3 * k + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < 3; i++)
        w[i] = a[4 * i];
    for (int i = 0; i < 2; i++) /* sort descending, columns along */
        for (int j = 0; j < 2 - i; j++)
            if (w[j] < w[j + 1]) {
                double t = w[j];
                w[j] = w[j + 1];
                w[j + 1] = t;
                for (int k = 0; k < 3; k++) {
                    t = v[3 * k + j];
                    v[3 * k + j] = v[3 * k + j + 1];
                    v[3 * k + j + 1] = t;
                }
            }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double an_quantile(const double *x, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double *t = malloc(n * sizeof *t);
    if (!t)
        return NAN;
    memcpy(t, x, n * sizeof *t);
    qsort(t, n, sizeof *t, cmp_double);
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double r = i + 1 < n ? t[i] + (pos - (double)i) * (t[i + 1] - t[i]) : t[n - 1];
    free(t);
    return r;
}

int an_solve_spd(double *a, double *b, int n)
{
    /* Cholesky, a = L Lᵀ in place (lower triangle), then two triangular
     * solves (Golub & Van Loan, Matrix Computations, §4.2). */
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0))
            return -1;
        d = sqrt(d);
        a[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double v = a[i * n + j];
            for (int k = 0; k < j; k++)
                v -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = v / d;
        }
    }
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++)
            b[i] -= a[i * n + k] * b[k];
        b[i] /= a[i * n + i];
    }
    for (int i = n; i-- > 0;) {
        for (int k = i + 1; k < n; k++)
            b[i] -= a[k * n + i] * b[k];
        b[i] /= a[i * n + i];
    }
    return 0;
}

static pthread_mutex_t fftw_planner = PTHREAD_MUTEX_INITIALIZER;

void an_fftw_lock(void)
{
    pthread_mutex_lock(&fftw_planner);
}

void an_fftw_unlock(void)
{
    pthread_mutex_unlock(&fftw_planner);
}
