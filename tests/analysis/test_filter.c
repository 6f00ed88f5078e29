/*
 * test_filter.c — the streaming overlap-save filter against direct
 * convolution: equal within 1e-5, bit-identical whatever the chunk sizes,
 * zero phase, unit DC gain, and the designed low-pass attenuates.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tendo_analysis.h"
#include "tendo_check.h"


static unsigned long long rng = 88172645463325252ULL;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Direct zero-phase convolution with edge extension, in double. */
static void direct(const float *x, size_t n, size_t nch, const double *h, size_t m, double *y)
{
    long c = (long)(m - 1) / 2;
    for (size_t ch = 0; ch < nch; ch++)
        for (long i = 0; i < (long)n; i++) {
            double s = 0;
            for (long k = 0; k < (long)m; k++) {
                long j = i + c - k;
                j = j < 0 ? 0 : j >= (long)n ? (long)n - 1 : j;
                s += h[k] * x[(size_t)j * nch + ch];
            }
            y[(size_t)i * nch + ch] = s;
        }
}

/* Runs the streaming filter with chunk sizes from `chunk` (0 = random). */
static float *stream(const float *x, size_t n, size_t nch, const double *h, size_t m, size_t chunk)
{
    tendo_an_fir *f;
    tendo_error err = {0};
    if (tendo_an_fir_new(&f, h, m, nch, &err) != TENDO_OK) {
        fprintf(stderr, "fir_new: %s\n", err.msg);
        exit(1);
    }
    float *y = calloc(n * nch, sizeof *y);
    size_t maxc = chunk ? chunk : 700;
    size_t cap = tendo_an_fir_max_out(f, maxc);
    float *tmp = malloc(cap * nch * sizeof *tmp);
    size_t pos = 0, got = 0, nout;
    while (pos < n) {
        size_t k = chunk ? chunk : 1 + (size_t)(urand() * (double)(maxc - 1));
        if (k > n - pos)
            k = n - pos;
        CHECK(tendo_an_fir_push(f, x + pos * nch, k, tmp, cap, &nout, &err) == TENDO_OK, "%s",
              err.msg);
        CHECK(got + nout <= n, "more output than input");
        if (got + nout <= n)
            memcpy(y + got * nch, tmp, nout * nch * sizeof *y);
        got += nout;
        pos += k;
    }
    CHECK(tendo_an_fir_finish(f, tmp, cap, &nout, &err) == TENDO_OK, "%s", err.msg);
    CHECK(got + nout == n, "frames out %zu != in %zu", got + nout, n);
    if (got + nout == n)
        memcpy(y + got * nch, tmp, nout * nch * sizeof *y);
    free(tmp);
    tendo_an_fir_free(f);
    return y;
}

static void test_against_direct(size_t n, double fs, double fc, double tw)
{
    const size_t nch = 3;
    double h[4096];
    size_t m;
    tendo_error err = {0};
    CHECK(tendo_an_lowpass_design(fs, fc, tw, h, 4096, &m, &err) == TENDO_OK, "%s", err.msg);
    float *x = malloc(n * nch * sizeof *x);
    for (size_t i = 0; i < n * nch; i++) /* gravity-sized offset plus broadband noise */
        x[i] = (float)((i % nch == 2 ? 9.81 : 0.0) + 4 * (urand() - 0.5));
    double *ref = malloc(n * nch * sizeof *ref);
    direct(x, n, nch, h, m, ref);
    size_t chunks[] = {n, 1, 37, 1000, 0};
    float *first = NULL;
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        float *y = stream(x, n, nch, h, m, chunks[c]);
        double maxerr = 0;
        for (size_t i = 0; i < n * nch; i++)
            maxerr = fmax(maxerr, fabs(y[i] - ref[i]));
        CHECK(maxerr < 1e-5, "n=%zu taps=%zu chunk=%zu: max |stream - direct| = %g", n, m,
              chunks[c], maxerr);
        if (!first)
            first = y;
        else {
            CHECK(memcmp(first, y, n * nch * sizeof *y) == 0,
                  "n=%zu chunk=%zu: output differs from one-shot output", n, chunks[c]);
            free(y);
        }
    }
    free(first);
    free(ref);
    free(x);
}

static void test_response(void)
{
    /* 1000 Hz, 20 Hz cut-off, 10 Hz transition: a 5 Hz sine passes at unit
     * gain with zero phase; a 60 Hz sine is stopped (Blackman: > 70 dB). */
    const double fs = 1000;
    const size_t n = 8000;
    double h[2048];
    size_t m;
    tendo_error err = {0};
    CHECK(tendo_an_lowpass_design(fs, 20, 10, h, 2048, &m, &err) == TENDO_OK, "%s", err.msg);
    float *x = malloc(2 * n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (float)sin(2 * M_PI * 5 * (double)i / fs);
        x[2 * i + 1] = (float)sin(2 * M_PI * 60 * (double)i / fs);
    }
    float *y = stream(x, n, 2, h, m, 0);
    double e5 = 0, a60 = 0;
    for (size_t i = m; i < n - m; i++) {
        e5 = fmax(e5, fabs(y[2 * i] - x[2 * i])); /* zero phase: no lag to remove */
        a60 = fmax(a60, fabs(y[2 * i + 1]));
    }
    CHECK(e5 < 1e-3, "5 Hz passband error %g", e5);
    CHECK(a60 < 3e-4, "60 Hz stop band amplitude %g", a60);
    free(y);
    free(x);
}

static void test_usage_errors(void)
{
    double h[5] = {0.1, 0.2, 0.4, 0.25, 0.05};
    tendo_an_fir *f = NULL;
    tendo_error err = {0};
    CHECK(tendo_an_fir_new(&f, h, 5, 1, &err) == TENDO_EUSAGE && f == NULL,
          "asymmetric kernel accepted");
    CHECK(strstr(err.msg, "symmetric") != NULL, "message: %s", err.msg);
    tendo_error_clear(&err);
    size_t m;
    CHECK(tendo_an_lowpass_design(100, 49, 10, h, 5, &m, &err) == TENDO_EUSAGE,
          "cut-off above Nyquist accepted");
    tendo_error_clear(&err);
    CHECK(tendo_an_lowpass_design(1000, 20, 10, h, 5, &m, &err) == TENDO_EUSAGE,
          "too small tap buffer accepted");
}

int main(void)
{
    test_against_direct(5000, 1000, 20, 10);  /* 551 taps, several blocks */
    test_against_direct(30, 1000, 20, 10);    /* shorter than the kernel */
    test_against_direct(3000, 204.8, 15, 8);  /* gaitmap's rate */
    test_response();
    test_usage_errors();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("filter: all checks passed\n");
    return failures ? 1 : 0;
}
