/*
 * chunk_pool.h — the filter pipeline of a session dataset (HDF5's shuffle,
 * then deflate) done outside HDF5, on a small pool of worker threads, so the
 * writer can compress chunks on several cores and store them as they are
 * with H5Dwrite_chunk. The datasets still declare shuffle + deflate: any
 * HDF5 reader decodes the chunks as if HDF5 had compressed them.
 *
 * Workers never call HDF5 (Debian's HDF5 is not thread-safe); they only
 * shuffle, deflate, inflate their own output back to check it, and CRC-32.
 * Jobs are independent; the caller decides the order in which finished
 * chunks are stored, so the output does not depend on the thread count.
 */
#ifndef TENDO_CHUNK_POOL_H
#define TENDO_CHUNK_POOL_H

#include <stddef.h>
#include <stdint.h>

/* How each byte plane of a shuffled chunk is deflated (one zlib stream,
 * switching with deflateParams at plane boundaries; measured in
 * formats/SESSION.md with bench_chunk_codec):
 * - a plane whose bytes change less often than once in TENDO_CHUNK_RUN_BYTES
 *   (the high bytes of times, status flags) is long runs: Z_RLE, which found
 *   4x smaller output than level 1 there and is as fast;
 * - with store_noisy, a plane at or above TENDO_CHUNK_STORE_BITS of order-0
 *   entropy (bits per byte) is stored (level 0): Huffman coding could save at
 *   most 1 - 7.5/8 = 6% of it (Shannon 1948), and deflate level 1 spent
 *   ~40 MB/s of a core to find 3-12% on the noisy low bytes of IMU samples;
 * - every other plane: level, default strategy.
 * Both statistics are estimated from every 16th byte. Times must not use
 * store_noisy: their low planes look random byte by byte but repeat with the
 * sample period, which LZ77 finds. */
#define TENDO_CHUNK_STORE_BITS 7.5
#define TENDO_CHUNK_RUN_BYTES 16

/* Upper bound on worker threads (and on TENDO_WRITER_THREADS). */
#define TENDO_CHUNK_MAX_WORKERS 16

/* One chunk to encode. The submitter fills the inputs and out/out_cap
 * (at least tendo_chunk_out_bound(in_bytes)); the worker fills the results. */
typedef struct tendo_chunk_job {
    /* inputs */
    const unsigned char *in; /* the whole chunk, padding included */
    size_t in_bytes;         /* bytes of the whole chunk */
    size_t valid_bytes;      /* leading bytes that hold samples (CRC'd) */
    size_t elem;             /* element size for the shuffle (1: no shuffle) */
    int level;               /* zlib level of the planes that are compressed */
    int store_noisy;         /* 1: planes that look like noise are stored (below) */
    unsigned char *out;
    size_t out_cap;
    /* results */
    size_t out_len;          /* bytes of the deflate stream in out */
    uint32_t valid_crc;      /* CRC-32 of in[0, valid_bytes) */
    uint32_t out_crc;        /* CRC-32 of out[0, out_len) */
    int rc;                  /* 0 ok, -1 out of memory, -2 zlib failed,
                                -3 the stream did not inflate back to the input */
    /* private to the pool */
    int done_;
    struct tendo_chunk_job *next_;
} tendo_chunk_job;

typedef struct tendo_chunk_pool tendo_chunk_pool;

/* Bytes of out that any chunk of in_bytes needs (zlib's deflateBound). */
size_t tendo_chunk_out_bound(size_t in_bytes);

/* Worker count: TENDO_WRITER_THREADS if set (1..TENDO_CHUNK_MAX_WORKERS),
 * else the online CPUs, at most 4. */
int tendo_chunk_workers_default(void);

/* Starts workers threads. Returns NULL if no thread could be started. */
tendo_chunk_pool *tendo_chunk_pool_start(int workers);
int tendo_chunk_pool_workers(const tendo_chunk_pool *pool);
/* Queues a job; it runs on the first free worker. */
void tendo_chunk_pool_submit(tendo_chunk_pool *pool, tendo_chunk_job *job);
/* Blocks until job (submitted before) is finished; returns job->rc. */
int tendo_chunk_pool_wait(tendo_chunk_pool *pool, tendo_chunk_job *job);
/* Finishes every queued job, stops and frees the pool. NULL is allowed. */
void tendo_chunk_pool_stop(tendo_chunk_pool *pool);

/* The work of one job on the calling thread (what a worker runs).
 * The scratch buffer (2 × in_bytes) is grown with realloc when short. */
int tendo_chunk_encode(tendo_chunk_job *job, unsigned char **scratch, size_t *scratch_cap);

/* HDF5's shuffle filter (H5Zshuffle.c's layout): byte j of element i goes
 * to j × (n / elem) + i; a remainder of n % elem bytes stays at the end. */
void tendo_chunk_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);

/* Outcomes of tendo_chunk_decode. */
#define TENDO_CHUNK_OK 0
#define TENDO_CHUNK_BEYOND (-1) /* the stream inflates beyond the chunk's bytes */
#define TENDO_CHUNK_SHORT (-2)  /* it ends before them, or it is not zlib */

/* The read side of the pipeline, for the session reader: one stored chunk
 * (`stored`, len bytes) back to its `bytes` of samples in out. `deflated`
 * and `shuffled` say which filters were applied to this chunk (HDF5's
 * filter mask). Inflation stops at bytes + 1: a stream that goes on (a
 * decompression bomb) costs no memory beyond the chunk, where HDF5's own
 * deflate filter would grow its buffer until the stream ends. scratch holds
 * `bytes` when both filters apply. */
int tendo_chunk_decode(const unsigned char *stored, size_t len, int deflated, int shuffled,
                       size_t elem, unsigned char *out, size_t bytes, unsigned char *scratch);

#endif
