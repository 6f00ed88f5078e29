/*
 * tendo_import.h — other sensors' CSV files (one per foot) into a session
 * file, callable from any command: `tendo import csv` is its command line,
 * `tendo batch` imports manifest rows with it before analysing them.
 *
 * Both CSV headers are checked before the session is created, then each pod
 * is streamed through a fixed window of rows into the session writer, so a
 * file of any length imports in flat memory. Any failure aborts the writer,
 * which removes its temporary file: nothing appears under the output name.
 *
 * Sample times: with a `t` column, time = start + round(t·1e6) µs, so files
 * that share a clock (left/right from one recording) stay aligned; without
 * one, sample i is at start + i/rate.
 */
#ifndef TENDO_IMPORT_H
#define TENDO_IMPORT_H

#include <stdint.h>

#include "tendo_csv.h"
#include "tendo_error.h"
#include "tendo_session.h"

/* The documented default start: a fixed date, so the same files always give
 * the same sample times (and the same session id). */
#define TENDO_IMPORT_DEFAULT_START "2000-01-01T00:00:00Z"
/* A t column whose rate differs from the nominal one by more than this
 * fraction is worth a warning (a wrong rate, or t in milliseconds). */
#define TENDO_IMPORT_RATE_WARN_FRACTION 0.05

typedef struct tendo_import_csv_options {
    const char *out;       /* session file to create */
    const char *csv[2];    /* CSV of each foot, by tendo_side; NULL when absent */
    const char *serial[2]; /* pod serials (default "csv-left", "csv-right") */
    const char *athlete;   /* "" for none */
    int64_t start_us;      /* session start, µs since the epoch (UTC) */
    double rate_hz;        /* the sensors' nominal rate */
    tendo_placement placement;
    tendo_csv_options units;
    int overwrite;         /* replace an existing out */
    const char *label[2];  /* how messages name each CSV ("left", "right";
                              the command line says "--left", "--right") */
} tendo_import_csv_options;

/* What one pod's import produced. */
typedef struct tendo_import_pod {
    int present;
    int has_gyro, has_time;
    int64_t samples;
    int64_t first_us, last_us;
} tendo_import_pod;

/* Defaults: serials csv-left/csv-right, no athlete, the default start, foot,
 * m/s² and °/s, no overwrite. out, csv[] and rate_hz are the caller's. */
void tendo_import_csv_defaults(tendo_import_csv_options *o);

/* Word → value parsers shared by the command line and the batch manifest.
 * Each returns 0, or -1 when the word is not one of the accepted ones. */
int tendo_import_parse_placement(const char *word, tendo_placement *out); /* foot|shank */
int tendo_import_parse_accel_unit(const char *word, tendo_accel_unit *out); /* m/s2|m/s^2|g */
int tendo_import_parse_gyro_unit(const char *word, tendo_gyro_unit *out); /* deg/s|rad/s */
/* 1 when s is a valid pod serial: 1–63 of [A-Za-z0-9_.-]. */
int tendo_import_serial_ok(const char *s);

/* Imports; res[side] tells what each pod held. TENDO_EUSAGE for bad options
 * (no CSV, rate out of range, bad or equal serials, athlete too long),
 * TENDO_ENOINPUT for a missing CSV (the message names its side), TENDO_EDATA
 * for a malformed one (FILE:LINE), TENDO_ECANTCREAT when out exists. */
int tendo_import_csv(const tendo_import_csv_options *o, tendo_import_pod res[2],
                     tendo_error *err);

/* Rate given by a pod's timestamps (0 when fewer than two samples). */
double tendo_import_measured_rate(const tendo_import_pod *p);

/* 1 when a pod's t column disagrees with the nominal rate by more than
 * TENDO_IMPORT_RATE_WARN_FRACTION (a wrong rate, or t not in seconds). */
int tendo_import_rate_suspect(const tendo_import_pod *p, double rate_hz);

#endif
