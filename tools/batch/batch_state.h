/*
 * batch_state.h — the coordinator's state, shared by the engine
 * (batch_run.c) and the shard merge (batch_merge.c). Not for use outside
 * tools/batch.
 */
#ifndef TENDO_BATCH_STATE_H
#define TENDO_BATCH_STATE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "batch.h"
#include "batch_journal.h"
#include "batch_progress.h"

typedef struct batch_state {
    const char *dir;
    int steps;
    batch_job *jobs;      /* sorted by file */
    size_t n;
    cJSON **entry;        /* [n]: the journal entry of each job; NULL = pending */
    batch_journal *journal;
    size_t reused, analyzed, workers;
    int interrupted;
    double t0, job_cpu_s;
    char started_utc[40];
    batch_progress progress;
} batch_state;

/* Sorts job indices largest input first, ties by file. */
void batch_order_largest_first(const batch_job *jobs, size_t *idx, size_t n);

/* The last entry of each file of a journal array, sorted by file (the
 * array keeps ownership). NULL when out of memory. */
cJSON **batch_latest_entries(cJSON *arr, size_t *n);
const cJSON *batch_find_entry(cJSON *const *v, size_t n, const char *file);

/* Counts of a set of entries (NULL entries are pending). */
void batch_count(cJSON *const *entries, size_t n, batch_counts *c);
cJSON *batch_counts_json(const batch_counts *c);
/* Writes run (pretty-printed) as dir/run.json; *text_out gets one line. */
int batch_write_run_json(const char *dir, cJSON *run, char **text_out, tendo_error *err);

/* Creates the output folder (and steps/ when steps) and locks it. */
int batch_open_dir(const char *dir, int steps, int *lock_fd, tendo_error *err);
void batch_empty_folder(const char *dir, const char *sub);

#endif
