/*
 * analyze_pipe.h — the reading stage of tendo_analyze_file (internal to
 * tools/analyze): streams each pod's samples, in SI units and in windows
 * of ANALYZE_WINDOW_ROWS, to a consumer per pod.
 *
 * With threads <= 1 the pods are read and consumed one after another in
 * the calling thread. Otherwise it is a pipeline: the calling thread
 * fetches the stored chunks (every HDF5 call stays in that one thread), and
 * each pod's thread decompresses its windows and runs its consumer, fed
 * through a bounded queue of ANALYZE_PIPE_SLOTS windows, so reading, the
 * left pod and the right pod overlap. Memory is bounded by the slots,
 * whatever the session's length.
 *
 * Both forms hand every consumer the same windows in the same order, so
 * results cannot depend on the thread count. Errors are as the serial form
 * reports them: the failure of the first pod (in pod order) that failed;
 * pods after it may be cut short, pods before it still run to the end.
 */
#ifndef TENDO_ANALYZE_PIPE_H
#define TENDO_ANALYZE_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "tendo_error.h"
#include "tendo_session.h"

/* A quarter of a stored chunk: four reads of a chunk decompress it once
 * (the reader's chunk cache holds it), and two windows per pod in flight
 * of two pods cost ~4 MB instead of ~17 MB with whole-chunk windows. */
#define ANALYZE_WINDOW_ROWS (TENDO_SESSION_CHUNK_ROWS / 4)
/* Per pod: one window being analysed while the next is read (a third
 * cost ~3 MB more in the 1 h benchmark). */
#define ANALYZE_PIPE_SLOTS 2

/* One window of a pod: samples first .. first+n-1. */
typedef struct analyze_window {
    int64_t first;
    size_t n;
    const int64_t *time_us;
    const float *accel; /* SI (m/s²), interleaved xyz */
    const float *gyro;  /* SI (rad/s); NULL when the stream did not ask for it */
    const uint8_t *status;
} analyze_window;

typedef struct analyze_stream {
    size_t pod;    /* the reader's pod index */
    int want_gyro; /* read the gyroscope too */
    /* Called with each window in order, then once with w = NULL at the end
     * of the pod's samples; returns TENDO_OK or fills err. Never calls
     * HDF5 (it may run in a thread of its own). */
    int (*consume)(void *ctx, const analyze_window *w, tendo_error *err);
    void *ctx;
} analyze_stream;

/* The thread count that threads = 0 (automatic) stands for: TENDO_THREADS
 * if set (1 to TENDO_ANALYZE_MAX_THREADS; another value is TENDO_EUSAGE),
 * else the cores this process may run on. */
int analyze_pipe_auto_threads(int *threads, tendo_error *err);

/* Streams the n streams (distinct pods of rd). Returns TENDO_OK, or the
 * first failing stream's code with err filled. */
int analyze_pipe_run(tendo_reader *rd, const analyze_stream *s, size_t n, int threads,
                     tendo_error *err);

#endif
