/*
 * tendo_analysis.h — gait analysis of foot-worn IMU data: pure computation
 * on arrays (no file or USB code), streaming first.
 *
 * Units are SI throughout: seconds, m/s², rad/s, metres. Three-axis data are
 * interleaved (x0,y0,z0,x1,...). Objects are plan-then-execute, as in FFTW:
 * *_new() does all allocation and FFT planning once, *_push() processes any
 * number of chunks of any size with memory bounded by the options (never by
 * the session length), *_finish() flushes, *_free() releases.
 *
 * Frames. The sensor frame is whatever the pod reports. The foot frame is
 * the same for both feet: x anterior (toes), y to the subject's LEFT, z up,
 * with the sole flat on level ground. Pitch rate p = -gyro_y (foot frame) is
 * positive when the toes rise: it peaks in mid-swing and is negative during
 * push-off and the foot slap after a heel strike. The methods and every
 * constant are documented, with their sources, in analysis/MODELS.md.
 *
 * Threads: FFTW's planner is not thread-safe, so create filters and gait
 * analysers from one thread (pushing to distinct objects from many threads
 * is fine).
 */
#ifndef TENDO_ANALYSIS_H
#define TENDO_ANALYSIS_H

#include <stddef.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * Zero-phase FIR filtering by streaming overlap-save (FFTW).
 * ------------------------------------------------------------------- */

/* Designs a linear-phase low-pass (windowed sinc, Blackman window) with
 * unit DC gain. The odd tap count follows from the transition width
 * (Blackman: ~5.5 fs / ntaps). Writes at most cap taps; TENDO_EUSAGE if
 * the parameters are out of range or cap is too small. */
int tendo_an_lowpass_design(double fs_hz, double cutoff_hz, double transition_hz, double *taps,
                            size_t cap, size_t *ntaps, tendo_error *err);

typedef struct tendo_an_fir tendo_an_fir;

/* A zero-phase filter for nch interleaved channels with a symmetric kernel of
 * odd length ntaps (the kernel's half-length delay is compensated, so output
 * sample i is aligned with input sample i). Edges are extended by repeating
 * the first and last sample, so a constant signal (gravity) passes
 * unchanged. Output does not depend on how the input is chunked. */
int tendo_an_fir_new(tendo_an_fir **out, const double *taps, size_t ntaps, size_t nch,
                     tendo_error *err);
void tendo_an_fir_free(tendo_an_fir *f);

/* The most frames one push of n frames (or finish, with n = 0) can return. */
size_t tendo_an_fir_max_out(const tendo_an_fir *f, size_t n);

/* Feeds n frames (nch values each); writes the frames now complete to out
 * (capacity cap frames, at least tendo_an_fir_max_out(f, n)) and their count
 * to *nout. Output runs (ntaps-1)/2 frames plus up to one FFT block behind
 * the input; finish() returns the rest, so in total exactly as many frames
 * come out as went in. */
int tendo_an_fir_push(tendo_an_fir *f, const float *in, size_t n, float *out, size_t cap,
                      size_t *nout, tendo_error *err);
int tendo_an_fir_finish(tendo_an_fir *f, float *out, size_t cap, size_t *nout, tendo_error *err);

/* ---------------------------------------------------------------------
 * Sensor-to-foot orientation from the data.
 * ------------------------------------------------------------------- */

typedef struct tendo_an_orientation {
    double r[9];       /* row-major rotation, foot = r · sensor */
    double confidence; /* 0..1: product of the three checks below */
    double gravity_consistency; /* |Σ a| / Σ |a| over still samples (1 = steady vertical) */
    double ml_dominance;        /* share of the gyro energy about the found ML axis */
    double sign_margin;         /* 0..1: how clearly the heel-rise rule fixed forward */
    size_t still_samples, moving_samples;
} tendo_an_orientation;

/* Finds the foot frame from n samples of sensor-frame data that include
 * some walking or running (30–60 s is plenty): gravity averaged over still
 * samples gives z; the principal axis of the swing rotation (eigenvector of
 * the gyro's second-moment matrix, orthogonalised to z) gives y; the sign of
 * y is the one for which the heel rises before the toes (the foot pitches
 * toes-down more than toes-up between stances). TENDO_EDATA, with a message,
 * when the data hold no still samples or no rotation to go by. */
int tendo_an_orientation_estimate(const float *acc, const float *gyro, size_t n, double fs_hz,
                                  tendo_an_orientation *out, tendo_error *err);

/* ---------------------------------------------------------------------
 * Gait: strides, events and zero-velocity-aided strapdown integration.
 * ------------------------------------------------------------------- */

typedef struct tendo_an_gait_options {
    double fs_hz;           /* sample rate, 100–2000 Hz */
    const double *r_override; /* NULL: estimate; else row-major 3×3, foot = r · sensor */
    double calib_s;         /* data used to estimate orientation; 0 → 30 s */
    double min_swing_radps; /* smallest mid-swing pitch rate; 0 → 1.0 rad/s */
} tendo_an_gait_options;

/* One stride of one foot, bounded by the zero-velocity (mid-stance) instants
 * before and after its swing. Times are seconds since the first sample. */
typedef struct tendo_an_stride {
    double t_zv0;       /* mid-stance before the swing (zero velocity) */
    double t_to;        /* toe-off (terminal contact) */
    double t_swing;     /* mid-swing: peak toes-up pitch rate */
    double t_ic;        /* initial contact */
    double t_zv1;       /* mid-stance after the swing */
    double t_to_next;   /* toe-off ending the contact that began at t_ic */
    double contact_s;   /* t_to_next - t_ic */
    double swing_s;     /* t_ic - t_to */
    double length_m;    /* horizontal displacement zv0 → zv1 */
    double dz_m;        /* vertical displacement zv0 → zv1 (up positive) */
    double speed_mps;   /* length_m / (t_zv1 - t_zv0) */
    double peak_swing_radps; /* mid-swing pitch rate */
    double zv_gyro_radps;    /* RMS gyro over the zero-velocity window at t_zv1 */
} tendo_an_stride;

typedef struct tendo_an_gait tendo_an_gait;

int tendo_an_gait_new(tendo_an_gait **out, const tendo_an_gait_options *opt, tendo_error *err);
void tendo_an_gait_free(tendo_an_gait *g);

/* Feeds n sensor-frame samples. Completed strides queue up inside (a few at
 * most per second of data); take them with tendo_an_gait_next(). */
int tendo_an_gait_push(tendo_an_gait *g, const float *acc, const float *gyro, size_t n,
                       tendo_error *err);
/* Ends the stream: the last strides whose data are complete are queued. */
int tendo_an_gait_finish(tendo_an_gait *g, tendo_error *err);
/* Pops the oldest completed stride: 1 if one was written to *s, 0 if none. */
int tendo_an_gait_next(tendo_an_gait *g, tendo_an_stride *s);
/* The orientation in use (estimated or overridden); NULL until known. */
const tendo_an_orientation *tendo_an_gait_orientation(const tendo_an_gait *g);

#ifdef __cplusplus
}
#endif
#endif
