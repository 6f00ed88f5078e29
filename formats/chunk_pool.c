/*
 * chunk_pool.c — shuffle + deflate of whole chunks on worker threads
 * (chunk_pool.h). Each finished chunk has been inflated back and compared
 * with its input by the worker that made it, so a chunk is stored only when
 * its deflate stream is known to decode to the samples.
 */
#include "chunk_pool.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct tendo_chunk_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a job was queued, or stop */
    pthread_cond_t done;  /* a job finished */
    tendo_chunk_job *head, *tail;
    int stop;
    int workers;
    pthread_t threads[TENDO_CHUNK_MAX_WORKERS];
};

size_t tendo_chunk_out_bound(size_t in_bytes)
{
    /* zlib's bound, plus room for the block ends of up to 16 level changes */
    return (size_t)compressBound((uLong)in_bytes) + 16 * 16;
}

int tendo_chunk_workers_default(int *workers, tendo_error *err)
{
    const char *env = getenv("TENDO_WRITER_THREADS");
    if (env && *env) {
        char *end = NULL;
        long n = strtol(env, &end, 10);
        if (!end || *end || n < 1 || n > TENDO_CHUNK_MAX_WORKERS)
            /* A typo must not silently fall back to the default. */
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "TENDO_WRITER_THREADS='%s' is not a whole number from 1 to "
                                   "%d; fix it or unset it",
                                   env, TENDO_CHUNK_MAX_WORKERS);
        *workers = (int)n;
        return TENDO_OK;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* More than 4 workers buys nothing: the single thread that stores the
     * chunks through HDF5 and the producer feeding the writer limit first. */
    *workers = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
    return TENDO_OK;
}

void tendo_chunk_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem)
{
    if (elem <= 1) {
        memcpy(out, in, n);
        return;
    }
    size_t count = n / elem;
    /* The two element sizes of a session (int16 samples, int64 times) get
     * their own loops, which the compiler unrolls and vectorizes. */
    if (elem == 2) {
        unsigned char *lo = out, *hi = out + count;
        for (size_t i = 0; i < count; i++) {
            lo[i] = in[2 * i];
            hi[i] = in[2 * i + 1];
        }
    } else if (elem == 8) {
        for (size_t i = 0; i < count; i++)
            for (size_t j = 0; j < 8; j++)
                out[j * count + i] = in[8 * i + j];
    } else {
        for (size_t i = 0; i < count; i++)
            for (size_t j = 0; j < elem; j++)
                out[j * count + i] = in[elem * i + j];
    }
    memcpy(out + count * elem, in + count * elem, n - count * elem);
}

/* The inverse of tendo_chunk_shuffle. */
static void chunk_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem)
{
    size_t count = n / elem;
    if (elem == 2) {
        const unsigned char *lo = in, *hi = in + count;
        for (size_t i = 0; i < count; i++) {
            out[2 * i] = lo[i];
            out[2 * i + 1] = hi[i];
        }
    } else if (elem == 8) { /* the time column: one element's 8 planes at a time, so
                             * every store is sequential (a plane-outer loop wrote
                             * 8 bytes apart and cost a tenth of a whole read) */
        for (size_t i = 0; i < count; i++)
            for (size_t j = 0; j < 8; j++)
                out[8 * i + j] = in[j * count + i];
    } else {
        for (size_t j = 0; j < elem; j++)
            for (size_t i = 0; i < count; i++)
                out[elem * i + j] = in[j * count + i];
    }
    memcpy(out + count * elem, in + count * elem, n - count * elem);
}

int tendo_chunk_decode(const unsigned char *stored, size_t len, int deflated, int shuffled,
                       size_t elem, unsigned char *out, size_t bytes, unsigned char *scratch)
{
    shuffled = shuffled && elem > 1;
    unsigned char *plain = shuffled ? scratch : out;
    if (!deflated) {
        if (len != bytes)
            return TENDO_CHUNK_SHORT;
        memcpy(plain, stored, len);
    } else {
        /* one byte of room beyond the chunk: zlib may stop at a full
         * buffer before it reads the stream's end, so only a stream that
         * fills the extra byte goes on beyond the chunk */
        unsigned char extra;
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit(&z) != Z_OK)
            return TENDO_CHUNK_SHORT;
        z.next_in = (unsigned char *)stored;
        z.avail_in = (uInt)len;
        z.next_out = plain;
        z.avail_out = (uInt)bytes;
        int zr = inflate(&z, Z_FINISH);
        if (zr != Z_STREAM_END && z.avail_out == 0) {
            z.next_out = &extra;
            z.avail_out = 1;
            zr = inflate(&z, Z_FINISH);
            if (z.avail_out == 0) {
                inflateEnd(&z);
                return TENDO_CHUNK_BEYOND;
            }
        }
        size_t got = (size_t)z.total_out;
        inflateEnd(&z);
        if (zr != Z_STREAM_END || got != bytes)
            return TENDO_CHUNK_SHORT;
    }
    if (shuffled)
        chunk_unshuffle(plain, out, bytes, elem);
    return TENDO_CHUNK_OK;
}

typedef struct plane_plan {
    int level, strategy;
} plane_plan;

/* The rule of chunk_pool.h for one plane of n bytes, from every 16th byte
 * and the byte before it (a plane holds 131072 bytes or more: 8192 samples
 * are ample, and reading them all cost a tenth of the deflate). */
static plane_plan plan_plane(const unsigned char *p, size_t n, const tendo_chunk_job *job)
{
    uint32_t hist[256] = {0};
    size_t count = 0, changes = 0;
    for (size_t i = 16; i < n; i += 16, count++) {
        hist[p[i]]++;
        changes += p[i] != p[i - 1];
    }
    plane_plan plan = {job->level, Z_DEFAULT_STRATEGY};
    if (count == 0)
        return plan;
    if (changes * TENDO_CHUNK_RUN_BYTES < count) {
        plan.strategy = Z_RLE;
        return plan;
    }
    if (job->store_noisy) {
        double h = 0;
        for (int b = 0; b < 256; b++)
            if (hist[b]) {
                double q = (double)hist[b] / (double)count;
                h -= q * log2(q);
            }
        if (h >= TENDO_CHUNK_STORE_BITS)
            plan.level = 0;
    }
    return plan;
}

/* Deflates src (n bytes, elem planes) into job->out as one zlib stream,
 * each plane as plan_plane() says; neighbouring planes with the same plan
 * form one segment. Still one standard stream, which HDF5's deflate filter
 * inflates like any other. Returns a zlib code. */
static int deflate_chunk(tendo_chunk_job *job, const unsigned char *src, size_t n)
{
    enum { MAX_SEGS = 16 };
    size_t seg_start[MAX_SEGS], seg_len[MAX_SEGS];
    plane_plan seg_plan[MAX_SEGS];
    int nseg = 0;
    size_t planes = job->elem >= 1 && job->elem <= MAX_SEGS ? job->elem : 1;
    size_t plane = n / planes;
    for (size_t j = 0; j < planes; j++) {
        size_t start = j * plane, len = j + 1 == planes ? n - start : plane;
        plane_plan pp = plan_plane(src + start, len, job);
        if (nseg > 0 && seg_plan[nseg - 1].level == pp.level &&
            seg_plan[nseg - 1].strategy == pp.strategy) {
            seg_len[nseg - 1] += len;
            continue;
        }
        seg_start[nseg] = start;
        seg_len[nseg] = len;
        seg_plan[nseg++] = pp;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, seg_plan[0].level, Z_DEFLATED, 15, 8, seg_plan[0].strategy) != Z_OK)
        return Z_MEM_ERROR;
    zs.next_out = job->out;
    zs.avail_out = (uInt)job->out_cap;
    int z = Z_OK;
    for (int k = 0; k < nseg; k++) {
        if (k > 0 &&
            (z = deflateParams(&zs, seg_plan[k].level, seg_plan[k].strategy)) != Z_OK)
            break;
        zs.next_in = (Bytef *)(src + seg_start[k]);
        zs.avail_in = (uInt)seg_len[k];
        z = deflate(&zs, k + 1 == nseg ? Z_FINISH : Z_NO_FLUSH);
        if (k + 1 < nseg && (z != Z_OK || zs.avail_in != 0)) {
            z = Z_BUF_ERROR;
            break;
        }
    }
    job->out_len = zs.total_out;
    deflateEnd(&zs);
    return z;
}

int tendo_chunk_encode(tendo_chunk_job *job, unsigned char **scratch, size_t *scratch_cap)
{
    size_t n = job->in_bytes;
    if (*scratch_cap < 2 * n) {
        unsigned char *grown = realloc(*scratch, 2 * n);
        if (!grown)
            return job->rc = -1;
        *scratch = grown;
        *scratch_cap = 2 * n;
    }
    unsigned char *shuffled = *scratch, *back = *scratch + n;
    const unsigned char *src = job->in;
    if (job->elem > 1) {
        tendo_chunk_shuffle(job->in, shuffled, n, job->elem);
        src = shuffled;
    }
    job->valid_crc = (uint32_t)crc32(0, job->in, (uInt)job->valid_bytes);

    /* zlib stream (windowBits 15, memLevel 8: what HDF5's deflate filter,
     * compress2, writes and inflates); level and strategy only change how
     * the encoder searches, never what a decoder must support. */
    int z = deflate_chunk(job, src, n);
    if (z == Z_MEM_ERROR)
        return job->rc = -1;
    if (z != Z_STREAM_END)
        return job->rc = -2;
    job->out_crc = (uint32_t)crc32(0, job->out, (uInt)job->out_len);

    /* Inflate it back on this core and compare: proves the stream decodes
     * to the chunk before it is stored (commit then proves the stored bytes
     * are these, from out_crc, without inflating again). */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return job->rc = -1;
    zs.next_in = job->out;
    zs.avail_in = (uInt)job->out_len;
    zs.next_out = back;
    zs.avail_out = (uInt)n;
    z = inflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    inflateEnd(&zs);
    if (z != Z_STREAM_END || got != n || memcmp(back, src, n) != 0)
        return job->rc = -3;
    return job->rc = 0;
}

static void *worker_main(void *arg)
{
    tendo_chunk_pool *pool = arg;
    unsigned char *scratch = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->stop)
            pthread_cond_wait(&pool->work, &pool->lock);
        tendo_chunk_job *job = pool->head;
        if (!job)
            break; /* stop, and nothing left */
        pool->head = job->next_;
        if (!pool->head)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);
        tendo_chunk_encode(job, &scratch, &cap);
        pthread_mutex_lock(&pool->lock);
        job->done_ = 1;
        pthread_cond_broadcast(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    free(scratch);
    return NULL;
}

tendo_chunk_pool *tendo_chunk_pool_start(int workers)
{
    if (workers < 1)
        workers = 1;
    if (workers > TENDO_CHUNK_MAX_WORKERS)
        workers = TENDO_CHUNK_MAX_WORKERS;
    tendo_chunk_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&pool->threads[pool->workers], NULL, worker_main, pool) != 0)
            break;
        pool->workers++;
    }
    if (pool->workers == 0) {
        tendo_chunk_pool_stop(pool);
        return NULL;
    }
    return pool;
}

int tendo_chunk_pool_workers(const tendo_chunk_pool *pool)
{
    return pool ? pool->workers : 0;
}

void tendo_chunk_pool_submit(tendo_chunk_pool *pool, tendo_chunk_job *job)
{
    job->done_ = 0;
    job->next_ = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->tail)
        pool->tail->next_ = job;
    else
        pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->lock);
}

int tendo_chunk_pool_wait(tendo_chunk_pool *pool, tendo_chunk_job *job)
{
    pthread_mutex_lock(&pool->lock);
    while (!job->done_)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    return job->rc;
}

void tendo_chunk_pool_stop(tendo_chunk_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->workers; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
