/*
 * bench_batch_floor.c — the floor of `tendo batch` (a benchmark, not a
 * test): CPU seconds to merely open, read and decompress every sample of
 * every pod of the given sessions, in the chunk-aligned windows the
 * analysis reads, converted to SI floats as the analysis gets them. A batch
 * cannot be faster than this; bench/bench_batch.sh compares the two.
 *
 * usage: bench_batch_floor SESSION.h5...
 * prints one JSON line: files, samples, data_hours, cpu_s, hours_per_cpu_s
 * (hours of data per CPU second; a "sample" is one pod's 6-axis sample).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "tendo_session.h"

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_batch_floor SESSION.h5...\n");
        return 64;
    }
    size_t w = TENDO_SESSION_CHUNK_ROWS;
    int64_t *t = malloc(w * sizeof *t);
    float *a = malloc(3 * w * sizeof *a), *g = malloc(3 * w * sizeof *g);
    uint8_t *st = malloc(w);
    if (!t || !a || !g || !st)
        return 70;
    double c0 = cpu_s(), hours = 0;
    int64_t samples = 0;
    for (int i = 1; i < argc; i++) {
        tendo_reader *r;
        tendo_error err = {0};
        if (tendo_reader_open(&r, argv[i], &err) != TENDO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 65;
        }
        double longest = 0;
        for (size_t p = 0; p < tendo_reader_pod_count(r); p++) {
            int64_t n = tendo_reader_sample_count(r, p);
            int64_t first_us = 0, last_us = 0;
            for (int64_t f = 0; f < n; f += (int64_t)w) {
                tendo_block b = {.n = (size_t)(n - f < (int64_t)w ? n - f : (int64_t)w),
                                 .time_us = t,
                                 .accel = a,
                                 .gyro = tendo_reader_pod(r, p)->has_gyro ? g : NULL,
                                 .status = st};
                if (tendo_reader_read_si(r, p, f, &b, &err) != TENDO_OK) {
                    fprintf(stderr, "%s\n", err.msg);
                    return 65;
                }
                if (f == 0)
                    first_us = t[0];
                last_us = t[b.n - 1];
            }
            samples += n;
            if ((double)(last_us - first_us) / 3.6e9 > longest)
                longest = (double)(last_us - first_us) / 3.6e9;
        }
        hours += longest;
        tendo_reader_close(r);
    }
    double c = cpu_s() - c0;
    printf("{\"files\":%d,\"samples\":%lld,\"data_hours\":%.6f,\"cpu_s\":%.3f,"
           "\"hours_per_cpu_s\":%.4f}\n",
           argc - 1, (long long)samples, hours, c, c > 0 ? hours / c : 0.0);
    free(t);
    free(a);
    free(g);
    free(st);
    return 0;
}
