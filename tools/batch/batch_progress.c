/*
 * batch_progress.c — the progress line (see batch_progress.h).
 */
#include "batch_progress.h"

#include <stdio.h>
#include <time.h>

#define BAR 24
#define REDRAW_S 0.2

double batch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(batch_progress *p, int force)
{
    double now = batch_now();
    if (!p->on || (!force && now - p->last_draw < REDRAW_S))
        return;
    p->last_draw = now;
    double frac = p->bytes_total > 0 ? p->bytes_done / p->bytes_total
                  : p->files_total   ? (double)p->files_done / (double)p->files_total
                                     : 1;
    int fill = (int)(frac * BAR + 0.5);
    char bar[BAR + 1];
    for (int i = 0; i < BAR; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu files, %.1f h of data", bar, p->files_done, p->files_total,
            p->hours_done);
    if (p->failed)
        fprintf(stderr, ", %zu failed", p->failed);
    double elapsed = now - p->t0;
    if (p->bytes_done > 0 && frac < 1) {
        long eta = (long)(elapsed * (p->bytes_total - p->bytes_done) / p->bytes_done + 0.5);
        fprintf(stderr, ", ETA %ld:%02ld:%02ld", eta / 3600, eta / 60 % 60, eta % 60);
    }
    fputs("\033[K", stderr);
    fflush(stderr);
}

void batch_progress_start(batch_progress *p, int on, size_t files_total, double bytes_total)
{
    *p = (batch_progress){.on = on, .t0 = batch_now(), .files_total = files_total,
                          .bytes_total = bytes_total};
    draw(p, 1);
}

void batch_progress_step(batch_progress *p, double bytes, double hours, int failed)
{
    p->files_done++;
    p->bytes_done += bytes;
    p->hours_done += hours;
    p->failed += failed != 0;
    draw(p, p->files_done == p->files_total);
}

void batch_progress_end(batch_progress *p)
{
    if (p->on) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
