/*
 * tendo_training.h — training load over weeks and the spike flags that
 * precede Achilles tendinopathy: pure computation on arrays (no SQL, no I/O).
 *
 * Input: an athlete's sessions (one row per session, from the analysis
 * summaries) and symptom diary, both in date order. Output: a calendar
 * series (one row per day, rest days zero), one row per run compared with
 * the longest run of the 30 days before it, and the flags of the six rules
 * of docs/training-load.md, each with a stable id, its numbers and a
 * sentence a coach understands.
 *
 * Days are whole UTC days counted from 1970-01-01 (day 0). Every threshold
 * lives in tendo_tr_config; TENDO_TR_PARAMS lists them with their sources
 * (the one table: defaults, ranges, override by name).
 */
#ifndef TENDO_TRAINING_H
#define TENDO_TRAINING_H

#include <stddef.h>

#include "tendo_analysis.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bump when a change can alter any series value or flag. */
#define TENDO_TR_VERSION "tendo-training 1"

/* ------------------------------------------------------------ dates */

/* "YYYY-MM-DD" → day number; TENDO_EUSAGE if malformed or not a real date. */
int tendo_tr_date_parse(const char *text, int *day, tendo_error *err);
/* day number → "YYYY-MM-DD" */
void tendo_tr_date_format(int day, char out[11]);

/* ------------------------------------------------------------ config */

typedef struct tendo_tr_config {
    int min_history_days;         /* load rules need this much history */
    double high_speed_mps;        /* stride speed counted as high-speed running */
    int longest_window_days;      /* look-back of the longest-run rule */
    double longest_ratio;         /* flag above this × the longest run */
    double longest_band2_ratio;   /* second Frandsen band starts here */
    double longest_band3_ratio;   /* third band (high severity) starts here */
    double weekly_ratio;          /* 7-day distance or damage vs the 7 days before */
    double weekly_min_prev_m;     /* previous 7 days below this: no baseline */
    int acute_days, chronic_days; /* windows of the acute:chronic ratios */
    double acwr_ratio;            /* EWMA acute:chronic damage ratio flag */
    double stack_ratio;           /* "up" for stacking: > this × the 7 days before */
    double stack_min_volume_m;    /* volume counts as up only with at least this much */
    double stack_min_high_speed_m;
    double stack_min_hills_m;     /* ascent + descent */
    double pain_max;              /* pain during loading above this */
    double pain_24h_max;          /* pain at 24 h above this: not settled */
    double stiffness_rise;        /* morning stiffness this far above the previous 7 days */
    double asym_shift_pct;        /* left-share shift from baseline, percentage points */
    int asym_baseline_days;       /* baseline window of the asymmetry rule */
    int asym_min_sessions;        /* sessions needed in that window */
} tendo_tr_config;

/* One entry of the parameter table. */
typedef struct tendo_tr_param {
    const char *name;    /* as in override files and --json */
    int is_int;          /* stored as int, else double */
    size_t offset;       /* in tendo_tr_config */
    double def, lo, hi;  /* default and accepted range */
    const char *unit;
    const char *source;  /* paper and year, or "design choice: why" */
} tendo_tr_param;

/* The table and its length. */
const tendo_tr_param *tendo_tr_params(size_t *n);
/* Fills cfg with the defaults. */
void tendo_tr_config_default(tendo_tr_config *cfg);
/* Sets one parameter by name; TENDO_EUSAGE for an unknown name or a value
 * out of range (the message names both). */
int tendo_tr_config_set(tendo_tr_config *cfg, const char *name, double value, tendo_error *err);
/* Reads one parameter by name (NAN if unknown). */
double tendo_tr_config_get(const tendo_tr_config *cfg, const char *name);

/* ------------------------------------------------------------ per session */

/* Running distance by stride speed, so the high-speed threshold can change
 * after sessions were recorded: bin b holds [b, b+1) × 0.25 m/s, the last
 * bin everything from 9.75 m/s up. */
#define TENDO_TR_SPEED_BINS    40
#define TENDO_TR_SPEED_BIN_MPS 0.25

typedef struct tendo_tr_step_stats {
    double speed_hist_m[TENDO_TR_SPEED_BINS]; /* running distance per speed bin */
    double load_left_pct; /* left foot's share of the Achilles load; NAN unless both feet */
} tendo_tr_step_stats;

/* From a session's steps (tendo_an_session_steps): each running step adds
 * its stride length divided by the number of feet measured (as the summary's
 * distance does) to its speed's bin. */
void tendo_tr_step_stats_of(const tendo_an_step *steps, size_t n, tendo_tr_step_stats *out);
/* Distance faster than threshold_mps: whole bins above it plus the part of
 * the bin it falls in (linear within the bin). */
double tendo_tr_high_speed_m(const double hist[TENDO_TR_SPEED_BINS], double threshold_mps);

/* ------------------------------------------------------------ input */

/* One session; NAN (or 0 for sums) where not measured. */
typedef struct tendo_tr_session {
    int day;
    char id[40];
    double duration_s;
    double run_s;          /* running time (mean pace = running distance / run_s) */
    double distance_m;
    double run_distance_m; /* running part of the distance (speed × run_s) */
    double high_speed_m;   /* distance of strides faster than high_speed_mps */
    double ascent_m, descent_m;
    double achilles_load;   /* Σ F over steps, body weights × steps */
    double achilles_damage; /* Σ (F / F_ref)^k */
    double cadence_spm, gct_ms;     /* typical while running, NAN if none */
    double gct_balance_left_pct;    /* left share of contact time, NAN if unknown */
    double load_left_pct;           /* left share of Achilles load, NAN if unknown */
} tendo_tr_session;

/* One diary day; scores 0–10, negative when not given. */
typedef struct tendo_tr_diary {
    int day;
    int pain, pain_24h, stiffness;
} tendo_tr_diary;

/* ------------------------------------------------------------ output */

typedef enum tendo_tr_severity {
    TENDO_TR_LOW = 0,
    TENDO_TR_MODERATE = 1,
    TENDO_TR_HIGH = 2
} tendo_tr_severity;
const char *tendo_tr_severity_name(tendo_tr_severity s); /* "low", "moderate", "high" */

/* One calendar day. Sums are zero on rest days; ratios are NAN when their
 * denominator is zero. Rolling sums end on (and include) this day. */
typedef struct tendo_tr_day {
    int day;
    int sessions;
    double duration_s, distance_m, high_speed_m, ascent_m, descent_m;
    double load, damage;
    double distance_7d, distance_28d, damage_7d, damage_28d, load_7d, load_28d;
    double acwr_rolling;       /* damage: (7-day sum / 7) / (28-day sum / 28), Gabbett 2016 */
    double damage_acute_ewma;  /* λ = 2 / (acute_days + 1), Williams 2017 */
    double damage_chronic_ewma;/* λ = 2 / (chronic_days + 1) */
    double acwr_ewma;          /* their ratio */
    double load_acute_ewma, load_chronic_ewma;
    double distance_wow_pct;   /* 7-day distance vs the 7 days before, % change */
    double damage_wow_pct;
    double longest_30d_m;      /* longest single run in the window before this day */
    double cadence_spm, gct_ms;           /* the day's sessions, weighted by running time */
    double gct_balance_left_pct, load_left_pct;
    int pain, pain_24h, stiffness;        /* the diary; -1 when none */
    int history_days;          /* days since the first session (-1 before it) */
    int history_ok;            /* history_days >= min_history_days: load rules apply */
} tendo_tr_day;

/* One session against the longest run of the window before its day. */
typedef struct tendo_tr_run {
    int day;
    char id[40];
    double distance_m;
    double longest_before_m; /* 0 when no run in the window */
    double ratio;            /* distance / longest_before, NAN without a baseline */
} tendo_tr_run;

#define TENDO_TR_FLAG_ID_LEN 16
#define TENDO_TR_MSG_LEN 400

typedef struct tendo_tr_flag {
    char id[TENDO_TR_FLAG_ID_LEN]; /* "f" + 12 hex digits of a hash of athlete, rule, date, session */
    char rule[24];                 /* longest_run_30d, weekly_progression, acwr,
                                      stacked_increases, symptoms, asymmetry */
    int day;
    char session[40];              /* "" for day-level rules */
    tendo_tr_severity severity;
    double value, threshold;       /* the numbers behind it (ratios, scores, points) */
    char message[TENDO_TR_MSG_LEN];
} tendo_tr_flag;

typedef struct tendo_tr_result {
    int first_day, last_day;
    tendo_tr_day *days;   /* last_day - first_day + 1 rows */
    size_t ndays;
    tendo_tr_run *runs;
    size_t nruns;
    tendo_tr_flag *flags; /* in date order */
    size_t nflags;
    int first_session_day; /* -1 without sessions */
    int history_days;      /* first session to last_day */
    int enough_history;    /* history_days >= min_history_days */
    char history_note[240];/* says what too little history means; "" when enough */
} tendo_tr_result;

/* Computes the series and flags over [first_day, last_day]; pass first_day
 * > last_day (e.g. 1, 0) to span the data. Sessions must be in day order
 * and the diary in strictly increasing day order (TENDO_EUSAGE naming the
 * row otherwise); sessions before first_day count as history. athlete_id
 * goes into the flag ids only. */
int tendo_tr_compute(const tendo_tr_config *cfg, const char *athlete_id,
                     const tendo_tr_session *sessions, size_t nsessions,
                     const tendo_tr_diary *diary, size_t ndiary, int first_day, int last_day,
                     tendo_tr_result **out, tendo_error *err);
void tendo_tr_result_free(tendo_tr_result *r);

/* The stable id of a flag (what tendo_tr_compute puts in tendo_tr_flag.id). */
void tendo_tr_flag_id(const char *athlete_id, const char *rule, int day, const char *session,
                      char out[TENDO_TR_FLAG_ID_LEN]);

#ifdef __cplusplus
}
#endif
#endif
