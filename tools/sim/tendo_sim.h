/*
 * tendo_sim.h — the run simulator: synthetic two-foot IMU recordings with
 * ground truth, for tests and demos. NEVER present its output as real data.
 *
 * Pure computation: no file I/O. A caller builds a profile (segments of
 * rest / walk / run with speed, grade and footstrike), creates a generator
 * from it, then pulls samples pod by pod in blocks of any size into its own
 * buffers. Output is the same whatever the block sizes (every random draw
 * belongs to one sample of one pod), so the same seed gives the same bytes.
 *
 * Frames: world x/y horizontal, z up. Foot frame: x towards the toes, y to
 * the foot's left, z up out of the sole (foot flat on level ground = world
 * up to a heading). Sensor frame = foot frame rotated by the pod's mounting
 * (v_foot = M · v_sensor, M row-major). The accelerometer reads specific
 * force f = a − g, so +9.80665 m/s² upward at rest; the gyroscope reads the
 * angular rate; both in the sensor frame, SI units.
 *
 * Model, constants and their sources: tools/SIMULATOR.md.
 */
#ifndef TENDO_SIM_H
#define TENDO_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TENDO_SIM_GRAVITY 9.80665 /* standard gravity, m/s² (CGPM 1901) */
#define TENDO_SIM_PODS 2          /* pod 0 = left foot, pod 1 = right foot */
#define TENDO_SIM_RATE_MIN 100.0
#define TENDO_SIM_RATE_MAX 2000.0

typedef enum tendo_sim_kind {
    TENDO_SIM_REST = 0, /* standing still, both feet flat */
    TENDO_SIM_WALK = 1,
    TENDO_SIM_RUN = 2,
    TENDO_SIM_HEEL_RAISE = 3 /* single-leg heel raises to fatigue, standing (SIMULATOR.md) */
} tendo_sim_kind;

typedef enum tendo_sim_strike {
    TENDO_SIM_REAR = 0, /* heel first */
    TENDO_SIM_MID = 1,  /* sole nearly flat at contact */
    TENDO_SIM_FORE = 2  /* ball of the foot first */
} tendo_sim_strike;

/* A heel-raise test set (kind TENDO_SIM_HEEL_RAISE): one foot rises on the
 * beat of a metronome until fatigue while the other is held off the ground
 * (or rests flat). The segment's duration follows from these values
 * (tendo_sim_heel_raise_duration). */
typedef struct tendo_sim_heel_raise {
    int side;                 /* 0 left, 1 right: the foot that rises */
    int reps;                 /* repetitions, 1–200 */
    double height_m;          /* heel height of the first repetition, 0.02–0.16 m */
    double rate_per_min;      /* metronome tempo, 10–60 repetitions/min (default 30) */
    double final_height_frac; /* last repetition's height over the first, 0.2–1 (default 0.6) */
    int other_resting;        /* 0: the other foot is lifted (the clinical test); 1: flat */
} tendo_sim_heel_raise;

/* One stretch of the profile. speed along the ground surface; grade =
 * rise / horizontal run (0.05 = 5 % uphill). Rest ignores speed. */
typedef struct tendo_sim_segment {
    tendo_sim_kind kind;
    double duration_s;
    double speed_mps;
    double grade;
    tendo_sim_strike strike;
    tendo_sim_heel_raise heel; /* kind TENDO_SIM_HEEL_RAISE only */
} tendo_sim_segment;

/* The pods as the profile configures them. */
typedef struct tendo_sim_pod_config {
    int float32;            /* 0: int16 counts × conversion (default); 1: float32 SI */
    double accel_range_g;   /* full scale ±g (default 32) */
    double gyro_range_dps;  /* full scale ±°/s (default 4000) */
    int shank;              /* 0: a 6-axis pod on each shoe (default); 1: an accelerometer-
                               only pod on each distal shank (tibia), SIMULATOR.md "Shank pods" */
    int has_mounting[TENDO_SIM_PODS];
    double mounting_deg[TENDO_SIM_PODS][3]; /* roll, pitch, yaw (Z-Y-X) when given */
} tendo_sim_pod_config;

typedef struct tendo_sim_profile {
    tendo_sim_segment *seg;
    size_t nseg;
    double leg_length_m;    /* hip height, for contact time (default 0.92) */
    double heading_deg;     /* direction of travel, from world x towards y; NaN = seeded */
    tendo_sim_pod_config pods;
    char *json;             /* the profile as compact JSON (recorded in /truth) */
} tendo_sim_profile;

/* Profile helpers (sim_profile.c). Profiles own their memory: free with
 * tendo_sim_profile_free. Errors: TENDO_EDATA naming `source` (a file name
 * or "profile") and the field, e.g. "easy.json: segments[2].speed_mps: ...". */
void tendo_sim_profile_init(tendo_sim_profile *p);
void tendo_sim_profile_free(tendo_sim_profile *p);
int tendo_sim_profile_parse(const char *json_text, const char *source, tendo_sim_profile *out,
                            tendo_error *err);
/* The built-in profile: rest, walk, run at speed_mps, walk, rest, over
 * `minutes` in total (see SIMULATOR.md). TENDO_EUSAGE for bad values. */
int tendo_sim_profile_default(double minutes, double speed_mps, tendo_sim_profile *out,
                              tendo_error *err);
/* The built-in heel-raise test (see SIMULATOR.md): stand 5 s, the left set,
 * 30 s standing, the right set, stand 5 s. Heights in metres; a side with
 * 0 reps is left out. TENDO_EUSAGE for bad values. */
int tendo_sim_profile_heel_raise(int reps_left, int reps_right, double height_left_m,
                                 double height_right_m, tendo_sim_profile *out, tendo_error *err);
/* Puts the pods on the shanks (shank = 1: accelerometer only) or on the
 * feet (0), and records it in the profile's JSON. */
int tendo_sim_profile_set_placement(tendo_sim_profile *p, int shank, tendo_error *err);
/* Sets defaults for a heel-raise set (30/min, final height 60 %, other foot lifted). */
void tendo_sim_heel_raise_default(tendo_sim_heel_raise *h);
/* Duration of a heel-raise segment in seconds, from its values. */
double tendo_sim_heel_raise_duration(const tendo_sim_heel_raise *h);
/* Checks one profile's values; used by parse and by create. */
int tendo_sim_profile_check(const tendo_sim_profile *p, const char *source, tendo_error *err);
/* Total duration of the profile in seconds. */
double tendo_sim_profile_duration(const tendo_sim_profile *p);
const char *tendo_sim_kind_name(tendo_sim_kind k);
const char *tendo_sim_strike_name(tendo_sim_strike s);

/* ------------------------------------------------------------ generator */

typedef struct tendo_sim_options {
    double rate_hz;        /* nominal sample rate, 100–2000 (default 1000) */
    uint64_t seed;         /* everything random derives from it (default 1) */
    int64_t start_time_us; /* session start, µs since the epoch (UTC) */
    int ideal;             /* 1: no noise, bias, scale error, clock offset or drift */
} tendo_sim_options;

void tendo_sim_options_default(tendo_sim_options *o);

typedef struct tendo_sim tendo_sim;

/* What a pod is, and the hidden truth about it. */
typedef struct tendo_sim_pod_info {
    char serial[32];
    int side;                 /* 0 left, 1 right (tendo_side) */
    double mounting[9];       /* v_foot = M · v_sensor, row-major */
    double mounting_deg[3];   /* the same as roll, pitch, yaw (Z-Y-X), degrees */
    double drift_ppm;         /* pod clock runs at nominal × (1 + drift) */
    double start_offset_s;    /* first sample, seconds after the session start */
    double accel_bias[3];     /* m/s², sensor frame */
    double gyro_bias[3];      /* rad/s, sensor frame */
    double accel_scale[3];    /* 1 + scale error, per axis */
    double gyro_scale[3];
    double accel_noise_sd;    /* per sample, m/s² */
    double gyro_noise_sd;     /* per sample, rad/s */
    double accel_range;       /* full scale, m/s² */
    double gyro_range;        /* full scale, rad/s */
    int64_t samples;          /* how many samples the pod records */
} tendo_sim_pod_info;

/* One truth row: a step (a ground contact) of one foot. Times in seconds
 * since the session start; NaN where a value is undefined (see SIMULATOR.md). */
typedef struct tendo_sim_step {
    double ic_s;          /* initial contact */
    double to_s;          /* toe-off */
    double gct_ms;        /* ground contact time; NaN when the foot rested */
    double stride_s;      /* to this foot's next initial contact */
    double speed_mps;     /* locomotion speed of this step */
    double grade;
    double stride_len_m;  /* surface distance to this foot's next footprint */
    double dz_m;          /* height change to that footprint */
    char kind[16];        /* "walk" / "run" */
    char footstrike[16];  /* "rear" / "mid" / "fore" */
    double flat_start_s;  /* sole flat and the foot exactly still from here… */
    double flat_end_s;    /* …to here (heel-off) */
    double impact_g;      /* model impact peak magnitude, g (before clipping); shank pods:
                             the tibial shock transient's peak along the tibia */
} tendo_sim_step;

/* One truth row per profile segment. */
typedef struct tendo_sim_segment_row {
    double start_s;
    double end_s;
    char kind[16];        /* "rest" / "walk" / "run" */
    double speed_mps;
    double grade;
    char footstrike[16];
} tendo_sim_segment_row;

typedef struct tendo_sim_totals {
    double duration_s;
    double distance_m;    /* along the surface, up to the last contact */
    double ascent_m;
    double descent_m;
} tendo_sim_totals;

/* One truth row per heel raise of one foot (seconds since the session start). */
typedef struct tendo_sim_heel_rep {
    double start_s;    /* the heel leaves the ground */
    double top_s;      /* highest point reached */
    double end_s;      /* the heel is back down */
    double height_m;   /* heel height at the top (sole point under the heel) */
    double angle_deg;  /* sole angle to the ground at the top (plantarflexion) */
    double pod_rise_m; /* how far the pod itself rose */
} tendo_sim_heel_rep;

/* A block of samples of one pod; the caller owns the buffers (n entries,
 * accel and gyro 3n, row-major). t_s may be NULL. */
typedef struct tendo_sim_block {
    int64_t *time_us;
    double *t_s;          /* true sample time, seconds since session start */
    double *accel;        /* m/s², sensor frame, clamped at the range */
    double *gyro;         /* rad/s, sensor frame, clamped at the range */
    uint8_t *status;      /* TENDO_STATUS_ACCEL_CLIPPED / _GYRO_CLIPPED */
} tendo_sim_block;

/* Builds the whole step schedule (a row per step; nothing per sample).
 * TENDO_EUSAGE for bad options, TENDO_EDATA for a bad profile. */
int tendo_sim_create(tendo_sim **out, const tendo_sim_profile *profile,
                     const tendo_sim_options *opt, tendo_error *err);
void tendo_sim_free(tendo_sim *s);

const tendo_sim_pod_info *tendo_sim_pod(const tendo_sim *s, size_t pod);
/* The session id, a UUID derived from the seed. */
const char *tendo_sim_session_id(const tendo_sim *s);

/* Writes up to max_n next samples of a pod into blk; returns how many
 * (0 once the pod's recording is over). */
size_t tendo_sim_next(tendo_sim *s, size_t pod, size_t max_n, const tendo_sim_block *blk);
/* Starts a pod again from its first sample. */
void tendo_sim_rewind(tendo_sim *s, size_t pod);

/* Truth. Rows stay owned by the generator. */
size_t tendo_sim_steps(const tendo_sim *s, size_t pod, const tendo_sim_step **rows);
size_t tendo_sim_segments(const tendo_sim *s, const tendo_sim_segment_row **rows);
/* The heel raises of a pod's foot, in time order (none outside heel-raise segments). */
size_t tendo_sim_heel_reps(const tendo_sim *s, size_t pod, const tendo_sim_heel_rep **rows);
void tendo_sim_get_totals(const tendo_sim *s, tendo_sim_totals *t);

/* The true pose of a pod's sensor at time t_s (seconds since the session
 * start): position (m, world) and R_ws (v_world = R · v_sensor, row-major);
 * vel (m/s) may be NULL. Noise-free, for tests. */
void tendo_sim_truth_pose(const tendo_sim *s, size_t pod, double t_s, double pos[3],
                          double vel[3], double R_ws[9]);

/* The model's gait regressions (SIMULATOR.md), exposed for tests:
 * step frequency in steps/s and ground contact time in s at speed v. */
double tendo_sim_step_freq(tendo_sim_kind kind, double speed_mps);
double tendo_sim_contact_time(tendo_sim_kind kind, double speed_mps, double leg_length_m);

/* Converts clamped SI values to int16 counts (round to nearest, saturate). */
void tendo_sim_to_int16(const double *si, size_t count, double conversion, int16_t *out);

#ifdef __cplusplus
}
#endif
#endif
