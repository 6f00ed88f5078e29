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
 * Threads: every object is independent, so distinct objects may be used
 * from many threads at once. FFTW's planner is not thread-safe: the library
 * serialises its own plan creation and destruction with a mutex, so
 * creating and freeing analysers from many threads is safe too (a program
 * that plans FFTW itself at the same time must not: it shares FFTW's
 * planner).
 */
#ifndef TENDO_ANALYSIS_H
#define TENDO_ANALYSIS_H

#include <stddef.h>

#include "tendo_error.h"
#include "tendo_records.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the methods (recorded with every stored result): bump it when
 * a change can alter any number. */
#define TENDO_AN_VERSION "tendo-analysis 0.11"

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
    double r[9];                /* row-major rotation, foot = r · sensor */
    double confidence;          /* 0..1: product of the three checks below */
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
    double fs_hz;             /* sample rate, 100–2000 Hz */
    const double *r_override; /* NULL: estimate; else row-major 3×3, foot = r · sensor */
    double calib_s;           /* data used to estimate orientation; 0 → 30 s */
    double min_swing_radps;   /* smallest mid-swing pitch rate; 0 → 1.0 rad/s */
    double accel_range_mps2;  /* accelerometer full scale (m/s²); 0 unknown. Samples at it
                                 are clipped: their lost velocity is attributed to them
                                 (MODELS.md, "Clipped impacts") */
} tendo_an_gait_options;

/* What a stride's strapdown integration (zupt.c) says about a constant
 * accelerometer bias b (foot frame): the velocity left at its end and the
 * first-order sensitivities of that velocity and of the displacement to b,
 * so that the session can estimate each pod's bias from all its strides and
 * correct every stride (analysis/MODELS.md, "Sensor biases"). Frames: the
 * stride's world frame (z up, heading 0 at its start) and the foot frame.
 * Single precision: these are small corrections. */
typedef struct tendo_an_drift {
    /* In a stride with clipped samples, v_end, ma and mg are projected off
     * the clipped axes' directions U (P = I - U Uᵀ: the clipped impulse
     * there is unknown) and qa, qg carry -(T/2 - t_c) U Uᵀ (ma, mg), the
     * share of the bias that the clip correction took away (zupt.c). */
    float v_end[3]; /* world velocity at the end before de-drift (should be 0), m/s */
    float ma[9];    /* ∂v_end/∂b = ∫ (R(t) - R(0)) dt, s (row-major) */
    float mg[9];    /* ∂v_end/∂(gyro bias) = -∫ [f(t)×] ∫₀ᵗ R ds dt, m/s per rad/s */
    float qa[9];    /* ∂(displacement)/∂b before the start-attitude term = ∫ (T/2 - t) R(t) dt, s² */
    float qg[9];    /* ∂(displacement)/∂(gyro bias) = -∫ (T/2 - t) [f(t)×] ∫₀ᵗ R ds dt, m per rad/s */
    /* Scale errors (0.8): column k is the sensitivity to axis k's scale
     * error s_k (reading = (1 + s_k) × true); e_k is sensor axis k in the foot
     * frame, f_k = e_k·f the sensor axis' reading. The accelerometer's acts as a
     * bias s_k f_k(t) that varies with the specific force, the gyroscope's
     * as a gyro bias s_k ω_k(t) (MODELS.md, "Sensor biases and scale"). */
    float msa[9];   /* ∂v_end/∂s_acc = ∫ R e_k f_k dt - T R(0) e_k f0_k, m/s */
    float msg[9];   /* ∂v_end/∂s_gyro = -∫ [f(t)×] ∫₀ᵗ R e_k ω_k ds dt, m/s */
    float qsa[9];   /* ∂(displacement)/∂s_acc = ∫ (T/2 - t) R e_k f_k dt, m */
    float qsg[9];   /* ∂(displacement)/∂s_gyro = -∫ (T/2 - t) [f×] ∫₀ᵗ R e_k ω_k ds dt, m */
    float ts[9];    /* column k: e_k f0_k, the bias that s_k = 1 adds to the start's a0 (foot frame) */
    int clipped;    /* accelerometer axes clipped in this stride (0–3) */
    float r0[9];    /* starting attitude, world = r0 · foot */
    float pos[3];   /* de-drifted displacement, world, m */
    float g;        /* local gravity |a0|, m/s² */
    int valid;      /* 0: not integrated */
} tendo_an_drift;

/* One stride of one foot, bounded by the zero-velocity (mid-stance) instants
 * before and after its swing. Times are seconds since the first sample. */
typedef struct tendo_an_stride {
    double t_zv0;            /* mid-stance before the swing (zero velocity) */
    double t_to;             /* toe-off (terminal contact) */
    double t_swing;          /* mid-swing: peak toes-up pitch rate */
    double t_ic;             /* initial contact */
    double t_zv1;            /* mid-stance after the swing */
    double t_to_next;        /* toe-off ending the contact that began at t_ic */
    double contact_s;        /* t_to_next - t_ic */
    double swing_s;          /* t_ic - t_to */
    double length_m;         /* horizontal displacement zv0 → zv1 */
    double dz_m;             /* vertical displacement zv0 → zv1 (up positive) */
    double speed_mps;        /* length_m / (t_zv1 - t_zv0) */
    double peak_swing_radps; /* mid-swing pitch rate */
    double zv_gyro_radps;    /* RMS gyro over the zero-velocity window at t_zv1 */
    int running;             /* 1 if the contact's duty factor is below 0.5 */
    int gait_known;          /* 1: walk/run is decided (running) even with no t_to_next
                                (shank walking steps); 0: from t_to_next as for the foot */
    double strike_angle_deg; /* sole angle at t_ic against the flat foot, toes up + */
    double impact_g;         /* peak |specific force| in the 50 ms after t_ic, g */
    tendo_an_drift drift;    /* for the session's bias correction */
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

/* ---------------------------------------------------------------------
 * Spectral cadence: Welch spectrum of one foot's angular rate.
 * ------------------------------------------------------------------- */

/* One estimate from the last 16 s of data (8-s Hann segments, 50% overlap,
 * three averaged), made every 4 s. */
typedef struct tendo_an_cadence_est {
    double t_s;       /* centre of the data used, s since the first sample */
    double span_s;    /* length of the data used */
    double stride_hz; /* one foot's stride frequency; cadence = 120 × it steps/min */
    double strength;  /* share of the stride band's power in the peak bin (0..1) */
} tendo_an_cadence_est;

typedef struct tendo_an_cadence tendo_an_cadence;

int tendo_an_cadence_new(tendo_an_cadence **out, double fs_hz, tendo_error *err);
void tendo_an_cadence_free(tendo_an_cadence *c);
/* Feeds n gyroscope samples (3 axes, rad/s, any frame). */
int tendo_an_cadence_push(tendo_an_cadence *c, const float *gyro, size_t n, tendo_error *err);
/* Pops the oldest estimate: 1 if one was written to *e, 0 if none. */
int tendo_an_cadence_next(tendo_an_cadence *c, tendo_an_cadence_est *e);

/* ---------------------------------------------------------------------
 * Shank: contacts from a tibia-mounted accelerometer (no gyroscope).
 * ------------------------------------------------------------------- */

/* Streams one shank accelerometer (any mounting: only the resultant is
 * used) and finds each contact of its leg: initial contact at the onset of
 * the tibial shock, toe-off after the propulsive peak, peak tibial
 * acceleration. Methods: analysis/MODELS.md, "Shank". */
typedef struct tendo_an_shank tendo_an_shank;

int tendo_an_shank_new(tendo_an_shank **out, double fs_hz, tendo_error *err);
void tendo_an_shank_free(tendo_an_shank *s);
/* Feeds n samples of 3-axis specific force (m/s², sensor frame). */
int tendo_an_shank_push(tendo_an_shank *s, const float *acc, size_t n, tendo_error *err);
int tendo_an_shank_finish(tendo_an_shank *s, tendo_error *err);
/* Pops the oldest contact as a stride record (times in seconds since the
 * first sample): t_ic; t_to_next, the toe-off ending the contact (NAN for
 * the last contact before a stop, or when none was found); contact_s; t_to,
 * the previous contact's toe-off; running (duty factor < 0.5); impact_g.
 * Without a gyroscope the spatial fields (length_m, dz_m, speed_mps), the
 * sole angle and the zero-velocity times are NAN and drift.valid is 0.
 * Contacts come out with a delay of up to ~15 s of data (the stride period
 * they are judged by comes from a 16-s spectrum). 1 if one was written. */
int tendo_an_shank_next(tendo_an_shank *s, tendo_an_stride *out);
/* Pops the spectral cadence estimates of the same signal (as
 * tendo_an_cadence_next; stride_hz is the leg's stride frequency). */
int tendo_an_shank_next_cadence(tendo_an_shank *s, tendo_an_cadence_est *e);

/* ---------------------------------------------------------------------
 * Session: the strides of all pods become steps, bouts and a summary.
 * ------------------------------------------------------------------- */

typedef enum tendo_an_kind { TENDO_AN_REST = 0, TENDO_AN_WALK = 1, TENDO_AN_RUN = 2 } tendo_an_kind;
typedef enum tendo_an_strike {
    TENDO_AN_STRIKE_NONE = -1, /* not measured */
    TENDO_AN_REAR = 0,         /* sole angle at contact > 8° (heel first) */
    TENDO_AN_MID = 1,          /* -1.6° to 8° */
    TENDO_AN_FORE = 2          /* < -1.6° (ball first) */
} tendo_an_strike;

const char *tendo_an_kind_name(tendo_an_kind k);     /* "rest", "walk", "run" */
const char *tendo_an_strike_name(tendo_an_strike s); /* "rear", "mid", "fore", "" */

/* One ground contact of one foot. Times in seconds since the session start;
 * NAN where a value is not defined (e.g. flight time while walking). */
typedef struct tendo_an_step {
    int pod;             /* index given to tendo_an_session_add */
    int side;            /* 0 left, 1 right */
    double ic_s, to_s;   /* initial contact, toe-off */
    double gct_ms;       /* ground contact time */
    double flight_ms;    /* airborne time before this contact (running) */
    double stride_s;     /* to this foot's next contact */
    double cadence_spm;  /* steps per minute at this step */
    double speed_mps;    /* of the stride that ends with this contact */
    double stride_len_m; /* horizontal length of that stride */
    double dz_m;         /* its height change, up positive */
    double strike_angle_deg;
    tendo_an_strike footstrike;
    double impact_g;
    double achilles_force_bw; /* peak Achilles tendon force proxy, body weights */
    tendo_an_kind kind;       /* walk or run */
    int bout;                 /* index into the bouts */
} tendo_an_step;

typedef struct tendo_an_bout {
    double start_s, end_s;
    tendo_an_kind kind;
    size_t steps;
    double distance_m;
} tendo_an_bout;

/* Headline numbers; NAN when not computable (e.g. balance needs both feet,
 * running figures need running). */
typedef struct tendo_an_summary {
    double duration_s, run_s, walk_s, rest_s;
    size_t steps, steps_left, steps_right;
    /* "typical" = interquartile mean over the running steps (a median that
     * averages out the sample grid at low rates; analysis/MODELS.md) */
    double cadence_spm;          /* typical while running, from the steps */
    double cadence_walk_spm;     /* typical while walking */
    double cadence_spectral_spm; /* median spectral estimate while running */
    double gct_ms;               /* typical while running */
    double flight_ms;            /* typical while running */
    double distance_m;           /* walking and running */
    double speed_mps;            /* mean running speed: running distance / its time */
    double ascent_m, descent_m;
    /* The left foot's net height change minus the right's: both walk the
     * same route, so this measures how far the feet's height estimates have
     * drifted apart (NAN unless both feet were measured). */
    double elevation_lr_diff_m;
    double impact_g;             /* typical while running */
    double gct_balance_left_pct; /* left share of the two feet's typical contact */
    double achilles_load;        /* Σ F over running steps: BW·steps, or N·steps with mass */
    double achilles_damage;      /* Σ (F / F_ref)^k over running steps */
} tendo_an_summary;

typedef struct tendo_an_session_options {
    double mass_kg;  /* 0: unknown (load in body weights) */
    double damage_k; /* damage exponent; 0 → 5 */
    /* Where each pod's strides wait until finish (common/tendo_records.h):
     * NULL keeps them in memory, growing ~0.5 KB a stride; the command line
     * passes tendo_spill_records (bounded memory, older records in an
     * unlinked temporary file) so memory stays flat whatever the length. */
    const tendo_records_ops *records;
} tendo_an_session_options;

typedef struct tendo_an_session tendo_an_session;

int tendo_an_session_new(tendo_an_session **out, const tendo_an_session_options *opt,
                         tendo_error *err);
void tendo_an_session_free(tendo_an_session *s);
/* Adds one stride of pod `pod` on side `side` (0 left, 1 right), its times
 * already converted to seconds since the session start. Strides wait in
 * the options' record list (its errors pass through: TENDO_EIO when a spill
 * file cannot be written). A pod's
 * strides are best added in contact order (as the gait analyser gives
 * them); otherwise finish sorts them all in memory. */
int tendo_an_session_add(tendo_an_session *s, int pod, int side, const tendo_an_stride *st,
                         tendo_error *err);
/* Adds a spectral cadence estimate of a pod, its time in session seconds. */
int tendo_an_session_add_cadence(tendo_an_session *s, int pod, const tendo_an_cadence_est *e,
                                 tendo_error *err);
/* Builds steps, bouts and the summary; duration_s is the session's length. */
int tendo_an_session_finish(tendo_an_session *s, double duration_s, tendo_error *err);
/* Results, valid until the session is freed: steps in time order. */
size_t tendo_an_session_steps(const tendo_an_session *s, const tendo_an_step **rows);
size_t tendo_an_session_bouts(const tendo_an_session *s, const tendo_an_bout **rows);
const tendo_an_summary *tendo_an_session_summary(const tendo_an_session *s);

#ifdef __cplusplus
}
#endif
#endif
