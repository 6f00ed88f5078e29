/*
 * The reader's own chunk decoder (tendo_chunk_decode, chunk_pool.h), the
 * bound on decompression bombs: chunks made by the writer's encoder decode
 * to their bytes; a stream one byte longer than the chunk, a 64 MiB stream
 * for a 768 KiB chunk, a truncated or short stream and a wrong raw size are
 * refused. Also pins why tendo decodes chunks itself: HDF5 1.10 refuses to
 * let a program replace its deflate filter (if a later HDF5 allows it, this
 * check fails and the design note in session_reader.c should be revisited).
 */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "chunk_pool.h"
#include "tendo_check.h"

static size_t passthrough(unsigned flags, size_t ncd, const unsigned cd[], size_t nbytes,
                          size_t *buf_size, void **buf)
{
    (void)flags, (void)ncd, (void)cd, (void)buf_size, (void)buf;
    return nbytes;
}

/* A zlib stream (what HDF5's deflate filter makes) of n bytes of in. */
static unsigned char *deflate_all(const unsigned char *in, size_t n, size_t *len)
{
    uLongf cap = compressBound((uLong)n);
    unsigned char *out = malloc(cap);
    if (!out || compress2(out, &cap, in, (uLong)n, 6) != Z_OK)
        return NULL;
    *len = cap;
    return out;
}

int main(void)
{
    /* 131072 rows × 3 int16: one accel chunk, a smooth signal */
    const size_t rows = 131072, bytes = rows * 3 * 2;
    int16_t *samples = malloc(bytes);
    unsigned char *shuffled = malloc(bytes), *out = malloc(bytes), *scratch = malloc(bytes);
    for (size_t i = 0; i < 3 * rows; i++)
        samples[i] = (int16_t)((i * 7919u) % 4000u) - 2000;

    /* the writer's own encoder (shuffle, plane plan, deflate) */
    tendo_chunk_job job = {0};
    job.in = (const unsigned char *)samples;
    job.in_bytes = job.valid_bytes = bytes;
    job.elem = 2;
    job.level = 1;
    job.store_noisy = 1;
    job.out_cap = tendo_chunk_out_bound(bytes);
    job.out = malloc(job.out_cap);
    unsigned char *enc_scratch = NULL;
    size_t enc_cap = 0;
    CHECK(tendo_chunk_encode(&job, &enc_scratch, &enc_cap) == 0 && job.rc == 0);
    CHECK(tendo_chunk_decode(job.out, job.out_len, 1, 1, 2, out, bytes, scratch) ==
          TENDO_CHUNK_OK);
    CHECK(memcmp(out, samples, bytes) == 0, "shuffled + deflated chunk decodes to its samples");

    /* HDF5's layout, filters skipped by the mask: shuffled only, raw */
    tendo_chunk_shuffle((const unsigned char *)samples, shuffled, bytes, 2);
    memset(out, 0, bytes);
    CHECK(tendo_chunk_decode(shuffled, bytes, 0, 1, 2, out, bytes, scratch) == TENDO_CHUNK_OK &&
          memcmp(out, samples, bytes) == 0);
    memset(out, 0, bytes);
    CHECK(tendo_chunk_decode((const unsigned char *)samples, bytes, 0, 0, 2, out, bytes,
                             scratch) == TENDO_CHUNK_OK &&
          memcmp(out, samples, bytes) == 0);
    CHECK(tendo_chunk_decode((const unsigned char *)samples, bytes - 1, 0, 0, 2, out, bytes,
                             scratch) == TENDO_CHUNK_SHORT);

    /* exactly the chunk's bytes, and one byte more */
    unsigned char *big = calloc(1, bytes + 1);
    size_t len = 0;
    unsigned char *z = deflate_all(big, bytes, &len);
    CHECK(z && tendo_chunk_decode(z, len, 1, 0, 1, out, bytes, scratch) == TENDO_CHUNK_OK);
    free(z);
    z = deflate_all(big, bytes + 1, &len);
    CHECK(z && tendo_chunk_decode(z, len, 1, 0, 1, out, bytes, scratch) == TENDO_CHUNK_BEYOND);
    free(z);
    /* a bomb: 64 MiB of zeros (~64 KB stored) for the 768 KiB chunk */
    size_t bomb_bytes = (size_t)64 << 20;
    unsigned char *bomb_in = calloc(1, bomb_bytes);
    z = bomb_in ? deflate_all(bomb_in, bomb_bytes, &len) : NULL;
    CHECK(z && len < bytes &&
          tendo_chunk_decode(z, len, 1, 1, 2, out, bytes, scratch) == TENDO_CHUNK_BEYOND);
    free(bomb_in);
    /* truncated, short, and not zlib at all */
    free(z);
    CHECK(tendo_chunk_decode(job.out, job.out_len / 2, 1, 1, 2, out, bytes, scratch) ==
          TENDO_CHUNK_SHORT);
    z = deflate_all(big, bytes - 10, &len);
    CHECK(z && tendo_chunk_decode(z, len, 1, 0, 1, out, bytes, scratch) == TENDO_CHUNK_SHORT);
    free(z);
    CHECK(tendo_chunk_decode(big, 100, 1, 0, 1, out, bytes, scratch) == TENDO_CHUNK_SHORT);

    /* HDF5 1.10: the built-in deflate filter cannot be replaced */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5Z_class2_t mine = {H5Z_CLASS_T_VERS, H5Z_FILTER_DEFLATE, 1, 1, "tendo", NULL, NULL,
                         passthrough};
    CHECK(H5Zregister(&mine) < 0, "HDF5 let its deflate filter be replaced");

    free(big);
    free(job.out);
    free(enc_scratch);
    free(samples);
    free(shuffled);
    free(out);
    free(scratch);
    return tendo_check_report("chunk_decode");
}
