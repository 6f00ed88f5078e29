/*
 * filter.c — linear-phase FIR low-pass design and zero-phase filtering by
 * streaming overlap-save with FFTW.
 *
 * Overlap-save (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd
 * ed. 2010, §8.7.3): blocks of N samples overlapping by M-1 are transformed,
 * multiplied by the kernel's spectrum and transformed back; the first M-1
 * outputs of each block are circular-wrap garbage and dropped, the other
 * L = N-M+1 are exact linear convolution. A symmetric kernel of odd length
 * M = 2c+1 has a pure delay of c samples; emitting causal output j as the
 * centred output j-2c (after c leading pad samples) makes the filter zero
 * phase. Block boundaries depend only on the sample count, so the output is
 * bit-identical whatever the chunking.
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "tendo_analysis.h"

struct tendo_an_fir {
    size_t m, c, nfft, hop, nch;
    size_t fill;        /* samples in each channel's block buffer */
    int started;        /* leading pad written */
    float *last;        /* last frame seen (for the trailing pad) */
    double **buf;       /* nch time-domain block buffers of nfft */
    double *work;       /* real scratch of nfft */
    fftw_complex *spec; /* scratch spectrum, nfft/2+1 */
    fftw_complex *kern; /* kernel spectrum / nfft */
    fftw_plan fwd, inv; /* planned once, executed on any aligned buffer */
};

int tendo_an_lowpass_design(double fs_hz, double cutoff_hz, double transition_hz, double *taps,
                            size_t cap, size_t *ntaps, tendo_error *err)
{
    if (!(fs_hz > 0) || !(cutoff_hz > 0) || !(transition_hz > 0) ||
        cutoff_hz + transition_hz / 2 >= fs_hz / 2 || !taps || !ntaps)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "low-pass design: need 0 < cutoff (%g Hz) and cutoff + "
                               "transition/2 below Nyquist (%g Hz)",
                               cutoff_hz, fs_hz / 2);
    /* Blackman window: transition width ≈ 5.5 fs / M, stop band ≈ -74 dB
     * (Smith, The Scientist and Engineer's Guide to DSP, 1997, ch. 16). */
    size_t m = (size_t)ceil(5.5 * fs_hz / transition_hz);
    if (m % 2 == 0)
        m++;
    if (m < 3)
        m = 3;
    if (m > cap)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "low-pass design: %zu taps needed for a %g Hz transition at "
                               "%g Hz, buffer holds %zu",
                               m, transition_hz, fs_hz, cap);
    double fc = cutoff_hz / fs_hz, c = (double)(m - 1) / 2, sum = 0;
    for (size_t k = 0; k < m; k++) {
        double x = (double)k - c;
        double s = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
        double w = 0.42 - 0.5 * cos(2 * M_PI * (double)k / (double)(m - 1)) +
                   0.08 * cos(4 * M_PI * (double)k / (double)(m - 1));
        taps[k] = s * w;
        sum += taps[k];
    }
    for (size_t k = 0; k < m; k++)
        taps[k] /= sum; /* unit DC gain: gravity passes unchanged */
    *ntaps = m;
    return TENDO_OK;
}

void tendo_an_fir_free(tendo_an_fir *f)
{
    if (!f)
        return;
    if (f->buf)
        for (size_t ch = 0; ch < f->nch; ch++)
            fftw_free(f->buf[ch]);
    free(f->buf);
    free(f->last);
    fftw_free(f->work);
    fftw_free(f->spec);
    fftw_free(f->kern);
    an_fftw_lock();
    if (f->fwd)
        fftw_destroy_plan(f->fwd);
    if (f->inv)
        fftw_destroy_plan(f->inv);
    an_fftw_unlock();
    free(f);
}

int tendo_an_fir_new(tendo_an_fir **out, const double *taps, size_t ntaps, size_t nch,
                     tendo_error *err)
{
    *out = NULL;
    if (!taps || ntaps == 0 || ntaps % 2 == 0 || nch == 0)
        return tendo_error_set(err, TENDO_EUSAGE,
                               "FIR filter: need an odd number of taps (got %zu) and at least "
                               "one channel",
                               ntaps);
    for (size_t k = 0; k < ntaps / 2; k++)
        if (fabs(taps[k] - taps[ntaps - 1 - k]) > 1e-12 * (fabs(taps[k]) + 1e-30))
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "FIR filter: kernel is not symmetric at tap %zu, so it "
                                   "is not linear phase",
                                   k);
    tendo_an_fir *f = calloc(1, sizeof *f);
    if (!f)
        return tendo_error_set(err, TENDO_EINTERNAL, "FIR filter: out of memory");
    f->m = ntaps;
    f->c = (ntaps - 1) / 2;
    f->nch = nch;
    /* FFT of at least 4 (M-1): each block then yields >= 3/4 of its length,
     * a good trade between FFT cost (N log N per block) and overlap waste. */
    size_t nfft = 64;
    while (nfft < 4 * (ntaps - 1))
        nfft *= 2;
    f->nfft = nfft;
    f->hop = nfft - (ntaps - 1);
    f->buf = calloc(nch, sizeof *f->buf);
    f->last = calloc(nch, sizeof *f->last);
    f->work = fftw_alloc_real(nfft);
    f->spec = fftw_alloc_complex(nfft / 2 + 1);
    f->kern = fftw_alloc_complex(nfft / 2 + 1);
    int ok = f->buf && f->last && f->work && f->spec && f->kern;
    for (size_t ch = 0; ok && ch < nch; ch++)
        ok = (f->buf[ch] = fftw_alloc_real(nfft)) != NULL;
    if (ok) {
        /* Plans are made once here and executed with fftw_execute_dft_* on
         * other buffers of the same size and alignment (fftw_malloc). */
        an_fftw_lock();
        f->fwd = fftw_plan_dft_r2c_1d((int)nfft, f->work, f->spec, FFTW_ESTIMATE);
        f->inv = fftw_plan_dft_c2r_1d((int)nfft, f->spec, f->work, FFTW_ESTIMATE);
        an_fftw_unlock();
        ok = f->fwd && f->inv;
    }
    if (!ok) {
        tendo_an_fir_free(f);
        return tendo_error_set(err, TENDO_EINTERNAL,
                               "FIR filter: out of memory or FFTW "
                               "planning failed");
    }
    memset(f->work, 0, nfft * sizeof *f->work);
    for (size_t k = 0; k < ntaps; k++)
        f->work[k] = taps[k] / (double)nfft; /* fold FFTW's unnormalised inverse in */
    fftw_execute_dft_r2c(f->fwd, f->work, f->kern);
    *out = f;
    return TENDO_OK;
}

size_t tendo_an_fir_max_out(const tendo_an_fir *f, size_t n)
{
    return n + f->c + f->hop;
}

/* Filters the full block buffers and writes the `valid` newest outputs. */
static void run_block(tendo_an_fir *f, size_t valid, float *out)
{
    size_t nh = f->nfft / 2 + 1;
    for (size_t ch = 0; ch < f->nch; ch++) {
        fftw_execute_dft_r2c(f->fwd, f->buf[ch], f->spec);
        for (size_t k = 0; k < nh; k++) {
            double re = f->spec[k][0] * f->kern[k][0] - f->spec[k][1] * f->kern[k][1];
            double im = f->spec[k][0] * f->kern[k][1] + f->spec[k][1] * f->kern[k][0];
            f->spec[k][0] = re;
            f->spec[k][1] = im;
        }
        fftw_execute_dft_c2r(f->inv, f->spec, f->work);
        for (size_t i = 0; i < valid; i++)
            out[i * f->nch + ch] = (float)f->work[f->m - 1 + i];
        /* keep the last M-1 input samples as the next block's history */
        memmove(f->buf[ch], f->buf[ch] + f->hop, (f->m - 1) * sizeof(double));
    }
}

/* Appends one frame; runs a block when full. Returns frames written. */
static size_t put(tendo_an_fir *f, const float *frame, float *out)
{
    for (size_t ch = 0; ch < f->nch; ch++)
        f->buf[ch][f->fill] = frame[ch];
    if (++f->fill < f->nfft)
        return 0;
    run_block(f, f->hop, out);
    f->fill = f->m - 1;
    return f->hop;
}

int tendo_an_fir_push(tendo_an_fir *f, const float *in, size_t n, float *out, size_t cap,
                      size_t *nout, tendo_error *err)
{
    *nout = 0;
    if (cap < tendo_an_fir_max_out(f, n))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "FIR filter: output holds %zu frames, a push of %zu may "
                               "return %zu",
                               cap, n, tendo_an_fir_max_out(f, n));
    size_t w = 0;
    if (n > 0 && !f->started) {
        /* leading edge: repeat the first sample c times */
        for (size_t k = 0; k < f->c; k++)
            w += put(f, in, out + w * f->nch);
        f->started = 1;
    }
    /* the frames in runs up to the next full block (a block's worth per
     * channel at once instead of a call per frame) */
    for (size_t i = 0; i < n;) {
        size_t k = f->nfft - f->fill < n - i ? f->nfft - f->fill : n - i;
        for (size_t ch = 0; ch < f->nch; ch++) {
            double *b = f->buf[ch] + f->fill;
            const float *x = in + i * f->nch + ch;
            for (size_t j = 0; j < k; j++)
                b[j] = x[j * f->nch];
        }
        f->fill += k;
        i += k;
        if (f->fill == f->nfft) {
            run_block(f, f->hop, out + w * f->nch);
            f->fill = f->m - 1;
            w += f->hop;
        }
    }
    if (n > 0)
        memcpy(f->last, in + (n - 1) * f->nch, f->nch * sizeof *f->last);
    *nout = w;
    return TENDO_OK;
}

int tendo_an_fir_finish(tendo_an_fir *f, float *out, size_t cap, size_t *nout, tendo_error *err)
{
    *nout = 0;
    if (cap < tendo_an_fir_max_out(f, 0))
        return tendo_error_set(err, TENDO_EUSAGE,
                               "FIR filter: finish needs room for %zu "
                               "frames",
                               tendo_an_fir_max_out(f, 0));
    if (!f->started)
        return TENDO_OK;
    size_t w = 0;
    for (size_t k = 0; k < f->c; k++) /* trailing edge: repeat the last sample */
        w += put(f, f->last, out + w * f->nch);
    if (f->fill > f->m - 1) {
        size_t valid = f->fill - (f->m - 1);
        for (size_t ch = 0; ch < f->nch; ch++)
            memset(f->buf[ch] + f->fill, 0, (f->nfft - f->fill) * sizeof(double));
        run_block(f, valid, out + w * f->nch);
        w += valid;
    }
    f->fill = 0;
    f->started = 0; /* ready for a new stream with the same plans */
    *nout = w;
    return TENDO_OK;
}
