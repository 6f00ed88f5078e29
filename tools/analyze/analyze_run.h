/*
 * analyze_run.h — "analyze one session file" as a library: what
 * `tendo analyze` does for each file, for every command that needs it
 * (`tendo analyze`, `tendo batch`, `tendo add`).
 *
 *   tendo_analyze_options o;
 *   tendo_analyze_defaults(&o);          // placement as recorded, k = 5, store
 *   o.mass_kg = 68;
 *   tendo_analyze_result *r;
 *   if (tendo_analyze_file("run.h5", &o, &r, &err) == TENDO_OK) {
 *       char *json = tendo_analyze_json_string(r);   // the --json line, no '\n'
 *       tendo_analyze_csv_rows(csv, r);               // the --steps-csv rows
 *       cJSON_free(json);
 *       tendo_analyze_free(r);
 *   }
 *
 * The outputs are exactly those of `tendo analyze` (one code path: the
 * command is built on these functions). Methods: analysis/MODELS.md.
 *
 * Threads: tendo_analyze_file itself uses threads (options.threads): one
 * reads, the pods are analysed beside it. A program that already runs
 * analyses in parallel (tendo batch -j N) should pass threads = 1 so the
 * cores are not oversubscribed. Every function is reentrant: distinct
 * results may be made, printed and freed from many threads at once. The
 * analysis library serialises FFTW's (not thread-safe) planner internally;
 * HDF5 serialises its own calls (file reading does not run in parallel
 * inside one process: MPI ranks or processes scale better than threads).
 * Two analyses that store into the SAME file at once are not safe: the
 * later rename wins; give each file to one worker.
 */
#ifndef TENDO_ANALYZE_RUN_H
#define TENDO_ANALYZE_RUN_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "tendo_analysis.h"
#include "tendo_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* placement: as the file records it for each pod */
#define TENDO_ANALYZE_AS_RECORDED (-1)

typedef struct tendo_analyze_options {
    int placement;   /* TENDO_ANALYZE_AS_RECORDED, TENDO_PLACEMENT_FOOT or _SHANK */
    double mass_kg;  /* body mass; 0 = unknown: Achilles load in body weights only */
    double damage_k; /* exponent of the damage sum Σ (F/F_ref)^k, 1–20 */
    int store;       /* 1: write /analysis into the file (a verified copy
                        replaces it, so a crash never damages the recording) */
    int threads;     /* 0: automatic (TENDO_THREADS, else the cores present);
                        1: read and analyse in the calling thread; 2 or more:
                        one thread reads and decompresses while each pod is
                        analysed in a thread of its own. The results are the
                        same, bit for bit, whatever the value. */
    int trusted;     /* 0: check the file in a sandboxed process first
                        (tendo_probe); 1: the caller has just done so */
} tendo_analyze_options;

/* Largest tendo_analyze_options.threads (and TENDO_THREADS) accepted. */
#define TENDO_ANALYZE_MAX_THREADS 64

/* placement as recorded, mass unknown, damage_k 5, store 1, threads 0 */
void tendo_analyze_defaults(tendo_analyze_options *o);

typedef struct tendo_analyze_result tendo_analyze_result;

/* Reads and analyses the session file at path (and stores /analysis into
 * it when o->store). On success *out owns the result (free it with
 * tendo_analyze_free); on failure *out is NULL and err names the file:
 * TENDO_ENOENT missing, TENDO_EDATA damaged / not a session, TENDO_EIO,
 * TENDO_EUSAGE for options out of range. The path is copied. */
int tendo_analyze_file(const char *path, const tendo_analyze_options *o, tendo_analyze_result **out,
                       tendo_error *err);

/* Stores r into its file's /analysis group (what o->store does): for a
 * caller that analyses with store = 0 and decides afterwards. */
int tendo_analyze_store(const tendo_analyze_result *r, tendo_error *err);

void tendo_analyze_free(tendo_analyze_result *r);

/* ------------------------------------------------------------ outputs */

/* The --json object (keys in analysis/MODELS.md and docs): caller owns it
 * (cJSON_Delete). NULL only when out of memory. */
cJSON *tendo_analyze_json(const tendo_analyze_result *r);
/* The same, printed on one line without a newline; free it with cJSON_free. */
char *tendo_analyze_json_string(const tendo_analyze_result *r);

/* The readable summary `tendo analyze` prints without --json. */
void tendo_analyze_print_summary(FILE *f, const tendo_analyze_result *r);

/* The --steps-csv header line ("side,ic_s,...,kind,file\n") and one row per
 * step of r (its `file` column is r's path). Times are seconds since the
 * session's first sample (the earliest sample of any pod), which the JSON's
 * `first_sample_s` places after start_time_utc, the zero of /analysis and
 * /truth (pods start a little after the session's start). Return 0, or -1
 * when the stream reports an error. */
int tendo_analyze_csv_header(FILE *f);
int tendo_analyze_csv_rows(FILE *f, const tendo_analyze_result *r);

/* ------------------------------------------------------------ access */

const char *tendo_analyze_path(const tendo_analyze_result *r);
/* Pods whose data were analysed (0: nothing was measured, e.g. only shank
 * pods or no gyroscope: the summary's figures are then unknown, not 0). */
int tendo_analyze_pods_analyzed(const tendo_analyze_result *r);
/* The steps, bouts and summary (tendo_analysis.h); valid until freed. */
const tendo_an_session *tendo_analyze_session(const tendo_analyze_result *r);
const tendo_an_summary *tendo_analyze_summary(const tendo_analyze_result *r);

#ifdef __cplusplus
}
#endif
#endif
