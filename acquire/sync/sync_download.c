/*
 * sync_download.c — one pod session: spool replay, READ attempts, and the
 * three-thread pipeline described in sync_download.h.
 */
#include "sync_download.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync_queue.h"
#include "tendo_io.h"

/* Chunks between the USB and the decode thread: 6 of a transfer's size
 * (6 MiB), so the USB thread can hand over a round and a half of transfers
 * while the decode thread is busy. */
#define N_CHUNKS 6
/* Sample batches between the decode and the write thread: 4 × 16384
 * samples × 21 bytes ≈ 1.4 MB. */
#define N_BATCHES  4
#define BATCH_ROWS 16384u
/* READ attempts: give up after this many in a row without progress, or
 * this many in all (a link that fails every few frames is broken). */
#define MAX_STUCK    3
#define MAX_ATTEMPTS 64

typedef struct chunk {
    size_t len;
    uint8_t data[TENDO_USB_XFER_BYTES];
} chunk;

typedef struct batch {
    size_t n;
    int64_t time[BATCH_ROWS];
    int16_t accel[3 * BATCH_ROWS];
    int16_t gyro[3 * BATCH_ROWS];
    uint8_t status[BATCH_ROWS];
} batch;

/* Markers in the chunk queue (never real chunk addresses). */
static char attempt_end_mark, quit_mark;
#define ATTEMPT_END ((chunk *)(void *)&attempt_end_mark)
#define QUIT        ((chunk *)(void *)&quit_mark)

typedef struct dl_pipe {
    sync_download *d;
    int spool_fd;
    /* decode thread state (replay runs on the caller's thread before the
     * decode thread starts) */
    tendo_pod_reasm *reasm;
    int have_prev;
    tendo_pod_block prev;
    uint64_t offset; /* content bytes accepted: always a block boundary */
    uint32_t crc;
    uint64_t samples;
    uint32_t blocks;
    int64_t first_us, last_us;
    batch *cur;
    uint64_t ticks[TENDO_POD_BLOCK_MAX_SAMPLES];
    /* one READ attempt's outcome, written by the decode thread */
    int attempt_rc;
    int attempt_retry; /* the link garbled the stream: another READ may help */
    tendo_error attempt_err;
    /* a failure that ends the whole download (spool or writer) */
    pthread_mutex_t fail_lock;
    atomic_int fatal;
    tendo_error fatal_err;
    atomic_int stop; /* the USB thread should stop this attempt */
    atomic_ullong verified;
    /* queues */
    sync_queue free_chunks, full_chunks, free_batches, full_batches;
    sync_queue drained; /* the decode thread's acknowledgement of ATTEMPT_END */
} dl_pipe;

static void set_fatal(dl_pipe *p, const tendo_error *e)
{
    pthread_mutex_lock(&p->fail_lock);
    if (!atomic_load(&p->fatal)) {
        p->fatal_err = *e;
        atomic_store(&p->fatal, e->code ? e->code : TENDO_EINTERNAL);
    }
    pthread_mutex_unlock(&p->fail_lock);
    atomic_store(&p->stop, 1);
    tendo_usb_wake(p->d->usb);
}

/* ------------------------------------------------------------- blocks */

static int spool_write(dl_pipe *p, const uint8_t *buf, size_t len, tendo_error *err)
{
    if (tendo_write_all(p->spool_fd, buf, len) != 0)
        return tendo_error_set(err, TENDO_EIO,
                               "%s: cannot write the download spool: %s; the pod keeps its "
                               "data: free some space and run tendo sync again",
                               p->d->spool_path, strerror(errno));
    return TENDO_OK;
}

static int push_batch(dl_pipe *p)
{
    if (p->cur && p->cur->n > 0) {
        sync_queue_push(&p->full_batches, p->cur);
        p->cur = NULL;
    }
    return TENDO_OK;
}

/* One verified block at content offset p->offset: checks it follows the
 * one before, stores it in the spool (unless it came from there) and
 * hands its samples, with UTC times, to the write thread. */
static int take_block(dl_pipe *p, const uint8_t *buf, size_t len, int from_spool, tendo_error *err)
{
    const sync_download *d = p->d;
    tendo_pod_block b;
    int rc = tendo_pod_block_parse(buf, len, p->offset, &b, err);
    if (rc == TENDO_OK)
        rc = tendo_pod_block_follows(p->have_prev ? &p->prev : NULL, &b, d->session, d->tick_hz,
                                     p->offset, err);
    if (rc)
        return rc;
    if (p->offset + len > d->session->size_bytes)
        return tendo_error_set(err, TENDO_EDATA,
                               "block at content byte %llu ends beyond the "
                               "session's %llu bytes",
                               (unsigned long long)p->offset,
                               (unsigned long long)d->session->size_bytes);
    if (!from_spool && (rc = spool_write(p, buf, len, err)) != 0)
        return rc;
    tendo_pod_block_unpack(buf, &b, d->tick_hz, p->ticks, NULL, NULL, NULL);
    if (p->cur && p->cur->n + b.count > BATCH_ROWS)
        push_batch(p);
    if (!p->cur) {
        p->cur = sync_queue_pop(&p->free_batches);
        p->cur->n = 0;
    }
    batch *bt = p->cur;
    rc = tendo_pod_clock_to_utc(d->map, p->ticks, b.count, bt->time + bt->n, err);
    if (rc)
        return rc;
    tendo_pod_block_unpack(buf, &b, d->tick_hz, NULL, bt->accel + 3 * bt->n, bt->gyro + 3 * bt->n,
                           bt->status + bt->n);
    if (p->samples == 0)
        p->first_us = bt->time[bt->n];
    p->last_us = bt->time[bt->n + b.count - 1];
    bt->n += b.count;
    p->crc = tendo_pod_crc32(p->crc, buf, len);
    p->offset += len;
    p->samples += b.count;
    p->blocks++;
    p->prev = b;
    p->have_prev = 1;
    atomic_store(&p->verified, p->offset);
    return TENDO_OK;
}

static int on_frame(void *ctx, const tendo_pod_frame *f, tendo_error *err)
{
    dl_pipe *p = ctx;
    if (f->raw_len == 0)
        return TENDO_OK; /* the empty LAST frame */
    int rc = take_block(p, f->payload, f->raw_len, 0, err);
    if (rc && rc != TENDO_EDATA)
        set_fatal(p, err); /* the spool or memory, in its own words */
    return rc;
}

/* Replays the spool's whole blocks; cuts off whatever follows the last good
 * one (a crash mid-write, or content of another recording). */
static int replay_spool(dl_pipe *p, tendo_error *err)
{
    uint8_t *buf = malloc(TENDO_POD_BLOCK_MAX_SIZE);
    if (!buf)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    FILE *f = fdopen(dup(p->spool_fd), "rb");
    int rc = TENDO_OK;
    if (!f)
        rc = tendo_error_set(err, TENDO_EIO, "%s: %s", p->d->spool_path, strerror(errno));
    while (rc == TENDO_OK) {
        if (fread(buf, 1, TENDO_POD_BLOCK_HEADER_SIZE, f) != TENDO_POD_BLOCK_HEADER_SIZE)
            break;
        uint32_t count = (uint32_t)buf[2] | (uint32_t)buf[3] << 8;
        if (count < 1 || count > TENDO_POD_BLOCK_MAX_SAMPLES)
            break;
        size_t len = tendo_pod_block_size(count);
        if (fread(buf + TENDO_POD_BLOCK_HEADER_SIZE, 1, len - TENDO_POD_BLOCK_HEADER_SIZE, f) !=
            len - TENDO_POD_BLOCK_HEADER_SIZE)
            break;
        tendo_error local;
        tendo_error_clear(&local);
        if (take_block(p, buf, len, 1, &local) != TENDO_OK) {
            if (local.code != TENDO_EDATA) /* out of memory, bad map: not the spool's fault */
                rc = tendo_error_set(err, local.code, "%s", local.msg);
            break;
        }
    }
    if (f)
        fclose(f);
    free(buf);
    if (rc == TENDO_OK) {
        if (ftruncate(p->spool_fd, (off_t)p->offset) != 0 ||
            lseek(p->spool_fd, (off_t)p->offset, SEEK_SET) < 0)
            rc = tendo_error_set(err, TENDO_EIO, "%s: cannot trim the spool: %s", p->d->spool_path,
                                 strerror(errno));
    }
    p->d->resumed_bytes = p->offset;
    return rc;
}

/* ------------------------------------------------------------- threads */

static void *decode_main(void *arg)
{
    dl_pipe *p = arg;
    for (;;) {
        chunk *c = sync_queue_pop(&p->full_chunks);
        if (c == QUIT)
            break;
        if (c == ATTEMPT_END) {
            sync_queue_push(&p->drained, c);
            continue;
        }
        if (p->attempt_rc == TENDO_OK && !tendo_pod_reasm_done(p->reasm) &&
            !atomic_load(&p->fatal)) {
            tendo_error e;
            tendo_error_clear(&e);
            int rc = tendo_pod_reasm_feed(p->reasm, c->data, c->len, on_frame, p, &e);
            if (rc) {
                tendo_pod_fault f = tendo_pod_reasm_fault(p->reasm, NULL, NULL);
                if (f == TENDO_POD_FAULT_CALLER && rc != TENDO_EDATA)
                    set_fatal(p, &e); /* spool or memory: no retry helps */
                /* A block that does not follow, in a frame whose CRC is good,
                 * is the pod's own content: reading it again gives it again. */
                p->attempt_retry = f != TENDO_POD_FAULT_CALLER;
                p->attempt_rc = rc;
                p->attempt_err = e;
            }
            if (rc || tendo_pod_reasm_done(p->reasm)) {
                atomic_store(&p->stop, 1);
                tendo_usb_wake(p->d->usb);
            }
        }
        sync_queue_push(&p->free_chunks, c);
    }
    return NULL;
}

static void *write_main(void *arg)
{
    dl_pipe *p = arg;
    for (;;) {
        batch *b = sync_queue_pop(&p->full_batches);
        if (!b)
            break;
        if (!atomic_load(&p->fatal)) {
            tendo_block blk = {.n = b->n,
                               .time_us = b->time,
                               .accel = b->accel,
                               .gyro = b->gyro,
                               .status = b->status};
            tendo_error e;
            tendo_error_clear(&e);
            if (tendo_writer_append(p->d->writer, p->d->pod_index, &blk, &e) != TENDO_OK) {
                tendo_error full;
                tendo_error_clear(&full);
                tendo_error_set(&full, e.code,
                                "%s; the pods keep their data: run tendo sync "
                                "again once that is fixed (free some space if the disk is full)",
                                e.msg);
                set_fatal(p, &full);
            }
        }
        sync_queue_push(&p->free_batches, b);
    }
    return NULL;
}

/* USB thread: copy the transfer into a free chunk for the decode thread
 * (the transfer is resubmitted at once; a full queue is backpressure). */
static int on_chunk(void *ctx, const uint8_t *data, size_t len, tendo_error *err)
{
    dl_pipe *p = ctx;
    if (atomic_load(&p->stop))
        return 1;
    chunk *c = sync_queue_pop(&p->free_chunks);
    memcpy(c->data, data, len);
    c->len = len;
    sync_queue_push(&p->full_chunks, c);
    if (p->d->progress)
        p->d->progress(p->d->progress_ctx, atomic_load(&p->verified));
    return 0;
}

static int should_stop(void *ctx)
{
    dl_pipe *p = ctx;
    if (p->d->progress)
        p->d->progress(p->d->progress_ctx, atomic_load(&p->verified));
    return atomic_load(&p->stop);
}

/* ------------------------------------------------------------ attempts */

/* One READ from p->offset to the end or the first failure. Returns the
 * attempt's code; *retry says whether another READ may help. */
static int attempt(dl_pipe *p, int *retry, tendo_error *err)
{
    sync_download *d = p->d;
    *retry = 0;
    tendo_pod_read_req req = {.flags = d->allow_zlib ? TENDO_POD_READ_ALLOW_ZLIB : 0,
                              .session_id = d->session->id,
                              .offset = p->offset};
    d->attempts++;
    int rc = tendo_usb_pod_read_start(d->pod, &req, err);
    if (rc)
        return rc; /* refused or unplugged: the pod's answer is final */
    rc = tendo_pod_reasm_new(&p->reasm, &req, d->session->size_bytes, err);
    if (rc)
        return rc;
    p->attempt_rc = TENDO_OK;
    p->attempt_retry = 0;
    tendo_error_clear(&p->attempt_err);
    atomic_store(&p->stop, 0);
    tendo_error link_err;
    tendo_error_clear(&link_err);
    int lrc = tendo_usb_pod_stream(d->pod, on_chunk, should_stop, p, &link_err);
    /* Wait until the decode thread has seen every chunk of this attempt. */
    sync_queue_push(&p->full_chunks, ATTEMPT_END);
    sync_queue_pop(&p->drained);
    int done = tendo_pod_reasm_done(p->reasm);
    tendo_usb_pod_read_ended(d->pod, p->blocks + 1u);
    tendo_pod_reasm_free(p->reasm);
    p->reasm = NULL;
    if (atomic_load(&p->fatal))
        return tendo_error_set(err, p->fatal_err.code, "%s", p->fatal_err.msg);
    if (done)
        return TENDO_OK;
    if (p->attempt_rc) {
        *retry = p->attempt_retry;
        return tendo_error_set(err, p->attempt_rc, "%s", p->attempt_err.msg);
    }
    if (lrc) {
        *retry = lrc == TENDO_EUNAVAIL;
        return tendo_error_set(err, lrc, "%s", link_err.msg);
    }
    *retry = 1;
    return tendo_error_set(err, TENDO_EUNAVAIL,
                           "pod %s: the download of session %u stopped at "
                           "byte %llu of %llu",
                           tendo_usb_pod_serial(d->pod), d->session->id,
                           (unsigned long long)p->offset,
                           (unsigned long long)d->session->size_bytes);
}

static int check_totals(dl_pipe *p, tendo_error *err)
{
    const tendo_pod_session *s = p->d->session;
    if (p->offset == s->size_bytes && p->crc == s->crc32 && p->samples == s->samples &&
        p->blocks == s->blocks)
        return TENDO_OK;
    return tendo_error_set(err, TENDO_EDATA,
                           "session %u of pod %s: the content received (%llu bytes, CRC-32 "
                           "%08x, %llu samples, %u blocks) differs from what the pod listed "
                           "(%llu bytes, %08x, %llu samples, %u blocks); the spool was "
                           "removed, the pod keeps the session: run tendo sync again",
                           s->id, tendo_usb_pod_serial(p->d->pod), (unsigned long long)p->offset,
                           p->crc, (unsigned long long)p->samples, p->blocks,
                           (unsigned long long)s->size_bytes, s->crc32,
                           (unsigned long long)s->samples, s->blocks);
}

static int pipe_init(dl_pipe *p, sync_download *d)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    p->spool_fd = -1;
    pthread_mutex_init(&p->fail_lock, NULL);
    if (sync_queue_init(&p->free_chunks, N_CHUNKS + 2) ||
        sync_queue_init(&p->full_chunks, N_CHUNKS + 2) ||
        sync_queue_init(&p->free_batches, N_BATCHES + 1) ||
        sync_queue_init(&p->full_batches, N_BATCHES + 1) || sync_queue_init(&p->drained, 2))
        return TENDO_EINTERNAL;
    for (int i = 0; i < N_CHUNKS; i++) {
        chunk *c = malloc(sizeof *c);
        if (!c)
            return TENDO_EINTERNAL;
        sync_queue_push(&p->free_chunks, c);
    }
    for (int i = 0; i < N_BATCHES; i++) {
        batch *b = malloc(sizeof *b);
        if (!b)
            return TENDO_EINTERNAL;
        sync_queue_push(&p->free_batches, b);
    }
    return TENDO_OK;
}

static void pipe_free(dl_pipe *p)
{
    void *item;
    while ((item = sync_queue_try_pop(&p->free_chunks)) != NULL)
        free(item);
    while ((item = sync_queue_try_pop(&p->free_batches)) != NULL)
        free(item);
    free(p->cur);
    sync_queue_free(&p->free_chunks);
    sync_queue_free(&p->full_chunks);
    sync_queue_free(&p->free_batches);
    sync_queue_free(&p->full_batches);
    sync_queue_free(&p->drained);
    pthread_mutex_destroy(&p->fail_lock);
    if (p->spool_fd >= 0)
        close(p->spool_fd);
}

int sync_download_run(sync_download *d, tendo_error *err)
{
    dl_pipe *p = malloc(sizeof *p);
    if (!p)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory for a download");
    int rc = pipe_init(p, d);
    if (rc) {
        pipe_free(p);
        free(p);
        return tendo_error_set(err, rc, "out of memory for a download");
    }
    pthread_t dec, wr;
    int have_dec = 0, have_wr = 0;
    p->spool_fd = open(d->spool_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (p->spool_fd < 0)
        rc = tendo_error_set(err, errno == ENOSPC ? TENDO_EIO : TENDO_ECANTCREAT,
                             "%s: cannot open the download spool: %s", d->spool_path,
                             strerror(errno));
    if (rc == TENDO_OK && pthread_create(&wr, NULL, write_main, p) == 0)
        have_wr = 1;
    else if (rc == TENDO_OK)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "cannot start a thread");
    if (rc == TENDO_OK)
        rc = replay_spool(p, err);
    if (rc == TENDO_OK && pthread_create(&dec, NULL, decode_main, p) == 0)
        have_dec = 1;
    else if (rc == TENDO_OK)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "cannot start a thread");

    unsigned stuck = 0;
    int complete = rc == TENDO_OK && p->offset == d->session->size_bytes;
    while (rc == TENDO_OK && !complete) {
        uint64_t before = p->offset;
        int retry = 0;
        tendo_error e;
        tendo_error_clear(&e);
        int arc = attempt(p, &retry, &e);
        if (arc == TENDO_OK) {
            complete = 1;
            break;
        }
        stuck = p->offset > before ? 0 : stuck + 1;
        if (tendo_usb_pod_gone(d->pod)) {
            /* Unplugged: wait for the same pod to come back, then resume. */
            tendo_error w;
            tendo_error_clear(&w);
            if (d->replug_wait_ms > 0 &&
                tendo_usb_pod_reattach(d->pod, d->replug_wait_ms, &w) == TENDO_OK) {
                stuck = 0;
                continue;
            }
            rc = tendo_error_set(err, TENDO_EUNAVAIL,
                                 "%s; plug it in again and run tendo sync: it resumes at byte "
                                 "%llu of %llu",
                                 w.msg[0] ? w.msg : e.msg, (unsigned long long)p->offset,
                                 (unsigned long long)d->session->size_bytes);
            break;
        }
        if (!retry || stuck >= MAX_STUCK || d->attempts >= MAX_ATTEMPTS) {
            rc = tendo_error_set(err, arc, "%s", e.msg);
            if (retry)
                tendo_error_prefix(err,
                                   "gave up after %u tries (%llu of %llu bytes kept for "
                                   "the next sync): ",
                                   d->attempts, (unsigned long long)p->offset,
                                   (unsigned long long)d->session->size_bytes);
        }
    }
    if (have_dec) {
        sync_queue_push(&p->full_chunks, QUIT);
        pthread_join(dec, NULL);
    }
    push_batch(p);
    if (have_wr) {
        sync_queue_push(&p->full_batches, NULL);
        pthread_join(wr, NULL);
    }
    if (rc == TENDO_OK && atomic_load(&p->fatal))
        rc = tendo_error_set(err, p->fatal_err.code, "%s", p->fatal_err.msg);
    if (rc == TENDO_OK && (rc = check_totals(p, err)) != TENDO_OK)
        unlink(d->spool_path);
    d->bytes = p->offset;
    d->crc32 = p->crc;
    d->samples = p->samples;
    d->blocks = p->blocks;
    d->first_us = p->first_us;
    d->last_us = p->last_us;
    if (d->progress)
        d->progress(d->progress_ctx, p->offset);
    pipe_free(p);
    free(p);
    return rc;
}
