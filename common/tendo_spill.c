/*
 * tendo_spill.c — see tendo_spill.h. Records live in blocks; at most
 * max_resident blocks are in memory, the oldest are written to the
 * temporary file (in order, block b at b × block_bytes) as new ones are
 * needed. Only whole blocks are ever written, so a block on disk never
 * changes again.
 */
#include "tendo_spill.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "tendo_io.h"

/* Blocks of at most 64 KiB: reads and writes of a useful size, and at
 * least a few blocks in memory under the default limit. */
#define BLOCK_BYTES_MAX ((size_t)64 << 10)

struct tendo_spill {
    size_t rec, per_block, block_bytes, max_resident;
    unsigned char **blk;         /* blk[b], NULL once written to the file */
    size_t nblk, capblk, oldest; /* blocks oldest .. nblk-1 are in memory */
    size_t n;
    FILE *f;
    unsigned char *cache[2]; /* two blocks read back, most recent in cache[0] */
    size_t cache_b[2];
};

int tendo_spill_new(tendo_spill **out, size_t rec_size, tendo_error *err)
{
    *out = NULL;
    size_t limit = TENDO_SPILL_DEFAULT_BYTES;
    const char *env = getenv("TENDO_SPILL_BYTES");
    if (env && *env) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end != '\0' || errno || v < 1 || env[0] == '-')
            return tendo_error_set(err, TENDO_EUSAGE,
                                   "TENDO_SPILL_BYTES='%s' is not a whole number of bytes >= 1; "
                                   "fix it or unset it",
                                   env);
        limit = v > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)v;
    }
    if (rec_size == 0)
        return tendo_error_set(err, TENDO_EINTERNAL, "spill: records of 0 bytes");
    tendo_spill *s = calloc(1, sizeof *s);
    if (!s)
        return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
    s->rec = rec_size;
    size_t bb = limit < BLOCK_BYTES_MAX ? limit : BLOCK_BYTES_MAX;
    s->per_block = bb / rec_size ? bb / rec_size : 1;
    s->block_bytes = s->per_block * rec_size;
    s->max_resident = limit / s->block_bytes ? limit / s->block_bytes : 1;
    s->cache_b[0] = s->cache_b[1] = SIZE_MAX;
    *out = s;
    return TENDO_OK;
}

void tendo_spill_free(tendo_spill *s)
{
    if (!s)
        return;
    for (size_t b = s->oldest; b < s->nblk; b++)
        free(s->blk[b]);
    free(s->blk);
    free(s->cache[0]);
    free(s->cache[1]);
    if (s->f)
        fclose(s->f);
    free(s);
}

size_t tendo_spill_count(const tendo_spill *s)
{
    return s->n;
}

/* Writes the oldest block in memory to the file and frees it. */
static int evict(tendo_spill *s, tendo_error *err)
{
    if (!s->f && !(s->f = tmpfile()))
        return tendo_error_set(err, TENDO_EIO,
                               "cannot make a temporary file for analysis records in %s (%s): "
                               "free some space or make it writable",
                               P_tmpdir, strerror(errno));
    size_t b = s->oldest;
    int fd = fileno(s->f);
    if (lseek(fd, (off_t)(b * s->block_bytes), SEEK_SET) < 0 ||
        tendo_write_all(fd, s->blk[b], s->block_bytes) != 0)
        return tendo_error_set(err, TENDO_EIO,
                               "cannot write analysis records to a temporary file in %s (%s): "
                               "is the disk full?",
                               P_tmpdir, strerror(errno));
    free(s->blk[b]);
    s->blk[b] = NULL;
    s->oldest++;
    return TENDO_OK;
}

int tendo_spill_push(tendo_spill *s, const void *rec, tendo_error *err)
{
    size_t b = s->n / s->per_block;
    if (b == s->nblk) { /* a new block */
        if (s->nblk - s->oldest >= s->max_resident) {
            int rc = evict(s, err);
            if (rc != TENDO_OK)
                return rc;
        }
        if (s->nblk == s->capblk) {
            size_t cap = s->capblk ? 2 * s->capblk : 16;
            unsigned char **g = realloc(s->blk, cap * sizeof *g);
            if (!g)
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            s->blk = g;
            s->capblk = cap;
        }
        if (!(s->blk[b] = malloc(s->block_bytes)))
            return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
        s->nblk++;
    }
    memcpy(s->blk[b] + (s->n % s->per_block) * s->rec, rec, s->rec);
    s->n++;
    return TENDO_OK;
}

int tendo_spill_get(tendo_spill *s, size_t i, void *rec, tendo_error *err)
{
    if (i >= s->n)
        return tendo_error_set(err, TENDO_EINTERNAL, "spill: record %zu of %zu", i, s->n);
    size_t b = i / s->per_block, at = (i % s->per_block) * s->rec;
    if (b >= s->oldest) {
        memcpy(rec, s->blk[b] + at, s->rec);
        return TENDO_OK;
    }
    if (s->cache_b[0] != b) {
        unsigned char *t = s->cache[1]; /* the older slot takes block b */
        s->cache[1] = s->cache[0];
        s->cache[0] = t;
        size_t tb = s->cache_b[1];
        s->cache_b[1] = s->cache_b[0];
        s->cache_b[0] = tb;
        if (s->cache_b[0] != b) {
            if (!s->cache[0] && !(s->cache[0] = malloc(s->block_bytes)))
                return tendo_error_set(err, TENDO_EINTERNAL, "out of memory");
            s->cache_b[0] = SIZE_MAX;
            int fd = fileno(s->f);
            if (lseek(fd, (off_t)(b * s->block_bytes), SEEK_SET) < 0 ||
                tendo_read_all(fd, s->cache[0], s->block_bytes) != 0)
                return tendo_error_set(err, TENDO_EIO,
                                       "cannot read analysis records back from their temporary "
                                       "file (%s)",
                                       errno ? strerror(errno) : "it was cut short");
            s->cache_b[0] = b;
        }
    }
    memcpy(rec, s->cache[0] + at, s->rec);
    return TENDO_OK;
}

static int ops_open(void **list, size_t rec_size, tendo_error *err)
{
    tendo_spill *s;
    int rc = tendo_spill_new(&s, rec_size, err);
    *list = rc == TENDO_OK ? s : NULL;
    return rc;
}

static void ops_close(void *list)
{
    tendo_spill_free(list);
}

static size_t ops_count(const void *list)
{
    return tendo_spill_count(list);
}

static int ops_push(void *list, const void *rec, tendo_error *err)
{
    return tendo_spill_push(list, rec, err);
}

static int ops_get(void *list, size_t i, void *rec, tendo_error *err)
{
    return tendo_spill_get(list, i, rec, err);
}

const tendo_records_ops tendo_spill_records = {ops_open, ops_close, ops_count, ops_push, ops_get};
