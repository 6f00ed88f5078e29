/*
 * cadence.c — spectral cadence: the stride frequency of one foot from a
 * Welch power spectrum of its angular rate over sliding windows.
 *
 * Welch 1967 (IEEE Trans. Audio Electroacoust. 15:70): the periodograms of
 * overlapping Hann-windowed segments are averaged, which trades frequency
 * resolution for a stable estimate. The foot's angular rate repeats once per
 * stride, so its spectrum has the stride frequency and its harmonics; the
 * fundamental is found by subharmonic summation (Hermes 1988, J. Acoust.
 * Soc. Am. 83:257): the score of a candidate f adds the power at f, 2f and
 * 3f with weights 1, 1/2, 1/4, so a strong second harmonic cannot win over
 * its fundamental. The three axes' spectra are summed (the spectrum of the
 * vector signal), which makes the estimate independent of the mounting.
 *
 * Plan once, execute many (FFTW): one r2c plan made at creation.
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "tendo_array.h"
#include "tendo_analysis.h"

/* The signal is reduced to block means at ~50 Hz first: gait power above
 * 25 Hz is small and the block mean (a boxcar) attenuates it, while the
 * stride band and its third harmonic (< 8 Hz) pass. */
#define DECIMATED_HZ 50.0
/* Segments of 8 s (at least 4 strides even at 0.5 strides/s), hop 4 s (50%
 * overlap, Welch's choice for the Hann window), 3 segments averaged: one
 * estimate every 4 s from the last 16 s. */
#define SEG_S    8.0
#define AVERAGED 3
/* Zero padding to 8 times the segment: a 0.016 Hz grid, refined further by
 * a parabola through the peak and its neighbours. */
#define PAD 8
/* Stride frequencies searched: 0.3–2.5 strides/s (36–300 steps/min). */
#define F_MIN 0.3
#define F_MAX 2.5

struct tendo_an_cadence {
    double fs, fd;
    size_t dec, nacc;
    double acc[3];
    float *ring; /* last n decimated 3-axis samples */
    size_t n, hop, count, since, slot;
    double *hann, *in, *psd, *avg;
    double **hist; /* the last AVERAGED periodograms */
    size_t nbins, m, hist_n, hist_head;
    fftw_complex *out;
    fftw_plan plan;
    tendo_an_cadence_est *q;
    size_t qn, qcap;
};

void tendo_an_cadence_free(tendo_an_cadence *c)
{
    if (!c)
        return;
    if (c->plan) {
        an_fftw_lock();
        fftw_destroy_plan(c->plan);
        an_fftw_unlock();
    }
    fftw_free(c->in);
    fftw_free(c->out);
    if (c->hist)
        for (size_t k = 0; k < AVERAGED; k++)
            free(c->hist[k]);
    free(c->hist);
    free(c->ring);
    free(c->hann);
    free(c->psd);
    free(c->avg);
    free(c->q);
    free(c);
}

int tendo_an_cadence_new(tendo_an_cadence **out, double fs_hz, tendo_error *err)
{
    *out = NULL;
    if (!(fs_hz >= 20 && fs_hz <= 10000))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "cadence: sample rate %g Hz is outside "
                               "20–10000 Hz",
                               fs_hz);
    tendo_an_cadence *c = calloc(1, sizeof *c);
    if (!c)
        return tendo_error_set(err, TENDO_EINTERNAL, "cadence: out of memory");
    c->fs = fs_hz;
    c->dec = (size_t)fmax(1, round(fs_hz / DECIMATED_HZ));
    c->fd = fs_hz / (double)c->dec;
    c->n = (size_t)round(SEG_S * c->fd);
    c->hop = c->n / 2;
    c->m = 1;
    while (c->m < PAD * c->n)
        c->m *= 2;
    c->nbins = c->m / 2 + 1;
    c->ring = malloc(3 * c->n * sizeof *c->ring);
    c->hann = malloc(c->n * sizeof *c->hann);
    c->psd = malloc(c->nbins * sizeof *c->psd);
    c->avg = malloc(c->nbins * sizeof *c->avg);
    c->hist = calloc(AVERAGED, sizeof *c->hist);
    c->in = fftw_malloc(c->m * sizeof *c->in);
    c->out = fftw_malloc(c->nbins * sizeof *c->out);
    int ok = c->ring && c->hann && c->psd && c->avg && c->hist && c->in && c->out;
    for (size_t k = 0; ok && k < AVERAGED; k++)
        ok = (c->hist[k] = malloc(c->nbins * sizeof **c->hist)) != NULL;
    if (ok) {
        an_fftw_lock();
        c->plan = fftw_plan_dft_r2c_1d((int)c->m, c->in, c->out,
                                       FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
        an_fftw_unlock();
    }
    if (!ok || !c->plan) {
        tendo_an_cadence_free(c);
        return tendo_error_set(err, TENDO_EINTERNAL, "cadence: out of memory");
    }
    memset(c->in, 0, c->m * sizeof *c->in); /* the zero padding, written once */
    for (size_t i = 0; i < c->n; i++) /* Hann (Welch 1967; Harris 1978) */
        c->hann[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(c->n - 1));
    *out = c;
    return TENDO_OK;
}

/* Power at fractional bin x of the averaged spectrum (linear between bins). */
static double power_at(const tendo_an_cadence *c, double x)
{
    size_t i = (size_t)x;
    if (i + 1 >= c->nbins)
        return 0;
    double f = x - (double)i;
    return (1 - f) * c->avg[i] + f * c->avg[i + 1];
}

static int emit(tendo_an_cadence *c)
{
    /* this segment's periodogram, summed over the three axes */
    memset(c->psd, 0, c->nbins * sizeof *c->psd);
    size_t first = c->count - c->n; /* decimated index of the segment's start */
    /* the ring holds exactly the segment: it starts at slot first % n */
    size_t r0 = first % c->n;
    for (int ax = 0; ax < 3; ax++) {
        double mean = 0;
        for (size_t i = 0, j = r0; i < c->n; i++, j = j + 1 == c->n ? 0 : j + 1)
            mean += c->ring[3 * j + ax];
        mean /= (double)c->n;
        /* in[n..m) stays zero from creation: an out-of-place r2c plan
         * preserves its input (FFTW 3 manual, "Planner Flags") */
        for (size_t i = 0, j = r0; i < c->n; i++, j = j + 1 == c->n ? 0 : j + 1)
            c->in[i] = (c->ring[3 * j + ax] - mean) * c->hann[i];
        fftw_execute(c->plan);
        for (size_t k = 0; k < c->nbins; k++)
            c->psd[k] += c->out[k][0] * c->out[k][0] + c->out[k][1] * c->out[k][1];
    }
    memcpy(c->hist[c->hist_head], c->psd, c->nbins * sizeof *c->psd);
    c->hist_head = (c->hist_head + 1) % AVERAGED;
    if (c->hist_n < AVERAGED)
        c->hist_n++;
    if (c->hist_n < AVERAGED)
        return 0;
    for (size_t k = 0; k < c->nbins; k++) {
        double s = 0;
        for (size_t h = 0; h < AVERAGED; h++)
            s += c->hist[h][k];
        c->avg[k] = s / AVERAGED;
    }
    /* subharmonic summation over the stride band */
    double df = c->fd / (double)c->m, best = 0, total = 0;
    size_t k0 = (size_t)ceil(F_MIN / df), k1 = (size_t)floor(F_MAX / df), kb = 0;
    for (size_t k = k0; k <= k1 && k < c->nbins; k++) {
        double s =
            c->avg[k] + 0.5 * power_at(c, 2.0 * (double)k) + 0.25 * power_at(c, 3.0 * (double)k);
        total += c->avg[k];
        if (s > best) {
            best = s;
            kb = k;
        }
    }
    if (kb == 0 || !(total > 0))
        return 0;
    /* parabola through the log power at the peak and its neighbours
     * (Gaussian interpolation, exact for a Gaussian-shaped peak) */
    double x = (double)kb;
    if (kb > 0 && kb + 1 < c->nbins && c->avg[kb - 1] > 0 && c->avg[kb] > 0 && c->avg[kb + 1] > 0) {
        double a = log(c->avg[kb - 1]), b = log(c->avg[kb]), d = log(c->avg[kb + 1]);
        double den = a - 2 * b + d;
        if (den < 0)
            x += 0.5 * (a - d) / den;
    }
    tendo_an_cadence_est *q = tendo_array_reserve(c->q, &c->qcap, c->qn, sizeof *q, 16);
    if (!q)
        return -1;
    c->q = q;
    /* the averaged segments span (AVERAGED + 1) hops; their centre: */
    double span = (double)((AVERAGED + 1) * c->hop) / c->fd;
    double end = (double)c->count * (double)c->dec / c->fs;
    c->q[c->qn++] = (tendo_an_cadence_est){end - span / 2, span, x * df,
                                           c->avg[kb] * (x * df > 0 ? 1 : 0) / total};
    return 0;
}

int tendo_an_cadence_push(tendo_an_cadence *c, const float *gyro, size_t n, tendo_error *err)
{
    /* the block sums in locals: this loop sees every sample */
    double s0 = c->acc[0], s1 = c->acc[1], s2 = c->acc[2];
    size_t nacc = c->nacc;
    int rc = TENDO_OK;
    for (size_t i = 0; i < n; i++) {
        s0 += gyro[3 * i];
        s1 += gyro[3 * i + 1];
        s2 += gyro[3 * i + 2];
        if (++nacc < c->dec)
            continue;
        float *slot = c->ring + 3 * c->slot;
        c->slot = c->slot + 1 == c->n ? 0 : c->slot + 1; /* count % n */
        slot[0] = (float)(s0 / (double)c->dec);
        slot[1] = (float)(s1 / (double)c->dec);
        slot[2] = (float)(s2 / (double)c->dec);
        s0 = s1 = s2 = 0;
        nacc = 0;
        c->count++;
        if (c->count >= c->n && ++c->since >= c->hop) {
            c->since = 0;
            if (emit(c) != 0) {
                rc = tendo_error_set(err, TENDO_EINTERNAL, "cadence: out of memory");
                break;
            }
        }
    }
    c->acc[0] = s0, c->acc[1] = s1, c->acc[2] = s2;
    c->nacc = nacc;
    return rc;
}

int tendo_an_cadence_next(tendo_an_cadence *c, tendo_an_cadence_est *e)
{
    if (c->qn == 0)
        return 0;
    *e = c->q[0];
    memmove(c->q, c->q + 1, (c->qn - 1) * sizeof *c->q);
    c->qn--;
    return 1;
}
