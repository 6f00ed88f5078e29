/*
 * batch_progress.h — the progress line of a batch on a terminal (stderr):
 * files done, hours of data done, failures so far and an ETA from the bytes
 * left at the rate so far. Drawn only when stderr is a terminal, at most
 * five times a second.
 */
#ifndef TENDO_BATCH_PROGRESS_H
#define TENDO_BATCH_PROGRESS_H

#include <stddef.h>

typedef struct batch_progress {
    int on;
    double t0, last_draw;
    size_t files_total, files_done, failed;
    double bytes_total, bytes_done;
    double hours_done;
} batch_progress;

/* on: draw at all (the caller checks for a terminal). */
void batch_progress_start(batch_progress *p, int on, size_t files_total, double bytes_total);
/* One session finished: its input bytes, hours of data and whether it failed. */
void batch_progress_step(batch_progress *p, double bytes, double hours, int failed);
/* Clears the line. */
void batch_progress_end(batch_progress *p);

/* Seconds on a monotonic clock. */
double batch_now(void);

#endif
