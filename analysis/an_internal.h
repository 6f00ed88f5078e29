/*
 * an_internal.h — small vector and rotation helpers shared by the analysis
 * modules (not part of the public API).
 */
#ifndef TENDO_AN_INTERNAL_H
#define TENDO_AN_INTERNAL_H

#include <math.h>
#include <stddef.h>

/* Standard gravity (CGPM 1901; ISO 80000-3). */
#define AN_G0 9.80665

static inline double an_dot(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static inline double an_norm(const double *a) { return sqrt(an_dot(a, a)); }
static inline void an_cross(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}
/* y = r · x for a row-major 3×3 r. */
static inline void an_mat_vec(const double *r, const double *x, double *y)
{
    for (int i = 0; i < 3; i++)
        y[i] = r[3 * i] * x[0] + r[3 * i + 1] * x[1] + r[3 * i + 2] * x[2];
}

/* Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations:
 * eigenvalues in w (descending), unit eigenvectors in the columns of v. */
void an_eig_sym3(const double *a, double *w, double *v);

/* Quantile q (0..1) of n values (copied; the input is left alone). Returns
 * NAN when n is 0 or memory is short. */
double an_quantile(const double *x, size_t n, double q);

/* Solves a x = b for a symmetric positive definite n×n a (row-major; a is
 * overwritten by its Cholesky factor, b by x). -1 if a is not positive
 * definite. */
int an_solve_spd(double *a, double *b, int n);

/* FFTW's planner (plan creation and destruction) is not thread-safe
 * (FFTW 3 manual, "Thread safety"); only fftw_execute* is. Every plan made
 * or destroyed in analysis/ is bracketed by these, so analysers may be
 * created from many threads at once. */
void an_fftw_lock(void);
void an_fftw_unlock(void);

#endif
