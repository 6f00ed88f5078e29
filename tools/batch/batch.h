/*
 * batch.h — `tendo batch`: analyse many sessions into one set of tables,
 * in parallel (worker processes or MPI ranks), resumable, deterministic.
 * User documentation: docs/batch.md and docs/cluster.md.
 *
 *   batch_options o = {...};
 *   batch_counts c;
 *   rc = batch_run(&o, batch_pool_factory, NULL, &c, &err);
 *
 * Every session is analysed by the code of `tendo analyze` (never stored
 * into its file); every finished session is journaled (fsync) before it
 * counts; the output tables are rebuilt from the journal, sorted by file,
 * so they are the same whatever the number of workers or ranks and however
 * often the batch was stopped and resumed.
 */
#ifndef TENDO_BATCH_H
#define TENDO_BATCH_H

#include <stddef.h>

#include "batch_transport.h"
#include "tendo_error.h"

typedef struct batch_options {
    const char *const *inputs; /* session files and folders */
    size_t ninputs;
    const char *manifest;      /* NULL: none */
    const char *out_dir;
    int jobs;                  /* worker processes; 0: the cores present */
    int resume;                /* continue the batch in out_dir */
    int force;                 /* start over, discarding out_dir's journal */
    int steps;                 /* per-session step tables */
    int shard_i, shard_n;      /* shard_i of shard_n (1-based); 0 0: everything */
    int placement;             /* defaults for every session (the manifest may */
    double mass_kg, damage_k;  /*  override placement and mass per file) */
    int progress;              /* draw the progress line */
    const char *command;       /* the command line, recorded in run.json */
    const char *mode;          /* "processes" or "mpi", recorded in run.json */
} batch_options;

typedef struct batch_counts {
    size_t sessions, ok, failed, pending;
    size_t reused;   /* taken from the journal of an earlier run */
    size_t analyzed; /* done by this run */
    double data_hours;
    int interrupted;
} batch_counts;

/* Makes the transport once the work is known: ntodo jobs to run. */
typedef int (*batch_transport_factory)(batch_transport *t, const batch_work *work, size_t ntodo,
                                       int jobs, void *arg, tendo_error *err);
/* Worker processes on this machine (batch_pool_new), min(jobs, ntodo) of them. */
int batch_pool_factory(batch_transport *t, const batch_work *work, size_t ntodo, int jobs,
                       void *arg, tendo_error *err);

/* Runs a batch. TENDO_OK when it ran to the end (sessions may have failed:
 * see counts); errors stop it before or between sessions (bad manifest,
 * missing input, output folder unusable, journal I/O). run.json is printed
 * to stdout as one JSON line when json is set (*run_json receives it). */
int batch_run(const batch_options *o, batch_transport_factory factory, void *arg,
              batch_counts *counts, char **run_json, tendo_error *err);

/* Merges the output folders of shards (--shard I/N runs) into out_dir as if
 * one batch had run: the same summary.csv, failures.csv and steps files. */
int batch_merge(const char *const *dirs, size_t ndirs, const char *out_dir, int force,
                batch_counts *counts, char **run_json, tendo_error *err);

#endif
