/*
 * csv_writer.c — exports one pod of a session as CSV (see tendo_csv.h).
 *
 * The pod is streamed through a fixed window of samples, so memory stays
 * flat. The file is written under a hidden temporary name in the target's
 * directory (rename is atomic only within one file system), flushed to disk,
 * then renamed: a reader never sees half a CSV, and a failure leaves the
 * previous file (if any) untouched.
 *
 * Number format: t is printed from integer microseconds (exact, 6 decimals);
 * samples with %.9g, the shortest precision that round-trips every float32,
 * so an exported file re-imports bit for bit.
 */
#include "tendo_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Chunk-aligned windows decompress each HDF5 chunk once (tendo_session.h). */
#define EXPORT_WINDOW TENDO_SESSION_CHUNK_ROWS

/* Creates a new hidden file ".NAME.tmp.PID.K" beside path; O_EXCL so a
 * concurrent export never shares it. Returns an fd or -1 with errno set. */
static int create_temp(const char *path, char *tmp, size_t tmp_size)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    for (int k = 0; k < 100; k++) {
        int len = snprintf(tmp, tmp_size, "%.*s.%s.tmp.%ld.%d", dir_len, path, base,
                           (long)getpid(), k);
        if (len < 0 || (size_t)len >= tmp_size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* Prints signed microseconds as seconds with exactly 6 decimals, from
 * integers so no binary rounding can creep in. */
static void print_seconds(FILE *f, int64_t us)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    fprintf(f, "%s%" PRIu64 ".%06" PRIu64, us < 0 ? "-" : "", mag / 1000000u, mag % 1000000u);
}

static void print_triplet(FILE *f, const float *v)
{
    /* float promotes to double exactly; 9 significant digits identify a float32. */
    fprintf(f, ",%.9g,%.9g,%.9g", (double)v[0], (double)v[1], (double)v[2]);
}

/* Streams every sample of the pod into f. */
static int write_rows(tendo_reader *r, size_t pod_index, int has_gyro, int64_t start_us,
                      FILE *f, const char *path, tendo_error *err)
{
    int64_t total = tendo_reader_sample_count(r, pod_index);
    int64_t *time_us = malloc((size_t)EXPORT_WINDOW * sizeof *time_us);
    float *accel = malloc(3 * EXPORT_WINDOW * sizeof *accel);
    float *gyro = has_gyro ? malloc(3 * EXPORT_WINDOW * sizeof *gyro) : NULL;
    int rc = TENDO_OK;
    if (!time_us || !accel || (has_gyro && !gyro))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "out of memory exporting %s", path);

    fprintf(f, has_gyro ? "t,ax,ay,az,gx,gy,gz\n" : "t,ax,ay,az\n");
    for (int64_t first = 0; rc == TENDO_OK && first < total; first += EXPORT_WINDOW) {
        tendo_block blk = {0};
        blk.n = (size_t)(total - first < EXPORT_WINDOW ? total - first : EXPORT_WINDOW);
        blk.time_us = time_us;
        blk.accel = accel;
        blk.gyro = gyro;
        rc = tendo_reader_read_si(r, pod_index, first, &blk, err);
        for (size_t i = 0; rc == TENDO_OK && i < blk.n; i++) {
            print_seconds(f, time_us[i] - start_us);
            print_triplet(f, &accel[3 * i]);
            if (has_gyro)
                print_triplet(f, &gyro[3 * i]);
            fputc('\n', f);
        }
        if (rc == TENDO_OK && ferror(f)) /* e.g. disk full: stop early */
            rc = tendo_error_set(err, TENDO_EIO, "writing %s: %s", path, strerror(errno));
    }
    free(time_us);
    free(accel);
    free(gyro);
    return rc;
}

/* Flushes f all the way to the disk and closes it (always). */
static int finish_file(FILE *f, const char *path, tendo_error *err)
{
    int ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok)
        return tendo_error_set(err, TENDO_EIO, "writing %s: %s", path, strerror(saved));
    return TENDO_OK;
}

int tendo_csv_export_pod(tendo_reader *r, size_t pod_index, const char *path,
                         tendo_error *err)
{
    const tendo_pod_meta *pod =
        pod_index < tendo_reader_pod_count(r) ? tendo_reader_pod(r, pod_index) : NULL;
    if (!pod)
        return tendo_error_set(err, TENDO_EUSAGE, "the session has no pod #%zu", pod_index);
    int64_t start_us = tendo_reader_meta(r)->start_time_us;

    char tmp[4096];
    int fd = create_temp(path, tmp, sizeof tmp);
    if (fd < 0)
        return tendo_error_set(err, errno == ENOENT ? TENDO_ECANTCREAT : TENDO_EIO,
                               "cannot create a file beside %s: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return tendo_error_set(err, TENDO_EINTERNAL, "fdopen: %s", strerror(errno));
    }
    int rc = write_rows(r, pod_index, pod->has_gyro, start_us, f, path, err);
    if (rc == TENDO_OK)
        rc = finish_file(f, path, err);
    else
        fclose(f);
    if (rc == TENDO_OK && rename(tmp, path) != 0)
        rc = tendo_error_set(err, TENDO_EIO, "cannot rename %s to %s: %s", tmp, path,
                             strerror(errno));
    if (rc != TENDO_OK) {
        unlink(tmp);
        tendo_error_prefix(err, "exporting pod %s: ", pod->serial);
    }
    return rc;
}
