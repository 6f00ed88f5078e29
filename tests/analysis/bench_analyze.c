/*
 * bench_analyze.c — figures for issue 4 (a benchmark, not a test): the wall
 * time of `tendo analyze` on a session beside a bare read and decompress of
 * the same datasets (the floor), their ratio, and the analysis' peak memory.
 *
 * usage: bench_analyze TENDO_BIN SESSION.h5
 *   e.g. tendo simulate --out 1h.h5 --minutes 60 --speed 3.2
 *        build/tests/analysis/bench_analyze build/tools/tendo 1h.h5
 *
 * The session is copied first (analyze rewrites its file) and the copy is
 * read once before timing, so every run starts from the page cache. The
 * analysis runs as a child process so its peak resident memory is its own
 * (wait4, ru_maxrss): once with --no-store (analysis alone) and once
 * storing /analysis, which rewrites the file through a verified copy
 * (formats/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tendo_session.h"

/* CPU seconds (user + system) of a rusage: on a shared machine the wall
 * clock also counts the time other programs hold the cores. */
static double cpu_s(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + 1e-6 * (double)ru->ru_utime.tv_usec +
           (double)ru->ru_stime.tv_sec + 1e-6 * (double)ru->ru_stime.tv_usec;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Reads and decompresses every sample of every pod in chunk-aligned
 * windows, in stored types: the floor any analysis of the file pays. */
static int bare_read(const char *path, double *seconds, double *cpu, int64_t *samples)
{
    tendo_reader *r;
    tendo_error err = {0};
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now();
    if (tendo_reader_open(&r, path, &err) != TENDO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t w = TENDO_SESSION_CHUNK_ROWS;
    int64_t *t = malloc(w * sizeof *t);
    float *a = malloc(3 * w * sizeof *a), *g = malloc(3 * w * sizeof *g);
    uint8_t *st = malloc(w);
    int rc = t && a && g && st ? 0 : -1;
    *samples = 0;
    for (size_t p = 0; rc == 0 && p < tendo_reader_pod_count(r); p++) {
        int64_t n = tendo_reader_sample_count(r, p);
        for (int64_t f = 0; rc == 0 && f < n; f += (int64_t)w) {
            tendo_block b = {.n = (size_t)(n - f < (int64_t)w ? n - f : (int64_t)w),
                             .time_us = t,
                             .accel = a,
                             .gyro = g,
                             .status = st};
            if (tendo_reader_read_raw(r, p, f, &b, &err) != TENDO_OK) {
                fprintf(stderr, "%s\n", err.msg);
                rc = -1;
            }
        }
        *samples += n;
    }
    tendo_reader_close(r);
    free(t);
    free(a);
    free(g);
    free(st);
    *seconds = now() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    *cpu = cpu_s(&ru1) - cpu_s(&ru0);
    return rc;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = in && out ? 0 : -1;
    char buf[1 << 16];
    size_t k;
    while (rc == 0 && (k = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, k, out) != k)
            rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TENDO_BIN SESSION.h5\n", argv[0]);
        return 2;
    }
    char copy[4096];
    snprintf(copy, sizeof copy, "%s.bench-copy.h5", argv[2]);
    if (copy_file(argv[2], copy) != 0) {
        fprintf(stderr, "cannot copy %s to %s\n", argv[2], copy);
        return 1;
    }
    double floor_s, floor_cpu, warm, warm_cpu;
    int64_t samples;
    if (bare_read(copy, &warm, &warm_cpu, &samples) != 0 ||
        bare_read(copy, &floor_s, &floor_cpu, &samples) != 0)
        return 1;
    double rss_mb[2], wall[2], cpu[2];
    for (int store = 0; store < 2; store++) {
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stdout))
                _exit(126);
            if (store)
                execl(argv[1], argv[1], "analyze", copy, (char *)NULL);
            else
                execl(argv[1], argv[1], "analyze", "--no-store", copy, (char *)NULL);
            _exit(127);
        }
        int status = 0;
        struct rusage ru;
        wait4(pid, &status, 0, &ru);
        wall[store] = now() - t0;
        rss_mb[store] = (double)ru.ru_maxrss / 1024;
        cpu[store] = cpu_s(&ru);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "tendo analyze failed (status %d)\n", status);
            unlink(copy);
            return 1;
        }
    }
    unlink(copy);
    printf("session %s: %lld samples\n", argv[2], (long long)samples);
    printf("                                  wall                  CPU\n");
    printf("bare read + decompress:           %6.2f s               %6.2f s\n", floor_s, floor_cpu);
    printf("tendo analyze --no-store:         %6.2f s = %4.1f x      %6.2f s = %4.1f x, peak "
           "%.1f MB\n",
           wall[0], wall[0] / floor_s, cpu[0], cpu[0] / floor_cpu, rss_mb[0]);
    printf("tendo analyze (stores /analysis): %6.2f s = %4.1f x      %6.2f s = %4.1f x, peak "
           "%.1f MB\n",
           wall[1], wall[1] / floor_s, cpu[1], cpu[1] / floor_cpu, rss_mb[1]);
    return 0;
}
