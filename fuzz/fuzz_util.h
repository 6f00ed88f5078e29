/*
 * fuzz_util.h — small helpers shared by the fuzz targets (header only).
 *
 *   fuzz_bytes: a cursor that takes little-endian integers off the front of
 *               the input (zeros once it runs out), for targets whose input
 *               starts with a few parameters;
 *   fuzz_file:  the input as a file path, for parsers that open a path
 *               (the CSV readers): an anonymous in-memory file (memfd), so
 *               nothing is written to disk and nothing is left behind.
 */
#ifndef TENDO_FUZZ_UTIL_H
#define TENDO_FUZZ_UTIL_H

/* memfd_create needs _GNU_SOURCE before the first system header: the
 * targets get it from fuzz/CMakeLists.txt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct fuzz_bytes {
    const uint8_t *p;
    size_t n;
} fuzz_bytes;

static inline uint64_t fuzz_take(fuzz_bytes *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        uint64_t b = 0;
        if (in->n) {
            b = *in->p++;
            in->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

typedef struct fuzz_file {
    int fd;
    char path[64];
} fuzz_file;

/* Puts data into an in-memory file; returns 0, or -1 (then the target
 * should just return: it is the harness failing, not the parser). */
static inline int fuzz_file_open(fuzz_file *f, const uint8_t *data, size_t size)
{
    f->fd = memfd_create("tendo-fuzz", 0);
    if (f->fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(f->fd, data + done, size - done);
        if (w <= 0) {
            close(f->fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
    return 0;
}

static inline void fuzz_file_close(fuzz_file *f)
{
    close(f->fd);
}

#endif
