/*
 * analyze_pipe.c — reads pods' samples in windows and hands them to their
 * consumers: serially, or as a reader thread feeding one thread per pod
 * through bounded queues (see analyze_pipe.h).
 *
 * Why this shape: HDF5 calls must stay in one thread (Debian's HDF5
 * serialises its calls, and the serial build must not be entered by two
 * threads at all), but HDF5's part of a read is small: the reader thread
 * only fetches the stored, compressed chunks (tendo_reader_fetch), and
 * each pod's thread decompresses its own (tendo_cursor_read_si: zlib
 * inflate, unshuffle, SI conversion, about half of the whole work) before
 * analysing them. So on two cores the two feet, each with its own
 * decompression, run side by side, and the reader never becomes the one
 * thread everybody waits for.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "analyze_pipe.h"
#include "analyze_run.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int analyze_pipe_auto_threads(int *threads, tendo_error *err)
{
    const char *env = getenv("TENDO_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end != '\0' || v < 1 || v > TENDO_ANALYZE_MAX_THREADS)
            /* a typo must not silently fall back to the default */
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "TENDO_THREADS='%s' is not a whole number from 1 to %d; fix "
                                   "it or unset it",
                                   env, TENDO_ANALYZE_MAX_THREADS);
        *threads = (int)v;
        return TENDO_OK;
    }
    cpu_set_t set;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        n = CPU_COUNT(&set);
    *threads = n > 0 ? (int)n : 1;
    return TENDO_OK;
}

/* ------------------------------------------------------------ windows */

typedef struct slot {
    tendo_fetch *f; /* the window's stored chunks (reader thread) */
    int64_t *t;     /* its samples, decoded by the consumer's thread */
    float *a, *g;
    uint8_t *st;
    analyze_window w;
} slot;

static void slot_free(slot *s)
{
    tendo_fetch_free(s->f);
    free(s->t);
    free(s->a);
    free(s->g);
    free(s->st);
    memset(s, 0, sizeof *s);
}

static int slot_alloc(slot *s, int gyro)
{
    memset(s, 0, sizeof *s);
    s->t = malloc(ANALYZE_WINDOW_ROWS * sizeof *s->t);
    s->a = malloc(3 * ANALYZE_WINDOW_ROWS * sizeof *s->a);
    s->g = gyro ? malloc(3 * ANALYZE_WINDOW_ROWS * sizeof *s->g) : NULL;
    s->st = malloc(ANALYZE_WINDOW_ROWS);
    if (s->t && s->a && (s->g || !gyro) && s->st && tendo_fetch_new(&s->f, NULL) == TENDO_OK)
        return 0;
    slot_free(s);
    return -1;
}

/* Fetches the stored chunks of samples first .. first+n-1 into s (HDF5:
 * one thread only); the cursor is made at the pod's first window. */
static int slot_fetch(slot *s, tendo_reader *rd, const analyze_stream *as, tendo_pod_cursor **cur,
                      int64_t first, size_t n, tendo_error *err)
{
    int rc = *cur ? TENDO_OK : tendo_reader_cursor(rd, as->pod, as->want_gyro, cur, err);
    s->w = (analyze_window){first, n, s->t, s->a, as->want_gyro ? s->g : NULL, s->st};
    return rc == TENDO_OK ? tendo_reader_fetch(rd, *cur, first, n, s->f, err) : rc;
}

/* Decompresses a fetched window into its samples (no HDF5: the consumer's
 * thread, so two pods decompress on two cores). */
static int slot_decode(slot *s, tendo_pod_cursor *cur, tendo_error *err)
{
    tendo_block b = {.n = s->w.n,
                     .time_us = s->t,
                     .accel = s->a,
                     .gyro = (float *)s->w.gyro,
                     .status = s->st};
    return tendo_cursor_read_si(cur, s->f, &b, err);
}

static size_t window_len(int64_t first, int64_t count)
{
    return (size_t)(count - first < ANALYZE_WINDOW_ROWS ? count - first : ANALYZE_WINDOW_ROWS);
}

static int any_gyro(const analyze_stream *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].want_gyro)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ serial */

static int run_serial(tendo_reader *rd, const analyze_stream *s, size_t n, tendo_error *err)
{
    slot sl;
    if (slot_alloc(&sl, any_gyro(s, n)) != 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    int rc = TENDO_OK;
    for (size_t i = 0; rc == TENDO_OK && i < n; i++) {
        int64_t count = tendo_reader_sample_count(rd, s[i].pod);
        tendo_pod_cursor *cur = NULL;
        for (int64_t first = 0; rc == TENDO_OK && first < count; first += ANALYZE_WINDOW_ROWS) {
            rc = slot_fetch(&sl, rd, &s[i], &cur, first, window_len(first, count), err);
            if (rc == TENDO_OK)
                rc = slot_decode(&sl, cur, err);
            if (rc == TENDO_OK)
                rc = s[i].consume(s[i].ctx, &sl.w, err);
        }
        tendo_cursor_free(cur);
        if (rc == TENDO_OK)
            rc = s[i].consume(s[i].ctx, NULL, err);
    }
    slot_free(&sl);
    return rc;
}

/* ------------------------------------------------------------ pipeline */

typedef struct pipe_state pipe_state;

/* One pod's queue and its consumer thread. Counters only grow: windows
 * tail .. head-1 are filled (slot index = counter % ANALYZE_PIPE_SLOTS). */
typedef struct lane {
    pipe_state *p;
    const analyze_stream *s;
    tendo_pod_cursor *cur; /* made and fetched by the reader, decoded by the lane */
    size_t idx;
    pthread_t th;
    int started;
    slot slots[ANALYZE_PIPE_SLOTS];
    size_t head, tail;
    int64_t next_first, count;
    int read_done; /* every window queued (or reading failed) */
    int stop;      /* an earlier pod failed: this one's result no longer matters */
    int rc;        /* this pod's failure, TENDO_OK if none */
    tendo_error err;
} lane;

struct pipe_state {
    pthread_mutex_t mu;
    pthread_cond_t to_reader; /* a slot was freed or a lane ended */
    pthread_cond_t to_lanes;  /* a window was queued or a lane must stop */
    lane *l;
    size_t n;
};

/* With p->mu held: lane i failed; lanes after it stop (the serial form
 * would never have reached them). */
static void lane_fail(pipe_state *p, size_t i, int rc, const tendo_error *err)
{
    lane *l = &p->l[i];
    if (l->rc == TENDO_OK) {
        l->rc = rc;
        l->err = *err;
    }
    l->stop = 1; /* its own reading ends too */
    for (size_t j = i + 1; j < p->n; j++)
        p->l[j].stop = 1;
    pthread_cond_broadcast(&p->to_lanes);
    pthread_cond_signal(&p->to_reader);
}

static void *lane_main(void *arg)
{
    lane *l = arg;
    pipe_state *p = l->p;
    tendo_error err = {0};
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (l->head == l->tail && !l->read_done && !l->stop)
            pthread_cond_wait(&p->to_lanes, &p->mu);
        int end = l->stop || l->head == l->tail; /* stopped, or all read and consumed */
        int last = !l->stop && l->rc == TENDO_OK;
        slot *s = &l->slots[l->tail % ANALYZE_PIPE_SLOTS];
        pthread_mutex_unlock(&p->mu);
        tendo_error_clear(&err);
        if (end) {
            int rc = last ? l->s->consume(l->s->ctx, NULL, &err) : TENDO_OK;
            pthread_mutex_lock(&p->mu);
            if (rc != TENDO_OK)
                lane_fail(p, l->idx, rc, &err);
            l->stop = 1;
            pthread_cond_signal(&p->to_reader);
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        int rc = slot_decode(s, l->cur, &err);
        if (rc == TENDO_OK)
            rc = l->s->consume(l->s->ctx, &s->w, &err);
        pthread_mutex_lock(&p->mu);
        l->tail++;
        if (rc != TENDO_OK)
            lane_fail(p, l->idx, rc, &err);
        pthread_cond_signal(&p->to_reader);
        pthread_mutex_unlock(&p->mu);
    }
}

/* With p->mu held: the lane to read next (a free slot, least far along),
 * p->n when every lane is read, or waits. */
static size_t next_lane(pipe_state *p)
{
    for (;;) {
        size_t pick = p->n;
        int left = 0;
        for (size_t j = 0; j < p->n; j++) {
            lane *l = &p->l[j];
            if (l->read_done || l->stop)
                continue;
            left = 1;
            if (l->head - l->tail < ANALYZE_PIPE_SLOTS &&
                (pick == p->n || l->next_first < p->l[pick].next_first))
                pick = j;
        }
        if (!left || pick < p->n)
            return pick;
        pthread_cond_wait(&p->to_reader, &p->mu);
    }
}

static void reader_loop(pipe_state *p, tendo_reader *rd)
{
    tendo_error err = {0};
    pthread_mutex_lock(&p->mu);
    for (;;) {
        size_t j = next_lane(p);
        if (j == p->n)
            break;
        lane *l = &p->l[j];
        slot *s = &l->slots[l->head % ANALYZE_PIPE_SLOTS]; /* free: not in tail .. head-1 */
        int64_t first = l->next_first;
        size_t len = window_len(first, l->count);
        pthread_mutex_unlock(&p->mu);
        tendo_error_clear(&err); /* a set error is never overwritten: one per read */
        int rc = slot_fetch(s, rd, l->s, &l->cur, first, len, &err);
        pthread_mutex_lock(&p->mu);
        if (rc != TENDO_OK) {
            lane_fail(p, j, rc, &err);
            l->read_done = 1;
        } else {
            l->head++;
            l->next_first += (int64_t)len;
            l->read_done = l->next_first >= l->count;
        }
        pthread_cond_broadcast(&p->to_lanes);
    }
    pthread_mutex_unlock(&p->mu);
}

static void pipe_free(pipe_state *p)
{
    for (size_t i = 0; i < p->n; i++) {
        for (int k = 0; k < ANALYZE_PIPE_SLOTS; k++)
            slot_free(&p->l[i].slots[k]);
        tendo_cursor_free(p->l[i].cur);
    }
    free(p->l);
    pthread_cond_destroy(&p->to_lanes);
    pthread_cond_destroy(&p->to_reader);
    pthread_mutex_destroy(&p->mu);
}

/* Returns 1 when the threads could not be started (nothing was consumed:
 * the caller runs the serial form instead). */
static int run_pipeline(tendo_reader *rd, const analyze_stream *s, size_t n, int *rc_out,
                        tendo_error *err)
{
    pipe_state p = {.n = n};
    p.l = calloc(n, sizeof *p.l);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.to_reader, NULL);
    pthread_cond_init(&p.to_lanes, NULL);
    int fallback = !p.l;
    for (size_t i = 0; !fallback && i < n; i++) {
        lane *l = &p.l[i];
        *l = (lane){.p = &p, .s = &s[i], .idx = i, .rc = TENDO_OK};
        l->count = tendo_reader_sample_count(rd, s[i].pod);
        l->read_done = l->count <= 0;
        for (int k = 0; !fallback && k < ANALYZE_PIPE_SLOTS; k++)
            fallback = slot_alloc(&l->slots[k], s[i].want_gyro) != 0;
    }
    /* Signals stay with the calling thread (the command's handlers). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; !fallback && i < n; i++) {
        fallback = pthread_create(&p.l[i].th, NULL, lane_main, &p.l[i]) != 0;
        p.l[i].started = !fallback;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (fallback) {
        pthread_mutex_lock(&p.mu);
        for (size_t i = 0; p.l && i < n; i++)
            p.l[i].stop = 1;
        pthread_cond_broadcast(&p.to_lanes);
        pthread_mutex_unlock(&p.mu);
    } else {
        reader_loop(&p, rd);
    }
    for (size_t i = 0; p.l && i < n; i++)
        if (p.l[i].started)
            pthread_join(p.l[i].th, NULL);
    *rc_out = TENDO_OK;
    for (size_t i = 0; !fallback && i < n; i++)
        if (p.l[i].rc != TENDO_OK) {
            *rc_out = p.l[i].rc;
            *err = p.l[i].err;
            break;
        }
    pipe_free(&p);
    return fallback;
}

int analyze_pipe_run(tendo_reader *rd, const analyze_stream *s, size_t n, int threads,
                     tendo_error *err)
{
    int rc;
    if (threads <= 0 && (rc = analyze_pipe_auto_threads(&threads, err)) != TENDO_OK)
        return rc;
    if (threads >= 2 && n > 0 && run_pipeline(rd, s, n, &rc, err) == 0)
        return rc;
    return run_serial(rd, s, n, err);
}
