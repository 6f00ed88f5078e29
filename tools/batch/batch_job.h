/*
 * batch_job.h — one session of a batch: what to analyse and how (a job),
 * and doing it (import a CSV pair into a scratch session when needed, then
 * the very code of `tendo analyze`), with the outcome as one JSON text that
 * travels through pipes or MPI and is kept, as it is, in the journal.
 */
#ifndef TENDO_BATCH_JOB_H
#define TENDO_BATCH_JOB_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "tendo_error.h"

typedef enum batch_format { BATCH_H5 = 0, BATCH_CSV = 1 } batch_format;

typedef struct batch_job {
    char *file;            /* the session's name in every output: its path as given */
    char *pair;            /* csv: the other foot's CSV, or NULL */
    batch_format format;
    int side;              /* csv: 0 when file is the left foot, 1 the right */
    double rate_hz;        /* csv: nominal sample rate */
    int accel_unit;        /* csv: a tendo_accel_unit */
    int gyro_unit;         /* csv: a tendo_gyro_unit */
    char *start;           /* csv: session start (ISO 8601), NULL for the default */
    int placement;         /* TENDO_ANALYZE_AS_RECORDED or a tendo_placement */
    char *athlete;         /* NULL: as recorded in the file */
    double mass_kg;        /* 0: unknown */
    double damage_k;
    int line;              /* manifest line, 0 when found among the INPUTs */
    int64_t bytes;         /* input size (both files of a pair): largest first */
    char *params;          /* canonical JSON of all the above that shapes the
                              result (batch_job_params); equal text = same result */
} batch_job;

/* Frees the strings of a job (not the job itself). */
void batch_job_clear(batch_job *j);

/* Makes j->params: tendo and algorithm versions plus every option of the job.
 * TENDO_EINTERNAL when out of memory. */
int batch_job_make_params(batch_job *j, tendo_error *err);

/* A job as JSON and back (MPI sends jobs to other ranks this way). */
cJSON *batch_job_to_json(const batch_job *j);
int batch_job_from_json(const cJSON *o, batch_job *j, tendo_error *err);

/* Identity of a job's input for --resume: sizes and modification times (the
 * quick test), and a content id (a session file's session_id, a CSV's
 * CRC-32) for when the times moved but the bytes may not have. */
typedef struct batch_fingerprint {
    int64_t size, mtime_ns;       /* file */
    int64_t pair_size, pair_mtime_ns;
    char content_id[48];          /* "" when unknown (unreadable file) */
} batch_fingerprint;

/* stat()s the job's files (sizes/times 0 for a missing file). */
void batch_job_stat(const batch_job *j, batch_fingerprint *fp);
/* Fills fp->content_id by reading the input ("" if it cannot be read). */
void batch_job_content_id(const batch_job *j, batch_fingerprint *fp);
/* 1 when the job's input is the one a result's "fp" object describes: the
 * same sizes and times, or else the same content id. */
int batch_job_unchanged(const batch_job *j, const cJSON *fp_json);

/*
 * Analyses one job. Never gives up on a bad input: the outcome is returned
 * as a JSON object text (*out, malloc'ed), either
 *   {"status":"ok", "row":{analyze --json fields}, "athlete", "session_id",
 *    "start_time_utc", "fp":{...}, "cpu_s", "steps":"CSV text" (when steps)}
 * or {"status":"failed", "code":65, "class":"bad data", "message":"...", "fp"}.
 * scratch is a path this worker may use for a CSV's temporary session.
 * Returns -1 only when out of memory (then *out is NULL).
 */
int batch_job_run(const batch_job *j, const char *scratch, int want_steps, char **out);

/* The failure text of j (batch_job_run's form) with err's class and
 * message, for a job that could not run (its worker died). NULL when out
 * of memory. */
char *batch_job_failure(const batch_job *j, const tendo_error *err);

#endif
