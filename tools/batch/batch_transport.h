/*
 * batch_transport.h — how the coordinator reaches its workers: processes
 * on this machine (batch_pool.c) or MPI ranks (batch_mpi.c). The
 * coordinator (batch_schedule.c) is the same for both, so -j and MPI runs
 * hand out work, record results and order outputs identically.
 */
#ifndef TENDO_BATCH_TRANSPORT_H
#define TENDO_BATCH_TRANSPORT_H

#include <signal.h>
#include <stddef.h>

#include "batch_job.h"
#include "tendo_error.h"

typedef struct batch_transport {
    void *ctx;
    size_t slots; /* workers that can hold a job at once */
    /* Hands jobs[index] to the idle worker slot. */
    int (*give)(void *ctx, size_t slot, size_t index, tendo_error *err);
    /* Waits until a busy slot finishes: its slot, job index and result
     * text (batch_job_run's form; caller frees). Returns TENDO_OK, 1 when
     * *stop was raised while waiting, or an error. */
    int (*collect)(void *ctx, size_t *slot, size_t *index, char **result,
                   volatile sig_atomic_t *stop, tendo_error *err);
    /* Ends the workers; abort = 1 stops jobs under way (their results are
     * dropped). Frees ctx. */
    void (*shutdown)(void *ctx, int abort);
} batch_transport;

/* What every worker needs besides its job. */
typedef struct batch_work {
    const batch_job *jobs;  /* all jobs (processes share them by fork) */
    const char *scratch_dir; /* where a worker may put a CSV's scratch session */
    int steps;              /* ship the steps CSV with each result */
} batch_work;

/* A worker's scratch session name: scratch_dir/<host>-<pid>-<tag>.h5. */
void batch_scratch_path(const char *scratch_dir, const char *tag, char *out, size_t size);

/* Worker processes on this machine: up to n at once, started as needed
 * (fork: they share the job list), each running one job at a time; a
 * worker that dies is recorded as the failure of its job and replaced. */
int batch_pool_new(batch_transport *t, size_t n, const batch_work *work, tendo_error *err);

#endif
